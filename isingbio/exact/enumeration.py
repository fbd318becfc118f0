"""Exact sums over every configuration of a small model (any form, any q).

Conventions are those of :mod:`isingbio.models`:

    p(x) = exp(-(beta * H_J(x) + beta_h * H_h(x))) / Z,
    H_J(x) = -sum_{i<j} J_ij(x_i, x_j),   H_h(x) = -sum_i h_i(x_i),

with ``beta_h = beta`` unless given (a separate ``beta_h`` scales the field part alone,
which annealed importance sampling uses). Ising spins are -1/+1; where an Ising model is
seen as q = 2 states (marginals), state index 0 is s = -1 and index 1 is s = +1, as in
:meth:`isingbio.IsingModel.to_dense`.

The compiled kernel (``isingbio._kernels._enumerate``) runs through the configurations in
a reflected q-ary Gray code, updating the energy from the neighbours of the one site that
changes. It makes two passes: the first finds the largest log weight, the second sums
weights relative to it (so nothing overflows, whatever beta), with energy moments taken
about the energy of that most probable configuration (so the variance keeps its precision
at low temperature). Chunks of configurations run in parallel and are reduced in a fixed
order: results do not depend on the number of threads.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from .._config import resolve_threads
from .._validation import check_beta, check_positive_int
from ..errors import InputError, TooLargeError
from ..models import IsingModel, PottsModel
from ._per_site import PerSite

__all__ = [
    "Thermodynamics",
    "log_partition",
    "thermodynamics",
    "marginals",
    "probabilities",
    "DEFAULT_MAX_CONFIGURATIONS",
]

DEFAULT_MAX_CONFIGURATIONS = 2**30
_INNER_CONFIGURATIONS = 2**16  # configurations per chunk (at most)
_MARGINAL_BATCH_DOUBLES = 1 << 23  # memory of the per-chunk marginal sums of one batch
_CALL_SECONDS = 0.2  # kernel work per call: Ctrl-C acts between calls
# configurations per second and thread of thermodynamics() (two passes), 2-core development machine
_CONFIGURATIONS_PER_SECOND = 2e7


def estimate_seconds(n_configurations: int, n_threads: int = 1) -> float:
    """A rough estimate of the seconds :func:`thermodynamics` takes for `n_configurations`."""
    return n_configurations / (_CONFIGURATIONS_PER_SECOND * max(1, n_threads))


def _in_calls(n_chunks: int, n_threads: int, run, limit: int | None = None) -> None:
    """Call ``run(start, stop)`` over chunks 0..n_chunks-1 in consecutive pieces of about
    _CALL_SECONDS (each chunk is computed alone, so the pieces do not change any result),
    returning to Python between them so that Ctrl-C takes effect."""
    step = max(1, 4 * n_threads)
    start = 0
    while start < n_chunks:
        stop = min(n_chunks, start + step)
        if limit is not None:
            stop = min(stop, start + limit)
        t = time.perf_counter()
        run(start, stop)
        took = time.perf_counter() - t
        if took < 0.5 * _CALL_SECONDS:
            step *= 2
        elif took > 2 * _CALL_SECONDS:
            step = max(n_threads, step // 2)
        start = stop


@dataclass(frozen=True)
class Thermodynamics(PerSite):
    """Exact thermodynamic averages of a model at (beta, beta_h).

    Energies are totals over the whole system (divide by `n_sites` for values per site,
    or use the ``*_per_site`` properties), in the units of J and h.

    Attributes
    ----------
    log_z : float
        log Z(beta, beta_h).
    energy : float
        <H> = <H_J> + <H_h>.
    energy_variance : float
        var(H).
    specific_heat : float
        var(beta * H_J + beta_h * H_h): the total heat capacity in units of k_B. With
        beta_h = beta this is beta^2 var(H) = -beta^2 d<H>/dbeta.
    energy_coupling, energy_field : float
        <H_J> and <H_h> (-d log Z / d beta_J and -d log Z / d beta_h).
    var_coupling, var_field, cov_coupling_field : float
        Second moments of (H_J, H_h) about their means.
    magnetization, abs_magnetization, magnetization_squared : float or None
        ``<m>``, ``<|m|>``, ``<m^2>`` for the per-configuration order parameter of
        :meth:`IsingModel.magnetization` (mean spin) or :meth:`PottsModel.magnetization`
        ((q max_a n_a / L - 1) / (q - 1)).
    n_sites : int
    n_configurations : int
    beta, beta_h : float
    """

    log_z: float
    energy: float
    energy_variance: float
    specific_heat: float
    energy_coupling: float
    energy_field: float
    var_coupling: float
    var_field: float
    cov_coupling_field: float
    magnetization: float | None
    abs_magnetization: float | None
    magnetization_squared: float | None
    n_sites: int
    n_configurations: int
    beta: float
    beta_h: float


class _Tables:
    """Any model as neighbour lists with (q, q) coupling tables (see _enumerate.pyx)."""

    def __init__(self, model):
        if isinstance(model, IsingModel):
            self.q, self.ising = 2, True
            spin = np.array([-1.0, 1.0])
            self.h = np.ascontiguousarray(model.h[:, None] * spin[None, :], dtype=np.float64)
            self.mag_mode = 1
        elif isinstance(model, PottsModel):
            self.q, self.ising = model.q, False
            self.h = np.ascontiguousarray(model.h, dtype=np.float64)
            self.mag_mode = 2
        else:
            raise InputError(f"model must be an IsingModel or a PottsModel, got {type(model).__name__}")
        self.n_sites = L = model.n_sites
        q = self.q
        i, j, pair = model.couplings.pair_tables(q, ising=self.ising)
        i = np.asarray(i, dtype=np.int64)
        j = np.asarray(j, dtype=np.int64)
        owner = np.concatenate([i, j])
        other = np.concatenate([j, i])
        # each pair seen from both ends: J_ji(b, a) = J_ij(a, b)
        tab = np.concatenate([pair, pair.transpose(0, 2, 1)]) if i.size else np.zeros((0, q, q))
        order = np.lexsort((other, owner))
        self.nbr = np.ascontiguousarray(other[order], dtype=np.intc)
        self.tables = np.ascontiguousarray(tab[order], dtype=np.float64).reshape(-1, q, q)
        self.indptr = np.zeros(L + 1, dtype=np.int64)
        np.cumsum(np.bincount(owner, minlength=L), out=self.indptr[1:])
        if self.nbr.size == 0:  # the kernel wants a valid pointer
            self.nbr = np.zeros(1, dtype=np.intc)
            self.tables = np.zeros((1, q, q))
        self.n_configurations = q**L
        inner = max(1, min(L, int(math.floor(math.log(_INNER_CONFIGURATIONS) / math.log(q) + 1e-9))))
        self.n_prefix = L - inner
        self.n_chunks = q**self.n_prefix

    def args(self) -> tuple[int, int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        return self.q, self.n_prefix, self.indptr, self.nbr, self.tables, self.h


def _prepare(model: IsingModel | PottsModel, max_configurations: int) -> _Tables:
    tables = _Tables(model)
    limit = check_positive_int(max_configurations, "max_configurations")
    n = tables.n_configurations
    if n > limit:
        digits = tables.n_sites * math.log10(tables.q)
        count = f"{n:.4g}" if digits < 300 else f"about 10^{digits:.0f}"  # a float overflows past 1e308
        raise TooLargeError(
            f"exact enumeration of this model needs {tables.q}^{tables.n_sites} = {count} configurations, "
            f"more than max_configurations = {limit:.4g}; use a smaller model, raise max_configurations, "
            f"or an exact solution (ising_torus_log_partition, potts_transfer_log_partition)"
        )
    return tables


def _betas(beta, beta_h):
    beta = check_beta(beta)
    beta_h = beta if beta_h is None else check_beta(beta_h, "beta_h")
    return beta, beta_h


def _run(model, beta, beta_h, max_configurations, n_threads, want_marginals, want_moments=True):
    from .._kernels import _enumerate as kern

    beta, beta_h = _betas(beta, beta_h)
    t = _prepare(model, max_configurations)
    n_threads = resolve_threads(n_threads)
    L, q = t.n_sites, t.q
    ibuf, dbuf = kern.scratch_buffers(n_threads, L, q, want_marginals)
    mag_mode = t.mag_mode if want_moments else 0  # 0: sum of weights only

    targs = t.args()
    best = np.empty((t.n_chunks, 3))
    _in_calls(
        t.n_chunks,
        n_threads,
        lambda a, b: kern.enumerate_max(*targs, beta, beta_h, best[a:b], ibuf, dbuf, n_threads, a),
    )
    c = int(np.argmax(best[:, 0]))  # first chunk holding the maximum: deterministic
    ref, e0_j, e0_h = (float(v) for v in best[c])

    sums = np.zeros((t.n_chunks, kern.N_SUM_COLUMNS))
    single = np.zeros((L, q))
    pair = np.zeros((L, L, q, q))
    if want_marginals:
        per_chunk = L * q + L * L * q * q
        batch = max(1, min(t.n_chunks, _MARGINAL_BATCH_DOUBLES // per_chunk))

        def marginal_sums(start, stop):
            nonlocal single, pair
            n = stop - start
            s1 = np.zeros((n, L, q))
            s2 = np.zeros((n, L, L, q, q))
            kern.enumerate_sums(
                *targs,
                beta,
                beta_h,
                mag_mode,
                ref,
                e0_j,
                e0_h,
                start,
                sums[start:stop],
                s1,
                s2,
                True,
                ibuf,
                dbuf,
                n_threads,
            )
            for k in range(n):  # fixed order: independent of the number of threads and calls
                single += s1[k]
                pair += s2[k]

        _in_calls(t.n_chunks, n_threads, marginal_sums, limit=batch)
    else:
        dummy1 = np.zeros((1, 1, 1))
        dummy2 = np.zeros((1, 1, 1, 1, 1))
        _in_calls(
            t.n_chunks,
            n_threads,
            lambda a, b: kern.enumerate_sums(
                *targs,
                beta,
                beta_h,
                mag_mode,
                ref,
                e0_j,
                e0_h,
                a,
                sums[a:b],
                dummy1,
                dummy2,
                False,
                ibuf,
                dbuf,
                n_threads,
            ),
        )
    total = sums[:, 0::2].sum(axis=0) + sums[:, 1::2].sum(axis=0)  # value + compensation
    z = total[0]
    return t, beta, beta_h, ref, e0_j, e0_h, total, z, single, pair


def log_partition(
    model: IsingModel | PottsModel,
    beta: float,
    beta_h: float | None = None,
    *,
    max_configurations: int = DEFAULT_MAX_CONFIGURATIONS,
    n_threads: int | None = None,
) -> float:
    """Exact log Z of a small model by enumerating all q^L configurations.

    Parameters
    ----------
    model : IsingModel or PottsModel
        Any form (lattice, graph or dense).
    beta : float
        Inverse temperature of the coupling part H_J (and of the field part unless
        `beta_h` is given).
    beta_h : float, optional
        Inverse temperature of the field part H_h; defaults to `beta`.
    max_configurations : int, optional
        Refuse (:class:`~isingbio.TooLargeError`) models with more configurations than this
        (default 2^30, a minute or so on a few cores; 2^26 takes seconds).
    n_threads : int, optional
        OpenMP threads (default: all available cores). The result does not depend on it.

    Returns
    -------
    float
        log Z = log sum_x exp(-(beta H_J(x) + beta_h H_h(x))).

    Raises
    ------
    TooLargeError
        If q^L exceeds `max_configurations`; the message gives q^L.
    """
    _, _, _, ref, _, _, _, z, _, _ = _run(model, beta, beta_h, max_configurations, n_threads, False, False)
    return ref + math.log(z)


def thermodynamics(
    model: IsingModel | PottsModel,
    beta: float,
    beta_h: float | None = None,
    *,
    max_configurations: int = DEFAULT_MAX_CONFIGURATIONS,
    n_threads: int | None = None,
) -> Thermodynamics:
    """Exact log Z, energy moments, specific heat and magnetisation by enumeration.

    Parameters are those of :func:`log_partition`.

    Returns
    -------
    Thermodynamics
        Totals over the system (see the class for the definitions; the specific heat is
        the total heat capacity var(beta H_J + beta_h H_h), in units of k_B).
    """
    t, beta, beta_h, ref, e0_j, e0_h, s, z, _, _ = _run(model, beta, beta_h, max_configurations, n_threads, False)
    mj, mh = s[1] / z, s[2] / z  # means of H_J - e0_j and H_h - e0_h
    vjj = max(s[3] / z - mj * mj, 0.0)
    vhh = max(s[5] / z - mh * mh, 0.0)
    vjh = s[4] / z - mj * mh
    var_e = max(vjj + 2 * vjh + vhh, 0.0)
    heat = max(beta * beta * vjj + 2 * beta * beta_h * vjh + beta_h * beta_h * vhh, 0.0)
    L = t.n_sites
    mag = s[6] / z / L
    amag = s[7] / z / L
    mag2 = s[8] / z / (L * L)
    if not t.ising:  # Potts order parameter from the largest count n_max: (q n_max / L - 1) / (q - 1)
        q = t.q
        n1 = s[6] / z
        n2 = s[8] / z
        mag = amag = (q * n1 / L - 1) / (q - 1)
        mag2 = ((q / L) ** 2 * n2 - 2 * q * n1 / L + 1) / (q - 1) ** 2
    return Thermodynamics(
        log_z=ref + math.log(z),
        energy=e0_j + mj + e0_h + mh,
        energy_variance=var_e,
        specific_heat=heat,
        energy_coupling=e0_j + mj,
        energy_field=e0_h + mh,
        var_coupling=vjj,
        var_field=vhh,
        cov_coupling_field=vjh,
        magnetization=float(mag),
        abs_magnetization=float(amag),
        magnetization_squared=float(mag2),
        n_sites=L,
        n_configurations=t.n_configurations,
        beta=beta,
        beta_h=beta_h,
    )


def marginals(
    model: IsingModel | PottsModel,
    beta: float,
    beta_h: float | None = None,
    *,
    max_configurations: int = DEFAULT_MAX_CONFIGURATIONS,
    n_threads: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Exact one- and two-site marginals by enumeration.

    Parameters are those of :func:`log_partition`. Marginals cost O(L) work per
    configuration (the energy alone costs O(degree)), so they are a few times slower.

    Returns
    -------
    single : ndarray of float64, shape (L, q)
        single[i, a] = P(x_i = a). Ising: index 0 is s = -1, 1 is s = +1.
    pair : ndarray of float64, shape (L, L, q, q)
        pair[i, j, a, b] = P(x_i = a, x_j = b); pair[j, i] = pair[i, j].T and
        pair[i, i] = diag(single[i]).
    """
    t, _, _, _, _, _, _, z, single, pair = _run(model, beta, beta_h, max_configurations, n_threads, True, False)
    single = single / z
    pair = pair / z
    pair = pair + pair.transpose(1, 0, 3, 2)  # the kernel fills i < j
    idx = np.arange(t.n_sites)
    pair[idx, idx] = single[:, :, None] * np.eye(t.q)[None]
    return single, pair


def probabilities(
    model: IsingModel | PottsModel,
    beta: float,
    beta_h: float | None = None,
    *,
    max_configurations: int = 2**22,
    n_threads: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Every configuration of a very small model with its exact probability.

    Parameters
    ----------
    model, beta, beta_h, n_threads
        As in :func:`log_partition`.
    max_configurations : int, optional
        Refuse models with more than this many configurations (default 2^22; the states
        take q^L * L bytes).

    Returns
    -------
    states : ndarray of int8, shape (q^L, L)
        All configurations in lexicographic order, site 0 most significant (the order of
        ``itertools.product``). Ising: spins -1/+1; Potts: states 0..q-1.
    p : ndarray of float64, shape (q^L,)
        Their probabilities (summing to 1).
    """
    from .._kernels import _enumerate as kern

    beta, beta_h = _betas(beta, beta_h)
    t = _prepare(model, max_configurations)
    n_threads = resolve_threads(n_threads)
    n, L, q = t.n_configurations, t.n_sites, t.q
    e_j = np.empty(n)
    e_h = np.empty(n)
    ibuf, dbuf = kern.scratch_buffers(n_threads, L, q, False)
    _in_calls(
        t.n_chunks,
        n_threads,
        lambda a, b: kern.enumerate_energies(*t.args(), e_j, e_h, ibuf, dbuf, n_threads, a, b),
    )
    logw = -(beta * e_j + beta_h * e_h)
    logw -= logw.max()
    p = np.exp(logw)
    p /= p.sum()
    states = np.indices((q,) * L, dtype=np.int8).reshape(L, -1).T
    if t.ising:
        states = (2 * states - 1).astype(np.int8)
    return np.ascontiguousarray(states), p
