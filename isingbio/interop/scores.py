"""Contact scores in each program's convention, and the score files those programs write.

Conventions of :func:`dca_scores` (FN: a norm per pair; CN: FN with the average product
correction, APC):

* ``isingbio``: :func:`isingbio.contact_scores`: zero-sum gauge over all q states, norm over
  the residue states (gap left out), APC over the off-diagonal pairs;
* ``plmc``: plmc's couplings file: the norm of the couplings as stored (no change of gauge)
  over the modelled states (gap included when modelled), APC;
* ``evcouplings``: EVcouplings' CouplingsModel: zero-sum gauge over the modelled states,
  norm over them, APC;
* ``ccmpred``: CCMpred's ``.mat``: each 21 x 21 block minus its mean, norm over the 20
  residue states, CCMpred's APC (means over L with the diagonal, then shifted so that the
  smallest off-diagonal score is 0).

The modelled states are all q states when ``metadata["gaps_modelled"]`` is true (plmc
q = 21, CCMpred), else the residue states (plmc ``-g``; isingbio's default fit).

Files: plmc's couplings file (``i A_i j A_j 0 CN`` for every pair, in index order),
EVcouplings' CouplingScores CSV (``i,A_i,j,A_j,fn,cn``, best first), CCMpred's ``.mat``
(:mod:`isingbio.interop.ccmpred`) and CASP RR contact lists. Residue numbers are the model's
``positions`` (the focus numbering); letters are the target sequence's, ``-`` without one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import IO, Any

import numpy as np

from ..contacts import apc_correction, contact_scores, ranked_pairs
from ..errors import FormatError, InputError
from ._common import dense_model, gap_index, gaps_modelled, model_letters, read_text_lines, text_output

__all__ = [
    "CONVENTIONS",
    "dca_scores",
    "ScoreTable",
    "score_table",
    "write_plmc_couplings",
    "read_plmc_couplings",
    "write_evcouplings_csv",
    "read_evcouplings_csv",
    "write_casp_rr",
]

CONVENTIONS = ("isingbio", "plmc", "evcouplings", "ccmpred")


def _states(model: Any) -> np.ndarray:
    letters = model_letters(model)
    gap = gap_index(letters)
    keep = np.ones(model.q, dtype=bool)
    if gap is not None and not gaps_modelled(model, gap):
        keep[gap] = False
    return np.flatnonzero(keep)


def _block_norms(model: Any, transform) -> np.ndarray:
    L = model.n_sites
    fn = np.zeros((L, L))
    for i in range(L):
        fn[i] = transform(np.asarray(model.J[i], dtype=np.float64))
    fn = 0.5 * (fn + fn.T)
    np.fill_diagonal(fn, 0.0)
    return fn


def _ccmpred_apc(s: np.ndarray) -> np.ndarray:
    L = s.shape[0]
    means = s.sum(axis=0) / L
    total = s.sum() / (L * L)
    out = s - np.outer(means, means) / total if total != 0 else s.copy()
    if L > 1:
        out -= out[np.triu_indices(L, 1)].min()
    np.fill_diagonal(out, 0.0)
    return out


def dca_scores(model: Any, convention: str = "isingbio") -> tuple[np.ndarray, np.ndarray]:
    """FN and CN contact scores of a Potts model in the convention of isingbio or a peer.

    Parameters
    ----------
    model : PottsModel
        Dense (lattice and graph models are converted).
    convention : {"isingbio", "plmc", "evcouplings", "ccmpred"}
        See the module docstring: ``plmc`` reproduces plmc's couplings file from plmc's
        parameters, ``evcouplings`` EVcouplings' ``fn`` and ``cn``, ``ccmpred`` CCMpred's
        ``.mat`` from its raw parameters.

    Returns
    -------
    fn, cn : ndarray of float64, shape (L, L)
        Symmetric, zero diagonal.
    """
    model = dense_model(model, "dca_scores")
    if convention == "isingbio":
        return contact_scores(model, apc=False), contact_scores(model)
    states = _states(model)
    sub = np.ix_(np.arange(model.n_sites), states, states)
    if convention == "plmc":
        fn = _block_norms(model, lambda b: np.sqrt(np.einsum("jab,jab->j", b[sub], b[sub])))
        return fn, apc_correction(fn)
    if convention == "evcouplings":

        def centred(b: np.ndarray) -> np.ndarray:
            b = b[sub]
            b = b - b.mean(axis=1, keepdims=True) - b.mean(axis=2, keepdims=True) + b.mean(axis=(1, 2), keepdims=True)
            return np.sqrt(np.einsum("jab,jab->j", b, b))

        fn = _block_norms(model, centred)
        return fn, apc_correction(fn)
    if convention == "ccmpred":
        gap = gap_index(model_letters(model))
        res = np.array([k for k in range(model.q) if k != gap])
        rsub = np.ix_(np.arange(model.n_sites), res, res)

        def shifted(b: np.ndarray) -> np.ndarray:
            c = b[rsub] - b.mean(axis=(1, 2), keepdims=True)
            return np.sqrt(np.einsum("jab,jab->j", c, c))

        fn = _block_norms(model, shifted)
        return fn, _ccmpred_apc(fn)
    raise InputError(f"unknown score convention {convention!r}; expected one of {', '.join(CONVENTIONS)}")


@dataclass
class ScoreTable:
    """Pair scores with the residue numbers and letters of the sites.

    Attributes
    ----------
    cn : ndarray of float64, shape (L, L)
        The scores that rank pairs (NaN where a file has no value).
    fn : ndarray of float64, shape (L, L), or None
        Scores before APC, when known.
    positions : ndarray of int64, shape (L,)
        Residue numbers (1..L when unknown).
    sequence : str or None
        Target letters of the sites, None when unknown.
    """

    cn: np.ndarray
    fn: np.ndarray | None
    positions: np.ndarray
    sequence: str | None


def score_table(model: Any, convention: str = "isingbio") -> ScoreTable:
    """The :class:`ScoreTable` of a model: :func:`dca_scores` with its positions and target."""
    from ._common import model_positions, target_sequence

    fn, cn = dca_scores(model, convention)
    return ScoreTable(cn=cn, fn=fn, positions=model_positions(model), sequence=target_sequence(model))


def _labels(positions: Any, sequence: str | None, L: int) -> tuple[np.ndarray, str]:
    pos = np.arange(1, L + 1, dtype=np.int64) if positions is None else np.asarray(positions, dtype=np.int64)
    if pos.shape != (L,):
        raise InputError(f"positions must have shape ({L},), got {pos.shape}")
    if sequence is not None and len(sequence) != L:
        raise InputError(f"the target sequence has {len(sequence)} letters but the scores cover {L} sites")
    return pos, sequence if sequence is not None else "-" * L


def _square(scores: Any, name: str = "scores") -> np.ndarray:
    s = np.asarray(scores, dtype=np.float64)
    if s.ndim != 2 or s.shape[0] != s.shape[1]:
        raise InputError(f"{name} must be a square (L, L) matrix, got shape {s.shape}")
    return s


def write_plmc_couplings(
    path: str | os.PathLike | IO[str], cn: Any, positions: Any = None, sequence: str | None = None
) -> int:
    """Write plmc's couplings file: ``i A_i j A_j 0 CN`` for every pair i < j, in index order.

    Parameters
    ----------
    path : str or os.PathLike
        Output file, written atomically, or an open text stream (``sys.stdout``).
    cn : array_like, shape (L, L)
        Scores (e.g. ``dca_scores(model, "plmc")[1]``), printed as plmc does (``%f``).
    positions : array_like of int, shape (L,), optional
        Residue numbers (default 1..L).
    sequence : str, optional
        Target letters (default ``-``, plmc's output without a focus sequence).

    Returns
    -------
    int
        Number of pairs written.
    """
    s = _square(cn, "cn")
    L = s.shape[0]
    pos, seq = _labels(positions, sequence, L)
    iu, ju = np.triu_indices(L, 1)
    with text_output(path) as fh:
        fh.write("".join(f"{pos[i]} {seq[i]} {pos[j]} {seq[j]} 0 {s[i, j]:f}\n" for i, j in zip(iu, ju)))
    return len(iu)


def _table_from_pairs(rows: list[tuple[int, str, int, str, float, float]], name: str, has_fn: bool) -> ScoreTable:
    numbers = sorted({r[0] for r in rows} | {r[2] for r in rows})
    index = {p: k for k, p in enumerate(numbers)}
    L = len(numbers)
    letters = ["-"] * L
    cn = np.full((L, L), np.nan)
    fn = np.full((L, L), np.nan) if has_fn else None
    for i, ai, j, aj, f, c in rows:
        a, b = index[i], index[j]
        letters[a], letters[b] = ai, aj
        cn[a, b] = cn[b, a] = c
        if fn is not None:
            fn[a, b] = fn[b, a] = f
    np.fill_diagonal(cn, 0.0)
    if fn is not None:
        np.fill_diagonal(fn, 0.0)
    seq = "".join(letters)
    return ScoreTable(
        cn=cn, fn=fn, positions=np.array(numbers, dtype=np.int64), sequence=None if set(seq) == {"-"} else seq
    )


def read_plmc_couplings(path: str | os.PathLike) -> ScoreTable:
    """Read plmc's couplings file (``i A_i j A_j 0 CN``) as a :class:`ScoreTable`.

    Raises
    ------
    FormatError
        A line that is not ``int letter int letter number number`` (file and line named).
    """
    lines, name = read_text_lines(path)
    rows = []
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        parts = line.split()
        try:
            if len(parts) != 6 or len(parts[1]) != 1 or len(parts[3]) != 1:
                raise ValueError
            rows.append((int(parts[0]), parts[1], int(parts[2]), parts[3], float(parts[4]), float(parts[5])))
            if not np.isfinite(rows[-1][5]):
                raise ValueError
        except ValueError:
            raise FormatError(
                f"expected 'i A_i j A_j 0 CN' (plmc couplings), got {line[:50]!r}", path=name, line=n
            ) from None
    if not rows:
        raise FormatError("empty file: expected lines 'i A_i j A_j 0 CN'", path=name)
    table = _table_from_pairs(rows, name, has_fn=False)
    return table


_EV_HEADER = ["i", "A_i", "j", "A_j", "fn", "cn"]


def write_evcouplings_csv(
    path: str | os.PathLike | IO[str], fn: Any, cn: Any, positions: Any = None, sequence: str | None = None
) -> int:
    """Write EVcouplings' CouplingScores CSV: ``i,A_i,j,A_j,fn,cn`` for every pair, best cn first.

    Parameters
    ----------
    path : str or os.PathLike
        Output file, written atomically, or an open text stream (``sys.stdout``).
    fn, cn : array_like, shape (L, L)
        Scores before and after APC (e.g. ``dca_scores(model, "evcouplings")``).
    positions : array_like of int, shape (L,), optional
        Focus residue numbers (default 1..L).
    sequence : str, optional
        Target letters (default ``-``).

    Returns
    -------
    int
        Number of pairs written.
    """
    f, c = _square(fn, "fn"), _square(cn, "cn")
    if f.shape != c.shape:
        raise InputError(f"fn and cn must have the same shape, got {f.shape} and {c.shape}")
    pos, seq = _labels(positions, sequence, c.shape[0])
    iu, ju, _ = ranked_pairs(c, min_separation=1)
    with text_output(path) as fh:
        fh.write(",".join(_EV_HEADER) + "\n")
        fh.write(
            "".join(
                f"{pos[i]},{seq[i]},{pos[j]},{seq[j]},{float(f[i, j])!r},{float(c[i, j])!r}\n" for i, j in zip(iu, ju)
            )
        )
    return len(iu)


def read_evcouplings_csv(path: str | os.PathLike) -> ScoreTable:
    """Read an EVcouplings CouplingScores CSV (columns ``i, A_i, j, A_j, fn, cn``; others ignored)."""
    lines, name = read_text_lines(path)
    if not lines:
        raise FormatError("empty file: expected a header with i,A_i,j,A_j,fn,cn", path=name, line=1)
    header = [h.strip() for h in lines[0].split(",")]
    missing = [h for h in _EV_HEADER if h not in header]
    if missing:
        raise FormatError(f"expected the columns i,A_i,j,A_j,fn,cn; missing {','.join(missing)}", path=name, line=1)
    col = [header.index(h) for h in _EV_HEADER]
    rows = []
    for n, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        parts = line.split(",")
        try:
            v = [parts[k].strip() for k in col]
            rows.append((int(float(v[0])), v[1] or "-", int(float(v[2])), v[3] or "-", float(v[4]), float(v[5])))
            if not np.all(np.isfinite(rows[-1][4:])):
                raise ValueError
        except (ValueError, IndexError, OverflowError):
            raise FormatError(
                f"expected {len(header)} comma-separated values with finite numbers in i, j, fn, cn", path=name, line=n
            ) from None
    if not rows:
        raise FormatError("no pairs after the header", path=name, line=2)
    return _table_from_pairs(rows, name, has_fn=True)


def write_casp_rr(
    path: str | os.PathLike | IO[str],
    scores: Any,
    positions: Any = None,
    sequence: str | None = None,
    *,
    target: str = "T0000",
    author: str = "isingbio",
    method: str = "isingbio: Potts model (pseudo-likelihood), APC-corrected coupling norms",
    min_separation: int = 6,
    n: int | None = None,
) -> int:
    """Write a CASP RR contact list (``PFRMAT RR`` header, then ``i j 0 8 p`` lines, ``END``).

    Parameters
    ----------
    path : str or os.PathLike
        Output file, written atomically, or an open text stream (``sys.stdout``).
    scores : array_like, shape (L, L)
    positions : array_like of int, shape (L,), optional
        Residue numbers (default 1..L).
    sequence : str, optional
        The target sequence, written in lines of 50 after ``MODEL 1`` (left out when unknown
        or when it has gaps: an RR sequence holds residues only).
    target, author, method : str
        The ``TARGET``, ``AUTHOR`` and ``METHOD`` records.
    min_separation : int, default 6
        Smallest ``j - i`` (in sites) listed.
    n : int, optional
        Keep the best n pairs (default: all).

    Returns
    -------
    int
        Number of pairs written. ``p`` is the score divided by the best listed score, clipped
        to [0, 1] and printed with 3 decimals: a rank-preserving confidence, not a
        calibrated probability.
    """
    s = _square(scores)
    L = s.shape[0]
    pos, _ = _labels(positions, sequence, L)
    iu, ju, v = ranked_pairs(s, min_separation=min_separation)
    keep = np.isfinite(v)
    iu, ju, v = iu[keep], ju[keep], v[keep]
    if n is not None:
        iu, ju, v = iu[:n], ju[:n], v[:n]
    top = v[0] if len(v) and v[0] > 0 else 1.0
    p = np.clip(v / top, 0.0, 1.0)
    with text_output(path) as fh:
        fh.write(f"PFRMAT RR\nTARGET {target}\nAUTHOR {author}\nMETHOD {method}\nMODEL 1\n")
        if sequence is not None and sequence.isalpha():
            fh.write("".join(sequence[k : k + 50] + "\n" for k in range(0, L, 50)))
        fh.write("".join(f"{pos[i]} {pos[j]} 0 8 {pk:.3f}\n" for i, j, pk in zip(iu, ju, p)))
        fh.write("END\n")
    return len(iu)
