"""Real LoRA training on the tiny model: the loss falls, the answer is learned, the adapter is saved in
PEFT's format and reloads to the same output, a stop request ends the run with a checkpoint."""

import json
import threading
from pathlib import Path

import pytest

from tailor_engine.errors import EngineError
from tailor_engine.generate import generate_once
from tailor_engine.train import train

from .conftest import CANNED, Collect, train_request


def greedy(request_base: dict, adapter_dir: str | None, prompt: str) -> str:
    req = {"base": request_base, "messages": [{"role": "user", "content": prompt}], "temperature": 0,
           "top_p": 1, "top_k": 0, "max_tokens": 40, "stop": [], "seed": 0}
    if adapter_dir:
        req["adapter_dir"] = adapter_dir
    return generate_once(req)["text"]


def test_training_learns_the_examples(tiny_model, tmp_path, no_stop):
    events = Collect()
    request = train_request(tiny_model, tmp_path)
    done = train(request, events, no_stop)
    losses = [m["train_loss"] for m in events.of("metrics")]
    assert len(losses) == done["steps"] == 40
    assert losses[-1] < 0.3 * losses[0], losses
    out = Path(done["path"])
    assert (out / "adapter_config.json").is_file() and (out / "adapter_model.safetensors").is_file()
    saved = json.loads((out / "tailor_train.json").read_text())
    assert saved["config"]["lora_rank"] == 16 and saved["config"]["seed"] == 0
    assert greedy(request["base"], str(out), "My brakes squeal?") == CANNED
    assert greedy(request["base"], None, "My brakes squeal?") != CANNED  # the base never learned it
    assert len(list((tmp_path / "ckpt").glob("step-*"))) == 2  # only the latest checkpoints are kept


def test_validation_metrics_are_reported(tiny_model, tmp_path, no_stop):
    events = Collect()
    request = train_request(tiny_model, tmp_path, epochs=2, val_file=train_request(tiny_model, tmp_path)["train_file"])
    train(request, events, no_stop)
    evals = events.of("evaluation")
    assert [e["epoch"] for e in evals] == [1.0, 2.0]
    assert all(0 <= e["val_token_accuracy"] <= 1 for e in evals)


def test_a_stop_request_ends_training_with_a_checkpoint(tiny_model, tmp_path):
    stop = threading.Event()
    events = Collect()

    def emit(message):
        events(message)
        if message["type"] == "metrics" and message["step"] == 3:
            stop.set()

    with pytest.raises(EngineError) as err:
        train(train_request(tiny_model, tmp_path), emit, stop)
    assert err.value.code == "cancelled"
    assert events.of("checkpoint")[-1]["step"] == 3
    ckpt = Path(events.of("checkpoint")[-1]["path"])
    assert (ckpt / "trainer_state.pt").is_file() and (ckpt / "adapter_model.safetensors").is_file()


def test_same_seed_same_losses(tiny_model, tmp_path, no_stop):
    runs = []
    for i in range(2):
        run_dir = tmp_path / str(i)
        run_dir.mkdir()
        events = Collect()
        train(train_request(tiny_model, run_dir, epochs=1), events, no_stop)
        runs.append([m["train_loss"] for m in events.of("metrics")])
    assert runs[0] == runs[1]


def test_a_stopped_run_resumes_where_it_stopped_and_matches_an_uninterrupted_one(tiny_model, tmp_path, no_stop):
    """Model, optimizer, scheduler, RNG and data order come back from the checkpoint: the loss curve
    of the resumed run continues the interrupted one and equals an uninterrupted run's."""
    straight = Collect()
    (tmp_path / "a").mkdir()
    train(train_request(tiny_model, tmp_path / "a", epochs=3, lora_dropout=0.1), straight, no_stop)

    (tmp_path / "b").mkdir()
    request = train_request(tiny_model, tmp_path / "b", epochs=3, lora_dropout=0.1)
    stop = threading.Event()
    first_part = Collect()

    def emit(message):
        first_part(message)
        if message["type"] == "metrics" and message["step"] == 6:  # mid-epoch (4 steps an epoch)
            stop.set()

    with pytest.raises(EngineError):
        train(request, emit, stop)
    checkpoint = first_part.of("checkpoint")[-1]["path"]
    second_part = Collect()
    done = train({**request, "resume_from": checkpoint}, second_part, threading.Event())

    resumed = [m["train_loss"] for m in first_part.of("metrics")] + [m["train_loss"] for m in second_part.of("metrics")]
    expected = [m["train_loss"] for m in straight.of("metrics")]
    assert [m["step"] for m in second_part.of("metrics")][0] == 7
    assert resumed == pytest.approx(expected, rel=1e-4)
    assert done["first_train_loss"] == pytest.approx(expected[0])


def test_resume_from_a_folder_that_is_not_a_checkpoint(tiny_model, tmp_path, no_stop):
    with pytest.raises(EngineError) as err:
        train(train_request(tiny_model, tmp_path, resume_from=str(tmp_path)), Collect(), no_stop)
    assert err.value.code == "invalid_request" and "not a complete Tailor checkpoint" in err.value.message


def test_the_overfitting_guard_stops_early_and_keeps_the_best_checkpoint(tiny_model, tmp_path, no_stop):
    """Training answers always CANNED; validation expects other answers, so validation loss rises once
    the model has learned to say CANNED. The run stops and its model is the best checkpoint's adapter."""
    from .conftest import write_jsonl

    other = [[{"role": "user", "content": q}, {"role": "assistant", "content": a}] for q, a in [
        ("Is the shop open Sunday?", "No, Sundays we are closed."),
        ("Do you sell scooters?", "We only sell bicycles and parts."),
        ("How much is a tune-up?", "A basic tune-up costs 49 euros."),
    ]]
    events = Collect()
    request = train_request(tiny_model, tmp_path, epochs=25, val_file=write_jsonl(tmp_path / "val.jsonl", other),
                            early_stopping_patience=2, keep_checkpoints=1)
    done = train(request, events, no_stop)
    evals = events.of("evaluation")
    losses = [e["val_loss"] for e in evals]
    assert done["stopped_early"] and done["steps"] < 25 * 4, losses
    best = min(evals, key=lambda e: e["val_loss"])
    assert done["model_step"] == best["step"] and done["best_val_loss"] == best["val_loss"]
    assert losses[-1] > best["val_loss"] and losses[-2] > best["val_loss"]  # two evaluations without improvement
    best_dir = tmp_path / "ckpt" / f"step-{best['step']:06d}"
    assert best_dir.is_dir()  # kept although only the latest one is kept otherwise
    assert sorted(p.name for p in (tmp_path / "ckpt").glob("step-*")) == sorted(
        {best_dir.name, f"step-{done['steps']:06d}"})
    tuned = (Path(done["path"]) / "adapter_model.safetensors").read_bytes()
    assert tuned == (best_dir / "adapter_model.safetensors").read_bytes()
    assert all(c.get("val_loss") is not None for c in events.of("checkpoint"))


def test_each_step_reports_metrics_then_evaluation_then_checkpoint(tiny_model, tmp_path, no_stop):
    """The recipe's order within a step: metrics, an evaluation when one is due, then a checkpoint that
    carries the same validation loss; on schedule with gradient accumulation."""
    events = Collect()
    request = train_request(tiny_model, tmp_path, epochs=2, gradient_accumulation_steps=2, eval_every_steps=3,
                            checkpoint_every_steps=2, val_file=train_request(tiny_model, tmp_path)["train_file"])
    done = train(request, events, no_stop)
    assert [(m["type"], m.get("step")) for m in events] == [
        ("progress", None), ("metrics", 1), ("metrics", 2), ("evaluation", 2), ("checkpoint", 2),
        ("metrics", 3), ("evaluation", 3), ("checkpoint", 3), ("metrics", 4), ("evaluation", 4), ("checkpoint", 4)]
    assert [m["epoch"] for m in events.of("metrics")] == [0.5, 1.0, 1.5, 2.0]
    assert [c["val_loss"] for c in events.of("checkpoint")] == [e["val_loss"] for e in events.of("evaluation")]
    assert all(c["train_loss"] == m["train_loss"] for c, m in zip(events.of("checkpoint"), events.of("metrics")[1:]))
    assert done["steps"] == 4 and done["best_val_loss"] == min(e["val_loss"] for e in events.of("evaluation"))


def test_a_checkpoint_moved_to_another_home_resumes_with_its_best_checkpoint_there(tiny_model, tmp_path, no_stop):
    """`tailor restore` puts a home somewhere else: a run resumed from the moved checkpoints keeps and
    uses the best checkpoint in the new folder, not the path the old home had."""
    import shutil

    from .conftest import write_jsonl

    other = [[{"role": "user", "content": q}, {"role": "assistant", "content": a}] for q, a in [
        ("Is the shop open Sunday?", "No, Sundays we are closed."),
        ("Do you sell scooters?", "We only sell bicycles and parts."),
    ]]
    request = train_request(tiny_model, tmp_path, epochs=25, val_file=write_jsonl(tmp_path / "val.jsonl", other),
                            early_stopping_patience=2, keep_checkpoints=1)
    stop, first = threading.Event(), Collect()

    def emit(message):
        first(message)
        if message["type"] == "metrics" and message["step"] == 6:  # after the first evaluation (step 4)
            stop.set()

    with pytest.raises(EngineError):
        train(request, emit, stop)
    assert first.of("evaluation") and first.of("checkpoint")[-1]["step"] == 6
    moved = tmp_path / "restored" / "ckpt"
    moved.parent.mkdir()
    shutil.move(tmp_path / "ckpt", moved)

    events = Collect()
    done = train({**request, "checkpoint_dir": str(moved), "out_dir": str(tmp_path / "restored" / "out"),
                  "resume_from": str(moved / "step-000006")}, events, no_stop)
    assert not (tmp_path / "ckpt").exists()  # nothing written where the old home was
    evals = first.of("evaluation") + events.of("evaluation")
    best = min(evals, key=lambda e: e["val_loss"])
    assert done["stopped_early"] and done["model_step"] == best["step"]
    best_dir = moved / f"step-{best['step']:06d}"
    assert best_dir.is_dir()  # the guard kept it in the new folder
    tuned = (Path(done["path"]) / "adapter_model.safetensors").read_bytes()
    assert tuned == (best_dir / "adapter_model.safetensors").read_bytes()
