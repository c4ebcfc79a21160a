"""What the three contenders share: the settings from the driver, the same examples in the same order
(the engine's own shuffle), and one JSON line of results with the process's peak resident memory."""

import json
import os
import resource
import sys
import time
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[2] / "engine"
sys.path.insert(0, str(ENGINE))

import torch  # noqa: E402

from tailor_engine.data import encode_all, read_chat_jsonl  # noqa: E402
from tailor_engine.device import autocast_dtype  # noqa: E402

BASE = {"kind": "builtin", "name": "smollm2-135m-instruct"}


def settings() -> dict:
    """The driver's settings: data_file, seed, batch_size, accumulation, learning_rate, lora_rank,
    lora_alpha, lora_dropout, max_seq_length, warmup_steps (not timed), steps (timed) and precision ("auto": bf16 mixed
    precision where the CPU has native bf16, as the engine chooses; "fp32": fp32 for everyone)."""
    s = json.loads(sys.argv[1])
    if s.get("precision") == "fp32":
        os.environ["TAILOR_CPU_BF16"] = "0"  # the engine's switch; the Trainer follows use_bf16()
    return s


def use_bf16() -> bool:
    """Whether this run trains in bf16 mixed precision: the engine's own choice on this CPU."""
    return autocast_dtype(torch.device("cpu")) is not None


def encoded(tokenizer, s: dict):
    return encode_all(tokenizer, read_chat_jsonl(s["data_file"]), s["max_seq_length"])


def engine_order(n: int, seed: int) -> list[int]:
    """The order the engine trains in (train.batches): everyone sees the same examples in each step."""
    return torch.randperm(n, generator=torch.Generator().manual_seed(seed)).tolist()


def steps_of(examples, s: dict) -> list[list]:
    """The examples of each optimizer step, in the engine's order."""
    per_step = s["batch_size"] * s["accumulation"]
    order = engine_order(len(examples), s["seed"])
    return [[examples[i] for i in order[k:k + per_step]] for k in range(0, len(order), per_step)]


def step_tokens(examples, s: dict) -> list[int]:
    """Non-padding tokens of each optimizer step."""
    return [sum(len(e.input_ids) for e in step) for step in steps_of(examples, s)]


def step_flops(examples, s: dict, config) -> list[int]:
    """Model FLOPs of each optimizer step (flops.py says what is counted)."""
    from flops import example_flops, per_token

    costs = per_token(config, s["lora_rank"])
    return [sum(example_flops(costs, len(e.input_ids), e.trained_tokens) for e in step)
            for step in steps_of(examples, s)]


class StepClock:
    """Wall time at the end of each optimizer step, and each step's training loss."""

    def __init__(self) -> None:
        self.ends: list[float] = []
        self.losses: list[float] = []

    def step(self, loss: float | None = None) -> None:
        self.ends.append(time.perf_counter())
        if loss is not None:
            self.losses.append(loss)


def report(name: str, s: dict, clock: StepClock, tokens: list[int], flops: list[int],
           engine_tokens_per_second: float | None = None) -> None:
    w, n = s["warmup_steps"], s["steps"]
    if len(clock.ends) < w + n or len(clock.losses) < w + n:
        raise SystemExit(f"{name}: {len(clock.ends)} steps timed, {len(clock.losses)} losses; expected {w + n}")
    seconds = clock.ends[w + n - 1] - clock.ends[w - 1]
    timed_tokens = sum(tokens[w:w + n])
    timed_flops = sum(flops[w:w + n])
    print(json.dumps({
        "contender": name, "steps": n, "tokens": timed_tokens, "seconds": seconds,
        "tokens_per_second": timed_tokens / seconds,
        "model_flops": timed_flops, "gflops_per_second": timed_flops / seconds / 1e9,
        "engine_tokens_per_second": engine_tokens_per_second,
        "final_loss": sum(clock.losses[w:w + n]) / n,  # mean over the timed steps: steadier than the last
        "losses": clock.losses[:w + n],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "threads": torch.get_num_threads(),
        "precision": "bf16 mixed precision" if use_bf16() else "fp32",
    }), flush=True)
