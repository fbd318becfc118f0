"""Precision of predicted contacts against a known contact map.

Protocol (the one behind the peers' figures in the project's data README): rank all pairs
``i < j`` with ``j - i >= min_separation`` whose contact state is known (``contact >= 0``)
by score, highest first, take the top ``L/5``, ``L/2`` and ``L`` (``floor``, at least 1;
all candidates if there are fewer) and report the fraction that are contacts. Long range:
the same among pairs with ``j - i >= long_range``. Ties are broken by position (smaller
``i``, then smaller ``j`` first), so the result is deterministic; NaN scores rank last
(:func:`isingbio.contacts.ranked_pairs`). The figure is :func:`isingbio.plot.plot_contacts`
(re-exported here).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ._typing import ArrayLike
from .contacts import _score_matrix, ranked_pairs
from .errors import InputError
from .plot import plot_contacts

if TYPE_CHECKING:
    from .structure import ContactMap

__all__ = ["evaluate_contacts", "ranked_pairs", "plot_contacts"]

_FRACTIONS = (("L/5", 5), ("L/2", 2), ("L", 1))


def _contact_matrix(contact_map: Any) -> np.ndarray:
    c = getattr(contact_map, "contact", contact_map)
    c = np.asarray(c)
    if c.ndim != 2 or c.shape[0] != c.shape[1]:
        raise InputError(f"contact map must be a square (L, L) matrix, got shape {c.shape}")
    if c.dtype == bool:
        c = c.astype(np.int8)
    if c.size and not np.isin(np.unique(c), (-1, 0, 1)).all():
        raise InputError("contact map values must be 1 (contact), 0 (none) or -1 (unknown)")
    return c.astype(np.int8)


def evaluate_contacts(
    scores: ArrayLike, contact_map: ContactMap | ArrayLike, min_separation: int = 6, long_range: int = 24
) -> dict[str, float]:
    """Precision of the top-ranked pairs.

    Parameters
    ----------
    scores : array_like, shape (L, L)
        Pair scores (higher = more likely in contact), e.g. APC-corrected Frobenius norms;
        only the upper triangle (i < j) is used.
    contact_map : ContactMap or array_like of int, shape (L, L)
        1 contact, 0 no contact, -1 unknown (bool arrays are read as all known).
    min_separation : int, default 6
        Pairs with ``j - i >= min_separation`` are ranked.
    long_range : int, default 24
        Separation for the long-range figures.

    Returns
    -------
    dict
        ``"P@L/5"``, ``"P@L/2"``, ``"P@L"`` and ``"LR P@L/5"``, ``"LR P@L/2"``, ``"LR P@L"``
        (float; NaN if there is no candidate pair), ``"n@L/5"`` ... the number of pairs
        each precision is taken over, ``"L"``, ``"min_separation"``, ``"long_range"``,
        ``"n_candidates"``, ``"n_contacts"`` (contacts among the candidates), and the same
        two with an ``"LR "`` prefix.
    """
    s = _score_matrix(scores)
    c = _contact_matrix(contact_map)
    if s.shape != c.shape:
        raise InputError(f"scores have shape {s.shape} but the contact map has {c.shape}")
    min_separation = int(min_separation)
    long_range = int(long_range)
    if min_separation < 1 or long_range < 1:
        raise InputError("min_separation and long_range must be >= 1")
    L = s.shape[0]
    out: dict[str, float] = {"L": L, "min_separation": min_separation, "long_range": long_range}
    for prefix, sep in (("", min_separation), ("LR ", max(long_range, min_separation))):
        i, j, _ = ranked_pairs(s, sep, known=c >= 0)
        truth = c[i, j] == 1
        out[f"{prefix}n_candidates"] = int(len(i))
        out[f"{prefix}n_contacts"] = int(truth.sum())
        for name, div in _FRACTIONS:
            k = min(max(L // div, 1), len(i))
            out[f"{prefix}P@{name}"] = float(truth[:k].mean()) if k else float("nan")
            out[f"{prefix}n@{name}"] = int(k)
    return out
