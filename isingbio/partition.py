"""One front door to log Z: annealed importance sampling or parallel tempering.

:func:`logz` estimates log Z(beta) = log sum_x exp(-beta H(x)) of any model by one of two
independent routes, and returns the same :class:`LogZResult` for both, so that they can be
put side by side:

``method="ais"``
    :func:`isingbio.ais` (annealing from the independent-site model, forward and, by
    default here, reverse: a stochastic lower and upper bound).
``method="tempering"``
    :func:`isingbio.tempering` on a ladder from beta = 0 (uniform law, log Z(0) = N log q) to
    beta, then :func:`~isingbio.free_energy.mbar` and
    :func:`~isingbio.free_energy.thermodynamic_integration` on the recorded energies. The
    reported value is MBAR's when neighbouring energy histograms overlap (the usual case for
    a ladder that tempers well), else thermodynamic integration's; both are kept.

The default ladder has n_rungs = clip(1.5 beta sigma_0 + 2, 8, 64) rungs, with sigma_0 the
standard deviation of H under the uniform law (estimated from 256 random states): this keeps
beta_{k+1} - beta_k below 1/sigma(H) at high temperature. On the 16x16 torus at T_c (17
rungs) the least swap acceptance is then about 0.5. stderr^2 x seconds was flat within about
20% from 12 to 32 rungs on that torus (8 rungs: 30% worse, least acceptance 0.16) and from 8
to 22 rungs on a 5x5 Gaussian glass at beta = 1.5 (19 by default).

``ladder="linear"`` (default) spaces the rungs evenly in beta, ``"geometric"`` puts a 0 rung
below a geometric ladder from beta / (2 (n - 1)) to beta; tempering's adaptive ladder
(``adapt=True``, during burn-in) then moves the inner rungs towards equal swap acceptance,
which puts them densest where the specific heat peaks. Measured with
benchmarks/bench_logz.py (figures in benchmarks/README.md): linear and geometric starts were
within 10% of each other in stderr^2 x seconds (linear ahead on the glass), and adaptation
gave 35% less than a fixed linear ladder on the torus and the same on the glass.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ._random import as_seed_sequence, seed_entropy
from ._typing import SeedLike
from ._validation import check_beta, check_positive_int
from .errors import InputError
from .models import IsingModel, PottsModel

if TYPE_CHECKING:
    from .annealed_importance import AISResult
    from .free_energy import MBARResult, TIResult
    from .parallel_tempering import TemperingResult

__all__ = ["logz", "LogZResult", "LOGZ_METHODS", "ESTIMATORS", "default_ladder"]

LOGZ_METHODS = ("ais", "tempering")
ESTIMATORS = ("auto", "mbar", "ti")
LADDERS = ("linear", "geometric")


@dataclass
class LogZResult:
    """log Z(beta) and how it was obtained (:func:`logz`); the same fields for both methods.

    Attributes
    ----------
    log_z, stderr : float
        The estimate and its standard error.
    beta : float
    method : {"ais", "tempering"}
    estimator : {"ais", "mbar", "ti", "exact"}
        What gave ``log_z``: AIS (forward and reverse combined by BAR, or forward only), MBAR or thermodynamic
        integration on the tempering ladder; "exact" at beta = 0 (N log q).
    n_sites, q : int
    log_z_base : float
        Exact log Z of the starting point (AIS base, or N log q at beta = 0).
    betas : ndarray of float64
        The path: AIS inverse temperatures of the couplings (schedule x beta), or the
        tempering ladder (after adaptation).
    log_z_ti, stderr_ti, log_z_mbar, stderr_mbar : float or None
        Both tempering estimators (None for AIS, or MBAR where histograms do not overlap).
    lower, upper : float or None
        AIS stochastic bounds (forward, reverse).
    ais : AISResult or None
    tempering : TemperingResult or None
    ti : TIResult or None
    mbar : MBARResult or None
        The results underneath (log Z at every rung for tempering).
    seed : int
        Reproduces the run.
    elapsed : float
        Seconds.
    notes : list of str
        What was skipped and why.
    """

    log_z: float
    stderr: float
    beta: float
    method: str
    estimator: str
    n_sites: int
    q: int
    log_z_base: float
    betas: np.ndarray
    seed: int
    elapsed: float
    log_z_ti: float | None = None
    stderr_ti: float | None = None
    log_z_mbar: float | None = None
    stderr_mbar: float | None = None
    lower: float | None = None
    upper: float | None = None
    ais: AISResult | None = None
    tempering: TemperingResult | None = None
    ti: TIResult | None = None
    mbar: MBARResult | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def log_z_per_site(self) -> float:
        """log Z / N."""
        return self.log_z / self.n_sites

    def summary(self) -> str:
        """A few lines: the estimate, how it was made, the other estimator, notes."""
        lines = [
            f"log Z by {self.method} ({self.estimator}): beta = {self.beta:.6g}, {self.n_sites} sites, "
            f"seed {self.seed}",
            f"  log Z              {self.log_z:.6f} +/- {self.stderr:.6f}   (per site {self.log_z_per_site:.6f})",
        ]
        if self.method == "ais" and self.ais is not None:
            res = self.ais
            lines.append(
                f"  path               {res.n_chains} chains x {res.n_steps} steps ({res.schedule_name}, "
                f"{res.method}), base '{res.base}' log Z_0 = {self.log_z_base:.6f}"
            )
            lines.append(
                f"  forward (lower)    {res.log_z_forward:.6f} +/- {res.stderr_forward:.6f}   ESS {res.ess:.1f}"
            )
            if res.bidirectional:
                lines.append(f"  reverse (upper)    {res.log_z_reverse:.6f} +/- {res.stderr_reverse:.6f}")
        if self.method == "tempering" and self.tempering is not None:
            t = self.tempering
            n_runs, n_rungs, n_rec = t.energy.shape
            acc = np.asarray(t.swap_acceptance)
            lines.append(
                f"  ladder             {n_rungs} rungs from beta 0 to {self.beta:.6g}, {n_runs} run(s) x {n_rec} "
                f"records ({t.method}), log Z(0) = N log q = {self.log_z_base:.6f}"
            )
            lines.append(
                f"  swap acceptance    min {acc.min():.3f}, mean {acc.mean():.3f}; round trips {_round_trips(t)}"
            )
            if self.log_z_mbar is not None:
                lines.append(f"  MBAR               {self.log_z_mbar:.6f} +/- {self.stderr_mbar:.6f}")
            if self.log_z_ti is not None and self.ti is not None:
                k = -1
                lines.append(
                    f"  TI                 {self.log_z_ti:.6f} +/- {self.stderr_ti:.6f}   (statistical "
                    f"{self.ti.stderr_statistical[k]:.2g}, quadrature {self.ti.quadrature_error[k]:.2g})"
                )
        lines.extend(f"  note               {n}" for n in self.notes)
        lines.append(f"  time               {self.elapsed:.3f} s")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"LogZResult(log_z={self.log_z:.8g}, stderr={self.stderr:.2g}, method={self.method!r}, "
            f"estimator={self.estimator!r})"
        )


def _round_trips(t: Any) -> str:
    trips = np.asarray(t.round_trips)
    return str(int(trips.sum()))


def _check_model(model: Any) -> None:
    if not isinstance(model, (IsingModel, PottsModel)):
        raise InputError(f"logz needs an IsingModel or PottsModel, got {type(model).__name__}")


def uniform_energy_spread(model: IsingModel | PottsModel, seed: SeedLike = 0, n: int = 256) -> float:
    """Standard deviation of H under the uniform law, from `n` random states."""
    rng = np.random.default_rng(seed)
    if isinstance(model, IsingModel):
        x = rng.choice(np.array([-1, 1], dtype=np.int8), size=(n, model.n_sites))
    else:
        x = rng.integers(0, model.q, size=(n, model.n_sites), dtype=np.int8)
    return float(np.std(model.energy(x)))


def default_ladder(
    model: IsingModel | PottsModel, beta: float, n_rungs: int | None = None, ladder: str = "linear"
) -> np.ndarray:
    """A tempering ladder from beta = 0 to `beta` (see :mod:`isingbio.partition`).

    Parameters
    ----------
    model : IsingModel or PottsModel
    beta : float
        Top of the ladder (> 0).
    n_rungs : int, optional
        Default: clip(1.5 beta sigma_0 + 2, 8, 64), sigma_0 the spread of H under the uniform law.
    ladder : {"linear", "geometric"}, optional

    Returns
    -------
    ndarray of float64, shape (n_rungs,)
        Increasing, first 0, last `beta`.
    """
    beta = check_beta(beta)
    if beta <= 0:
        raise InputError("a tempering ladder needs beta > 0")
    if n_rungs is None:
        n_rungs = int(np.clip(math.ceil(1.5 * beta * uniform_energy_spread(model)) + 2, 8, 64))
    n_rungs = check_positive_int(n_rungs, "n_rungs", minimum=2)
    if ladder == "linear":
        return np.linspace(0.0, beta, n_rungs)
    if ladder == "geometric":
        if n_rungs == 2:
            return np.array([0.0, beta])
        low = beta / (2 * (n_rungs - 1))
        return np.concatenate([[0.0], np.geomspace(low, beta, n_rungs - 1)])
    raise InputError(f"ladder must be one of {', '.join(LADDERS)} or an array of betas, got {ladder!r}")


def _user_ladder(betas: Any, beta: float) -> np.ndarray:
    b = np.asarray(betas, dtype=np.float64)
    if b.ndim != 1 or b.size < 2 or b[0] != 0.0 or not math.isclose(b[-1], beta, rel_tol=1e-12):
        raise InputError(f"ladder must be an increasing array of betas from 0 to beta = {beta}, got {betas!r}")
    if np.any(np.diff(b) <= 0) or not np.all(np.isfinite(b)):
        raise InputError("ladder betas must be finite and increase strictly")
    return b


def logz(
    model: IsingModel | PottsModel,
    beta: float = 1.0,
    *,
    method: str = "ais",
    seed: SeedLike = None,
    n_threads: int | None = None,
    progress: bool = False,
    **options: Any,
) -> LogZResult:
    """log Z(beta) by annealed importance sampling or by parallel tempering.

    Parameters
    ----------
    model : IsingModel or PottsModel
        Any form.
    beta : float, optional
        Inverse temperature of exp(-beta H) (>= 0; at 0, log Z = N log q exactly).
    method : {"ais", "tempering"}, optional
    seed : int, numpy Generator or SeedSequence, optional
        The same seed gives the same result whatever `n_threads` is.
    n_threads : int, optional
    progress : bool, optional
    **options
        ``method="ais"``: any option of :func:`isingbio.ais` (n_chains, n_steps, schedule,
        sweeps_per_step, base, bidirectional (default True here), ...), and
        ``sampling_method`` for its `method` (the Markov kernel).

        ``method="tempering"``: ``n_sweeps`` (default 2000 recorded sweeps), ``burn_in``
        (default n_sweeps / 4), ``n_rungs`` (default: see :func:`default_ladder`),
        ``ladder`` ("linear", "geometric" or an array of betas from 0 to beta), ``n_runs``
        (default 2), ``sampling_method`` (default "metropolis"), ``swap_every``, ``thin``,
        ``adapt`` (default True), and ``estimator``: "auto" (MBAR when neighbouring energy
        histograms overlap, else TI), "mbar" or "ti".

    Returns
    -------
    LogZResult
        ``log_z``, ``stderr``, ``method``, ``estimator`` and the results underneath.

    Raises
    ------
    InputError
        Unknown method or option, bad ladder; ``estimator="mbar"`` on a ladder whose
        neighbouring energy histograms do not overlap.

    Examples
    --------
    >>> import isingbio
    >>> model = isingbio.IsingModel.lattice((4, 4))
    >>> res = isingbio.logz(model, 0.4, method="ais", n_chains=64, n_steps=200, seed=1)
    >>> exact = isingbio.exact.ising_torus_log_partition(4, 4, 0.4)
    >>> bool(abs(res.log_z - exact) < 5 * res.stderr)
    True
    """
    _check_model(model)
    beta = check_beta(beta)
    if method not in LOGZ_METHODS:
        raise InputError(f"method must be one of {', '.join(LOGZ_METHODS)}, got {method!r}")
    seq = as_seed_sequence(seed)
    start = time.perf_counter()
    if beta == 0.0:
        exact = model.n_sites * math.log(model.q)
        return LogZResult(
            log_z=exact,
            stderr=0.0,
            beta=0.0,
            method=method,
            estimator="exact",
            n_sites=model.n_sites,
            q=model.q,
            log_z_base=exact,
            betas=np.zeros(1),
            seed=seed_entropy(seq),
            elapsed=0.0,
            notes=["beta = 0: the uniform law, log Z = N log q"],
        )
    if method == "ais":
        return _by_ais(model, beta, seq, n_threads, progress, start, options)
    return _by_tempering(model, beta, seq, n_threads, progress, start, options)


def _by_ais(model, beta, seq, n_threads, progress, start, options) -> LogZResult:
    from .annealed_importance import ais

    opts = dict(options)
    if "method" in opts:
        raise InputError("pass the Markov kernel as sampling_method=...: method is 'ais' or 'tempering'")
    if "sampling_method" in opts:
        opts["method"] = opts.pop("sampling_method")
    opts.setdefault("bidirectional", True)
    try:
        res = ais(model, beta, seed=seq, n_threads=n_threads, progress=progress, **opts)
    except TypeError as exc:
        raise InputError(f"logz(method='ais'): {exc}") from None
    return LogZResult(
        log_z=res.log_z,
        stderr=res.stderr,
        beta=beta,
        method="ais",
        estimator="ais",
        n_sites=model.n_sites,
        q=model.q,
        log_z_base=res.log_z_base,
        betas=res.schedule * beta,
        seed=res.seed,
        elapsed=time.perf_counter() - start,
        lower=res.log_z_forward,
        upper=res.log_z_reverse,
        ais=res,
    )


_TEMPERING_OPTIONS = {
    "n_sweeps",
    "burn_in",
    "n_rungs",
    "ladder",
    "n_runs",
    "sampling_method",
    "swap_every",
    "thin",
    "adapt",
    "estimator",
}


def _by_tempering(model, beta, seq, n_threads, progress, start, options) -> LogZResult:
    from .free_energy import mbar, thermodynamic_integration
    from .parallel_tempering import tempering

    unknown = sorted(set(options) - _TEMPERING_OPTIONS)
    if unknown:
        raise InputError(
            f"unknown option(s) for logz(method='tempering'): {', '.join(unknown)}; "
            f"choose from {', '.join(sorted(_TEMPERING_OPTIONS))}"
        )
    estimator = options.get("estimator", "auto")
    if estimator not in ESTIMATORS:
        raise InputError(f"estimator must be one of {', '.join(ESTIMATORS)}, got {estimator!r}")
    n_sweeps = check_positive_int(options.get("n_sweeps", 2000), "n_sweeps", minimum=2)
    burn_in = options.get("burn_in")
    burn_in = n_sweeps // 4 if burn_in is None else check_positive_int(burn_in, "burn_in", minimum=0)
    ladder = options.get("ladder", "linear")
    if isinstance(ladder, str):
        betas = default_ladder(model, beta, options.get("n_rungs"), ladder)
    else:
        if options.get("n_rungs") is not None:
            raise InputError("give n_rungs or an array ladder, not both")
        betas = _user_ladder(ladder, beta)
    n_runs = check_positive_int(options.get("n_runs", 2), "n_runs")
    kwargs: dict[str, Any] = dict(
        method=options.get("sampling_method", "metropolis"),
        swap_every=options.get("swap_every", 1),
        n_runs=n_runs,
        burn_in=burn_in,
        thin=options.get("thin", 1),
        adapt=options.get("adapt", True),
        seed=seq,
        n_threads=n_threads,
        progress=progress,
    )
    t = tempering(model, betas, n_sweeps, **kwargs)
    betas = np.asarray(t.betas, dtype=np.float64)  # after adaptation (endpoints kept)
    energy = np.asarray(t.energy, dtype=np.float64)
    log_z0 = model.n_sites * math.log(model.q)
    notes: list[str] = [f"tempering: {w}" for w in getattr(t, "warnings", None) or []]
    ti = thermodynamic_integration(betas, energy, log_z0=log_z0)
    mb = None
    if estimator in ("auto", "mbar"):
        try:
            mb = mbar(betas, energy, log_z0=log_z0)
        except InputError as exc:
            if estimator == "mbar":
                raise
            notes.append(f"MBAR skipped: {exc}")
    use_mbar = mb is not None and estimator != "ti"
    log_z, stderr = (mb.log_z[-1], mb.stderr[-1]) if use_mbar and mb is not None else (ti.log_z[-1], ti.stderr[-1])
    return LogZResult(
        log_z=float(log_z),
        stderr=float(stderr),
        beta=beta,
        method="tempering",
        estimator="mbar" if use_mbar else "ti",
        n_sites=model.n_sites,
        q=model.q,
        log_z_base=log_z0,
        betas=betas,
        seed=seed_entropy(seq),
        elapsed=time.perf_counter() - start,
        log_z_ti=float(ti.log_z[-1]),
        stderr_ti=float(ti.stderr[-1]),
        log_z_mbar=None if mb is None else float(mb.log_z[-1]),
        stderr_mbar=None if mb is None else float(mb.stderr[-1]),
        tempering=t,
        ti=ti,
        mbar=mb,
        notes=notes,
    )
