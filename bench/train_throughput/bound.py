"""How fast the timed steps could go if nothing but their matrix products took time: every product that
the model FLOPs count (flops.py) for those steps, each timed alone at its own shape in the run's precision,
as fast as this machine's PyTorch computes it.

The products of a step of n tokens (each example of length L, T tokens trained), per decoder layer:
  frozen     each group of layers that reads one input (q, k and v; o; gate and up; down) as one product
             forward (n x in by in x outputs) and one for the input's gradient (n x outputs by outputs x in)
  lora       forward x A^T for the group (n x in by in x r per member) and low B^T per member; backward
             B's gradient (out x n by n x r), low's (n x out by out x r), A's (r x n by n x in) and x's
             through A (n x r by r x in)
  attention  per example, all heads at once: Q K^T and P V forward; dP, dV, dQ and dK backward, each
             timed as the full L x L product and counted at its causal share, (L + 1) / 2L
and, once per step, the output layer's product for the trained tokens and its input gradient (T x hidden
by hidden x vocabulary, T x vocabulary by vocabulary x hidden).

Their FLOPs are exactly the model FLOPs (checked). Each is timed hot (its operands just used), best of
a few repetitions, whole and in 2 and 3 blocks of rows (as the engine may split them), so the sum is
a generous bound: a training step at these shapes also normalises, activates, adds residuals, applies
rotary embeddings, takes a softmax over the vocabulary and updates the weights, and its operands are
rarely in cache. The model FLOPs per second at this bound, as a share of the 2048 x 2048 matmul peak,
is the highest MFU any training of this model on these steps can reach on this machine.

Usage: bound.py '<settings JSON>' (the driver's; see common.settings): one JSON line."""

import json
import time

import torch
from common import BASE, encoded, settings, step_flops, steps_of, use_bf16
from transformers import AutoConfig

from tailor_engine.device import set_cpu_threads
from tailor_engine.model import load_tokenizer, locate, prefer_cache


def step_products(config, rank: int, lengths: list[int], trained: int) -> list[tuple[str, tuple, int, float]]:
    """(kind, (batch, m, k, n), times per step, share of its FLOPs counted) for each product of a step."""
    d, inter, layers = config.hidden_size, config.intermediate_size, config.num_hidden_layers
    heads = config.num_attention_heads
    head_dim = getattr(config, "head_dim", None) or d // heads
    kv = getattr(config, "num_key_value_heads", heads) * head_dim
    q = heads * head_dim
    n = sum(lengths)
    out = []
    for width, outs in [(d, [q, kv, kv]), (q, [d]), (d, [inter, inter]), (inter, [d])]:
        total, r = sum(outs), rank * len(outs)
        out += [("frozen", (1, n, width, total), layers, 1.0), ("frozen", (1, n, total, width), layers, 1.0),
                ("lora", (1, n, width, r), layers, 1.0), ("lora", (1, r, n, width), layers, 1.0),
                ("lora", (1, n, r, width), layers, 1.0)]
        for o in outs:
            out += [("lora", (1, n, rank, o), layers, 1.0), ("lora", (1, o, n, rank), layers, 1.0),
                    ("lora", (1, n, o, rank), layers, 1.0)]
    for length in lengths:
        causal = (length + 1) / (2 * length)
        out += [("attention", (heads, length, head_dim, length), 2 * layers, causal),
                ("attention", (heads, length, length, head_dim), 4 * layers, causal)]
    vocab = config.vocab_size
    out += [("head", (1, trained, d, vocab), 1, 1.0), ("head", (1, trained, vocab, d), 1, 1.0)]
    return out


def _seconds(f) -> float:
    """The best time of one call of f, over a few repetitions (each of enough calls to time)."""
    f()
    t = time.perf_counter()
    f()
    once = time.perf_counter() - t
    calls = max(1, int(2e-3 / max(once, 1e-7)))
    best = once
    for _ in range(3):
        t = time.perf_counter()
        for _ in range(calls):
            f()
        best = min(best, (time.perf_counter() - t) / calls)
    return best


def product_seconds(shape: tuple, dtype: torch.dtype, cache: dict) -> float:
    """One product of this (batch, m, k, n) shape, at its fastest: whole, or in 2 or 3 blocks of rows."""
    if shape not in cache:
        b, m, k, n = shape
        a, w = torch.randn(b, m, k, dtype=dtype), torch.randn(b, k, n, dtype=dtype)
        if b == 1:
            a, w = a[0], w[0]
            out = a.new_empty(m, n)

            def blocks(count: int):
                size = -(-m // count)
                return lambda: [torch.mm(a[s:s + size], w, out=out[s:s + size]) for s in range(0, m, size)]

            ways = [blocks(c) for c in (1, 2, 3) if c == 1 or m >= 64 * c]
        else:
            out = a.new_empty(b, m, n)
            ways = [lambda: torch.bmm(a, w, out=out)]
        cache[shape] = min(_seconds(f) for f in ways)
    return cache[shape]


if __name__ == "__main__":
    s = settings()
    set_cpu_threads()
    located = prefer_cache(locate(BASE))
    config = AutoConfig.from_pretrained(located.folder)
    examples = encoded(load_tokenizer(located), s)
    timed = slice(s["warmup_steps"], s["warmup_steps"] + s["steps"])
    steps = steps_of(examples, s)[timed]
    dtype = torch.bfloat16 if use_bf16() else torch.float32
    cache: dict = {}
    seconds = {"frozen": 0.0, "lora": 0.0, "attention": 0.0, "head": 0.0}
    flops = 0.0
    with torch.no_grad():
        for step in steps:
            products = step_products(config, s["lora_rank"], [len(e.input_ids) for e in step],
                                     sum(e.trained_tokens for e in step))
            for kind, shape, times, share in products:
                seconds[kind] += product_seconds(shape, dtype, cache) * times * share
                b, m, k, n = shape
                flops += 2 * b * m * k * n * times * share
    model_flops = sum(step_flops(examples, s, config)[timed])
    if abs(flops - model_flops) > 1e-6 * model_flops:
        raise SystemExit(f"bound.py: its products count {flops:.6g} FLOPs, the model FLOPs are {model_flops:.6g}")
    total = sum(seconds.values())
    tokens = sum(len(e.input_ids) for step in steps for e in step)
    print(json.dumps({
        "seconds": total, "tokens_per_second": tokens / total, "gflops_per_second": model_flops / total / 1e9,
        "share": {kind: t / total for kind, t in seconds.items()}, "shapes": len(cache),
        "threads": torch.get_num_threads(), "precision": "bf16" if dtype == torch.bfloat16 else "fp32",
    }), flush=True)
