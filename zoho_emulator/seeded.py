"""Deterministic pseudo-random draws: every generated value is a pure function of its coordinates.

Records are never stored until written; a value is recomputed from (seed, module, record, field)
each time it is served, which is what lets a module of a million records fit in little memory.
"""

from __future__ import annotations

import zlib
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from collections.abc import Sequence

T = TypeVar("T")

_MASK = (1 << 64) - 1


def mix(*parts: int) -> int:
    """Hash integers into 64 well-mixed bits (splitmix64 finaliser per part)."""
    h = 0x9E3779B97F4A7C15
    for part in parts:
        h = ((h ^ (part & _MASK)) * 0xBF58476D1CE4E5B9) & _MASK
        h ^= h >> 31
        h = (h * 0x94D049BB133111EB) & _MASK
        h ^= h >> 29
    return h


def code(name: str) -> int:
    """A stable integer for a name, to use as a hash coordinate."""
    return zlib.crc32(name.encode())


def below(h: int, n: int) -> int:
    """A draw in ``range(n)`` from hash ``h``."""
    return (h >> 11) % n


def pick(h: int, options: Sequence[T]) -> T:
    """One of ``options``, chosen by hash ``h``."""
    return options[below(h, len(options))]


def chance(h: int, per_mille: int) -> bool:
    """True for ``per_mille`` out of a thousand hashes."""
    return below(mix(h, 7), 1000) < per_mille
