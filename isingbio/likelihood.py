"""Normalised log-probabilities of states, given log Z.

``log p(x) = -beta H(x) - log Z(beta)``, with log Z a number (e.g. from
:func:`isingbio.exact.log_partition`) or an :class:`~isingbio.annealed_importance.AISResult`
estimated at the same beta. :func:`default_beta` and :func:`resolve_log_z` read such an
argument; :func:`isingbio.scoring.score_sequences` uses them too.
"""

from __future__ import annotations

import math

import numpy as np

from ._typing import ArrayLike
from ._validation import check_beta
from .annealed_importance import AISResult, _check_model
from .errors import InputError
from .models import IsingModel, PottsModel

__all__ = ["log_prob", "default_beta", "resolve_log_z"]


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
