"""Markov chain Monte Carlo: :func:`sample` and the stateful :class:`Sampler`.

The Python layer validates, converts and chooses the compiled kernel; the kernels
(``isingbio._kernels``) advance all chains without the GIL. Long runs go to the kernels in
chunks so that progress bars and Ctrl-C work between them.

Methods
-------
``"metropolis"``
    Single-site Metropolis (Potts: a uniformly random different state is proposed),
    acceptance min(1, exp(-beta dE)). Where the proposal is forced (Ising, q = 2 Potts) a
    tie (dE = 0) is accepted with probability 1/2 instead of 1: with a fixed visiting order,
    accepting every tie makes some configurations cycle deterministically for ever (+ + - -
    on a ring of 4, every state at beta = 0), so the chain would not be ergodic. A tie is its
    own reverse move, so detailed balance holds.
``"heatbath"``
    Single-site heat-bath (Gibbs) updates.
``"swendsen-wang"``
    Fortuin-Kasteleyn clusters of the whole system; fields are handled exactly by
    re-colouring every cluster from its conditional distribution.
``"wolff"``
    Single-cluster updates; a field enters through a Metropolis acceptance of the flip.
    One Wolff sweep is K cluster updates, with K = round(L / mean cluster size), so that a
    sweep flips about L sites on average whatever the start. K is fixed while recording
    (stopping each sweep when its clusters cover L sites would bias the distribution). The
    burn-in sets it: its first three quarters build clusters until L sites in every sweep
    (fast from a disordered start, and it follows the cluster size as the chains relax), K is
    L / the mean cluster size of the last quarter of those sweeps, and the last quarter of
    the burn-in relaxes with K fixed. A burn-in too short for the chains to reach equilibrium
    (clusters still growing) leaves sweeps of many L flips: the result then warns. Without
    a burn-in, K comes from a pilot on copies of the starting states (then a sweep means L
    flips only if the chains start in equilibrium). Results report the flips per sweep
    (:attr:`SampleResult.flips_per_sweep`).

Short runs: :func:`sample` checks its result and warns (:class:`~isingbio.errors.SamplingWarning`,
also listed in :attr:`SampleResult.warnings` and printed by :meth:`SampleResult.summary`) when
a chain ran fewer than 50 integrated autocorrelation times (of the energy or magnetisation,
the largest), when the burn-in was shorter than 3 of them, when the two halves of the records
disagree (a drift), when no sweep was recorded, and when Wolff sweeps built clusters of far
from L sites.

Single-site sweeps visit lattice sites in checkerboard (sublattice) order and graph or
dense-model sites in order 0..L-1. Acceptance decisions compare 32-bit random numbers with
integer thresholds (probabilities exact to 2^-32). Dense float32 models keep their local
fields in 32-bit fixed point when that is within 2^-16 (in units of J) of the exact sum,
which makes updates faster and never drifts; otherwise, and for float64, in double. Cluster
methods need scalar couplings (lattice and graph forms): any sign for Ising, ferromagnetic
(J >= 0) for Potts; each storage form names the kernel of a method (:mod:`isingbio.couplings`).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from . import stats
from ._config import resolve_threads
from ._progress import progress_bar as _progress
from ._random import as_seed_sequence, chain_rng_states, seed_entropy
from ._typing import ArrayLike, SeedLike
from ._validation import check_beta, check_memory, check_positive_int, format_bytes
from .couplings import CLUSTER_METHODS, METHOD_ALIASES, METHODS, DenseCouplings, dense_updates_per_call
from .errors import InputError, SamplingWarning, UnsupportedMethodError
from .models import IsingModel, PottsModel

__all__ = ["sample", "Sampler", "SampleResult", "METHODS", "CLUSTER_METHODS", "applicable_methods", "normalise_method"]

# site updates per kernel call: big enough to amortise the call, small enough for progress
_CHUNK_UPDATES = 2e7
# thresholds of the short-run warnings, in integrated autocorrelation times
MIN_TAU_PER_CHAIN = 50
MIN_TAU_BURN_IN = 3


def applicable_methods(model: IsingModel | PottsModel) -> tuple[str, ...]:
    """The sampling methods that apply to `model`."""
    return model.sampling_methods()


def normalise_method(method: str, model: IsingModel | PottsModel) -> str:
    """The canonical name of `method` (aliases such as "gibbs" or "sw" accepted).

    Raises
    ------
    UnsupportedMethodError
        The method is unknown or does not apply to `model` (the message says why).
    """
    key = str(method).lower().strip()
    if key not in METHOD_ALIASES:
        raise UnsupportedMethodError(f"unknown method {method!r}; choose one of {', '.join(applicable_methods(model))}")
    name = METHOD_ALIASES[key]
    model.couplings.check_method(name, ising=isinstance(model, IsingModel))
    return name


@dataclass
class SampleResult:
    """Recorded series of a Monte Carlo run.

    Attributes
    ----------
    energy : ndarray of float64, shape (n_chains, n_records)
        Total energy H of each recorded configuration.
    energy_coupling, energy_field : ndarray of float64, shape (n_chains, n_records)
        The coupling and field parts of H.
    magnetization : ndarray of float64, shape (n_chains, n_records)
        Ising: mean spin. Potts: (q max_a n_a / L - 1) / (q - 1).
    final_states : ndarray of int8, shape ``(n_chains, *model.shape)``
    states : ndarray of int8, shape ``(n_chains, n_records, *model.shape)``, or None
    seed : int
        The seed that reproduces this run (pass it back as ``seed``).
    beta, method, n_sweeps, burn_in, thin, n_sites, n_threads
        The run's settings (n_sweeps after burn-in).
    acceptance_rate : float or None
        Single-site methods: fraction of updates that changed a site (Wolff with a field:
        fraction of accepted cluster flips).
    mean_cluster_size : float or None
        Cluster methods: mean number of sites per cluster built.
    flips_per_sweep : float or None
        Mean number of sites changed per sweep and chain (single-site methods: acceptance
        rate times L; Wolff: sites of the flipped clusters, about L by construction when
        there is no field; with a field, rejected cluster flips flip nothing).
    cluster_sites_per_sweep : float or None
        Wolff: sites in the clusters built per sweep and chain (about L).
    elapsed : float
        Wall time in seconds.
    warnings : list of str
        Why the estimates may not be trusted (see :func:`sample`); empty when none.
    """

    energy: np.ndarray
    energy_coupling: np.ndarray
    energy_field: np.ndarray
    magnetization: np.ndarray
    final_states: np.ndarray
    seed: int
    beta: float
    method: str
    n_sweeps: int
    burn_in: int
    thin: int
    n_sites: int
    n_threads: int
    elapsed: float
    states: np.ndarray | None = None
    acceptance_rate: float | None = None
    mean_cluster_size: float | None = None
    model_kind: str = field(default="ising")
    flips_per_sweep: float | None = None
    cluster_sites_per_sweep: float | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def n_chains(self) -> int:
        return self.energy.shape[0]

    @property
    def n_records(self) -> int:
        return self.energy.shape[1]

    def _series(self, observable: str) -> np.ndarray:
        n = self.n_sites
        table = {
            "energy": lambda: self.energy,
            "energy_per_site": lambda: self.energy / n,
            "magnetization": lambda: self.magnetization,
            "abs_magnetization": lambda: np.abs(self.magnetization),
            "magnetization2": lambda: self.magnetization**2,
        }
        if observable not in table:
            raise InputError(f"unknown observable {observable!r}; choose one of {', '.join(table)}")
        return table[observable]()

    def estimate(self, observable: str = "energy") -> stats.Estimate:
        """Mean, autocorrelation-aware standard error and tau_int (in records) of an observable.

        observable is one of "energy", "energy_per_site", "magnetization",
        "abs_magnetization", "magnetization2".
        """
        if self.n_records == 0:
            raise InputError("no records: run with n_sweeps >= thin")
        return stats.mean_and_error(self._series(observable))

    def mean(self, observable: str = "energy") -> float:
        """Mean of an observable over chains and records."""
        return self.estimate(observable).mean

    def stderr(self, observable: str = "energy") -> float:
        """Standard error of the mean, accounting for autocorrelation."""
        return self.estimate(observable).stderr

    def tau_int(self, observable: str = "energy") -> float:
        """Integrated autocorrelation time in sweeps (records times thin)."""
        return self.estimate(observable).tau_int * self.thin

    def specific_heat(self) -> stats.Estimate:
        """Specific heat per site, beta^2 var(E) / L, with a jackknife error over blocks."""
        return _jackknife_blocks(self.energy, lambda e: self.beta**2 * e.var() / self.n_sites)

    def susceptibility(self) -> stats.Estimate:
        """Susceptibility per site, ``beta L (<m^2> - <|m|>^2)``, with a jackknife error over blocks."""
        return _jackknife_blocks(
            self.magnetization, lambda m: self.beta * self.n_sites * ((m**2).mean() - np.abs(m).mean() ** 2)
        )

    def summary(self) -> str:
        """A few lines a physicist would want to see."""
        lines = [
            f"{self.method}, beta = {self.beta:.6g} (T = {1 / self.beta if self.beta else float('inf'):.6g}), "
            f"{self.n_chains} chain(s) x {self.n_sweeps} sweeps after {self.burn_in} burn-in, thin {self.thin}, "
            f"seed {self.seed}"
        ]
        if self.n_records >= 2:
            e = self.estimate("energy_per_site")
            m = self.estimate("magnetization")
            am = self.estimate("abs_magnetization")
            lines.append(
                f"  energy per site    {e.mean: .6f} +/- {e.stderr:.6f}   tau_int {e.tau_int * self.thin:.3g} sweeps"
            )
            lines.append(
                f"  magnetization      {m.mean: .6f} +/- {m.stderr:.6f}   tau_int {m.tau_int * self.thin:.3g} sweeps"
            )
            lines.append(
                f"  |magnetization|    {am.mean: .6f} +/- {am.stderr:.6f}   tau_int {am.tau_int * self.thin:.3g} sweeps"
            )
            c = self.specific_heat()
            lines.append(f"  specific heat      {c.mean: .6f} +/- {c.stderr:.6f}   (per site)")
        if self.acceptance_rate is not None:
            lines.append(f"  acceptance rate    {self.acceptance_rate:.4f}")
        if self.mean_cluster_size is not None:
            share = self.mean_cluster_size / self.n_sites
            lines.append(f"  mean cluster size  {self.mean_cluster_size:.4g} sites ({share:.3%} of the system)")
        if self.flips_per_sweep is not None:
            lines.append(
                f"  flips per sweep    {self.flips_per_sweep:.4g} sites ({self.flips_per_sweep / self.n_sites:.3g} L)"
            )
        updates = self.n_chains * (self.n_sweeps + self.burn_in) * self.n_sites
        rate = updates / self.elapsed / 1e9 if self.elapsed > 0 else float("inf")
        lines.append(
            f"  time               {self.elapsed:.3f} s on {self.n_threads} thread(s), {rate:.3g} site updates per ns"
        )
        lines.extend(f"  warning: {w}" for w in self.warnings)
        return "\n".join(lines)

    def check(self, init: str | None = None) -> list[str]:
        """Reasons not to trust this run's estimates (the checks :func:`sample` warns about).

        A chain shorter than ``MIN_TAU_PER_CHAIN`` (50) integrated autocorrelation times of
        the energy or the magnetisation (the largest); a burn-in shorter than
        ``MIN_TAU_BURN_IN`` (3) of them from a random or ordered start (`init`); no records;
        first and second halves of the records that differ by more than 4 standard errors
        (a drift); Wolff sweeps whose clusters held under L / 2 or over 2 L sites.
        """
        found = []
        if self.n_records == 0:
            found.append(f"nothing was recorded ({self.n_sweeps} sweeps, thin {self.thin}): run n_sweeps >= thin")
            return found
        if self.n_records >= 2:
            taus = {}
            for obs in ("energy", "magnetization", "abs_magnetization"):
                tau = self.estimate(obs).tau_int * self.thin
                if np.isfinite(tau):
                    taus[obs] = tau
            if taus:
                obs, tau = max(taus.items(), key=lambda kv: kv[1])
                name = obs.replace("abs_magnetization", "|magnetization|")
                if self.n_sweeps < MIN_TAU_PER_CHAIN * tau:
                    found.append(
                        f"short run: {self.n_sweeps} sweeps per chain are {self.n_sweeps / tau:.3g} tau_int of the "
                        f"{name} (tau_int {tau:.3g} sweeps); under {MIN_TAU_PER_CHAIN} tau_int the estimates and "
                        "their error bars are unreliable: run longer"
                    )
                # (tau_int <= 1 sweep: one sweep nearly forgets the start; no burn-in warning)
                if isinstance(init, str) and tau > 1 and self.burn_in < MIN_TAU_BURN_IN * tau:
                    article = "an" if init[:1] in "aeiou" else "a"
                    found.append(
                        f"short burn-in: {self.burn_in} sweeps from {article} {init} start, under "
                        f"{MIN_TAU_BURN_IN} tau_int of the {name} ({MIN_TAU_BURN_IN * tau:.3g} sweeps): "
                        "the first records may be out of equilibrium"
                    )
        if self.n_records >= 20:  # drift: the halves of the records disagree
            half = self.n_records // 2
            for obs in ("energy", "abs_magnetization"):
                series = self._series(obs)
                a = stats.mean_and_error(series[:, :half])
                b = stats.mean_and_error(series[:, half:])
                err = float(np.hypot(a.stderr, b.stderr))
                if err > 0 and abs(a.mean - b.mean) > 4 * err:
                    name = obs.replace("abs_magnetization", "|magnetization|")
                    found.append(
                        f"not in equilibrium: the mean {name} of the first and second halves of the records "
                        f"differ by {abs(a.mean - b.mean) / err:.1f} standard errors: use a longer burn-in and run"
                    )
                    break
        if self.method == "wolff" and self.cluster_sites_per_sweep is not None:
            ratio = self.cluster_sites_per_sweep / self.n_sites
            if not 0.5 <= ratio <= 2.0:
                found.append(
                    f"Wolff sweeps built clusters of {ratio:.3g} L sites each (clusters per sweep calibrated on "
                    "states out of equilibrium): use a longer burn-in"
                )
        return found


def _jackknife_blocks(
    series: np.ndarray, statistic: Callable[[np.ndarray], float], n_blocks: int = 20
) -> stats.Estimate:
    """Jackknife over blocks of records (all chains together) for a nonlinear statistic."""
    n = series.shape[1]
    full = float(statistic(series))
    n_blocks = min(n_blocks, n)
    if n_blocks < 2:
        return stats.Estimate(full, float("nan"), float("nan"), series.size)
    edges = np.linspace(0, n, n_blocks + 1).astype(int)
    values = np.array(
        [statistic(np.concatenate([series[:, : edges[b]], series[:, edges[b + 1] :]], axis=1)) for b in range(n_blocks)]
    )
    err = float(np.sqrt((n_blocks - 1) / n_blocks * ((values - values.mean()) ** 2).sum()))
    return stats.Estimate(full, err, float("nan"), series.size)


class Sampler:
    """Markov chains that keep their states and random streams between runs.

    Parameters
    ----------
    model : IsingModel or PottsModel
    beta : float, optional
        Inverse temperature (>= 0), applied to couplings and fields.
    method : {"metropolis", "heatbath", "swendsen-wang", "wolff"}, optional
    n_chains : int, optional
        Independent chains, run in parallel over threads.
    init : {"random", "ordered"} or array_like, optional
        Starting states: uniformly random, ordered (Ising all +1, Potts all 0), or given
        states of shape (n_chains, L), (L,) or the lattice shape (broadcast to all chains).
    seed : int, numpy Generator or SeedSequence, optional
        The same seed gives the same results whatever ``n_threads`` is.
    n_threads : int, optional
        OpenMP threads (default: all available cores).

    Attributes
    ----------
    seed : int
        Reproduces this sampler's streams when passed back as ``seed``.
    n_sweeps_done : int

    Notes
    -----
    ``beta_coupling`` and ``beta_field`` can be set separately (the target is then
    exp(-beta_coupling H_J - beta_field H_h)); setting ``beta`` sets both. Annealed
    importance sampling uses this to move along the path from an independent-site model.
    """

    def __init__(
        self,
        model: IsingModel | PottsModel,
        beta: float = 1.0,
        *,
        method: str = "metropolis",
        n_chains: int = 1,
        init: str | ArrayLike = "random",
        seed: SeedLike = None,
        n_threads: int | None = None,
    ) -> None:
        if not isinstance(model, (IsingModel, PottsModel)):
            raise InputError(f"model must be an IsingModel or PottsModel, got {type(model).__name__}")
        self.model = model
        self.method = normalise_method(method, model)
        self.n_chains = check_positive_int(n_chains, "n_chains")
        self.n_threads = resolve_threads(n_threads)
        self._beta_J = self._beta_h = check_beta(beta)
        seq = as_seed_sequence(seed)
        self.seed = seed_entropy(seq)
        check_memory(self.n_chains * model.n_sites * 2, f"states of {self.n_chains} chains x {model.n_sites} sites")
        self._rng = chain_rng_states(seq, self.n_chains)
        # chains whose count sets where kernel calls end (a group of a larger run uses the run's)
        self._chunk_chains = self.n_chains
        self._init_rng = np.random.default_rng(seq.spawn(1)[0])
        self._states = self._initial_states(init)
        self.kernel = model.kernel(self.method)
        self._stats = np.zeros((self.n_chains, 4))
        self._clusters_per_sweep = 0
        self.n_sweeps_done = 0

    # -- state ------------------------------------------------------------------------
    def _initial_states(self, init: str | ArrayLike) -> np.ndarray:
        n, q = self.model.n_sites, self.model.q
        ising = isinstance(self.model, IsingModel)
        if isinstance(init, str):
            if init == "random":
                x = self._init_rng.integers(0, q, size=(self.n_chains, n), dtype=np.int8)
                return (2 * x - 1).astype(np.int8) if ising else x
            if init in ("ordered", "up"):
                return np.full((self.n_chains, n), 1 if ising else 0, dtype=np.int8)
            raise InputError(f"init must be 'random', 'ordered' or an array of states, got {init!r}")
        return self._convert_states(init)

    def _convert_states(self, states: ArrayLike) -> np.ndarray:
        model = self.model
        arr = np.asarray(states)
        flat, batch = model.flat_states(arr)
        if len(batch) == 0:
            flat = np.repeat(flat, self.n_chains, axis=0)
        elif flat.shape[0] != self.n_chains:
            raise InputError(f"states must be given for {self.n_chains} chains, got {flat.shape[0]}")
        return np.ascontiguousarray(flat, dtype=np.int8)

    @property
    def states(self) -> np.ndarray:
        """Current states, shape ``(n_chains, *model.shape)``, int8 (a copy)."""
        return self._states.reshape((self.n_chains,) + self.model.shape).copy()

    @states.setter
    def states(self, value: ArrayLike) -> None:
        self._states = self._convert_states(value)

    @property
    def beta(self) -> float:
        """Inverse temperature (setting it sets beta_coupling and beta_field)."""
        if self._beta_J != self._beta_h:
            raise InputError(
                f"beta_coupling ({self._beta_J}) and beta_field ({self._beta_h}) differ; read them separately"
            )
        return self._beta_J

    @beta.setter
    def beta(self, value: float) -> None:
        self._beta_J = self._beta_h = check_beta(value)

    @property
    def beta_coupling(self) -> float:
        return self._beta_J

    @beta_coupling.setter
    def beta_coupling(self, value: float) -> None:
        self._beta_J = check_beta(value, "beta_coupling")

    @property
    def beta_field(self) -> float:
        return self._beta_h

    @beta_field.setter
    def beta_field(self, value: float) -> None:
        self._beta_h = check_beta(value, "beta_field")

    @property
    def acceptance_rate(self) -> float | None:
        """Fraction of single-site updates (or Wolff flips) that changed the state so far."""
        return None if self._stats[:, 0].sum() == 0 else float(self._stats[:, 1].sum() / self._stats[:, 0].sum())

    @property
    def mean_cluster_size(self) -> float | None:
        """Mean size of the clusters built so far (cluster methods)."""
        return None if self._stats[:, 2].sum() == 0 else float(self._stats[:, 3].sum() / self._stats[:, 2].sum())

    # -- running ----------------------------------------------------------------------
    def _call(self, n_records, thin, out, offset, states=None, beta_path=None, clusters_per_sweep=None):
        """Run the kernel for `n_records` records into out[:, offset:offset + n_records].

        `states`, if given, receives the configurations at those records; `beta_path`, a pair
        of arrays, gives (beta_coupling, beta_field) for each record instead of the current ones.
        """
        extra = (
            (self.calibrate() if clusters_per_sweep is None else clusters_per_sweep,) if self.method == "wolff" else ()
        )
        kwargs = {}
        if states is not None:  # kernels write records straight into views of the outputs
            kwargs["states_out"] = states[:, offset : offset + n_records]
        if beta_path is not None:
            kwargs["beta_J_path"], kwargs["beta_h_path"] = (
                np.ascontiguousarray(b[offset : offset + n_records], dtype=np.float64) for b in beta_path
            )
        records = tuple(series[:, offset : offset + n_records] for series in out)
        self.kernel(
            self._states,
            self._rng,
            self._beta_J,
            self._beta_h,
            n_records,
            thin,
            *records,
            self._stats,
            self.n_threads,
            *extra,
            **kwargs,
        )

    def calibrate(self) -> int | None:
        """Fix the settings a method calibrates once, at the current beta, and return them.

        Wolff: K cluster updates per sweep, from a pilot of all chains (returned). Other
        methods have nothing to calibrate (None). Sampling calibrates on its first sweep;
        call this first to calibrate at another beta than the first point of a path.

        The pilot moves copies of the states: its stopping rule (clusters until L sites have
        been flipped) depends on the states, so its end states are not kept.
        """
        if self.method != "wolff":
            return None
        if self._clusters_per_sweep == 0:
            scratch = tuple(np.empty((self.n_chains, 1)) for _ in range(3))
            pilot_stats = np.zeros_like(self._stats)
            self.kernel(
                self._states.copy(),
                self._rng,
                self._beta_J,
                self._beta_h,
                1,
                1,
                *scratch,
                pilot_stats,
                self.n_threads,
                0,
            )
            mean_size = pilot_stats[:, 3].sum() / max(pilot_stats[:, 2].sum(), 1)
            self._clusters_per_sweep = max(1, int(round(self.model.n_sites / mean_size)))
        return self._clusters_per_sweep

    def _chunk_records(self, thin: int) -> int:
        # independent of n_threads: where a kernel call ends may matter to its random stream
        per_record = max(1, self.model.n_sites * thin * self._chunk_chains)
        updates = _CHUNK_UPDATES
        if isinstance(self.model.couplings, DenseCouplings):  # an update reads L couplings
            updates = dense_updates_per_call(self.model.n_sites, self.model.q, _CHUNK_UPDATES)
        return max(1, int(updates / per_record))

    def burn(self, n_sweeps: int, progress: bool = False) -> None:
        """Advance the chains by `n_sweeps` without recording."""
        n_sweeps = check_positive_int(n_sweeps, "n_sweeps", minimum=0)
        if n_sweeps == 0:
            return
        scratch = tuple(np.empty((self.n_chains, 1)) for _ in range(3))
        step = max(1, self._chunk_records(1))
        bar = _progress(progress, n_sweeps, "burn-in")
        # Wolff: the first three quarters of the burn-in build clusters until N sites in every
        # sweep (-1: fast from a disordered start, and it follows the cluster size as the
        # chains relax, but it is not stationary for p); the count per sweep is then set from
        # the mean cluster size of the last of those sweeps, and the last quarter relaxes to p
        # with it.
        if self.method == "wolff":
            adaptive = n_sweeps - n_sweeps // 4
            recent = max(1, adaptive // 4)  # the mean cluster size of the last sweeps sets K
            parts = [(adaptive - recent, -1), (recent, -1), (n_sweeps - adaptive, None)]
        else:
            parts = [(n_sweeps, None)]
        window = self._stats.copy()
        for index, (count, per_sweep) in enumerate(parts):
            if index == 1:
                window = self._stats.copy()
            if index == 2:
                delta = self._stats - window
                if delta[:, 2].sum() > 0:
                    mean_size = delta[:, 3].sum() / delta[:, 2].sum()
                    self._clusters_per_sweep = max(1, int(round(self.model.n_sites / mean_size)))
            for done in range(0, count, step):
                k = min(step, count - done)
                self._call(1, k, scratch, 0, clusters_per_sweep=per_sweep)
                bar.update(k)
        bar.close()
        self.n_sweeps_done += n_sweeps

    def run(self, n_sweeps: int, thin: int = 1, *, return_states: bool = False, progress: bool = False) -> SampleResult:
        """Run `n_sweeps` more sweeps, recording every `thin` sweeps.

        Parameters
        ----------
        n_sweeps : int
            Sweeps to run; ``n_sweeps // thin`` records are taken (any remainder is run
            after the last record).
        thin : int, optional
        return_states : bool, optional
            Also return every recorded configuration (n_chains x n_records x L bytes).
        progress : bool, optional
            Show a progress bar on stderr.

        Returns
        -------
        SampleResult
        """
        n_sweeps = check_positive_int(n_sweeps, "n_sweeps", minimum=0)
        thin = check_positive_int(thin, "thin")
        n_records = n_sweeps // thin
        c, n = self.n_chains, self.model.n_sites
        check_memory(
            c * n_records * 8 * 3,
            f"energy and magnetisation series of {c} chains x {n_records} records",
            "use a larger thin",
        )
        out = tuple(np.empty((c, n_records)) for _ in range(3))
        states = None
        if return_states:
            check_memory(
                c * n_records * n,
                f"states of {c} chains x {n_records} records x {n} sites ({format_bytes(c * n_records * n)})",
                "use a larger thin or return_states=False",
            )
            states = np.empty((c, n_records, n), dtype=np.int8)
        stats_before = self._stats.copy()
        start = time.perf_counter()
        step = self._chunk_records(thin)
        bar = _progress(progress, n_sweeps, self.method)
        done = 0
        while done < n_records:
            k = min(step, n_records - done)
            self._call(k, thin, out, done, states=states)
            done += k
            bar.update(k * thin)
        rest = n_sweeps - n_records * thin
        if rest:
            scratch = tuple(np.empty((c, 1)) for _ in range(3))
            self._call(1, rest, scratch, 0)
            bar.update(rest)
        bar.close()
        elapsed = time.perf_counter() - start
        self.n_sweeps_done += n_sweeps
        delta = self._stats - stats_before
        accept = float(delta[:, 1].sum() / delta[:, 0].sum()) if delta[:, 0].sum() else None
        cluster = float(delta[:, 3].sum() / delta[:, 2].sum()) if delta[:, 2].sum() else None
        flips = sites = None
        if n_sweeps and self.method == "wolff" and delta[:, 0].sum():
            sites = float(delta[:, 3].sum()) / (c * n_sweeps)
            flips = sites * float(delta[:, 1].sum() / delta[:, 0].sum())
        elif n_sweeps and accept is not None and self.method in ("metropolis", "heatbath"):
            flips = float(delta[:, 1].sum()) / (c * n_sweeps)
        e_c, e_f, mag = out
        shape = self.model.shape
        return SampleResult(
            energy=e_c + e_f,
            energy_coupling=e_c,
            energy_field=e_f,
            magnetization=mag,
            final_states=self.states,
            seed=self.seed,
            beta=self._beta_J,
            method=self.method,
            n_sweeps=n_sweeps,
            burn_in=0,
            thin=thin,
            n_sites=n,
            n_threads=self.n_threads,
            elapsed=elapsed,
            states=None if states is None else states.reshape((c, n_records) + shape),
            acceptance_rate=accept,
            mean_cluster_size=cluster,
            model_kind="ising" if isinstance(self.model, IsingModel) else "potts",
            flips_per_sweep=flips,
            cluster_sites_per_sweep=sites,
        )

    def anneal(
        self, beta_coupling: ArrayLike, beta_field: ArrayLike | None = None, thin: int = 1
    ) -> tuple[np.ndarray, np.ndarray]:
        """Run along a path of inverse temperatures, recording after each point.

        Parameters
        ----------
        beta_coupling : array_like of float, shape (R,)
            beta_coupling at each point of the path (>= 0).
        beta_field : array_like of float, shape (R,), optional
            beta_field at each point (default: the current beta_field throughout).
        thin : int, optional
            Sweeps at each point before its record.

        Returns
        -------
        e_coupling, e_field : ndarray of float64, shape (n_chains, R)
            H_J and H_h of each chain after the sweeps at each point. The sampler is left at
            the last point's inverse temperatures.
        """
        thin = check_positive_int(thin, "thin")
        b_J = np.ascontiguousarray(beta_coupling, dtype=np.float64).ravel()
        b_h = (
            np.full(b_J.shape, self._beta_h)
            if beta_field is None
            else np.ascontiguousarray(beta_field, dtype=np.float64).ravel()
        )
        if b_h.shape != b_J.shape:
            raise InputError(f"beta_coupling and beta_field must have the same length, got {b_J.size} and {b_h.size}")
        for name, b in (("beta_coupling", b_J), ("beta_field", b_h)):
            if b.size and not (np.all(np.isfinite(b)) and b.min() >= 0):
                raise InputError(f"{name} must be finite and >= 0 along the path")
        out = tuple(np.empty((self.n_chains, b_J.size)) for _ in range(3))
        step = self._chunk_records(thin)
        for done in range(0, b_J.size, step):
            self._call(min(step, b_J.size - done), thin, out, done, beta_path=(b_J, b_h))
        if b_J.size:
            self._beta_J, self._beta_h = float(b_J[-1]), float(b_h[-1])
        self.n_sweeps_done += b_J.size * thin
        return out[0], out[1]

    def __repr__(self) -> str:
        return (
            f"Sampler({self.model!r}, beta={self._beta_J:g}, method={self.method!r}, "
            f"n_chains={self.n_chains}, seed={self.seed}, n_sweeps_done={self.n_sweeps_done})"
        )


def sample(
    model: IsingModel | PottsModel,
    beta: float,
    n_sweeps: int,
    *,
    method: str = "metropolis",
    n_chains: int = 1,
    burn_in: int = 0,
    thin: int = 1,
    init: str | ArrayLike = "random",
    seed: SeedLike = None,
    n_threads: int | None = None,
    return_states: bool = False,
    progress: bool = False,
) -> SampleResult:
    """Sample configurations of a model by Markov chain Monte Carlo.

    Parameters
    ----------
    model : IsingModel or PottsModel
    beta : float
        Inverse temperature (>= 0).
    n_sweeps : int
        Sweeps after burn-in; a record is taken every `thin` sweeps.
    method : {"metropolis", "heatbath", "swendsen-wang", "wolff"}, optional
        See :mod:`isingbio.sampling` for what each does and where it applies.
    n_chains : int, optional
        Independent chains (parallel over threads).
    burn_in : int, optional
        Sweeps discarded before recording.
    thin : int, optional
        Sweeps between records.
    init : {"random", "ordered"} or array_like, optional
        Starting states (see :class:`Sampler`). Start ordered-phase runs ordered.
    seed : int, numpy Generator or SeedSequence, optional
        The same seed gives the same result whatever `n_threads` is.
    n_threads : int, optional
        OpenMP threads (default: all available cores).
    return_states : bool, optional
        Also return every recorded configuration.
    progress : bool, optional
        Show a progress bar on stderr.

    Warns
    -----
    SamplingWarning
        The run is too short to trust (see :meth:`SampleResult.check`: under 50 tau_int per
        chain, a burn-in under 3 tau_int, nothing recorded, Wolff sweeps far from L flips);
        the messages are also in ``result.warnings`` and ``result.summary()``.

    Returns
    -------
    SampleResult
        Energies, magnetisations, final states, the seed used, acceptance rate or mean
        cluster size; ``.estimate()``, ``.mean()``, ``.stderr()`` and ``.tau_int()`` give
        autocorrelation-aware statistics.

    Examples
    --------
    >>> import isingbio
    >>> model = isingbio.IsingModel.lattice((32, 32))
    >>> res = isingbio.sample(model, beta=0.3, n_sweeps=2000, burn_in=200, seed=1)
    >>> e, err = res.estimate("energy_per_site")
    >>> res.warnings  # long enough: no SamplingWarning
    []
    """
    beta = check_beta(beta)
    burn_in = check_positive_int(burn_in, "burn_in", minimum=0)
    sampler = Sampler(model, beta, method=method, n_chains=n_chains, init=init, seed=seed, n_threads=n_threads)
    start = time.perf_counter()
    sampler.burn(burn_in, progress=progress)
    burn_time = time.perf_counter() - start
    result = sampler.run(n_sweeps, thin, return_states=return_states, progress=progress)
    result.burn_in = burn_in
    result.elapsed += burn_time
    result.warnings = result.check(init if isinstance(init, str) else None)
    for message in result.warnings:
        warnings.warn(message, SamplingWarning, stacklevel=2)
    return result
