"""Generation for `serve`: n choices one after another (choice i samples with seed + i), text streamed
as `delta` messages while it is generated, stop sequences, and a cancel flag checked after every token.
Sampling controls are those of generate.py (greedy at temperature 0), with the KV cache of
transformers' `generate`."""

import threading
from collections.abc import Callable
from typing import Any

import torch
from transformers import StoppingCriteria, StoppingCriteriaList

Emit = Callable[[dict[str, Any]], None]


class Choice(StoppingCriteria):
    """Watches one choice token by token: streams its text, and stops it at a stop sequence or when
    cancelled. Text that could be the start of a stop sequence, or half a character, is held back."""

    def __init__(self, index: int, prompt_len: int, tokenizer, stops: list[str], cancel: threading.Event,
                 on_text: Callable[[int, str], None] | None):
        self.index, self.prompt_len, self.tokenizer = index, prompt_len, tokenizer
        self.stops, self.cancel, self.on_text = stops, cancel, on_text
        self.sent = ""
        self.cancelled = False

    def __call__(self, input_ids: torch.LongTensor, scores, **kwargs) -> torch.BoolTensor:
        stop_at = None
        if self.stops or self.on_text:
            text = self.tokenizer.decode(input_ids[0, self.prompt_len:].tolist(), skip_special_tokens=True)
            stop_at = cut_at_stop(text, self.stops)
            if self.on_text:
                self.send(text[:stop_at] if stop_at is not None else text[:_safe_end(text, self.stops)])
        self.cancelled = stop_at is None and self.cancel.is_set()
        done = stop_at is not None or self.cancelled
        return torch.full((input_ids.shape[0],), done, dtype=torch.bool, device=input_ids.device)

    def send(self, text: str) -> None:
        # decoding more tokens only ever extends the text, except in odd tokenizers; then wait
        if len(text) > len(self.sent) and text.startswith(self.sent):
            assert self.on_text
            self.on_text(self.index, text[len(self.sent):])
            self.sent = text


def cut_at_stop(text: str, stops: list[str]) -> int | None:
    cuts = [i for i in (text.find(s) for s in stops) if i >= 0]
    return min(cuts) if cuts else None


def _safe_end(text: str, stops: list[str]) -> int:
    """Where the text can be sent up to: not into a trailing replacement character (a multi-byte
    character whose remaining bytes are still to come) nor into the start of a possible stop."""
    end = len(text.rstrip("\ufffd"))
    held = 0
    for s in stops:
        for k in range(min(len(s) - 1, end), held, -1):
            if text[:end].endswith(s[:k]):
                held = k
                break
    return end - held


def prompt_ids(tokenizer, messages: list[dict], add_generation_prompt: bool = True) -> list[int]:
    """The conversation as the model sees it, with its chat template."""
    chat = [{"role": m["role"], "content": m["content"]} for m in messages]
    prompt = tokenizer.apply_chat_template(chat, tokenize=False, add_generation_prompt=add_generation_prompt)
    return tokenizer(prompt, add_special_tokens=False)["input_ids"]


def sampling_kwargs(op: dict, tokenizer) -> dict:
    kwargs = {"max_new_tokens": op["max_tokens"], "do_sample": op["temperature"] > 0,
              "pad_token_id": tokenizer.pad_token_id, "eos_token_id": tokenizer.eos_token_id}
    if op["temperature"] > 0:
        kwargs.update(temperature=op["temperature"], top_p=op["top_p"], top_k=op["top_k"] or None)
    else:  # greedy: no sampling knobs, so transformers does not warn about unused ones
        kwargs.update(temperature=None, top_p=None, top_k=None)
    return kwargs


@torch.no_grad()
def generate_choices(model, tokenizer, op: dict, device: torch.device, cancel: threading.Event,
                     emit: Emit) -> dict:
    """Runs a `generate` operation and returns its `result` message (deltas are emitted on the way)."""
    input_ids = torch.tensor([prompt_ids(tokenizer, op["messages"])], device=device)
    prompt_len = int(input_ids.shape[1])
    on_text = (lambda index, text: emit({"type": "delta", "id": op["id"], "index": index, "text": text})) \
        if op["stream"] else None
    choices, completion_tokens = [], 0
    for index in range(op["n"]):
        watch = Choice(index, prompt_len, tokenizer, op["stop"], cancel, on_text)
        torch.manual_seed(op["seed"] + index)
        output = model.generate(input_ids=input_ids, attention_mask=torch.ones_like(input_ids),
                                stopping_criteria=StoppingCriteriaList([watch]), **sampling_kwargs(op, tokenizer))
        new_tokens = output[0, prompt_len:].tolist()
        finish = "cancelled" if watch.cancelled else "length"
        if new_tokens and new_tokens[-1] == tokenizer.eos_token_id:
            new_tokens, finish = new_tokens[:-1], "stop"
        text = tokenizer.decode(new_tokens, skip_special_tokens=True)
        stop_at = cut_at_stop(text, op["stop"])
        if stop_at is not None:
            text, finish = text[:stop_at], "stop"
        if on_text:
            watch.send(text)
        choices.append({"index": index, "text": text, "finish_reason": finish})
        completion_tokens += len(new_tokens)
        if finish == "cancelled":
            break
    return {"type": "result", "id": op["id"], "choices": choices, "prompt_tokens": prompt_len,
            "completion_tokens": completion_tokens}
