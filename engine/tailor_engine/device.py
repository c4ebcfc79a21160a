"""Which device to compute on, and what it can do. GPU paths fall back to CPU cleanly."""

import os
from functools import cache

import torch

from .distributed import local_world_size


def pick_device() -> torch.device:
    wanted = os.environ.get("TAILOR_DEVICE")
    if wanted:
        return torch.device(wanted)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def train_dtype(device: torch.device) -> torch.dtype:
    """bf16 where the hardware has it natively (CUDA Ampere+), fp32 otherwise."""
    if device.type == "cuda" and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return torch.float32


@cache
def cpu_flags() -> frozenset[str]:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("flags"):
                    return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


def cpu_has_native_bf16() -> bool:
    """AVX512-BF16 or AMX: bf16 matrix products faster than fp32. Elsewhere bf16 is emulated, slower."""
    return bool(cpu_flags() & {"avx512_bf16", "amx_bf16"})


def autocast_dtype(device: torch.device) -> torch.dtype | None:
    """Mixed precision for training on top of the fp32 weights: bf16 on CPUs with native bf16, else none
    (CUDA already trains in its `train_dtype`)."""
    if device.type == "cpu" and os.environ.get("TAILOR_CPU_BF16", "auto") != "0" and cpu_has_native_bf16():
        return torch.bfloat16
    return None


def physical_cores() -> int:
    """Cores this process may run on, counting a core's hyper-threads once (they share its vector units)."""
    allowed = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else set(range(os.cpu_count() or 1))
    cores, cpu, package = set(), None, "0"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                key, _, value = line.partition(":")
                key, value = key.strip(), value.strip()
                if key == "processor":
                    cpu = int(value)
                elif key == "physical id":
                    package = value
                elif key == "core id" and cpu in allowed:
                    cores.add((package, value))
    except OSError:
        pass
    return max(1, min(len(cores) or len(allowed), len(allowed)))


def set_cpu_threads() -> None:
    """One compute thread per physical core (TAILOR_THREADS overrides); hyper-threads only contend. The
    processes torchrun starts on one machine share its cores."""
    wanted = os.environ.get("TAILOR_THREADS")
    sharing = max(1, local_world_size())
    torch.set_num_threads(int(wanted) if wanted else max(1, physical_cores() // sharing))
