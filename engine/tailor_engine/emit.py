"""The only writer to stdout: one JSON object per line, each checked against the protocol schema."""

import json
import os
import sys
import threading
from typing import Any

import jsonschema

from .generated import BUNDLE

_validator = jsonschema.Draft202012Validator(BUNDLE["message"])
_lock = threading.Lock()
_out = sys.stdout


def claim_stdout() -> None:
    """Keep the real stdout for protocol messages and send anything else printed to stderr.

    Libraries print (tqdm, warnings, print debugging); none of that may corrupt the protocol.
    """
    global _out
    _out = sys.stdout
    sys.stdout = sys.stderr


def silence() -> None:
    """A rank other than 0 of a distributed run: its messages go nowhere (rank 0 speaks for all)."""
    global _out
    _out = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - for the life of the process


def emit(message: dict[str, Any]) -> None:
    errors = sorted(_validator.iter_errors(message), key=lambda e: list(e.path))
    if errors:
        detail = "; ".join(f"{'/'.join(map(str, e.path)) or '<root>'}: {e.message}" for e in errors)
        raise ValueError(f"engine tried to send an invalid {message.get('type')!r} message: {detail}")
    line = json.dumps(message, ensure_ascii=False, allow_nan=False)
    with _lock:
        _out.write(line + "\n")
        _out.flush()


def log(*parts: object) -> None:
    print(*parts, file=sys.stderr, flush=True)
