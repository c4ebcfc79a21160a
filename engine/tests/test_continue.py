"""Continuing from a fine-tuned model (`init_adapter_dir`): training starts from the parent's adapter, not
from a fresh one, keeps the parent's LoRA shape, and leaves the parent's folder as it was."""

import json
from pathlib import Path

import pytest
from safetensors.torch import load_file

from tailor_engine.errors import EngineError
from tailor_engine.train import train

from .conftest import CANNED, Collect, train_request, write_jsonl

# new examples the parent never saw, answered the parent's way
NEW_TOPICS = ["Do you sell gloves", "Can I pay by card", "My pedal fell off", "Is parking free",
              "Do you rent bikes", "Can I book a fitting", "My spokes are loose", "Do you ship abroad"]


def parent_adapter(tiny_model: str, tmp_path: Path, no_stop) -> tuple[dict, dict]:
    """A parent trained until it answers the support examples (rank 16), and its `completed` message."""
    (tmp_path / "parent").mkdir()
    request = train_request(tiny_model, tmp_path / "parent")
    return request, train(request, Collect(), no_stop)


def first_loss(request: dict, no_stop) -> float:
    events = Collect()
    train(request, events, no_stop)
    return events.of("metrics")[0]["train_loss"]


def test_training_starts_from_the_parent_adapter(tiny_model, tmp_path, no_stop):
    """On the parent's own examples the child's first loss is about the parent's last one, far below a
    fresh adapter's first loss on the same data (which is the base's): were init_adapter_dir ignored,
    the two first losses would be equal (same seed, same data, same order)."""
    parent_request, parent = parent_adapter(tiny_model, tmp_path, no_stop)
    same_data = {"train_file": parent_request["train_file"], "epochs": 1}
    (tmp_path / "fresh").mkdir()
    fresh = first_loss(train_request(tiny_model, tmp_path / "fresh", **same_data), no_stop)
    (tmp_path / "child").mkdir()
    child = first_loss(train_request(tiny_model, tmp_path / "child", init_adapter_dir=parent["path"], **same_data),
                       no_stop)
    assert parent["final_train_loss"] < 0.3 * parent["first_train_loss"]
    assert child < 0.3 * fresh, (child, fresh)
    assert child == pytest.approx(parent["final_train_loss"], abs=0.2)


def test_the_child_keeps_the_parent_lora_shape_and_learns_new_examples(tiny_model, tmp_path, no_stop):
    """The request's rank (8) loses to the adapter's (16); the saved adapter is the child's own, full one,
    different from the parent's, whose folder is untouched."""
    _, parent = parent_adapter(tiny_model, tmp_path, no_stop)
    parent_dir = Path(parent["path"])
    before = (parent_dir / "adapter_model.safetensors").read_bytes()
    new = [[{"role": "user", "content": f"{t}?"}, {"role": "assistant", "content": CANNED}] for t in NEW_TOPICS]
    (tmp_path / "child").mkdir()
    request = train_request(tiny_model, tmp_path / "child", epochs=2, lora_rank=8, lora_alpha=16,
                            train_file=write_jsonl(tmp_path / "child" / "new.jsonl", new),
                            init_adapter_dir=str(parent_dir))
    events = Collect()
    done = train(request, events, no_stop)
    out = Path(done["path"])
    assert out != parent_dir
    config = json.loads((out / "adapter_config.json").read_text())
    assert config["r"] == 16 and config["lora_alpha"] == 32
    child_weights, parent_weights = (load_file(str(d / "adapter_model.safetensors")) for d in (out, parent_dir))
    assert child_weights.keys() == parent_weights.keys()
    assert any(not child_weights[k].equal(parent_weights[k]) for k in child_weights)  # it trained
    assert all(child_weights[k].shape == parent_weights[k].shape for k in child_weights)
    assert (parent_dir / "adapter_model.safetensors").read_bytes() == before
    assert done["trainable_parameters"] == parent["trainable_parameters"]
    assert done["first_train_loss"] < 0.5 * parent["first_train_loss"]  # it already answers this way


def test_a_folder_without_an_adapter_is_refused(tiny_model, tmp_path, no_stop):
    with pytest.raises(EngineError) as err:
        train(train_request(tiny_model, tmp_path, init_adapter_dir=str(tmp_path)), Collect(), no_stop)
    assert err.value.code == "model_corrupt" and "adapter_config.json" in err.value.message
