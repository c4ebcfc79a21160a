"""Step `generation`: greedy generation on the check's device, as `serve` runs it (the engine's
`generate_choices`: KV cache, streamed deltas, stop checks) on the base model loaded as serve loads
it (`load_base` on `pick_device()`): new tokens per second and time to the first token, after one
warm-up request (the first on CUDA pays for kernel set-up)."""

import threading
import time

import torch

from lib import QUICK, base, cuda_peak_mb, device, write_result

from tailor_engine.model import load_base
from tailor_engine.streaming import generate_choices

MAX_TOKENS = 16 if QUICK else 128
PROMPT = ("My e-bike battery drains in a day even when I do not ride it. What should I check first, and when "
          "should I bring it in?")
chosen, dev = base(), device()
started = time.perf_counter()
model, tokenizer = load_base(chosen["source"], dev)
model.eval()
load_seconds = time.perf_counter() - started
op = {"id": "gpu-check", "messages": [{"role": "user", "content": PROMPT}], "temperature": 0, "top_p": 1,
      "top_k": 0, "max_tokens": MAX_TOKENS, "stop": [], "seed": 0, "n": 1, "stream": True}


def once() -> tuple[dict, float, float]:
    first: list[float] = []

    def emit(m: dict) -> None:
        if m["type"] == "delta" and not first:
            first.append(time.perf_counter())

    t0 = time.perf_counter()
    result = generate_choices(model, tokenizer, op, dev, threading.Event(), emit)
    if dev.type == "cuda":
        torch.cuda.synchronize()
    end = time.perf_counter()
    return result, end - t0, (first[0] if first else end) - t0


once()
result, seconds, ttft = once()
tokens = result["completion_tokens"]
text = result["choices"][0]["text"] if result.get("choices") else ""
ok = tokens > 0
write_result("generation", "ok" if ok else "failed",
             f"{chosen['label']} on {dev} ({next(model.parameters()).dtype}), greedy: {tokens} new tokens in "
             f"{seconds:.2f} s = {tokens / seconds:.1f} tokens/s, first token after {ttft * 1000:.0f} ms; "
             f"load {load_seconds:.1f} s; answer starts {text[:60]!r}",
             tokens=tokens, tokens_per_second=round(tokens / seconds, 1), first_token_ms=round(ttft * 1000),
             cuda_peak_mb=cuda_peak_mb())
raise SystemExit(0 if ok else 1)
