"""Training configuration as data: the `train` request's dataclass, generated from protocol/engine/,
built once from the request, saved with every checkpoint and beside the finished adapter."""

from dataclasses import asdict
from typing import Any

from .errors import EngineError
from .generated import BUNDLE, TrainRequest


def refuse_unknown_keys(command: str, request: dict[str, Any]) -> None:
    """A key the command's schema does not have is a mistake on the sending side: say which, and what is accepted."""
    accepted = list(BUNDLE["requests"][command].get("properties", {}))
    unknown = [k for k in request if k not in accepted]
    if unknown:
        raise EngineError("invalid_request", f"unknown key {', '.join(map(repr, unknown))} in the {command} request; "
                                             f"accepted keys: {', '.join(accepted) or 'none'}")


class TrainConfig(TrainRequest):
    @classmethod
    def from_request(cls, request: dict[str, Any]) -> "TrainConfig":
        refuse_unknown_keys("train", request)
        return cls(**request)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
