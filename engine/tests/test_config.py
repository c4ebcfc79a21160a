"""The train request becomes the generated dataclass; a key the schema does not have is refused, by name."""

import io
import json

import pytest

from tailor_engine import __main__ as main
from tailor_engine.config import TrainConfig
from tailor_engine.errors import EngineError
from tailor_engine.generated import BUNDLE

from .conftest import train_request

SCHEMA = BUNDLE["requests"]["train"]


def test_the_config_has_the_schemas_fields_and_defaults(tmp_path):
    cfg = TrainConfig.from_request(train_request("tiny", tmp_path))
    assert list(cfg.to_dict()) == list(SCHEMA["properties"])
    for name, field in SCHEMA["properties"].items():
        if "default" in field and name not in train_request("tiny", tmp_path):
            assert getattr(cfg, name) == field["default"], name
    assert cfg.val_file is None and cfg.resume_from is None


def test_an_unknown_key_is_refused_with_the_accepted_keys(tmp_path):
    with pytest.raises(EngineError) as err:
        TrainConfig.from_request(train_request("tiny", tmp_path, learning_rat=0.1))
    assert err.value.code == "invalid_request"
    assert "unknown key 'learning_rat' in the train request" in err.value.message
    assert "accepted keys: base, train_file, val_file, out_dir" in err.value.message


def test_the_engine_refuses_an_unknown_key_before_anything_runs(tmp_path, monkeypatch):
    request = {**train_request("tiny", tmp_path), "colour": "red"}
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(request) + "\n"))
    with pytest.raises(EngineError, match=r"unknown key 'colour' in the train request; accepted keys: base, "):
        main._read_request("train")
