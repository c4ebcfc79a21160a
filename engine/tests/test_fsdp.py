"""The base sharded across the processes of a torchrun run (fsdp.py, the train request's `shard`): two
processes that each hold half of the base's weights take the steps of one, a checkpoint of theirs
resumes the same curve, and their model is a plain PEFT adapter that loads unsharded; `shard` in one
process changes nothing; and on two gloo ranks in this machine the sharded loss and LoRA gradients are
the unsharded ones, with a tied output layer and through the model's own forward."""

import copy
import json
import os
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
import torch.multiprocessing as mp

from tailor_engine import distributed, fsdp
from tailor_engine.kernels import token_loss
from tailor_engine.model import attach_lora

from .test_distributed import LOSS_RTOL, assert_same_curve, free_port, losses, request_for, run

ENGINE = ["-m", "tailor_engine", "train"]


def sharded(n: int) -> list[str]:
    return ["-m", "torch.distributed.run", "--nproc-per-node", str(n), "--standalone", *ENGINE]


def shard_request(tiny_model: str, folder: Path, **overrides) -> dict:
    return {**request_for(tiny_model, folder, val_file=str(folder / "train.jsonl"), checkpoint_every_steps=3,
                          keep_checkpoints=10, **overrides), "shard": True}


def evaluations(msgs: list[dict]) -> list[float]:
    return [m["val_loss"] for m in msgs if m["type"] == "evaluation"]


@pytest.fixture(scope="module")
def one_process(tiny_model, tmp_path_factory):
    """`shard` asked of one process: nothing to shard across, the plain run (the reference curve)."""
    folder = tmp_path_factory.mktemp("one")
    msgs, err = run(ENGINE, shard_request(tiny_model, folder))
    assert "sharded the base" not in err
    return msgs


@pytest.fixture(scope="module")
def two_sharded(tiny_model, tmp_path_factory):
    folder = tmp_path_factory.mktemp("two")
    request = shard_request(tiny_model, folder)
    msgs, err = run(sharded(2), request)
    return request, msgs, err


def test_two_sharded_processes_take_the_steps_of_one(two_sharded, one_process):
    _, msgs, err = two_sharded
    assert "on 2 processes" in err and "sharded the base across 2 processes" in err
    assert_same_curve(losses(msgs), losses(one_process))
    assert evaluations(msgs) == pytest.approx(evaluations(one_process), rel=LOSS_RTOL)
    assert msgs[-1]["steps"] == 12


def test_each_sharded_process_holds_half_the_base(two_sharded):
    line = next(line for line in two_sharded[2].splitlines() if "sharded the base" in line)
    held = [int(b.replace(",", "")) for b in re.findall(r"rank \d+ holds ([\d,]+)", line)]
    whole = int(re.search(r"would hold all ([\d,]+)", line).group(1).replace(",", ""))
    assert len(held) == 2 and sum(held) == whole  # every weight once, split between the two
    # half, give or take dim-0 rows that do not split evenly (none do not, in the tiny model)
    assert max(held) <= whole / 2 + 4096, (held, whole)


def adapter_config(folder: Path) -> dict:
    config = json.loads((folder / "adapter_config.json").read_text())
    return {**config, "target_modules": sorted(config["target_modules"])}  # saved from a set: any order


def test_the_sharded_model_is_a_plain_adapter_that_loads_unsharded(two_sharded, one_process):
    from tailor_engine.data import encode_all, read_chat_jsonl
    from tailor_engine.model import load_adapter, load_base
    from tailor_engine.train import evaluate

    request, msgs, _ = two_sharded
    out, reference = Path(msgs[-1]["path"]), Path(one_process[-1]["path"])
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in reference.iterdir())
    assert adapter_config(out) == adapter_config(reference)
    model, tokenizer = load_base(request["base"], torch.device("cpu"))
    model = load_adapter(model, str(out))
    examples = encode_all(tokenizer, read_chat_jsonl(request["val_file"]), request["max_seq_length"])
    # padded batches (the engine's evaluation packs them): the same loss, by another road
    val_loss, _ = evaluate(model, examples, request["batch_size"], tokenizer.pad_token_id, torch.device("cpu"))
    # the last evaluation of the one-process run, on the same examples
    assert val_loss == pytest.approx(evaluations(one_process)[-1], rel=LOSS_RTOL)


def test_a_sharded_checkpoint_resumes_the_same_curve(two_sharded, one_process):
    request, _, _ = two_sharded
    checkpoint = Path(request["checkpoint_dir"]) / "step-000006"
    folder = Path(request["out_dir"]).parent
    msgs, _ = run(sharded(2), {**request, "resume_from": str(checkpoint), "out_dir": str(folder / "out-resumed")})
    assert [m["step"] for m in msgs if m["type"] == "metrics"][0] == 7 and msgs[-1]["steps"] == 12
    assert_same_curve(losses(one_process)[:6] + losses(msgs), losses(one_process))


def test_shard_is_a_no_op_outside_torchrun_or_on_one_process(monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    assert not fsdp.wanted(SimpleNamespace(shard=True))
    monkeypatch.setenv("WORLD_SIZE", "1")
    assert not fsdp.wanted(SimpleNamespace(shard=True))
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert fsdp.wanted(SimpleNamespace(shard=True))
    assert not fsdp.wanted(SimpleNamespace(shard=False))


def _tiny_lora(tied: bool, logit_scale: float | None):
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=256, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128,
                         tie_word_embeddings=tied)
    if logit_scale is not None:  # kernels.token_loss then takes the model's own forward
        config.logit_scale = logit_scale
    model = attach_lora(LlamaForCausalLM(config), 4, 8, 0.0, "all-linear")
    with torch.no_grad():  # LoRA's B starts at zero: make both factors' gradients count
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.normal_(0.0, 0.1)
    return model


def _compare_on_rank(rank: int, port: int) -> None:
    """One of two gloo ranks: the sharded loss, gradients and held bytes against the unsharded model's."""
    os.environ.update(RANK=str(rank), WORLD_SIZE="2", LOCAL_RANK=str(rank), LOCAL_WORLD_SIZE="2",
                      MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), TAILOR_DEVICE="cpu")
    torch.set_num_threads(1)
    distributed.init()
    try:
        _compare(rank)
    finally:
        # the models are gone with _compare's frame, so close() collects them before the process exits
        distributed.close()


def _compare(rank: int) -> None:
    ids = torch.randint(0, 256, (1, 40), generator=torch.Generator().manual_seed(rank))
    batch = {"input_ids": ids, "target_index": torch.arange(39), "targets": ids[0, 1:]}
    # a tied output layer (in the root's group), and an untied one (the embedding its own unit) that
    # the loss reaches through the model's forward; an untied one through the decoder: the runs above
    for tied, logit_scale in ((True, None), (False, 2.0)):
        model = _tiny_lora(tied, logit_scale)
        reference = copy.deepcopy(model)
        want, _, _ = token_loss(reference, batch)
        want.backward()
        whole = fsdp.held_bytes(model)
        loss = fsdp.shard(model, torch.device("cpu"))
        held = fsdp.held_bytes(model)
        assert held <= whole / 2 + 1024, (tied, held, whole)
        base = model.get_base_model()
        assert (base.get_output_embeddings().weight is base.get_input_embeddings().weight) == tied
        got, _, count = loss(batch)
        got.backward()
        assert count == 39 and torch.allclose(got, want, rtol=1e-5), (tied, logit_scale, got, want)
        for (name, p), q in zip(model.named_parameters(), reference.parameters()):
            if p.requires_grad:
                assert torch.allclose(p.grad, q.grad, rtol=1e-4, atol=1e-6), name
        assert fsdp.held_bytes(model) == held  # freed again after the backward
        with torch.no_grad():
            again, _, _ = loss(batch)
        assert fsdp.held_bytes(model) == held  # and after an evaluation
        assert torch.allclose(again, want, rtol=1e-5)


def test_on_two_ranks_the_sharded_loss_and_gradients_are_the_unsharded_ones():
    mp.spawn(_compare_on_rank, args=(free_port(),), nprocs=2)
