"""Step `training benchmark` (and `packed = padded loss`): bench/train_throughput's Tailor contender on
the check's device and base model, one process per contender, one after another:
packed + Liger (when installed), packed without Liger (only where Liger is installed), padded.
Same examples, order, seed and optimizer: the packed and padded losses must agree (the packing test,
on this device, on the benchmark's data), and the Liger and plain ones too.
Usage: bench.py DATA_FILE"""

import json
import os
import subprocess
import sys
import time

from lib import CPU, QUICK, STARTED, WORK, base, fmt, write_result

HERE = os.path.dirname(os.path.abspath(__file__))
LOSS_TOLERANCE = 0.01  # relative; bf16 weights on CUDA: observed differences are expected well below it
data_file = sys.argv[1]
settings = (dict(batch_size=2, accumulation=1, warmup_steps=1, steps=1, max_seq_length=256)
            if QUICK else dict(batch_size=16, accumulation=1, warmup_steps=3, steps=10, max_seq_length=1024))
settings.update(seed=0, learning_rate=2e-4, lora_rank=16, lora_alpha=32, lora_dropout=0.0, precision="auto",
                data_file=data_file)
try:
    import liger_kernel  # noqa: F401

    liger = not CPU
except ImportError:
    liger = False
variants = ["packed", "no-liger", "padded"] if liger else ["packed", "padded"]
limit = float(os.environ.get("GPU_CHECK_STEP_LIMIT", "600"))
results, errors = {}, []
for i, v in enumerate(variants):
    # what is left of the step's limit, less 30 s for each contender still to come (the first pays
    # for Triton's compiles of Liger's kernels)
    left = limit - (time.perf_counter() - STARTED) - 30 * (len(variants) - i - 1)
    try:
        run = subprocess.run([sys.executable, os.path.join(HERE, "contender.py"), json.dumps(settings), v],
                             capture_output=True, text=True, timeout=max(30.0, left))
    except subprocess.TimeoutExpired:
        errors.append(f"{v}: stopped after {max(30.0, left):.0f} s")
        continue
    sys.stderr.write(run.stderr[-3000:])
    lines = [ln for ln in run.stdout.splitlines() if ln.startswith("{")]
    if run.returncode != 0 or not lines:
        errors.append(f"{v}: exit {run.returncode}: {(run.stderr.strip().splitlines() or [''])[-1][:300]}")
        continue
    results[v] = json.loads(lines[-1])
(WORK / "bench.json").write_text(json.dumps({"settings": settings, "results": results}))

label = base()["label"]
if "packed" not in results or "padded" not in results:
    write_result("training benchmark", "failed", "; ".join(errors))
    write_result("packed = padded loss", "failed", "the benchmark's packed or padded contender did not finish")
    raise SystemExit(1)
p, d = results["packed"], results["padded"]
rows = [f"{v} {fmt(r['tokens_per_second'], 0)} tokens/s (loss {r['final_loss']:.4f}"
        + (f", {fmt(r['cuda_peak_mb'], 0)} MB GPU peak" if r.get("cuda_peak_mb") else "") + ")"
        for v, r in results.items()]
flash = (f"varlen flash ran in {p['flash_calls']} of {p['flash_calls'] + p['flash_fallbacks']} packed attention "
         "calls" if not CPU else "CPU: per-example attention loop")
cuda = not CPU and p["device"].startswith("cuda")
flash_ok = not cuda or (p["flash_calls"] > 0 and p["flash_fallbacks"] == 0)
liger_note = ("Liger applied" if p["liger"] else "Liger NOT applied although installed") if liger else \
    "Liger not installed" if not CPU else "Liger is CUDA-only"
ok = not errors and flash_ok and (not liger or p["liger"])
write_result("training benchmark", "ok" if ok else "failed",
             f"{label}, {p['precision']} on {p['device']}, {settings['steps']} timed steps of "
             f"{settings['batch_size'] * settings['accumulation']} examples ({p['tokens']:,} tokens): "
             + "; ".join(rows) + f"; packed / padded {p['tokens_per_second'] / d['tokens_per_second']:.2f}x; "
             f"{flash}; {liger_note}" + ("; " + "; ".join(errors) if errors else ""),
             tokens_per_second=round(p["tokens_per_second"], 1),
             padded_tokens_per_second=round(d["tokens_per_second"], 1),
             no_liger_tokens_per_second=results.get("no-liger", {}).get("tokens_per_second"),
             cuda_peak_mb=p.get("cuda_peak_mb"), flash_calls=p["flash_calls"], flash_fallbacks=p["flash_fallbacks"],
             liger=p["liger"])

pairs = [("packed", "padded")] + ([("packed", "no-liger")] if "no-liger" in results else [])
gaps = {f"{a} vs {b}": max(abs(x - y) / abs(y) for x, y in zip(results[a]["losses"], results[b]["losses"]))
        for a, b in pairs}
worst = max(gaps.values())
write_result("packed = padded loss", "ok" if worst <= LOSS_TOLERANCE else "failed",
             "per-step training losses of the benchmark's contenders, largest relative difference: "
             + ", ".join(f"{k} {g:.2e}" for k, g in gaps.items()) + f" (bound {LOSS_TOLERANCE:g}, "
             f"{len(p['losses'])} steps)", max_relative_loss_difference=worst)
raise SystemExit(0 if ok and worst <= LOSS_TOLERANCE else 1)
