"""Packing changes how examples are laid out, never what the model computes or learns: positions
restart per example, no example attends to another, the segmented attention and the trained-positions
loss equal transformers' own, and packed training follows the padded run's loss curve.

The tests marked with a device run on the CPU and, where there is one, on CUDA (bf16 weights and
PyTorch's varlen flash attention there): `bash scripts/gpu-check.sh` runs them on a GPU."""

import os
import subprocess
import sys
import threading
import types
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from safetensors import safe_open

from tailor_engine import kernels
from tailor_engine.data import IGNORE, collate, collate_packed, encode, pack
from tailor_engine.kernels import linear_cross_entropy, use_packed_attention
from tailor_engine.model import Located, attach_lora, load_model, load_tokenizer
from tailor_engine.train import evaluate, token_loss, train

from .conftest import Collect, support_examples, train_request, write_jsonl

CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
DEVICES = ["cpu", pytest.param("cuda", marks=CUDA)]
# packed and padded runs sum in different orders: fp32 on the CPU agrees far closer than bf16 on CUDA
LOSS_TOLERANCE = {"cpu": 1e-3, "cuda": 1e-2}


@pytest.fixture
def tiny(tiny_model):
    located = Located(Path(tiny_model))
    tokenizer = load_tokenizer(located)
    examples = [encode(tokenizer, m, 256) for m in support_examples(6)]
    examples[2] = encode(tokenizer, [{"role": "user", "content": "word " * 40}, {"role": "assistant", "content": "ok"}], 256)
    return located, tokenizer, examples


def test_rows_restart_positions_and_keep_boundaries(tiny):
    _, _, examples = tiny
    rows = pack(examples, 200)
    assert sorted(id(e) for r in rows for e in r) == sorted(id(e) for e in examples)
    assert all(sum(len(e.input_ids) for e in r) <= 200 for r in rows) and len(rows) < len(examples)
    row = rows[0]
    batch = collate_packed(row)
    lengths = [len(e.input_ids) for e in row]
    assert batch["cu_seq_lens_q"].tolist() == [sum(lengths[:i]) for i in range(len(lengths) + 1)]
    assert batch["position_ids"][0].tolist() == [p for n in lengths for p in range(n)]
    assert batch["attention_mask"].all() and batch["input_ids"].shape == (1, sum(lengths))
    # targets are each example's own next tokens: never across a boundary
    starts = set(batch["cu_seq_lens_q"][1:].tolist())
    assert not {int(i) + 1 for i in batch["target_index"]} & starts
    flat = [x for e in row for x in e.labels]
    assert batch["targets"].tolist() == [flat[int(i) + 1] for i in batch["target_index"]]
    assert len(batch["targets"]) == sum(sum(1 for x in e.labels[1:] if x != IGNORE) for e in row)
    assert pack(examples, 10) == [[e] for e in sorted(examples, key=lambda e: len(e.input_ids), reverse=True)]


def test_an_example_computes_the_same_alone_and_packed(tiny):
    """Segmented attention against transformers' SDPA on each example alone: same hidden states."""
    located, _, examples = tiny
    torch.manual_seed(0)
    model = load_model(located)
    model.eval()
    with torch.no_grad():
        alone = [model.model(input_ids=torch.tensor([e.input_ids])).last_hidden_state[0] for e in examples]
        use_packed_attention(model)
        batch = collate_packed(examples)
        inputs = {k: v for k, v in batch.items() if k not in ("target_index", "targets")}
        packed = model.model(**inputs).last_hidden_state[0]
        # without the boundaries, later examples would see earlier ones: the outputs differ
        unbounded = model.model(input_ids=batch["input_ids"]).last_hidden_state[0]
    bounds = batch["cu_seq_lens_q"].tolist()
    for e, ref, s, t in zip(examples, alone, bounds, bounds[1:]):
        assert t - s == len(e.input_ids)
        torch.testing.assert_close(packed[s:t], ref, rtol=1e-4, atol=1e-5)
    assert not torch.allclose(unbounded[bounds[1]:bounds[2]], alone[1], atol=1e-3)


def test_trained_positions_loss_and_gradients_equal_full_logits(tiny, monkeypatch):
    located, tokenizer, examples = tiny
    monkeypatch.setattr(kernels, "LOSS_CHUNK", 7)  # several chunks, the last one partial
    torch.manual_seed(0)
    model = attach_lora(load_model(located), 8, 16, 0.0, "all-linear")
    batch = collate(examples[:3], tokenizer.pad_token_id)
    # the reference: full logits, shifted labels, transformers-style cross-entropy
    logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    ref = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), batch["labels"][:, 1:].reshape(-1),
                          ignore_index=IGNORE, reduction="sum")
    ref.backward()
    ref_grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.requires_grad}
    model.zero_grad()
    loss, correct, count = token_loss(model, batch)
    loss.backward()
    assert correct is None  # a training step does not count hits
    with torch.no_grad():
        _, correct, _ = token_loss(model, batch)
    assert count == int((batch["labels"][:, 1:] != IGNORE).sum())
    torch.testing.assert_close(loss, ref.detach(), rtol=1e-5, atol=1e-4)
    for n, p in model.named_parameters():
        if p.requires_grad:
            torch.testing.assert_close(p.grad, ref_grads[n], rtol=1e-3, atol=1e-3 * float(ref_grads[n].abs().max()))
    keep = batch["labels"][:, 1:] != IGNORE
    assert int(correct) == int((logits[:, :-1].argmax(-1)[keep] == batch["labels"][:, 1:][keep]).sum())


def test_a_row_made_a_multiple_long_computes_the_same(tiny):
    """collate_packed(row, multiple): the row ends in a segment of padding of its own, without targets,
    that makes it a multiple of `multiple` long; the loss and every LoRA gradient are the unpadded row's."""
    located, tokenizer, examples = tiny
    torch.manual_seed(0)
    model = attach_lora(load_model(located), 8, 16, 0.0, "all-linear")
    use_packed_attention(model)
    plain = collate_packed(examples)
    padded = collate_packed(examples, 32, tokenizer.pad_token_id)
    n, m = plain["input_ids"].shape[1], padded["input_ids"].shape[1]
    assert m % 32 == 0 and n < m < n + 32
    assert padded["cu_seq_lens_q"].tolist() == plain["cu_seq_lens_q"].tolist() + [m]
    assert padded["input_ids"][0, n:].tolist() == [tokenizer.pad_token_id] * (m - n)
    assert padded["position_ids"][0, n:].tolist() == list(range(m - n))
    assert torch.equal(padded["targets"], plain["targets"]) and torch.equal(padded["target_index"], plain["target_index"])
    runs = []
    for batch in (plain, padded):
        model.zero_grad()
        loss, _, count = token_loss(model, batch)
        loss.backward()
        runs.append((loss.detach(), count, {k: p.grad.clone() for k, p in model.named_parameters() if p.requires_grad}))
    (loss, count, grads), (padded_loss, padded_count, padded_grads) = runs
    assert padded_count == count
    torch.testing.assert_close(padded_loss, loss, rtol=1e-6, atol=1e-5)
    for k, g in grads.items():
        torch.testing.assert_close(padded_grads[k], g, rtol=1e-4, atol=1e-6)
    assert collate_packed(examples, 1)["input_ids"].shape[1] == n


def test_the_loss_in_bf16_pads_its_rows_to_row_multiple(monkeypatch):
    """In bf16 on the CPU each chunk of the loss's positions is made a multiple of ROW_MULTIPLE rows
    with zero rows: the loss and the gradients are those of the positions alone."""
    torch.manual_seed(0)
    shapes = []
    matmul = torch.matmul
    monkeypatch.setattr(torch, "matmul", lambda a, b, **kw: shapes.append(a.shape[0]) or matmul(a, b, **kw))
    hidden = torch.randn(37, 64, dtype=torch.bfloat16)
    weight = torch.randn(500, 64, dtype=torch.bfloat16)
    targets = torch.randint(0, 500, (37,))
    runs = []
    for multiple in (32, 1):
        monkeypatch.setattr(kernels, "ROW_MULTIPLE", multiple)
        h, w = hidden.clone().requires_grad_(), weight.clone().requires_grad_()
        shapes.clear()
        loss, _ = linear_cross_entropy(h, w, targets)
        loss.backward()
        runs.append((shapes[:], loss.detach(), h.grad, w.grad))
    (rows, loss, gh, gw), (plain_rows, plain, plain_gh, plain_gw) = runs
    assert rows == [64] and plain_rows == [37]
    torch.testing.assert_close(loss, plain)
    torch.testing.assert_close(gh, plain_gh)
    torch.testing.assert_close(gw, plain_gw)
    reference = F.cross_entropy(hidden.float() @ weight.float().T, targets, reduction="sum")
    assert abs(float(loss) - float(reference)) <= 1e-2 * float(reference)


def test_linear_cross_entropy_gives_the_weight_gradient_when_it_is_trained():
    torch.manual_seed(0)
    hidden = torch.randn(10, 8, requires_grad=True)
    weight = torch.randn(30, 8, requires_grad=True)
    targets = torch.randint(0, 30, (10,))
    loss, _ = linear_cross_entropy(hidden, weight, targets)
    (2 * loss).backward()
    h2, w2 = hidden.detach().clone().requires_grad_(), weight.detach().clone().requires_grad_()
    (2 * F.cross_entropy(h2 @ w2.T, targets, reduction="sum")).backward()
    torch.testing.assert_close(hidden.grad, h2.grad)
    torch.testing.assert_close(weight.grad, w2.grad)


def test_the_loss_in_fp32_takes_its_log_softmax_in_place_in_one_buffer(monkeypatch):
    """In fp32 the logits and their log-probabilities share one kept buffer (no second chunk-sized
    tensor, no copy between them): loss, argmax hits and gradients are cross-entropy's, chunk after
    chunk and call after call through the same buffer."""
    torch.manual_seed(0)
    monkeypatch.setattr(kernels, "LOSS_CHUNK", 8)
    monkeypatch.setattr(kernels, "_LOSS_BUFFERS", {})
    weight = torch.randn(300, 16)
    for rows in (21, 13):  # three chunks, then two in the buffer the first call made
        hidden = torch.randn(rows, 16, requires_grad=True)
        targets = torch.randint(0, 300, (rows,))
        loss, _ = linear_cross_entropy(hidden, weight, targets)
        loss.backward()
        h = hidden.detach().clone().requires_grad_()
        logits = h @ weight.T
        want = F.cross_entropy(logits, targets, reduction="sum")
        want.backward()
        torch.testing.assert_close(loss, want)
        torch.testing.assert_close(hidden.grad, h.grad)
        with torch.no_grad():
            _, correct = linear_cross_entropy(hidden.detach(), weight, targets)
        assert int(correct) == int((logits.argmax(-1) == targets).sum())
    (low, high), = kernels._LOSS_BUFFERS.values()
    assert low is high and low.dtype == torch.float32


@pytest.mark.parametrize("device", DEVICES)
def test_packed_evaluation_equals_padded(tiny, device, monkeypatch):
    """On CUDA in bf16, as training runs there; the packed pass must run PyTorch's varlen flash kernel."""
    located, tokenizer, examples = tiny
    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    model = load_model(located, dtype).to(device)
    padded = evaluate(model, examples, 2, tokenizer.pad_token_id, torch.device(device))
    use_packed_attention(model)
    flash, varlen = [], kernels._varlen_flash

    def noted(*args, **kwargs):
        flash.append(varlen(*args, **kwargs))
        return flash[-1]

    monkeypatch.setattr(kernels, "_varlen_flash", noted)
    packed = evaluate(model, examples, 2, tokenizer.pad_token_id, torch.device(device), packing=True, row_tokens=200)
    assert packed == pytest.approx(padded, rel=1e-5 if device == "cpu" else 1e-2)
    if device == "cuda":
        assert flash and all(f is not None for f in flash), "varlen flash attention fell back to the segment loop"


@pytest.mark.parametrize("device", DEVICES)
def test_packed_and_padded_training_learn_the_same(tiny_model, tmp_path, device, monkeypatch):
    # a gentle learning rate: at 0.01 the random tiny model's updates are chaotic enough to magnify the
    # float rounding of different summation orders past the tolerance within six steps
    monkeypatch.setenv("TAILOR_DEVICE", device)
    curves = {}
    for packing in (True, False):
        run = tmp_path / str(packing)
        run.mkdir()
        events = Collect()
        train(train_request(tiny_model, run, epochs=3, batch_size=4, gradient_accumulation_steps=2,
                            packing=packing, learning_rate=0.002), events, threading.Event())
        curves[packing] = [m["train_loss"] for m in events.of("metrics")]
    assert len(curves[True]) == 6
    assert curves[True] == pytest.approx(curves[False], rel=LOSS_TOLERANCE[device])
    assert curves[True][-1] < curves[True][0]


def test_compiled_mlps_learn_the_same(tiny_model, tmp_path, monkeypatch):
    """TAILOR_COMPILE=1 (torch.compile of the MLPs) changes speed, not the loss curve or the adapter."""
    curves, adapters = {}, {}
    for compiled in ("0", "1"):
        monkeypatch.setenv("TAILOR_COMPILE", compiled)
        run = tmp_path / compiled
        run.mkdir()
        events = Collect()
        train(train_request(tiny_model, run, epochs=1, batch_size=4, gradient_accumulation_steps=2,
                            learning_rate=0.002), events, threading.Event())
        curves[compiled] = [m["train_loss"] for m in events.of("metrics")]
        with safe_open(str(run / "out" / "adapter_model.safetensors"), "pt") as f:
            adapters[compiled] = sorted(f.keys())
    assert curves["1"] == pytest.approx(curves["0"], rel=1e-3)
    assert adapters["1"] == adapters["0"]  # the same tensor names: PEFT loads either adapter


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float32])
@pytest.mark.parametrize("groups", [3, 1])
def test_short_segments_take_the_grouped_math_path_and_agree_with_flash(monkeypatch, dtype, groups):
    """On the CPU, segments under MATH_BELOW (by dtype) attend through the grouped math path: the same
    result as SDPA's flash kernel on keys and values repeated per query head, forward and gradients,
    within the dtype's rounding; from MATH_BELOW on, and everywhere with TAILOR_MATH_ATTENTION_BELOW=0,
    flash runs in bf16 and in fp32 without a gradient or with TAILOR_BLOCKED_ATTENTION=0, and the
    blocked path (`_BlockedAttention`) in fp32 training."""
    from torch.nn.attention import SDPBackend, sdpa_kernel

    torch.manual_seed(0)
    below = kernels.MATH_BELOW[dtype]
    assert below > 0
    for length in (1, 37, below - 1):
        q = torch.randn(1, 9, length, 64, dtype=dtype, requires_grad=True)
        k, v = (torch.randn(1, 9 // groups, length, 64, dtype=dtype, requires_grad=True) for _ in range(2))
        out = kernels._segment_attention(q, k, v, 0.0, None)
        grads = torch.autograd.grad(out.float().square().sum(), (q, k, v))
        with sdpa_kernel(SDPBackend.FLASH_ATTENTION):
            ref = F.scaled_dot_product_attention(q, k.repeat_interleave(groups, 1), v.repeat_interleave(groups, 1),
                                                 is_causal=True)
        ref_grads = torch.autograd.grad(ref.float().square().sum(), (q, k, v))
        tol = 2e-2 if dtype == torch.bfloat16 else 1e-4
        assert out.shape == ref.shape and out.dtype == dtype
        # relative to the reference's size (at least 1: a one-token segment's key gradient is 0)
        assert (out.float() - ref.float()).norm() <= tol * max(ref.float().norm(), 1.0)
        for g, r in zip(grads, ref_grads):
            assert (g.float() - r.float()).norm() <= tol * max(r.float().norm(), 1.0)
        # which kernel ran shows in the autograd graph: the grouped path ends in a batched matmul
        assert "Bmm" in last_steps(out)
    long = [t.detach().repeat(1, 1, 2, 1)[:, :, :below].requires_grad_() for t in (q, k, v)]
    from_below = "_BlockedAttention" if dtype == torch.float32 else "Flash"
    assert from_below in last_steps(kernels._segment_attention(*long, 0.0, None))
    monkeypatch.setattr(kernels, "MATH_BELOW", {dtype: 0})
    assert from_below in last_steps(kernels._segment_attention(q, k, v, 0.0, None))
    monkeypatch.setattr(kernels, "BLOCKED_ATTENTION", False)
    assert "Flash" in last_steps(kernels._segment_attention(q, k, v, 0.0, None))


def last_steps(out: torch.Tensor, depth: int = 3) -> str:
    """The names of the autograd nodes within `depth` steps of `out`'s."""
    names, level = [], [out.grad_fn]
    for _ in range(depth):
        names += [type(f).__name__ for f in level]
        level = [n for f in level for n, _ in f.next_functions if n is not None]
    return " ".join(names)


@pytest.mark.parametrize("groups", [3, 1])
@pytest.mark.parametrize("keep", [True, False], ids=["kept", "recomputed"])
def test_long_segments_attend_in_blocks_as_sdpa_does_in_fp32(groups, keep):
    """`_BlockedAttention` (fp32 training, segments from MATH_BELOW tokens): the causal attention SDPA
    computes in float64, forward and gradients, to fp32's rounding, for lengths that fill their last
    block of BLOCK_PLACES and lengths that do not, the inputs laid out as the projections give them;
    the blocks' probabilities kept for backward or computed again give the same gradients, to the bit."""
    torch.manual_seed(0)
    heads, dim = 9, 64
    for length in (kernels.BLOCK_PLACES, kernels.BLOCK_PLACES + 1, 300, 333):
        q = torch.randn(1, length, heads, dim, dtype=torch.float64).transpose(1, 2).requires_grad_()
        k, v = (torch.randn(1, length, heads // groups, dim, dtype=torch.float64).transpose(1, 2).requires_grad_()
                for _ in range(2))
        upstream = torch.randn(1, heads, length, dim, dtype=torch.float64)
        ref = F.scaled_dot_product_attention(q, k.repeat_interleave(groups, 1), v.repeat_interleave(groups, 1),
                                             is_causal=True)
        ref_grads = torch.autograd.grad(ref, (q, k, v), upstream)
        runs = {}
        for kept in (keep, not keep):
            q32, k32, v32 = (t.detach().float().requires_grad_() for t in (q, k, v))
            out = kernels._BlockedAttention.apply(q32, k32, v32, dim ** -0.5, kept)
            runs[kept] = (out, torch.autograd.grad(out, (q32, k32, v32), upstream.float()))
        out, grads = runs[keep]
        assert out.shape == ref.shape and out.dtype == torch.float32
        assert (out.double() - ref).abs().max() < 1e-5
        for g, r in zip(grads, ref_grads):
            assert g.shape == r.shape and (g.double() - r).abs().max() < 1e-4 * max(r.abs().max().item(), 1.0)
        for g, other in zip(grads, runs[not keep][1]):
            assert torch.equal(g, other)


def test_a_row_keeps_probabilities_for_its_shortest_long_segments_within_the_budget(monkeypatch):
    """A packed row keeps the blocks' probabilities of its segments from MATH_BELOW tokens on, the
    shortest first, while a layer's share of PROBS_BUDGET lasts; none without a gradient (evaluation),
    none at a budget of 0 (TAILOR_ATTENTION_PROBS_MB=0), none off the blocked path."""
    module = torch.nn.Module()
    module.config = types.SimpleNamespace(num_hidden_layers=30)
    lengths = [900, 300, 40, 600]
    sizes = {i: kernels._blocked_probs_bytes(n, 9) for i, n in enumerate(lengths)}
    assert sizes[0] > sizes[3] > sizes[1]  # about 4 x heads x L^2 / 2 bytes
    assert sizes[0] == 4 * 9 * sum(min(64, 900 - s) * min(900, s + 64) for s in range(0, 900, 64))
    q = torch.zeros(1, 9, sum(lengths), 64, requires_grad=True)
    k = torch.zeros(1, 3, sum(lengths), 64)
    monkeypatch.setattr(kernels, "PROBS_BUDGET", 30 * (sizes[1] + sizes[3]))
    assert kernels._kept_probs(module, q, k, lengths, 0.0) == {1, 3}
    monkeypatch.setattr(kernels, "PROBS_BUDGET", 30 * (sizes[1] + sizes[3]) - 1)
    assert kernels._kept_probs(module, q, k, lengths, 0.0) == {1}
    assert kernels._kept_probs(module, q.detach(), k, lengths, 0.0) == set()
    assert kernels._kept_probs(module, q, k, lengths, 0.1) == set()
    monkeypatch.setattr(kernels, "PROBS_BUDGET", 0)
    assert kernels._kept_probs(module, q, k, lengths, 0.0) == set()


def test_the_probabilities_budget_is_the_setting_or_an_eighth_of_the_available_memory(tmp_path):
    """TAILOR_ATTENTION_PROBS_MB in megabytes where it is set (0: none kept); otherwise an eighth of
    Linux's MemAvailable, shared by the processes torchrun starts on the machine, and none where that
    cannot be read; a setting that is not a whole number of megabytes says so, and the engine does not
    start on it."""
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:       24683772 kB\nMemFree:         1048576 kB\nMemAvailable:   16777216 kB\n")
    assert kernels.probs_budget(None, str(meminfo)) == 2 << 30  # 16 GiB available
    assert kernels.probs_budget("", str(meminfo)) == 2 << 30
    assert kernels.probs_budget("0", str(meminfo)) == 0
    assert kernels.probs_budget(" 384 ", str(meminfo)) == 384 << 20
    assert kernels.probs_budget(None, str(meminfo), processes=2) == 1 << 30  # two ranks on one machine
    assert kernels.probs_budget("384", str(meminfo), processes=2) == 384 << 20  # a setting is each process's
    assert kernels.probs_budget(None, str(tmp_path / "missing")) == 0
    meminfo.write_text("MemTotal:       24683772 kB\n")  # a kernel without MemAvailable
    assert kernels.probs_budget(None, str(meminfo)) == 0
    with pytest.raises(ValueError, match=r"TAILOR_ATTENTION_PROBS_MB is '1.5GB': give a whole number of megabytes"):
        kernels.probs_budget("1.5GB")
    engine = str(Path(__file__).resolve().parents[1])
    read = [sys.executable, "-c", "from tailor_engine import kernels; print(kernels.PROBS_BUDGET)"]
    env = {**os.environ, "PYTHONPATH": engine, "TAILOR_ATTENTION_PROBS_MB": "384"}
    assert subprocess.run(read, env=env, capture_output=True, text=True, check=True).stdout.split()[-1] == str(384 << 20)
    bad = subprocess.run(read, env={**env, "TAILOR_ATTENTION_PROBS_MB": "-1"}, capture_output=True, text=True)
    assert bad.returncode != 0 and "TAILOR_ATTENTION_PROBS_MB is '-1'" in bad.stderr
    # under torchrun with 4 processes on this machine, each takes a quarter of the eighth
    env.pop("TAILOR_ATTENTION_PROBS_MB")
    ranks = int(subprocess.run(read, env={**env, "LOCAL_WORLD_SIZE": "4"}, capture_output=True, text=True,
                               check=True).stdout.split()[-1])
    alone = kernels.probs_budget(None)
    assert alone > 0 and 0.8 < 4 * ranks / alone < 1.25  # MemAvailable moves a little between the reads


def test_training_on_long_examples_learns_the_same_with_blocked_attention(tiny_model, tmp_path, monkeypatch):
    """Training in fp32 on examples of 300 to 500 tokens (blocked attention, probabilities kept and not,
    against SDPA's flash kernel): the same loss curve. Kept, each block's probabilities are computed
    once; computed again in backward, twice."""
    long = [[{"role": "user", "content": "word " * n}, {"role": "assistant", "content": "fine " * 30}]
            for n in (280, 320, 360, 400, 440, 480, 300, 340)]
    curves, computed = {}, []
    probs = kernels._block_probs
    monkeypatch.setattr(kernels, "_block_probs", lambda *args: computed.append(1) or probs(*args))
    blocks = {}
    for name, blocked, budget in (("flash", "0", "512"), ("kept", "1", "4096"), ("recomputed", "1", "0")):
        monkeypatch.setattr(kernels, "BLOCKED_ATTENTION", blocked == "1")
        monkeypatch.setattr(kernels, "PROBS_BUDGET", int(budget) << 20)
        computed.clear()
        run = tmp_path / name
        run.mkdir()
        events = Collect()
        request = train_request(tiny_model, run, epochs=2, batch_size=4, gradient_accumulation_steps=1,
                                learning_rate=0.002, max_seq_length=1024,
                                train_file=write_jsonl(run / "long.jsonl", long))
        train(request, events, threading.Event())
        curves[name] = [m["train_loss"] for m in events.of("metrics")]
        blocks[name] = len(computed)
    assert blocks["flash"] == 0 and blocks["kept"] > 0 and blocks["recomputed"] == 2 * blocks["kept"]
    assert len(curves["flash"]) == 4
    assert curves["kept"] == pytest.approx(curves["flash"], rel=1e-4)
    assert curves["recomputed"] == curves["kept"]


def test_segments_attend_as_multiples_of_segment_multiple_in_bf16(monkeypatch):
    """In bf16 on the CPU the grouped math path computes a segment as if it were a multiple of
    SEGMENT_MULTIPLE long (zeros after it), so that oneDNN reuses its matmuls: every product it makes
    has such a length, and what comes out is the segment's own attention, forward and gradients, as
    without the padding to bf16's rounding; in fp32 (MKL's matmuls) nothing is padded."""
    assert kernels.SEGMENT_MULTIPLE == 16  # the default
    torch.manual_seed(0)
    made = []
    bias = kernels._causal_bias.__wrapped__
    monkeypatch.setattr(kernels, "_causal_bias", lambda n, *rest: made.append(n) or bias(n, *rest))
    for dtype, tol in ((torch.bfloat16, 1e-2), (torch.float32, 0)):
        for length in (1, 16, 37, 100):
            q = torch.randn(1, 9, length, 64, dtype=dtype, requires_grad=True)
            k, v = (torch.randn(1, 3, length, 64, dtype=dtype, requires_grad=True) for _ in range(2))
            runs = {}
            for multiple in (16, 1):
                monkeypatch.setattr(kernels, "SEGMENT_MULTIPLE", multiple)
                made.clear()
                out = kernels._segment_attention(q, k, v, 0.0, None)
                runs[multiple] = (out, torch.autograd.grad(out.float().square().sum(), (q, k, v)), made[:])
            (padded, padded_grads, lengths), (plain, plain_grads, _) = runs[16], runs[1]
            expected = -(-length // 16) * 16 if dtype == torch.bfloat16 else length
            assert lengths == [expected] and padded.shape == plain.shape == q.shape
            assert (padded.float() - plain.float()).norm() <= tol * plain.float().norm()
            for g, r in zip(padded_grads, plain_grads):
                assert (g.float() - r.float()).norm() <= tol * max(r.float().norm(), 1.0)


def test_a_packed_row_attends_within_each_example(monkeypatch):
    """packed_attention over a row of segments of mixed lengths (some on the grouped math path, the
    others in fp32 training on the blocked path, with and without their probabilities kept, or on
    flash) equals each segment's own causal attention, and its gradients too."""
    torch.manual_seed(0)
    monkeypatch.setattr(kernels, "MATH_BELOW", {torch.float32: 64})
    lengths = [5, 80, 1, 63, 64]
    cu = torch.tensor([0, *torch.tensor(lengths).cumsum(0).tolist()], dtype=torch.int32)
    q = torch.randn(1, 6, sum(lengths), 16, requires_grad=True)
    k, v = (torch.randn(1, 2, sum(lengths), 16, requires_grad=True) for _ in range(2))
    module = torch.nn.Module()
    refs = [F.scaled_dot_product_attention(q[:, :, s:e], k[:, :, s:e].repeat_interleave(3, 1),
                                           v[:, :, s:e].repeat_interleave(3, 1), is_causal=True)
            for s, e in zip(cu[:-1].tolist(), cu[1:].tolist())]
    ref = torch.cat(refs, dim=2).transpose(1, 2)
    ref_grads = torch.autograd.grad(ref.square().sum(), (q, k, v))
    # the 80- and 64-token segments: blocked, probabilities kept (budget) or not (none); or flash
    for blocked, budget in ((True, 1 << 30), (True, 0), (False, 1 << 30)):
        monkeypatch.setattr(kernels, "BLOCKED_ATTENTION", blocked)
        monkeypatch.setattr(kernels, "PROBS_BUDGET", budget)
        out, _ = kernels.packed_attention(module, q, k, v, None, cu_seq_lens_q=cu, max_length_q=max(lengths))
        grads = torch.autograd.grad(out.square().sum(), (q, k, v))
        assert ("_BlockedAttention" in last_steps(out, 5)) == blocked
        torch.testing.assert_close(out, ref, rtol=1e-4, atol=1e-5)
        for g, r in zip(grads, ref_grads):
            torch.testing.assert_close(g, r, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
@pytest.mark.parametrize("places_first", [True, False], ids=["as-projected", "heads-first"])
def test_a_row_of_short_segments_attends_in_one_function_as_segment_by_segment(monkeypatch, dtype, places_first):
    """Where every segment of a packed row takes the grouped math path, the row attends through one
    autograd function (`_PackedMathAttention`): the same output as segment by segment
    (TAILOR_PACKED_MATH=0), to the bit, and the same gradients to the dtype's rounding, segments of
    lengths that are and are not multiples of SEGMENT_MULTIPLE alike (bf16 rounds them up, and the
    extra places must leave no trace), the inputs laid out as the projections give them (places
    first) or heads first. A row with a segment from MATH_BELOW on, or attention
    dropout, goes segment by segment."""
    torch.manual_seed(0)
    lengths = [5, 37, 1, 16, 100, 20, 33]
    n = sum(lengths)
    cu = torch.tensor([0, *torch.tensor(lengths).cumsum(0).tolist()], dtype=torch.int32)
    # as the projections give them, (1, n, heads, dim) seen as (1, heads, n, dim), or heads first
    made = ((lambda h: torch.randn(1, n, h, 64, dtype=dtype).transpose(1, 2)) if places_first
            else (lambda h: torch.randn(1, h, n, 64, dtype=dtype)))
    q, k, v = (made(h).requires_grad_() for h in (9, 3, 3))
    upstream = torch.randn(1, n, 9, 64, dtype=dtype)
    module = torch.nn.Module()
    runs = {}
    for one in (True, False):
        monkeypatch.setattr(kernels, "PACKED_MATH", one)
        out, _ = kernels.packed_attention(module, q, k, v, None, cu_seq_lens_q=cu, max_length_q=max(lengths))
        assert ("_PackedMathAttention" in last_steps(out, 1)) == one
        runs[one] = (out, torch.autograd.grad(out, (q, k, v), upstream))
    (out, grads), (ref, ref_grads) = runs[True], runs[False]
    assert out.shape == ref.shape == (1, n, 9, 64) and out.dtype == dtype
    assert torch.equal(out, ref)
    tol = 1e-2 if dtype == torch.bfloat16 else 1e-5
    for g, r in zip(grads, ref_grads):
        assert g.shape == r.shape and g.dtype == r.dtype
        assert (g.float() - r.float()).norm() <= tol * r.float().norm()
    monkeypatch.setattr(kernels, "PACKED_MATH", True)
    monkeypatch.setattr(kernels, "MATH_BELOW", {dtype: 100})  # the 100-token segment: flash
    out, _ = kernels.packed_attention(module, q, k, v, None, cu_seq_lens_q=cu, max_length_q=max(lengths))
    assert "_PackedMathAttention" not in last_steps(out, 1)
    module.train()
    monkeypatch.setattr(kernels, "MATH_BELOW", {dtype: 512})
    out, _ = kernels.packed_attention(module, q, k, v, None, dropout=0.1, cu_seq_lens_q=cu, max_length_q=max(lengths))
    assert "_PackedMathAttention" not in last_steps(out, 1)
