"""The CPU speed-ups of training round 2 (bench/train-throughput.ts --ablation measures them), all on by
default: the frozen base held in bf16 under bf16 autocast, with LoRA and the optimizer in fp32 and LoRA
layers that skip casting their input (TAILOR_FROZEN_BF16=0 turns it off); fused LoRA layers, a block's
sibling projections (q, k, v; gate, up) computed together (TAILOR_FUSED_LORA=0, or =layers for each
layer alone); and short segments through the grouped math attention (TAILOR_MATH_ATTENTION_BELOW=0).
With all three off, training is round 1's."""

import gc
import shutil
import threading
import types
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from peft.tuners.lora.layer import Linear as LoraLinear
from peft.tuners.tuners_utils import BaseTunerLayer
from safetensors import safe_open

from tailor_engine import kernels
from tailor_engine.config import TrainConfig
from tailor_engine.device import autocast_dtype
from tailor_engine.kernels import _fused_lora_forward as _fused
from tailor_engine.kernels import linear_cross_entropy
from tailor_engine.train import LoRARecipe, adamw, model_batches, train

from .conftest import Collect, train_request

BF16 = pytest.mark.skipif(autocast_dtype(torch.device("cpu")) is None,
                          reason="this CPU has no native bf16, so training runs in fp32 without autocast")
ROUND_2 = {"TAILOR_FROZEN_BF16": "1", "TAILOR_MATH_ATTENTION_BELOW": "256", "TAILOR_FUSED_LORA": "1"}
ROUND_1 = {"TAILOR_FROZEN_BF16": "0", "TAILOR_MATH_ATTENTION_BELOW": "0", "TAILOR_FUSED_LORA": "0"}


class SameMask(torch.nn.Module):
    """LoRA dropout as the fused layers draw it (`kernels.drop_mask`), for PEFT's own layers."""

    def __init__(self, p: float):
        super().__init__()
        self.p = p

    def forward(self, x):
        return x.masked_fill(kernels.drop_mask(x.shape, self.p, x.device), 0) / (1 - self.p)


@pytest.mark.parametrize("sfc64", [True, False], ids=["sfc64", "torch-randint"])
def test_dropout_masks_drop_p_of_the_elements_at_random(monkeypatch, sfc64):
    """The fused layers' dropout mask, its bits from numpy's SFC64 (the default) or torch's randint:
    each element dropped with probability p (within 5 standard deviations over a million), the elements
    independent of their neighbours (each 64-bit draw gives four), a new mask at every call, the same
    one from the same torch seed."""
    monkeypatch.setattr(kernels, "SFC64_MASKS", sfc64)
    n = 1_000_000
    for p in (0.05, 0.1, 0.5, 0.9):
        mask = kernels.drop_mask((1000, 1000), p, torch.device("cpu"))
        assert mask.shape == (1000, 1000) and mask.dtype == torch.bool
        assert abs(mask.float().mean().item() - p) <= 5 * (p * (1 - p) / n) ** 0.5
        flat = mask.flatten().float()
        pairs = (flat[:-1] * flat[1:]).mean().item()  # both of two neighbours dropped: p^2
        # (overlapping pairs: each shares an element with the next, hence the covariance term)
        assert abs(pairs - p * p) <= 5 * ((p * p * (1 - p * p) + 2 * (p ** 3 - p ** 4)) / n) ** 0.5
    assert not torch.equal(kernels.drop_mask((999,), 0.5, torch.device("cpu")),
                           kernels.drop_mask((999,), 0.5, torch.device("cpu")))
    torch.manual_seed(3)
    first = kernels.drop_mask((7, 9), 0.3, torch.device("cpu"))
    torch.manual_seed(3)
    assert torch.equal(first, kernels.drop_mask((7, 9), 0.3, torch.device("cpu")))


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_dropped_inputs_are_zeroed_as_the_mask_says_and_so_is_their_gradient(dtype):
    """The fused layers' dropout: the input where `drop_mask` keeps it and zero where it drops it (as
    masked_fill would), the gradient through it likewise, for the same seed; what backward keeps is the
    16-bit draw, not a copy of the input."""
    x = torch.randn(37, 41, dtype=dtype, requires_grad=True)
    torch.manual_seed(5)
    mask = kernels.drop_mask(x.shape, 0.3, x.device)
    assert 0 < mask.sum() < mask.numel()
    torch.manual_seed(5)
    out, keep_scale = kernels._lora_dropout(torch.nn.Dropout(0.3), x)
    assert keep_scale == pytest.approx(1 / 0.7)
    assert out.dtype == dtype and torch.equal(out, x.detach().masked_fill(mask, 0))
    assert [t.dtype for t in out.grad_fn.saved_tensors] == [torch.int16]
    g = torch.randn_like(out)
    out.backward(g)
    assert torch.equal(x.grad, g.masked_fill(mask, 0))


class Quiet:
    def __getattr__(self, name):
        return lambda *args, **kwargs: None


def set_up(request: dict) -> LoRARecipe:
    recipe = LoRARecipe(TrainConfig.from_request(request), Quiet())
    recipe.setup()
    return recipe


@BF16
def test_the_frozen_base_is_bf16_and_what_trains_is_fp32(tiny_model, tmp_path, monkeypatch):
    """By default. A new adapter and one continued from a saved one (which is saved in fp32)."""
    monkeypatch.setenv("TAILOR_DEVICE", "cpu")
    monkeypatch.delenv("TAILOR_FROZEN_BF16", raising=False)
    first = train(train_request(tiny_model, tmp_path, epochs=1), Collect(), threading.Event())
    (tmp_path / "child").mkdir()
    for recipe in (set_up(train_request(tiny_model, tmp_path)),
                   set_up(train_request(tiny_model, tmp_path / "child", init_adapter_dir=first["path"]))):
        frozen = [p for p in recipe.model.parameters() if not p.requires_grad]
        trained = [p for p in recipe.model.parameters() if p.requires_grad]
        assert frozen and all(p.dtype == torch.bfloat16 for p in frozen)
        assert trained and all(p.dtype == torch.float32 for p in trained)
        assert all(p.dtype == torch.float32 for group in recipe.optimizer.param_groups for p in group["params"])
        assert recipe.optimizer.defaults["fused"]  # the fused update (`adamw`)
        lora_layers = [m for m in recipe.model.modules() if isinstance(m, BaseTunerLayer)]
        # PEFT casts unless the attribute says not to (it is absent until set)
        assert lora_layers and all(getattr(m, "cast_input_dtype_enabled", True) is False for m in lora_layers)
    with safe_open(str(tmp_path / "out" / "adapter_model.safetensors"), "pt") as f:
        assert all(f.get_tensor(k).dtype == torch.float32 for k in f.keys())


@BF16
def test_tailor_frozen_bf16_0_keeps_the_fp32_base(tiny_model, tmp_path, monkeypatch):
    monkeypatch.setenv("TAILOR_DEVICE", "cpu")
    monkeypatch.setenv("TAILOR_FROZEN_BF16", "0")
    recipe = set_up(train_request(tiny_model, tmp_path))
    assert all(p.dtype == torch.float32 for p in recipe.model.parameters())
    lora_layers = [m for m in recipe.model.modules() if isinstance(m, BaseTunerLayer)]
    assert lora_layers and all(getattr(m, "cast_input_dtype_enabled", True) for m in lora_layers)


@BF16
def test_round_2_learns_what_round_1_learns(tiny_model, tmp_path, monkeypatch):
    """Two epochs of the support examples, packed (short segments: the math path), with every switch on
    and with every one off: the same loss curve within bf16's rounding, and both learn."""
    monkeypatch.setenv("TAILOR_DEVICE", "cpu")
    curves = {}
    for name, env in (("round 2", ROUND_2), ("round 1", ROUND_1)):
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        monkeypatch.setattr(kernels, "MATH_BELOW", {torch.bfloat16: int(env["TAILOR_MATH_ATTENTION_BELOW"]), torch.float32: 0})
        run = tmp_path / name.replace(" ", "-")
        run.mkdir()
        events = Collect()
        train(train_request(tiny_model, run, epochs=2, learning_rate=0.002), events, threading.Event())
        curves[name] = [m["train_loss"] for m in events.of("metrics")]
    assert curves["round 2"] == pytest.approx(curves["round 1"], rel=2e-2)
    assert curves["round 2"][-1] < curves["round 2"][0]


@pytest.mark.parametrize("frozen_bf16", ["0", "1"])
@pytest.mark.parametrize("dropout", [0.0, 0.05])
def test_fused_lora_computes_what_peft_computes(tiny_model, tmp_path, monkeypatch, frozen_bf16, dropout):
    """Fused LoRA layers (the default): the same outputs and the same gradients as PEFT's own LoRA layers on a packed
    batch, in fp32 (to float rounding) and under bf16 autocast where the CPU has it (to bf16's), on an
    fp32 base and on the bf16 one (the default under bf16 autocast), without LoRA dropout and with a
    user's job's default (0.05; PEFT's layers then draw their masks as the fused ones do), the frozen
    base still without a gradient; layers outside the fused case keep PEFT's forward."""
    bf16 = autocast_dtype(torch.device("cpu")) is not None
    if frozen_bf16 == "1" and not bf16:
        pytest.skip("this CPU has no native bf16, so the base is never held in bf16")
    monkeypatch.setenv("TAILOR_DEVICE", "cpu")
    monkeypatch.setenv("TAILOR_FROZEN_BF16", frozen_bf16)
    monkeypatch.setenv("TAILOR_FUSED_LORA", "0")  # PEFT's layers first
    recipe = set_up(train_request(tiny_model, tmp_path, lora_dropout=dropout))
    model = recipe.model
    with torch.no_grad():  # PEFT starts B at zero, which would leave the low-rank path unchecked
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.normal_(0, 0.05)
    batch = model_batches(recipe.train_set[:6], True, recipe.row_tokens, 6, recipe.pad_id)[0]
    # a bf16 base computes under autocast only (as it trains)
    precisions = ([(None, 1e-5)] if frozen_bf16 == "0" else []) + ([(torch.bfloat16, 2e-2)] if bf16 else [])

    def run(amp):
        model.zero_grad()
        torch.manual_seed(0)  # the same dropout masks
        with torch.autocast("cpu", dtype=amp) if amp else torch.autocast("cpu", enabled=False):
            loss, _, _ = kernels.token_loss(model, batch)
        loss.backward()
        return loss.detach().float(), {n: p.grad.clone() for n, p in model.named_parameters() if p.requires_grad}

    dropouts = {m: m.lora_dropout["default"] for m in model.modules() if isinstance(m, LoraLinear)}
    for m in dropouts:  # the same masks: PEFT's dropout draws as the fused layers do
        m.lora_dropout["default"] = SameMask(dropout) if dropout else torch.nn.Identity()
    peft_runs = {amp: run(amp) for amp, _ in precisions}
    for m, d in dropouts.items():
        m.lora_dropout["default"] = d
    monkeypatch.delenv("TAILOR_FUSED_LORA")  # the default
    assert kernels.fuse_lora(model) == sum(isinstance(m, LoraLinear) for m in model.modules()) > 0
    blocks = model.get_base_model().model.layers
    assert kernels.lighter_rms_norms(model) == 2 * len(blocks) + 1  # as training sets up on the CPU
    # each MLP takes its gate/up group's output whole into its SwiGLU
    assert all(b.mlp.forward.__func__.func is kernels._swiglu_mlp_forward for b in blocks)
    peft_forward = LoraLinear.forward

    def not_fused(*args, **kwargs):
        raise AssertionError("a layer fell back to PEFT's forward")

    monkeypatch.setattr(LoraLinear, "forward", not_fused)
    # each block's q, k and v compute together, and its gate and up: one group run each, none alone
    alone, groups = [], []
    monkeypatch.setattr(kernels, "_fused_lora_forward", lambda layer, x: alone.append(layer) or _fused(layer, x))
    group_whole = kernels._SiblingGroup.whole
    monkeypatch.setattr(kernels._SiblingGroup, "whole", lambda group, x: groups.append(group) or group_whole(group, x))
    for amp, tol in precisions:
        alone.clear()
        groups.clear()
        loss, grads = run(amp)
        assert not alone and len(groups) == len({id(g) for g in groups}) == 2 * len(blocks)
        want_loss, want_grads = peft_runs[amp]
        assert loss == pytest.approx(want_loss.item(), rel=tol)
        for name, grad in grads.items():
            scale = want_grads[name].abs().max().item()
            assert (grad - want_grads[name]).abs().max().item() <= tol * max(scale, 1e-6), name
    assert all(p.grad is None for p in model.parameters() if not p.requires_grad)
    for b in blocks:  # their frozen weights are rows of one tensor
        q, k, v = (getattr(b.self_attn, n).base_layer.weight for n in ("q_proj", "k_proj", "v_proj"))
        assert k.data_ptr() == q.data_ptr() + q.shape[0] * q.stride(0) * q.element_size()
        assert v.data_ptr() == k.data_ptr() + k.shape[0] * k.stride(0) * k.element_size()
    monkeypatch.setattr(kernels, "_fused_lora_forward", _fused)
    monkeypatch.setattr(kernels._SiblingGroup, "whole", group_whole)
    monkeypatch.setattr(LoraLinear, "forward", peft_forward)
    # a weight that no longer views the concatenated one (a model moved or reloaded): the group steps
    # aside and each layer computes alone, with the weight it has now
    attn = blocks[0].self_attn
    q = attn.q_proj.base_layer
    q.weight = torch.nn.Parameter(q.weight.detach() * 2, requires_grad=False)
    x = torch.randn(1, 5, q.in_features)
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=frozen_bf16 == "1"):
        torch.manual_seed(0)
        got = [getattr(attn, n)(x) for n in ("q_proj", "k_proj", "v_proj")]
        torch.manual_seed(0)
        want = [_fused(getattr(attn, n), x) for n in ("q_proj", "k_proj", "v_proj")]
    assert all(torch.equal(g, w) for g, w in zip(got, want))
    layer = next(m for m in model.modules() if isinstance(m, LoraLinear))
    layer.lora_dropout["default"] = torch.nn.Dropout(0.5)
    x = torch.randn(3, layer.in_features)
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=frozen_bf16 == "1"):
        model.eval()  # dropout off
        unmasked = layer(x)
        model.train()
        torch.manual_seed(0)
        fused = layer(x)
        torch.manual_seed(0)
        layer.lora_dropout["default"] = SameMask(0.5)
        peft = type(layer).forward(layer, x)
    tol = 2e-2 if frozen_bf16 == "1" else 1e-5
    assert (fused - peft).abs().max().item() <= tol * peft.abs().max().item()  # the same mask as PEFT's
    assert (fused - unmasked).abs().max().item() > 10 * tol * peft.abs().max().item()  # and a mask at all


@BF16
def test_a_small_low_rank_update_is_not_rounded_away_in_bf16(tiny_model, tmp_path, monkeypatch):
    """On the bf16 base a LoRA layer's output is rounded to bf16 once, with the low-rank product inside
    the same sum: an update smaller than half a bf16 step of the base's output (as early in training)
    still moves the outputs by itself on average. Rounded once for the base's product and again after
    adding the update (PEFT's layers, and the fused ones until now), it is mostly lost, and bf16
    training lagged fp32's loss curve by up to 1% in its first steps (bench/README.md)."""
    monkeypatch.setenv("TAILOR_DEVICE", "cpu")
    monkeypatch.delenv("TAILOR_FROZEN_BF16", raising=False)
    monkeypatch.delenv("TAILOR_FUSED_LORA", raising=False)
    model = set_up(train_request(tiny_model, tmp_path)).model
    attn = model.get_base_model().model.layers[0].self_attn
    torch.manual_seed(0)
    for layer in (attn.k_proj, attn.o_proj):  # one of a sibling group, and one alone
        base = layer.base_layer
        x = torch.rand(1, 4096, base.in_features).to(torch.bfloat16)
        with torch.no_grad():
            plain = base(x).float()
            ulp = plain.abs().clamp_min(1e-3) * 2 ** -8  # a bf16 step at each output
            layer.lora_A["default"].weight.uniform_(0, 1)
            layer.lora_B["default"].weight.fill_(1)
            low = x.float() @ layer.lora_A["default"].weight.T @ layer.lora_B["default"].weight.T
            update = 0.1 * ulp.mean() * low / low.mean()  # positive, a tenth of a bf16 step on average
            layer.lora_B["default"].weight.mul_(0.1 * ulp.mean().item() / low.mean().item()
                                                / layer.scaling["default"])
            with torch.autocast("cpu", dtype=torch.bfloat16):
                if layer is attn.k_proj:
                    attn.q_proj(x)  # the group computes at its first member's call
                out = layer(x).float()
        moved = (out - plain).mean().item() / update.mean().item()
        assert 0.8 < moved < 1.2, (layer, moved)


def test_without_regrouping_the_frozen_weights_stay_where_they_are(tiny_model, tmp_path, monkeypatch):
    """As for a sharded base: the layers fuse, but no weight moves into a tensor of Tailor's (each
    process would keep the whole tensors beside its shards), and each layer still computes PEFT's."""
    monkeypatch.setenv("TAILOR_DEVICE", "cpu")
    monkeypatch.setenv("TAILOR_FROZEN_BF16", "0")
    monkeypatch.setenv("TAILOR_FUSED_LORA", "0")
    model = set_up(train_request(tiny_model, tmp_path)).model
    layers = [m for m in model.modules() if isinstance(m, LoraLinear)]
    where = [m.base_layer.weight.data_ptr() for m in layers]
    torch.manual_seed(0)
    with torch.no_grad():
        for m in layers:
            m.lora_B["default"].weight.normal_(0, 0.05)
    x = torch.randn(2, 5, layers[0].in_features)
    want = LoraLinear.forward(layers[0], x)
    monkeypatch.delenv("TAILOR_FUSED_LORA")
    assert kernels.fuse_lora(model, regroup=False) == len(layers)
    assert [m.base_layer.weight.data_ptr() for m in layers] == where
    assert not any(hasattr(m, "tailor_beside") for m in layers)
    assert all(m.forward.__func__ is kernels._fused_lora_forward for m in layers)
    assert torch.allclose(layers[0](x), want, atol=1e-5)


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="reads the process's mappings (Linux)")
def test_fused_layers_let_the_checkpoints_mapped_file_go(tiny_model, tmp_path, monkeypatch):
    """An fp32 base loads without a copy, each weight a view of the checkpoint's mapped file, which PEFT's
    layers train on. Fused layers copy their weights beside their B matrices; the embeddings and norms
    then leave the file too, so that its pages do not stay resident beside the copies (about 400 MB of
    SmolLM2's 538 MB file in fp32)."""
    monkeypatch.setenv("TAILOR_DEVICE", "cpu")
    monkeypatch.setenv("TAILOR_FROZEN_BF16", "0")
    base = shutil.copytree(tiny_model, tmp_path / "base")  # a file no other test's model maps
    (checkpoint,) = [str(p.resolve()) for p in Path(base).glob("*.safetensors")]

    def mapped() -> bool:
        gc.collect()
        return checkpoint in Path("/proc/self/maps").read_text()

    monkeypatch.setenv("TAILOR_FUSED_LORA", "0")
    recipe = set_up(train_request(str(base), tmp_path))
    assert mapped()
    del recipe
    assert not mapped()
    monkeypatch.delenv("TAILOR_FUSED_LORA")  # the default
    model = set_up(train_request(str(base), tmp_path)).model
    assert not mapped()
    ranges = kernels._file_ranges()
    assert not [n for n, t in [*model.named_parameters(), *model.named_buffers()]
                if any(low <= t.data_ptr() < high for low, high in ranges)]
    with safe_open(checkpoint, "pt") as f:  # the same values, in memory of their own
        name = next(k for k in f.keys() if k.endswith("embed_tokens.weight"))
        assert torch.equal(model.get_input_embeddings().weight, f.get_tensor(name))


def test_products_take_the_number_of_row_blocks_that_ran_fastest(monkeypatch):
    """A frozen layer's product in bf16 on the CPU (`kernels._rows_mm`): its first calls run whole, in 2
    and in 3 blocks of rows, each timed on its second call; later calls of that kind of product, at
    about the same number of rows, take the fastest. Every call computes a @ w to bf16's rounding; rows
    that are not a multiple of ROW_MULTIPLE, fewer than MIN_BLOCKED_ROWS, fp32, TAILOR_ROW_BLOCKS=0 or
    rows of any length (TAILOR_ROW_MULTIPLE=1, shapes that do not repeat) run whole."""
    torch.manual_seed(0)
    monkeypatch.setattr(kernels, "_BLOCKS", {})
    clock, ran = [0.0], []
    in_blocks = kernels._in_blocks

    def timed(a, w, blocks):  # 2 blocks take 1 s, the others 3 s
        ran.append(blocks)
        clock[0] += 1.0 if blocks == 2 else 3.0
        return in_blocks(a, w, blocks)

    monkeypatch.setattr(kernels, "_in_blocks", timed)
    monkeypatch.setattr(kernels, "time", SimpleNamespace(perf_counter=lambda: clock[0]))
    w = torch.randn(608, 576, dtype=torch.bfloat16).T  # as a layer's weight is read forward
    for rows in (864, 864, 864, 864, 864, 864, 800, 896):
        a = torch.randn(rows, 576, dtype=torch.bfloat16)
        out = kernels._rows_mm(a, w)
        ref = a.float() @ w.float()
        assert out.shape == (rows, 608) and (out.float() - ref).norm() <= 1e-2 * ref.norm()
    assert ran == [1, 1, 2, 2, 3, 3, 2, 2]
    assert list(kernels._BLOCKS) == [(3, 576, 608, w.stride())]
    ran.clear()
    for a in (torch.randn(863, 576, dtype=torch.bfloat16), torch.randn(480, 576, dtype=torch.bfloat16),
              torch.randn(864, 576)):
        kernels._rows_mm(a, w.float() if a.dtype == torch.float32 else w)
    for setting, off in (("ROW_BLOCKS", False), ("ROW_MULTIPLE", 1)):  # TAILOR_ROW_BLOCKS=0, TAILOR_ROW_MULTIPLE=1
        with monkeypatch.context() as m:
            m.setattr(kernels, setting, off)
            kernels._rows_mm(torch.randn(864, 576, dtype=torch.bfloat16), w)
    assert ran == []  # none of them went through the blocks


def test_blocks_of_rows_compute_the_whole_product():
    torch.manual_seed(0)
    for rows, inner, outputs in ((864, 3072, 608), (800, 592, 576), (544, 576, 1552)):
        a = torch.randn(rows, inner, dtype=torch.bfloat16)
        w = torch.randn(outputs, inner, dtype=torch.bfloat16).T
        whole = a @ w
        for blocks in (2, 3):
            out = kernels._in_blocks(a, w, blocks)
            assert out.shape == whole.shape
            assert (out.float() - whole.float()).abs().max() <= 2 ** -7 * whole.float().abs().max()


def test_the_loss_takes_blocks_of_rows_from_head_min_blocked_rows(monkeypatch):
    """The loss's output-gradient product (probs @ W, inner size the vocabulary) goes through
    `_rows_mm` from HEAD_MIN_BLOCKED_ROWS rows (a bf16 chunk's rows padded to ROW_MULTIPLE), and its
    gradient is the one computed whole."""
    torch.manual_seed(0)
    monkeypatch.setattr(kernels, "_BLOCKS", {})
    ran = []
    in_blocks = kernels._in_blocks
    monkeypatch.setattr(kernels, "_in_blocks", lambda a, w, blocks: ran.append((a.shape[0], blocks)) or in_blocks(a, w, blocks))
    weight = torch.randn(700, 64, dtype=torch.bfloat16)
    for positions, rows in ((300, 320), (200, None)):  # 320 rows reach 256; 224 do not
        hidden = torch.randn(positions, 64, dtype=torch.bfloat16)
        targets = torch.randint(0, 700, (positions,))
        grads = []
        for blocks in (True, False):
            monkeypatch.setattr(kernels, "ROW_BLOCKS", blocks)
            ran.clear()
            h = hidden.clone().requires_grad_()
            loss, _ = linear_cross_entropy(h, weight, targets)
            loss.backward()
            grads.append(h.grad)
            assert ran == ([(rows, 1)] if blocks and rows else [])
        torch.testing.assert_close(grads[0], grads[1])
    # the next calls of that kind try 2 and 3 blocks, then keep the fastest; each the same gradient
    monkeypatch.setattr(kernels, "ROW_BLOCKS", True)
    hidden = torch.randn(300, 64, dtype=torch.bfloat16)
    targets = torch.randint(0, 700, (300,))
    whole = None
    for _ in range(5):
        h = hidden.clone().requires_grad_()
        linear_cross_entropy(h, weight, targets)[0].backward()
        whole = h.grad if whole is None else whole
        assert (h.grad.float() - whole.float()).abs().max() <= 2 ** -7 * whole.float().abs().max()
    assert [b for _, b in ran[-5:]] == [1, 2, 2, 3, 3]


def test_the_fused_adamw_updates_as_adamw_does():
    """`adamw`: PyTorch's fused update where it has one (the CPU does), the same steps to float rounding
    as the plain one, with the same state to checkpoint; weight decay per group is kept."""
    torch.manual_seed(0)
    weights = [torch.randn(16, 576), torch.randn(576, 16), torch.randn(8)]
    grads = [[torch.randn_like(w) for w in weights] for _ in range(4)]
    runs = []
    for fused in (True, False):
        params = [torch.nn.Parameter(w.clone()) for w in weights]
        optimizer = adamw([{"params": params[:2], "weight_decay": 0.01}, {"params": params[2:], "weight_decay": 0.0}],
                          2e-3, fused=fused)
        assert bool(optimizer.defaults["fused"]) is fused
        for step in grads:
            for p, g in zip(params, step):
                p.grad = g.clone()
            optimizer.step()
        runs.append((params, optimizer.state_dict()))
    (fused, fused_state), (plain, plain_state) = runs
    for a, b, w in zip(fused, plain, weights):
        torch.testing.assert_close(a, b)
        assert not torch.equal(a.detach(), w)  # it moved
    assert fused_state["state"].keys() == plain_state["state"].keys()
    for key in ("exp_avg", "exp_avg_sq", "step"):
        for i in fused_state["state"]:
            torch.testing.assert_close(fused_state["state"][i][key], plain_state["state"][i][key])


def test_backward_multiplies_by_its_own_forwards_b():
    """A fused layer's backward (`_BesideB`) takes the B its forward took, also where another forward of
    the layer wrote another B beside the frozen weight in between; it writes B again only then."""
    torch.manual_seed(0)
    weight = torch.randn(24, 16)
    beside = torch.empty(24, 16 + 4)
    beside[:, :16] = weight
    writes = []
    for between in (False, True):
        x = torch.randn(8, 16, requires_grad=True)
        low = torch.randn(8, 4, requires_grad=True)
        b1, b2 = torch.randn(24, 4), torch.randn(24, 4)
        out = kernels._BesideB.apply(x, low, b1, beside, None)
        if between:
            kernels._BesideB.apply(torch.randn(8, 16), torch.randn(8, 4), b2, beside, None)
        g = torch.randn(8, 24)
        before = beside.tailor_b
        out.backward(g)
        writes.append(before is not beside.tailor_b)
        torch.testing.assert_close(x.grad, g @ weight)
        torch.testing.assert_close(low.grad, g @ b1)
        torch.testing.assert_close(out, x.detach() @ weight.T + low.detach() @ b1.T)
    assert writes == [False, True]


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_the_lighter_rms_norm_computes_what_llamas_computes(dtype):
    """`lighter_rms_norms`: a frozen LlamaRMSNorm's output to the bit, its input's gradient to the dtype's
    rounding; a norm whose weight trains keeps transformers' forward (and its weight gets a gradient)."""
    from transformers.models.llama.modeling_llama import LlamaRMSNorm

    torch.manual_seed(0)
    model = torch.nn.Sequential(LlamaRMSNorm(96, eps=1e-5), torch.nn.Linear(96, 8), LlamaRMSNorm(8))
    with torch.no_grad():
        model[0].weight.normal_(1, 0.2)
    model.to(dtype)
    model[0].weight.requires_grad_(False)
    x = torch.randn(2, 37, 96, dtype=dtype) * 3
    x_before = x.clone()
    g = torch.randn(2, 37, 8, dtype=dtype)
    runs = []
    for lighter in (False, True):
        if lighter:
            assert kernels.lighter_rms_norms(model) == 2
        model.zero_grad()
        xx = x.clone().requires_grad_()
        out = model(xx)
        out.backward(g)
        runs.append((model[0](x), out, xx.grad, model[2].weight.grad))
        assert torch.equal(xx.detach(), x)  # the input as it was
    (norm, out, grad, weight_grad), (norm2, out2, grad2, weight_grad2) = runs
    assert torch.equal(x, x_before)
    assert torch.equal(norm, norm2) and torch.equal(out, out2)
    tol = 1e-6 if dtype == torch.float32 else 2 ** -7
    assert (grad2 - grad).abs().max() <= tol * grad.abs().max()
    assert weight_grad2 is not None and torch.equal(weight_grad, weight_grad2)


def test_swiglu_computes_what_autograd_computes():
    """`_SwiGLU` on gate and up side by side: silu(gate) * up and its gradient, to the bit."""
    torch.manual_seed(0)
    both = torch.randn(2, 33, 2 * 48, dtype=torch.bfloat16)
    g = torch.randn(2, 33, 48, dtype=torch.bfloat16)
    a, b = both.clone().requires_grad_(), both.clone().requires_grad_()
    gate, up = a.split(48, -1)
    want = torch.nn.functional.silu(gate) * up
    want.backward(g)
    got = kernels._SwiGLU.apply(b, 48)
    got.backward(g)
    assert torch.equal(got, want) and torch.equal(b.grad, a.grad)


def test_an_mlp_whose_projections_cannot_group_keeps_its_own_forward(tiny_model, tmp_path, monkeypatch):
    """Gate and up projections that cannot be grouped (here one has a bias, the other none): the MLP
    keeps transformers' forward, the other takes the SwiGLU, and training computes. An MLP whose forward
    something else replaced already (as Liger's SwiGLU is, on CUDA) keeps that."""
    monkeypatch.setenv("TAILOR_DEVICE", "cpu")
    for case in ("bias", "replaced"):
        monkeypatch.setenv("TAILOR_FUSED_LORA", "0")
        (tmp_path / case).mkdir()
        recipe = set_up(train_request(tiny_model, tmp_path / case))
        monkeypatch.delenv("TAILOR_FUSED_LORA")
        blocks = recipe.model.get_base_model().model.layers
        kept = blocks[0].mlp
        if case == "bias":
            up = kept.up_proj.base_layer
            up.bias = torch.nn.Parameter(torch.zeros(up.out_features, dtype=up.weight.dtype), requires_grad=False)
        else:
            kept.forward = replaced = types.MethodType(type(kept).forward, kept)
        assert kernels.fuse_lora(recipe.model) > 0
        assert ("forward" not in vars(kept)) if case == "bias" else kept.forward is replaced
        assert len(blocks) > 1 and all(b.mlp.forward.__func__.func is kernels._swiglu_mlp_forward for b in blocks[1:])
        batch = model_batches(recipe.train_set[:4], True, recipe.row_tokens, 4, recipe.pad_id)[0]
        with recipe.autocast:
            loss, _, _ = kernels.token_loss(recipe.model, batch)
        loss.backward()
        assert torch.isfinite(loss) and kept.up_proj.lora_A["default"].weight.grad is not None
