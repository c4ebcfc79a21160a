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
from transformers import LogitsProcessorList

from .chat import parse_calls, tool_format
from .constrain import Constraint, plan_for
from .streaming import prompt_ids, vocab_size

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
               device: torch.device, on_batch: Callable[[int], None], tools: list[list[dict] | None] | None = None,
               constrained: bool = False) -> tuple[list[str], list[int], list[list[dict] | None] | None]:
    """Texts, completion token counts and (when functions were offered) calls, in the order of
    `conversations`. With `constrained`, calls are decoded under their functions' schemas."""
    tools = tools or [None] * len(conversations)
    prompts = [prompt_ids(tokenizer, c, tools=t) for c, t in zip(conversations, tools)]
    fmt = tool_format(tokenizer) if any(tools) else None
    plans = [plan_for({"constrained": constrained}, t, fmt) for t in tools]
    n_vocab = vocab_size(model, tokenizer)
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
        rows = [plans[i] for i in chunk]
        processors = LogitsProcessorList([Constraint(tokenizer, n_vocab, rows, width)]
                                         if any(p.fixed or p.after_prefix for p in rows) else [])
        out = model.generate(input_ids=ids.to(device), attention_mask=mask.to(device), max_new_tokens=max_tokens,
                             do_sample=False, temperature=None, top_p=None, top_k=None,
                             pad_token_id=pad, eos_token_id=eos, logits_processor=processors)
        for row, i in enumerate(chunk):
            new = out[row, width:].tolist()
            if eos in new:
                new = new[:new.index(eos)]
            counts[i] = len(new)
            texts[i] = tokenizer.decode(new, skip_special_tokens=True)
        on_batch(len(chunk))
    if fmt is None:
        return texts, counts, None
    calls: list[list[dict] | None] = []
    for i, text in enumerate(texts):
        words, found = parse_calls(text, fmt) if tools[i] else (text, [])
        calls.append(found or None)
        texts[i] = words
    return texts, counts, calls


def generate_batch(request: dict, emit: Emit, stop) -> dict:
    device = pick_device()
    conversations = request["conversations"]
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
        texts, counts, calls = answer_all(model, tokenizer, conversations, request["max_tokens"], request["batch_size"],
                                          device, progress, request.get("tools"), request.get("constrained", False))
        result = {"texts": texts, "completion_tokens": counts, "seconds": time.perf_counter() - started}
        if calls is not None:
            result["tool_calls"] = calls
        results.append(result)
        del model
    return {"type": "generations", "results": results}
