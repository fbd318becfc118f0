"""Ladders of inverse temperatures for parallel tempering (:func:`isingbio.tempering`).

A ladder is an increasing array of betas (rung 0 is the hottest; a rung may be beta = 0, the
uniform law). :func:`geometric_ladder` is the usual starting point. The adaptive ladders move
the inner rungs during burn-in, then are frozen, so that production sampling is a valid
Markov chain:

* ``"acceptance"``: equal swap acceptance between neighbouring rungs. With acceptance
  A_k between rungs k and k + 1, sqrt(-log A_k) grows about linearly with the gap, so the
  local "cost" per unit beta is sqrt(-log A_k) / (beta_{k+1} - beta_k); the new rungs split
  the total cost into equal parts.
* ``"feedback"``: the feedback-optimised ladder of Katzgraber, Trebst, Huse and Troyer
  (J. Stat. Mech. P03018, 2006). f(k) is the fraction of the replicas at rung k that last
  visited the hot end (rung 0) rather than the cold end; the optimal density of rungs is
  proportional to sqrt(density x abs(df / dbeta)), so the new rungs split
  sum_k sqrt(f(k) - f(k + 1)) / (beta_{k+1} - beta_k) dbeta into equal parts.

Both keep the end points and move the inner rungs by a damped step, so a ladder stays
increasing. The feedback ladder needs many round trips per step to estimate f: the burn-in
runs it in stages that double in length (the acceptance ladder in equal stages).
"""

from __future__ import annotations

import numpy as np

from .errors import InputError

__all__ = [
    "geometric_ladder",
    "temperature_ladder",
    "check_ladder",
    "equal_acceptance_ladder",
    "feedback_ladder",
    "ADAPT_MODES",
]

ADAPT_MODES = ("acceptance", "feedback")
_FLOOR = 1e-3  # smallest cost of one gap relative to the mean: a gap never collapses
_FEEDBACK_FLOOR = 0.25


def geometric_ladder(beta_min: float, beta_max: float, n: int) -> np.ndarray:
    """n inverse temperatures in geometric progression from beta_min to beta_max (increasing).

    The temperatures T = 1 / beta are then geometric too. beta_min must be > 0 (add a
    beta = 0 rung yourself with ``np.concatenate([[0.0], ladder])``).

    Examples
    --------
    >>> geometric_ladder(0.5, 2.0, 3)
    array([0.5, 1. , 2. ])
    """
    n = int(n)
    if n < 1:
        raise InputError(f"a ladder needs at least 1 rung, got n = {n}")
    lo, hi = float(beta_min), float(beta_max)
    if not (np.isfinite(lo) and np.isfinite(hi) and 0 < lo <= hi):
        raise InputError(f"geometric ladder needs 0 < beta_min <= beta_max, got {beta_min}, {beta_max}")
    if n == 1:
        return np.array([hi])
    betas = np.geomspace(lo, hi, n)
    betas[0], betas[-1] = lo, hi
    return betas


def temperature_ladder(t_min: float, t_max: float, n: int) -> np.ndarray:
    """The geometric ladder of n temperatures from t_min to t_max, as increasing betas.

    Examples
    --------
    >>> temperature_ladder(0.5, 2.0, 3)
    array([0.5, 1. , 2. ])
    """
    lo, hi = float(t_min), float(t_max)
    if not (np.isfinite(lo) and np.isfinite(hi) and 0 < lo <= hi):
        raise InputError(f"temperature ladder needs 0 < T_min <= T_max, got {t_min}, {t_max}")
    return geometric_ladder(1.0 / hi, 1.0 / lo, n)


def check_ladder(betas: object) -> np.ndarray:
    """The betas as a float64 array, checked: 1-D, finite, >= 0 and strictly increasing."""
    if isinstance(betas, (bool, np.bool_)):
        raise InputError("betas must be a sequence of numbers, got bool")
    try:
        arr = np.array(betas, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"betas must be a sequence of numbers, got {type(betas).__name__}") from None
    if arr.ndim > 1:
        raise InputError(f"betas must be a 1-D array (one beta per rung), got shape {arr.shape}")
    arr = arr.reshape(-1)
    if arr.size < 1:
        raise InputError("betas must have at least one rung")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise InputError("betas must be finite and >= 0")
    if np.any(np.diff(arr) <= 0):
        raise InputError("betas must be strictly increasing (rung 0 is the hottest)")
    return arr


def _redistribute(betas: np.ndarray, rate: np.ndarray, damping: float, floor: float = _FLOOR) -> np.ndarray:
    """New inner rungs splitting int rate dbeta (piecewise constant over the gaps) equally;
    no gap's cost below `floor` times the mean."""
    gaps = np.diff(betas)
    cost = rate * gaps
    if not np.all(np.isfinite(cost)) or cost.sum() <= 0:
        return betas.copy()
    cost = np.maximum(cost, floor * cost.mean())
    cum = np.concatenate([[0.0], np.cumsum(cost)])
    target = np.linspace(0.0, cum[-1], betas.size)
    proposed = np.interp(target, cum, betas)
    new = (1 - damping) * proposed + damping * betas
    new[0], new[-1] = betas[0], betas[-1]
    if np.any(np.diff(new) <= 0):  # rounding at tiny gaps: keep the old ladder
        return betas.copy()
    return new


def equal_acceptance_ladder(betas: np.ndarray, acceptance: np.ndarray, damping: float = 0.5) -> np.ndarray:
    """One step towards equal swap acceptance between neighbours (end points kept).

    Parameters
    ----------
    betas : ndarray, shape (K,)
        The current ladder, increasing.
    acceptance : ndarray, shape (K - 1,)
        Measured swap acceptance of each neighbouring pair (NaN where none was attempted).
    damping : float, optional
        Fraction of the old ladder kept in the new one (0: jump to the proposal).

    Examples
    --------
    >>> b = equal_acceptance_ladder(np.array([0.0, 1.0, 2.0]), np.array([0.9, 0.1]))
    >>> bool(b[1] > 1.0)
    True
    """
    betas = check_ladder(betas)
    acc = np.asarray(acceptance, dtype=np.float64)
    if betas.size < 3 or acc.shape != (betas.size - 1,) or np.any(np.isnan(acc)):
        return betas.copy()
    x = np.sqrt(-np.log(np.clip(acc, 1e-12, 1 - 1e-12)))
    return _redistribute(betas, x / np.diff(betas), damping)


def feedback_ladder(betas: np.ndarray, up: np.ndarray, down: np.ndarray, damping: float = 0.5) -> np.ndarray:
    """One step of the feedback-optimised ladder (Katzgraber et al. 2006), end points kept.

    Parameters
    ----------
    betas : ndarray, shape (K,)
    up, down : ndarray, shape (K,)
        How often a replica at rung k had last visited rung 0 (up) or rung K - 1 (down).
    damping : float, optional
        Fraction of the old ladder kept in the new one.
    """
    betas = check_ladder(betas)
    up = np.asarray(up, dtype=np.float64)
    down = np.asarray(down, dtype=np.float64)
    tot = up + down
    if betas.size < 3 or np.any(tot <= 0):
        return betas.copy()
    f = up / tot
    df = np.maximum(f[:-1] - f[1:], 0.0)
    # f is noisy until many round trips have been seen: a gap where it looks flat would
    # swallow many rungs' worth of beta, so no gap costs less than a quarter of the mean
    return _redistribute(betas, np.sqrt(df) / np.diff(betas), damping, floor=_FEEDBACK_FLOOR)
