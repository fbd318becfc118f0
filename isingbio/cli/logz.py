"""``isingbio logz``: log partition function by annealed importance sampling.

For a lattice model (``--shape 16x16 --q 2 --J 1 --h 0 --temperature 2.269``) or a saved
model file (``isingbio logz model.npz --beta 1``). Prints log Z with its standard error and,
by default, the forward (lower) and reverse (upper) stochastic bounds and their gap.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

import numpy as np

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
    from ..models import IsingModel, PottsModel


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "logz",
        help="log partition function by annealed importance sampling (with bounds)",
        description="Estimate log Z of an Ising or Potts model by annealed importance sampling (AIS) "
        "from the independent-site model, with a standard error; by default also run reverse "
        "AIS from equilibrium states, which gives a stochastic upper bound: the two sandwich "
        "log Z. The model is a periodic lattice (--shape, --q, --J, --h) or a saved model file.",
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
    p.add_argument("--chains", type=int, default=256, help="independent annealing runs (default 256)")
    p.add_argument("--steps", type=int, default=2000, help="annealing steps (default 2000)")
    p.add_argument(
        "--schedule",
        default="adaptive",
        choices=["linear", "sigmoid", "adaptive"],
        help="placement of the steps (default adaptive: a pilot run puts them where the log-weights change most)",
    )
    p.add_argument("--sweeps-per-step", type=int, default=1, help="sweeps at each step (default 1)")
    p.add_argument(
        "--method",
        default="auto",
        choices=["auto", "heatbath", "metropolis", "swendsen-wang", "wolff"],
        help="transition kernel (default auto: metropolis for Ising, heatbath for Potts)",
    )
    p.add_argument(
        "--base",
        default="fields",
        choices=["fields", "uniform"],
        help="base distribution: independent sites with the model's fields (default) or uniform",
    )
    p.add_argument("--forward-only", action="store_true", help="skip the reverse pass (no upper bound; half the time)")
    p.add_argument(
        "--equilibration-sweeps",
        type=int,
        default=None,
        metavar="N",
        help="sweeps that make the reverse pass's equilibrium states from the forward pass's "
        "final ones (default: 200 of swendsen-wang where it applies, else max(500, "
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
        output="write an .npz with the log-weights, traces and schedule",
        plot="write a PNG of the log-weight traces and the running estimate",
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


def run(args: argparse.Namespace) -> int:
    from ..annealed_importance import ais
    from ..plot import plot_ais

    check_outputs(args, [(args.output, "-o", BINARY), (args.plot, "--plot", FIGURE)], [(args.model, "MODEL")])
    model, description = _build_model(args)
    beta = _beta(args, model)
    print(description)
    distributed: dict[str, Any] = {}
    if args.scheduler is not None or args.workers is not None:
        from ..distributed import ais  # type: ignore[assignment]  # the same result, on Dask
        from .batch import cluster_client

        distributed = dict(client=cluster_client(args), n_workers=args.workers)
    else:
        distributed = dict(progress=show_progress(args))
    res = ais(
        model,
        beta,
        **distributed,
        n_chains=args.chains,
        n_steps=args.steps,
        schedule=args.schedule,
        sweeps_per_step=args.sweeps_per_step,
        method=args.method,
        base=args.base,
        bidirectional=not args.forward_only,
        equilibration_sweeps=args.equilibration_sweeps,
        seed=args.seed,
        n_threads=args.threads,
    )
    print(res.summary())
    value = None
    if args.exact:
        value = _exact(model, beta)
        if value is None:
            print("  exact              not available for this model")
        else:
            print(
                f"  exact              {value:.6f}   (error {res.log_z - value:+.6f} = "
                f"{(res.log_z - value) / res.stderr if res.stderr > 0 else float('nan'):+.2f} standard errors)"
            )
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
    if args.output:
        print(f"wrote {args.output}")
    if args.plot:
        print(f"wrote {args.plot}")
    return 0
