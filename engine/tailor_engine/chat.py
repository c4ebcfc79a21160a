"""A conversation as the model sees it: its chat template, with functions when it was offered some.

When the base's own chat template renders tools (the tool list, assistant calls and tool results, as
transformers' `apply_chat_template(tools=...)` does for models trained for it), that template is used.
When it does not (SmolLM2's: the tools would silently vanish), Tailor's format (version 1) turns the
conversation into plain system / user / assistant turns first:

- the system turn is the conversation's own system message (if any), a blank line, then
  TOOLS_INTRO and one JSON line per function (`{"name", "description", "parameters"}`);
- an assistant message that calls functions is its text (if any) followed by one block per call:
  `<tool_call>\\n{"name": "get_order_status", "arguments": {"order_id": "NW-1"}}\\n</tool_call>`,
  blocks separated by a newline;
- consecutive `tool` messages become one user turn of `<tool_response>\\n...\\n</tool_response>` blocks.

The same function renders at training, token counting and generation, so a model is asked for calls
exactly as it learned them; the format is recorded in the tuned model's manifest.
"""

import json
import re
from dataclasses import asdict, dataclass

TAILOR_CALL_PREFIX = "<tool_call>\n"
TAILOR_CALL_SUFFIX = "\n</tool_call>"
TOOLS_INTRO = (
    "You can call the functions below. To call one, answer with nothing but a block\n"
    "<tool_call>\n{\"name\": <function name>, \"arguments\": <arguments as a JSON object>}\n</tool_call>\n"
    "(one block per call). Results come back in <tool_response> blocks. Otherwise answer in words.\n\n"
    "Functions:"
)

_MARK_TOOL = "tailor_probe_function"
_MARK_ARG = "tailor_probe_argument"
_MARK_VALUE = "tailor_probe_value"
_MARK_RESULT = "tailor_probe_result"
_MARK_TEXT = "tailor_probe_text"


@dataclass(frozen=True)
class ToolFormat:
    """protocol ToolFormat: how calls are written in this model's answers."""

    kind: str  # "template" | "tailor"
    call_prefix: str
    call_suffix: str
    arguments_key: str = "arguments"
    version: int = 1

    def as_dict(self) -> dict:
        return asdict(self)


TAILOR_FORMAT = ToolFormat("tailor", TAILOR_CALL_PREFIX, TAILOR_CALL_SUFFIX)


def has_tools(messages: list[dict], tools: list[dict] | None) -> bool:
    return bool(tools) or any(m.get("tool_calls") or m["role"] == "tool" for m in messages)


def call_json(name: str, arguments: dict | str, key: str = "arguments") -> str:
    """One call as the model writes it: name first, then the arguments object."""
    args = json.loads(arguments) if isinstance(arguments, str) else arguments
    return json.dumps({"name": name, key: args}, ensure_ascii=False)


def _function_line(tool: dict) -> str:
    f = tool["function"]
    return json.dumps({k: f[k] for k in ("name", "description", "parameters") if k in f}, ensure_ascii=False)


def to_plain(messages: list[dict], tools: list[dict] | None, fmt: ToolFormat = TAILOR_FORMAT) -> list[dict]:
    """Tailor's format: the conversation as plain turns (assistant messages stay one to one, in
    order, each keeping its `weight`)."""
    out: list[dict] = []
    if tools:
        block = TOOLS_INTRO + "\n" + "\n".join(_function_line(t) for t in tools)
        if messages and messages[0]["role"] == "system":
            own = messages[0]["content"].strip()
            out.append({"role": "system", "content": f"{own}\n\n{block}" if own else block})
            messages = messages[1:]
        else:
            out.append({"role": "system", "content": block})
    for m in messages:
        if m["role"] == "tool":
            block = f"<tool_response>\n{m['content']}\n</tool_response>"
            if out and out[-1].get("_tool"):
                out[-1]["content"] += "\n" + block
            else:
                out.append({"role": "user", "content": block, "_tool": True})
            continue
        plain = {"role": m["role"], "content": m["content"]}
        if m.get("tool_calls"):
            calls = "\n".join(fmt.call_prefix + call_json(c["function"]["name"], c["function"]["arguments"],
                                                          fmt.arguments_key) + fmt.call_suffix
                              for c in m["tool_calls"])
            plain["content"] = f"{m['content'].strip()}\n{calls}" if m["content"].strip() else calls
        if "weight" in m:
            plain["weight"] = m["weight"]
        out.append(plain)
    for m in out:
        m.pop("_tool", None)
    return out


def _native(messages: list[dict]) -> list[dict]:
    """Messages as tool-aware templates expect them (arguments as objects)."""
    out = []
    for m in messages:
        n = {"role": m["role"], "content": m["content"]}
        if m.get("tool_calls"):
            n["tool_calls"] = [{"id": c["id"], "type": "function",
                                "function": {"name": c["function"]["name"],
                                             "arguments": json.loads(c["function"]["arguments"] or "{}")}}
                               for c in m["tool_calls"]]
        if m.get("tool_call_id"):
            n["tool_call_id"] = m["tool_call_id"]
        out.append(n)
    return out


def render(tokenizer, messages: list[dict], tools: list[dict] | None = None,
           add_generation_prompt: bool = False) -> str:
    """The conversation as text, through the model's chat template (see the module's docstring)."""
    if not has_tools(messages, tools):
        plain = [{"role": m["role"], "content": m["content"]} for m in messages]
        return tokenizer.apply_chat_template(plain, tokenize=False, add_generation_prompt=add_generation_prompt)
    fmt = tool_format(tokenizer)
    if fmt.kind == "template":
        return tokenizer.apply_chat_template(_native(messages), tools=tools or None, tokenize=False,
                                             add_generation_prompt=add_generation_prompt)
    plain = [{"role": m["role"], "content": m["content"]} for m in to_plain(messages, tools, fmt)]
    return tokenizer.apply_chat_template(plain, tokenize=False, add_generation_prompt=add_generation_prompt)


def tool_format(tokenizer) -> ToolFormat:
    """The model's own format when its template renders tools, calls and results; Tailor's otherwise.
    Found once per tokenizer by rendering a probe conversation."""
    cached = getattr(tokenizer, "_tailor_tool_format", None)
    if cached is None:
        try:
            cached = _probe(tokenizer) or TAILOR_FORMAT
        except Exception:  # noqa: BLE001 - a template that fails on tools does not render them
            cached = TAILOR_FORMAT
        tokenizer._tailor_tool_format = cached
    return cached


def _probe(tokenizer) -> ToolFormat | None:
    tool = {"type": "function", "function": {"name": _MARK_TOOL, "description": "probe",
                                             "parameters": {"type": "object", "properties": {_MARK_ARG: {"type": "string"}}}}}
    call = {"id": "call_probe", "type": "function", "function": {"name": _MARK_TOOL, "arguments": {_MARK_ARG: _MARK_VALUE}}}
    user = {"role": "user", "content": "hi"}
    apply = tokenizer.apply_chat_template
    listed = apply([user], tools=[tool], tokenize=False, add_generation_prompt=True)
    if _MARK_TOOL not in listed:
        return None
    with_call = apply([user, {"role": "assistant", "content": "", "tool_calls": [call]}], tools=[tool], tokenize=False)
    result = apply([user, {"role": "assistant", "content": "", "tool_calls": [call]},
                    {"role": "tool", "tool_call_id": "call_probe", "content": _MARK_RESULT}], tools=[tool], tokenize=False)
    if _MARK_VALUE not in with_call or _MARK_RESULT not in result or not with_call.startswith(listed):
        return None
    answer = with_call[len(listed):]
    # the call's JSON object: the innermost {...} around the name that parses and holds it
    at = answer.find(_MARK_TOOL)
    for start in range(at, -1, -1):
        if answer[start] != "{":
            continue
        try:
            obj, end = json.JSONDecoder().raw_decode(answer[start:])
        except json.JSONDecodeError:
            continue
        if isinstance(obj, dict) and obj.get("name") == _MARK_TOOL:
            key = next((k for k, v in obj.items() if isinstance(v, dict) and v.get(_MARK_ARG) == _MARK_VALUE), None)
            if key is None:
                return None
            prefix, rest = answer[:start], answer[start + end:]
            text_turn = apply([user, {"role": "assistant", "content": _MARK_TEXT}], tools=[tool], tokenize=False)
            end_of_turn = text_turn[text_turn.find(_MARK_TEXT) + len(_MARK_TEXT):]
            suffix = rest[: len(rest) - len(end_of_turn)] if end_of_turn and rest.endswith(end_of_turn) else rest
            return ToolFormat("template", prefix, suffix, key)
    return None


def parse_calls(text: str, fmt: ToolFormat) -> tuple[str, list[dict]]:
    """The words of an answer and the calls in it ({"name", "arguments": JSON text}). A closed block
    that does not parse stays in the words; an unclosed one at the end (the answer was cut off) is a
    call with the arguments written so far, as OpenAI returns a call cut off by `max_tokens`."""
    prefix = fmt.call_prefix.strip()
    suffix = fmt.call_suffix.strip()
    words: list[str] = []
    calls: list[dict] = []
    cursor = 0
    while prefix and (start := text.find(prefix, cursor)) >= 0:
        body_start = start + len(prefix)
        end = text.find(suffix, body_start) if suffix else -1
        body = text[body_start:end if end >= 0 else len(text)]
        call = _call_of(body.strip(), fmt.arguments_key)
        if call is None and end < 0:
            words.append(text[cursor:start])
            cut = _cut_call(body, fmt.arguments_key)
            if cut is not None:
                calls.append(cut)
            cursor = len(text)
            break
        if call is None:
            break
        words.append(text[cursor:start])
        calls.append(call)
        cursor = end + len(suffix) if end >= 0 else len(text)
    words.append(text[cursor:])
    return "".join(words).strip() if calls or cursor == len(text) and prefix in text else text, calls


def _cut_call(body: str, key: str) -> dict | None:
    """A call cut off mid-way: its name and the arguments text so far (None: not even the name)."""
    match = re.match(r'\s*\{\s*"name"\s*:\s*"([^"]+)"', body)
    if match is None:
        return None
    at = body.find(f'"{key}":', match.end())
    return {"name": match.group(1), "arguments": body[at + len(key) + 3:].lstrip() if at >= 0 else ""}


def _call_of(body: str, key: str) -> dict | None:
    try:
        obj, end = json.JSONDecoder().raw_decode(body)
    except json.JSONDecodeError:
        return None
    if not isinstance(obj, dict) or not isinstance(obj.get("name"), str):
        return None
    args = obj.get(key, obj.get("arguments", obj.get("parameters", {})))
    if isinstance(args, str):
        try:
            args = json.loads(args)
        except json.JSONDecodeError:
            return None
    if not isinstance(args, dict):
        return None
    raw = arguments_text(body, key)
    return {"name": obj["name"], "arguments": raw if raw is not None else json.dumps(args, ensure_ascii=False)}


def arguments_text(body: str, key: str) -> str | None:
    """The arguments object exactly as written in `{"name": ..., "<key>": {...}}` (what was streamed)."""
    marker = f'"{key}":'
    at = body.find(marker)
    if at < 0:
        return None
    rest = body[at + len(marker):].lstrip()
    try:
        obj, end = json.JSONDecoder().raw_decode(rest)
    except json.JSONDecodeError:
        return None
    return rest[:end] if isinstance(obj, dict) else None
