"""Direct preference optimisation with LoRA (being written: see issue 20)."""

from .errors import EngineError
from .train import LoRARecipe


class DPORecipe(LoRARecipe):
    def setup(self) -> None:
        raise EngineError("invalid_request", "DPO training is not available yet")


def score_pairs(request: dict, emit, stop) -> dict:
    raise EngineError("invalid_request", "scoring preference pairs is not available yet")
