"""Deterministic pseudo-random draws: every generated value is a pure function of its coordinates.

Records are never stored until written; a value is recomputed from (seed, module, record, field)
each time it is served, which is what lets a module of a million records fit in little memory.
"""

from __future__ import annotations

import zlib
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

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


def timeline(
    seed: int, stream: int, size: int, start: int, end: int, *, max_delay: int
) -> Iterator[tuple[int, int, int]]:
    """Per record of a module: a 64-bit hash, a creation time and a modification time.

    Creation times rise with the record index (spread over ``start``..``end``); modification
    times do not, and about a third of the records share theirs with others, as mass updates
    and imports leave them. The hash feeds the caller's other draws (bit slices), which keeps
    a million records to about a second.

    Args:
        seed: The data seed.
        stream: Which module (any integer distinct per module).
        size: How many records.
        start: The earliest creation time, in the caller's unit.
        end: The latest time, in the caller's unit.
        max_delay: The longest time between creation and modification, in that unit.
    """
    span = end - start
    step = max(1, span // max(size, 1))
    bursts = [start + below(mix(seed, stream, burst, 2), span) for burst in range(size // 40 + 1)]
    key = mix(seed, stream)
    for index in range(size):
        h = ((key ^ index) * 0xBF58476D1CE4E5B9) & _MASK
        h ^= h >> 31
        h = (h * 0x94D049BB133111EB) & _MASK
        h ^= h >> 29
        born = start + index * span // size + (h >> 20) % step
        if h & 1023 < 307:
            touched = max(born, bursts[(h >> 10) % len(bursts)])
        else:
            touched = born + (h >> 30) % min(max_delay, end - born + 1)
        yield h, born, touched
