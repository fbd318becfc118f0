"""Normalised log-probabilities of states, given log Z.

``log p(x) = -beta H(x) - log Z(beta)``, with log Z a number (e.g. from
:func:`isingbio.exact.log_partition`) or an :class:`~isingbio.annealed_importance.AISResult`
estimated at the same beta. :func:`default_beta` and :func:`resolve_log_z` read such an
argument; :func:`isingbio.scoring.score_sequences` uses them too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._typing import ArrayLike
from ._validation import check_beta
from .annealed_importance import AISResult, _check_model
from .errors import InputError
from .models import IsingModel, PottsModel

__all__ = ["log_prob", "log_likelihood", "LogLikelihood", "default_beta", "resolve_log_z"]


def log_prob(
    model: IsingModel | PottsModel, states: ArrayLike, log_z: float | AISResult, beta: float | None = None
) -> float | np.ndarray:
    """Normalised log-probabilities log p(x) = -beta H(x) - log Z.

    Parameters
    ----------
    model : IsingModel or PottsModel
    states : array_like of int, shape (..., L) or ``(..., *model.shape)``
        Configurations or sequences (Ising: spins -1/+1; Potts: 0..q-1).
    log_z : float or AISResult
        log Z(beta), e.g. from :func:`isingbio.ais` or :func:`isingbio.exact.log_partition`.
    beta : float, optional
        Default: the AISResult's beta when `log_z` is one, else 1. An AISResult estimated
        at another beta is an error.

    Returns
    -------
    float or ndarray of float64, shape (...)
    """
    _check_model(model)
    beta = default_beta(log_z, beta)
    log_z = resolve_log_z(log_z, beta)
    return -beta * model.energy(states) - log_z


def default_beta(log_z: float | AISResult | None, beta: float | None) -> float:
    """beta checked; None means the AISResult's beta (when `log_z` is one), else 1."""
    if beta is None:
        beta = log_z.beta if isinstance(log_z, AISResult) else 1.0
    return check_beta(beta)


def resolve_log_z(log_z: float | AISResult, beta: float) -> float:
    """log Z as a finite float, from a number or an AISResult estimated at the same beta."""
    if isinstance(log_z, AISResult):
        if log_z.beta != beta:
            raise InputError(f"log_z was estimated at beta = {log_z.beta}, but beta = {beta} was asked for")
        log_z = log_z.log_z
    try:
        log_z = float(log_z)
    except (TypeError, ValueError):
        raise InputError(f"log_z must be a number or an AISResult, got {log_z!r}") from None
    if not math.isfinite(log_z):
        raise InputError(f"log_z must be finite, got {log_z}")
    return log_z


@dataclass
class LogLikelihood:
    """The mean log-likelihood per sequence from :func:`log_likelihood`.

    Attributes
    ----------
    mean : float
        Weighted mean of log p(x) = -H(x) - log Z over the sequences (natural log).
    stderr : float
        Its standard error: the sampling error of the mean over sequences (with effective
        sample size ``n_eff``) and the error of log Z, added in quadrature.
    log_z, log_z_stderr : float
        log Z used and its error (0 when exact).
    log_z_exact : bool
    n_sequences : int
    n_eff : float
        ``(sum w)^2 / sum w^2``.
    """

    mean: float
    stderr: float
    log_z: float
    log_z_stderr: float
    log_z_exact: bool
    n_sequences: int
    n_eff: float

    def __str__(self) -> str:
        return f"{self.mean:.4f} +- {self.stderr:.4f}"


def _independent_site(model: PottsModel) -> bool:
    J = getattr(model, "J", None)
    return J is not None and not np.any(J)


def exact_log_z(model: PottsModel, max_configurations: int = 2**22) -> float | None:
    """log Z at beta = 1 without sampling: a sum over sites for an independent-site model,
    enumeration for a model of at most `max_configurations` sequences, else None."""
    if _independent_site(model):
        h = model.h.astype(np.float64)
        top = h.max(axis=1, keepdims=True)
        return float((top[:, 0] + np.log(np.exp(h - top).sum(axis=1))).sum())
    if float(model.q) ** model.n_sites <= max_configurations:
        from .exact import log_partition

        return float(log_partition(model, 1.0, max_configurations=max_configurations))
    return None


def log_likelihood(
    model: PottsModel,
    sequences: ArrayLike,
    *,
    log_z: float | AISResult | None = None,
    weights: ArrayLike | None = None,
) -> LogLikelihood:
    """Mean (weighted) normalised log-likelihood per sequence, with its error.

    Parameters
    ----------
    model : PottsModel (dense)
    sequences : Alignment or array_like of int, shape (N, L)
        Held-out sequences (e.g. from :meth:`isingbio.Alignment.split`) as state codes.
    log_z : float, AISResult or None
        log Z at beta = 1. None: exact for an independent-site (profile) model and for
        models small enough to enumerate (at most 2^22 sequences); otherwise an error
        (estimate it with :func:`isingbio.ais`). An AISResult's standard error enters the
        result's error.
    weights : array_like of float, shape (N,), optional
        Sequence weights (default uniform), e.g. :func:`isingbio.sequence_weights`.

    Returns
    -------
    LogLikelihood
        ``.mean``, ``.stderr``, ``.log_z``, ``.log_z_stderr``.
    """
    from .sequences import _check_dense

    _check_dense(model)
    codes = np.asarray(getattr(sequences, "matrix", sequences))
    if codes.ndim != 2 or codes.shape[1] != model.n_sites:
        raise InputError(f"sequences must be an (N, {model.n_sites}) matrix of state codes, got shape {codes.shape}")
    if codes.shape[0] == 0:
        raise InputError("no sequences to score")
    seq_alpha = getattr(sequences, "alphabet", None)
    model_alpha = getattr(model, "alphabet", None)
    if seq_alpha is not None and model_alpha is not None:
        if getattr(seq_alpha, "letters", None) != getattr(model_alpha, "letters", None):
            raise InputError(f"the sequences use alphabet {seq_alpha.letters!r} but the model {model_alpha.letters!r}")
    if codes.min() < 0 or codes.max() >= model.q:
        raise InputError(f"state codes must be in 0..{model.q - 1}")
    N = codes.shape[0]
    w = np.ones(N) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != (N,) or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise InputError(f"weights must be {N} finite non-negative numbers, not all zero")
    z_err, exact = 0.0, False
    if log_z is None:
        value = exact_log_z(model)
        if value is None:
            raise InputError(
                f"log Z of this model (L = {model.n_sites}, q = {model.q}) is not known exactly: "
                "pass log_z=isingbio.ais(model)"
            )
        z, exact = value, True
    else:
        if isinstance(log_z, AISResult):
            z_err = float(log_z.stderr)
        z = resolve_log_z(log_z, 1.0)
    lp = -np.asarray(model.energy(codes), dtype=np.float64).reshape(-1) - z
    wn = w / w.sum()
    mean = float(wn @ lp)
    n_eff = float(w.sum() ** 2 / (w @ w))
    var = float(wn @ (lp - mean) ** 2) * n_eff / max(n_eff - 1.0, 1.0)
    err = math.sqrt(var / n_eff + z_err**2)
    return LogLikelihood(mean, err, z, z_err, exact, N, n_eff)
