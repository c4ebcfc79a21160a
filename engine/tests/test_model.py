"""Finding and loading base models: clear errors for missing or broken ones, and the GGUF
tokenizer built from the file's own metadata when transformers cannot convert it."""

from pathlib import Path

import pytest

from tailor_engine.errors import EngineError
from tailor_engine.gguf_tokenizer import tokenizer_from_gguf
from tailor_engine.model import Located, builtin_path, load_model, load_tokenizer, locate


def test_the_builtin_model_resolves_to_the_packaged_gguf():
    located = locate({"kind": "builtin", "name": "smollm2-135m-instruct"})
    assert located.gguf_file == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert (located.folder / located.gguf_file).stat().st_size > 50_000_000


@pytest.mark.parametrize("source, code, text", [
    ({"kind": "builtin", "name": "nope"}, "model_not_found", "no built-in model named 'nope'"),
    ({"kind": "hf_dir", "path": "/no/such/folder"}, "model_not_found", "does not exist"),
    ({"kind": "gguf", "path": "/no/such/file.gguf"}, "model_not_found", "does not exist"),
])
def test_missing_models_are_named(source, code, text):
    with pytest.raises(EngineError) as err:
        locate(source)
    assert err.value.code == code and text in err.value.message


def test_a_folder_without_config_is_not_a_model(tmp_path):
    with pytest.raises(EngineError) as err:
        locate({"kind": "hf_dir", "path": str(tmp_path)})
    assert err.value.code == "model_corrupt" and "config.json" in err.value.message


def test_corrupt_weights_are_reported(tiny_model, tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    for f in ("config.json", "tokenizer.json", "tokenizer_config.json"):
        (broken / f).write_bytes((Path(tiny_model) / f).read_bytes())
    (broken / "model.safetensors").write_bytes(b"\x00" * 100)
    with pytest.raises(EngineError) as err:
        load_model(Located(broken))
    assert err.value.code == "model_corrupt" and str(broken) in err.value.message


def test_gguf_tokenizer_from_metadata_matches_transformers():
    path = builtin_path("smollm2-135m-instruct")
    ours = tokenizer_from_gguf(path)
    theirs = load_tokenizer(Located(path.parent, path.name))
    for text in ["Hello wörld!  ", "<|im_start|>user\nWhat is 2+2?<|im_end|>\n", '{"intent": null} \t ✓ 東京']:
        assert ours(text)["input_ids"] == theirs(text)["input_ids"], text
        assert ours.decode(ours(text)["input_ids"]) == text
    assert ours.eos_token == theirs.eos_token == "<|im_end|>"
    assert ours.chat_template == theirs.chat_template
