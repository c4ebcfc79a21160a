"""The model FLOPs of LoRA training steps, from the model's config, and the machine's matmul throughput.

Model FLOPs are what the training needs, counted the same for every contender (a multiply-add is 2):
  forward   2 x the frozen linear layers' weights per token (q, k, v, o, gate, up, down in every layer),
            2 x r x (in + out) per LoRA-adapted layer per token, attention 2 x 2 x d x (i + 1) for the
            token at place i of its example (QK^T and AV, causal, within its own example), and the
            output layer 2 x hidden x vocabulary for each trained token only (its logits are needed
            nowhere else)
  backward  the frozen weights need only the gradient of their input: 2 x their forward; LoRA's
            weights need both gradients: 2 x their forward; attention: 2 x its forward
So a token costs 4 x W + 6 x LoRA + 3 x attention, plus 4 x hidden x vocabulary if it is trained.
Recomputation and padding are not counted: a contender that pads or recomputes does more work than this
for the same model FLOPs, which is the point of the measure.

Usage: flops.py matmul: the machine's 2048 x 2048 matmul throughput (fp32 and, where the CPU has native
bf16, bf16) in GFLOP/s with the engine's threads, the best of three 1-second bursts, as one JSON line."""

import json
import sys
import time

import torch


def per_token(config, lora_rank: int) -> dict:
    """FLOPs per token of the parts that do not depend on where the token is: the frozen linear layers,
    LoRA, and the output layer (per trained token); and the attention width d for the rest."""
    d, inter, layers = config.hidden_size, config.intermediate_size, config.num_hidden_layers
    heads = config.num_attention_heads
    head_dim = getattr(config, "head_dim", None) or d // heads
    kv = getattr(config, "num_key_value_heads", heads) * head_dim
    q = heads * head_dim
    shapes = [(d, q), (d, kv), (d, kv), (q, d), (d, inter), (d, inter), (inter, d)]  # (in, out)
    weights = layers * sum(i * o for i, o in shapes)
    lora = layers * sum(lora_rank * (i + o) for i, o in shapes)
    return {"body": 4 * weights + 6 * lora, "head": 4 * d * config.vocab_size, "attention_width": layers * q}


def example_flops(costs: dict, length: int, trained: int) -> int:
    """One example of `length` tokens, `trained` of them with a loss: forward and backward."""
    attention = 3 * 2 * 2 * costs["attention_width"] * length * (length + 1) // 2
    return costs["body"] * length + costs["head"] * trained + attention


def matmul_gflops(dtype: torch.dtype, n: int = 2048, bursts: int = 3, seconds: float = 1.0) -> float:
    """The best of `bursts` bursts of n x n products, each `seconds` long: on a shared machine one long
    measurement takes in whatever else runs meanwhile."""
    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    for _ in range(3):
        a @ b
    best = 0.0
    for _ in range(bursts):
        done, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            a @ b
            done += 1
        best = max(best, 2 * n**3 * done / (time.perf_counter() - start) / 1e9)
    return best


if __name__ == "__main__" and sys.argv[1:] == ["matmul"]:
    from common import ENGINE  # noqa: F401  (puts the engine on the path)

    from tailor_engine.device import autocast_dtype, set_cpu_threads

    set_cpu_threads()
    out = {"threads": torch.get_num_threads(), "fp32_gflops": matmul_gflops(torch.float32)}
    if autocast_dtype(torch.device("cpu")) is not None:
        out["bf16_gflops"] = matmul_gflops(torch.bfloat16)
    print(json.dumps(out), flush=True)
