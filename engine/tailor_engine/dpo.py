"""Direct preference optimisation with LoRA (being written: see issue 20)."""

from .errors import EngineError
from .train import LoRARecipe


class DPORecipe(LoRARecipe):
    def setup(self) -> None:
        raise EngineError("invalid_request", "DPO training is not available yet")
