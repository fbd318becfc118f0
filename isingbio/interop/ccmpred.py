"""CCMpred's raw parameter text (``ccmpred -r FILE``) and its ``.mat`` score matrix.

Raw layout (CCMpred ``write_raw``), alphabet ``ARNDCQEGHILKMFPSTWYV-`` (gap last):

* L lines of 20 tab-separated single-site potentials v_i(a), the residues only (CCMpred has
  no gap field: it is 0);
* for each pair i < j in row order, a line ``# i j`` (0-based) and 21 lines of 21 values
  w_ij(a, b), a the state of i (rows) and b that of j (columns), gap included.

CCMpred's model is p(x) ~ exp(sum v + sum w), the same distribution as isingbio's
p(x) = exp(-H) / Z with h = v and J = w; the reader only moves the states into isingbio's
protein order (gap first). The writer puts each site's fields in the gauge with a zero gap
field (energies shift by a constant) and writes more digits than CCMpred's ``%g``.
Gzipped files are read and, for a path ending in ``.gz``, written.

``.mat``: L lines of L tab-separated scores (CCMpred ``write_matrix``).
"""

from __future__ import annotations

import gzip
import os
from typing import IO, TYPE_CHECKING

import numpy as np

from .._files import atomic_output
from ..alphabets import PROTEIN, PROTEIN_GAP_LAST, state_permutation
from ..errors import FormatError, InputError
from ._common import dense_model, model_letters, read_text_lines, text_output

if TYPE_CHECKING:
    from ..models import IsingModel, PottsModel

__all__ = ["read_ccmpred_raw", "write_ccmpred_raw", "read_ccmpred_mat", "write_ccmpred_mat"]

_Q = 21


def _numbers(line: str, n: int, name: str, lineno: int, what: str) -> np.ndarray:
    parts = line.split()
    if len(parts) != n:
        raise FormatError(f"expected {n} numbers ({what}), got {len(parts)}", path=name, line=lineno)
    try:
        values = np.array([float(p) for p in parts])
    except ValueError:
        bad = next(p for p in parts if not _is_float(p))
        raise FormatError(f"expected a number ({what}), got {bad!r}", path=name, line=lineno) from None
    if not np.all(np.isfinite(values)):
        raise FormatError(f"expected finite numbers ({what})", path=name, line=lineno)
    return values


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_ccmpred_raw(path: str | os.PathLike) -> PottsModel:
    """Read CCMpred's raw parameters (``ccmpred -r FILE``, plain or gzipped) into a PottsModel.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    PottsModel
        float64 (L, 21) fields and (L, L, 21, 21) couplings in isingbio's protein order
        (``PROTEIN``, gap first; the gap field is 0), ``positions`` 1..L and ``metadata``
        with ``gaps_modelled = True`` and ``source``.

    Raises
    ------
    FormatError
        A missing or misplaced pair block, a line with the wrong number of values (another
        alphabet) or a non-number: the message names the file, the line and what was expected.
    """
    from ..models import PottsModel

    lines, name = read_text_lines(path)
    L = 0
    while L < len(lines) and not lines[L].startswith("#"):
        L += 1
    if L == 0:
        raise FormatError(
            "expected the single-site potentials (20 numbers per line) before any '# i j' line", path=name, line=1
        )
    h = np.zeros((L, _Q))
    for i in range(L):
        h[i, : _Q - 1] = _numbers(lines[i], _Q - 1, name, i + 1, "single-site potentials of ARNDCQEGHILKMFPSTWYV")
    pairs = L * (L - 1) // 2
    expected_lines = L + pairs * (_Q + 1)
    J = np.zeros((L, L, _Q, _Q))
    k = L
    for i in range(L - 1):
        for j in range(i + 1, L):
            head = f"# {i} {j}"
            if k >= len(lines):
                raise FormatError(
                    f"truncated: expected '{head}' and its 21 x 21 block ({L} sites: {expected_lines} lines), "
                    f"the file ends after {len(lines)} lines",
                    path=name,
                    line=k + 1,
                )
            if lines[k].split() != head.split():
                raise FormatError(
                    f"expected '{head}' (pair blocks in row order), got {lines[k][:40]!r}", path=name, line=k + 1
                )
            if k + _Q + 1 > len(lines):
                raise FormatError(
                    f"truncated: the block '{head}' needs 21 lines of 21 numbers", path=name, line=len(lines)
                )
            try:  # the whole block at once; line by line only to say what is wrong
                block = np.array(" ".join(lines[k + 1 : k + 1 + _Q]).split(), dtype=np.float64).reshape(_Q, _Q)
                if not np.all(np.isfinite(block)) or any(len(line.split()) != _Q for line in lines[k + 1 : k + 1 + _Q]):
                    raise ValueError
            except ValueError:
                for a in range(_Q):
                    _numbers(
                        lines[k + 1 + a],
                        _Q,
                        name,
                        k + 2 + a,
                        f"row {a} of block {head}, alphabet ARNDCQEGHILKMFPSTWYV-",
                    )
                raise FormatError(f"unreadable block {head}", path=name, line=k + 1) from None
            J[i, j] = block
            J[j, i] = block.T
            k += _Q + 1
    rest = [n for n in range(k, len(lines)) if lines[n].strip()]
    if rest:
        raise FormatError(
            f"expected the end of the file after {expected_lines} lines ({L} sites)", path=name, line=rest[0] + 1
        )
    perm = state_permutation(PROTEIN_GAP_LAST, PROTEIN)
    model = PottsModel(h[:, perm], J[:, :, perm][:, :, :, perm])
    model.alphabet = PROTEIN
    model.positions = np.arange(1, L + 1, dtype=np.int64)
    model.metadata = dict(gaps_modelled=True, source=dict(format="ccmpred", file=name))
    return model


def write_ccmpred_raw(model: PottsModel | IsingModel, path: str | os.PathLike) -> None:
    """Write a protein Potts model as CCMpred's raw parameter text (gzipped for a ``.gz`` path).

    Parameters
    ----------
    model : PottsModel
        Dense, q = 21 over the protein letters (any order); lattice and graph models are
        converted. Each site's fields are shifted so that the gap field is zero (CCMpred
        stores none); energies change by a constant only.
    path : str or os.PathLike
        Output file, written atomically.
    """
    dense = dense_model(model, "write_ccmpred_raw")
    letters = model_letters(dense)
    if dense.q != _Q or set(letters) != set(PROTEIN.letters):
        raise InputError(
            f"CCMpred's raw format holds protein models (21 states {PROTEIN_GAP_LAST.letters}); "
            f"the dense has q = {dense.q} states {letters!r}"
        )
    perm = state_permutation(letters, PROTEIN_GAP_LAST)
    h = np.asarray(dense.h, dtype=np.float64)[:, perm]
    h = h - h[:, -1:]
    J = np.asarray(dense.J)
    fmt = "%.9g" if J.dtype == np.float32 else "%.17g"
    row = "\t".join([fmt] * _Q) + "\t\n"
    block_fmt = row * _Q
    field_fmt = "\t".join([fmt] * (_Q - 1)) + "\t\n"
    L = dense.n_sites
    with atomic_output(path, "wb") as raw:
        fh = gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6, mtime=0) if os.fspath(path).endswith(".gz") else raw
        try:
            fh.write("".join(field_fmt % tuple(h[i, : _Q - 1]) for i in range(L)).encode())
            for i in range(L - 1):
                Ji = np.asarray(J[i], dtype=np.float64)[:, perm][:, :, perm]
                fh.write("".join(f"# {i} {j}\n" + block_fmt % tuple(Ji[j].ravel()) for j in range(i + 1, L)).encode())
        finally:
            if fh is not raw:
                fh.close()


def read_ccmpred_mat(path: str | os.PathLike) -> np.ndarray:
    """Read an L x L score matrix (CCMpred's ``.mat``: whitespace-separated rows).

    Returns
    -------
    ndarray of float64, shape (L, L)

    Raises
    ------
    FormatError
        A row of another length, a non-number (the file and line are named).
    """
    lines, name = read_text_lines(path)
    rows = [(n, line) for n, line in enumerate(lines) if line.strip()]
    if not rows:
        raise FormatError("empty file: expected L lines of L scores", path=name)
    L = len(rows)
    out = np.empty((L, L))
    for r, (n, line) in enumerate(rows):
        out[r] = _numbers(line, L, name, n + 1, f"row {r} of an {L} x {L} score matrix")
    return out


def write_ccmpred_mat(scores: np.ndarray, path: str | os.PathLike | IO[str]) -> None:
    """Write an (L, L) score matrix as CCMpred's ``.mat`` (``%.20e`` values, tab-separated).

    Parameters
    ----------
    scores : ndarray, shape (L, L)
    path : str or os.PathLike or text stream
        Output file, written atomically, or an open text stream (``sys.stdout``).
    """
    s = np.asarray(scores, dtype=np.float64)
    if s.ndim != 2 or s.shape[0] != s.shape[1]:
        raise InputError(f"scores must be a square (L, L) matrix, got shape {s.shape}")
    row = "%.20e\t" * s.shape[1] + "\n"
    with text_output(path) as fh:
        fh.write("".join(row % tuple(r) for r in s))
