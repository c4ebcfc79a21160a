"""`export` as peft and merged: the files other tools load give the same logits as Tailor's base +
adapter; clear refusals for requests that cannot be met; nothing half-written at `out`."""

import json
import threading
from pathlib import Path

import pytest
import torch

from tailor_engine.errors import EngineError
from tailor_engine.export import export
from tailor_engine.model import attach_lora, load_adapter, load_base

PROMPT = "<|im_start|>user\nMy brakes squeal, what should I do?<|im_end|>\n<|im_start|>assistant\n"


@pytest.fixture(scope="session")
def adapter(tiny_model, tmp_path_factory) -> str:
    """A LoRA adapter on the tiny model whose B matrices are random (not PEFT's zeros), so that it
    changes every adapted layer's output, saved with its tokenizer as training saves one."""
    out = tmp_path_factory.mktemp("adapters") / "tuned"
    model, tokenizer = load_base({"kind": "hf_dir", "path": tiny_model}, torch.device("cpu"))
    model = attach_lora(model, rank=8, alpha=16, dropout=0.0, target_modules="all-linear")
    torch.manual_seed(1)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.normal_(0.0, 0.05)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    (out / "tailor_train.json").write_text(json.dumps({"tool_format": None}))
    return str(out)


def request(tiny_model: str, adapter: str | None, fmt: str, out: Path, **extra) -> dict:
    r = {"base": {"kind": "hf_dir", "path": tiny_model}, "format": fmt, "out": str(out), "model_name": "tiny-tuned",
         "quantization": "f16", **extra}
    if adapter:
        r["adapter_dir"] = adapter
    return r


def reference_logits(tiny_model: str, adapter: str) -> torch.Tensor:
    """What Tailor itself computes: the base with the adapter attached (not merged)."""
    model, tokenizer = load_base({"kind": "hf_dir", "path": tiny_model}, torch.device("cpu"))
    model = load_adapter(model, adapter).eval()
    ids = tokenizer(PROMPT, add_special_tokens=False, return_tensors="pt")["input_ids"]
    with torch.no_grad():
        return model(ids).logits


def test_peft_export_loads_with_peft_and_gives_the_same_logits(tiny_model, adapter, tmp_path):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    out = tmp_path / "peft"
    done = export(request(tiny_model, adapter, "peft", out), threading.Event())
    assert done["type"] == "exported" and done["format"] == "peft" and done["quantization"] is None
    assert {"adapter_config.json", "adapter_model.safetensors", "tokenizer.json"} <= {p.name for p in out.iterdir()}
    assert done["bytes"] == sum(p.stat().st_size for p in out.iterdir())
    base = AutoModelForCausalLM.from_pretrained(tiny_model, dtype=torch.float32)
    tokenizer = AutoTokenizer.from_pretrained(out)
    model = PeftModel.from_pretrained(base, out).eval()
    ids = tokenizer(PROMPT, add_special_tokens=False, return_tensors="pt")["input_ids"]
    with torch.no_grad():
        assert torch.equal(model(ids).logits, reference_logits(tiny_model, adapter))


def test_merged_export_is_a_hugging_face_folder_with_the_same_logits(tiny_model, adapter, tmp_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer, GenerationConfig

    out = tmp_path / "merged"
    progress: list[dict] = []
    import tailor_engine.export as module

    original = module.emit
    module.emit = progress.append
    try:
        done = export(request(tiny_model, adapter, "merged", out), threading.Event())
    finally:
        module.emit = original
    assert {"model.safetensors", "config.json", "tokenizer.json", "generation_config.json"} <= {p.name for p in out.iterdir()}
    assert any(p["stage"] == "export" and "merging" in p["message"] for p in progress)
    merged = AutoModelForCausalLM.from_pretrained(out, dtype=torch.float32).eval()
    assert not any("lora" in name for name in merged.state_dict())
    tokenizer = AutoTokenizer.from_pretrained(out)
    ids = tokenizer(PROMPT, add_special_tokens=False, return_tensors="pt")["input_ids"]
    with torch.no_grad():
        diff = (merged(ids).logits - reference_logits(tiny_model, adapter)).abs().max().item()
    assert diff < 1e-4, f"merged logits differ from base + adapter by {diff}"
    # the chat template and the end-of-turn token travel with the folder
    assert tokenizer.chat_template == done["chat_template"] and "<|im_start|>" in done["chat_template"]
    assert done["stop_tokens"] == ["<|im_end|>"] and done["eos_token"] == "<|im_end|>"
    assert GenerationConfig.from_pretrained(out).eos_token_id == tokenizer.convert_tokens_to_ids("<|im_end|>")
    assert done["architecture"] == "LlamaForCausalLM"


def test_the_base_alone_exports_as_merged(tiny_model, tmp_path):
    from transformers import AutoModelForCausalLM

    out = tmp_path / "base"
    export(request(tiny_model, None, "merged", out), threading.Event())
    ours = AutoModelForCausalLM.from_pretrained(out).state_dict()
    theirs = AutoModelForCausalLM.from_pretrained(tiny_model).state_dict()
    assert all(torch.equal(ours[k], theirs[k]) for k in theirs)


@pytest.mark.parametrize("fmt, extra, code, words", [
    ("peft", {}, "invalid_request", "needs the fine-tuned model's adapter_dir"),
    ("gguf_adapter", {}, "invalid_request", "needs the fine-tuned model's adapter_dir"),
])
def test_adapter_formats_need_an_adapter(tiny_model, tmp_path, fmt, extra, code, words):
    with pytest.raises(EngineError) as err:
        export(request(tiny_model, None, fmt, tmp_path / "x", **extra), threading.Event())
    assert err.value.code == code and words in err.value.message


def test_refusals_say_what_to_do(tiny_model, adapter, tmp_path):
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "file").write_text("x")
    cases = [
        (request(tiny_model, adapter, "merged", taken), "invalid_request", "already exists"),
        (request(tiny_model, adapter, "gguf", taken), "invalid_request", "give a file name"),
        (request(tiny_model, adapter, "gguf_adapter", tmp_path / "a.gguf", quantization="q4_0"), "invalid_request", "f32, f16 or q8_0"),
        (request(tiny_model, str(tmp_path / "nowhere"), "merged", tmp_path / "m"), "model_not_found", "adapter_config.json"),
        (request(str(tmp_path / "nobase"), adapter, "merged", tmp_path / "m"), "model_not_found", "does not exist"),
    ]
    for req, code, words in cases:
        with pytest.raises(EngineError) as err:
            export(req, threading.Event())
        assert err.value.code == code and words in err.value.message, err.value.message
    assert not (tmp_path / "m").exists() and not (tmp_path / "a.gguf").exists()


def test_an_architecture_the_gguf_writer_does_not_know_is_refused_for_gguf_only(tmp_path, adapter):
    base = tmp_path / "gpt2"
    base.mkdir()
    (base / "config.json").write_text(json.dumps({"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2"}))
    for fmt in ("gguf", "gguf_adapter"):
        with pytest.raises(EngineError) as err:
            export(request(str(base), adapter, fmt, tmp_path / "out.gguf"), threading.Event())
        assert err.value.code == "invalid_request"
        assert "GPT2LMHeadModel" in err.value.message and "LlamaForCausalLM" in err.value.message
        assert "peft" in err.value.message and "merged" in err.value.message
    # peft does not care which architecture the base is
    done = export(request(str(base), adapter, "peft", tmp_path / "peft"), threading.Event())
    assert done["architecture"] == "GPT2LMHeadModel" and (tmp_path / "peft" / "adapter_config.json").is_file()


def test_a_cancelled_export_leaves_nothing_behind(tiny_model, adapter, tmp_path):
    stop = threading.Event()
    stop.set()
    with pytest.raises(EngineError) as err:
        export(request(tiny_model, adapter, "merged", tmp_path / "m"), stop)
    assert err.value.code == "cancelled"
    assert list(tmp_path.iterdir()) == []
