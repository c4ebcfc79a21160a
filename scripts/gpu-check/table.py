"""The GPU check's table: every step's row (results/*.json written by the steps, or by gpu-check.sh
for a step that timed out, crashed or was skipped), printed as one Markdown table and saved with the
run's facts as JSON. Standard library only: it runs with any Python 3.
Usage: table.py WORK_DIR OUT_DIR MODE STEP..."""

import json
import sys
import time
from pathlib import Path

work, out, mode, steps = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], sys.argv[4:]
rows = []
for step in steps:
    path = work / "results" / f"{step}.json"
    try:
        rows.append(json.loads(path.read_text()))
    except (OSError, json.JSONDecodeError):
        rows.append({"step": step, "status": "failed", "detail": "the step wrote no result", "numbers": {}})
timing = {}  # wall seconds of each step as gpu-check.sh measured them (name TAB seconds)
if (work / "timing.tsv").is_file():
    timing = dict(line.split("\t", 1) for line in (work / "timing.tsv").read_text().splitlines() if "\t" in line)
failed = [r["step"] for r in rows if r["status"] == "failed"]
summary = {"check": "gpu-check", "mode": mode, "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
           "ok": not failed, "failed": failed, "steps": rows, "timing": timing}
out.mkdir(parents=True, exist_ok=True)
(out / "gpu-check.json").write_text(json.dumps(summary, indent=1))
lines = [f"GPU check ({mode}), {summary['finished']}: "
         + ("every step ran" if not failed else f"FAILED: {', '.join(failed)}"),
         "", "| step | status | seconds | result |", "| --- | --- | ---: | --- |"]
for r in rows:
    seconds = timing.get(r["step"], "–")  # a row written by another step's process took no time of its own
    detail = str(r["detail"]).replace("|", "/").replace("\n", " ")
    lines.append(f"| {r['step']} | {r['status']} | {seconds} | {detail} |")
text = "\n".join(lines)
(out / "gpu-check.md").write_text(text + "\n")
print(text)
