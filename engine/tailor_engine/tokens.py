"""Token counts of examples with a base model's own tokenizer and chat template, the model's context
length, and (when asked) the LoRA training speed on this machine, for the data report."""

import time

import torch

from .data import encode, iter_chat_jsonl
from .device import pick_device, train_dtype
from .model import Located, attach_lora, load_base, load_tokenizer, locate, prefer_cache

SPEED_TOKENS = 256


def _context_length(located: Located) -> int:
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(located.folder, gguf_file=located.gguf_file)
    return int(getattr(config, "max_position_embeddings", 0) or 0)


def _measure_speed(source: dict) -> float:
    """Tokens per second of LoRA training steps (forward, backward, optimizer) on one sequence."""
    device = pick_device()
    model, _ = load_base(source, device, train_dtype(device))
    model = attach_lora(model, 8, 16, 0.0, "all-linear")
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    ids = torch.randint(0, model.config.vocab_size, (1, SPEED_TOKENS), generator=torch.Generator().manual_seed(0)).to(device)
    timings = []
    for _ in range(3):
        t0 = time.perf_counter()
        loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        timings.append(time.perf_counter() - t0)
    return SPEED_TOKENS / min(timings[1:])  # the first step warms up


def count_tokens(request: dict) -> dict:
    located = prefer_cache(locate(request["base"]))
    tokenizer = load_tokenizer(located)
    counts = [len(encode(tokenizer, e["messages"], 10**9, e["tools"]).input_ids) for e in iter_chat_jsonl(request["file"])]
    speed = _measure_speed(request["base"]) if request["measure_speed"] else None
    return {"type": "token_counts", "counts": counts, "context_length": _context_length(located),
            "tokens_per_second": speed}
