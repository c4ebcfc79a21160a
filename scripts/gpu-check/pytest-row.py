"""The `engine tests` row from pytest's output on stdin: counts from its summary line, the names of
failed tests; ok only when pytest ran and nothing failed. (Standard library only.)"""

import re
import sys

from lib import write_result

text = sys.stdin.read()
summary = re.findall(r"=*\s*((?:\d+ (?:passed|failed|skipped|deselected|errors?|xfailed|xpassed)(?:, )?)+) in "
                     r"([\d.]+)s", text)
failed = re.findall(r"^(?:FAILED|ERROR) (\S+)", text, re.M)
if not summary:
    write_result("engine tests", "failed", "pytest printed no summary: " + (text.strip().splitlines() or [""])[-1][:300])
    raise SystemExit(1)
counts, seconds = summary[-1]
numbers = {k: int(n) for n, k in re.findall(r"(\d+) (\w+)", counts)}
bad = numbers.get("failed", 0) + numbers.get("error", 0) + numbers.get("errors", 0)
write_result("engine tests", "failed" if bad or not numbers.get("passed") else "ok",
             f"engine/tests/test_packing.py (packed = padded, on every device here): {counts} in {seconds} s"
             + (f"; failed: {', '.join(failed)}" if failed else ""), **numbers)
raise SystemExit(1 if bad else 0)
