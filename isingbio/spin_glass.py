"""Spin-glass instances: Edwards-Anderson lattices and the Sherrington-Kirkpatrick model.

Both build an :class:`~isingbio.IsingModel` in graph form with random couplings drawn from
a seed, so that the same seed gives the same instance (on any machine: numpy's PCG64).

Sign convention (that of :mod:`isingbio.models`)
------------------------------------------------
H(s) = -sum_{i<j} J_ij s_i s_j - h sum_i s_i, p(s) ~ exp(-beta H(s)). A positive J_ij is
ferromagnetic. The couplings are symmetric in distribution, so the sign convention does not
change the ensemble of instances, but it does fix which instance a seed gives.

* **Edwards-Anderson** (:func:`edwards_anderson`): nearest neighbours of a hypercubic lattice
  in 1, 2 or 3 dimensions (bonds from each site to its successor along every axis, as in
  :meth:`IsingModel.lattice <isingbio.IsingModel.lattice>`), each with its own J_ij: +-1 with
  probability 1/2 (``"pm_j"``) or standard normal (``"gaussian"``). On a periodic side of
  length 2 the two bonds between a pair are drawn independently and add up (the torus
  convention of :mod:`isingbio.models`).
* **Sherrington-Kirkpatrick** (:func:`sherrington_kirkpatrick`): every pair i < j coupled by
  J_ij = g_ij / sqrt(N), g_ij standard normal (``"gaussian"``) or +-1 (``"pm_j"``); extensive
  energy, T_c = 1 for both.

The instance's recipe and seed are kept in ``model.metadata`` (and so in saved model files).

Form: the SK model is a complete graph. The dense kernels keep local fields cached, so the
same model as a dense q = 2 Potts model samples faster: Metropolis, one thread, 16 chains,
2.4-3.1x the graph form's site updates per second at N = 64 and 2.0-4.3x at N = 256 (three
runs of benchmarks/bench_logz.py on a shared machine). The default stays an
:class:`~isingbio.IsingModel` in graph form (spins -1/+1, Ising magnetisation and overlap);
``form="dense"`` returns the dense :class:`~isingbio.PottsModel` (state 0 is s = -1, 1 is
s = +1; the same energies and law) for long runs.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import scipy.sparse as sp

from ._random import as_seed_sequence, seed_entropy
from ._typing import SeedLike
from .errors import InputError
from .models import IsingModel, PottsModel

__all__ = ["edwards_anderson", "sherrington_kirkpatrick", "COUPLING_DISTRIBUTIONS"]

COUPLING_DISTRIBUTIONS = ("pm_j", "gaussian")


def _draw(kind: Any, rng: np.random.Generator, n: int) -> np.ndarray:
    if kind == "pm_j":
        return rng.choice(np.array([-1.0, 1.0]), size=n)
    if kind == "gaussian":
        return rng.standard_normal(n)
    raise InputError(f"couplings must be one of {', '.join(COUPLING_DISTRIBUTIONS)}, got {kind!r}")


def _shape(shape: Any) -> tuple[int, ...]:
    if isinstance(shape, numbers.Integral) and not isinstance(shape, bool):
        shape = (int(shape),)
    try:
        dims = tuple(int(s) for s in shape)
        if any(isinstance(s, bool) or int(s) != s for s in shape):
            raise ValueError
    except (TypeError, ValueError):
        raise InputError(f"shape must be an integer or a tuple of integers, got {shape!r}") from None
    if not 1 <= len(dims) <= 3:
        raise InputError(f"shape must have 1, 2 or 3 dimensions, got {dims}")
    return dims


def _periodic(periodic: Any, d: int) -> tuple[bool, ...]:
    if isinstance(periodic, (bool, np.bool_)):
        return (bool(periodic),) * d
    flags = tuple(bool(p) for p in periodic)
    if len(flags) != d:
        raise InputError(f"periodic must be a bool or one bool per axis ({d}), got {periodic!r}")
    return flags


def edwards_anderson(
    shape: int | tuple[int, ...],
    *,
    couplings: str = "pm_j",
    seed: SeedLike = None,
    periodic: bool | tuple[bool, ...] = True,
    field: float = 0.0,
) -> IsingModel:
    """An Edwards-Anderson spin glass: random nearest-neighbour couplings on a lattice.

    Parameters
    ----------
    shape : int or tuple of int
        Side lengths in 1, 2 or 3 dimensions: >= 2 along periodic axes, >= 1 along open ones,
        and at least 2 sites in all.
    couplings : {"pm_j", "gaussian"}, optional
        J_ij = +-1 with equal probability, or J_ij standard normal.
    seed : int, numpy Generator or SeedSequence, optional
        The same seed gives the same instance; the seed used is in ``model.metadata["seed"]``.
    periodic : bool or sequence of bool, optional
        Periodic boundaries for all axes or per axis.
    field : float, optional
        Uniform field h (H contains -h sum_i s_i).

    Returns
    -------
    IsingModel
        Graph form, H(s) = -sum_<ij> J_ij s_i s_j - h sum_i s_i (see :mod:`isingbio.spin_glass`).

    Examples
    --------
    >>> from isingbio.spin_glass import edwards_anderson
    >>> model = edwards_anderson((4, 4), seed=1)
    >>> model.form, model.n_sites, sorted(set(model.edges[2].tolist()))
    ('graph', 16, [-1.0, 1.0])
    """
    dims = _shape(shape)
    flags = _periodic(periodic, len(dims))
    for axis, (n, p) in enumerate(zip(dims, flags)):
        if n < (2 if p else 1):
            raise InputError(
                f"shape {dims}: side {axis} must be >= {2 if p else 1} ({'periodic' if p else 'open'}), got {n}"
            )
    n_sites = int(np.prod(dims))
    if n_sites < 2:
        raise InputError(f"shape {dims} has {n_sites} site: a spin glass needs at least 2")
    seq = as_seed_sequence(seed)
    rng = np.random.default_rng(seq)
    index = np.arange(n_sites).reshape(dims)
    rows, cols = [], []
    for axis, (n, p) in enumerate(zip(dims, flags)):
        nxt = np.roll(index, -1, axis=axis)
        src, dst = index, nxt
        if not p:  # drop the wrapping bonds
            keep = [slice(None)] * len(dims)
            keep[axis] = slice(0, n - 1)
            src, dst = index[tuple(keep)], nxt[tuple(keep)]
        rows.append(src.ravel())
        cols.append(dst.ravel())
    i, j = np.concatenate(rows), np.concatenate(cols)
    w = _draw(couplings, rng, i.size)
    J = sp.coo_matrix((np.concatenate([w, w]), (np.concatenate([i, j]), np.concatenate([j, i]))), shape=(n_sites,) * 2)
    model = IsingModel.from_graph(J.tocsr(), h=_field(field))  # coo -> csr sums doubled bonds
    model.metadata = {
        "spin_glass": "edwards_anderson",
        "shape": list(dims),
        "periodic": list(flags),
        "couplings": couplings,
        "field": float(field),
        "seed": seed_entropy(seq),
    }
    return model


def sherrington_kirkpatrick(
    n: int, *, couplings: str = "gaussian", seed: SeedLike = None, form: str = "graph"
) -> IsingModel | PottsModel:
    """A Sherrington-Kirkpatrick spin glass: all pairs coupled by J_ij = g_ij / sqrt(N).

    Parameters
    ----------
    n : int
        Number of spins N >= 2.
    couplings : {"gaussian", "pm_j"}, optional
        g_ij standard normal, or +-1 with equal probability.
    seed : int, numpy Generator or SeedSequence, optional
        The same seed gives the same instance; the seed used is in ``model.metadata["seed"]``.
    form : {"graph", "dense"}, optional
        An IsingModel on the complete graph, or the same model as a dense q = 2 PottsModel
        (faster to sample: see :mod:`isingbio.spin_glass`).

    Returns
    -------
    IsingModel or PottsModel
        Zero field; H(s) = -sum_{i<j} J_ij s_i s_j.

    Examples
    --------
    >>> from isingbio.spin_glass import sherrington_kirkpatrick
    >>> model = sherrington_kirkpatrick(12, seed=3)
    >>> model.n_sites, len(model.edges[0])
    (12, 66)
    """
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise InputError(f"n must be an integer, got {n!r}")
    if n < 2:
        raise InputError(f"n must be >= 2 spins, got {n}")
    if form not in ("graph", "dense"):
        raise InputError(f"form must be 'graph' or 'dense', got {form!r}")
    n = int(n)
    seq = as_seed_sequence(seed)
    rng = np.random.default_rng(seq)
    i, j = np.triu_indices(n, k=1)
    w = _draw(couplings, rng, i.size) / np.sqrt(n)
    J = np.zeros((n, n))
    J[i, j] = w
    J[j, i] = w
    model = IsingModel.from_graph(sp.csr_matrix(J))
    model.metadata = {
        "spin_glass": "sherrington_kirkpatrick",
        "n": n,
        "couplings": couplings,
        "seed": seed_entropy(seq),
    }
    if form == "dense":
        dense = model.to_dense()
        dense.metadata = dict(model.metadata, form="dense")
        return dense
    return model


def _field(field: Any) -> float:
    try:
        value = float(field)
    except (TypeError, ValueError):
        raise InputError(f"field must be a number, got {field!r}") from None
    if not np.isfinite(value):
        raise InputError(f"field must be finite, got {field!r}")
    return value
