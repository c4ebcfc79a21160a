"""A tiny Llama-architecture model with random weights and a real tokenizer (SmolLM2's, taken from
the built-in GGUF), for fast tests and for trying Tailor out without waiting."""

import os
import shutil
import tempfile
from pathlib import Path

import torch

from .errors import EngineError
from .model import load_tokenizer, locate


def create_tiny(request: dict) -> dict:
    from transformers import LlamaConfig, LlamaForCausalLM

    out = Path(request["out_dir"])
    if out.exists() and any(out.iterdir()):
        raise EngineError("invalid_request", f"{out} already exists and is not empty")
    tokenizer = load_tokenizer(locate({"kind": "builtin", "name": "smollm2-135m-instruct"}))
    hidden = request["hidden_size"]
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden,
        intermediate_size=hidden * 2,
        num_hidden_layers=request["layers"],
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=2048,
        tie_word_embeddings=False,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(request["seed"])
    model = LlamaForCausalLM(config)
    # LoRA leaves the output layer and the norms frozen. At the usual 0.02 scale a random output
    # layer gives near-uniform logits that LoRA cannot sharpen; a larger scale lets it learn.
    with torch.no_grad():
        model.get_output_embeddings().weight.normal_(0.0, request.get("embedding_std", 0.3))
    out.parent.mkdir(parents=True, exist_ok=True)
    # named after out (Tailor's hidden, per-process name): a crash's leftover is removed with it
    tmp = Path(tempfile.mkdtemp(prefix=f"{out.name}-", dir=out.parent))
    try:
        tmp.chmod(0o755)
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        if out.exists():
            out.rmdir()
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return {"type": "model_created", "path": str(out), "parameters": sum(p.numel() for p in model.parameters()),
            "vocab_size": len(tokenizer)}
