"""One generation contender, in its own process, on the built-in SmolLM2: greedy, the same prompt.
Usage: contender.py SETTINGS_JSON engine|generate|no-cache
  engine    the engine's generation as `serve` runs it (KV cache, streamed deltas, stop checks)
  generate  plain `model.generate` with its KV cache
  no-cache  `model.generate(use_cache=False)`: every token recomputes the whole sequence
Prints one JSON line: new tokens, seconds, tokens per second, time to first token, peak memory."""

import json
import resource
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "engine"))

import torch  # noqa: E402
from transformers.generation.streamers import BaseStreamer  # noqa: E402

from tailor_engine.device import set_cpu_threads  # noqa: E402
from tailor_engine.model import load_base  # noqa: E402
from tailor_engine.streaming import generate_choices, prompt_ids, sampling_kwargs  # noqa: E402

s = json.loads(sys.argv[1])
mode = sys.argv[2]
set_cpu_threads()
model, tokenizer = load_base({"kind": "builtin", "name": "smollm2-135m-instruct"}, torch.device("cpu"))
model.eval()
op = {"id": "bench", "messages": [{"role": "user", "content": s["prompt"]}], "temperature": 0, "top_p": 1,
      "top_k": 0, "max_tokens": s["max_tokens"], "stop": [], "seed": 0, "n": 1, "stream": True}


class FirstToken(BaseStreamer):
    """Notes when the first generated token arrives (the first `put` is the prompt)."""

    def __init__(self) -> None:
        self.calls, self.first = 0, None

    def put(self, value) -> None:
        self.calls += 1
        if self.calls == 2 and self.first is None:
            self.first = time.perf_counter()

    def end(self) -> None:
        pass


def once() -> tuple[int, float, float]:
    started = time.perf_counter()
    if mode == "engine":
        first: list[float] = []
        emit = lambda m: first.append(time.perf_counter()) if m["type"] == "delta" and not first else None  # noqa: E731
        result = generate_choices(model, tokenizer, op, torch.device("cpu"), threading.Event(), emit)
        tokens, ttft = result["completion_tokens"], (first[0] if first else time.perf_counter()) - started
    else:
        ids = torch.tensor([prompt_ids(tokenizer, op["messages"])])
        streamer = FirstToken()
        with torch.no_grad():
            out = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), streamer=streamer,
                                 use_cache=mode != "no-cache", **sampling_kwargs(op, tokenizer))
        tokens = int(out.shape[1] - ids.shape[1])
        ttft = (streamer.first or time.perf_counter()) - started
    return tokens, time.perf_counter() - started, ttft


once()  # warm-up
tokens, seconds, ttft = once()
print(json.dumps({"contender": mode, "tokens": tokens, "seconds": seconds, "tokens_per_second": tokens / seconds,
                  "time_to_first_token": ttft,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}), flush=True)
