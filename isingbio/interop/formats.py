"""Format names, detection from content then extension, and dispatch to readers and writers.

Model files (:func:`isingbio.load_model` / :func:`isingbio.save_model`):

* ``isingbio``: isingbio's own ``.npz`` model file (``.npz``);
* ``plmc``: plmc's binary parameter file, ``plmc -o`` (``.params``, ``.model_params``);
* ``ccmpred``: CCMpred's raw parameter text, ``ccmpred -r``, gzip allowed (``.raw``,
  ``.raw.gz``).

Score files (``isingbio contacts --format``, ``isingbio convert``):

* ``csv``: isingbio's contacts CSV, ``i,j,score[,res_i,res_j]`` (``.csv``);
* ``plmc``: plmc's couplings file, ``i A_i j A_j 0 CN`` (``.couplings``, ``.ec``);
* ``evcouplings``: EVcouplings' CouplingScores CSV, ``i,A_i,j,A_j,fn,cn`` (by content);
* ``ccmpred``: CCMpred's ``.mat``, L x L scores (``.mat``);
* ``casp``: a CASP RR contact list, ``PFRMAT RR`` (``.rr``, ``.casp``).

The long names ``plmc-params``, ``plmc-couplings``, ``ccmpred-raw`` and ``ccmpred-mat`` say
which of a program's two files is meant wherever a name is taken.
"""

from __future__ import annotations

import gzip
import os
import re
import zlib
from typing import Any

from ..errors import FormatError, InputError

__all__ = [
    "MODEL_FORMATS",
    "SCORE_FORMATS",
    "FORMAT_NAMES",
    "model_format",
    "score_format",
    "detect_format",
]

MODEL_FORMATS = ("isingbio", "plmc", "ccmpred")
SCORE_FORMATS = ("csv", "plmc", "evcouplings", "ccmpred", "casp")
# canonical (kind, name) of every accepted name
_LONG = {
    "plmc-params": ("model", "plmc"),
    "ccmpred-raw": ("model", "ccmpred"),
    "npz": ("model", "isingbio"),
    "plmc-couplings": ("scores", "plmc"),
    "ccmpred-mat": ("scores", "ccmpred"),
    "rr": ("scores", "casp"),
}
FORMAT_NAMES = tuple(sorted(set(MODEL_FORMATS) | set(SCORE_FORMATS) | set(_LONG)))

_EXTENSIONS = [
    (".npz", ("model", "isingbio")),
    (".params", ("model", "plmc")),
    (".model_params", ("model", "plmc")),
    (".raw.gz", ("model", "ccmpred")),
    (".raw", ("model", "ccmpred")),
    (".couplings", ("scores", "plmc")),
    (".ec", ("scores", "plmc")),
    (".mat", ("scores", "ccmpred")),
    (".rr", ("scores", "casp")),
    (".casp", ("scores", "casp")),
    (".csv", ("scores", "csv")),
]


def _resolve(name: str, kind: str) -> str:
    key = name.lower()
    if key in _LONG:
        k, canonical = _LONG[key]
        if k != kind:
            raise InputError(f"format {name!r} is a {'model' if k == 'model' else 'score'} file, not a {kind} file")
        return canonical
    names = MODEL_FORMATS if kind == "model" else SCORE_FORMATS
    if key not in names:
        raise InputError(f"unknown {kind} format {name!r}; expected one of {', '.join(names)}")
    return key


def model_format(name: str) -> str:
    """The canonical model format of a name (``plmc-params`` -> ``plmc``); InputError if unknown."""
    return _resolve(name, "model")


def score_format(name: str) -> str:
    """The canonical score format of a name (``ccmpred-mat`` -> ``ccmpred``); InputError if unknown."""
    return _resolve(name, "scores")


def format_from_extension(path: Any) -> tuple[str, str] | None:
    """(kind, name) the file name suggests, or None."""
    low = os.fspath(path).lower()
    for ext, found in _EXTENSIONS:
        if low.endswith(ext):
            return found
    return None


_FLOAT = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_PLMC_LINE = re.compile(rf"^\s*-?\d+\s+\S\s+-?\d+\s+\S\s+{_FLOAT}\s+{_FLOAT}\s*$")
_NUMBERS = re.compile(rf"^\s*(?:{_FLOAT}\s+)*{_FLOAT}\s*$")


def _plmc_header_ok(head: bytes, size: int) -> bool:
    import numpy as np

    from .plmc import plmc_file_size

    if len(head) < 20:
        return False
    L, q, nv, ni, _ = (int(v) for v in np.frombuffer(head[:20], "<i4"))
    return 1 <= L <= 100_000 and 2 <= q <= 126 and nv >= 0 and ni >= 0 and plmc_file_size(L, q, nv + ni) == size


_HEAD = 1 << 20  # bytes read to detect a format (CCMpred's first '# 0 1' line comes after L lines)


def detect_format(path: Any) -> tuple[str, str] | None:
    """(kind, name) of a file from its content, then its extension; None when neither tells.

    kind is ``"model"`` or ``"scores"``; name is a canonical format name.
    """
    name = os.fspath(path)
    try:
        with open(name, "rb") as fh:
            head = fh.read(_HEAD)
            size = os.fstat(fh.fileno()).st_size
    except IsADirectoryError:
        raise FormatError("is a directory, not a file", path=name) from None
    if head[:2] == b"PK":
        return ("model", "isingbio")
    if head[:2] == b"\x1f\x8b":
        try:
            with gzip.open(name, "rb") as gz:
                head = gz.read(_HEAD)
            size = -1
        except (OSError, EOFError, zlib.error):
            return format_from_extension(name)
    elif _plmc_header_ok(head, size):
        return ("model", "plmc")
    try:
        text = head.decode("ascii")
    except UnicodeDecodeError:
        return format_from_extension(name)
    lines = [line for line in text.splitlines()[: -1 if len(head) == 4096 else None] if line.strip()]
    if not lines:
        return format_from_extension(name)
    first = lines[0].strip()
    if first.startswith("PFRMAT"):
        return ("scores", "casp")
    header = [h.strip() for h in first.split(",")]
    if all(h in header for h in ("i", "A_i", "j", "A_j", "cn")):
        return ("scores", "evcouplings")
    if header[:3] == ["i", "j", "score"]:
        return ("scores", "csv")
    if _PLMC_LINE.match(first):
        return ("scores", "plmc")
    if _NUMBERS.match(first):
        if any(line.startswith("# 0 1") for line in lines):
            return ("model", "ccmpred")
        n_first = len(first.split())
        rows = [line.split() for line in lines]
        square = all(len(r) == n_first and _NUMBERS.match(line) for r, line in zip(rows, lines))
        if square and all(float(r[k]) == 0.0 for k, r in enumerate(rows[:n_first])):
            return ("scores", "ccmpred")  # a zero diagonal: CCMpred's .mat
        if n_first == 20:
            return ("model", "ccmpred")
        if square:
            return ("scores", "ccmpred")
    return format_from_extension(name)
