"""`export` as gguf: read back with gguf-py's reader, the file holds what llama.cpp needs (the
hyperparameters, the tokenizer and chat template, every weight under its llama.cpp name), q and k in
llama.cpp's rotary layout, and the weights within each quantization's precision. That llama.cpp itself
answers as PyTorch does is shown end to end in src/exports/gguf.e2e.test.ts."""

import threading
from pathlib import Path

import numpy as np
import pytest
import torch
from gguf import GGMLQuantizationType as T
from gguf import GGUFReader
from gguf.quants import dequantize

from tailor_engine.errors import EngineError
from tailor_engine.export import export
from tailor_engine.export_vocab import pre_tokenizer
from tests.test_export import adapter, request  # noqa: F401 - the session's adapter fixture

HEADS, KV_HEADS, HEAD_DIM = 4, 2, 16  # the tiny model's (conftest: hidden 64, 4 heads, 2 kv heads)


@pytest.fixture(scope="session")
def merged(tiny_model, adapter, tmp_path_factory) -> dict[str, torch.Tensor]:
    """The merged model's weights (Hugging Face names), as the merged export writes them."""
    from safetensors.torch import load_file

    out = tmp_path_factory.mktemp("merged") / "m"
    export(request(tiny_model, adapter, "merged", out), threading.Event())
    return load_file(str(out / "model.safetensors"))


@pytest.fixture(scope="session")
def gguf_files(tiny_model, adapter, tmp_path_factory) -> dict[str, tuple[GGUFReader, dict]]:
    folder = tmp_path_factory.mktemp("gguf")
    files = {}
    for q in ("f16", "q8_0", "q4_0"):
        done = export(request(tiny_model, adapter, "gguf", folder / f"{q}.gguf", quantization=q), threading.Event())
        files[q] = (GGUFReader(folder / f"{q}.gguf"), done)
    assert sorted(p.name for p in folder.iterdir()) == ["f16.gguf", "q4_0.gguf", "q8_0.gguf"]  # no temporary left
    return files


def value(reader: GGUFReader, key: str):
    return reader.fields[key].contents()


def weights(reader: GGUFReader, name: str) -> np.ndarray:
    t = next(t for t in reader.tensors if t.name == name)
    return dequantize(t.data, t.tensor_type).reshape(tuple(reversed(t.shape.tolist())))


def interleaved(w: torch.Tensor, heads: int) -> torch.Tensor:
    """llama.cpp's rotary layout, written independently of export_gguf.permute: in each head, Hugging
    Face's row i (first half) and row i + d/2 (second half) become rows 2i and 2i + 1."""
    d = w.shape[0] // heads
    out = torch.empty_like(w)
    for h in range(heads):
        for i in range(d // 2):
            out[h * d + 2 * i] = w[h * d + i]
            out[h * d + 2 * i + 1] = w[h * d + d // 2 + i]
    return out


def test_the_gguf_carries_the_hyperparameters_and_the_tokenizer(gguf_files, tiny_model):
    from transformers import AutoTokenizer

    reader, done = gguf_files["f16"]
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    expected = {"general.architecture": "llama", "general.type": "model", "general.name": "tiny-tuned",
                "general.file_type": 1, "llama.block_count": 2, "llama.context_length": 2048,
                "llama.embedding_length": 64, "llama.feed_forward_length": 128, "llama.attention.head_count": HEADS,
                "llama.attention.head_count_kv": KV_HEADS, "llama.rope.dimension_count": HEAD_DIM,
                "llama.vocab_size": 49152, "tokenizer.ggml.model": "gpt2", "tokenizer.ggml.pre": "smollm",
                "tokenizer.ggml.bos_token_id": 1, "tokenizer.ggml.eos_token_id": 2, "tokenizer.ggml.add_bos_token": False}
    assert {k: value(reader, k) for k in expected} == expected
    assert value(reader, "llama.rope.freq_base") == pytest.approx(10000.0)
    assert value(reader, "llama.attention.layer_norm_rms_epsilon") == pytest.approx(1e-6)
    tokens = value(reader, "tokenizer.ggml.tokens")
    assert tokens == [tokenizer.convert_ids_to_tokens(i) for i in range(49152)]
    assert value(reader, "tokenizer.ggml.token_type")[:3] == [3, 3, 3] and value(reader, "tokenizer.ggml.token_type")[100] == 1
    assert len(value(reader, "tokenizer.ggml.merges")) > 48000
    assert value(reader, "tokenizer.chat_template") == tokenizer.chat_template == done["chat_template"]
    assert done["quantization"] == "f16" and done["stop_tokens"] == ["<|im_end|>"]


def test_every_weight_is_there_under_its_llama_cpp_name(gguf_files, merged):
    reader, _ = gguf_files["f16"]
    names = {t.name for t in reader.tensors}
    per_block = {"attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm", "ffn_gate", "ffn_up", "ffn_down"}
    assert names == {"token_embd.weight", "output_norm.weight", "output.weight"} | {
        f"blk.{b}.{n}.weight" for b in range(2) for n in per_block}
    assert len(names) == len(merged)  # the tiny model does not tie its output layer: both are written
    types = {t.name: t.tensor_type for t in reader.tensors}
    assert types["blk.0.attn_norm.weight"] == types["output_norm.weight"] == T.F32
    assert types["blk.1.ffn_down.weight"] == types["token_embd.weight"] == T.F16


def test_q_and_k_are_in_llama_cpp_rotary_layout_and_the_rest_as_merged(gguf_files, merged):
    reader, _ = gguf_files["f16"]
    for b in range(2):
        hf = f"model.layers.{b}.self_attn."
        for gguf_name, hf_name, heads in (("attn_q", "q_proj", HEADS), ("attn_k", "k_proj", KV_HEADS)):
            expected = interleaved(merged[hf + hf_name + ".weight"], heads).numpy()
            np.testing.assert_allclose(weights(reader, f"blk.{b}.{gguf_name}.weight"), expected, atol=1e-3, rtol=1e-3)
        np.testing.assert_allclose(weights(reader, f"blk.{b}.attn_v.weight"), merged[hf + "v_proj.weight"].numpy(),
                                   atol=1e-3, rtol=1e-3)
    np.testing.assert_allclose(weights(reader, "output.weight"), merged["lm_head.weight"].numpy(), atol=1e-3, rtol=1e-3)


@pytest.mark.parametrize("q, body, output, worst", [("q8_0", T.Q8_0, T.Q8_0, 0.01), ("q4_0", T.Q4_0, T.Q8_0, 0.2)])
def test_quantized_files_use_their_types_within_their_precision(gguf_files, merged, q, body, output, worst):
    reader, done = gguf_files[q]
    types = {t.name: t.tensor_type for t in reader.tensors}
    assert value(reader, "general.file_type") == {"q8_0": 7, "q4_0": 2}[q] and done["quantization"] == q
    assert types["blk.0.ffn_up.weight"] == types["blk.1.attn_q.weight"] == types["token_embd.weight"] == body
    assert types["output.weight"] == output and types["blk.0.ffn_norm.weight"] == T.F32
    for gguf_name, hf_name in (("blk.0.ffn_up.weight", "model.layers.0.mlp.up_proj.weight"), ("output.weight", "lm_head.weight")):
        ours, theirs = weights(reader, gguf_name), merged[hf_name].numpy()
        relative = np.linalg.norm(ours - theirs) / np.linalg.norm(theirs)
        assert relative < worst, f"{gguf_name}: {relative:.4f}"
    sizes = {k: Path(d["path"]).stat().st_size for k, (_, d) in gguf_files.items()}
    assert sizes["f16"] > sizes["q8_0"] > sizes["q4_0"]


def test_tied_embeddings_write_no_output_layer(tiny_model, tmp_path):
    """llama.cpp uses token_embd as the output layer when output.weight is absent; in q4_0 that shared
    matrix is q8_0, as the output layer is."""
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(vocab_size=49152, hidden_size=64, intermediate_size=128, num_hidden_layers=1,
                         num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=True)
    LlamaForCausalLM(config).save_pretrained(tmp_path / "tied")
    AutoTokenizer.from_pretrained(tiny_model).save_pretrained(tmp_path / "tied")
    export(request(str(tmp_path / "tied"), None, "gguf", tmp_path / "t.gguf", quantization="q4_0"), threading.Event())
    types = {t.name: t.tensor_type for t in GGUFReader(tmp_path / "t.gguf").tensors}
    assert "output.weight" not in types and types["token_embd.weight"] == T.Q8_0 and types["blk.0.attn_q.weight"] == T.Q4_0


def test_an_unknown_pre_tokenizer_is_refused_not_guessed():
    class Tokenizer:
        def encode(self, text):
            return [7, 7, 7]

    with pytest.raises(EngineError) as err:
        pre_tokenizer(Tokenizer())
    assert err.value.code == "invalid_request" and "peft or merged" in err.value.message
