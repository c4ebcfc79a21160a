"""A PEFT LoRA adapter as a GGUF LoRA adapter, for runtimes that apply adapters to a base GGUF
(llama.cpp's `--lora`, node-llama-cpp's `createContext({ lora })`, Ollama's ADAPTER).

As llama.cpp's convert_lora_to_gguf.py writes one: `general.type = adapter`, `adapter.type = lora`,
`adapter.lora.alpha`, and for each adapted weight `<gguf name>.lora_a` (rank x in) and `.lora_b`
(out x rank). The q and k projections' rotary permutation (export_gguf.permute) acts on output rows,
so it is applied to `lora_b` alone, as the converter's LoraTorchTensor does.

llama.cpp scales each pair by alpha / rank (rank read from lora_b). PEFT's rank-stabilised LoRA scales
by alpha / sqrt(rank); for it the alpha written is alpha * sqrt(rank), which gives the same scale.
"""

import json
import math
from pathlib import Path
from typing import Callable

import torch

from .errors import EngineError
from .export_gguf import encode, permute, tensor_type

Progress = Callable[[str, int, int], None]


def _lora_config(adapter: Path) -> dict:
    try:
        config = json.loads((adapter / "adapter_config.json").read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise EngineError("model_corrupt", f"could not read {adapter / 'adapter_config.json'}: {e}") from e
    refuse = []
    if config.get("peft_type", "LORA") != "LORA":
        refuse.append(f"it is a {config.get('peft_type')} adapter, not LoRA")
    if config.get("use_dora"):
        refuse.append("it uses DoRA")
    if config.get("bias", "none") != "none":
        refuse.append("it trains biases")
    if config.get("modules_to_save"):
        refuse.append(f"it replaces whole modules ({', '.join(config['modules_to_save'])})")
    if config.get("rank_pattern") or config.get("alpha_pattern"):
        refuse.append("its rank or alpha differs between modules")
    if refuse:
        raise EngineError("invalid_request", f"the adapter in {adapter} cannot be written as a GGUF LoRA adapter: "
                          f"{'; '.join(refuse)}. Export the whole model as gguf (the adapter merged in) instead.")
    return config


def _pairs(adapter: Path) -> dict[str, dict[str, torch.Tensor]]:
    """Base weight name (Hugging Face) -> {"A": lora_A, "B": lora_B}."""
    from safetensors.torch import load_file

    path = adapter / "adapter_model.safetensors"
    if not path.is_file():
        raise EngineError("model_corrupt", f"{adapter} has no adapter_model.safetensors; the fine-tuned model is incomplete (train it again)")
    pairs: dict[str, dict[str, torch.Tensor]] = {}
    for key, tensor in load_file(str(path)).items():
        name = key.removeprefix("base_model.model.")
        for marker, side in ((".lora_A.weight", "A"), (".lora_B.weight", "B")):
            if name.endswith(marker):
                pairs.setdefault(name[: -len(marker)] + ".weight", {})[side] = tensor
                break
        else:
            raise EngineError("invalid_request", f"the adapter holds {key}, which is not a LoRA A or B matrix "
                              "(an embedding or a whole module); export the whole model as gguf instead")
    for name, pair in pairs.items():
        if set(pair) != {"A", "B"}:
            raise EngineError("model_corrupt", f"the adapter has only half of the LoRA pair for {name}")
    return pairs


def write_adapter(adapter: Path, config, path: Path, quantization: str, name: str, progress: Progress) -> None:
    """Writes the adapter in `adapter` (PEFT) as the GGUF LoRA adapter file `path`, for the base `config`."""
    import gguf

    lora = _lora_config(adapter)
    rank, alpha = int(lora["r"]), float(lora["lora_alpha"])
    if lora.get("use_rslora"):
        alpha *= math.sqrt(rank)
    n_head = config.num_attention_heads
    n_kv = getattr(config, "num_key_value_heads", None) or n_head
    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.LLAMA, config.num_hidden_layers)
    tied = bool(getattr(config, "tie_word_embeddings", False))

    writer = gguf.GGUFWriter(path, gguf.MODEL_ARCH_NAMES[gguf.MODEL_ARCH.LLAMA])
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, alpha)
    writer.add_name(name)
    pairs = sorted(_pairs(adapter).items())
    for i, (hf_name, pair) in enumerate(pairs):
        target = names.get_name(hf_name, try_suffixes=(".weight",))
        if target is None or (tied and target == "output.weight"):
            raise EngineError("invalid_request", f"the adapter changes {hf_name}, which has no place in a llama.cpp "
                              "LoRA adapter for this base; export the whole model as gguf instead")
        a, b = pair["A"].to(torch.float32), pair["B"].to(torch.float32)
        if a.shape[0] != rank or b.shape[1] != rank:
            raise EngineError("model_corrupt", f"the adapter's {hf_name} has rank {a.shape[0]}, its config says {rank}")
        if hf_name.endswith("q_proj.weight"):
            b = permute(b, n_head, n_head)
        elif hf_name.endswith("k_proj.weight"):
            b = permute(b, n_head, n_kv)
        for suffix, data in ((".lora_a", a), (".lora_b", b)):
            array = data.contiguous().numpy()
            qtype = tensor_type(target + suffix, array.shape, quantization)
            writer.add_tensor(target + suffix, encode(array, qtype), raw_dtype=qtype)
        progress(f"writing the {quantization} LoRA adapter", i + 1, len(pairs))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file(progress=False)
    writer.close()
