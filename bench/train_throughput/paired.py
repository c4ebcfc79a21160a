"""One speed-up of the engine's training step, on and off, in one process: the same optimizer steps
(the same examples, 8 a step as the benchmark trains, short chat or long answers), each timed with the change
on and with it off one after the other, the order flipped from step to step and from round to round,
after a round not timed. Small effects (1-3% of a step) drown in this machine's run-to-run noise
(5-10% between processes); paired within one process they show. The last stdout line is JSON:
{"change", "on_ms", "off_ms", "speedup" (mean of off/on over the pairs), "stderr", "pairs"}.

Training goes on while it measures (each timed step is a real optimizer step), so the two settings meet
the same weights within a pair, and every pair sees slightly different ones."""

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "engine"))

import torch  # noqa: E402

from tailor_engine import kernels  # noqa: E402
from tailor_engine.config import TrainConfig  # noqa: E402
from tailor_engine.report import JsonLinesReporter  # noqa: E402
from tailor_engine.train import LoRARecipe, batches  # noqa: E402


def per_module(recipe, wanted) -> list:
    """(module, its speed-up's forward) for the modules whose forward the setup replaced (`wanted`)."""
    found = [(m, m.forward) for m in recipe.model.modules() if "forward" in vars(m) and wanted(m.forward)]
    if not found:
        raise SystemExit("the change is not in this model's setup")
    return found


def toggle_forwards(found: list, on: bool) -> None:
    for module, forward in found:
        if on:
            module.forward = forward
        elif "forward" in vars(module):
            del module.forward  # the class's own forward


def switch_for(recipe, change: str):
    """A function that turns `change` on (True) or off (False)."""
    def fused_adamw(on):
        for group in recipe.optimizer.param_groups:
            group["fused"] = True if on else None

    def head_blocks(on):
        kernels.HEAD_MIN_BLOCKED_ROWS = 256 if on else 10 ** 9

    def row_blocks(on):
        kernels.ROW_BLOCKS = on

    def sfc64_masks(on):
        kernels.SFC64_MASKS = on

    def packed_math(on):
        kernels.PACKED_MATH = on

    def masks_together(on):
        kernels.MASKS_TOGETHER = on

    def blocked_attention(on):
        kernels.BLOCKED_ATTENTION = on

    def kept_probs(on):  # every long segment's probabilities kept for backward, or none
        kernels.PROBS_BUDGET = 1 << 40 if on else 0

    dropped = kernels._Dropped

    class BooleanMask(torch.autograd.Function):  # the way before: a boolean mask and masked_fill
        @staticmethod
        def forward(ctx, x, bits, threshold):
            mask = bits < threshold
            ctx.save_for_backward(mask)
            return x.masked_fill(mask, 0)

        @staticmethod
        def backward(ctx, g):
            return g.masked_fill(ctx.saved_tensors[0], 0), None, None

    def dropout_factor(on):
        kernels._Dropped = dropped if on else BooleanMask

    def forwards(wanted):
        found = per_module(recipe, wanted)
        return lambda on: toggle_forwards(found, on)

    if change == "swiglu":
        return forwards(lambda f: getattr(getattr(f, "__func__", None), "func", None) is kernels._swiglu_mlp_forward)
    if change == "rms-norm":
        return forwards(lambda f: getattr(f, "__func__", None) is kernels._rms_norm_forward)
    switches = {"fused-adamw": fused_adamw, "head-blocks": head_blocks, "row-blocks": row_blocks,
                "sfc64-masks": sfc64_masks, "dropout-factor": dropout_factor, "packed-math": packed_math,
                "masks-together": masks_together, "blocked-attention": blocked_attention,
                "kept-probs": kept_probs}
    if change not in switches:
        raise SystemExit(f"unknown change {change!r}: one of {', '.join([*switches, 'swiglu', 'rms-norm'])}")
    return switches[change]


def main() -> None:
    s = json.loads(sys.argv[1])  # data_file, change, rounds, steps, dropout
    with tempfile.TemporaryDirectory(prefix="tailor-paired-") as tmp:
        request = {"base": {"kind": "builtin", "name": "smollm2-135m-instruct"}, "train_file": s["data_file"],
                   "out_dir": f"{tmp}/out", "checkpoint_dir": f"{tmp}/ckpt", "model_name": "paired", "epochs": 1,
                   "learning_rate": 2e-4, "batch_size": 4, "gradient_accumulation_steps": 2, "lora_rank": 16,
                   "lora_alpha": 32, "lora_dropout": s["dropout"], "target_modules": "all-linear", "warmup_ratio": 0.0,
                   "weight_decay": 0.0, "max_grad_norm": 1.0, "max_seq_length": 1024, "seed": 0,
                   "checkpoint_every_steps": 0}
        recipe = LoRARecipe(TrainConfig.from_request(request), JsonLinesReporter(lambda message: None))
        recipe.setup()
        recipe.started, recipe.resumed_at = time.perf_counter(), 0
        switch = switch_for(recipe, s["change"])
        micro = batches(recipe.train_set, 4, torch.Generator().manual_seed(0))
        steps = [micro[i:i + 2] for i in range(0, 2 * s["steps"], 2)]
        seconds = {True: [], False: []}
        for round_ in range(s["rounds"] + 1):  # the first round is not timed
            for i, step in enumerate(steps):
                for on in ((True, False) if (round_ + i) % 2 == 0 else (False, True)):
                    switch(on)
                    started = time.perf_counter()
                    recipe.optimizer_step(step, 0.0)
                    if round_:
                        seconds[on].append(time.perf_counter() - started)
        switch(True)
    ratios = [off / on for on, off in zip(seconds[True], seconds[False])]
    print(json.dumps({"change": s["change"], "on_ms": 1e3 * statistics.mean(seconds[True]),
                      "off_ms": 1e3 * statistics.mean(seconds[False]), "speedup": statistics.mean(ratios),
                      "stderr": statistics.stdev(ratios) / len(ratios) ** 0.5, "pairs": len(ratios)}))


main()
