"""The result of a parallel tempering run (:func:`isingbio.tempering`)."""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import stats
from .errors import InputError

__all__ = ["TemperingResult"]

_OBSERVABLES = ("energy", "energy_per_site", "magnetization", "abs_magnetization", "magnetization2")


@dataclass
class TemperingResult:
    """Recorded series of a parallel tempering run, sorted by rung (not by replica).

    Attributes
    ----------
    betas : ndarray of float64, shape (n_rungs,)
        The ladder used for the production sweeps, increasing (rung 0 is the hottest; a rung
        may be beta = 0, the uniform law). After an adaptive burn-in this is the frozen ladder;
        ``initial_betas`` is the one given.
    energy : ndarray of float64, shape (n_runs, n_rungs, n_records)
        Total energy H(x) of the configuration at rung k; the law at rung k is
        exp(-betas[k] H(x)) / Z(betas[k]) (beta applies to couplings and fields).
    magnetization : ndarray of float64, shape (n_runs, n_rungs, n_records)
        Ising: mean spin. Potts: (q max_a n_a / L - 1) / (q - 1).
    swap_acceptance : ndarray of float64, shape (n_rungs - 1,)
        Accepted / attempted swaps of each neighbouring pair during production (NaN where
        none was attempted).
    round_trips : int
        Round trips of replicas (rung 0 -> rung K - 1 -> rung 0) completed during production,
        summed over runs.
    round_trip_time : float
        Mean sweeps per round trip (NaN when none was completed).
    states : ndarray of int8, shape (n_runs, n_rungs, n_sites), or None
        Final configuration at each rung (with ``return_states=True``).
    n_sites, q, model, method, seed, n_sweeps, burn_in, thin, swap_every, n_threads, elapsed
        The run's settings (n_sweeps after burn-in; elapsed in seconds).
    flow_fraction : ndarray of float64, shape (n_rungs,)
        Fraction of the replicas seen at rung k that had last visited rung 0 rather than
        the last rung (Katzgraber et al. 2006; NaN where neither).
    overlap_samples : ndarray of float64, shape (n_pairs, n_rungs, n_records), or None
        Replica overlap between every pair of runs (i < j) at each record (n_runs >= 2).
    swap_attempts : ndarray of int64, shape (n_rungs - 1,)
        Swaps attempted per neighbouring pair during production.
    recorded_states : ndarray of int8, shape (n_runs, n_rungs, n_records, n_sites), or None
        The configuration of every rung at every record (``record_states=True`` of
        :meth:`TemperingSampler.run`).
    warnings : list of str
        Why the estimates may not be trusted (low swap acceptance, no round trips).
    """

    betas: np.ndarray
    energy: np.ndarray
    magnetization: np.ndarray
    swap_acceptance: np.ndarray
    round_trips: int
    round_trip_time: float
    n_sites: int
    q: int
    model: Any
    method: str
    seed: int
    n_sweeps: int
    burn_in: int
    thin: int
    swap_every: int
    n_threads: int
    elapsed: float
    states: np.ndarray | None = None
    initial_betas: np.ndarray | None = None
    flow_fraction: np.ndarray | None = None
    overlap_samples: np.ndarray | None = None
    swap_attempts: np.ndarray | None = None
    recorded_states: np.ndarray | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def n_runs(self) -> int:
        return int(self.energy.shape[0])

    @property
    def n_rungs(self) -> int:
        return int(self.betas.size)

    @property
    def n_records(self) -> int:
        return int(self.energy.shape[2])

    @property
    def temperatures(self) -> np.ndarray:
        """1 / betas (inf at beta = 0)."""
        with np.errstate(divide="ignore"):
            return 1.0 / self.betas

    def _rung(self, rung: int) -> int:
        if isinstance(rung, (bool, np.bool_)) or not isinstance(rung, (numbers.Integral, np.integer)):
            raise InputError(f"rung must be an integer in 0..{self.n_rungs - 1}, got {rung!r}")
        k = int(rung)
        if not -self.n_rungs <= k < self.n_rungs:
            raise InputError(f"rung must be in 0..{self.n_rungs - 1}, got {rung}")
        return k % self.n_rungs

    def series(self, observable: str = "energy", rung: int = 0) -> np.ndarray:
        """The series of an observable at one rung, shape (n_runs, n_records)."""
        k = self._rung(rung)
        table = {
            "energy": lambda: self.energy[:, k],
            "energy_per_site": lambda: self.energy[:, k] / self.n_sites,
            "magnetization": lambda: self.magnetization[:, k],
            "abs_magnetization": lambda: np.abs(self.magnetization[:, k]),
            "magnetization2": lambda: self.magnetization[:, k] ** 2,
        }
        if observable not in table:
            raise InputError(f"unknown observable {observable!r}; choose one of {', '.join(_OBSERVABLES)}")
        return table[observable]()

    def estimate(self, observable: str = "energy", rung: int = 0) -> stats.Estimate:
        """Mean, autocorrelation-aware standard error and tau_int (in records) at one rung.

        observable is one of "energy", "energy_per_site", "magnetization",
        "abs_magnetization", "magnetization2"; the runs are pooled as chains.
        """
        if self.n_records == 0:
            raise InputError("no records: run with n_sweeps >= thin")
        return stats.mean_and_error(self.series(observable, rung))

    def estimates(self, observable: str = "energy") -> list[stats.Estimate]:
        """:meth:`estimate` at every rung, hottest first."""
        return [self.estimate(observable, k) for k in range(self.n_rungs)]

    def specific_heat(self, rung: int = 0) -> float:
        """Specific heat per site at one rung, beta^2 var(H) / L (pooled over runs)."""
        k = self._rung(rung)
        return float(self.betas[k] ** 2 * self.energy[:, k].var() / self.n_sites)

    def overlap(self, rung: int = 0) -> np.ndarray:
        """Replica overlap samples at one rung, shape (n_pairs, n_records).

        Pairs are the runs (i, j), i < j, in order (0, 1), (0, 2), ..., (1, 2), ...; the
        overlap of two configurations is (1/L) sum_i s_i t_i (Ising) or the mean of
        (q delta(x_i, y_i) - 1) / (q - 1) (Potts). Needs ``n_runs >= 2``.
        """
        if self.overlap_samples is None:
            raise InputError("the replica overlap needs n_runs >= 2 independent runs")
        return self.overlap_samples[:, self._rung(rung)]

    def overlap_distribution(self, rung: int = 0, bins: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Histogram of the overlap at one rung: (density, bin edges) over [-1, 1].

        The default bins are one per possible value of an Ising overlap (L + 1, at most 201).
        """
        q = self.overlap(rung).ravel()
        if bins is None:
            bins = min(self.n_sites + 1, 201)
        density, edges = np.histogram(q, bins=int(bins), range=(-1.0 - 1e-9, 1.0 + 1e-9), density=True)
        return density, edges

    def summary(self) -> str:
        """A table per rung (T, beta, mean energy per site and its error, mean absolute
        magnetisation, swap acceptance) and the round trips."""
        lines = [
            f"parallel tempering, {self.method}, {self.n_rungs} rungs x {self.n_runs} run(s), "
            f"{self.n_sweeps} sweeps after {self.burn_in} burn-in, swaps every {self.swap_every}, "
            f"thin {self.thin}, seed {self.seed}",
            f"{'rung':>4} {'T':>10} {'beta':>10} {'E/L':>12} {'+/-':>9} {'<|m|>':>8} {'swap':>6}",
        ]
        for k in range(self.n_rungs):
            if self.n_records >= 2:
                e = self.estimate("energy_per_site", k)
                m = float(np.abs(self.magnetization[:, k]).mean())
                cells = f"{e.mean:12.6g} {e.stderr:9.2g} {m:8.4f}"
            else:
                cells = f"{'-':>12} {'-':>9} {'-':>8}"
            acc = f"{self.swap_acceptance[k]:6.3f}" if k < self.n_rungs - 1 else ""
            t = self.temperatures[k]
            lines.append(f"{k:4d} {t:10.5g} {self.betas[k]:10.5g} {cells} {acc}")
        trip = f"{self.round_trip_time:.4g} sweeps" if np.isfinite(self.round_trip_time) else "n/a"
        lines.append(f"round trips: {self.round_trips} (mean time {trip}); elapsed {self.elapsed:.3g} s")
        lines.extend(f"warning: {w}" for w in self.warnings)
        return "\n".join(lines)
