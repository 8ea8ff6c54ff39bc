"""How a handler reaches the emulator serving its request (no import of either product)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.requests import Request

    from zoho_emulator.emulator import Emulator


def emulator_of(request: Request) -> Emulator:
    """The emulator serving a request."""
    emulator: Emulator = request.app.state.emulator
    return emulator
