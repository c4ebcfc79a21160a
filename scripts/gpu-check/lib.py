"""What the GPU check's Python steps share: the settings the driver (scripts/gpu-check.sh) passes in
the environment, the engine on the import path, the base model chosen by model.py, and one result
file per step that table.py turns into the table.

Environment: GPU_CHECK_WORK (the run's folder), GPU_CHECK_QUICK=1 (small settings), GPU_CHECK_CPU=1
(a dry run on the CPU: TAILOR_DEVICE=cpu is set too)."""

import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "engine"))

WORK = Path(os.environ.get("GPU_CHECK_WORK", REPO / "test-output" / "gpu-check" / "work"))
QUICK = os.environ.get("GPU_CHECK_QUICK") == "1"
CPU = os.environ.get("GPU_CHECK_CPU") == "1"
STARTED = time.perf_counter()


def write_result(step: str, status: str, detail: str, **numbers) -> None:
    """One step's row: status ok | failed | skipped, a sentence saying what ran or why not, key numbers."""
    (WORK / "results").mkdir(parents=True, exist_ok=True)
    row = {"step": step, "status": status, "detail": detail,
           "numbers": {k: v for k, v in numbers.items() if v is not None},
           "seconds": round(time.perf_counter() - STARTED, 1)}
    (WORK / "results" / f"{step}.json").write_text(json.dumps(row))
    print(f"[gpu-check] {step}: {status}: {detail}", file=sys.stderr, flush=True)


def device():
    from tailor_engine.device import pick_device

    return pick_device()


def base() -> dict:
    """The base model model.py chose: {"source": ModelSource, "label": str, "real": bool}."""
    path = WORK / "base.json"
    if not path.is_file():
        raise SystemExit("no base model: the model step did not run or failed")
    return json.loads(path.read_text())


def save_json(name: str, value) -> Path:
    path = WORK / name
    path.write_text(json.dumps(value))
    return path


def load_json(name: str):
    path = WORK / name
    return json.loads(path.read_text()) if path.is_file() else None


def cuda_peak_mb() -> float | None:
    import torch

    return round(torch.cuda.max_memory_allocated() / 2**20, 1) if torch.cuda.is_available() and not CPU else None


def fmt(x: float, digits: int = 1) -> str:
    return f"{x:,.{digits}f}"
