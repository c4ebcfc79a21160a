"""The engine side of the protocol: shared example messages, and what emit refuses to send."""

import json
from pathlib import Path

import jsonschema
import pytest

from tailor_engine import emit as emit_module
from tailor_engine.generated import BUNDLE, ERROR_CODES, PROTOCOL_VERSION

EXAMPLES = Path(__file__).resolve().parents[2] / "protocol" / "examples"
validator = jsonschema.Draft202012Validator(BUNDLE["message"])


def _lines(name: str) -> list[dict]:
    return [json.loads(line) for line in (EXAMPLES / name).read_text().splitlines() if line.strip()]


@pytest.mark.parametrize("message", _lines("valid-messages.jsonl"), ids=lambda m: m["type"])
def test_shared_valid_messages_pass(message):
    assert list(validator.iter_errors(message)) == []


@pytest.mark.parametrize("message", _lines("invalid-messages.jsonl"), ids=lambda m: str(m.get("type")))
def test_shared_invalid_messages_are_rejected(message):
    assert list(validator.iter_errors(message)) != []


def test_emit_refuses_an_invalid_message(capsys):
    with pytest.raises(ValueError, match="invalid 'metrics' message"):
        emit_module.emit({"type": "metrics", "step": "three"})


def test_generated_constants():
    assert PROTOCOL_VERSION == BUNDLE["protocolVersion"]
    assert "cancelled" in ERROR_CODES and "data_invalid" in ERROR_CODES
