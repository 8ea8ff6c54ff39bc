"""The target's input: Singer messages read as bytes and numbered by line.

A line that is not UTF-8, not JSON or not a Singer message, and any error its message raises
while it is processed, goes to the reader's ``on_bad_input`` with the line's number and
message, so that the error can name where in the input it is.
"""

from __future__ import annotations

import sys
from collections import Counter
from typing import IO, TYPE_CHECKING, Any, NoReturn, Protocol

import msgspec
from singer_sdk.contrib.msgspec import MsgSpecReader, decoder
from singer_sdk.singerlib.encoding.base import SingerMessageType
from typing_extensions import override

from target_zoho.bad_input import BadInputError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

_MESSAGE_TYPES = ", ".join(kind.value for kind in SingerMessageType)


class BadInputHandler(Protocol):
    """Ends the run on a bad line: its number, its message (None if unreadable), the error."""

    def __call__(self, line: int, message: dict[str, Any] | None, error: Exception) -> NoReturn:
        """End the run."""


class NumberedReader(MsgSpecReader):
    """The SDK's msgspec reader, reading bytes and knowing the number of its current line.

    Attributes:
        line: The number of the line being processed (1 for the first).
        on_bad_input: Called on a bad line instead of raising (see the module docstring).
    """

    def __init__(self) -> None:
        super().__init__()
        self.line = 0
        self.on_bad_input: BadInputHandler | None = None

    @override
    def process_lines(
        self,
        file_input: IO[str] | None,
        callbacks: dict[str, Callable[[dict[str, Any]], None]],
    ) -> Counter[str]:
        """Process each line's message; a bad line goes to ``on_bad_input``."""
        stats: Counter[str] = Counter()
        for self.line, raw in enumerate(_lines(file_input or sys.stdin), start=1):
            message: dict[str, Any] | None = None
            try:
                message = _message(raw)
                if message is None:
                    continue
                self.assert_line_requires(message, requires={"type"})
                kind = message["type"]
                if callback := callbacks.get(kind):
                    callback(message)
                else:
                    self._process_unknown_message(message)
            except Exception as error:
                if self.on_bad_input is None:
                    raise
                self.on_bad_input(self.line, message, error)
            stats[kind] += 1
        return stats

    @staticmethod
    @override
    def assert_line_requires(line_dict: dict[str, Any], requires: set[str]) -> None:
        """Raise BadInputError naming the keys a message lacks."""
        missing = sorted(requires - set(line_dict))
        if missing:
            kind = line_dict.get("type")
            what = f"a {kind} message" if isinstance(kind, str) else "a Singer message"
            keys = ", ".join(f'"{key}"' for key in missing)
            msg = f"{what} needs {keys}"
            raise BadInputError(msg)

    @override
    def _process_unknown_message(self, message_dict: dict[str, Any]) -> None:
        msg = f"unknown message type {message_dict['type']!r} (Singer's are {_MESSAGE_TYPES})"
        raise BadInputError(msg)


def _lines(source: IO[str]) -> Iterator[bytes | str]:
    """The lines of a text input as bytes (undecoded), or as text when it has no bytes."""
    binary: IO[bytes] | None = getattr(source, "buffer", None)
    return iter(binary if binary is not None else source)


def _message(raw: bytes | str) -> dict[str, Any] | None:
    """The message of a line; None for a blank line.

    Raises:
        BadInputError: Not UTF-8, not JSON, or not a JSON object.
    """
    try:
        message = decoder.decode(raw)
    except msgspec.DecodeError as error:
        if not raw.strip():
            return None
        if isinstance(raw, bytes):
            _check_utf8(raw)
        msg = f"not JSON ({error})"
        raise BadInputError(msg) from None
    if not isinstance(message, dict):
        msg = "not a Singer message (not a JSON object)"
        raise BadInputError(msg)
    return message


def _check_utf8(raw: bytes) -> None:
    """Raise BadInputError naming the first byte of ``raw`` that is not UTF-8, if any."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as error:
        column = len(raw[: error.start].decode("utf-8")) + 1
        msg = f"not UTF-8 (byte 0x{raw[error.start]:02x} at column {column})"
        raise BadInputError(msg) from None
