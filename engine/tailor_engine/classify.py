"""Text classification: an encoder with a classification head, trained (classify_train.py) and used
(classify_infer.py)."""


def train_classifier(request: dict, emit, stop) -> dict:
    """The `train-classifier` command: fine-tune an encoder with a head (classify_train.py does the work)."""
    from .classify_train import train_classifier as run

    return run(request, emit, stop)


def classify(request: dict) -> dict:
    """The `classify` command: labels with scores for each text (classify_infer.py does the work)."""
    from .classify_infer import cached_classifier, classifications
    from .device import pick_device

    return classifications(cached_classifier(request["model_dir"], pick_device()), request["input"])
