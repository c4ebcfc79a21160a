"""Generation from a base model with an optional LoRA adapter: greedy at temperature 0, otherwise
temperature / top-p / top-k sampling with a seed; stop sequences; a token budget."""

from pathlib import Path

import torch

from .device import pick_device
from .model import load_adapter, load_base, load_tokenizer, Located


def generate_once(request: dict) -> dict:
    device = pick_device()
    model, tokenizer = load_base(request["base"], device)
    if request.get("adapter_dir"):
        model = load_adapter(model, request["adapter_dir"])
        if (Path(request["adapter_dir"]) / "tokenizer_config.json").is_file():
            tokenizer = load_tokenizer(Located(Path(request["adapter_dir"])))
    model.eval()
    return generate(model, tokenizer, request, device)


@torch.no_grad()
def generate(model, tokenizer, request: dict, device: torch.device) -> dict:
    messages = [{"role": m["role"], "content": m["content"]} for m in request["messages"]]
    prompt = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    input_ids = tokenizer(prompt, add_special_tokens=False, return_tensors="pt")["input_ids"].to(device)
    temperature = request["temperature"]
    sample = temperature > 0
    kwargs = {
        "max_new_tokens": request["max_tokens"],
        "do_sample": sample,
        "pad_token_id": tokenizer.pad_token_id,
        "eos_token_id": tokenizer.eos_token_id,
    }
    if sample:
        kwargs.update(temperature=temperature, top_p=request["top_p"], top_k=request["top_k"] or None)
    else:  # greedy: no sampling knobs, so transformers does not warn about unused ones
        kwargs.update(temperature=None, top_p=None, top_k=None)
    stops = request["stop"]
    if stops:
        kwargs.update(stop_strings=stops, tokenizer=tokenizer)
    torch.manual_seed(request["seed"])
    output = model.generate(input_ids=input_ids, attention_mask=torch.ones_like(input_ids), **kwargs)
    new_tokens = output[0, input_ids.shape[1]:].tolist()
    finish = "length"
    if new_tokens and new_tokens[-1] == tokenizer.eos_token_id:
        new_tokens = new_tokens[:-1]
        finish = "stop"
    text = tokenizer.decode(new_tokens, skip_special_tokens=True)
    for s in stops:
        cut = text.find(s)
        if cut >= 0:
            text, finish = text[:cut], "stop"
    return {"type": "generation", "text": text, "prompt_tokens": int(input_ids.shape[1]),
            "completion_tokens": len(new_tokens), "finish_reason": finish}
