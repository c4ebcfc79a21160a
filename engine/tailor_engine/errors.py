"""The one exception the engine raises on purpose; its code is one of protocol's ERROR_CODES."""

from .generated import ERROR_CODES


class EngineError(Exception):
    def __init__(self, code: str, message: str):
        if code not in ERROR_CODES:
            raise ValueError(f"unknown engine error code {code!r}")
        super().__init__(message)
        self.code = code
        self.message = message
