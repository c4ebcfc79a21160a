"""Constrained decoding: function calls and structured outputs that always parse and validate.

A grammar is built from the request (llguidance: Lark with embedded JSON Schemas, or a JSON Schema
alone) and a logits processor masks, at every step, the tokens the grammar does not allow, so the
model can only write text that fits; never a retry. With `tool_choice` "required" or a named function
the answer must be calls from its first token; with "auto" the model is free until it starts a call
(the call format's opening), and from there the rest of the calls are constrained.
"""

import json
import threading
from dataclasses import dataclass

import torch
from transformers import LogitsProcessor

from .chat import ToolFormat
from .errors import EngineError

_LLTOKENIZERS: dict[int, object] = {}
_LOCK = threading.Lock()


def _lltokenizer(tokenizer, n_vocab: int):
    import llguidance.hf

    key = id(tokenizer)
    with _LOCK:
        found = _LLTOKENIZERS.get(key)
        if found is None or found[0] is not tokenizer or found[2] != n_vocab:
            found = (tokenizer, llguidance.hf.from_tokenizer(tokenizer, n_vocab=n_vocab), n_vocab)
            _LLTOKENIZERS[key] = found
        return found[1]


def _lit(text: str) -> str:
    return json.dumps(text)


# JSON written as json.dumps writes it (as calls are rendered at training): no free whitespace, which
# a model could otherwise fill its whole token budget with.
_LAYOUT = {"whitespace_flexible": False, "item_separator": ", ", "key_separator": ": "}


def _fixed_layout(schema: dict) -> dict:
    return {**schema, "x-guidance": {**_LAYOUT, **schema.get("x-guidance", {})}}


def _schema_of(tool: dict) -> dict:
    params = tool["function"].get("parameters")
    return _fixed_layout(params if params else {"type": "object", "properties": {}, "additionalProperties": False})


@dataclass(frozen=True)
class Plan:
    """What to constrain: a grammar from the first token ("fixed"), or the rest of the calls once the
    model opens one ("after_prefix"), or nothing."""

    fixed: str | None = None  # a Lark grammar or "json:" + a JSON Schema
    after_prefix: str | None = None
    prefix: str = ""


def _calls_grammar(tools: list[dict], fmt: ToolFormat, parallel: bool, with_prefix: bool) -> str:
    """Lark: one or more (or exactly one) calls to the given functions, in the model's call format."""
    rules = []
    names = []
    for i, tool in enumerate(tools):
        name = tool["function"]["name"]
        head = json.dumps({"name": name})[:-1] + f", {json.dumps(fmt.arguments_key)}: "
        rules.append(f"call_{i}: {_lit(head)} args_{i} {_lit('}' + fmt.call_suffix)}")
        rules.append(f"args_{i}: %json {json.dumps(_schema_of(tool))}")
        names.append(f"call_{i}")
    opening = f"{_lit(fmt.call_prefix)} " if fmt.call_prefix else ""
    lines = [f"call: {opening}({' | '.join(names)})", *rules]
    first = "call" if with_prefix else f"({' | '.join(names)})"
    more = ' ("\\n" call)*' if parallel else ""
    return "\n".join([f"start: {first}{more}", *lines]) + "\n"


def plan_for(request: dict, tools: list[dict] | None, fmt: ToolFormat | None) -> Plan:
    """The constraint a generation request asks for (tools already filtered by tool_choice)."""
    if not request.get("constrained", True):
        return Plan()
    choice = request.get("tool_choice", "auto")
    if tools and fmt is not None and choice != "none":
        parallel = bool(request.get("parallel_tool_calls", True))
        if isinstance(choice, dict) or choice == "required":
            return Plan(fixed=_calls_grammar(tools, fmt, parallel, with_prefix=True))
        if fmt.call_prefix.strip():
            return Plan(after_prefix=_calls_grammar(tools, fmt, parallel, with_prefix=False), prefix=fmt.call_prefix)
        return Plan()
    response_format = request.get("response_format") or {"type": "text"}
    if response_format["type"] == "json_object":
        return Plan(fixed="json:" + json.dumps(_fixed_layout({"type": "object"})))
    if response_format["type"] == "json_schema":
        schema = response_format["json_schema"].get("schema") or {"type": "object"}
        return Plan(fixed="json:" + json.dumps(_fixed_layout(schema)))
    return Plan()


def offered_tools(request: dict) -> list[dict] | None:
    """The functions shown to the model: none with tool_choice "none", only the named one when one is
    named (the others would only tempt it)."""
    tools = request.get("tools") or None
    choice = request.get("tool_choice", "auto")
    if not tools or choice == "none":
        return None
    if isinstance(choice, dict):
        named = [t for t in tools if t["function"]["name"] == choice["function"]["name"]]
        if not named:
            raise EngineError("invalid_request", f"tool_choice names {choice['function']['name']!r}, which is not in tools")
        return tools  # the model sees every function; the grammar allows only the named one
    return tools


def grammar_tools(request: dict, tools: list[dict] | None) -> list[dict] | None:
    choice = request.get("tool_choice", "auto")
    if tools and isinstance(choice, dict):
        return [t for t in tools if t["function"]["name"] == choice["function"]["name"]]
    return tools


def _grammar(spec: str):
    import llguidance

    if spec.startswith("json:"):
        return llguidance.LLMatcher.grammar_from_json_schema(json.loads(spec[5:]))
    return llguidance.LLMatcher.grammar_from_lark(spec)


def check_plan(plan: Plan, tokenizer, n_vocab: int) -> None:
    """Refuses (invalid_request) a schema the constraint cannot follow, before generating."""
    import llguidance

    for spec in (plan.fixed, plan.after_prefix):
        if spec:
            error = llguidance.LLMatcher.validate_grammar(_grammar(spec), _lltokenizer(tokenizer, n_vocab))
            if error:
                raise EngineError("invalid_request", f"the JSON Schema cannot be used to constrain the output: {error}")


_WATCH_TOKENS = 24


@dataclass
class _Row:
    prompt_len: int
    matcher: object | None = None
    watching: bool = False
    done: bool = False
    fed: int = 0  # generated tokens already given to the matcher


class Constraint(LogitsProcessor):
    """Masks the logits of each row of a batch with its grammar (rows may differ, or have none)."""

    def __init__(self, tokenizer, n_vocab: int, plans: list[Plan], prompt_len: int):
        import llguidance
        import llguidance.torch as lt

        self.tokenizer, self.plans, self.n_vocab = tokenizer, plans, n_vocab
        self.lltok = _lltokenizer(tokenizer, n_vocab)
        self.lt, self.llg = lt, llguidance
        self.rows = [_Row(prompt_len) for _ in plans]
        for row, plan in zip(self.rows, plans):
            if plan.fixed:
                row.matcher = self._matcher(plan.fixed)
            elif plan.after_prefix:
                row.watching = True
        self.bitmask = lt.allocate_token_bitmask(len(plans), n_vocab)
        self.eos = tokenizer.eos_token_id

    def _matcher(self, spec: str):
        matcher = self.llg.LLMatcher(self.lltok, _grammar(spec))
        if matcher.is_error():
            raise EngineError("invalid_request", f"the output constraint failed to start: {matcher.get_error()}")
        return matcher

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        masked = []
        for b, (row, plan) in enumerate(zip(self.rows, self.plans)):
            if row.done:
                continue
            generated = input_ids[b, row.prompt_len:].tolist()
            if row.matcher is not None:
                new = generated[row.fed:]
                row.fed = len(generated)
                if new and self.eos in new:
                    row.done = True
                    continue
                if new and row.matcher.consume_tokens(new) is False or row.matcher.is_error():
                    row.matcher, row.done = None, True  # cannot follow any more: leave the row free
                    continue
            elif row.watching and generated:
                # only the last tokens can hold a call's opening that was not there one step ago
                text = self.tokenizer.decode(generated[-_WATCH_TOKENS:], skip_special_tokens=True)
                at = text.find(plan.prefix)
                if at >= 0:
                    row.watching = False
                    matcher = self._matcher(plan.after_prefix)
                    rest = text[at + len(plan.prefix):]
                    ids = self.tokenizer(rest, add_special_tokens=False)["input_ids"] if rest else []
                    if not ids or matcher.consume_tokens(ids) is not False and not matcher.is_error():
                        row.matcher, row.fed = matcher, len(generated)
                    else:
                        row.done = True
            if row.matcher is not None:
                self.lt.fill_next_token_bitmask(row.matcher, self.bitmask, b)
                masked.append(b)
        if masked:
            width = min(scores.shape[-1], self.n_vocab)
            rows = torch.tensor(masked)
            part = scores[rows, :width].float()
            self.lt.apply_token_bitmask_inplace(part, self.bitmask[rows])
            scores = scores.clone()
            scores[rows, :width] = part.to(scores.dtype)
            if scores.shape[-1] > width:
                scores[rows, width:] = float("-inf")
        return scores
