"""The long-lived inference process: many operations over one server, models kept loaded (LRU),
streamed text, cancel, errors that leave the server running, real MiniLM embeddings."""

import json
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tailor_engine import serve as serve_module
from tailor_engine.generate import generate_once
from tailor_engine.serve import Server

ENGINE_DIR = Path(__file__).resolve().parents[1]
HELLO = [{"role": "user", "content": "Hello"}]


class Feed:
    """A stdin that stays open until closed: lines are put in from the test."""

    def __init__(self) -> None:
        self._lines: queue.Queue = queue.Queue()

    def put(self, line: dict | str) -> None:
        self._lines.put(line if isinstance(line, str) else json.dumps(line))

    def close(self) -> None:
        self._lines.put(None)

    def __iter__(self):
        while (line := self._lines.get()) is not None:
            yield line + "\n"


class Replies:
    def __init__(self) -> None:
        self.messages: list[dict] = []
        self._changed = threading.Condition()

    def __call__(self, message: dict) -> None:
        with self._changed:
            self.messages.append(message)
            self._changed.notify_all()

    def of(self, op_id: str | None) -> list[dict]:
        with self._changed:
            return [m for m in self.messages if m.get("id") == op_id]

    def wait(self, op_id: str | None, kinds=("result", "embeddings", "token_count", "error"), timeout: float = 120) -> dict:
        end = time.monotonic() + timeout
        with self._changed:
            while True:
                done = [m for m in self.messages if m.get("id") == op_id and m["type"] in kinds]
                if done:
                    return done[0]
                assert self._changed.wait(max(0.0, end - time.monotonic())), f"no reply to {op_id} in {timeout}s"


@pytest.fixture
def server(monkeypatch):
    """A running Server fed by a Feed; `loads` counts base model loads."""
    loads: list[str] = []
    real_load = serve_module.load_base

    def counting_load(source, device, *args, **kwargs):
        loads.append(json.dumps(source))
        return real_load(source, device, *args, **kwargs)

    monkeypatch.setattr(serve_module, "load_base", counting_load)
    feed, replies = Feed(), Replies()

    def start(max_models: int = 3):
        thread = threading.Thread(target=Server(max_models, replies).run, args=(feed,), daemon=True)
        thread.start()
        return feed, replies, loads

    yield start
    feed.close()


def gen(op_id: str, tiny_model: str, **overrides) -> dict:
    op = {"op": "generate", "id": op_id, "base": {"kind": "hf_dir", "path": tiny_model}, "messages": HELLO,
          "temperature": 0, "top_p": 1, "top_k": 0, "max_tokens": 12, "stop": [], "seed": 0, "n": 1, "stream": False,
          "tool_choice": "auto", "parallel_tool_calls": True, "constrained": True}
    op.update(overrides)
    return op


def count(op_id: str, tiny_model: str, **overrides) -> dict:
    op = {"op": "count_tokens", "id": op_id, "base": {"kind": "hf_dir", "path": tiny_model}, "messages": HELLO,
          "add_generation_prompt": True}
    op.update(overrides)
    return op


def test_operations_share_one_server_and_the_model_stays_loaded(server, tiny_model):
    feed, replies, loads = server()
    feed.put(gen("a", tiny_model))
    first = replies.wait("a")
    feed.put(gen("b", tiny_model))
    second = replies.wait("b")
    feed.put(count("c", tiny_model))
    counted = replies.wait("c")

    assert len(loads) == 1, "the second request reused the loaded model"
    one_shot = generate_once({k: v for k, v in gen("x", tiny_model).items() if k not in ("op", "id", "n", "stream")})
    assert first["choices"] == second["choices"] == [{"index": 0, "text": one_shot["text"],
                                                       "finish_reason": one_shot["finish_reason"]}]
    assert first["prompt_tokens"] == one_shot["prompt_tokens"] == counted["prompt_tokens"]
    assert first["completion_tokens"] == one_shot["completion_tokens"]
    assert not replies.of("a")[:-1], "no deltas unless asked to stream"


def test_least_recently_used_model_is_dropped(server, tiny_model):
    feed, replies, loads = server(max_models=1)
    other = tiny_model.rstrip("/") + "/"  # another source, the same weights
    for op_id, path in (("a", tiny_model), ("b", other), ("c", tiny_model)):
        feed.put(gen(op_id, path, max_tokens=2))
        assert replies.wait(op_id)["type"] == "result"
    assert len(loads) == 3


def test_streamed_deltas_join_to_each_choice(server, tiny_model):
    feed, replies, _ = server()
    feed.put(gen("s", tiny_model, n=3, stream=True, temperature=1.2, top_k=50, seed=5, max_tokens=16))
    result = replies.wait("s")
    deltas = [m for m in replies.of("s") if m["type"] == "delta"]
    assert len(result["choices"]) == 3 and len(deltas) > 3
    for choice in result["choices"]:
        assert "".join(d["text"] for d in deltas if d["index"] == choice["index"]) == choice["text"]
    assert len({c["text"] for c in result["choices"]}) > 1, "choice i samples with seed + i"


def test_streaming_never_sends_a_stop_sequence(server, tiny_model):
    feed, replies, _ = server()
    feed.put(gen("full", tiny_model, max_tokens=20))
    full = replies.wait("full")["choices"][0]["text"]
    stop = full[6:9]
    feed.put(gen("cut", tiny_model, max_tokens=20, stop=[stop], stream=True))
    result = replies.wait("cut")
    streamed = "".join(d["text"] for d in replies.of("cut") if d["type"] == "delta")
    assert result["choices"][0] == {"index": 0, "text": full[:full.find(stop)], "finish_reason": "stop"}
    assert streamed == result["choices"][0]["text"]


def test_cancel_stops_a_long_generation_and_a_queued_one(server, tiny_model):
    feed, replies, _ = server()
    feed.put(gen("long", tiny_model, max_tokens=1800, stream=True))
    feed.put(gen("queued", tiny_model))
    replies.wait("long", kinds=("delta",))
    t0 = time.monotonic()
    feed.put({"op": "cancel", "id": "k1", "target": "queued"})
    feed.put({"op": "cancel", "id": "k2", "target": "long"})
    feed.put({"op": "cancel", "id": "k3", "target": "no-such-op"})
    result = replies.wait("long")
    assert time.monotonic() - t0 < 5
    assert result["choices"][0]["finish_reason"] == "cancelled"
    assert 0 < result["completion_tokens"] < 1800
    assert replies.wait("queued")["code"] == "cancelled"
    assert not replies.of("k3")


def test_a_bad_operation_answers_error_and_the_server_goes_on(server, tiny_model, tmp_path):
    feed, replies, _ = server()
    feed.put(gen("missing", str(tmp_path / "no-model")))
    feed.put("this is not JSON")
    feed.put({"op": "generate", "id": "incomplete"})
    feed.put({"op": "teleport", "id": "odd"})
    feed.put(count("bad-adapter", tiny_model, adapter_dir=str(tmp_path)))
    feed.put(gen("fine", tiny_model))
    missing = replies.wait("missing")
    assert (missing["type"], missing["code"]) == ("error", "model_not_found")
    assert "no-model" in missing["message"]
    assert replies.wait(None)["code"] == "invalid_request"
    assert "base" in replies.wait("incomplete")["message"]
    assert "teleport" in replies.wait("odd")["message"]
    assert replies.wait("bad-adapter")["code"] == "model_corrupt"
    assert replies.wait("fine")["type"] == "result"


def test_an_adapter_is_its_own_cache_entry(server, tiny_model, tmp_path):
    from tailor_engine.model import attach_lora, load_base

    import torch

    model, tokenizer = load_base({"kind": "hf_dir", "path": tiny_model}, torch.device("cpu"))
    attach_lora(model, 4, 8, 0.0, "all-linear").save_pretrained(tmp_path / "adapter")
    feed, replies, loads = server()
    feed.put(gen("base", tiny_model, max_tokens=4))
    feed.put(gen("tuned", tiny_model, max_tokens=4, adapter_dir=str(tmp_path / "adapter")))
    feed.put(count("n", tiny_model, adapter_dir=str(tmp_path / "adapter")))
    base, tuned = replies.wait("base"), replies.wait("tuned")
    assert base["choices"] == tuned["choices"], "an untrained LoRA adapter changes nothing"
    assert replies.wait("n")["prompt_tokens"] == base["prompt_tokens"]
    assert len(loads) == 2


def test_embeddings_of_similar_sentences_are_closer(server):
    feed, replies, _ = server()
    sentences = ["The cat sits on the mat.", "A kitten is sitting on a rug.", "Interest rates rose by half a point."]
    feed.put({"op": "embed", "id": "e", "input": sentences})
    result = replies.wait("e")
    assert result["type"] == "embeddings", result
    a, b, c = result["data"]
    assert len(a) == 384 and result["prompt_tokens"] > len(sentences)
    dot = lambda u, v: sum(x * y for x, y in zip(u, v))  # noqa: E731
    assert abs(dot(a, a) - 1) < 1e-4
    assert dot(a, b) > dot(a, c) + 0.2 and dot(a, b) > dot(b, c) + 0.2
    feed.put({"op": "embed", "id": "bad", "input": ["x"], "model": "/no/such/embedder"})
    assert replies.wait("bad")["code"] == "model_not_found"


def test_the_serve_command_over_stdio(tiny_model, tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "tailor_engine", "serve"], cwd=ENGINE_DIR, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdin and proc.stdout
    proc.stdin.write(json.dumps({"max_models": 1}) + "\n")
    proc.stdin.write(json.dumps(count("c", tiny_model)) + "\n")
    proc.stdin.flush()
    hello = json.loads(proc.stdout.readline())
    reply = json.loads(proc.stdout.readline())
    assert hello["type"] == "hello" and reply["type"] == "token_count" and reply["prompt_tokens"] > 0
    proc.stdin.close()  # end of input: the server shuts down
    assert proc.wait(timeout=30) == 0
    assert proc.stdout.read() == ""


def test_a_bad_start_request_fails_the_process():
    proc = subprocess.run([sys.executable, "-m", "tailor_engine", "serve"], cwd=ENGINE_DIR, text=True,
                          input='{"max_models": 0}\n', capture_output=True, timeout=60)
    last = json.loads(proc.stdout.splitlines()[-1])
    assert proc.returncode == 1 and last["type"] == "failed" and "max_models" in last["message"]


def test_text_that_may_start_a_stop_or_end_mid_character_is_held_back():
    from tailor_engine.streaming import _safe_end

    assert _safe_end("Hello wor", ["world"]) == len("Hello ")
    assert _safe_end("Hello", ["###"]) == 5
    assert _safe_end("caf\ufffd", []) == 3
    assert _safe_end("ab#", ["##", "#x"]) == 2
