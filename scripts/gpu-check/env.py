"""Step `environment`: which Python, torch, CUDA and GPU this run uses, and whether the engine's GPU
paths can run at all here: torch's varlen flash attention (`torch.nn.attention.varlen`, built into
torch: no flash-attn package is needed) and Liger's kernels (the optional liger-kernel package)."""

import importlib.metadata
import platform
import sys

from lib import CPU, write_result


def version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


try:
    import torch

    from tailor_engine import train  # noqa: F401 - the engine imports with this Python's packages
    from tailor_engine.device import pick_device
except Exception as e:  # noqa: BLE001 - any import failure is this step's finding
    write_result("environment", "failed", f"the engine does not import with {sys.executable}: {type(e).__name__}: {e}")
    raise SystemExit(1) from e

cuda = torch.cuda.is_available()
gpu = torch.cuda.get_device_name(0) if cuda else None
memory = round(torch.cuda.get_device_properties(0).total_memory / 2**30, 1) if cuda else None
try:
    import torch.nn.attention.varlen  # noqa: F401

    varlen = True
except ImportError:
    varlen = False
numbers = dict(python=platform.python_version(), torch=torch.__version__, torch_cuda=torch.version.cuda,
               transformers=version("transformers"), peft=version("peft"), liger_kernel=version("liger-kernel"),
               triton=version("triton"), gpu=gpu, gpu_memory_gib=memory,
               bf16=bool(cuda and torch.cuda.is_bf16_supported()), varlen_attn_in_torch=varlen,
               device=str(pick_device()))
where = f"{sys.executable}: torch {torch.__version__}"
if CPU:
    write_result("environment", "ok", f"{where}, CPU dry run (TAILOR_DEVICE=cpu)"
                 + (f"; a CUDA device is there too ({gpu})" if cuda else ""), **numbers)
elif not cuda:
    write_result("environment", "failed", f"no CUDA device: {where} (CUDA {torch.version.cuda}) sees none", **numbers)
    raise SystemExit(2)
else:
    write_result("environment", "ok", f"{where}, CUDA {torch.version.cuda}, {gpu} ({memory} GiB), "
                 f"bf16 {'yes' if numbers['bf16'] else 'no'}, varlen attention in torch {'yes' if varlen else 'no'}",
                 **numbers)
