"""Input checks shared by the public API: one-line messages that say what is wrong."""

from __future__ import annotations

import math

import numpy as np

from .errors import InputError, MemoryLimitError


def check_beta(beta, name: str = "beta") -> float:
    """A finite, non-negative inverse temperature as a float."""
    try:
        value = float(beta)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number, got {beta!r}") from None
    if not math.isfinite(value):
        raise InputError(f"{name} must be finite, got {value}")
    if value < 0:
        raise InputError(f"{name} must be >= 0 (a negative {name} is a negative temperature), got {value}")
    return value


def check_temperature(temperature) -> float:
    """Convert a temperature to beta, refusing zero, negative and non-finite values."""
    try:
        value = float(temperature)
    except (TypeError, ValueError):
        raise InputError(f"temperature must be a number, got {temperature!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise InputError(f"temperature must be finite and > 0, got {value}")
    return 1.0 / value


def check_positive_int(value, name: str, minimum: int = 1) -> int:
    """An integer >= minimum."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise InputError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if value < minimum:
        raise InputError(f"{name} must be >= {minimum}, got {value}")
    return value


def check_finite(array: np.ndarray, name: str) -> None:
    """Refuse NaN and infinities, naming the first bad index."""
    if array.size and not np.all(np.isfinite(array)):
        bad = np.argwhere(~np.isfinite(array))[0]
        idx = tuple(int(i) for i in bad)
        raise InputError(f"{name} contains {array[idx]} at index {idx if len(idx) > 1 else idx[0]}")


def available_memory() -> int:
    """Bytes of memory this process can still allocate (the tightest limit, see
    :func:`isingbio._config.memory_limit`)."""
    from ._config import memory_limit

    return memory_limit()[0]


def format_bytes(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} PiB"


def check_memory(nbytes: float, what: str, hint: str = "") -> None:
    """Refuse, before allocating, an allocation that would not fit under the tightest memory
    limit (available memory, ``ulimit -v`` / ``-d``, cgroup); the message names that limit."""
    from ._config import memory_limit

    avail, which = memory_limit()
    if nbytes > 0.9 * avail:
        msg = (
            f"{what} needs {format_bytes(nbytes)} but only {format_bytes(avail)} of memory is available "
            f"(limit: {which})"
        )
        if hint:
            msg += f"; {hint}"
        raise MemoryLimitError(msg)
