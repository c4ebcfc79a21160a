"""How a training run reports: one small Protocol, and the JSON-lines implementation the engine speaks.

The reporter says what happened; `emit` (emit.py in production, a list in tests) is the only writer."""

import math
from typing import Callable, Protocol

from .emit import emit as write_line

Emit = Callable[[dict], None]


class Reporter(Protocol):
    def progress(self, stage: str, message: str) -> None: ...

    def metrics(self, *, step: int, total_steps: int, epoch: float, train_loss: float, learning_rate: float,
                tokens_per_second: float, elapsed_seconds: float, eta_seconds: float, grad_norm: float,
                **extra: float) -> None: ...

    def evaluation(self, *, step: int, epoch: float, val_loss: float, val_token_accuracy: float,
                   **extra: float) -> None: ...

    def checkpoint(self, *, step: int, epoch: float, path: str, train_loss: float | None,
                   val_loss: float | None) -> None: ...


def _known(**optional: float | None) -> dict:
    """The optional fields that have a value JSON can carry (no None, NaN or infinity)."""
    return {k: v for k, v in optional.items() if v is not None and math.isfinite(v)}


class JsonLinesReporter:
    """Each report as one protocol message (protocol/engine/), handed to `emit`."""

    def __init__(self, emit: Emit = write_line):
        self.emit = emit

    def progress(self, stage: str, message: str) -> None:
        self.emit({"type": "progress", "stage": stage, "message": message})

    def metrics(self, *, step, total_steps, epoch, train_loss, learning_rate, tokens_per_second, elapsed_seconds,
                eta_seconds, grad_norm, **extra) -> None:
        self.emit({"type": "metrics", "step": step, "total_steps": total_steps, "epoch": epoch,
                   "train_loss": train_loss, "learning_rate": learning_rate, "tokens_per_second": tokens_per_second,
                   "elapsed_seconds": elapsed_seconds, "eta_seconds": eta_seconds,
                   **_known(grad_norm=grad_norm, **extra)})

    def evaluation(self, *, step, epoch, val_loss, val_token_accuracy, **extra) -> None:
        """`extra`: the method's own optional fields (DPO's reward accuracy and margin)."""
        self.emit({"type": "evaluation", "step": step, "epoch": epoch, "val_loss": val_loss,
                   "val_token_accuracy": val_token_accuracy, **_known(**extra)})

    def checkpoint(self, *, step, epoch, path, train_loss, val_loss) -> None:
        self.emit({"type": "checkpoint", "step": step, "epoch": epoch, "path": path,
                   **_known(train_loss=train_loss, val_loss=val_loss)})
