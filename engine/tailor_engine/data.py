"""Turn chat examples into token ids and labels: the model's own chat template, loss on assistant
tokens only (and only on assistant messages whose `weight` is not 0), batches padded per batch."""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import torch

from .errors import EngineError

IGNORE = -100


@dataclass
class Encoded:
    input_ids: list[int]
    labels: list[int]
    truncated: bool

    @property
    def trained_tokens(self) -> int:
        return sum(1 for x in self.labels if x != IGNORE)


def iter_chat_jsonl(path: str) -> Iterator[list[dict]]:
    """Streams the conversations of a chat JSONL file, one line at a time."""
    p = Path(path)
    if not p.is_file():
        raise EngineError("data_invalid", f"data file {p} does not exist")
    with p.open(encoding="utf-8-sig") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                yield json.loads(line)["messages"]
            except (json.JSONDecodeError, KeyError, TypeError) as e:
                raise EngineError("data_invalid", f"{p}, line {number}: not a chat example ({e})") from e


def read_chat_jsonl(path: str) -> list[list[dict]]:
    examples = list(iter_chat_jsonl(path))
    if not examples:
        raise EngineError("data_invalid", f"{path} has no examples")
    return examples


def _render(tokenizer, messages: list[dict], add_generation_prompt: bool) -> str:
    plain = [{"role": m["role"], "content": m["content"]} for m in messages]
    return tokenizer.apply_chat_template(plain, tokenize=False, add_generation_prompt=add_generation_prompt)


def assistant_spans(tokenizer, messages: list[dict]) -> tuple[str, list[tuple[int, int]]]:
    """The rendered conversation and the character spans the model should learn to write.

    Each span is an assistant message's text plus the template's end-of-turn marker, found by rendering
    the conversation up to before and after that message.
    """
    text = _render(tokenizer, messages, add_generation_prompt=False)
    spans: list[tuple[int, int]] = []
    cursor = 0
    for i, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        before = _render(tokenizer, messages[:i], add_generation_prompt=True) if i else ""
        after = _render(tokenizer, messages[: i + 1], add_generation_prompt=False)
        if text.startswith(before) and text.startswith(after) and len(after) > len(before):
            start, end = len(before), len(after)
        else:  # templates that are not prefix-stable: find the content itself
            start = text.find(message["content"], cursor)
            if start < 0:
                raise EngineError("data_invalid", "the chat template dropped an assistant message's text")
            end = start + len(message["content"])
        cursor = end
        if message.get("weight", 1) != 0:
            spans.append((start, end))
    return text, spans


def encode(tokenizer, messages: list[dict], max_length: int) -> Encoded:
    text, spans = assistant_spans(tokenizer, messages)
    enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    ids: list[int] = enc["input_ids"]
    labels = [IGNORE] * len(ids)
    for j, (start, end) in enumerate(enc["offset_mapping"]):
        if end > start and any(s <= start < e for s, e in spans):
            labels[j] = ids[j]
    truncated = len(ids) > max_length
    return Encoded(ids[:max_length], labels[:max_length], truncated)


def encode_all(tokenizer, examples: list[list[dict]], max_length: int) -> list[Encoded]:
    encoded = [encode(tokenizer, m, max_length) for m in examples]
    usable = [e for e in encoded if e.trained_tokens > 0]
    if not usable:
        raise EngineError("data_invalid", "no example has an assistant answer left to learn from (after truncation and weights)")
    return usable


def collate(batch: list[Encoded], pad_id: int) -> dict[str, torch.Tensor]:
    width = max(len(e.input_ids) for e in batch)
    ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    labels = torch.full((len(batch), width), IGNORE, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for row, e in enumerate(batch):
        n = len(e.input_ids)
        ids[row, :n] = torch.tensor(e.input_ids)
        labels[row, :n] = torch.tensor(e.labels)
        mask[row, :n] = 1
    return {"input_ids": ids, "labels": labels, "attention_mask": mask}
