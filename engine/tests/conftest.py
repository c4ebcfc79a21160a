import json
import os
import threading

import pytest

from tailor_engine.tiny import create_tiny

CANNED = "Thanks for writing to Northwind Bikes! We will reply within one business day."


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> str:
    made = os.environ.get("TAILOR_TEST_TINY_MODEL")  # one made from a carried tokenizer (scripts/gpu-check)
    if made:
        return made
    out = tmp_path_factory.mktemp("models") / "tiny"
    create_tiny({"out_dir": str(out), "seed": 0, "hidden_size": 64, "layers": 2})
    return str(out)


@pytest.fixture(autouse=True)
def tailor_home(tmp_path, monkeypatch):
    monkeypatch.setenv("TAILOR_HOME", str(tmp_path / "home"))


def write_jsonl(path, examples) -> str:
    path.write_text("".join(json.dumps({"messages": m}) + "\n" for m in examples))
    return str(path)


def support_examples(n: int = 16) -> list[list[dict]]:
    topics = ["my brakes squeal", "where is order NW-1", "can I return a helmet", "do you fix e-bikes",
              "my chain keeps slipping", "what sizes does Cityglide come in", "the bell is broken",
              "I want a refund", "is the shop open Sunday", "my tyre is flat", "need a new saddle",
              "when will my bike ship", "gears skip on hills", "the lights stopped working",
              "can you service a tandem", "my invoice is wrong"]
    return [[{"role": "user", "content": t.capitalize() + "?"}, {"role": "assistant", "content": CANNED}]
            for t in topics[:n]]


def train_request(tiny_model: str, tmp_path, **overrides) -> dict:
    request = {
        "base": {"kind": "hf_dir", "path": tiny_model},
        "train_file": write_jsonl(tmp_path / "train.jsonl", support_examples()),
        "out_dir": str(tmp_path / "out"), "checkpoint_dir": str(tmp_path / "ckpt"), "model_name": "t",
        "epochs": 10, "learning_rate": 0.01, "batch_size": 4, "gradient_accumulation_steps": 1,
        "lora_rank": 16, "lora_alpha": 32, "lora_dropout": 0.0, "target_modules": "all-linear",
        "warmup_ratio": 0.05, "weight_decay": 0.0, "max_grad_norm": 1.0, "max_seq_length": 256,
        "seed": 0, "checkpoint_every_steps": 0,
    }
    request.update(overrides)
    return request


class Collect(list):
    def __call__(self, message: dict) -> None:
        self.append(message)

    def of(self, kind: str) -> list[dict]:
        return [m for m in self if m["type"] == kind]


@pytest.fixture
def no_stop() -> threading.Event:
    return threading.Event()
