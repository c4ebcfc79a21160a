"""One contender of the training benchmark, in its own process: bench/train_throughput/engine.py
(Tailor's `train`, as the CLI runs it) on the check's base model and device, instrumented to say
which kernels ran. Usage: contender.py SETTINGS_JSON packed|no-liger|padded
  packed    packed rows (varlen flash attention on CUDA), Liger when installed
  no-liger  the same with liger-kernel hidden (the engine's own linear cross-entropy)
  padded    padded batches (transformers' SDPA with a mask), Liger when installed
Prints the benchmark's JSON line with: device, dtype, flash_calls / flash_fallbacks (packed attention
calls that ran the varlen kernel / fell back), liger (applied or not) and cuda_peak_mb."""

import contextlib
import io
import json
import runpy
import sys

import lib  # noqa: F401 - the engine on the path

settings, variant = json.loads(sys.argv[1]), sys.argv[2]
if variant == "no-liger":
    sys.modules["liger_kernel"] = None  # import liger_kernel raises ImportError: the engine runs without it
settings["packing"] = variant != "padded"
BENCH = lib.REPO / "bench" / "train_throughput"
sys.path.insert(0, str(BENCH))

import common  # noqa: E402
import torch  # noqa: E402

from tailor_engine import kernels, train as train_module  # noqa: E402
from tailor_engine.device import pick_device, train_dtype  # noqa: E402

common.BASE = lib.base()["source"]
counts = {"flash_calls": 0, "flash_fallbacks": 0, "liger": False}
varlen = kernels._varlen_flash


def counted_varlen(*args, **kwargs):
    out = varlen(*args, **kwargs)
    counts["flash_calls" if out is not None else "flash_fallbacks"] += 1
    return out


kernels._varlen_flash = counted_varlen
use_liger = train_module.use_liger


def noted_liger(model, device):
    counts["liger"] = use_liger(model, device)
    return counts["liger"]


train_module.use_liger = noted_liger
sys.argv = [str(BENCH / "engine.py"), json.dumps(settings)]
captured = io.StringIO()
with contextlib.redirect_stdout(captured):
    runpy.run_path(str(BENCH / "engine.py"), run_name="__main__")
result = json.loads(captured.getvalue().strip().splitlines()[-1])
device = pick_device()
if device.type == "cuda":
    result["precision"] = f"{str(train_dtype(device)).removeprefix('torch.')} weights"
result.update(counts, variant=variant, device=str(device), cuda_peak_mb=lib.cuda_peak_mb())
print(json.dumps(result), flush=True)
