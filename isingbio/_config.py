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


def _read_int(path: str) -> int | None:
    try:
        with open(path) as fh:
            text = fh.read().strip()
    except OSError:
        return None
    if text == "max":
        return None
    try:
        return int(text)
    except ValueError:
        return None


def _proc_status_bytes(field: str) -> int:
    """A ``kB`` field of /proc/self/status (VmSize, VmData) in bytes; 0 if unknown."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _cgroup_limits(cgroup_text: str | None = None, sysfs: str = "/sys/fs/cgroup") -> list[tuple[int, str]]:
    """Free room under the cgroup memory limits of this process (v2 and v1), innermost and
    every parent (the tightest one binds). `cgroup_text` (the content of /proc/self/cgroup)
    and `sysfs` are for tests."""
    found: list[tuple[int, str]] = []
    if cgroup_text is None:
        try:
            with open("/proc/self/cgroup") as fh:
                cgroup_text = fh.read()
        except OSError:
            return found
    for line in cgroup_text.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, path = parts
        if controllers == "":  # cgroup v2: memory.max, memory.current
            root, limit_name, usage_name, label = sysfs, "memory.max", "memory.current", "cgroup v2 memory.max"
        elif "memory" in controllers.split(","):  # v1: memory.limit_in_bytes, memory.usage_in_bytes
            root, limit_name = os.path.join(sysfs, "memory"), "memory.limit_in_bytes"
            usage_name, label = "memory.usage_in_bytes", "cgroup v1 memory.limit_in_bytes"
        else:
            continue
        rel = path.strip("/")
        # the cgroup's own directory (or, inside a cgroup namespace, the mounted root) and parents
        candidates = []
        while True:
            candidates.append(os.path.join(root, rel) if rel else root)
            if not rel:
                break
            rel = os.path.dirname(rel)
        for directory in candidates:
            limit = _read_int(os.path.join(directory, limit_name))
            if limit is None or limit >= 1 << 60:  # "max" or the v1 "no limit" value
                continue
            usage = _read_int(os.path.join(directory, usage_name)) or 0
            found.append((max(limit - usage, 0), f"the {label} limit of {_fmt(limit)} ({directory})"))
    return found


def _fmt(n: float) -> str:
    from ._validation import format_bytes

    return format_bytes(n)


def memory_limit() -> tuple[int, str]:
    """Bytes this process can still allocate, and which limit that is.

    The smallest of: the memory the system has available (``MemAvailable`` of /proc/meminfo,
    else physical memory), the room left under ``RLIMIT_AS`` (``ulimit -v``: the limit less
    the current address space) and ``RLIMIT_DATA`` (``ulimit -d``), and the room left under
    the cgroup memory limit (cgroup v2 ``memory.max``, v1 ``memory.limit_in_bytes``, of this
    process's cgroup and its parents). The text names the limit that applied, e.g.
    ``"RLIMIT_AS (ulimit -v) of 2.0 GiB"``.
    """
    options: list[tuple[int, str]] = []
    avail = None
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    avail = int(line.split()[1]) * 1024
                    break
    except (OSError, ValueError, IndexError):
        pass
    if avail is not None:
        options.append((avail, "the memory available on this machine (MemAvailable)"))
    else:
        try:
            phys = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
            options.append((phys, "the physical memory of this machine"))
        except (ValueError, OSError, AttributeError):
            pass
    try:
        import resource
    except ImportError:  # Windows has no resource module
        resource = None  # type: ignore[assignment]
    if resource is not None:
        for name, flag, field, shell in (
            ("RLIMIT_AS", "RLIMIT_AS", "VmSize", "ulimit -v"),
            ("RLIMIT_DATA", "RLIMIT_DATA", "VmData", "ulimit -d"),
        ):
            rl = getattr(resource, flag, None)
            if rl is None:
                continue
            try:
                soft, _ = resource.getrlimit(rl)
            except (OSError, ValueError):
                continue
            if soft == resource.RLIM_INFINITY or soft < 0:
                continue
            options.append((max(soft - _proc_status_bytes(field), 0), f"{name} ({shell}) of {_fmt(soft)}"))
    options.extend(_cgroup_limits())
    if not options:
        return 1 << 62, "no known limit"
    return min(options, key=lambda item: item[0])


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
