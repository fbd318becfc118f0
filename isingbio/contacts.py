"""Contact scores from fitted Potts couplings, the ranking of pairs, and the contacts CSV file.

Score of a pair (the convention of plmc, CCMpred and plmDCA):

1. put every coupling block J_ij in the zero-sum gauge over all q states,
   J'_ij(a, b) = J_ij(a, b) - J_ij(., b) - J_ij(a, .) + J_ij(., .)   (dots are means);
2. take its Frobenius norm over the residue states, leaving out the gap state (as plmc and
   CCMpred do; every state is used when the model has no alphabet with a gap);
3. subtract the average product correction (APC, Dunn et al. 2008):
   S_apc(i, j) = S(i, j) - S(i, .) S(., j) / S(., .), means over the off-diagonal pairs.
"""

from __future__ import annotations

from typing import IO, TYPE_CHECKING, Any, cast

import numpy as np

from ._typing import ArrayLike, PathLike
from ._validation import check_positive_int
from .errors import InputError

if TYPE_CHECKING:
    from .alphabets import Alphabet
    from .models import PottsModel

__all__ = ["contact_scores", "apc_correction", "ranked_pairs", "top_contacts", "write_contacts_csv", "CONTACT_DTYPE"]

CONTACT_DTYPE = np.dtype([("i", np.int64), ("j", np.int64), ("score", np.float64)])


def _gap_state(model: Any) -> int | None:
    """Index of the gap state of the model's alphabet, or None."""
    alphabet = getattr(model, "alphabet", None)
    if alphabet is None:
        return None
    gap = getattr(alphabet, "gap_index", None)
    if gap is not None:
        return int(gap)
    letters = getattr(alphabet, "letters", alphabet)
    if isinstance(letters, (str, list, tuple)) and len(letters) == model.q and "-" in letters:
        return list(letters).index("-")
    return None


def apc_correction(scores: ArrayLike) -> np.ndarray:
    """Average product correction of a symmetric (L, L) score matrix (diagonal ignored, set to 0)."""
    s = np.array(scores, dtype=np.float64)
    if s.ndim != 2 or s.shape[0] != s.shape[1]:
        raise InputError(f"scores must be a square (L, L) matrix, got shape {s.shape}")
    L = s.shape[0]
    if L < 3:
        np.fill_diagonal(s, 0.0)
        return s
    np.fill_diagonal(s, 0.0)
    row = s.sum(axis=1) / (L - 1)
    total = s.sum() / (L * (L - 1))
    if total != 0:
        s = s - np.outer(row, row) / total
    np.fill_diagonal(s, 0.0)
    return s


def contact_scores(model: PottsModel, apc: bool = True, exclude_gap: bool | None = None) -> np.ndarray:
    """Coupling strength of every pair of sites.

    Parameters
    ----------
    model : PottsModel
        A dense Potts model (``model.J`` of shape (L, L, q, q)), e.g. ``fit_plm(...).model``.
    apc : bool
        Apply the average product correction (default True).
    exclude_gap : bool, optional
        Leave the gap state out of the norm. Default: True when the model's alphabet has a gap
        ('-'), else False.

    Returns
    -------
    ndarray of float64, shape (L, L)
        Symmetric scores with a zero diagonal: Frobenius norms of the zero-sum-gauge coupling
        blocks (see the module docstring), APC-corrected unless ``apc=False``.
    """
    J = getattr(model, "J", None)
    if J is None or np.ndim(J) != 4:
        raise InputError(
            "contact_scores needs a dense Potts model (with J of shape (L, L, q, q)); "
            "use model.to_dense() for lattice or graph models"
        )
    L, q = J.shape[0], J.shape[2]
    gap = _gap_state(model) if exclude_gap is None or exclude_gap else None
    if exclude_gap and gap is None:
        raise InputError("exclude_gap=True but the model's alphabet has no gap state")
    keep = np.ones(q, dtype=bool)
    if gap is not None:
        keep[gap] = False
    scores = np.zeros((L, L))
    for i in range(L):  # one row of blocks at a time: no full float64 copy of J
        b = np.asarray(J[i], dtype=np.float64)
        b = b - b.mean(axis=1, keepdims=True) - b.mean(axis=2, keepdims=True) + b.mean(axis=(1, 2), keepdims=True)
        b = b[:, keep][:, :, keep]
        scores[i] = np.sqrt(np.einsum("jab,jab->j", b, b))
    scores = 0.5 * (scores + scores.T)
    np.fill_diagonal(scores, 0.0)
    if apc:
        scores = apc_correction(scores)
    return scores


def _score_matrix(scores: Any) -> np.ndarray:
    """A square float64 score matrix from an array or an object holding one (``.scores``, ``.matrix``)."""
    for attr in ("scores", "matrix"):
        value = getattr(scores, attr, None)
        if isinstance(value, np.ndarray):
            scores = value
            break
    s = np.asarray(scores, dtype=np.float64)
    if s.ndim != 2 or s.shape[0] != s.shape[1]:
        raise InputError(f"scores must be a square (L, L) matrix, got shape {s.shape}")
    return s


def ranked_pairs(
    scores: Any, min_separation: int = 6, known: ArrayLike | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs ``i < j`` with ``j - i >= min_separation`` (and ``known[i, j]`` if given), best first.

    The one ranking of pairs in the package: :func:`top_contacts`, the contacts CSV file,
    :func:`isingbio.evaluation.evaluate_contacts` and the contact-map figure use it.

    Parameters
    ----------
    scores : array_like, shape (L, L)
        Pair scores, higher first (only ``i < j`` is read); or an object with a ``scores`` or
        ``matrix`` array.
    min_separation : int, default 6
        Smallest ``j - i`` ranked (values below 1 count as 1).
    known : array_like of bool, shape (L, L), optional
        Rank only the pairs where it is True (e.g. ``contact >= 0``).

    Returns
    -------
    i, j : ndarray of int64
        0-based indices, ordered by decreasing score (ties: by i, then j; NaN last).
    score : ndarray of float64
    """
    s = _score_matrix(scores)
    L = s.shape[0]
    i, j = np.triu_indices(L, k=max(int(min_separation), 1))
    if known is not None:
        keep = np.asarray(known)[i, j]
        i, j = i[keep], j[keep]
    v = s[i, j]
    key = np.where(np.isnan(v), -np.inf, v)
    order = np.lexsort((j, i, -key))  # last key is primary
    # NaN after -inf scores: push NaNs to the very end
    nan_last = np.isnan(v[order])
    order = np.concatenate([order[~nan_last], order[nan_last]])
    return i[order].astype(np.int64), j[order].astype(np.int64), v[order]


def top_contacts(
    scores: ArrayLike, min_separation: int = 6, n: int | None = None, positions: ArrayLike | None = None
) -> np.ndarray:
    """Pairs i < j with ``|i - j| >= min_separation``, best first.

    Parameters
    ----------
    scores : array_like, shape (L, L)
        Symmetric pair scores (e.g. from :func:`contact_scores`).
    min_separation : int
        Smallest ``|i - j|`` in columns (default 6).
    n : int, optional
        Keep the best n pairs (default: all).
    positions : array_like of int, shape (L,), optional
        Residue numbers of the columns (``alignment.positions``); when given, the returned
        ``i`` and ``j`` are these numbers instead of 0-based column indices.

    Returns
    -------
    ndarray with fields ``i`` (int64), ``j`` (int64), ``score`` (float64)
        Sorted by decreasing score (ties: by i, then j; NaN last), as :func:`ranked_pairs`.
    """
    s = _score_matrix(scores)
    L = s.shape[0]
    min_separation = check_positive_int(min_separation, "min_separation", minimum=1)
    iu, ju, vals = ranked_pairs(s, min_separation)
    if n is not None:
        k = check_positive_int(n, "n", minimum=0)
        iu, ju, vals = iu[:k], ju[:k], vals[:k]
    out = np.empty(len(iu), dtype=CONTACT_DTYPE)
    if positions is not None:
        pos = np.asarray(positions, dtype=np.int64)
        if pos.shape != (L,):
            raise InputError(f"positions must have shape ({L},), got {pos.shape}")
        out["i"], out["j"] = pos[iu], pos[ju]
    else:
        out["i"], out["j"] = iu, ju
    out["score"] = vals
    return out


def write_contacts_csv(
    path: PathLike | IO[str],
    scores: ArrayLike,
    *,
    min_separation: int = 6,
    n: int | None = None,
    positions: ArrayLike | None = None,
    sequence: str | None = None,
    alphabet: Alphabet | str | None = None,
) -> int:
    """Write ranked contacts as CSV ``i,j,score`` (plus ``res_i,res_j`` when the target is known).

    Parameters
    ----------
    path : str, os.PathLike or file object
        Output file, written atomically (a temporary file renamed on success), or an open
        text file such as ``sys.stdout``.
    scores : array_like, shape (L, L)
    min_separation, n : see :func:`top_contacts`.
    positions : array_like of int, shape (L,), optional
        1-based residue numbers of the columns (``alignment.positions``); default 1..L.
    sequence : str, optional
        The target sequence over the L columns (``alignment.target_sequence``); adds the
        one-letter residues of i and j.
    alphabet : Alphabet or str, optional
        Not used (accepted for compatibility).

    Returns
    -------
    int
        Number of pairs written.
    """
    from ._files import atomic_output

    s = np.asarray(scores, dtype=np.float64)
    L = s.shape[0] if s.ndim == 2 else 0
    pos = np.arange(1, L + 1, dtype=np.int64) if positions is None else np.asarray(positions, dtype=np.int64)
    if pos.shape != (L,):
        raise InputError(f"positions must have shape ({L},), got {pos.shape}")
    if sequence is not None and len(sequence) != L:
        raise InputError(f"target sequence has {len(sequence)} residues but the scores cover {L} columns")
    ranked = top_contacts(s, min_separation=min_separation, n=n)

    def _write(fh: IO[str]) -> None:
        if sequence is None:
            fh.write("i,j,score\n")
            for i, j, v in ranked:
                fh.write(f"{pos[i]},{pos[j]},{v:.6g}\n")
        else:
            fh.write("i,j,score,res_i,res_j\n")
            for i, j, v in ranked:
                fh.write(f"{pos[i]},{pos[j]},{v:.6g},{sequence[i]},{sequence[j]}\n")

    if hasattr(path, "write"):
        _write(cast(IO[str], path))
    else:
        with atomic_output(path) as fh:
            _write(fh)
    return len(ranked)
