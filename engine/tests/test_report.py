"""The reporter: each report one protocol message, written by emit.py and checked against the schema."""

import io
import json
import math

import pytest

from tailor_engine import emit as emit_module
from tailor_engine.report import JsonLinesReporter, Reporter

from .conftest import Collect


def report_a_step(reporter: Reporter, grad_norm: float) -> None:
    reporter.progress("prepare", "tokenizing examples")
    reporter.metrics(step=1, total_steps=4, epoch=0.25, train_loss=2.5, learning_rate=1e-4, tokens_per_second=900.0,
                     elapsed_seconds=1.5, eta_seconds=4.5, grad_norm=grad_norm)
    reporter.evaluation(step=1, epoch=0.25, val_loss=2.75, val_token_accuracy=0.5)
    reporter.checkpoint(step=1, epoch=0.25, path="/ckpt/step-000001", train_loss=2.5, val_loss=None)


def test_json_lines_go_through_emit(monkeypatch):
    out = io.StringIO()
    monkeypatch.setattr(emit_module, "_out", out)
    report_a_step(JsonLinesReporter(), grad_norm=0.75)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [m["type"] for m in lines] == ["progress", "metrics", "evaluation", "checkpoint"]
    assert list(lines[1]) == ["type", "step", "total_steps", "epoch", "train_loss", "learning_rate",
                              "tokens_per_second", "elapsed_seconds", "eta_seconds", "grad_norm"]
    assert lines[3] == {"type": "checkpoint", "step": 1, "epoch": 0.25, "path": "/ckpt/step-000001", "train_loss": 2.5}


@pytest.mark.parametrize("grad_norm", [math.inf, math.nan])
def test_a_value_json_cannot_carry_is_left_out(grad_norm):
    sent = Collect()
    report_a_step(JsonLinesReporter(sent), grad_norm)
    assert "grad_norm" not in sent.of("metrics")[0]


def test_a_message_the_schema_refuses_is_not_written(monkeypatch):
    out = io.StringIO()
    monkeypatch.setattr(emit_module, "_out", out)
    with pytest.raises(ValueError, match="invalid 'evaluation' message"):
        JsonLinesReporter().evaluation(step=-1, epoch=0.0, val_loss=1.0, val_token_accuracy=0.5)
    assert out.getvalue() == ""
