"""A merged Llama-architecture model as one GGUF file, written with llama.cpp's own gguf-py package
(`gguf` on PyPI): its writer, its Hugging Face -> GGUF tensor-name map and its quantizers. No
llama.cpp checkout or compiler is needed.

What it writes follows llama.cpp's convert_hf_to_gguf.py (LlamaModel) so that llama.cpp computes what
PyTorch computes: the q and k projections permuted into the rotary layout llama.cpp expects, the
hyperparameters under `llama.*`, the tokenizer and chat template under `tokenizer.*` (export_vocab.py),
and no `output.weight` when the model ties its output layer to the token embeddings (llama.cpp then
uses `token_embd`).

Weights: f32 and f16 as they are (1-D tensors and norms always f32, as the converter keeps them);
q8_0 and q4_0 quantized by gguf-py, a row whose length is not a multiple of 32 falling back to f16.
For q4_0 the output layer (the token embeddings when tied) is q8_0, as llama.cpp's own quantizer keeps
the output layer at a higher precision (it uses q6_K, which gguf-py cannot write).
"""

import json
import math
import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from .errors import EngineError

# Hugging Face architectures whose weights llama.cpp's `llama` graph runs (convert_hf_to_gguf.py's LlamaModel).
SUPPORTED_ARCHITECTURES = ("LlamaForCausalLM", "MistralForCausalLM")

Progress = Callable[[str, int, int], None]


def check_architecture(architecture: str) -> None:
    if architecture not in SUPPORTED_ARCHITECTURES:
        raise EngineError(
            "invalid_request",
            f"the GGUF writer does not know the {architecture} architecture; it writes "
            f"{' and '.join(SUPPORTED_ARCHITECTURES)} models (Llama, SmolLM, Mistral-style). "
            "Export this model as peft (the adapter) or merged (a Hugging Face folder) instead: both work for any base.")


def permute(weights: torch.Tensor, n_head: int, n_head_kv: int | None = None) -> torch.Tensor:
    """llama.cpp's LlamaModel.permute: Hugging Face's rotary halves -> llama.cpp's interleaved pairs."""
    if n_head_kv is not None and n_head != n_head_kv:
        n_head = n_head_kv
    return (weights.reshape(n_head, 2, weights.shape[0] // n_head // 2, *weights.shape[1:])
            .swapaxes(1, 2)
            .reshape(weights.shape))


def file_type(quantization: str):
    import gguf

    return {"f32": gguf.LlamaFileType.ALL_F32, "f16": gguf.LlamaFileType.MOSTLY_F16,
            "q8_0": gguf.LlamaFileType.MOSTLY_Q8_0, "q4_0": gguf.LlamaFileType.MOSTLY_Q4_0}[quantization]


def tensor_type(name: str, shape: tuple[int, ...], quantization: str, high_precision: bool = False):
    """The GGML type a tensor is stored as (see the module's docstring)."""
    from gguf import GGMLQuantizationType as T

    if len(shape) <= 1 or name.endswith("_norm.weight") or quantization == "f32":
        return T.F32
    if quantization == "f16":
        return T.F16
    wanted = T.Q8_0 if quantization == "q8_0" or high_precision else T.Q4_0
    return wanted if shape[-1] % 32 == 0 else T.F16


def encode(data: np.ndarray, qtype) -> np.ndarray:
    import gguf

    return gguf.quants.quantize(np.ascontiguousarray(data, dtype=np.float32), qtype)


def rope_parameters(config) -> dict:
    params = dict(getattr(config, "rope_parameters", None) or getattr(config, "rope_scaling", None) or {})
    params.setdefault("rope_theta", getattr(config, "rope_theta", None) or 10000.0)
    params.setdefault("rope_type", params.get("type", "default"))
    return params


def _llama3_rope_factors(rope: dict, head_dim: int) -> torch.Tensor:
    """The `rope_freqs` tensor llama.cpp uses for Llama 3.1-style rope scaling (as its converter computes it)."""
    base = float(rope["rope_theta"])
    freqs = 1.0 / (base ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim))
    factor, low, high = rope.get("factor", 8.0), rope.get("low_freq_factor", 1.0), rope.get("high_freq_factor", 4.0)
    old = rope.get("original_max_position_embeddings", 8192)
    low_wavelen, high_wavelen = old / low, old / high
    factors = []
    for freq in freqs.tolist():
        wavelen = 2 * math.pi / freq
        if wavelen < high_wavelen:
            factors.append(1.0)
        elif wavelen > low_wavelen:
            factors.append(factor)
        else:
            smooth = (old / wavelen - low) / (high - low)
            factors.append(1 / ((1 - smooth) / factor + smooth))
    return torch.tensor(factors, dtype=torch.float32)


def add_hyperparameters(writer, config, quantization: str) -> dict:
    """`llama.*` keys from the Hugging Face config; returns the rope settings for the tensors."""
    import gguf

    n_head = config.num_attention_heads
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // n_head
    rope = rope_parameters(config)
    writer.add_context_length(config.max_position_embeddings)
    writer.add_embedding_length(config.hidden_size)
    writer.add_block_count(config.num_hidden_layers)
    writer.add_feed_forward_length(config.intermediate_size)
    writer.add_head_count(n_head)
    writer.add_head_count_kv(getattr(config, "num_key_value_heads", None) or n_head)
    writer.add_key_length(head_dim)
    writer.add_value_length(head_dim)
    writer.add_rope_freq_base(float(rope["rope_theta"]))
    writer.add_layer_norm_rms_eps(float(config.rms_norm_eps))
    writer.add_rope_dimension_count(head_dim)
    writer.add_vocab_size(config.vocab_size)
    writer.add_file_type(file_type(quantization))
    kind = rope["rope_type"]
    if kind == "linear":
        writer.add_rope_scaling_type(gguf.RopeScalingType.LINEAR)
        writer.add_rope_scaling_factor(float(rope["factor"]))
    elif kind not in ("default", "llama3"):
        raise EngineError("invalid_request", f"the GGUF writer does not write {kind!r} rope scaling (it writes none, "
                          "linear and llama3); export this model as peft or merged instead")
    return {"rope": rope, "head_dim": head_dim}


def _tensors(model, rope: dict, head_dim: int):
    """(GGUF name, tensor) of the merged model, q and k permuted; no output layer when it is tied."""
    import gguf

    config = model.config
    n_head = config.num_attention_heads
    n_kv = getattr(config, "num_key_value_heads", None) or n_head
    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.LLAMA, config.num_hidden_layers)
    state = model.state_dict()
    embed, head = state.get("model.embed_tokens.weight"), state.get("lm_head.weight")
    tied = embed is not None and head is not None and (head.data_ptr() == embed.data_ptr() or torch.equal(head, embed))
    if rope["rope_type"] == "llama3":
        yield "rope_freqs.weight", _llama3_rope_factors(rope, head_dim)
    for name, tensor in state.items():
        if name.endswith(".rotary_emb.inv_freq") or (tied and name == "lm_head.weight"):
            continue
        target = names.get_name(name, try_suffixes=(".weight", ".bias"))
        if target is None:
            raise EngineError("invalid_request", f"the GGUF writer has no llama.cpp name for the tensor {name}; "
                              "export this model as peft or merged instead")
        if name.endswith(("q_proj.weight", "q_proj.bias")):
            tensor = permute(tensor, n_head, n_head)
        elif name.endswith(("k_proj.weight", "k_proj.bias")):
            tensor = permute(tensor, n_head, n_kv)
        yield target, tensor
    if not tied and head is None:
        raise EngineError("model_corrupt", "the model has neither an output layer nor tied embeddings")


def write_model(model, path: Path, quantization: str, name: str, add_vocab: Callable[[object], None],
                extra: dict[str, str], progress: Progress) -> None:
    """Writes `model` (merged, in Hugging Face layout) to the GGUF file `path`."""
    import gguf

    writer = gguf.GGUFWriter(path, gguf.MODEL_ARCH_NAMES[gguf.MODEL_ARCH.LLAMA], use_temp_file=True)
    writer.add_type(gguf.GGUFType.MODEL)
    writer.add_name(name)
    shape = add_hyperparameters(writer, model.config, quantization)
    add_vocab(writer)
    for key, value in extra.items():
        writer.add_string(key, value)
    tensors = list(_tensors(model, shape["rope"], shape["head_dim"]))
    tied = not any(n == "output.weight" for n, _ in tensors)
    last = 0.0
    for i, (target, tensor) in enumerate(tensors):
        data = tensor.detach().to(torch.float32).cpu().numpy()
        high = target == "output.weight" or (tied and target == "token_embd.weight")
        qtype = tensor_type(target, data.shape, quantization, high_precision=high)
        writer.add_tensor(target, encode(data, qtype), raw_dtype=qtype)
        if time.monotonic() - last > 0.5 or i == len(tensors) - 1:
            last = time.monotonic()
            progress(f"writing {quantization} tensors", i + 1, len(tensors))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file(progress=False)
    writer.close()


def tool_format_metadata(adapter_dir: str | None) -> dict[str, str]:
    """The tuned model's tool format (chat.py), as `tailor.tool_format` JSON, when its training recorded one."""
    if not adapter_dir:
        return {}
    summary = Path(adapter_dir) / "tailor_train.json"
    try:
        fmt = json.loads(summary.read_text()).get("tool_format") if summary.is_file() else None
    except (OSError, json.JSONDecodeError):
        return {}
    return {"tailor.tool_format": json.dumps(fmt)} if fmt else {}
