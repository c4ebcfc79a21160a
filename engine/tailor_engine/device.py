"""Which device to compute on, and what it can do. GPU paths fall back to CPU cleanly."""

import os

import torch


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
