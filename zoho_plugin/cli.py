"""The plugins' command line: a user's mistake ends the run in one line on stderr, exit code 1.

The line is ``<plugin>: <what is wrong>``, the message the code raised (it names the setting,
stream, record or field, and what to do). Its traceback is logged at DEBUG only: with
``TAP_ZOHO_LOGLEVEL=debug`` (``TARGET_ZOHO_LOGLEVEL``) or ``LOGLEVEL=debug``, which singer-sdk
reads. Any other exception is a bug: it keeps the SDK's traceback.
"""

from __future__ import annotations

import functools
import logging
import sys
from typing import TYPE_CHECKING, NoReturn, ParamSpec, TypeVar

from singer_sdk.exceptions import ConfigurationError, ConfigValidationError, MappingError
from singer_sdk.singerlib.exceptions import InvalidInputLine

from zoho_connector.errors import ZohoError, ZohoInputError

if TYPE_CHECKING:
    from collections.abc import Callable

    import click

#: The user's to fix: the config and stream maps, the credentials and what Zoho refuses or
#: limits (credits, rates: ``ZohoError``), bad input (a catalog, a target's line).
USER_ERRORS: tuple[type[Exception], ...] = (
    ConfigurationError,
    MappingError,
    ZohoError,
    ZohoInputError,
    InvalidInputLine,
)

_P = ParamSpec("_P")
_R = TypeVar("_R")

#: The exit code of a run a user's mistake ended (the SDK's for a config it refuses).
EXIT_CODE = 1


def one_line_errors(command: click.Command, errors: tuple[type[Exception], ...]) -> click.Command:
    """The command, every callback of which ends the run in one line on one of ``errors``.

    Its own callback (the run) and its options' (``--discover``, ``--test``...), which click
    calls before it: each is wrapped. The run's is called within the SDK's handling of a
    config error, which would log the errors and then "Config validation failed".
    """
    name = str(command.name)
    if command.callback is not None:
        command.callback = _ending(command.callback, name, errors)
    for param in command.params:
        if param.callback is not None:
            param.callback = _ending(param.callback, name, errors)
    return command


def _ending(
    callback: Callable[_P, _R], name: str, errors: tuple[type[Exception], ...]
) -> Callable[_P, _R]:
    @functools.wraps(callback)
    def run(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return callback(*args, **kwargs)
        except errors as error:
            end(name, error)

    return run


def end(name: str, error: Exception) -> NoReturn:
    """End the run on a user's mistake: its traceback at DEBUG, then its one line.

    Raises:
        SystemExit: Always, with :data:`EXIT_CODE`.
    """
    logging.getLogger(name).debug("The traceback of the error below:", exc_info=error)
    sys.stderr.write(f"{name}: {one_line(error)}\n")
    sys.stderr.flush()
    raise SystemExit(EXIT_CODE) from None


def one_line(error: Exception) -> str:
    """What the error says, on one line: a refused config's errors, ``;`` between them."""
    text = str(error)
    if isinstance(error, ConfigValidationError) and error.errors:
        text = "; ".join(error.errors)
    return " ".join(text.split())
