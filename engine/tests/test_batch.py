"""Batched greedy answers (evaluation) are the answers one-at-a-time generation gives."""

import threading

import pytest

from tailor_engine.batch import generate_batch
from tailor_engine.errors import EngineError
from tailor_engine.generate import generate_once

CONVERSATIONS = [
    [{"role": "user", "content": "Hi"}],
    [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "What is the refund policy for damaged parcels?"}],
    [{"role": "user", "content": "Café ☕ ou thé?"}],
]


def test_batched_answers_match_single_generation_and_report_progress(tiny_model):
    events = []
    base = {"kind": "hf_dir", "path": tiny_model}
    out = generate_batch({"models": [{"base": base}, {"base": base}], "conversations": CONVERSATIONS,
                          "max_tokens": 10, "batch_size": 2}, events.append, threading.Event())
    assert out["type"] == "generations" and len(out["results"]) == 2
    first = out["results"][0]
    assert first == {**out["results"][1], "seconds": first["seconds"]}
    for conversation, text, count in zip(CONVERSATIONS, first["texts"], first["completion_tokens"]):
        single = generate_once({"base": base, "messages": conversation, "temperature": 0, "top_p": 1, "top_k": 0,
                                "max_tokens": 10, "stop": [], "seed": 0})
        assert text == single["text"]
        assert count == single["completion_tokens"]
    assert [e["current"] for e in events] == [2, 3, 5, 6]
    assert all(e["total"] == 6 for e in events)


def test_a_set_stop_event_cancels(tiny_model):
    stop = threading.Event()
    stop.set()
    with pytest.raises(EngineError) as e:
        generate_batch({"models": [{"base": {"kind": "hf_dir", "path": tiny_model}}], "conversations": CONVERSATIONS,
                        "max_tokens": 4, "batch_size": 1}, lambda e: None, stop)
    assert e.value.code == "cancelled"
