"""Monte Carlo statistics: autocorrelation times and error bars for correlated series.

All functions take a series of shape (n,) or several independent chains of shape
(n_chains, n) and treat the chains as draws from the same distribution.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["autocorrelation", "tau_int", "mean_and_error", "Estimate", "batch_means_error"]


def _as_chains(x) -> np.ndarray:
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2:
        raise ValueError(f"expected a series (n,) or chains (n_chains, n), got shape {arr.shape}")
    return arr


def autocorrelation(x: ArrayLike) -> np.ndarray:
    """Normalised autocorrelation function rho(t), averaged over chains (FFT, O(n log n)).

    Deviations are taken from the mean over all chains, so disagreement between chains
    shows up as long correlations rather than being hidden.
    """
    chains = _as_chains(x)
    n = chains.shape[1]
    dev = chains - chains.mean()
    size = 1 << (2 * n - 1).bit_length()
    f = np.fft.rfft(dev, n=size, axis=1)
    acov = np.fft.irfft(f * np.conj(f), n=size, axis=1)[:, :n].mean(axis=0)
    acov /= n - np.arange(n)
    if acov[0] <= 0:
        return np.ones(1)
    return acov / acov[0]


def tau_int(x: ArrayLike, c: float = 6.0) -> float:
    """Integrated autocorrelation time with Sokal's automatic window.

    tau = 1/2 + sum_{t=1}^{W} rho(t), with W the smallest window such that W >= c * tau(W).
    A series with no variance has tau = 0.5. Units: records (multiply by thin for sweeps).
    """
    rho = autocorrelation(x)
    if rho.size < 2:
        return 0.5
    cum = 0.5 + np.cumsum(rho[1:])
    windows = np.arange(1, rho.size)
    ok = windows >= c * cum
    w = int(np.argmax(ok)) if ok.any() else rho.size - 2
    return float(max(cum[w], 0.5))


def batch_means_error(x: ArrayLike, n_batches: int = 32) -> float:
    """Standard error of the mean from non-overlapping batch means, pooled over chains."""
    chains = _as_chains(x)
    n = chains.shape[1]
    n_batches = max(2, min(n_batches, n))
    size = n // n_batches
    if size < 1:
        return float("nan")
    means = chains[:, : size * n_batches].reshape(chains.shape[0], n_batches, size).mean(axis=2).ravel()
    return float(means.std(ddof=1) / np.sqrt(means.size))


@dataclass(frozen=True)
class Estimate:
    """A Monte Carlo estimate: mean, standard error, integrated autocorrelation time."""

    mean: float
    stderr: float
    tau_int: float
    n_samples: int

    @property
    def n_effective(self) -> float:
        """Number of effectively independent samples, n / (2 tau_int)."""
        return self.n_samples / (2 * self.tau_int)

    def __str__(self) -> str:
        return f"{self.mean:.6g} +/- {self.stderr:.2g}"

    def __iter__(self):  # mean, stderr = estimate
        return iter((self.mean, self.stderr))


def mean_and_error(x: ArrayLike) -> Estimate:
    """Mean with a standard error that accounts for autocorrelation.

    stderr = sqrt(2 tau_int var / n) with tau_int from the automatic window; the chains
    are pooled. With several chains and a short series the between-chain spread is used
    when it is larger.
    """
    chains = _as_chains(x)
    n_total = chains.size
    mean = float(chains.mean())
    if n_total < 2:
        return Estimate(mean, float("nan"), 0.5, n_total)
    tau = tau_int(chains)
    var = float(chains.var(ddof=1))
    err = np.sqrt(2 * tau * var / n_total)
    if chains.shape[0] >= 4:
        err_between = float(chains.mean(axis=1).std(ddof=1) / np.sqrt(chains.shape[0]))
        err = max(err, err_between)
    return Estimate(mean, float(err), tau, n_total)
