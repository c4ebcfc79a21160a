"""Contender (a): Tailor's engine, its `train` command run in this process, exactly as the CLI runs it."""

import tempfile
import threading

from common import BASE, StepClock, encoded, report, settings, step_flops, step_tokens
from transformers import AutoConfig

from tailor_engine.errors import EngineError
from tailor_engine.model import load_tokenizer, locate, prefer_cache
from tailor_engine.train import train

s = settings()
clock = StepClock()
stop = threading.Event()
engine_rates: list[float] = []  # the tokens_per_second the engine reports for each step (its progress bar's)


def emit(message: dict) -> None:
    if message["type"] == "metrics":
        clock.step(message["train_loss"])
        engine_rates.append(message["tokens_per_second"])
        if message["step"] >= s["warmup_steps"] + s["steps"]:
            stop.set()  # the schedule still spans the whole epoch, as the Trainer's does


with tempfile.TemporaryDirectory(prefix="tailor-bench-") as tmp:
    try:
        request = {
            "base": BASE, "train_file": s["data_file"], "out_dir": f"{tmp}/out", "checkpoint_dir": f"{tmp}/ckpt",
            "model_name": "bench", "epochs": 1, "learning_rate": s["learning_rate"], "batch_size": s["batch_size"],
            "gradient_accumulation_steps": s["accumulation"], "lora_rank": s["lora_rank"],
            "lora_alpha": s["lora_alpha"], "lora_dropout": s["lora_dropout"], "target_modules": "all-linear", "warmup_ratio": 0.0,
            "weight_decay": 0.0, "max_grad_norm": 1.0, "max_seq_length": s["max_seq_length"], "seed": s["seed"],
            "checkpoint_every_steps": 0, "packing": s.get("packing", True)}
        train(request, emit, stop)
    except EngineError as e:
        if e.code != "cancelled":
            raise
located = prefer_cache(locate(BASE))
examples = encoded(load_tokenizer(located), s)
tokens = step_tokens(examples, s)
timed = range(s["warmup_steps"], s["warmup_steps"] + s["steps"])
# the engine's own rate over the timed steps: its step times recovered from its rates and the benchmark's
# token counts; equal to the benchmark's rate only if both count the same tokens
engine_rate = sum(tokens[i] for i in timed) / sum(tokens[i] / engine_rates[i] for i in timed)
report("tailor", s, clock, tokens, step_flops(examples, s, AutoConfig.from_pretrained(located.folder)), engine_rate)
