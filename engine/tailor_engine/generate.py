"""Generation from a base model with an optional LoRA adapter: greedy at temperature 0, otherwise
temperature / top-p / top-k sampling with a seed; stop sequences; a token budget; functions and
structured outputs (see streaming.py, which does the work)."""

import threading
from pathlib import Path

import torch

from .device import pick_device
from .model import load_adapter, load_base, load_tokenizer, Located
from .streaming import generate_choices


def generate_once(request: dict) -> dict:
    device = pick_device()
    model, tokenizer = load_base(request["base"], device)
    if request.get("adapter_dir"):
        model = load_adapter(model, request["adapter_dir"])
        if (Path(request["adapter_dir"]) / "tokenizer_config.json").is_file():
            tokenizer = load_tokenizer(Located(Path(request["adapter_dir"])))
    model.eval()
    return generate(model, tokenizer, request, device)


def generate(model, tokenizer, request: dict, device: torch.device) -> dict:
    """One answer (the `generate` command): `serve`'s generation with one choice, not streamed."""
    op = {**request, "id": "generate", "n": 1, "stream": False}
    result = generate_choices(model, tokenizer, op, device, threading.Event(), lambda message: None)
    choice = result["choices"][0]
    return {"type": "generation", "text": choice["text"],
            **({"tool_calls": choice["tool_calls"]} if choice.get("tool_calls") else {}),
            "prompt_tokens": result["prompt_tokens"], "completion_tokens": result["completion_tokens"],
            "finish_reason": choice["finish_reason"]}
