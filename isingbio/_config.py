"""Build configuration and thread defaults."""

from __future__ import annotations

import os
import platform
import sys
from typing import Any, TextIO

import numpy as np

from ._version import __version__


def available_cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def resolve_threads(n_threads: int | None) -> int:
    """None -> all available cores; otherwise a positive int."""
    from ._validation import check_positive_int

    if n_threads is None:
        return available_cores()
    return check_positive_int(n_threads, "n_threads")


def build_config() -> dict[str, Any]:
    """What this installation was built with and can use."""
    from ._kernels._buildinfo import build_info

    info = {
        "isingbio": __version__,
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "platform": platform.platform(),
    }
    info.update(build_info())
    info["cores_available"] = available_cores()
    return info


def show_config(file: TextIO | None = None) -> None:
    """Print the build configuration (version, Cython, OpenMP, threads)."""
    cfg = build_config()
    width = max(len(k) for k in cfg)
    for key, value in cfg.items():
        print(f"{key:<{width}}  {value}", file=file or sys.stdout)
