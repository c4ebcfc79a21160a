"""Text classification: an encoder with a classification head (being written: see issue 20)."""

from .errors import EngineError


def train_classifier(request: dict, emit, stop) -> dict:
    raise EngineError("invalid_request", "classifier training is not available yet")


def classify(request: dict) -> dict:
    raise EngineError("invalid_request", "classification is not available yet")
