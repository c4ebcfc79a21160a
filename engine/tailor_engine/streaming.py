"""Generation for `serve`: n choices one after another (choice i samples with seed + i), text streamed
as `delta` messages while it is generated, stop sequences, and a cancel flag checked after every token.
Sampling controls are those of generate.py (greedy at temperature 0), with the KV cache of
transformers' `generate`."""

import threading
from collections.abc import Callable
from typing import Any

import torch
from transformers import LogitsProcessorList, StoppingCriteria, StoppingCriteriaList

from .chat import ToolFormat, parse_calls, render, tool_format
from .constrain import Constraint, check_plan, grammar_tools, offered_tools, plan_for

Emit = Callable[[dict[str, Any]], None]


class Choice(StoppingCriteria):
    """Watches one choice token by token: streams its text, and stops it at a stop sequence or when
    cancelled. Text that could be the start of a stop sequence, or half a character, is held back.
    When functions were offered, a call's text is not streamed as words: its name and arguments go
    to `on_call` as they are written."""

    def __init__(self, index: int, prompt_len: int, tokenizer, stops: list[str], cancel: threading.Event,
                 on_text: Callable[[int, str], None] | None, calls: ToolFormat | None = None,
                 on_call: Callable[[int, int, str | None, str], None] | None = None):
        self.index, self.prompt_len, self.tokenizer = index, prompt_len, tokenizer
        self.stops, self.cancel, self.on_text = stops, cancel, on_text
        self.calls = CallStream(calls) if calls is not None and on_call is not None else None
        self.on_call = on_call
        self.sent = ""
        self.cancelled = False

    def __call__(self, input_ids: torch.LongTensor, scores, **kwargs) -> torch.BoolTensor:
        stop_at = None
        if self.stops or self.on_text:
            text = self.tokenizer.decode(input_ids[0, self.prompt_len:].tolist(), skip_special_tokens=True)
            stop_at = cut_at_stop(text, self.stops)
            if self.on_text:
                words = text[:stop_at] if stop_at is not None else text
                if self.calls is not None:
                    call_at = words.find(self.calls.opening)
                    if call_at >= 0:
                        self.stream_calls(words[call_at:])
                        words = words[:call_at].rstrip()
                    self.send(words[:_safe_end(words, [*self.stops, self.calls.opening])])
                else:
                    self.send(words if stop_at is not None else words[:_safe_end(words, self.stops)])
        self.cancelled = stop_at is None and self.cancel.is_set()
        done = stop_at is not None or self.cancelled
        return torch.full((input_ids.shape[0],), done, dtype=torch.bool, device=input_ids.device)

    def stream_calls(self, text: str, final: list[dict] | None = None) -> None:
        assert self.calls is not None and self.on_call is not None
        for call, name, fragment in self.calls.feed(text, final):
            self.on_call(self.index, call, name, fragment)

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


class CallStream:
    """Turns the text of an answer's calls, as it grows, into (call index, name on the first
    fragment, arguments fragment) triples. A call's fragments joined are its arguments' JSON text; the
    end of a call (the closing brace and the format's closing) is held back until it is sure."""

    def __init__(self, fmt: ToolFormat):
        self.fmt = fmt
        self.opening = fmt.call_prefix.strip() or fmt.call_prefix
        self.closing = fmt.call_suffix.strip()
        self.sent: list[str] = []  # arguments text sent, per call

    def feed(self, text: str, final: list[dict] | None = None) -> list[tuple[int, str | None, str]]:
        out: list[tuple[int, str | None, str]] = []
        bodies = text.split(self.opening)[1:]
        marker = f'"{self.fmt.arguments_key}":'
        for i, body in enumerate(bodies):
            if final is not None:
                if i >= len(final):
                    break
                name, args = final[i]["name"], final[i]["arguments"]
            else:
                head = body.lstrip()
                if not head.startswith('{"name": "'):
                    break
                close = head.find('"', 10)
                at = head.find(marker)
                if close < 0 or at < 0:
                    break
                name = head[10:close]
                args = head[at + len(marker):].lstrip()
                end = args.find(self.closing) if self.closing else -1
                args = args[:end].rstrip().removesuffix("}").rstrip() if end >= 0 else \
                    args[:max(0, len(args) - len(self.closing) - 3)]
            if i == len(self.sent):
                self.sent.append("")
                out.append((i, name, ""))
            if args.startswith(self.sent[i]) and len(args) > len(self.sent[i]):
                out.append((i, None, args[len(self.sent[i]):]))
                self.sent[i] = args
        if final is not None:  # calls the text did not show in the expected layout
            for i in range(len(self.sent), len(final)):
                self.sent.append(final[i]["arguments"])
                out += [(i, final[i]["name"], ""), (i, None, final[i]["arguments"])]
        return out


def prompt_ids(tokenizer, messages: list[dict], add_generation_prompt: bool = True,
               tools: list[dict] | None = None) -> list[int]:
    """The conversation as the model sees it, with its chat template (and the functions offered)."""
    prompt = render(tokenizer, messages, tools, add_generation_prompt=add_generation_prompt)
    return tokenizer(prompt, add_special_tokens=False)["input_ids"]


def vocab_size(model, tokenizer) -> int:
    return int(getattr(model.config, "vocab_size", 0) or len(tokenizer))


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
    tools = offered_tools(op)
    fmt = tool_format(tokenizer) if tools else None
    plan = plan_for(op, grammar_tools(op, tools), fmt)
    n_vocab = vocab_size(model, tokenizer)
    check_plan(plan, tokenizer, n_vocab)
    input_ids = torch.tensor([prompt_ids(tokenizer, op["messages"], tools=tools)], device=device)
    prompt_len = int(input_ids.shape[1])
    on_text = (lambda index, text: emit({"type": "delta", "id": op["id"], "index": index, "text": text})) \
        if op["stream"] else None
    on_call = (lambda index, call, name, fragment: emit(
        {"type": "tool_call_delta", "id": op["id"], "index": index, "call": call,
         **({"name": name} if name is not None else {}), "arguments": fragment})) if op["stream"] else None
    choices, completion_tokens = [], 0
    for index in range(op["n"]):
        watch = Choice(index, prompt_len, tokenizer, op["stop"], cancel, on_text, fmt, on_call)
        processors = LogitsProcessorList(
            [Constraint(tokenizer, n_vocab, [plan], prompt_len)] if plan.fixed or plan.after_prefix else [])
        torch.manual_seed(op["seed"] + index)
        output = model.generate(input_ids=input_ids, attention_mask=torch.ones_like(input_ids),
                                stopping_criteria=StoppingCriteriaList([watch]), logits_processor=processors,
                                **sampling_kwargs(op, tokenizer))
        new_tokens = output[0, prompt_len:].tolist()
        finish = "cancelled" if watch.cancelled else "length"
        if new_tokens and new_tokens[-1] == tokenizer.eos_token_id:
            new_tokens, finish = new_tokens[:-1], "stop"
        text = tokenizer.decode(new_tokens, skip_special_tokens=True)
        stop_at = cut_at_stop(text, op["stop"])
        if stop_at is not None:
            text, finish = text[:stop_at], "stop"
        choice: dict[str, Any] = {"index": index, "text": text, "finish_reason": finish}
        if fmt is not None:
            words, calls = parse_calls(text, fmt)
            if calls:
                choice.update(text=words, tool_calls=calls)
                if finish == "stop":
                    choice["finish_reason"] = "tool_calls"
                if watch.calls is not None:
                    watch.stream_calls(text[text.find(watch.calls.opening):], final=calls)
        if on_text:
            watch.send(choice["text"])
        choices.append(choice)
        completion_tokens += len(new_tokens)
        if finish == "cancelled":
            break
    return {"type": "result", "id": op["id"], "choices": choices, "prompt_tokens": prompt_len,
            "completion_tokens": completion_tokens}
