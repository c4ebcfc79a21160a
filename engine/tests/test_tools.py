"""Functions and structured outputs: rendering (Tailor's format and a tool-aware template), the loss on
calls, parsing calls out of answers, and constrained decoding that always parses and validates."""

import json
import threading

import jsonschema
import pytest

from tailor_engine.batch import answer_all
from tailor_engine.chat import TAILOR_FORMAT, parse_calls, render, tool_format
from tailor_engine.data import encode
from tailor_engine.device import pick_device
from tailor_engine.errors import EngineError
from tailor_engine.model import Located, load_adapter, load_base, load_tokenizer
from tailor_engine.streaming import generate_choices
from tailor_engine.train import train

from .conftest import Collect, train_request

ORDER = {"type": "function", "function": {
    "name": "get_order_status", "description": "Look up an order",
    "parameters": {"type": "object", "properties": {"order_id": {"type": "string", "pattern": "^NW-[0-9]{4}$"}},
                   "required": ["order_id"], "additionalProperties": False}}}
REPAIR = {"type": "function", "function": {
    "name": "book_repair", "description": "Book a repair",
    "parameters": {"type": "object", "properties": {"bike": {"type": "string", "maxLength": 12},
                                                    "date": {"type": "string", "enum": ["monday", "tuesday"]}},
                   "required": ["bike", "date"], "additionalProperties": False}}}
CALL = {"id": "call_1", "type": "function", "function": {"name": "get_order_status", "arguments": "{\"order_id\": \"NW-1234\"}"}}
CONVERSATION = [
    {"role": "system", "content": "You are Northwind Bikes' assistant."},
    {"role": "user", "content": "Where is NW-1234?"},
    {"role": "assistant", "content": "", "tool_calls": [CALL]},
    {"role": "tool", "tool_call_id": "call_1", "content": "{\"status\": \"shipped\"}"},
    {"role": "assistant", "content": "It has shipped."},
]

# A ChatML template that renders tools the way Qwen2.5's does (the model's own format).
TOOL_TEMPLATE = (
    "{%- if tools %}<|im_start|>system\n{% if messages[0]['role'] == 'system' %}{{ messages[0]['content'] }}\n\n{% endif %}"
    "# Tools\n<tools>{% for tool in tools %}\n{{ tool | tojson }}{% endfor %}\n</tools><|im_end|>\n"
    "{%- elif messages[0]['role'] == 'system' %}<|im_start|>system\n{{ messages[0]['content'] }}<|im_end|>\n{%- endif %}"
    "{%- for message in messages %}"
    "{%- if message.role == 'user' or (message.role == 'system' and not loop.first) %}<|im_start|>{{ message.role }}\n{{ message.content }}<|im_end|>\n"
    "{%- elif message.role == 'assistant' %}<|im_start|>assistant\n{{ message.content }}"
    "{%- if message.tool_calls %}{% for call in message.tool_calls %}\n<functioncall>\n{\"name\": \"{{ call.function.name }}\", "
    "\"arguments\": {{ call.function.arguments | tojson }}}\n</functioncall>{% endfor %}{% endif %}<|im_end|>\n"
    "{%- elif message.role == 'tool' %}<|im_start|>user\n<tool_response>\n{{ message.content }}\n</tool_response><|im_end|>\n"
    "{%- endif %}{%- endfor %}{%- if add_generation_prompt %}<|im_start|>assistant\n{%- endif %}"
)


@pytest.fixture(scope="module")
def loaded(tiny_model):
    model, tokenizer = load_base({"kind": "hf_dir", "path": tiny_model}, pick_device())
    model.eval()
    return model, tokenizer


def learned_text(tokenizer, encoded) -> str:
    return tokenizer.decode([t for t, label in zip(encoded.input_ids, encoded.labels) if label != -100])


def test_tailor_format_renders_tools_calls_and_results(loaded):
    _, tok = loaded
    assert tool_format(tok) == TAILOR_FORMAT  # SmolLM2's template ignores tools
    text = render(tok, CONVERSATION, [ORDER])
    assert "You are Northwind Bikes' assistant.\n\nYou can call the functions below." in text
    assert '{"name": "get_order_status", "description": "Look up an order", "parameters":' in text
    assert '<tool_call>\n{"name": "get_order_status", "arguments": {"order_id": "NW-1234"}}\n</tool_call>' in text
    assert "<|im_start|>user\n<tool_response>\n{\"status\": \"shipped\"}\n</tool_response><|im_end|>" in text
    # without functions, a conversation renders as it always did
    plain = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]
    assert render(tok, plain) == tok.apply_chat_template(plain, tokenize=False)


def test_loss_covers_the_call_and_the_answer_not_the_result(loaded):
    _, tok = loaded
    learned = learned_text(tok, encode(tok, CONVERSATION, 2048, [ORDER]))
    assert learned == ('<tool_call>\n{"name": "get_order_status", "arguments": {"order_id": "NW-1234"}}\n</tool_call><|im_end|>\n'
                       "It has shipped.<|im_end|>\n")


def test_a_template_that_renders_tools_is_used_as_it_is(tiny_model, tmp_path):
    tok = load_tokenizer(Located(__import__("pathlib").Path(tiny_model)))
    tok.chat_template = TOOL_TEMPLATE
    fmt = tool_format(tok)
    assert (fmt.kind, fmt.call_prefix, fmt.call_suffix, fmt.arguments_key) == \
        ("template", "\n<functioncall>\n", "\n</functioncall>", "arguments")
    text = render(tok, CONVERSATION, [ORDER])
    assert "# Tools\n<tools>{\"type\": \"function\"" in text and "You can call the functions below" not in text
    learned = learned_text(tok, encode(tok, CONVERSATION, 2048, [ORDER]))
    assert '<functioncall>\n{"name": "get_order_status", "arguments": {"order_id": "NW-1234"}}\n</functioncall><|im_end|>' in learned
    words, calls = parse_calls('\n<functioncall>\n{"name": "get_order_status", "arguments": {"order_id": "NW-1"}}\n</functioncall>', fmt)
    assert (words, calls) == ("", [{"name": "get_order_status", "arguments": '{"order_id": "NW-1"}'}])


def test_parse_calls_keeps_words_and_leaves_broken_blocks_as_text():
    text = 'Let me check.\n<tool_call>\n{"name": "a", "arguments": {"x": 1}}\n</tool_call>\n<tool_call>\n{"name": "b", "arguments": {}}\n</tool_call>'
    words, calls = parse_calls(text, TAILOR_FORMAT)
    assert words == "Let me check."
    assert calls == [{"name": "a", "arguments": '{"x": 1}'}, {"name": "b", "arguments": "{}"}]
    assert parse_calls("<tool_call>\n{not json}\n</tool_call>", TAILOR_FORMAT) == ("<tool_call>\n{not json}\n</tool_call>", [])
    assert parse_calls("Just words.", TAILOR_FORMAT) == ("Just words.", [])


def test_a_call_cut_off_by_the_token_budget_keeps_its_name_and_arguments_so_far():
    cut = '<tool_call>\n{"name": "a", "arguments": {}}\n</tool_call>\n<tool_call>\n{"name": "b", "arguments": {"order_id": "NW'
    assert parse_calls(cut, TAILOR_FORMAT) == ("", [{"name": "a", "arguments": "{}"}, {"name": "b", "arguments": '{"order_id": "NW'}])
    # an opening with no name yet is markup, not words
    assert parse_calls("Let me look.\n<tool_call>\n{", TAILOR_FORMAT) == ("Let me look.", [])


def _generate(loaded, **op):
    model, tok = loaded
    messages = op.pop("messages", [{"role": "user", "content": "Where is my order NW-1234?"}])
    request = {"id": "g", "base": {}, "messages": messages, "temperature": 0.0, "top_p": 1.0, "top_k": 0,
               "max_tokens": 60, "stop": [], "seed": 0, "n": 1, "stream": True, "tool_choice": "auto",
               "parallel_tool_calls": True, "constrained": True, **op}
    sent: list[dict] = []
    result = generate_choices(model, tok, request, pick_device(), threading.Event(), sent.append)
    return result, sent


@pytest.mark.parametrize("choice", ["required", {"type": "function", "function": {"name": "book_repair"}}])
def test_forced_calls_parse_validate_and_stream_in_fragments(loaded, choice):
    result, sent = _generate(loaded, tools=[ORDER, REPAIR], tool_choice=choice, parallel_tool_calls=False, max_tokens=120)
    (answer,) = result["choices"]
    assert answer["finish_reason"] == "tool_calls", answer
    (call,) = answer["tool_calls"]
    schemas = {t["function"]["name"]: t["function"]["parameters"] for t in (ORDER, REPAIR)}
    if isinstance(choice, dict):
        assert call["name"] == "book_repair"
    jsonschema.validate(json.loads(call["arguments"]), schemas[call["name"]])
    deltas = [m for m in sent if m["type"] == "tool_call_delta"]
    assert deltas[0]["name"] == call["name"] and all("name" not in d for d in deltas[1:])
    assert "".join(d["arguments"] for d in deltas) == call["arguments"]
    assert not [m for m in sent if m["type"] == "delta" and m["text"]]  # no call text streamed as words


def test_json_schema_output_always_validates(loaded):
    schema = {"type": "object", "properties": {"name": {"type": "string", "maxLength": 10}, "urgent": {"type": "boolean"}},
              "required": ["name", "urgent"], "additionalProperties": False}
    for seed in range(3):
        result, _ = _generate(loaded, response_format={"type": "json_schema", "json_schema": {"name": "x", "schema": schema}},
                              temperature=1.0, seed=seed, max_tokens=80)
        (answer,) = result["choices"]
        assert answer["finish_reason"] == "stop"
        jsonschema.validate(json.loads(answer["text"]), schema)


def test_without_the_constraint_a_random_model_writes_no_json(loaded):
    result, _ = _generate(loaded, response_format={"type": "json_object"}, constrained=False, max_tokens=20)
    with pytest.raises(json.JSONDecodeError):
        json.loads(result["choices"][0]["text"])


def test_a_schema_the_constraint_cannot_follow_is_refused(loaded):
    with pytest.raises(EngineError) as e:
        _generate(loaded, response_format={"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": 12}}})
    assert e.value.code == "invalid_request"


def test_a_model_trained_on_calls_calls_and_auto_constrains_its_arguments(tiny_model, tmp_path, no_stop):
    # the tiny model learns to open a call on its own; with tool_choice "auto" the constraint takes over
    # from the call's opening, so the arguments match the schema's pattern, which free decoding misses
    lines = []
    for n in range(8):
        call = {"id": "call_1", "type": "function",
                "function": {"name": "get_order_status", "arguments": json.dumps({"order_id": f"NW-{1000 + n * 7}"})}}
        lines.append({"messages": [{"role": "user", "content": f"Where is order NW-{1000 + n * 7}?"},
                                   {"role": "assistant", "content": "", "tool_calls": [call]}], "tools": [ORDER]})
    data = tmp_path / "calls.jsonl"
    data.write_text("".join(json.dumps(line) + "\n" for line in lines))
    events = Collect()
    done = train(train_request(tiny_model, tmp_path, train_file=str(data), epochs=20, learning_rate=0.01), events, no_stop)
    assert done["tool_format"] == TAILOR_FORMAT.as_dict() and done["tools"] == [ORDER]
    model, tok = load_base({"kind": "hf_dir", "path": tiny_model}, pick_device())
    model = load_adapter(model, done["path"])
    model.eval()
    conversations = [[{"role": "user", "content": f"Where is order NW-{n}?"}] for n in (4321, 8765, 5555)]
    texts, _, free = answer_all(model, tok, conversations, 40, 3, pick_device(), lambda n: None, [[ORDER]] * 3)
    _, _, constrained = answer_all(model, tok, conversations, 40, 3, pick_device(), lambda n: None, [[ORDER]] * 3,
                                   constrained=True)
    assert constrained is not None and all(calls for calls in constrained), constrained
    for calls in constrained:
        assert calls[0]["name"] == "get_order_status"
        jsonschema.validate(json.loads(calls[0]["arguments"]), ORDER["function"]["parameters"])
    # the same model, unconstrained, opens a call too (it learned when to call); its arguments are
    # whatever it writes (here, greedy decoding runs on with digits past the pattern)
    assert free is not None and all(calls or text.startswith("<tool_call>") for text, calls in zip(texts, free)), texts
    # no functions offered: no calls parsed, words only
    texts, _, none = answer_all(model, tok, conversations[:1], 20, 1, pick_device(), lambda n: None, [None])
    assert none is None


def test_parallel_calls_cut_off_stream_what_the_result_says(loaded):
    result, sent = _generate(loaded, tools=[ORDER, REPAIR], tool_choice="required", max_tokens=45)
    (answer,) = result["choices"]
    assert answer["finish_reason"] == "length" and answer["tool_calls"], answer
    assert "<tool_call>" not in answer["text"]
    streamed: dict[int, list[dict]] = {}
    for d in (m for m in sent if m["type"] == "tool_call_delta"):
        streamed.setdefault(d["call"], []).append(d)
    assert len(streamed) == len(answer["tool_calls"])
    for i, call in enumerate(answer["tool_calls"]):
        assert streamed[i][0]["name"] == call["name"]
        assert "".join(d["arguments"] for d in streamed[i]) == call["arguments"]
