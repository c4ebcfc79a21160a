"""The opt-in CPU speed-ups of training round 2 (bench/train-throughput.ts --ablation measures them): the
frozen base held in bf16 under bf16 autocast, with LoRA and the optimizer in fp32 and LoRA layers that
skip casting their input (TAILOR_FROZEN_BF16=1), and short segments through SDPA's math path
(TAILOR_MATH_ATTENTION_BELOW=256). Off by default, training is round 1's."""

import threading

import pytest
import torch
from peft.tuners.tuners_utils import BaseTunerLayer
from safetensors import safe_open

from tailor_engine import kernels
from tailor_engine.config import TrainConfig
from tailor_engine.device import autocast_dtype
from tailor_engine.train import LoRARecipe, train

from .conftest import Collect, train_request

BF16 = pytest.mark.skipif(autocast_dtype(torch.device("cpu")) is None,
                          reason="this CPU has no native bf16, so training runs in fp32 without autocast")
ROUND_2 = {"TAILOR_FROZEN_BF16": "1", "TAILOR_MATH_ATTENTION_BELOW": "256"}


class Quiet:
    def __getattr__(self, name):
        return lambda *args, **kwargs: None


def set_up(request: dict) -> LoRARecipe:
    recipe = LoRARecipe(TrainConfig.from_request(request), Quiet())
    recipe.setup()
    return recipe


@BF16
def test_the_frozen_base_is_bf16_and_what_trains_is_fp32(tiny_model, tmp_path, monkeypatch):
    """A new adapter and one continued from a saved one (which is saved in fp32)."""
    monkeypatch.setenv("TAILOR_DEVICE", "cpu")
    monkeypatch.setenv("TAILOR_FROZEN_BF16", "1")
    first = train(train_request(tiny_model, tmp_path, epochs=1), Collect(), threading.Event())
    (tmp_path / "child").mkdir()
    for recipe in (set_up(train_request(tiny_model, tmp_path)),
                   set_up(train_request(tiny_model, tmp_path / "child", init_adapter_dir=first["path"]))):
        frozen = [p for p in recipe.model.parameters() if not p.requires_grad]
        trained = [p for p in recipe.model.parameters() if p.requires_grad]
        assert frozen and all(p.dtype == torch.bfloat16 for p in frozen)
        assert trained and all(p.dtype == torch.float32 for p in trained)
        assert all(p.dtype == torch.float32 for group in recipe.optimizer.param_groups for p in group["params"])
        lora_layers = [m for m in recipe.model.modules() if isinstance(m, BaseTunerLayer)]
        # PEFT casts unless the attribute says not to (it is absent until set)
        assert lora_layers and all(getattr(m, "cast_input_dtype_enabled", True) is False for m in lora_layers)
    with safe_open(str(tmp_path / "out" / "adapter_model.safetensors"), "pt") as f:
        assert all(f.get_tensor(k).dtype == torch.float32 for k in f.keys())


@BF16
def test_round_2_learns_what_round_1_learns(tiny_model, tmp_path, monkeypatch):
    """Two epochs of the support examples, packed (short segments: the math path), with every switch on
    and with every one off: the same loss curve within bf16's rounding, and both learn."""
    monkeypatch.setenv("TAILOR_DEVICE", "cpu")
    curves = {}
    for name, env in (("round 2", ROUND_2), ("round 1", {})):
        for key in ROUND_2:
            monkeypatch.delenv(key, raising=False)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        monkeypatch.setattr(kernels, "MATH_BELOW", int(env.get("TAILOR_MATH_ATTENTION_BELOW", "0")))
        run = tmp_path / name.replace(" ", "-")
        run.mkdir()
        events = Collect()
        train(train_request(tiny_model, run, epochs=2, learning_rate=0.002), events, threading.Event())
        curves[name] = [m["train_loss"] for m in events.of("metrics")]
    assert curves["round 2"] == pytest.approx(curves["round 1"], rel=2e-2)
    assert curves["round 2"][-1] < curves["round 2"][0]
