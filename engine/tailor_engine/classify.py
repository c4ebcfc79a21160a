"""Text classification: an encoder with a classification head (being written: see issue 20)."""

from .errors import EngineError


def train_classifier(request: dict, emit, stop) -> dict:
    raise EngineError("invalid_request", "classifier training is not available yet")


def classify(request: dict) -> dict:
    """The `classify` command: labels with scores for each text (classify_infer.py does the work)."""
    from .classify_infer import cached_classifier, classifications
    from .device import pick_device

    return classifications(cached_classifier(request["model_dir"], pick_device()), request["input"])
