"""`python -m tailor_engine <command>`: read one request line on stdin, answer in JSON lines on stdout.

Closing stdin asks a running command to stop at its next safe point (between training steps).
`serve` is the long-lived exception: after its request, stdin carries one operation per line (serve.py).
"""

import json
import os
import platform
import sys
import threading
import traceback

from . import __version__, distributed
from .config import refuse_unknown_keys
from .emit import claim_stdout, emit, log, silence
from .errors import EngineError
from .generated import BUNDLE, COMMANDS, PROTOCOL_VERSION


def _read_request(command: str) -> dict:
    import jsonschema

    line = sys.stdin.readline()
    if not line.strip():
        raise EngineError("invalid_request", f"expected one JSON request line on stdin for {command!r}")
    try:
        request = json.loads(line)
    except json.JSONDecodeError as e:
        raise EngineError("invalid_request", f"request is not JSON: {e}") from e
    if isinstance(request, dict):
        refuse_unknown_keys(command, request)
    errors = list(jsonschema.Draft202012Validator(BUNDLE["requests"][command]).iter_errors(request))
    if errors:
        first = errors[0]
        where = "/".join(map(str, first.path)) or "<root>"
        raise EngineError("invalid_request", f"request field {where}: {first.message}")
    return request


def _watch_stdin(stop: threading.Event) -> None:
    """Any further input, or end of input, means: stop gracefully."""

    def run() -> None:
        try:
            sys.stdin.read()
        finally:
            stop.set()

    threading.Thread(target=run, daemon=True, name="stdin-watch").start()


def _dispatch(command: str, request: dict, stop: threading.Event) -> dict:
    if command == "doctor":
        from .doctor import doctor

        return doctor()
    if command == "create-tiny":
        from .tiny import create_tiny

        return create_tiny(request)
    if command == "train":
        from .train import train

        return train(request, emit, stop)
    if command == "generate":
        from .generate import generate_once

        return generate_once(request)
    if command == "generate-batch":
        from .batch import generate_batch

        return generate_batch(request, emit, stop)
    if command == "count-tokens":
        from .tokens import count_tokens

        return count_tokens(request)
    if command == "score-pairs":
        from .dpo import score_pairs

        return score_pairs(request, emit, stop)
    if command == "train-classifier":
        from .classify import train_classifier

        return train_classifier(request, emit, stop)
    if command == "classify":
        from .classify import classify

        return classify(request)
    if command == "export":
        from .export import export

        return export(request, stop)
    raise EngineError("invalid_request", f"unknown command {command!r}; expected one of {', '.join(COMMANDS)}")


def main(argv: list[str]) -> int:
    claim_stdout()
    if len(argv) != 1 or argv[0] not in COMMANDS:
        emit({"type": "failed", "code": "invalid_request",
              "message": f"usage: python -m tailor_engine <{'|'.join(COMMANDS)}> < request.json"})
        return 2
    command = argv[0]
    if distributed.is_distributed():
        return _main_distributed(command)
    try:
        _hello()
        request = _read_request(command)
        if command == "serve":
            from .serve import serve

            serve(request, sys.stdin, emit)
            return 0
        stop = threading.Event()
        _watch_stdin(stop)
        emit(_dispatch(command, request, stop))
        return 0
    except EngineError as e:
        emit({"type": "failed", "code": e.code, "message": e.message})
        return 1
    except MemoryError as e:
        emit({"type": "failed", "code": "out_of_memory", "message": f"ran out of memory: {e}"})
        return 1
    except Exception as e:  # noqa: BLE001 - the last line of defence: report, never hang
        traceback.print_exc(file=sys.stderr)
        code = "out_of_memory" if "out of memory" in str(e).lower() else "internal"
        emit({"type": "failed", "code": code, "message": f"{type(e).__name__}: {e}"})
        return 1


def _hello() -> None:
    import torch

    from .device import pick_device

    emit({"type": "hello", "protocolVersion": PROTOCOL_VERSION, "engineVersion": __version__,
          "python": platform.python_version(), "torch": torch.__version__, "device": pick_device().type})


def _main_distributed(command: str) -> int:
    """One rank of a run under torchrun (distributed.py): rank 0 speaks the protocol for all of them,
    the others train in silence and exit non-zero on an error (torchrun then stops the rest)."""
    me = distributed.rank()
    if me != 0:
        silence()
    try:
        distributed.init()
        if me == 0:
            _hello()
        got = _request_on_rank0(command) if me == 0 else None
        got = distributed.share(got)
        if "error" in got:
            raise EngineError(*got["error"])
        request = got["request"]
        if command != "train" or request.get("method", "sft") != "sft":
            distributed.refuse(command if command != "train" else f"train --method {request.get('method')}")
        stop = threading.Event()
        if me == 0:
            _watch_stdin(stop)
        emit(_dispatch(command, request, stop))
        return 0
    except EngineError as e:
        log(f"rank {me}: {e.message}")
        emit({"type": "failed", "code": e.code, "message": e.message})
        # a stop is every rank's decision and rank 0 reports it; a non-zero exit elsewhere would have
        # torchrun end rank 0 while it writes the stop's checkpoint
        return 0 if me != 0 and e.code == "cancelled" else 1
    except Exception as e:  # noqa: BLE001 - as in main
        traceback.print_exc(file=sys.stderr)
        if distributed.peer_lost(e):
            # another rank died (its launcher stops this one too): no result, as when one process
            # dies, so the job is queued again to go on from its last checkpoint
            log(f"rank {me}: another process of this run stopped; ending without a result")
            return 1
        code = "out_of_memory" if "out of memory" in str(e).lower() else "internal"
        emit({"type": "failed", "code": code, "message": f"rank {me}: {type(e).__name__}: {e}"})
        return 1
    finally:
        distributed.close()


def _request_on_rank0(command: str) -> dict:
    """The request line, or the reason it was refused, to send to every rank."""
    try:
        return {"request": _read_request(command)}
    except EngineError as e:
        return {"error": [e.code, e.message]}


if __name__ == "__main__":
    status = main(sys.argv[1:])
    if distributed.is_distributed():
        # a rank ends here, its messages sent and the group left (distributed.close): it skips the
        # interpreter's shutdown, where a gloo thread still freeing the last collective's tensors
        # would abort the finished run (SIGABRT), and torchrun would report a failure
        sys.__stdout__.flush()
        sys.stderr.flush()
        os._exit(status)
    sys.exit(status)
