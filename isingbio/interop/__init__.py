"""Interoperability with plmc, CCMpred and EVcouplings: their model and score files.

* :mod:`isingbio.interop.plmc`: plmc's binary parameter file (read and write);
* :mod:`isingbio.interop.ccmpred`: CCMpred's raw parameters (read and write) and ``.mat``;
* :mod:`isingbio.interop.scores`: contact scores in each program's convention and the score
  files (plmc couplings, EVcouplings CSV, CASP RR);
* :mod:`isingbio.interop.formats`: format names and detection.

:func:`isingbio.load_model` and :func:`isingbio.save_model` take the format names of
:data:`MODEL_FORMATS`; ``isingbio convert`` and ``isingbio contacts --format`` those of
:data:`SCORE_FORMATS` too.
"""

from __future__ import annotations

import os
from typing import IO, Any

from ..errors import FormatError, InputError
from .ccmpred import read_ccmpred_mat, read_ccmpred_raw, write_ccmpred_mat, write_ccmpred_raw
from .formats import (
    FORMAT_NAMES,
    MODEL_FORMATS,
    SCORE_FORMATS,
    detect_format,
    format_from_extension,
    model_format,
    score_format,
)
from .plmc import read_plmc, write_plmc
from .scores import (
    CONVENTIONS,
    ScoreTable,
    dca_scores,
    read_evcouplings_csv,
    read_plmc_couplings,
    score_table,
    write_casp_rr,
    write_evcouplings_csv,
    write_plmc_couplings,
)

__all__ = [
    "MODEL_FORMATS",
    "SCORE_FORMATS",
    "FORMAT_NAMES",
    "CONVENTIONS",
    "detect_format",
    "model_format",
    "score_format",
    "read_plmc",
    "write_plmc",
    "read_ccmpred_raw",
    "write_ccmpred_raw",
    "read_ccmpred_mat",
    "write_ccmpred_mat",
    "dca_scores",
    "ScoreTable",
    "score_table",
    "read_plmc_couplings",
    "write_plmc_couplings",
    "read_evcouplings_csv",
    "write_evcouplings_csv",
    "write_casp_rr",
    "read_scores",
    "write_scores",
    "native_convention",
]

# the convention of the program that reads each score format
_NATIVE = {"plmc": "plmc", "evcouplings": "evcouplings", "ccmpred": "ccmpred", "csv": "isingbio", "casp": "isingbio"}


def native_convention(score_fmt: str) -> str:
    """The score convention of the program whose file `score_fmt` is (``csv``, ``casp``: isingbio)."""
    return _NATIVE[score_format(score_fmt)]


def read_scores(path: str | os.PathLike, format: str | None = None) -> ScoreTable:
    """Read a score file (plmc couplings, EVcouplings CSV or CCMpred ``.mat``) as a ScoreTable."""
    import numpy as np

    if format is None:
        found = detect_format(path)
        if found is None or found[0] != "scores":
            raise FormatError(
                "not a score file isingbio reads (plmc couplings, EVcouplings CSV, CCMpred .mat)", path=os.fspath(path)
            )
        fmt = found[1]
    else:
        fmt = score_format(format)
    if fmt == "plmc":
        return read_plmc_couplings(path)
    if fmt == "evcouplings":
        return read_evcouplings_csv(path)
    if fmt == "ccmpred":
        mat = read_ccmpred_mat(path)
        return ScoreTable(cn=mat, fn=None, positions=np.arange(1, len(mat) + 1, dtype=np.int64), sequence=None)
    raise InputError(f"{fmt} score files are written, not read (read plmc, evcouplings or ccmpred score files)")


def write_scores(
    path: str | os.PathLike | IO[str],
    table: ScoreTable,
    format: str,
    *,
    min_separation: int = 6,
    target: str | None = None,
) -> int:
    """Write a ScoreTable in a score format; returns the number of pairs (L for ``ccmpred``).

    ``min_separation`` applies to the ranked lists (``csv``, ``casp``); plmc couplings and
    EVcouplings CSV list every pair as those programs do, ``.mat`` every score.
    """
    from ..contacts import write_contacts_csv

    fmt = score_format(format)
    if fmt == "plmc":
        return write_plmc_couplings(path, table.cn, table.positions, table.sequence)
    if fmt == "evcouplings":
        fn = table.fn
        if fn is None:
            raise InputError(
                "an EVcouplings CSV needs fn scores (before APC): convert from a model or an EVcouplings file"
            )
        return write_evcouplings_csv(path, fn, table.cn, table.positions, table.sequence)
    if fmt == "ccmpred":
        write_ccmpred_mat(table.cn, path)
        return int(table.cn.shape[0])
    if fmt == "casp":
        return write_casp_rr(
            path, table.cn, table.positions, table.sequence, target=target or "T0000", min_separation=min_separation
        )
    return write_contacts_csv(
        path, table.cn, min_separation=min_separation, positions=table.positions, sequence=table.sequence
    )


def load_model_file(path: Any, format: str | None = None) -> Any:
    """Read a model file of any supported format (see :func:`isingbio.load_model`)."""
    name = os.fspath(path)
    if format is None:
        found = detect_format(name)
        if found is None:
            return None  # isingbio.io says what it expected
        kind, fmt = found
        if kind != "model":
            raise FormatError(
                f"is a {fmt} score file, not a model (scores cannot be turned back into a model)", path=name
            )
    else:
        fmt = model_format(format)
    if fmt == "plmc":
        return read_plmc(name)
    if fmt == "ccmpred":
        return read_ccmpred_raw(name)
    return None  # isingbio's own format: read by isingbio.io


def save_model_file(model: Any, path: Any, format: str | None = None) -> bool:
    """Write `model` in a peer's format; False when the format is isingbio's own (.npz)."""
    if format is None:
        found = format_from_extension(path)
        if found is not None and found[0] == "scores":  # a model written as a zip under a score file's name
            raise InputError(
                f"{os.fspath(path)}: the name says a {found[1]} score file, not a model file: "
                "save the model as .npz, .params (plmc) or .raw[.gz] (CCMpred), or give format="
            )
        fmt = found[1] if found is not None else "isingbio"
    else:
        fmt = model_format(format)
    if fmt == "plmc":
        write_plmc(model, path)
        return True
    if fmt == "ccmpred":
        write_ccmpred_raw(model, path)
        return True
    return False
