"""The result of an AIS run (:func:`isingbio.ais`) and the estimators of log Z from its weights.

With forward log-weights w_i (i = 1..n_F; mean exp(w) estimates Z/Z_0) and reverse ones
w'_j (j = 1..n_R; mean exp(w') estimates Z_0/Z), the forward and reverse estimates are
stochastic lower and upper bounds. Bennett's acceptance ratio (BAR) is the optimal
combination of the two directions of one path (Bennett 1976; Crooks 2000; Shirts et al.,
Phys. Rev. Lett. 91, 140601, 2003): in the works W_F = -w, W_R = -w' and with
M = log(n_F/n_R), Delta F = -log(Z/Z_0) solves

    sum_i f(M + W_F,i - Delta F) = sum_j f(-M + W_R,j + Delta F),    f(x) = 1/(1 + e^x),

and its asymptotic variance (Bennett's eq. 10a) is

    <f^2>_F / (n_F <f>_F^2) + <f^2>_R / (n_R <f>_R^2) - 1/n_F - 1/n_R

with f evaluated at the solution. It is never negative, and it is small when the forward
and reverse work distributions overlap, even when each direction's own estimate is poor.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

from ._typing import SeedLike
from ._validation import check_positive_int

__all__ = ["AISResult"]


# ----------------------------------------------------------------------------------------
# log-space helpers and estimators
# ----------------------------------------------------------------------------------------
def _logmeanexp(x, axis=-1):
    x = np.asarray(x, dtype=np.float64)
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    out = np.log(np.mean(np.exp(x - m), axis=axis)) + np.squeeze(m, axis=axis)
    return out


def _weight_stats(lw: np.ndarray):
    """(log mean exp(lw), delta-method standard error, Kish effective sample size)."""
    n = lw.size
    m = float(lw.max())
    r = np.exp(lw - m)
    mean = float(r.mean())
    est = m + math.log(mean)
    se = float(np.sqrt(r.var(ddof=1) / n) / mean) if n > 1 else float("nan")
    ess = float(r.sum() ** 2 / (r**2).sum())
    return est, se, ess


def _running(lw: np.ndarray):
    """log mean exp of the first n log-weights, n = 1..len(lw), and its delta-method error."""
    m = float(lw.max())
    r = np.exp(lw - m)
    n = np.arange(1, lw.size + 1)
    s1, s2 = np.cumsum(r), np.cumsum(r**2)
    mean = s1 / n
    var = np.maximum(s2 / n - mean**2, 0.0) * n / np.maximum(n - 1, 1)
    return n, m + np.log(mean), np.sqrt(var / n) / mean


def _log_fermi(x: np.ndarray) -> np.ndarray:
    """log f(x) = -log(1 + e^x), without overflow."""
    return -np.logaddexp(0.0, x)


def _logsumexp(x: np.ndarray) -> float:
    m = float(np.max(x))
    return m + math.log(float(np.exp(x - m).sum()))


def _bar(lw_f: np.ndarray, lw_r: np.ndarray) -> tuple[float, float]:
    """Bennett's acceptance ratio: (log(Z/Z_0), its asymptotic standard error).

    lw_f: forward log-weights (mean exp estimates Z/Z_0); lw_r: reverse ones (Z_0/Z), both
    without log Z_0.
    """
    w_f = -np.asarray(lw_f, dtype=np.float64)  # forward works
    w_r = -np.asarray(lw_r, dtype=np.float64)  # reverse works
    n_f, n_r = w_f.size, w_r.size
    if not (np.all(np.isfinite(w_f)) and np.all(np.isfinite(w_r))):
        return float("nan"), float("nan")
    m = math.log(n_f / n_r)

    def g(df: float) -> float:  # increasing in df
        return _logsumexp(_log_fermi(m + w_f - df)) - _logsumexp(_log_fermi(-m + w_r + df))

    # the one-sided estimates of Delta F bracket the root loosely; widen until they do
    a = -_logsumexp(-w_f) + math.log(n_f)
    b = _logsumexp(-w_r) - math.log(n_r)
    lo, hi = min(a, b), max(a, b)
    width = max(hi - lo, 1.0)
    lo, hi = lo - width, hi + width
    while g(lo) > 0:
        lo -= 2 * (hi - lo)
    while g(hi) < 0:
        hi += 2 * (hi - lo)
    df = brentq(g, lo, hi, xtol=1e-13, rtol=4 * np.finfo(float).eps)
    var = 0.0
    for lf, n in ((_log_fermi(m + w_f - df), n_f), (_log_fermi(-m + w_r + df), n_r)):
        # <f^2> / <f>^2 in log space
        ratio = math.exp(_logsumexp(2 * lf) - 2 * _logsumexp(lf) + math.log(n))
        var += (ratio - 1.0) / n
    if min(n_f, n_r) < 2:  # one chain in a direction: no error bar (as the delta method gives)
        return -float(df), float("nan")
    return -float(df), math.sqrt(max(var, 0.0))


# ----------------------------------------------------------------------------------------
# result
# ----------------------------------------------------------------------------------------
@dataclass
class AISResult:
    """Outcome of :func:`ais`.

    Attributes
    ----------
    log_z : float
        Estimate of log Z(beta): the forward estimate, or with ``bidirectional=True``
        Bennett's acceptance ratio (BAR) of the forward and reverse log-weights.
    stderr : float
        Its standard error (forward: delta method; BAR: Bennett's asymptotic variance).
    estimator : {"forward", "bar"}
        Which estimate ``log_z`` is.
    log_z_forward, stderr_forward : float
        Forward AIS: log Z_0 + log mean exp(w); a stochastic lower bound.
    log_z_reverse, stderr_reverse : float or None
        Reverse AIS: log Z_0 - log mean exp(w'); a stochastic upper bound (bidirectional).
    gap : float or None
        log_z_reverse - log_z_forward.
    log_z_midpoint, stderr_midpoint : float or None
        The midpoint of the two bounds and its error (noise plus a uniform spread over the
        part of the gap that noise does not explain; bidirectional): the estimate of
        isingbio 0.2, kept for comparison. Its error is larger than BAR's.
    ess, ess_reverse : float
        Kish effective sample size of the forward (reverse) weights, between 1 and n_chains.
    log_weights : ndarray of float64, shape (n_chains,)
        Final forward log-weights including log Z_0: mean exp(log_weights) estimates Z.
    log_weights_reverse : ndarray of float64, shape (n_reverse,) or None
        Final reverse log-weights including -log Z_0: mean exp(.) estimates 1/Z.
    trace : ndarray of float64, shape (n_trace, n_chains)
        Forward log-weights (including log Z_0) after step ``trace_steps[k]``; each row's log
        mean exp estimates log Z at beta_coupling = schedule[trace_steps[k]] * beta.
    trace_steps : ndarray of int64, shape (n_trace,)
    trace_reverse : ndarray of float64, shape (n_trace_r, n_reverse) or None
        Reverse log-weights (without log Z_0) after step ``trace_steps_reverse[k]`` of the
        reverse pass, which runs from schedule[K] down to schedule[0].
    trace_steps_reverse : ndarray of int64 or None
    schedule : ndarray of float64, shape (n_steps + 1,)
        Path positions s_t; beta_coupling = s_t beta (and beta_field = s_t beta for base "uniform").
    log_z_base : float
        Exact log Z of the base distribution.
    base, method, beta, n_chains, n_steps, sweeps_per_step, seed, n_threads, elapsed
        The run's settings; ``seed`` reproduces it.
    reverse_init : str or None
        How the reverse pass's equilibrium states were obtained.
    """

    log_z: float
    stderr: float
    log_z_forward: float
    stderr_forward: float
    ess: float
    log_weights: np.ndarray
    trace: np.ndarray
    trace_steps: np.ndarray
    schedule: np.ndarray
    log_z_base: float
    base: str
    method: str
    beta: float
    n_chains: int
    n_steps: int
    sweeps_per_step: int
    seed: int
    n_threads: int
    elapsed: float
    n_sites: int = 0
    log_z_reverse: float | None = None
    stderr_reverse: float | None = None
    ess_reverse: float | None = None
    gap: float | None = None
    log_weights_reverse: np.ndarray | None = None
    trace_reverse: np.ndarray | None = None
    trace_steps_reverse: np.ndarray | None = None
    reverse_init: str | None = None
    schedule_name: str = "linear"
    estimator: str = "forward"
    log_z_midpoint: float | None = None
    stderr_midpoint: float | None = None

    @property
    def bounds(self) -> tuple[float, float | None]:
        """(stochastic lower bound, stochastic upper bound or None)."""
        return self.log_z_forward, self.log_z_reverse

    @property
    def bidirectional(self) -> bool:
        return self.log_z_reverse is not None

    def running_estimate(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Forward estimates of log Z along the path.

        Returns
        -------
        beta_coupling : ndarray, shape (n_trace,)
        log_z : ndarray, shape (n_trace,)
            log Z of the intermediate distribution exp(-beta_coupling H_J - beta_field H_h)
            (beta_field = beta for base "fields", = beta_coupling for "uniform").
        stderr : ndarray, shape (n_trace,)
        """
        stats = [_weight_stats(row) for row in self.trace]
        b = self.schedule[self.trace_steps] * self.beta
        return b, np.array([s[0] for s in stats]), np.array([s[1] for s in stats])

    def bootstrap_stderr(self, n_boot: int = 1000, seed: SeedLike = None) -> float:
        """Standard error of the forward estimate by bootstrap over chains (a check of the delta method)."""
        n_boot = check_positive_int(n_boot, "n_boot", minimum=2)
        rng = np.random.default_rng(seed)
        lw = self.log_weights
        idx = rng.integers(0, lw.size, size=(n_boot, lw.size))
        return float(np.std(_logmeanexp(lw[idx], axis=1), ddof=1))

    def summary(self) -> str:
        lines = [
            f"AIS: beta = {self.beta:.6g}, {self.n_chains} chains x {self.n_steps} steps "
            f"({self.schedule_name} schedule, {self.sweeps_per_step} {self.method} sweep(s) per step), "
            f"base '{self.base}' (log Z_0 = {self.log_z_base:.6f}), seed {self.seed}",
            f"  {'log Z (BAR)' if self.estimator == 'bar' else 'log Z':<19}{self.log_z:.6f} +/- {self.stderr:.6f}",
        ]
        if self.n_sites:
            lines[-1] += f"   (per site {self.log_z / self.n_sites:.6f})"
        lines.append(
            f"  forward (lower)    {self.log_z_forward:.6f} +/- {self.stderr_forward:.6f}   "
            f"ESS {self.ess:.1f} of {self.n_chains}"
        )
        if self.bidirectional:
            assert self.log_weights_reverse is not None, "set with log_z_reverse by a bidirectional run"
            lines.append(
                f"  reverse (upper)    {self.log_z_reverse:.6f} +/- {self.stderr_reverse:.6f}   "
                f"ESS {self.ess_reverse:.1f} of {self.log_weights_reverse.size}"
            )
            lines.append(f"  midpoint           {self.log_z_midpoint:.6f} +/- {self.stderr_midpoint:.6f}")
            lines.append(f"  gap                {self.gap:.6f}")
            if self.gap is not None and self.gap < 0:
                lines[-1] += "   (negative: the stochastic bounds cross; use more chains or steps)"
            lines.append(f"  reverse start      {self.reverse_init}")
        lines.append(f"  time               {self.elapsed:.3f} s on {self.n_threads} thread(s)")
        return "\n".join(lines)

    def __repr__(self) -> str:
        extra = f", bounds=({self.log_z_forward:.6g}, {self.log_z_reverse:.6g})" if self.bidirectional else ""
        return f"AISResult(log_z={self.log_z:.8g}, stderr={self.stderr:.2g}, ess={self.ess:.1f}{extra})"
