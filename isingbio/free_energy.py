"""log Z along a temperature ladder: thermodynamic integration and MBAR.

Both estimators take energies H(x) sampled at each inverse temperature beta_k of a ladder
beta_0 < beta_1 < ... < beta_{K-1} (from :func:`isingbio.tempering`, or any sampler), with
the law at rung k p_k(x) ~ exp(-beta_k H(x)) (fields included in H and scaled by beta, as in
:mod:`isingbio.models`), and the exact log Z at the first rung; at beta_0 = 0 the law is
uniform and log Z(0) = N log q.

Thermodynamic integration (:func:`thermodynamic_integration`)
    d log Z / d beta = -<H>_beta and d<H>/d beta = -var(H), so

        log Z(beta) = log Z(beta_0) - integral_{beta_0}^{beta} <H>_b db.

    The rule is the cubic Hermite rule (trapezoid with end corrections), exact for cubics:
    on [a, b] with h = b - a, integral = h (E_a + E_b) / 2 - h^2 (V_a - V_b) / 12, with E the
    mean and V the variance of H at each rung (the slope of the mean is -V, measured from the
    same samples). The error combines (1) the statistical error: the integral is the time
    average of one series, a weighted sum over rungs of H_k(t) and (H_k(t) - E_k)^2 recorded
    at the same time t, and its autocorrelation-aware error
    (:func:`isingbio.stats.mean_and_error`) includes the correlations between rungs that
    replica swaps create (adding per-rung errors in quadrature underestimated the error by
    about 30% in tempering runs); with 4 or more independent runs, the spread of the per-run
    integrals when larger; and (2) a quadrature error, the Richardson estimate
    abs(I(h) - I(2h)) / 15 from the same rule on every other rung (the rule is fourth order).

MBAR (:func:`mbar`)
    The multistate Bennett acceptance ratio (Shirts & Chodera 2008): with all samples pooled,
    f_i = -log Z_i solves f_i = -log sum_n exp(-beta_i H_n) / sum_k N_k exp(f_k - beta_k H_n).
    Solved here by damped Newton steps on its convex objective (numpy and scipy.special); the
    error is the asymptotic (sandwich) covariance of the linearised equations, taken over record
    times: the equations are a sum over times t of one vector Z_t (all rungs' samples at t), so
    each log Z_k is, to first order, the mean of a scalar series whose autocorrelation-aware
    error includes the correlations between rungs that replica swaps create. For independent
    samples it is the usual asymptotic covariance (Kong et al. 2003, Shirts & Chodera 2008
    eq. D4, also reported); on tempering runs that formula, even on samples thinned to one
    per 2 tau_int, was about 20% too small. MBAR needs neighbouring energy
    histograms to overlap: it refuses (:class:`~isingbio.InputError`) a ladder where a
    neighbouring pair's histograms share less than ``min_overlap`` of their mass, and reports
    the overlaps. No pymbar: the self-consistent equations take 40 lines with scipy, and a
    dependency for them would not earn its place.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.special import logsumexp

from ._typing import ArrayLike
from .errors import InputError
from .stats import mean_and_error

__all__ = ["thermodynamic_integration", "mbar", "TIResult", "MBARResult", "energy_overlap", "MIN_OVERLAP"]

MIN_OVERLAP = 0.03  # least histogram overlap of neighbouring rungs that MBAR accepts
_MAX_ELEMENTS = 2e7  # distinct energies x rungs in MBAR's weight matrix (160 MB); records thinned above


# ----------------------------------------------------------------------------------------
# input
# ----------------------------------------------------------------------------------------
def _ladder(betas: ArrayLike, energies: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """betas (K,) strictly increasing, energies as (n_runs, K, n) float64."""
    b = np.asarray(betas, dtype=np.float64)
    if b.ndim != 1 or b.size < 2:
        raise InputError(f"betas must be a ladder of at least 2 inverse temperatures, got shape {b.shape}")
    if not np.all(np.isfinite(b)) or np.any(b < 0):
        raise InputError("betas must be finite and >= 0")
    if np.any(np.diff(b) <= 0):
        k = int(np.flatnonzero(np.diff(b) <= 0)[0])
        raise InputError(f"betas must increase strictly: betas[{k}] = {b[k]} >= betas[{k + 1}] = {b[k + 1]}")
    e = np.asarray(energies, dtype=np.float64)
    if e.ndim == 2:
        e = e[None]
    if e.ndim != 3 or e.shape[1] != b.size:
        raise InputError(
            f"energies must have shape (n_rungs, n_records) or (n_runs, n_rungs, n_records) with "
            f"n_rungs = {b.size}, got {np.shape(energies)}"
        )
    if e.shape[2] < 2:
        raise InputError(f"energies need at least 2 records per rung, got {e.shape[2]}")
    if not np.all(np.isfinite(e)):
        raise InputError("energies must be finite")
    return b, e


def _log_z0(log_z0: float) -> float:
    value = float(log_z0)
    if not math.isfinite(value):
        raise InputError(f"log_z0 must be finite, got {log_z0}")
    return value


def _targets(target: float | None, b: np.ndarray) -> float | None:
    if target is None:
        return None
    t = float(target)
    if not b[0] <= t <= b[-1]:
        raise InputError(f"target beta {t} is outside the ladder [{b[0]}, {b[-1]}]")
    return t


# ----------------------------------------------------------------------------------------
# thermodynamic integration
# ----------------------------------------------------------------------------------------


def _log_z_at(res: TIResult | MBARResult, beta: float) -> tuple[float, float]:
    """(log Z, stderr) of a ladder estimate at one of its rungs or at its target beta."""
    hit = np.flatnonzero(np.isclose(res.betas, beta, rtol=1e-12, atol=0.0))
    if hit.size:
        return float(res.log_z[hit[0]]), float(res.stderr[hit[0]])
    if res.target_beta is not None and math.isclose(beta, res.target_beta, rel_tol=1e-12):
        assert res.target_log_z is not None and res.target_stderr is not None
        return res.target_log_z, res.target_stderr
    raise InputError(f"beta {beta} is neither a rung nor the target of this estimate")


@dataclass
class TIResult:
    """log Z along a ladder by thermodynamic integration (:func:`thermodynamic_integration`).

    Attributes
    ----------
    betas : ndarray of float64, shape (K,)
    log_z : ndarray of float64, shape (K,)
        log Z at every rung (log_z[0] = log_z0).
    stderr : ndarray of float64, shape (K,)
        sqrt(stderr_statistical^2 + quadrature_error^2).
    stderr_statistical, quadrature_error : ndarray of float64, shape (K,)
    mean_energy, mean_energy_stderr, energy_variance : ndarray of float64, shape (K,)
        <H>, its standard error and var(H) at each rung.
    target_beta, target_log_z, target_stderr : float or None
        log Z at a beta between rungs (the Hermite cubic integrated up to it).
    log_z_trapezoid : ndarray of float64, shape (K,)
        The plain trapezoid rule, for comparison.
    rule : str
    """

    betas: np.ndarray
    log_z: np.ndarray
    stderr: np.ndarray
    stderr_statistical: np.ndarray
    quadrature_error: np.ndarray
    mean_energy: np.ndarray
    mean_energy_stderr: np.ndarray
    energy_variance: np.ndarray
    log_z_trapezoid: np.ndarray
    target_beta: float | None = None
    target_log_z: float | None = None
    target_stderr: float | None = None
    rule: str = "cubic Hermite (trapezoid with variance end corrections)"

    def at(self, beta: float) -> tuple[float, float]:
        """(log Z, stderr) at a rung or at the target beta."""
        return _log_z_at(self, beta)


def _hermite_weights(u: float) -> tuple[float, float, float, float]:
    """Integrals over s in [0, u] of the cubic Hermite basis h00, h10, h01, h11."""
    u2, u3, u4 = u * u, u**3, u**4
    return u4 / 2 - u3 + u, u4 / 4 - 2 * u3 / 3 + u2 / 2, -u4 / 2 + u3, u4 / 4 - u3 / 3


def _hermite_cumulative(b: np.ndarray, mean: np.ndarray, var: np.ndarray) -> np.ndarray:
    """Cumulative integral of <H> from b[0] to each rung (slope of <H> is -var)."""
    h = np.diff(b)
    pieces = h * (mean[:-1] + mean[1:]) / 2 - h * h * (var[:-1] - var[1:]) / 12
    return np.concatenate([[0.0], np.cumsum(pieces)])


def _hermite_coefficients(b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Linear weights (on the means, on the variances) of the cumulative integrals: (K, K) each."""
    K = b.size
    wm = np.zeros((K, K))
    wv = np.zeros((K, K))
    for k in range(1, K):
        h = b[k] - b[k - 1]
        wm[k:, k - 1] += h / 2
        wm[k:, k] += h / 2
        wv[k:, k - 1] -= h * h / 12
        wv[k:, k] += h * h / 12
    return wm, wv


def _richardson(b: np.ndarray, mean: np.ndarray, var: np.ndarray, fine: np.ndarray) -> np.ndarray:
    """abs(I(h) - I(2h)) / 15 at every rung (the coarse rule uses every other rung)."""
    K = b.size
    if K < 3:  # no coarser ladder: the whole Hermite correction (the trapezoid's error) instead
        return np.abs(fine - np.concatenate([[0.0], np.cumsum(np.diff(b) * (mean[:-1] + mean[1:]) / 2)]))
    idx = np.arange(0, K, 2)
    if idx[-1] != K - 1:
        idx = np.append(idx, K - 1)
    coarse = _hermite_cumulative(b[idx], mean[idx], var[idx])
    err_at = np.abs(fine[idx] - coarse) / 15
    return np.interp(b, b[idx], err_at)


def _per_rung(e: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Mean, its stderr, variance and its stderr of H at each rung (chains = runs)."""
    K = e.shape[1]
    mean, se, var, se_var = (np.zeros(K) for _ in range(4))
    for k in range(K):
        est = mean_and_error(e[:, k, :])
        mean[k], se[k] = est.mean, est.stderr
        dev2 = (e[:, k, :] - est.mean) ** 2
        est_v = mean_and_error(dev2)
        n = dev2.size
        var[k], se_var[k] = est_v.mean * n / (n - 1), est_v.stderr
    return mean, se, var, se_var


def _joint_error(e: np.ndarray, mean: np.ndarray, wm: np.ndarray, wv: np.ndarray) -> np.ndarray:
    """Statistical error of each cumulative integral, from its own time series.

    The estimate at rung j is the time average of Y_j(t) = sum_k wm[j, k] H_k(t) +
    wv[j, k] (H_k(t) - <H>_k)^2 (to first order in the variance terms), so the
    autocorrelation-aware error of Y_j includes the correlations between rungs that replica
    swaps create, which per-rung errors added in quadrature would miss.
    """
    dev2 = (e - mean[None, :, None]) ** 2
    y = np.einsum("jk,rkt->jrt", wm, e) + np.einsum("jk,rkt->jrt", wv, dev2)
    out = np.zeros(mean.size)
    for j in range(1, mean.size):
        out[j] = mean_and_error(y[j]).stderr
    return out


def thermodynamic_integration(
    betas: ArrayLike, energies: ArrayLike, *, log_z0: float, target_beta: float | None = None
) -> TIResult:
    """log Z at every rung of a ladder by integrating the mean energy from the first rung.

    Parameters
    ----------
    betas : array_like of float, shape (K,)
        Strictly increasing inverse temperatures, K >= 2 (usually beta_0 = 0).
    energies : array_like of float, shape (K, n) or (n_runs, K, n)
        Total energies H(x) recorded at each rung (time series; independent runs along the
        first axis), as in :attr:`TemperingResult.energy`.
    log_z0 : float
        Exact log Z at betas[0] (N log q at beta = 0).
    target_beta : float, optional
        Also give log Z at this beta (within the ladder).

    Returns
    -------
    TIResult
        ``log_z`` and ``stderr`` at every rung (see :mod:`isingbio.free_energy` for the rule
        and the error).

    Examples
    --------
    Energies of a single spin in a field h = 1 (H = -s): <H> = -tanh(beta).

    >>> import numpy as np
    >>> from isingbio.free_energy import thermodynamic_integration
    >>> rng = np.random.default_rng(0)
    >>> betas = np.linspace(0, 1, 9)
    >>> p_up = 1 / (1 + np.exp(-2 * betas))
    >>> e = -np.where(rng.random((9, 4000)) < p_up[:, None], 1.0, -1.0)
    >>> res = thermodynamic_integration(betas, e, log_z0=np.log(2))
    >>> exact = np.log(2 * np.cosh(1.0))
    >>> bool(abs(res.log_z[-1] - exact) < 4 * res.stderr[-1])
    True
    """
    b, e = _ladder(betas, energies)
    z0 = _log_z0(log_z0)
    target = _targets(target_beta, b)
    mean, se, var, se_var = _per_rung(e)
    cum = _hermite_cumulative(b, mean, var)
    wm, wv = _hermite_coefficients(b)
    stat = _joint_error(e, mean, wm, wv)
    n_runs = e.shape[0]
    if n_runs >= 4:  # the spread of per-run integrals catches correlations between rungs
        per_run = []
        for r in range(n_runs):
            m_r = e[r].mean(axis=1)
            v_r = e[r].var(axis=1, ddof=1)
            per_run.append(_hermite_cumulative(b, m_r, v_r))
        between = np.std(np.array(per_run), axis=0, ddof=1) / np.sqrt(n_runs)
        stat = np.maximum(stat, between)
    quad = _richardson(b, mean, var, cum)
    trapz = z0 - np.concatenate([[0.0], np.cumsum(np.diff(b) * (mean[:-1] + mean[1:]) / 2)])
    res = TIResult(
        betas=b,
        log_z=z0 - cum,
        stderr=np.sqrt(stat**2 + quad**2),
        stderr_statistical=stat,
        quadrature_error=quad,
        mean_energy=mean,
        mean_energy_stderr=se,
        energy_variance=var,
        log_z_trapezoid=trapz,
    )
    if target is not None:
        res.target_beta = target
        k = min(int(np.searchsorted(b, target, side="right")) - 1, b.size - 2)
        h = b[k + 1] - b[k]
        u = (target - b[k]) / h
        w00, w10, w01, w11 = _hermite_weights(u)
        part = h * (w00 * mean[k] + w01 * mean[k + 1] - h * (w10 * var[k] + w11 * var[k + 1]))
        res.target_log_z = float(z0 - cum[k] - part)
        # errors: those of the rung below, plus this piece's share of the next interval's
        frac = u
        s_stat = math.hypot(stat[k], frac * (stat[k + 1] - stat[k]) if k + 1 < b.size else 0.0)
        s_quad = quad[k] + frac * (quad[k + 1] - quad[k])
        res.target_stderr = float(math.hypot(s_stat, s_quad))
    return res


# ----------------------------------------------------------------------------------------
# MBAR
# ----------------------------------------------------------------------------------------
def energy_overlap(a: ArrayLike, b: ArrayLike, bins: int | None = None) -> float:
    """Overlap coefficient sum_bins min(p_a, p_b) of two energy histograms (0: disjoint, 1: same).

    Parameters
    ----------
    a, b : array_like of float
        Energies sampled at two temperatures.
    bins : int, optional
        Histogram bins over the common range (default: about sqrt of the smaller sample,
        10..200; discrete energies with few levels get one bin per level).
    """
    x = np.asarray(a, dtype=np.float64).ravel()
    y = np.asarray(b, dtype=np.float64).ravel()
    levels = np.unique(np.concatenate([x, y]))
    if levels.size <= 200:  # discrete energies: one bin per level
        px = np.searchsorted(levels, x)
        py = np.searchsorted(levels, y)
        hx = np.bincount(px, minlength=levels.size) / x.size
        hy = np.bincount(py, minlength=levels.size) / y.size
        return float(np.minimum(hx, hy).sum())
    n_bins = bins or int(np.clip(np.sqrt(min(x.size, y.size)), 10, 200))
    edges = np.linspace(levels[0], levels[-1], n_bins + 1)
    hx = np.histogram(x, edges)[0] / x.size
    hy = np.histogram(y, edges)[0] / y.size
    return float(np.minimum(hx, hy).sum())


@dataclass
class MBARResult:
    """log Z along a ladder by MBAR (:func:`mbar`).

    Attributes
    ----------
    betas : ndarray of float64, shape (K,)
    log_z, stderr : ndarray of float64, shape (K,)
        log Z at every rung and its standard error relative to the first rung (linearised
        MBAR equations, autocorrelation and correlations between rungs included).
    stderr_independent : ndarray of float64, shape (K,)
        MBAR's asymptotic error for independent samples (Shirts & Chodera eq. D4), for
        comparison: too small for correlated series.
    n_samples : ndarray of int64, shape (K,)
        Samples per rung.
    overlap : ndarray of float64, shape (K - 1,)
        Histogram overlap of each neighbouring pair (see :func:`energy_overlap`).
    overlap_matrix : ndarray of float64, shape (K, K)
        MBAR's overlap matrix (rows sum to 1); neighbours below ~0.03 mean poor estimates.
    target_beta, target_log_z, target_stderr : float or None
    iterations : int
    """

    betas: np.ndarray
    log_z: np.ndarray
    stderr: np.ndarray
    n_samples: np.ndarray
    overlap: np.ndarray
    overlap_matrix: np.ndarray
    iterations: int
    stderr_independent: np.ndarray
    target_beta: float | None = None
    target_log_z: float | None = None
    target_stderr: float | None = None
    notes: list[str] = field(default_factory=list)

    def at(self, beta: float) -> tuple[float, float]:
        """(log Z, stderr) at a rung or at the target beta."""
        return _log_z_at(self, beta)


def _weights(f: np.ndarray, log_n: np.ndarray, b: np.ndarray, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """log D_n = log sum_k N_k exp(f_k - beta_k H_n) for every pooled sample n, and the MBAR
    weights w_nk = N_k exp(f_k - beta_k H_n) / D_n (rows sum to 1). (scipy's logsumexp is
    about 15x slower on these shapes.)"""
    a = (log_n + f)[None, :] - h[:, None] * b[None, :]
    top = a.max(axis=1)
    a -= top[:, None]
    np.maximum(a, -300.0, out=a)  # exp(-300) is 0 next to 1, and no slow subnormal results
    x = np.exp(a, out=a)
    s = x.sum(axis=1)
    return top + np.log(s), x / s[:, None]


def _log_denominator(f: np.ndarray, log_n: np.ndarray, b: np.ndarray, h: np.ndarray) -> np.ndarray:
    """log sum_k N_k exp(f_k - beta_k H_n) for every pooled sample n."""
    return _weights(f, log_n, b, h)[0]


def _solve(
    b: np.ndarray, h: np.ndarray, c: np.ndarray, n_k: np.ndarray, f: np.ndarray
) -> tuple[np.ndarray, int, np.ndarray, np.ndarray]:
    """Dimensionless free energies f_k = -log Z_k + log Z_0 (f_0 = 0): damped Newton on the
    convex objective sum_n c_n log sum_k N_k exp(f_k - beta_k H_n) - sum_k N_k f_k, from the
    start `f`, over distinct energies H_n seen c_n times. Also returns the iterations, and
    log D_n and the weights at the solution (see :func:`_weights`)."""
    log_n = np.log(n_k)

    def parts(f: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
        log_d, w = _weights(f, log_n, b, h)
        return float(c @ log_d - n_k @ f), c @ w - n_k, w, log_d

    value, grad, w, log_d = parts(f)
    for it in range(1, 201):
        hess = np.diag(c @ w) - w.T @ (c[:, None] * w)  # N_k delta_kl - sum_n c_n w_nk w_nl
        step = np.concatenate([[0.0], np.linalg.lstsq(hess[1:, 1:], grad[1:], rcond=None)[0]])
        t = 1.0
        while True:  # backtracking: the objective must go down
            new = parts(f - t * step)
            if new[0] <= value + 1e-12 * abs(value) or t < 1e-8:
                break
            t /= 2
        f = f - t * step
        value, grad, w, log_d = new
        if np.max(np.abs(grad)) < 1e-9 * max(1.0, float(n_k.max())) or np.max(np.abs(t * step)) < 1e-13:
            return f, it, log_d, w
    return f, 200, log_d, w


def _covariance(w: np.ndarray, n_k: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Asymptotic covariance Theta of the f_k (Shirts & Chodera 2008, eq. D4) for independent
    samples. W = U S V^T; S and V come from the small Gram matrix W^T W = V S^2 V^T (an SVD
    of the tall W took seconds)."""
    s2, v = np.linalg.eigh(w.T @ (c[:, None] * w))  # rows of W counted c_n times
    s = np.sqrt(np.maximum(s2, 0.0))
    sigma = np.diag(s)
    inner = np.eye(s.size) - sigma @ v.T @ np.diag(n_k) @ v @ sigma
    return v @ sigma @ np.linalg.pinv(inner, rcond=1e-10, hermitian=True) @ sigma @ v.T


def _linearised_error(
    e: np.ndarray,
    h: np.ndarray,
    c: np.ndarray,
    inverse: np.ndarray,
    log_d: np.ndarray,
    w: np.ndarray,
    target: float | None,
) -> tuple[np.ndarray, float | None]:
    """Autocorrelation-aware standard errors of log Z_k (and of the target) by linearisation.

    The MBAR equations g(f) = sum_n w_n(f) - N = 0 are a sum over record times t of
    Z_t = sum_k w(x_{k,t}) (the samples of all rungs at time t of a run), so to first order
    f - f_true = -J^{-1} sum_t (Z_t - E Z_t), J the Jacobian of g, with f_0 held fixed. Each
    log Z_j is then the mean of one scalar time series (a projection of Z_t) whose error
    :func:`isingbio.stats.mean_and_error` gives with its autocorrelation and the
    correlations between rungs included (the sandwich estimator, for correlated series).
    """
    n_runs, K, T = e.shape
    jac = np.diag(c @ w) - w.T @ (c[:, None] * w)
    inv = np.linalg.pinv(jac[1:, 1:], hermitian=True)  # f_0 fixed
    rungs = inverse.reshape(K, n_runs * T)
    z = np.zeros((n_runs * T, K))
    for k in range(K):  # Z_t summed over rungs, one rung at a time (memory: records x K)
        z += w[rungs[k]]
    z = z.reshape(n_runs, T, K)
    proj = -(z[:, :, 1:] @ inv.T)  # (runs, T, K - 1): each f_j's linear term per time
    total = n_runs * T
    err = np.zeros(K)
    for j in range(1, K):
        err[j] = mean_and_error(proj[:, :, j - 1]).stderr * total
    if target is None:
        return err, None
    log_a = -target * h - log_d
    a = np.exp(np.maximum(log_a - log_a.max(), -300.0))  # the target's reweighting factors (scaled)
    big_a = c @ a
    grad_a = -((c * a) @ w)[1:]  # dA/df (f_0 fixed)
    a_t = a[inverse].reshape(K, n_runs, T).sum(axis=0)  # (runs, T)
    y = -(a_t + proj @ grad_a) / big_a
    return err, float(mean_and_error(y).stderr * total)


def mbar(
    betas: ArrayLike,
    energies: ArrayLike,
    *,
    log_z0: float,
    target_beta: float | None = None,
    min_overlap: float = MIN_OVERLAP,
) -> MBARResult:
    """log Z at every rung of a ladder by MBAR (multistate reweighting of all samples).

    Parameters
    ----------
    betas : array_like of float, shape (K,)
        Strictly increasing inverse temperatures, K >= 2.
    energies : array_like of float, shape (K, n) or (n_runs, K, n)
        Total energies H(x) recorded at each rung (time series; runs along the first axis),
        all rungs recorded at the same times (as tempering records them). Every record is
        used, unless distinct energies x rungs exceed 2 x 10^7 (continuous energies, long
        runs): then every rung is thinned by one stride, which keeps the weight matrix
        under 160 MB.
    log_z0 : float
        Exact log Z at betas[0].
    target_beta : float, optional
        Also give log Z at this beta (within the ladder), reweighted from all samples.
    min_overlap : float, optional
        Least histogram overlap of neighbouring rungs (default 0.03).

    Returns
    -------
    MBARResult

    Raises
    ------
    InputError
        When a neighbouring pair's energy histograms overlap less than `min_overlap`
        (the message names the pair): add rungs there, or use thermodynamic integration.
    """
    b, e = _ladder(betas, energies)
    z0 = _log_z0(log_z0)
    target = _targets(target_beta, b)
    overlap = np.array([energy_overlap(e[:, k], e[:, k + 1]) for k in range(b.size - 1)])
    if np.any(overlap < min_overlap):
        k = int(np.argmin(overlap))
        raise InputError(
            f"MBAR needs overlapping energy histograms: rungs {k} and {k + 1} (beta {b[k]:.6g} and "
            f"{b[k + 1]:.6g}) overlap {overlap[k]:.3g} < {min_overlap}; add rungs between them or use "
            "thermodynamic integration"
        )
    # every record, rung-major; the equations depend on the distinct energies and their
    # counts only (a 16x16 Ising model has a few hundred energy levels for 10^5 records)
    h, inverse, counts = np.unique(e.transpose(1, 0, 2).reshape(-1), return_inverse=True, return_counts=True)
    if h.size * e.shape[1] > _MAX_ELEMENTS:  # many distinct energies: one stride for all rungs
        stride = int(math.ceil(h.size * e.shape[1] / _MAX_ELEMENTS))
        e = e[:, :, ::stride]
        h, inverse, counts = np.unique(e.transpose(1, 0, 2).reshape(-1), return_inverse=True, return_counts=True)
    n_runs, K, T = e.shape
    inverse = inverse.reshape(-1)
    c = counts.astype(np.float64)
    n_k = np.full(K, n_runs * T, dtype=np.int64)
    start = _hermite_cumulative(b, e.mean(axis=(0, 2)), e.var(axis=(0, 2)))  # TI: a close start
    f, iters, log_d, w_n = _solve(b, h, c, n_k.astype(np.float64), start)
    w = w_n / n_k[None, :]  # W_nk = exp(f_k - beta_k H_n) / D_n
    n_all = n_k.astype(np.float64)
    if target is not None:
        f_t = -logsumexp(-target * h - log_d, b=c)
        w = np.column_stack([w, np.exp(np.maximum(f_t - target * h - log_d, -300.0))])
        n_all = np.append(n_all, 0.0)
        f_all = np.append(f, f_t)
    else:
        f_all = f
    theta = _covariance(w, n_all, c)
    d = np.diag(theta)
    err_independent = np.sqrt(np.maximum(d + d[0] - 2 * theta[:, 0], 0.0))
    err, err_target = _linearised_error(e, h, c, inverse, log_d, w_n, target)
    res = MBARResult(
        betas=b,
        log_z=z0 - f,
        stderr=err,
        n_samples=n_k,
        overlap=overlap,
        overlap_matrix=w_n.T @ (c[:, None] * w_n) / n_k[:, None],
        iterations=iters,
        stderr_independent=err_independent[:K],
    )
    if target is not None:
        res.target_beta = target
        res.target_log_z = float(z0 - f_all[-1])
        res.target_stderr = err_target
    return res
