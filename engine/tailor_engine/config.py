"""Training configuration as data: one dataclass, built from the validated request, saved with every
checkpoint and beside the finished adapter."""

from dataclasses import asdict, dataclass, fields
from typing import Any


@dataclass(frozen=True)
class TrainConfig:
    base: dict[str, Any]
    train_file: str
    out_dir: str
    checkpoint_dir: str
    model_name: str
    epochs: int
    learning_rate: float
    batch_size: int
    gradient_accumulation_steps: int
    lora_rank: int
    lora_alpha: float
    lora_dropout: float
    target_modules: Any
    warmup_ratio: float
    weight_decay: float
    max_grad_norm: float
    max_seq_length: int
    seed: int
    checkpoint_every_steps: int
    eval_every_steps: int = 0
    early_stopping_patience: int = 0
    keep_checkpoints: int = 2
    packing: bool = True
    val_file: str | None = None
    resume_from: str | None = None

    @classmethod
    def from_request(cls, request: dict[str, Any]) -> "TrainConfig":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in request.items() if k in names})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
