"""Annealing schedules: the path positions ``0 = s_0 <= s_1 <= ... <= s_K = 1`` of AIS.

Along the path the couplings are switched on as ``beta_coupling = s beta`` (see
:mod:`isingbio.annealed_importance`). "linear" takes equal steps, "sigmoid" small steps at
both ends, and "adaptive" places the steps from a pilot run so that each adds about the same
variance to the log-weights (:func:`isingbio.ais` runs the pilot, then
:func:`_adaptive_schedule` places the steps).
"""

from __future__ import annotations

import numpy as np

from ._typing import ArrayLike
from ._validation import check_positive_int
from .errors import InputError

__all__ = ["make_schedule", "SCHEDULES"]

SCHEDULES = ("linear", "sigmoid", "adaptive")
_SIGMOID_WIDTH = 4.0  # sigmoid schedule: s ~ sigmoid(t) for t in [-4, 4]


def make_schedule(schedule: str | ArrayLike = "linear", n_steps: int = 1000) -> np.ndarray:
    """Path positions s_0 = 0 <= s_1 <= ... <= s_K = 1 (beta_coupling = s beta).

    Parameters
    ----------
    schedule : {"linear", "sigmoid"} or array_like
        "linear": equal steps. "sigmoid": s_t ~ sigmoid(8 t/K - 4), rescaled to [0, 1]
        (small steps at both ends). An array is checked and returned as float64.
    n_steps : int, optional
        K, the number of steps (ignored for an array).

    Returns
    -------
    ndarray of float64, shape (K + 1,)
    """
    if isinstance(schedule, str):
        key = schedule.lower().strip()
        k = check_positive_int(n_steps, "n_steps")
        if key == "linear":
            return np.linspace(0.0, 1.0, k + 1)
        if key == "sigmoid":
            t = np.linspace(-_SIGMOID_WIDTH, _SIGMOID_WIDTH, k + 1)
            s = 1.0 / (1.0 + np.exp(-t))
            s = (s - s[0]) / (s[-1] - s[0])
            s[0], s[-1] = 0.0, 1.0
            return s
        if key == "adaptive":
            raise InputError("the adaptive schedule needs a pilot run: use ais(..., schedule='adaptive')")
        raise InputError(f"schedule must be one of {', '.join(SCHEDULES)} or an array, got {schedule!r}")
    try:
        s = np.asarray(schedule, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(
            f"schedule must be one of {', '.join(SCHEDULES)} or an array of numbers, got {schedule!r}"
        ) from None
    if s.ndim != 1 or s.size < 2:
        raise InputError(f"a schedule array must be 1-D with at least 2 values (0 and 1), got shape {s.shape}")
    if not np.all(np.isfinite(s)):
        raise InputError("the schedule contains non-finite values")
    if s[0] != 0.0 or s[-1] != 1.0:
        raise InputError(f"a schedule must start at 0 and end at 1 (fractions of the path), got {s[0]} ... {s[-1]}")
    if np.any(np.diff(s) < 0):
        k = int(np.flatnonzero(np.diff(s) < 0)[0])
        raise InputError(f"a schedule must be non-decreasing, but s[{k + 1}] = {s[k + 1]} < s[{k}] = {s[k]}")
    return s.copy()


def _adaptive_schedule(s_pilot: np.ndarray, energies: np.ndarray, n_steps: int) -> np.ndarray:
    """Steps placed so that each adds about the same variance to the log-weights.

    energies: (K_pilot, n_chains), E at s_pilot[:-1]. Step t adds -(s_t - s_{t-1}) E, whose
    variance over chains is (ds)^2 var(E), inflated by correlations between successive
    steps by about (1 + rho)/(1 - rho), rho the lag-one correlation of E along the chains.
    Step density ~ sd(E) sqrt((1 + rho)/(1 - rho)) minimises the final variance
    (sum of (ds)^2 a(s) with sum ds = 1 is smallest for ds ~ 1/sqrt(a)).
    """
    sd = energies.std(axis=1)
    if energies.shape[0] >= 8:  # slow mixing adds variance: weight by sqrt(2 tau), tau from lag-1 correlation
        dev = energies - energies.mean(axis=1, keepdims=True)
        num = (dev[1:] * dev[:-1]).sum(axis=1)
        den = np.sqrt((dev[1:] ** 2).sum(axis=1) * (dev[:-1] ** 2).sum(axis=1))
        rho = np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)
        win = max(3, energies.shape[0] // 20)
        rho = np.convolve(
            np.concatenate([np.full(win // 2, rho[0]), rho, np.full(win - 1 - win // 2, rho[-1])]),
            np.ones(win) / win,
            mode="valid",
        )
        rho = np.clip(np.append(rho, rho[-1]), 0.0, 0.98)
        sd = sd * np.sqrt((1 + rho) / (1 - rho))
    sd = np.append(sd, sd[-1])
    if sd.size >= 5:  # light smoothing against pilot noise
        kernel = np.ones(5) / 5
        padded = np.concatenate([np.full(2, sd[0]), sd, np.full(2, sd[-1])])
        sd = np.convolve(padded, kernel, mode="valid")
    floor = 0.05 * sd.mean() if sd.mean() > 0 else 1.0
    density = sd + floor
    cum = np.concatenate([[0.0], np.cumsum(0.5 * (density[1:] + density[:-1]) * np.diff(s_pilot))])
    cum /= cum[-1]
    s = np.interp(np.linspace(0.0, 1.0, n_steps + 1), cum, s_pilot)
    s[0], s[-1] = 0.0, 1.0
    return np.maximum.accumulate(s)
