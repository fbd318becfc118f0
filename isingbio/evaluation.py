"""Precision of predicted contacts against a known contact map, and the contact-map plot.

Protocol (the one behind the peers' figures in the project's data README): rank all pairs
``i < j`` with ``j - i >= min_separation`` whose contact state is known (``contact >= 0``)
by score, highest first, take the top ``L/5``, ``L/2`` and ``L`` (``floor``, at least 1;
all candidates if there are fewer) and report the fraction that are contacts. Long range:
the same among pairs with ``j - i >= long_range``. Ties are broken by position (smaller
``i``, then smaller ``j`` first), so the result is deterministic; NaN scores rank last.
"""
from __future__ import annotations

import numpy as np

from .errors import InputError

__all__ = ["evaluate_contacts", "ranked_pairs", "plot_contacts"]

_FRACTIONS = (("L/5", 5), ("L/2", 2), ("L", 1))


def _score_matrix(scores) -> np.ndarray:
    for attr in ("scores", "matrix"):
        value = getattr(scores, attr, None)
        if isinstance(value, np.ndarray):
            scores = value
            break
    s = np.asarray(scores, dtype=np.float64)
    if s.ndim != 2 or s.shape[0] != s.shape[1]:
        raise InputError(f"scores must be a square (L, L) matrix, got shape {s.shape}")
    return s


def _contact_matrix(contact_map) -> np.ndarray:
    c = getattr(contact_map, "contact", contact_map)
    c = np.asarray(c)
    if c.ndim != 2 or c.shape[0] != c.shape[1]:
        raise InputError(f"contact map must be a square (L, L) matrix, got shape {c.shape}")
    if c.dtype == bool:
        c = c.astype(np.int8)
    if c.size and not np.isin(np.unique(c), (-1, 0, 1)).all():
        raise InputError("contact map values must be 1 (contact), 0 (none) or -1 (unknown)")
    return c.astype(np.int8)


def ranked_pairs(scores, min_separation: int = 6, known=None):
    """Pairs ``i < j`` with ``j - i >= min_separation`` (and ``known[i, j]`` if given), best first.

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


def evaluate_contacts(scores, contact_map, min_separation: int = 6, long_range: int = 24) -> dict:
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
    out = {"L": L, "min_separation": min_separation, "long_range": long_range}
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


def plot_contacts(scores, contact_map, path, top=None, min_separation: int = 6,
                  positions=None, title: str | None = None, dpi: int = 150,
                  figsize=(6.0, 6.0)):
    """Draw the predicted top pairs over the true contact map and write it to ``path``.

    Lower triangle: true contacts (grey; unknown pairs in light yellow). Upper triangle: the
    ``top`` best-scoring pairs with ``j - i >= min_separation`` (green: contact, red: not a
    contact, blue: unknown). The title reports P@L/5, P@L/2 and P@L.

    Parameters
    ----------
    scores : array_like, shape (L, L)
    contact_map : ContactMap, array_like of int (L, L), or None (predictions only)
    path : str or os.PathLike
        Output file; the format follows the extension (png, pdf, svg). Written to a
        temporary file first and renamed, so no partial file is left on failure.
    top : int, optional
        Number of predicted pairs drawn (default L).
    positions : array_like of int, shape (L,), optional
        Axis labels (e.g. ``alignment.positions``); default 1..L.

    Returns
    -------
    str
        ``path``.
    """
    from .plot import figure, save_figure

    s = _score_matrix(scores)
    L = s.shape[0]
    c = None if contact_map is None else _contact_matrix(contact_map)
    if c is not None and c.shape != s.shape:
        raise InputError(f"scores have shape {s.shape} but the contact map has {c.shape}")
    top = L if top is None else int(top)
    if top < 0:
        raise InputError(f"top must be >= 0, got {top}")
    if positions is None:
        positions = np.arange(1, L + 1)
    positions = np.asarray(positions)
    if positions.shape != (L,):
        raise InputError(f"positions must have shape ({L},), got {positions.shape}")

    fig = figure(figsize=figsize)
    ax = fig.add_subplot(1, 1, 1)
    ax.set_xlim(0.5, L + 0.5)
    ax.set_ylim(L + 0.5, 0.5)
    ax.set_aspect("equal")
    ms = max(1.0, min(6.0, 300.0 / max(L, 1)))
    if c is not None:
        ui, uj = np.nonzero(np.tril(c == -1, -1))
        if ui.size:
            ax.scatter(uj + 1, ui + 1, s=ms ** 2, c="#f3eec8", marker="s", linewidths=0,
                       label="unknown")
        ti, tj = np.nonzero(np.tril(c == 1, -min_separation))
        ax.scatter(tj + 1, ti + 1, s=ms ** 2, c="0.55", marker="s", linewidths=0,
                   label="true contact")
    i, j, _ = ranked_pairs(s, min_separation)
    i, j = i[:top], j[:top]
    if c is None:
        ax.scatter(j + 1, i + 1, s=ms ** 2, c="k", marker="o", linewidths=0, label="predicted")
    else:
        state = c[i, j]
        for value, colour, label in ((1, "#1a9641", "predicted, contact"),
                                     (0, "#d7191c", "predicted, no contact"),
                                     (-1, "#2c7bb6", "predicted, unknown")):
            m = state == value
            if m.any():
                ax.scatter(j[m] + 1, i[m] + 1, s=ms ** 2, c=colour, marker="o",
                           linewidths=0, label=label)
    ax.plot([0.5, L + 0.5], [0.5, L + 0.5], color="0.8", linewidth=0.5)
    ticks = np.linspace(1, L, min(L, 6)).round().astype(int)
    ax.set_xticks(ticks)
    ax.set_xticklabels([str(positions[t - 1]) for t in ticks])
    ax.set_yticks(ticks)
    ax.set_yticklabels([str(positions[t - 1]) for t in ticks])
    ax.set_xlabel("residue j")
    ax.set_ylabel("residue i")
    heading = title or "predicted contacts (upper) over true contacts (lower)"
    if c is not None:
        r = evaluate_contacts(s, c, min_separation=min_separation)
        heading += (f"\nP@L/5 {r['P@L/5']:.2f}   P@L/2 {r['P@L/2']:.2f}   P@L {r['P@L']:.2f}"
                    f"   (top {top} drawn, |i-j| >= {min_separation})")
    ax.set_title(heading, fontsize=9)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.09), ncol=3, fontsize=7,
              markerscale=1.5, frameon=False)
    return save_figure(fig, path, dpi)
