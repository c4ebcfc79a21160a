"""Classifying texts with a saved classifier folder: the model and tokenizer (save_pretrained) and
`tailor_classifier.json` = {labels (head order), multi_label, threshold, temperature, max_length, base}.

Scores: softmax(logits / T) for single-label, sigmoid(logits / T) for multi-label (a label is predicted
when its score is at least the threshold). Texts are tokenized once, sorted by length and run in
batches, so a batch pads only to its own longest text.
"""

import json
import math
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from .errors import EngineError

CLASSIFIER_FILE = "tailor_classifier.json"
BATCH_SIZE = 64
# A batch holds at most this many tokens (texts x longest text): long texts go in smaller batches.
BATCH_TOKENS = 16_384


@dataclass
class Classifier:
    model: Any
    tokenizer: Any
    labels: list[str]
    multi_label: bool
    threshold: float
    temperature: float
    max_length: int
    device: torch.device


def read_settings(model_dir: Path) -> dict:
    """tailor_classifier.json, checked: EngineError naming the file and the field when it is wrong."""
    file = model_dir / CLASSIFIER_FILE
    if not model_dir.is_dir():
        raise EngineError("model_not_found", f"the classifier folder {model_dir} does not exist")
    if not file.is_file():
        raise EngineError("model_not_found", f"{model_dir} is not a classifier: it has no {CLASSIFIER_FILE} "
                                             "(train one with `tailor train --task classify`)")
    try:
        settings = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise EngineError("model_corrupt", f"{file} is not readable JSON ({e}); train the classifier again") from e

    def bad(field: str, what: str) -> EngineError:
        return EngineError("model_corrupt", f"{file}: field {field} {what}; train the classifier again")

    labels = settings.get("labels") if isinstance(settings, dict) else None
    if not isinstance(labels, list) or len(labels) < 2 or not all(isinstance(x, str) and x for x in labels):
        raise bad("labels", "must list at least two label names")
    if len(set(labels)) != len(labels):
        raise bad("labels", "has a label twice")
    if not isinstance(settings.get("multi_label", False), bool):
        raise bad("multi_label", "must be true or false")
    for field, default in (("threshold", 0.5), ("temperature", 1.0)):
        value = settings.get(field, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
            raise bad(field, "must be a positive number")
    max_length = settings.get("max_length", 512)
    if isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 2:
        raise bad("max_length", "must be a whole number of tokens (2 or more)")
    return settings


def load_classifier(model_dir: str, device: torch.device) -> Classifier:
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    folder = Path(model_dir)
    settings = read_settings(folder)
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder)
        model = AutoModelForSequenceClassification.from_pretrained(folder)
    except (OSError, ValueError) as e:
        raise EngineError("model_corrupt", f"could not load the classifier in {folder}: {e}") from e
    labels = settings["labels"]
    if model.config.num_labels != len(labels):
        raise EngineError("model_corrupt", f"{folder}: the model has {model.config.num_labels} outputs but "
                                           f"{CLASSIFIER_FILE} names {len(labels)} labels; train the classifier again")
    model.to(device).eval()
    return Classifier(model=model, tokenizer=tokenizer, labels=labels,
                      multi_label=bool(settings.get("multi_label", False)),
                      threshold=float(settings.get("threshold", 0.5)),
                      temperature=float(settings.get("temperature", 1.0)),
                      max_length=min(int(settings.get("max_length", 512)), _model_limit(model, tokenizer)),
                      device=device)


def _model_limit(model, tokenizer) -> int:
    positions = getattr(model.config, "max_position_embeddings", None) or 512
    limit = getattr(tokenizer, "model_max_length", None)
    return min(positions, limit) if isinstance(limit, int) and limit < 1_000_000 else positions


def folder_key(model_dir: str) -> tuple[str, int]:
    """A folder as it is now: a classifier trained again under the same name is loaded again."""
    path = Path(model_dir).resolve()
    try:
        stamp = (path / CLASSIFIER_FILE).stat().st_mtime_ns
    except OSError:
        stamp = 0
    return str(path), stamp


_cache: dict[tuple[str, int], Classifier] = {}
_cache_lock = threading.Lock()
CACHE_SIZE = 4


def cached_classifier(model_dir: str, device: torch.device) -> Classifier:
    """A loaded classifier, kept for later calls (the CACHE_SIZE most recently used)."""
    key = folder_key(model_dir)
    with _cache_lock:
        if key in _cache:
            _cache[key] = _cache.pop(key)  # most recently used last
            return _cache[key]
    loaded = load_classifier(model_dir, device)
    with _cache_lock:
        _cache[key] = loaded
        while len(_cache) > CACHE_SIZE:
            _cache.pop(next(iter(_cache)))
    return loaded


def _batches(lengths: list[int]) -> list[list[int]]:
    """Indices sorted by length, cut into batches of at most BATCH_SIZE texts and BATCH_TOKENS tokens."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    batches: list[list[int]] = []
    current: list[int] = []
    for i in order:
        # sorted ascending: the newest text is the longest, so it sets the padded width
        if current and (len(current) >= BATCH_SIZE or (len(current) + 1) * lengths[i] > BATCH_TOKENS):
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches


def scores_to_results(scores: torch.Tensor, labels: list[str], multi_label: bool, threshold: float) -> list[dict]:
    """Rows of scores (texts x labels) as each text's labels, highest first, and its predicted labels."""
    results = []
    for row in scores.tolist():
        ranked = sorted(zip(labels, row, strict=True), key=lambda pair: -pair[1])
        predicted = ([label for label, score in ranked if score >= threshold] if multi_label else [ranked[0][0]])
        results.append({"labels": [{"label": label, "score": score} for label, score in ranked],
                        "predicted": predicted})
    return results


def classify_texts(clf: Classifier, texts: list[str], cancel: threading.Event | None = None) -> tuple[list[dict], int]:
    """Each text's labels with scores (input order), and the number of tokens the texts took."""
    encoded = clf.tokenizer(texts, truncation=True, max_length=clf.max_length)
    ids = encoded["input_ids"]
    lengths = [len(x) for x in ids]
    results: list[dict | None] = [None] * len(texts)
    with torch.inference_mode():
        for batch in _batches(lengths):
            if cancel is not None and cancel.is_set():
                raise EngineError("cancelled", "classification was cancelled")
            features = [{key: encoded[key][i] for key in encoded.keys()} for i in batch]
            inputs = clf.tokenizer.pad(features, return_tensors="pt")
            inputs = {k: v.to(clf.device) for k, v in inputs.items()}
            logits = clf.model(**inputs).logits.float() / clf.temperature
            scores = torch.sigmoid(logits) if clf.multi_label else torch.softmax(logits, dim=-1)
            for i, result in zip(batch, scores_to_results(scores.cpu(), clf.labels, clf.multi_label, clf.threshold),
                                 strict=True):
                results[i] = {**result, "tokens": lengths[i]}
    return [r for r in results if r is not None], sum(lengths)


def classifications(clf: Classifier, texts: list[str], cancel: threading.Event | None = None) -> dict:
    """The `classifications` message (without an id) for `texts`."""
    results, tokens = classify_texts(clf, texts, cancel)
    return {"type": "classifications", "results": results, "multi_label": clf.multi_label,
            "threshold": clf.threshold, "prompt_tokens": tokens}
