"""Sampling controls: greedy is deterministic, a seed makes sampling repeatable, stop sequences cut."""

from tailor_engine.generate import generate_once


def request(tiny_model, **overrides):
    req = {"base": {"kind": "hf_dir", "path": tiny_model}, "messages": [{"role": "user", "content": "Hello"}],
           "temperature": 0, "top_p": 1, "top_k": 0, "max_tokens": 12, "stop": [], "seed": 0}
    req.update(overrides)
    return req


def test_greedy_is_deterministic_and_respects_max_tokens(tiny_model):
    a = generate_once(request(tiny_model))
    b = generate_once(request(tiny_model, seed=7))
    assert a["text"] == b["text"]
    assert a["completion_tokens"] <= 12 and a["prompt_tokens"] > 0
    assert a["finish_reason"] in ("stop", "length")


def test_sampling_is_repeatable_with_a_seed_and_varies_without(tiny_model):
    sampled = [generate_once(request(tiny_model, temperature=1.5, top_k=50, top_p=0.95, seed=s))["text"] for s in (1, 1, 2, 3)]
    assert sampled[0] == sampled[1]
    assert len(set(sampled)) > 1


def test_stop_sequence_cuts_the_text(tiny_model):
    full = generate_once(request(tiny_model, max_tokens=20))["text"]
    assert len(full) > 4
    stop = full[2:4]
    cut = generate_once(request(tiny_model, max_tokens=20, stop=[stop]))
    assert stop not in cut["text"] and full.startswith(cut["text"])
    assert cut["finish_reason"] == "stop"
