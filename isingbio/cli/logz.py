"""``isingbio logz``: log partition function by annealed importance sampling or tempering.

For a lattice model (``--shape 16x16 --q 2 --J 1 --h 0 --temperature 2.269``) or a saved
model file (``isingbio logz model.npz --beta 1``). ``--method ais`` (default) prints log Z
with its standard error and, by default, the forward (lower) and reverse (upper) stochastic
bounds and their gap; ``--method tempering`` runs parallel tempering on a ladder from beta = 0
and integrates (MBAR, thermodynamic integration). Both go through :func:`isingbio.logz`.
For compatibility, ``--method heatbath`` (or another kernel) still means AIS with that kernel.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InputError
from .common import (
    BINARY,
    FIGURE,
    add_common_options,
    add_lattice_options,
    atomic_paths,
    check_outputs,
    critical_beta,
    inverse_temperature,
    lattice_model,
    show_progress,
)

if TYPE_CHECKING:
    from ..annealed_importance import AISResult
    from ..models import IsingModel, PottsModel
    from ..partition import LogZResult

_KERNELS = ["auto", "heatbath", "metropolis", "swendsen-wang", "wolff"]
# options of one method only: (dest, flag); given with the other method they are refused
_AIS_ONLY = [
    ("chains", "--chains"),
    ("steps", "--steps"),
    ("schedule", "--schedule"),
    ("sweeps_per_step", "--sweeps-per-step"),
    ("base", "--base"),
    ("equilibration_sweeps", "--equilibration-sweeps"),
    ("scheduler", "--scheduler"),
    ("workers", "--workers"),
]
_TEMPERING_ONLY = [
    ("rungs", "--rungs"),
    ("sweeps", "--sweeps"),
    ("burn_in", "--burn-in"),
    ("runs", "--runs"),
    ("ladder", "--ladder"),
    ("estimator", "--estimator"),
]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "logz",
        help="log partition function by annealed importance sampling (with bounds) or tempering",
        description="Estimate log Z of an Ising or Potts model by annealed importance sampling (AIS) "
        "from the independent-site model, with a standard error; by default also run reverse "
        "AIS from equilibrium states, which gives a stochastic upper bound: the two sandwich "
        "log Z. With --method tempering: parallel tempering from beta = 0 to beta, then MBAR "
        "and thermodynamic integration of the mean energy (an independent second estimate). "
        "The model is a periodic lattice (--shape, --q, --J, --h) or a saved model file.",
    )
    p.add_argument(
        "model",
        nargs="?",
        default=None,
        metavar="MODEL.npz",
        help="saved model file (isingbio.io.save_model); default: a lattice model from --shape etc.",
    )
    add_lattice_options(
        p, "16x16", "temperature (default for a 2D lattice: its critical point; for a model file: beta = 1)"
    )
    p.add_argument(
        "--method",
        default="ais",
        choices=["ais", "tempering", *_KERNELS],
        help="ais (default) or tempering; a kernel name (as before) means AIS with that kernel",
    )
    p.add_argument(
        "--sampler",
        default=None,
        choices=_KERNELS,
        help="Markov kernel (default auto: AIS: metropolis for Ising, heatbath for Potts; tempering: metropolis)",
    )
    p.add_argument("--chains", type=int, default=None, help="AIS: independent annealing runs (default 256)")
    p.add_argument("--steps", type=int, default=None, help="AIS: annealing steps (default 2000)")
    p.add_argument(
        "--rungs",
        type=int,
        default=None,
        help="tempering: temperatures from beta = 0 to beta (default: from the energy spread, 8-64)",
    )
    p.add_argument("--sweeps", type=int, default=None, help="tempering: recorded sweeps (default 2000)")
    p.add_argument("--burn-in", type=int, default=None, help="tempering: sweeps discarded first (default sweeps/4)")
    p.add_argument("--runs", type=int, default=None, help="tempering: independent tempering runs (default 2)")
    p.add_argument(
        "--ladder", default=None, choices=["linear", "geometric"], help="tempering: initial ladder (default linear)"
    )
    p.add_argument(
        "--estimator",
        default=None,
        choices=["auto", "mbar", "ti"],
        help="tempering: MBAR, thermodynamic integration, or auto (MBAR where histograms overlap; default)",
    )
    p.add_argument(
        "--schedule",
        default=None,
        choices=["linear", "sigmoid", "adaptive"],
        help="placement of the steps (default adaptive: a pilot run puts them where the log-weights change most)",
    )
    p.add_argument("--sweeps-per-step", type=int, default=None, help="AIS: sweeps at each step (default 1)")
    p.add_argument(
        "--base",
        default=None,
        choices=["fields", "uniform"],
        help="base distribution: independent sites with the model's fields (default) or uniform",
    )
    p.add_argument(
        "--forward-only", action="store_true", help="AIS: skip the reverse pass (no upper bound; half the time)"
    )
    p.add_argument(
        "--equilibration-sweeps",
        type=int,
        default=None,
        metavar="N",
        help="AIS: sweeps that make the reverse pass's equilibrium states from the forward pass's "
        "final ones (default: 50 of swendsen-wang where it applies, else max(500, "
        "steps x sweeps-per-step / 2) of the AIS method)",
    )
    p.add_argument(
        "--exact",
        action="store_true",
        help="also print the exact log Z where it is available (2D Ising torus in zero field: "
        "Kaufman; models with at most 2^26 configurations: enumeration)",
    )
    from .batch import add_cluster_options

    add_cluster_options(p)  # chains split into groups over Dask workers; the same log Z
    add_common_options(
        p,
        output="write an .npz: AIS log-weights, traces and schedule; tempering: log Z at every rung",
        plot="write a PNG: AIS log-weight traces and running estimate; tempering: E, C and swap rates against T",
    )
    p.set_defaults(func=run)
    return p


def _build_model(args: argparse.Namespace) -> tuple[IsingModel | PottsModel, str]:
    if args.model is not None:
        from ..io import load_model

        return load_model(args.model), f"model from {args.model}"
    return lattice_model(args)


def _beta(args, model) -> float:
    beta = inverse_temperature(args, model)
    if beta is not None:
        return beta
    return 1.0 if args.model is not None else critical_beta(args, model)


def _exact(model: IsingModel | PottsModel, beta: float) -> float | None:
    """Exact log Z where cheap, else None."""
    from .. import exact
    from ..models import IsingModel, PottsModel

    try:
        lattice_J, periodic = model.lattice_J, model.periodic  # both None unless a lattice model
        if (
            isinstance(model, IsingModel)
            and lattice_J is not None
            and periodic is not None
            and len(model.shape) == 2
            and all(periodic)
            and model.uniform_field == 0.0
            and lattice_J[0] == lattice_J[1]
        ):
            return float(exact.ising_torus_log_partition(model.shape[0], model.shape[1], beta, J=float(lattice_J[0])))
        if (
            isinstance(model, PottsModel)
            and lattice_J is not None
            and periodic is not None
            and len(model.shape) == 2
            and model.uniform_field is not None
        ):
            (n0, n1), (j0, j1), (p0, p1) = model.shape, lattice_J, periodic
            if n1 > n0:  # transfer along the longer axis: rows of the shorter one
                n0, n1, j0, j1, p0, p1 = n1, n0, j1, j0, p1, p0
            if model.q**n1 <= 19683:
                return float(
                    exact.potts_transfer_log_partition(
                        model.q,
                        n1,
                        n0,
                        beta,
                        J=(float(j0), float(j1)),
                        h=np.asarray(model.uniform_field, dtype=np.float64),
                        periodic_width=bool(p1),
                        periodic_length=bool(p0),
                    )
                )
        return float(exact.log_partition(model, beta, max_configurations=1 << 26))
    except Exception:  # too large or not supported: no exact value
        return None


def _route(args: argparse.Namespace) -> tuple[str, str]:
    """(method, kernel) from --method and --sampler; refuse options of the other method."""
    method, kernel = args.method, args.sampler
    if method not in ("ais", "tempering"):  # a kernel name: AIS with it, as before
        if kernel is not None and kernel != method:
            raise InputError(f"--method {method} is a kernel (AIS with it) but --sampler says {kernel}")
        method, kernel = "ais", method
    others = _TEMPERING_ONLY if method == "ais" else _AIS_ONLY
    given = [flag for dest, flag in others if getattr(args, dest, None) is not None]
    if method == "tempering" and args.forward_only:
        given.append("--forward-only")
    if given:
        raise InputError(f"{', '.join(given)} do(es) not apply to --method {method}")
    if method == "tempering" and kernel == "auto":
        kernel = None
    return method, kernel or ("auto" if method == "ais" else "metropolis")


def _positive(value: int | None, flag: str, minimum: int = 1) -> None:
    if value is not None and value < minimum:
        raise InputError(f"{flag} must be >= {minimum}, got {value}")


def run(args: argparse.Namespace) -> int:
    check_outputs(args, [(args.output, "-o", BINARY), (args.plot, "--plot", FIGURE)], [(args.model, "MODEL")])
    method, kernel = _route(args)
    for dest, flag, minimum in [("rungs", "--rungs", 2), ("sweeps", "--sweeps", 2), ("runs", "--runs", 1)]:
        _positive(getattr(args, dest), flag, minimum)
    _positive(args.burn_in, "--burn-in", 0)
    model, description = _build_model(args)
    beta = _beta(args, model)
    if beta == 0.0 and args.plot:
        raise InputError("--plot needs beta > 0 (at beta = 0, log Z = N log q exactly: nothing is sampled)")
    print(description)
    if beta == 0.0:
        return _run_uniform(args, model, method)
    if method == "ais":
        return _run_ais(args, model, beta, kernel)
    return _run_tempering(args, model, beta, kernel)


def _print_exact(args: argparse.Namespace, model: Any, beta: float, log_z: float, stderr: float) -> float | None:
    if not args.exact:
        return None
    value = _exact(model, beta)
    if value is None:
        print("  exact              not available for this model")
    else:
        print(
            f"  exact              {value:.6f}   (error {log_z - value:+.6f} = "
            f"{(log_z - value) / stderr if stderr > 0 else float('nan'):+.2f} standard errors)"
        )
    return value


def _run_uniform(args: argparse.Namespace, model: Any, method: str) -> int:
    """beta = 0, the uniform law: log Z = N log q exactly, for either method (no sampling)."""
    from ..partition import logz

    res = logz(model, 0.0, method=method, seed=args.seed)
    print(res.summary())
    _print_exact(args, model, 0.0, res.log_z, res.stderr)
    with atomic_paths() as stage:
        if args.output:
            with open(stage(args.output, ".npz"), "wb") as fh:  # a file object: numpy adds no .npz
                np.savez_compressed(
                    fh,
                    log_z=res.log_z,
                    stderr=res.stderr,
                    method=res.method,
                    estimator=res.estimator,
                    beta=0.0,
                    seed=res.seed,
                )
    _wrote(args)
    return 0


def _run_tempering(args: argparse.Namespace, model: Any, beta: float, kernel: str) -> int:
    from ..partition import logz

    options = dict(
        n_rungs=args.rungs,
        n_sweeps=args.sweeps,
        burn_in=args.burn_in,
        n_runs=args.runs,
        ladder=args.ladder,
        estimator=args.estimator,
        sampling_method=kernel,
    )
    res = logz(
        model,
        beta,
        method="tempering",
        seed=args.seed,
        n_threads=args.threads,
        progress=show_progress(args),
        **{k: v for k, v in options.items() if v is not None},
    )
    print(res.summary())
    _print_exact(args, model, beta, res.log_z, res.stderr)
    with atomic_paths() as stage:  # the .npz and the figure, or neither
        if args.output:
            _save_tempering(stage(args.output, ".npz"), res, beta)
        if args.plot:
            from .simulate import plot_ladder

            plot_ladder(res.tempering, stage(args.plot, ".png"), title=f"log Z = {res.log_z:.4f} +/- {res.stderr:.2g}")
    _wrote(args)
    return 0


def _save_tempering(path: str, res: LogZResult, beta: float) -> None:
    assert res.ti is not None and res.tempering is not None, "set by logz(method='tempering')"
    extra: dict[str, Any] = {}
    if res.mbar is not None:
        extra = dict(log_z_mbar=res.mbar.log_z, stderr_mbar=res.mbar.stderr, overlap=res.mbar.overlap)
    with open(path, "wb") as fh:  # a file object: numpy adds no .npz
        np.savez_compressed(
            fh,
            log_z=res.log_z,
            stderr=res.stderr,
            method=res.method,
            estimator=res.estimator,
            beta=beta,
            betas=res.betas,
            log_z_ti=res.ti.log_z,
            stderr_ti=res.ti.stderr,
            mean_energy=res.ti.mean_energy,
            swap_acceptance=np.asarray(res.tempering.swap_acceptance),
            log_z_base=res.log_z_base,
            seed=res.seed,
            **extra,
        )


def _wrote(args: argparse.Namespace) -> None:
    if args.output:
        print(f"wrote {args.output}")
    if args.plot:
        print(f"wrote {args.plot}")


def _run_ais(args: argparse.Namespace, model: Any, beta: float, kernel: str) -> int:
    from ..plot import plot_ais

    options: dict[str, Any] = dict(
        n_chains=256 if args.chains is None else args.chains,
        n_steps=2000 if args.steps is None else args.steps,
        schedule=args.schedule or "adaptive",
        sweeps_per_step=1 if args.sweeps_per_step is None else args.sweeps_per_step,
        base=args.base or "fields",
        bidirectional=not args.forward_only,
        equilibration_sweeps=args.equilibration_sweeps,
        seed=args.seed,
        n_threads=args.threads,
    )
    res: AISResult
    if args.scheduler is not None or args.workers is not None:
        from ..distributed import ais  # the same result, on Dask
        from .batch import cluster_client

        res = ais(model, beta, client=cluster_client(args), n_workers=args.workers, method=kernel, **options)
    else:
        from ..partition import logz

        found = logz(model, beta, method="ais", sampling_method=kernel, progress=show_progress(args), **options)
        assert found.ais is not None, "set by logz(method='ais')"
        res = found.ais
    print(res.summary())
    value = _print_exact(args, model, beta, res.log_z, res.stderr)
    extra: dict[str, Any] = {}  # the reverse pass's fields, for np.savez_compressed
    if res.bidirectional:
        extra = dict(
            log_z_reverse=res.log_z_reverse,
            stderr_reverse=res.stderr_reverse,
            gap=res.gap,
            log_weights_reverse=res.log_weights_reverse,
            trace_reverse=res.trace_reverse,
            trace_steps_reverse=res.trace_steps_reverse,
        )
    with atomic_paths() as stage:  # the .npz and the figure, or neither
        if args.output:
            with open(stage(args.output, ".npz"), "wb") as fh:  # a file object: numpy adds no .npz
                np.savez_compressed(
                    fh,
                    log_z=res.log_z,
                    stderr=res.stderr,
                    log_z_forward=res.log_z_forward,
                    stderr_forward=res.stderr_forward,
                    ess=res.ess,
                    log_weights=res.log_weights,
                    trace=res.trace,
                    trace_steps=res.trace_steps,
                    schedule=res.schedule,
                    log_z_base=res.log_z_base,
                    beta=beta,
                    method=res.method,
                    base=res.base,
                    seed=res.seed,
                    n_chains=res.n_chains,
                    n_steps=res.n_steps,
                    sweeps_per_step=res.sweeps_per_step,
                    **extra,
                )
        if args.plot:
            plot_ais(res, stage(args.plot, ".png"), exact=value)
    _wrote(args)
    return 0
