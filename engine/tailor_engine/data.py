"""Turn chat examples into token ids and labels: the model's own chat template (with the functions
offered, see chat.py), loss on assistant tokens only, calls included (and only on assistant messages
whose `weight` is not 0); batches either padded per batch or packed: several examples end to end in
one row, positions restarting at each example."""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import torch

from .chat import has_tools, render, to_plain, tool_format
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

    @property
    def target_count(self) -> int:
        """The positions whose next token is trained (what a collated batch's `targets` holds)."""
        return sum(1 for x in self.labels[1:] if x != IGNORE)


def iter_chat_jsonl(path: str) -> Iterator[dict]:
    """Streams the conversations of a chat JSONL file, one line at a time: {"messages", "tools"}."""
    p = Path(path)
    if not p.is_file():
        raise EngineError("data_invalid", f"data file {p} does not exist")
    with p.open(encoding="utf-8-sig") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
                yield {"messages": value["messages"], "tools": value.get("tools") or None}
            except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as e:
                raise EngineError("data_invalid", f"{p}, line {number}: not a chat example ({e})") from e


def read_chat_jsonl(path: str) -> list[dict]:
    examples = list(iter_chat_jsonl(path))
    if not examples:
        raise EngineError("data_invalid", f"{path} has no examples")
    return examples


def assistant_spans(tokenizer, messages: list[dict], tools: list[dict] | None = None) -> tuple[str, list[tuple[int, int]]]:
    """The rendered conversation and the character spans the model should learn to write.

    Each span is an assistant message's text (or calls) plus the template's end-of-turn marker, found
    by rendering the conversation up to before and after that message.
    """
    if has_tools(messages, tools) and tool_format(tokenizer).kind == "tailor":
        messages, tools = to_plain(messages, tools, tool_format(tokenizer)), None  # plain turns from here

    def _render(part: list[dict], add_generation_prompt: bool) -> str:
        return render(tokenizer, part, tools, add_generation_prompt=add_generation_prompt)

    text = _render(messages, add_generation_prompt=False)
    spans: list[tuple[int, int]] = []
    cursor = 0
    for i, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        before = _render(messages[:i], add_generation_prompt=True) if i else ""
        after = _render(messages[: i + 1], add_generation_prompt=False)
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


def encode(tokenizer, messages: list[dict], max_length: int, tools: list[dict] | None = None) -> Encoded:
    text, spans = assistant_spans(tokenizer, messages, tools)
    enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    ids: list[int] = enc["input_ids"]
    labels = [IGNORE] * len(ids)
    for j, (start, end) in enumerate(enc["offset_mapping"]):
        if end > start and any(s <= start < e for s, e in spans):
            labels[j] = ids[j]
    truncated = len(ids) > max_length
    return Encoded(ids[:max_length], labels[:max_length], truncated)


def encode_all(tokenizer, examples: list[dict], max_length: int) -> list[Encoded]:
    encoded = [encode(tokenizer, e["messages"], max_length, e.get("tools")) for e in examples]
    usable = [e for e in encoded if e.trained_tokens > 0]
    if not usable:
        raise EngineError("data_invalid", "no example has an assistant answer left to learn from (after truncation and weights)")
    return usable


def _targets(e: Encoded, offset: int) -> tuple[list[int], list[int]]:
    """Where (row offset + position) an example's next token is trained, and that token."""
    at = [offset + j for j in range(len(e.labels) - 1) if e.labels[j + 1] != IGNORE]
    return at, [e.labels[j - offset + 1] for j in at]


def collate(batch: list[Encoded], pad_id: int) -> dict[str, torch.Tensor]:
    """Padded rows, plus the flat (row * width + position) indices of the trained positions."""
    width = max(len(e.input_ids) for e in batch)
    ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    labels = torch.full((len(batch), width), IGNORE, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    where: list[int] = []
    targets: list[int] = []
    for row, e in enumerate(batch):
        n = len(e.input_ids)
        ids[row, :n] = torch.tensor(e.input_ids)
        labels[row, :n] = torch.tensor(e.labels)
        mask[row, :n] = 1
        at, ys = _targets(e, row * width)
        where += at
        targets += ys
    return {"input_ids": ids, "labels": labels, "attention_mask": mask, "target_index": torch.tensor(where, dtype=torch.long),
            "targets": torch.tensor(targets, dtype=torch.long)}


def pack(examples: list[Encoded], row_tokens: int) -> list[list[Encoded]]:
    """Rows of at most `row_tokens` tokens (an example longer than that gets a row of its own), longest
    example first into the first row with room (first-fit decreasing): few rows, nearly full."""
    rows: list[list[Encoded]] = []
    room: list[int] = []
    for e in sorted(examples, key=lambda e: len(e.input_ids), reverse=True):
        n = len(e.input_ids)
        fit = next((i for i, r in enumerate(room) if r >= n), None)
        if fit is None:
            rows.append([e])
            room.append(row_tokens - n)
        else:
            rows[fit].append(e)
            room[fit] -= n
    return rows


def collate_packed(row: list[Encoded], multiple: int = 1, pad_id: int = 0) -> dict[str, torch.Tensor]:
    """One row of examples end to end: position ids restart at 0 for each example, `cu_seq_lens_q`
    holds the example boundaries (attention stays within them). With `multiple` > 1 the row ends in a
    segment of its own of `pad_id`s, without targets, that makes its length a multiple of `multiple`
    (oneDNN creates a matmul for every new shape, so rows of fewer lengths reuse theirs)."""
    ids: list[int] = []
    positions: list[int] = []
    bounds = [0]
    where: list[int] = []
    targets: list[int] = []
    for e in row:
        at, ys = _targets(e, len(ids))
        where += at
        targets += ys
        ids += e.input_ids
        positions += range(len(e.input_ids))
        bounds.append(len(ids))
    if fill := -len(ids) % multiple:
        ids += [pad_id] * fill
        positions += range(fill)
        bounds.append(len(ids))
    cu = torch.tensor(bounds, dtype=torch.int32)
    longest = max([len(e.input_ids) for e in row] + [fill])
    return {"input_ids": torch.tensor([ids]), "position_ids": torch.tensor([positions]),
            "attention_mask": torch.ones((1, len(ids)), dtype=torch.long),
            "cu_seq_lens_q": cu, "cu_seq_lens_k": cu, "max_length_q": longest, "max_length_k": longest,
            "target_index": torch.tensor(where, dtype=torch.long), "targets": torch.tensor(targets, dtype=torch.long)}
