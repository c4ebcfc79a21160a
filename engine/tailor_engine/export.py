"""`export`: a model written out in a format other tools load (protocol/engine/export.ts).

- `peft`: the adapter folder as PEFT writes it (adapter_config.json + adapter_model.safetensors, with
  the tuned model's tokenizer and chat template), for `PeftModel.from_pretrained(base, folder)`;
- `merged`: the base with the adapter merged in (`merge_and_unload`), a Hugging Face folder:
  safetensors weights, config.json, tokenizer files with the chat template, generation_config.json
  whose eos ids are the end-of-turn tokens;
- `gguf`: the merged model as one GGUF file (export_gguf.py), for llama.cpp, Ollama, LM Studio;
- `gguf_adapter`: the adapter alone as a GGUF LoRA adapter (export_gguf_lora.py).

Everything is written beside `out` under a hidden temporary name and renamed into place at the end,
so a crash or a cancelled export never leaves a half-written file at `out`.
"""

import json
import os
import shutil
import threading
import time
from pathlib import Path

import torch

from .emit import emit, log
from .errors import EngineError
from .model import Located, load_adapter, load_base, load_tokenizer, locate, prefer_cache

# Files of the adapter folder a `peft` export carries (PEFT's own and the tuned model's tokenizer).
PEFT_FILES = ("adapter_config.json", "adapter_model.safetensors", "tokenizer.json", "tokenizer_config.json",
              "special_tokens_map.json", "chat_template.jinja", "chat_template.json", "vocab.json", "merges.txt")
ARCHITECTURE_OF_TYPE = {"llama": "LlamaForCausalLM", "mistral": "MistralForCausalLM"}


def _progress(message: str, current: int | None = None, total: int | None = None) -> None:
    msg: dict = {"type": "progress", "stage": "export", "message": message}
    if current is not None and total is not None:
        msg.update(current=float(current), total=float(total))
    emit(msg)


def architecture_of(located: Located) -> str:
    """The base's architecture as Hugging Face names it, read without loading the weights."""
    if located.gguf_file:
        from gguf import GGUFReader

        field = GGUFReader(located.folder / located.gguf_file).fields.get("general.architecture")
        arch = field.contents() if field is not None else "unknown"
        return ARCHITECTURE_OF_TYPE.get(arch, f"{arch} (GGUF)")
    try:
        config = json.loads((located.folder / "config.json").read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise EngineError("model_corrupt", f"could not read {located.folder / 'config.json'}: {e}") from e
    names = config.get("architectures") or []
    return names[0] if names else ARCHITECTURE_OF_TYPE.get(config.get("model_type", ""), config.get("model_type", "unknown"))


def _check_request(request: dict) -> None:
    fmt, adapter, out = request["format"], request.get("adapter_dir"), Path(request["out"])
    if fmt in ("peft", "gguf_adapter") and not adapter:
        raise EngineError("invalid_request", f"a {fmt} export needs the fine-tuned model's adapter_dir; a base model has no adapter")
    if adapter and not (Path(adapter) / "adapter_config.json").is_file():
        raise EngineError("model_not_found", f"{adapter} has no adapter_config.json; the fine-tuned model's adapter is missing (train it again)")
    if fmt == "gguf_adapter" and request.get("quantization", "f16") == "q4_0":
        raise EngineError("invalid_request", "a GGUF LoRA adapter is written in f32, f16 or q8_0 (q4_0 would lose most of "
                          "the small adapter's precision); ask for one of those, or export the whole model as gguf q4_0")
    if fmt in ("peft", "merged"):
        if out.exists() and (not out.is_dir() or any(out.iterdir())):
            raise EngineError("invalid_request", f"{out} already exists; a {fmt} export writes a new folder, so name one that does not exist")
    elif out.is_dir():
        raise EngineError("invalid_request", f"{out} is a folder; a {fmt} export writes one file, so give a file name (such as model.gguf)")


def _temporary(out: Path, folder: bool) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp) if tmp.is_dir() else tmp.unlink()
    if folder:
        tmp.mkdir()
    return tmp


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _eos_ids(located: Located) -> list[int]:
    try:
        config = json.loads((located.folder / "generation_config.json").read_text())
    except (OSError, json.JSONDecodeError):
        return []
    ids = config.get("eos_token_id")
    return [ids] if isinstance(ids, int) else [i for i in ids or [] if isinstance(i, int)]


def _tokenizer(base: Located, adapter_dir: str | None):
    """The tuned model's tokenizer: the adapter's own when training saved one (as generation uses it)."""
    if adapter_dir and (Path(adapter_dir) / "tokenizer_config.json").is_file():
        return load_tokenizer(Located(Path(adapter_dir)))
    return load_tokenizer(base)


def _merged_model(request: dict, stop: threading.Event):
    _progress("loading the base model")
    model, _ = load_base(request["base"], torch.device("cpu"))
    if stop.is_set():
        raise EngineError("cancelled", "the export was cancelled")
    if request.get("adapter_dir"):
        _progress("merging the adapter into the base")
        model = load_adapter(model, request["adapter_dir"]).merge_and_unload()
    model.eval()
    if stop.is_set():
        raise EngineError("cancelled", "the export was cancelled")
    return model


def _write_peft(request: dict, tmp: Path) -> None:
    adapter = Path(request["adapter_dir"])
    if not (adapter / "adapter_model.safetensors").is_file():
        raise EngineError("model_corrupt", f"{adapter} has no adapter_model.safetensors; the fine-tuned model is incomplete (train it again)")
    for name in PEFT_FILES:
        if (adapter / name).is_file():
            shutil.copyfile(adapter / name, tmp / name)


def _write_merged(model, tokenizer, located: Located, stops: list[str], tmp: Path) -> None:
    declared = {}
    if not located.gguf_file:
        try:
            declared = json.loads((located.folder / "config.json").read_text())
        except (OSError, json.JSONDecodeError):
            pass
    dtype = declared.get("dtype") or declared.get("torch_dtype")
    if dtype in ("float16", "bfloat16"):  # keep the base's own precision (the merge itself ran in float32)
        model = model.to(getattr(torch, dtype))
    if getattr(model.config, "quantization_config", None) is not None:  # a GGUF base, dequantized on load
        del model.config.quantization_config
        model.hf_quantizer = None
        model.is_quantized = False
    gen = model.generation_config
    ids = [tokenizer.convert_tokens_to_ids(t) for t in stops]
    gen.eos_token_id = ids[0] if len(ids) == 1 else ids
    gen.pad_token_id = tokenizer.pad_token_id
    if tokenizer.bos_token_id is not None:
        gen.bos_token_id = tokenizer.bos_token_id
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)


def export(request: dict, stop: threading.Event) -> dict:
    started = time.perf_counter()
    fmt, quantization = request["format"], request.get("quantization", "f16")
    out, adapter = Path(request["out"]), request.get("adapter_dir")
    _check_request(request)
    base = locate(request["base"])
    architecture = architecture_of(prefer_cache(base))
    if fmt in ("gguf", "gguf_adapter"):
        from .export_gguf import check_architecture

        check_architecture(architecture)
    tokenizer = _tokenizer(prefer_cache(base), adapter)
    stops = _stop_tokens(tokenizer, prefer_cache(base))
    tmp = _temporary(out, folder=fmt in ("peft", "merged"))
    try:
        if fmt == "peft":
            _write_peft(request, tmp)
        elif fmt == "merged":
            model = _merged_model(request, stop)
            _progress("saving the merged model")
            _write_merged(model, tokenizer, prefer_cache(base), stops, tmp)
        elif fmt == "gguf":
            _write_gguf(request, base, tokenizer, tmp, stop)
        else:
            from .export_gguf_lora import write_adapter

            write_adapter(Path(adapter), _base_config(base), tmp, quantization, request["model_name"],
                          lambda m, i, n: _progress(m, i, n))
        if stop.is_set():
            raise EngineError("cancelled", "the export was cancelled")
        if out.is_dir():
            out.rmdir()  # an empty folder named by the caller
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True) if tmp.is_dir() else tmp.unlink()
    size = _size(out)
    log(f"exported {fmt} to {out} ({size} bytes) in {time.perf_counter() - started:.1f} s")
    return {"type": "exported", "format": fmt, "path": str(out), "bytes": size, "architecture": architecture,
            "quantization": quantization if fmt in ("gguf", "gguf_adapter") else None,
            "chat_template": tokenizer.chat_template or None, "stop_tokens": stops,
            "bos_token": tokenizer.bos_token, "eos_token": tokenizer.eos_token}


def _stop_tokens(tokenizer, located: Located) -> list[str]:
    from .export_vocab import stop_tokens

    return stop_tokens(tokenizer, _eos_ids(located))


def _base_config(base: Located):
    from transformers import AutoConfig

    located = prefer_cache(base)
    try:
        return AutoConfig.from_pretrained(located.folder, gguf_file=located.gguf_file)
    except Exception as e:
        raise EngineError("model_corrupt", f"could not read the configuration of {located.describe()}: {e}") from e


def _write_gguf(request: dict, base: Located, tokenizer, tmp: Path, stop: threading.Event) -> None:
    from .export_gguf import tool_format_metadata, write_model
    from .export_vocab import add_gguf_tokenizer, add_hf_tokenizer

    model = _merged_model(request, stop)

    def add_vocab(writer) -> None:
        if base.gguf_file and add_gguf_tokenizer(writer, base.folder / base.gguf_file, tokenizer):
            return
        add_hf_tokenizer(writer, tokenizer, model.config.vocab_size)

    write_model(model, tmp, request.get("quantization", "f16"), request["model_name"], add_vocab,
                tool_format_metadata(request.get("adapter_dir")), lambda m, i, n: _progress(m, i, n))
