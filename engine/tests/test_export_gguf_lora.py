"""`export` as gguf_adapter: a GGUF LoRA adapter as llama.cpp reads one, whose pairs, applied to the
base GGUF's weights the way llama.cpp applies them (W + alpha / rank * B A), give the merged GGUF's
weights. That node-llama-cpp loads it and answers as the merged model is in src/exports/gguf.e2e.test.ts.
Also: the tokenizer copied from a GGUF base, and the tool format carried in the metadata."""

import json
import math
import shutil
import threading

import numpy as np
import pytest
from gguf import GGMLQuantizationType as T
from gguf import GGUFReader, GGUFWriter

from tailor_engine.errors import EngineError
from tailor_engine.export import export
from tailor_engine.export_vocab import add_gguf_tokenizer
from tailor_engine.model import Located, builtin_path, load_tokenizer
from tests.test_export import adapter, request  # noqa: F401 - the session's adapter fixture
from tests.test_export_gguf import value, weights

MODULES = ("attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down")


def test_the_adapter_applied_to_the_base_gives_the_merged_weights(tiny_model, adapter, tmp_path):
    run = threading.Event()
    done = export(request(tiny_model, adapter, "gguf_adapter", tmp_path / "lora.gguf", quantization="f32"), run)
    export(request(tiny_model, None, "gguf", tmp_path / "base.gguf", quantization="f32"), run)
    export(request(tiny_model, adapter, "gguf", tmp_path / "merged.gguf", quantization="f32"), run)
    lora, base, merged = (GGUFReader(tmp_path / f"{n}.gguf") for n in ("lora", "base", "merged"))
    assert done["format"] == "gguf_adapter" and done["quantization"] == "f32"
    assert {k: value(lora, k) for k in ("general.architecture", "general.type", "adapter.type", "general.name")} == {
        "general.architecture": "llama", "general.type": "adapter", "adapter.type": "lora", "general.name": "tiny-tuned"}
    alpha = value(lora, "adapter.lora.alpha")
    assert alpha == 16.0
    names = {t.name for t in lora.tensors}
    assert names == {f"blk.{b}.{m}.weight.lora_{s}" for b in range(2) for m in MODULES for s in "ab"}
    for b in range(2):
        for m in MODULES:
            name = f"blk.{b}.{m}.weight"
            a, bb = weights(lora, name + ".lora_a"), weights(lora, name + ".lora_b")
            assert a.shape[0] == bb.shape[1] == 8  # rank x in, out x rank
            applied = weights(base, name) + alpha / 8 * (bb @ a)
            np.testing.assert_allclose(applied, weights(merged, name), atol=1e-5, err_msg=name)


def test_q8_0_adapters_quantize_the_rows_that_allow_it(tiny_model, adapter, tmp_path):
    export(request(tiny_model, adapter, "gguf_adapter", tmp_path / "q8.gguf", quantization="q8_0"), threading.Event())
    types = {t.name: t.tensor_type for t in GGUFReader(tmp_path / "q8.gguf").tensors}
    assert types["blk.0.attn_q.weight.lora_a"] == T.Q8_0  # rows of 64 inputs
    assert types["blk.0.attn_q.weight.lora_b"] == T.F16  # rows of rank 8: not a multiple of 32


def test_rank_stabilised_lora_keeps_its_scale(tiny_model, adapter, tmp_path):
    rs = tmp_path / "rslora"
    shutil.copytree(adapter, rs)
    config = json.loads((rs / "adapter_config.json").read_text())
    (rs / "adapter_config.json").write_text(json.dumps({**config, "use_rslora": True}))
    export(request(tiny_model, str(rs), "gguf_adapter", tmp_path / "rs.gguf"), threading.Event())
    # llama.cpp scales by alpha / rank; PEFT's rsLoRA by lora_alpha / sqrt(rank)
    assert value(GGUFReader(tmp_path / "rs.gguf"), "adapter.lora.alpha") / 8 == pytest.approx(16 / math.sqrt(8))


def test_adapters_llama_cpp_cannot_apply_are_refused(tiny_model, adapter, tmp_path):
    dora = tmp_path / "dora"
    shutil.copytree(adapter, dora)
    config = json.loads((dora / "adapter_config.json").read_text())
    (dora / "adapter_config.json").write_text(json.dumps({**config, "use_dora": True, "modules_to_save": ["lm_head"]}))
    with pytest.raises(EngineError) as err:
        export(request(tiny_model, str(dora), "gguf_adapter", tmp_path / "d.gguf"), threading.Event())
    assert err.value.code == "invalid_request"
    assert "DoRA" in err.value.message and "lm_head" in err.value.message and "the whole model as gguf" in err.value.message
    assert not (tmp_path / "d.gguf").exists() and [p.name for p in tmp_path.iterdir()] == ["dora"]


def test_a_gguf_base_tokenizer_is_copied_as_is(tmp_path):
    """The built-in SmolLM2's tokenizer metadata goes into the export unchanged, with the tuned chat template."""
    source = builtin_path("smollm2-135m-instruct")
    tokenizer = load_tokenizer(Located(source.parent, source.name))
    tokenizer.chat_template = "{{ messages[0]['content'] }}"  # a tuned model's own template wins
    writer = GGUFWriter(tmp_path / "vocab.gguf", "llama")
    assert add_gguf_tokenizer(writer, source, tokenizer)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.close()
    ours, theirs = GGUFReader(tmp_path / "vocab.gguf"), GGUFReader(source)
    keys = [k for k in theirs.fields if k.startswith("tokenizer.ggml.")]
    assert "tokenizer.ggml.pre" in keys and "tokenizer.ggml.merges" in keys
    for key in keys:
        assert value(ours, key) == value(theirs, key), key
    assert value(ours, "tokenizer.chat_template") == "{{ messages[0]['content'] }}"


def test_the_tool_format_travels_in_the_gguf(tiny_model, adapter, tmp_path):
    tools = tmp_path / "tools"
    shutil.copytree(adapter, tools)
    fmt = {"kind": "tailor", "call_prefix": "<tool_call>\n", "call_suffix": "\n</tool_call>", "arguments_key": "arguments", "version": 1}
    (tools / "tailor_train.json").write_text(json.dumps({"tool_format": fmt}))
    export(request(tiny_model, str(tools), "gguf", tmp_path / "t.gguf", quantization="q8_0"), threading.Event())
    assert json.loads(value(GGUFReader(tmp_path / "t.gguf"), "tailor.tool_format")) == fmt
