"""Greedy answers to many conversations at once, for evaluation: one or more models (a base, or a
base plus a LoRA adapter) answer every conversation; prompts of similar length are batched together
with left padding, and progress is reported after each batch."""

import time
from pathlib import Path
from typing import Callable

import torch

from .device import pick_device
from .errors import EngineError
from .model import Located, load_adapter, load_base, load_tokenizer
from .streaming import prompt_ids

Emit = Callable[[dict], None]


def _load(spec: dict, device: torch.device):
    model, tokenizer = load_base(spec["base"], device)
    adapter = spec.get("adapter_dir")
    if adapter:
        model = load_adapter(model, adapter)
        if (Path(adapter) / "tokenizer_config.json").is_file():
            tokenizer = load_tokenizer(Located(Path(adapter)))
    model.eval()
    return model, tokenizer


@torch.no_grad()
def answer_all(model, tokenizer, conversations: list[list[dict]], max_tokens: int, batch_size: int,
               device: torch.device, on_batch: Callable[[int], None]) -> tuple[list[str], list[int]]:
    """Texts and completion token counts, in the order of `conversations`."""
    prompts = [prompt_ids(tokenizer, c) for c in conversations]
    order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))  # similar lengths pad little
    texts: list[str] = [""] * len(prompts)
    counts: list[int] = [0] * len(prompts)
    pad, eos = tokenizer.pad_token_id, tokenizer.eos_token_id
    for k in range(0, len(order), batch_size):
        chunk = order[k:k + batch_size]
        width = max(len(prompts[i]) for i in chunk)
        ids = torch.full((len(chunk), width), pad, dtype=torch.long)
        mask = torch.zeros((len(chunk), width), dtype=torch.long)
        for row, i in enumerate(chunk):  # left padding: every prompt ends where generation starts
            n = len(prompts[i])
            ids[row, width - n:] = torch.tensor(prompts[i])
            mask[row, width - n:] = 1
        out = model.generate(input_ids=ids.to(device), attention_mask=mask.to(device), max_new_tokens=max_tokens,
                             do_sample=False, temperature=None, top_p=None, top_k=None,
                             pad_token_id=pad, eos_token_id=eos)
        for row, i in enumerate(chunk):
            new = out[row, width:].tolist()
            if eos in new:
                new = new[:new.index(eos)]
            counts[i] = len(new)
            texts[i] = tokenizer.decode(new, skip_special_tokens=True)
        on_batch(len(chunk))
    return texts, counts


def generate_batch(request: dict, emit: Emit, stop) -> dict:
    device = pick_device()
    conversations = [[{"role": m["role"], "content": m["content"]} for m in c] for c in request["conversations"]]
    total = len(conversations) * len(request["models"])
    done = 0
    results = []
    for spec in request["models"]:
        model, tokenizer = _load(spec, device)

        def progress(n: int) -> None:
            nonlocal done
            done += n
            emit({"type": "progress", "stage": "generate", "message": f"answered {done} of {total}",
                  "current": done, "total": total})
            if stop.is_set():
                raise EngineError("cancelled", "evaluation cancelled")

        started = time.perf_counter()
        texts, counts = answer_all(model, tokenizer, conversations, request["max_tokens"], request["batch_size"],
                                   device, progress)
        results.append({"texts": texts, "completion_tokens": counts, "seconds": time.perf_counter() - started})
        del model
    return {"type": "generations", "results": results}
