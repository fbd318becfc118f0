"""Partition functions by annealed importance sampling (AIS), with error bars and an upper bound.

The geometric path
------------------
AIS moves chains along the path of distributions

    p_s(x) ~ exp(-s beta H_J(x) - beta_h(s) H_h(x)),      s = s_0 = 0 < s_1 < ... < s_K = 1,

from a base distribution p_0 whose log Z is known exactly to the target p_1 ~ exp(-beta H).

* ``base="fields"`` (default): beta_h(s) = beta. The base is the independent-site model with
  the target's fields, log Z_0 = sum_i log sum_a exp(beta h_i(a)) (Ising: sum_i log 2cosh(beta h_i)).
* ``base="uniform"``: beta_h(s) = s beta. The base is uniform, log Z_0 = L log q.

Write E(x) for the energy that the path switches on (beta H_J for "fields", beta H for
"uniform"), so that log p_s = -s E(x) + const.

Forward AIS draws x_0 from the base exactly, then for t = 1..K adds
``w += -(s_t - s_{t-1}) E(x_{t-1})`` and moves x_{t-1} -> x_t with a Markov kernel that leaves
p_{s_t} invariant (``sweeps_per_step`` sweeps of the chosen method). Then E[exp(w)] = Z/Z_0
exactly, so ``log Z_0 + log mean exp(w)`` is a consistent estimate of log Z and, by Jensen's
inequality, a stochastic lower bound: E[estimate] <= log Z.

Reverse AIS runs the same construction from the target back to the base: x_K ~ p_1 (in
equilibrium), ``w' += (s_t - s_{t-1}) E(x_t)`` for t = K..1, with transitions at s_{t-1}. It
is AIS along the reversed path, so E[exp(w')] = Z_0/Z. Hence ``log Z_0 - log mean exp(w')``
is a consistent estimate of log Z and, again by Jensen (log mean exp(w') is biased low),
a stochastic upper bound: E[estimate] >= log Z, provided the starting states are exact
equilibrium samples. Run together (``bidirectional=True``) the two sandwich log Z.

Error bars
----------
The standard error of ``log mean exp(w)`` comes from the delta method over independent chains,
se = sd(r) / (sqrt(n) mean(r)) with r = exp(w - max w); it is honest when the effective
sample size ESS = (sum r)^2 / sum r^2 is a sizeable fraction of the chains, and too small
when the weights have collapsed onto a few chains (a :class:`~isingbio.SamplingWarning` says
so). With both directions, ``log_z`` is Bennett's acceptance ratio (BAR) of the forward and
reverse log-weights, the optimal combination of the two directions of one path (see
:mod:`isingbio.ais_result`), with Bennett's asymptotic error. The midpoint of the two bounds
(the estimate before 0.3) is kept in the result: its biases have opposite signs, so its
bias lies within +/- (b_r - b_f)/2; the part of the gap that noise does not explain
estimates (b_r - b_f)^2 and enters as a uniform spread:
stderr^2 = (se_f^2 + se_r^2)/4 + max(0, gap^2 - se_f^2 - se_r^2)/12.

Measured coverage (100 seeds each, 8x8 torus at T_c, 64 chains, Metropolis): forward with
ESS ~ 40% of the chains: rms of (estimate - exact)/stderr 1.16, 89% within 2 stderr; with
ESS ~ 16%: rms 1.50 (hence the warning below 20%); the bidirectional midpoint: rms 0.93 and
1.01, 95-96% within 2 stderr. On the 4x4 torus (ESS > 80%): forward 1.08, midpoint 0.98.
BAR (30 seeds each, Metropolis, at T_c): 8x8, 64 chains x 300 steps (ESS ~ 70%): rms 1.22,
largest |z| 3.2; x 1000 steps: 0.88; 4x4, 32 chains x 100 steps: 0.90; 16x16, 256 chains x
5000 steps, 4 seeds: 0.97. Its error is 5-15% below the midpoint's on the 16x16 torus (0.0175
against 0.019 at 256 x 5000) and does not depend on how a given budget is split between
chains and steps (64 x 20000 and 1024 x 1250 give the same): stderr^2 x CPU seconds is about
1.5e-4 nat^2 s on one thread whatever the single-site kernel, so 0.004 nats costs ~10 s of CPU.

Related modules: the schedules s_t are made in :mod:`isingbio.schedules`, normalised
log-probabilities from an estimate in :mod:`isingbio.likelihood`, and the diagnostic figure
is :func:`isingbio.plot.plot_ais`. (The module is not called ``ais``: that name is the
function :func:`isingbio.ais`, and ``import isingbio.ais`` would then give the function.)
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass

import numpy as np

from ._progress import progress_bar
from ._random import as_seed_sequence, chain_rng_states, chain_seed_sequences, seed_entropy
from ._typing import ArrayLike, SeedLike
from ._validation import check_beta, check_memory, check_positive_int
from .ais_result import AISResult, _bar, _logmeanexp, _running, _weight_stats  # noqa: F401 (re-exported)
from .errors import InputError, SamplingWarning
from .models import IsingModel, PottsModel
from .sampling import Sampler, applicable_methods, normalise_method
from .schedules import _adaptive_schedule, make_schedule

__all__ = ["ais", "AISResult", "base_log_partition", "BASES"]

BASES = ("fields", "uniform")
_MAX_TRACE = 1000  # recorded points of the per-step log-weight trace
_ESS_FRACTION = 0.2  # warn when ESS < 20% of the chains (or < min(5, n/2)): error bars too small below
_GAP_SIGMAS = 4.0  # warn when the bounds disagree by more than this many errors
# cluster sweeps from the forward pass's final states to the reverse start: on the 16x16 torus
# at T_c (256 chains x 5000 steps) 20 and 200 give the same errors; 200 took 22% of the run
_CLUSTER_EQ_SWEEPS = 50


# ----------------------------------------------------------------------------------------
# base distribution
# ----------------------------------------------------------------------------------------
def _check_model(model):
    if not isinstance(model, (IsingModel, PottsModel)):
        raise InputError(f"model must be an IsingModel or PottsModel, got {type(model).__name__}")


def _normalise_base(base) -> str:
    key = "fields" if base is None else str(base).lower().strip()
    if key in ("field", "independent", "independent-site"):
        key = "fields"
    if key not in BASES:
        raise InputError(
            f"base must be 'fields' (independent sites with the target's fields) or 'uniform', got {base!r}"
        )
    return key


def _site_logits(model, beta: float, base: str) -> np.ndarray:
    """(L, q) log-potentials of the base distribution; Ising state index 0 is s = -1."""
    n, q = model.n_sites, model.q
    if base == "uniform":
        return np.zeros((n, q))
    h = np.asarray(model.h, dtype=np.float64)
    if isinstance(model, IsingModel):
        return np.stack([-beta * h, beta * h], axis=1)
    return beta * h


def base_log_partition(model: IsingModel | PottsModel, beta: float = 1.0, base: str = "fields") -> float:
    """Exact log Z of the AIS base distribution.

    Parameters
    ----------
    model : IsingModel or PottsModel
    beta : float, optional
    base : {"fields", "uniform"}, optional
        "fields": sum_i log sum_a exp(beta h_i(a)) (Ising: sum_i log 2cosh(beta h_i));
        "uniform": L log q.

    Returns
    -------
    float
    """
    _check_model(model)
    beta = check_beta(beta)
    logits = _site_logits(model, beta, _normalise_base(base))
    m = logits.max(axis=1, keepdims=True)
    return float((np.log(np.exp(logits - m).sum(axis=1)) + m[:, 0]).sum())


def _sample_base(model, logits: np.ndarray, n_chains: int, seq: np.random.SeedSequence, first: int = 0) -> np.ndarray:
    """Exact independent draws from the base: (n_chains, L) int8 states of chains first.. .

    Chain c draws from its own stream (child c of `seq`), so a group of chains drawn on
    another worker gets the same states as in one run.
    """
    n, q = logits.shape
    out = np.empty((n_chains, n), dtype=np.int8)
    children = chain_seed_sequences(seq, n_chains, first)
    if q == 2:
        p1 = 1.0 / (1.0 + np.exp(logits[:, 0] - logits[:, 1]))
        for c, child in enumerate(children):
            out[c] = np.random.default_rng(child).random(n) < p1
    else:  # Gumbel-max
        for c, child in enumerate(children):
            out[c] = np.argmax(np.random.default_rng(child).gumbel(size=(n, q)) + logits, axis=1)
    if isinstance(model, IsingModel):
        out = (2 * out - 1).astype(np.int8)
    return out


# ----------------------------------------------------------------------------------------
# the annealing loop
# ----------------------------------------------------------------------------------------
_BLOCK = 256  # steps per block of the annealing loop


def _trace_points(n_steps: int) -> np.ndarray:
    return np.unique(np.linspace(0, n_steps, min(n_steps, _MAX_TRACE) + 1).round().astype(np.int64))


def _anneal(model, sampler, u, beta, base, energy0, sweeps, bar, record=True):
    """One AIS pass along positions u_0..u_K (forward: 0 -> 1; reverse: 1 -> 0).

    Step t (1..K) adds -(u_t - u_{t-1}) E(x_{t-1}); then, for t < K, the chains move at u_t.
    energy0 is E(x_0) for the sampler's current states. Returns (log-weights (c,), trace
    (n_points, c), trace steps, energies (K, c) with E(x_{t-1}) in row t-1 if
    record == "energies" else None).
    """
    k_steps = u.size - 1
    c = sampler.n_chains
    du = np.diff(u)
    beta_J = u * beta
    beta_h = np.full(u.size, beta) if base == "fields" else u * beta
    points = _trace_points(k_steps) if record else np.array([0, k_steps])
    is_point = np.zeros(k_steps + 1, dtype=bool)
    is_point[points] = True
    trace = np.empty((points.size, c))
    trace[0] = 0.0
    row = 1
    energies = np.empty((k_steps, c)) if record == "energies" else None
    w = np.zeros(c)
    e_prev = np.asarray(energy0, dtype=np.float64)
    for t0 in range(1, k_steps + 1, _BLOCK):
        t1 = min(t0 + _BLOCK, k_steps + 1)  # steps t0 .. t1-1
        n = t1 - t0
        moves = np.arange(t0, min(t1, k_steps))  # transitions at u_t for t < K
        e_blk = np.empty((n, c))  # E(x_{t-1}) for t = t0 .. t1-1
        e_blk[0] = e_prev
        if moves.size:
            e_c, e_f = sampler.anneal(beta_J[moves], beta_h[moves], thin=sweeps)
            e_new = beta * e_c if base == "fields" else beta * (e_c + e_f)
            e_blk[1:] = e_new[:, : n - 1].T
            e_prev = e_new[:, -1].copy()
        if energies is not None:
            energies[t0 - 1 : t1 - 1] = e_blk
        cum = w - np.cumsum(du[t0 - 1 : t1 - 1, None] * e_blk, axis=0)
        sel = np.flatnonzero(is_point[t0:t1])
        trace[row : row + sel.size] = cum[sel]
        row += sel.size
        w = cum[-1].copy()
        bar.update(n)
    return w, trace, points, energies


def _check_reverse_states(model, states) -> np.ndarray:
    arr = np.asarray(states)
    if arr.ndim < 2 or arr.size == 0 or arr.size % model.n_sites:
        raise InputError(f"reverse_states must have shape (m, {model.n_sites}) or (m, *{model.shape}), got {arr.shape}")
    x = arr.reshape(-1, model.n_sites)
    model.energy_parts(x)  # checks the values (spins -1/+1, Potts states 0..q-1)
    return x


def _path_energy(model, states, beta, base):
    e_c, e_f = model.energy_parts(states)
    e_c, e_f = np.atleast_1d(e_c), np.atleast_1d(e_f)
    return beta * e_c if base == "fields" else beta * (e_c + e_f)


def _default_equilibration(model, method, reverse_method, reverse_sweeps, n_steps, sweeps_per_step):
    if reverse_method is None:
        reverse_method = "swendsen-wang" if "swendsen-wang" in applicable_methods(model) else method
    if reverse_sweeps is None:
        if reverse_method in ("swendsen-wang", "wolff"):
            reverse_sweeps = _CLUSTER_EQ_SWEEPS
        else:
            reverse_sweeps = max(500, n_steps * sweeps_per_step // 2)
    return reverse_method, check_positive_int(reverse_sweeps, "equilibration_sweeps", minimum=0)


@dataclass
class _ChainPlan:
    """Everything a group of chains needs to run its part of an AIS run (picklable: the
    distributed AIS ships it to Dask workers). Chain c of the forward pass draws from child c
    of `seq_base` and `seq_fwd` (reverse chain c: of `seq_eq` and `seq_rev`) whatever group
    runs it, so any split of the chains gives the same log-weights."""

    model: IsingModel | PottsModel
    beta: float
    base: str
    method: str
    sweeps_per_step: int
    n_threads: int | None
    n_chains: int
    n_steps: int
    seq_base: np.random.SeedSequence
    seq_fwd: np.random.SeedSequence
    seq_eq: np.random.SeedSequence
    seq_rev: np.random.SeedSequence
    seed: int
    schedule_name: str
    bidirectional: bool
    schedule: np.ndarray | None = None
    eq_method: str | None = None
    eq_sweeps: int = 0
    x_given: np.ndarray | None = None

    @property
    def n_reverse(self) -> int:
        """Reverse chains: one per forward chain, or one per given reverse state."""
        if not self.bidirectional:
            return 0
        return self.n_chains if self.x_given is None else self.x_given.shape[0]

    @property
    def logits(self) -> np.ndarray:
        return _site_logits(self.model, self.beta, self.base)

    @property
    def log_z0(self) -> float:
        return base_log_partition(self.model, self.beta, self.base)


def _plan(
    model,
    beta,
    n_chains,
    n_steps,
    schedule,
    sweeps_per_step,
    method,
    base,
    bidirectional,
    reverse_states,
    equilibration_method,
    equilibration_sweeps,
    seed,
    n_threads,
):
    """Check the arguments of :func:`ais`; returns (plan, (pilot_steps, seq_pilot))."""
    _check_model(model)
    beta = check_beta(beta)
    n_chains = check_positive_int(n_chains, "n_chains")
    sweeps_per_step = check_positive_int(sweeps_per_step, "sweeps_per_step")
    base = _normalise_base(base)
    adaptive = isinstance(schedule, str) and schedule.lower().strip() == "adaptive"
    if isinstance(schedule, str):
        s = None if adaptive else make_schedule(schedule, n_steps)
        schedule_name = schedule.lower().strip()
        if adaptive:
            n_steps = check_positive_int(n_steps, "n_steps")
    else:
        s = make_schedule(schedule)
        schedule_name = "user"
    if reverse_states is not None:
        bidirectional = True
    if isinstance(method, str) and method.lower().strip() == "auto":
        method = "metropolis" if model.q == 2 else "heatbath"

    seq = as_seed_sequence(seed)
    seed_int = seed_entropy(seq)
    seq_base, seq_fwd, seq_pilot, seq_eq, seq_rev = seq.spawn(5)

    k_total = n_steps if s is None else s.size - 1
    trace_points = min(k_total, _MAX_TRACE) + 1
    check_memory(
        n_chains * trace_points * 8 * (2 if bidirectional else 1),
        f"log-weight traces of {n_chains} chains x {trace_points} points",
    )
    pilot_steps = min(2000, max(20, k_total // 4)) if adaptive else 0
    method = normalise_method(method, model)
    eq_method = x_given = None
    eq_sweeps = 0
    if bidirectional:
        if reverse_states is None:
            eq_method, eq_sweeps = _default_equilibration(
                model, method, equilibration_method, equilibration_sweeps, k_total, sweeps_per_step
            )
        else:
            eq_method = equilibration_method or method
            eq_sweeps = check_positive_int(equilibration_sweeps or 0, "equilibration_sweeps", minimum=0)
            x_given = _check_reverse_states(model, reverse_states)
        eq_method = normalise_method(eq_method, model)
    plan = _ChainPlan(
        model=model,
        beta=beta,
        base=base,
        method=method,
        sweeps_per_step=sweeps_per_step,
        n_threads=n_threads,
        n_chains=n_chains,
        n_steps=k_total,
        seq_base=seq_base,
        seq_fwd=seq_fwd,
        seq_eq=seq_eq,
        seq_rev=seq_rev,
        seed=seed_int,
        schedule_name=schedule_name,
        bidirectional=bidirectional,
        schedule=s,
        eq_method=eq_method,
        eq_sweeps=eq_sweeps,
        x_given=x_given,
    )
    return plan, (pilot_steps, seq_pilot)


def _new_sampler(plan: _ChainPlan, chains, init, seq, method=None, first=0, total=None):
    """A sampler for chains first .. first+chains-1 of a run of `total` chains."""
    fresh = np.random.SeedSequence(seq.entropy, spawn_key=seq.spawn_key, pool_size=seq.pool_size)
    smp = Sampler(
        plan.model,
        plan.beta,
        method=method or plan.method,
        n_chains=chains,
        init=init,
        seed=fresh,
        n_threads=plan.n_threads,
    )
    smp._rng = chain_rng_states(seq, chains, first)
    smp._chunk_chains = chains if total is None else total
    smp.calibrate()  # Wolff: clusters per sweep at the target beta, not the path's first point
    return smp


def _run_pilot(plan: _ChainPlan, pilot, bar) -> None:
    """The adaptive schedule: a pilot run along a linear path places the steps."""
    pilot_steps, seq_pilot = pilot
    if not pilot_steps:
        return
    model, beta, base = plan.model, plan.beta, plan.base
    bar = bar if bar is not None else progress_bar(False, 0, "")
    pilot_chains = min(plan.n_chains, 32)
    seq_pb, seq_ps = seq_pilot.spawn(2)
    x0 = _sample_base(model, plan.logits, pilot_chains, seq_pb)
    sampler = _new_sampler(plan, pilot_chains, x0, seq_ps)
    s_pilot = np.linspace(0.0, 1.0, pilot_steps + 1)
    e0 = _path_energy(model, x0, beta, base)
    _, _, _, energies = _anneal(model, sampler, s_pilot, beta, base, e0, plan.sweeps_per_step, bar, record="energies")
    plan.schedule = _adaptive_schedule(s_pilot, energies, plan.n_steps)


def _run_chains(plan: _ChainPlan, first: int, count: int, rev_first: int = 0, rev_count: int = 0, bar=None) -> dict:
    """Forward chains first..first+count-1 (and reverse chains rev_first..) of a run.

    Without given reverse states, reverse chain c starts from forward chain c (then
    `rev_first, rev_count` must equal `first, count`). Returns their log-weights and traces.
    """
    model, beta, base, s = plan.model, plan.beta, plan.base, plan.schedule
    assert s is not None, "made from the schedule argument, or by the adaptive pilot"
    bar = bar if bar is not None else progress_bar(False, 0, "")
    out: dict = {"w": np.zeros(0), "trace": np.zeros((0, 0)), "steps": None, "n_threads": 1}
    sampler = None
    if count:
        x0 = _sample_base(model, plan.logits, count, plan.seq_base, first)
        sampler = _new_sampler(plan, count, x0, plan.seq_fwd, None, first, plan.n_chains)
        e0 = _path_energy(model, x0, beta, base)
        w, trace, steps, _ = _anneal(model, sampler, s, beta, base, e0, plan.sweeps_per_step, bar)
        out.update(w=w, trace=trace, steps=steps, n_threads=sampler.n_threads)
    if plan.bidirectional and rev_count:
        m = plan.n_reverse
        if plan.x_given is None:
            assert sampler is not None and (rev_first, rev_count) == (first, count), "reverse chain c starts at c"
            eq = _new_sampler(plan, count, sampler.states, plan.seq_eq, plan.eq_method, first, m)
            eq.burn(plan.eq_sweeps)
            x_eq = eq.states.reshape(-1, model.n_sites)
        else:
            x_eq = plan.x_given[rev_first : rev_first + rev_count]
            if plan.eq_sweeps:
                eq = _new_sampler(plan, rev_count, x_eq, plan.seq_eq, plan.eq_method, rev_first, m)
                eq.burn(plan.eq_sweeps)
                x_eq = eq.states.reshape(-1, model.n_sites)
        rev = _new_sampler(plan, rev_count, x_eq, plan.seq_rev, None, rev_first, m)
        e0 = _path_energy(model, rev.states, beta, base)
        w_r, trace_r, steps_r, _ = _anneal(model, rev, s[::-1].copy(), beta, base, e0, plan.sweeps_per_step, bar)
        out.update(w_r=w_r, trace_r=trace_r, steps_r=steps_r)
    return out


def _combine(plan: _ChainPlan, parts: list[dict], elapsed: float) -> AISResult:
    """The result of a run from its groups of chains (in chain order), as one run gives it."""
    assert plan.schedule is not None, "set before any chain runs"
    log_z0 = plan.log_z0
    lw = np.concatenate([p["w"] for p in parts]) + log_z0
    trace = np.concatenate([p["trace"] for p in parts if p["w"].size], axis=1) + log_z0
    steps = next(p["steps"] for p in parts if p["w"].size)
    est_f, se_f, ess_f = _weight_stats(lw)
    result = AISResult(
        log_z=est_f,
        stderr=se_f,
        log_z_forward=est_f,
        stderr_forward=se_f,
        ess=ess_f,
        log_weights=lw,
        trace=trace,
        trace_steps=steps,
        schedule=plan.schedule,
        log_z_base=log_z0,
        base=plan.base,
        method=plan.method,
        beta=plan.beta,
        n_chains=plan.n_chains,
        n_steps=plan.n_steps,
        sweeps_per_step=plan.sweeps_per_step,
        seed=plan.seed,
        n_threads=max(p["n_threads"] for p in parts),
        elapsed=elapsed,
        n_sites=plan.model.n_sites,
        schedule_name=plan.schedule_name,
    )
    if plan.bidirectional:
        rev = [p for p in parts if "w_r" in p]
        lw_r = np.concatenate([p["w_r"] for p in rev]) - log_z0
        est_r, se_r, ess_r = _weight_stats(lw_r)
        upper = -est_r
        gap = upper - est_f
        result.log_z_reverse, result.stderr_reverse, result.ess_reverse = upper, se_r, ess_r
        result.gap = gap
        result.log_weights_reverse = lw_r
        result.trace_reverse = np.concatenate([p["trace_r"] for p in rev], axis=1)
        result.trace_steps_reverse = rev[0]["steps_r"]
        m = plan.n_reverse
        if plan.x_given is None:
            how = f"{plan.eq_method}, {plan.eq_sweeps} sweeps at the target from the forward pass's final states"
        elif plan.eq_sweeps:
            how = f"{m} given states, then {plan.eq_sweeps} {plan.eq_method} sweeps at the target"
        else:
            how = f"{m} given states"
        result.reverse_init = how
        noise = se_f**2 + se_r**2
        result.log_z_midpoint = 0.5 * (est_f + upper)
        result.stderr_midpoint = float(math.sqrt(0.25 * noise + max(0.0, gap**2 - noise) / 12.0))
        delta, se_bar = _bar(lw - log_z0, lw_r + log_z0)
        result.log_z, result.stderr, result.estimator = log_z0 + delta, se_bar, "bar"
    _warn(result)
    return result


def ais(
    model: IsingModel | PottsModel,
    beta: float = 1.0,
    *,
    n_chains: int = 256,
    n_steps: int = 1000,
    schedule: str | ArrayLike = "linear",
    sweeps_per_step: int = 1,
    method: str = "heatbath",
    base: str | None = None,
    bidirectional: bool = False,
    reverse_states: ArrayLike | None = None,
    equilibration_method: str | None = None,
    equilibration_sweeps: int | None = None,
    seed: SeedLike = None,
    n_threads: int | None = None,
    progress: bool = False,
) -> AISResult:
    """Estimate log Z by annealed importance sampling.

    Parameters
    ----------
    model : IsingModel or PottsModel
        Any form: lattice, graph or dense (q = 21 protein models included).
    beta : float, optional
        Inverse temperature of the target exp(-beta H) (>= 0).
    n_chains : int, optional
        Independent annealing runs (parallel over threads).
    n_steps : int, optional
        Number of steps K of the path (ignored when `schedule` is an array).
    schedule : {"linear", "sigmoid", "adaptive"} or array_like, optional
        Path positions s_t (beta_coupling = s_t beta). "adaptive" first runs a pilot
        (min(n_chains, 32) chains, K/4 linear steps, clipped to 20..2000) and places the
        steps where the log-weights change most (density ~ spread of the weight increments
        over chains times an autocorrelation factor), so that every step adds about the
        same variance to the log-weights. An array runs from 0 to 1.
    sweeps_per_step : int, optional
        Sweeps of `method` at each intermediate distribution.
    method : {"heatbath", "metropolis", "swendsen-wang", "wolff", "auto"}, optional
        Transition kernel (cluster methods where they apply: lattice and graph forms with
        ferromagnetic Potts or any Ising couplings). "auto": "metropolis" for Ising (q = 2),
        "heatbath" for Potts, the kernels that gave the smallest variance of log Z per unit of
        time on 2D tori at their critical points (Ising: Metropolis about 1.5x better than
        Swendsen-Wang and 3x better than heat-bath; q = 3 Potts: heat-bath 2x better than
        Swendsen-Wang and 4x better than Metropolis).
    base : {"fields", "uniform"}, optional
        Base distribution (default "fields": independent sites with the target's fields).
    bidirectional : bool, optional
        Also run reverse AIS from equilibrium states back to the base: a stochastic upper
        bound; ``log_z`` is then Bennett's acceptance ratio of both directions' weights,
        and the bounds, their midpoint and the gap are reported.
    reverse_states : array_like, shape (m, L) or ``(m, *model.shape)``, optional
        Equilibrium states of the target for the reverse pass (m reverse chains), e.g. from
        a long Swendsen-Wang run; implies ``bidirectional=True``. By default they are made
        from the forward pass's final states by `equilibration_sweeps` sweeps of
        `equilibration_method` at the target.
    equilibration_method : str, optional
        Default: "swendsen-wang" where it applies, else `method`.
    equilibration_sweeps : int, optional
        Default: 50 for cluster methods, else max(500, n_steps * sweeps_per_step / 2). With
        `reverse_states` given: sweeps run on them first (default 0).
    seed : int, numpy Generator or SeedSequence, optional
        The same seed gives the same result whatever `n_threads` is. Every chain draws from
        its own streams, so :func:`isingbio.distributed.ais` gives the same result too.
    n_threads : int, optional
        OpenMP threads. Default: all cores, or one when a step has fewer than 32768 site
        updates (too little work to share). Results do not depend on it.
    progress : bool, optional
        Progress bar on stderr.

    Returns
    -------
    AISResult
        ``log_z``, ``stderr``, ``ess``, the bounds, final log-weights and per-step traces.

    Warns
    -----
    SamplingWarning
        When the effective sample size collapses (below 20% of the chains, where the
        forward error bar is measurably too small), or when the forward and reverse
        estimates disagree by more than 4 standard errors.

    Examples
    --------
    >>> import isingbio
    >>> model = isingbio.IsingModel.lattice((16, 16))
    >>> res = isingbio.ais(model, beta=0.4406868, n_steps=2000, seed=1, bidirectional=True)
    >>> exact = isingbio.exact.ising_torus_log_partition(16, 16, 0.4406868)
    >>> bool(abs(res.log_z - exact) < 4 * res.stderr)  # within the error bar of Kaufman's value
    True
    """
    start = time.perf_counter()
    plan, pilot = _plan(
        model,
        beta,
        n_chains,
        n_steps,
        schedule,
        sweeps_per_step,
        method,
        base,
        bidirectional,
        reverse_states,
        equilibration_method,
        equilibration_sweeps,
        seed,
        n_threads,
    )
    total = pilot[0] + plan.n_steps * (2 if plan.bidirectional else 1)
    bar = progress_bar(progress, total, "AIS")
    try:
        _run_pilot(plan, pilot, bar)
        part = _run_chains(plan, 0, plan.n_chains, 0, plan.n_reverse, bar)
    finally:
        bar.close()
    return _combine(plan, [part], time.perf_counter() - start)


def _warn(res: AISResult) -> None:
    def collapsed(ess, n):
        return ess < max(_ESS_FRACTION * n, min(5.0, 0.5 * n))

    if collapsed(res.ess, res.n_chains):
        warnings.warn(
            f"AIS forward weights collapsed: effective sample size {res.ess:.1f} of {res.n_chains} chains; "
            f"log Z is probably underestimated and its error bar too small; use more steps "
            f"(n_steps={res.n_steps}) or sweeps_per_step",
            SamplingWarning,
            stacklevel=4,
        )
    if res.bidirectional:
        # a bidirectional run sets all of the reverse fields together
        assert res.log_weights_reverse is not None and res.ess_reverse is not None
        assert res.stderr_reverse is not None and res.gap is not None
        m = res.log_weights_reverse.size
        if collapsed(res.ess_reverse, m):
            warnings.warn(
                f"AIS reverse weights collapsed: effective sample size {res.ess_reverse:.1f} of {m} chains; "
                f"use more steps",
                SamplingWarning,
                stacklevel=4,
            )
        sigma = math.sqrt(res.stderr_forward**2 + res.stderr_reverse**2)
        if math.isfinite(sigma) and not abs(res.gap) <= _GAP_SIGMAS * sigma:  # NaN: one chain, no error bar
            if res.gap < 0:
                why = (
                    "the reverse (upper) estimate lies below the forward (lower) one: the reverse pass "
                    "probably did not start in equilibrium"
                )
            else:
                why = "both estimates are biased; use more steps or sweeps_per_step"
            warnings.warn(
                f"AIS bounds disagree: forward {res.log_z_forward:.6g}, reverse {res.log_z_reverse:.6g}, "
                f"gap {res.gap:.3g} = {res.gap / sigma:.1f} standard errors; {why}",
                SamplingWarning,
                stacklevel=4,
            )
