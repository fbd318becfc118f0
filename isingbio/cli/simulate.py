"""``isingbio simulate``: Monte Carlo on a lattice, one temperature, a scan or a tempering ladder.

``--tempering T_min:T_max:n`` runs parallel tempering (:func:`isingbio.tempering`) on n
temperatures spaced geometrically from T_min to T_max, on the lattice of the options or on a
saved model file, and prints the per-temperature table (E/N, C/N, |m| with errors), the swap
acceptance of each neighbouring pair and the round trips of the replicas.
"""

from __future__ import annotations

import argparse
import math
import warnings
from typing import Any

import numpy as np

from ..errors import InputError, SamplingWarning
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


def _temperature_range(text: str) -> np.ndarray:
    """'2.0:2.6:13' -> 13 temperatures from 2.0 to 2.6; '2.0,2.2,2.5' -> a list."""
    try:
        if ":" in text:
            lo, hi, n = text.split(":")
            values = np.linspace(float(lo), float(hi), int(n))
        else:
            values = np.array([float(v) for v in text.split(",")])
    except ValueError:
        raise InputError(f"--temperatures must look like 2.0:2.6:13 or 2.0,2.2,2.4, got {text!r}") from None
    if values.size == 0 or not np.all(np.isfinite(values)) or np.any(values <= 0):
        raise InputError(f"--temperatures must be finite and > 0, got {text!r}")
    return values


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "simulate",
        help="Monte Carlo simulation of an Ising or Potts model on a lattice",
        description="Sample an Ising (q = 2) or q-state Potts model on a periodic lattice and print "
        "energy, magnetisation and specific heat with error bars. With --temperatures, "
        "scan a range and show the phase transition.",
    )
    p.add_argument(
        "model",
        nargs="?",
        default=None,
        metavar="MODEL.npz",
        help="saved model file (with --tempering); default: a lattice model from --shape etc.",
    )
    temp = add_lattice_options(p, "32x32", "temperature (default: the 2D square-lattice critical point for this q)")
    temp.add_argument(
        "--temperatures", default=None, metavar="LO:HI:N", help="scan temperatures, e.g. 1.8:3.0:13 (or a comma list)"
    )
    temp.add_argument(
        "--tempering",
        default=None,
        metavar="TMIN:TMAX:N",
        help="parallel tempering on N temperatures spaced geometrically from TMIN to TMAX, e.g. 1.5:3.0:16",
    )
    p.add_argument(
        "--method",
        default=None,
        choices=["metropolis", "heatbath", "swendsen-wang", "wolff"],
        help="default: metropolis for one temperature and with --tempering, swendsen-wang for a scan",
    )
    p.add_argument("--sweeps", type=int, default=2000, help="sweeps recorded per chain (default 2000)")
    p.add_argument("--burn-in", type=int, default=500, help="sweeps discarded first (default 500)")
    p.add_argument("--thin", type=int, default=1, help="sweeps between records (default 1)")
    p.add_argument("--chains", type=int, default=None, help="independent chains (default 2)")
    p.add_argument("--init", default=None, choices=["random", "ordered"], help="starting states (default random)")
    p.add_argument("--runs", type=int, default=None, help="--tempering: independent tempering runs (default 2)")
    p.add_argument("--swap-every", type=int, default=None, help="--tempering: sweeps between swap attempts (default 1)")
    p.add_argument(
        "--adapt",
        action="store_true",
        help="--tempering: move the inner temperatures towards equal swap acceptance during burn-in",
    )
    from .batch import add_cluster_options

    add_cluster_options(p)  # for --temperatures: one Dask task per temperature
    add_common_options(
        p,
        output="write an .npz with the recorded series and final states",
        plot="write a PNG: traces (one temperature) or E, C, |m|, chi against T (scan)",
    )
    p.set_defaults(func=run)
    return p


def _save_npz(path: str, **arrays: Any) -> None:
    """np.savez_compressed through a file object: with a file name, numpy would append .npz
    to a name without that extension."""
    with open(path, "wb") as fh:
        np.savez_compressed(fh, **arrays)


def run(args: argparse.Namespace) -> int:
    from ..sampling import sample

    check_outputs(args, [(args.output, "-o", BINARY), (args.plot, "--plot", FIGURE)], [(args.model, "MODEL")])
    if args.sweeps < 1 or args.sweeps < args.thin:
        raise InputError(f"--sweeps must be >= 1 and >= --thin (nothing would be recorded), got {args.sweeps}")
    if not args.temperatures and (args.scheduler is not None or args.workers is not None):
        raise InputError("--scheduler and --workers apply to a scan (--temperatures)")
    if args.tempering:
        return _tempering(args)
    misplaced = [
        flag for flag, value in [("--runs", args.runs), ("--swap-every", args.swap_every)] if value is not None
    ]
    misplaced += ["--adapt"] if args.adapt else []
    misplaced += ["MODEL"] if args.model is not None else []
    if misplaced:
        raise InputError(f"{', '.join(misplaced)} apply only with --tempering")
    args.chains = 2 if args.chains is None else args.chains
    args.init = args.init or "random"
    model, description = lattice_model(args)
    print(description)
    if args.temperatures:
        return _scan(args, model, _temperature_range(args.temperatures))
    beta = inverse_temperature(args, model)
    if beta is None:
        beta = critical_beta(args, model)
    method = args.method or "metropolis"
    with warnings.catch_warnings():  # SamplingWarnings are printed by the summary
        warnings.simplefilter("ignore", SamplingWarning)
        result = sample(
            model,
            beta,
            args.sweeps,
            method=method,
            n_chains=args.chains,
            burn_in=args.burn_in,
            thin=args.thin,
            init=args.init,
            seed=args.seed,
            n_threads=args.threads,
            progress=show_progress(args),
        )
    print(result.summary())
    with atomic_paths() as stage:  # the .npz and the figure, or neither
        if args.output:
            _save_npz(
                stage(args.output, ".npz"),
                energy=result.energy,
                magnetization=result.magnetization,
                final_states=result.final_states,
                seed=result.seed,
                beta=beta,
                method=method,
                shape=np.array(model.shape),
                q=args.q,
                J=args.J,
                h=args.h,
                burn_in=args.burn_in,
                thin=args.thin,
            )
        if args.plot:
            from ..plot import plot_traces

            plot_traces(result, stage(args.plot, ".png"))
    if args.output:
        print(f"wrote {args.output}")
    if args.plot:
        print(f"wrote {args.plot}")
    return 0


def _scan(args: argparse.Namespace, model: Any, temperatures: np.ndarray) -> int:
    from .._random import as_seed_sequence, seed_entropy

    method = args.method or ("swendsen-wang" if model.is_ferromagnetic else "metropolis")
    seq = as_seed_sequence(args.seed)
    seed = seed_entropy(seq)
    streams = seq.spawn(len(temperatures))
    keys = ("energy", "specific_heat", "abs_magnetization", "susceptibility")
    table = {k: np.zeros((len(temperatures), 2)) for k in keys}
    taus = np.zeros(len(temperatures))
    print(
        f"{method}, {args.chains} chain(s) x {args.sweeps} sweeps after {args.burn_in} burn-in "
        f"per temperature, seed {seed}"
    )
    print(
        f"{'T':>8} {'E/N':>10} {'+/-':>8} {'C/N':>9} {'+/-':>8} {'|m|':>8} {'+/-':>8} "
        f"{'chi/N':>9} {'+/-':>8} {'tau_E':>7}"
    )
    kwargs = dict(n_sweeps=args.sweeps, method=method, n_chains=args.chains, burn_in=args.burn_in, thin=args.thin)
    for k, (t, row) in enumerate(zip(temperatures, _scan_rows(args, model, temperatures, streams, kwargs))):
        for key in keys:
            table[key][k] = row[key]
        taus[k] = row["tau_int"]
        (e, se), (c, sc), (m, sm), (chi, schi) = (row[key] for key in keys)
        print(
            f"{t:8.4f} {e:10.5f} {se:8.5f} {c:9.4f} {sc:8.4f} {m:8.4f} {sm:8.4f} {chi:9.3f} {schi:8.3f} {taus[k]:7.2f}"
        )
        for w in row["warnings"]:
            print(f"  warning at T = {t:g}: {w}")
    with atomic_paths() as stage:  # the .npz and the figure, or neither
        if args.output:
            _save_npz(
                stage(args.output, ".npz"),
                temperatures=temperatures,
                tau_int=taus,
                seed=seed,
                method=method,
                shape=np.array(model.shape),
                q=args.q,
                J=args.J,
                h=args.h,
                **{k: v for k, v in table.items()},
            )
        if args.plot:
            from ..plot import plot_scan

            exact = _onsager_curves(args, model, temperatures)
            kind = "Ising" if args.q == 2 else f"{args.q}-state Potts"
            plot_scan(
                temperatures,
                table,
                stage(args.plot, ".png"),
                exact=exact,
                title=f"{kind} {'x'.join(map(str, model.shape))}, {method}",
            )
    if args.output:
        print(f"wrote {args.output}")
    if args.plot:
        print(f"wrote {args.plot}")
    return 0


def _scan_rows(args: argparse.Namespace, model: Any, temperatures: np.ndarray, streams: list, kwargs: dict):
    """Rows of the scan: one at a time here, or all at once from Dask (--scheduler/--workers)."""
    from ..distributed._scan import KEYS, scan_point

    if args.scheduler is None and args.workers is None:
        for t, stream in zip(temperatures, streams):
            yield scan_point(
                model, t, stream, init=args.init, n_threads=args.threads, progress=show_progress(args), **kwargs
            )
        return
    from ..distributed import temperature_scan
    from .batch import cluster_client

    scan = temperature_scan(
        model,
        temperatures,
        client=cluster_client(args),
        n_workers=args.workers,
        threads=args.threads,
        init=args.init,
        seed=np.random.SeedSequence(streams[0].entropy),  # spawns the same streams
        **kwargs,
    )
    for k, t in enumerate(temperatures):
        row: dict[str, Any] = {key: tuple(scan[key][k]) for key in KEYS}
        row["tau_int"] = scan["tau_int"][k]
        row["warnings"] = [w for tw, w in scan["warnings"] if tw == float(t)]
        yield row


def _onsager_curves(args: argparse.Namespace, model: Any, temperatures: np.ndarray) -> dict[str, Any] | None:
    """Exact infinite-lattice curves for the 2D Ising model in zero field, if available."""
    if args.q != 2 or len(model.shape) != 2 or args.h != 0 or args.J <= 0:
        return None
    from ..exact import onsager_energy, onsager_magnetization, onsager_specific_heat

    t = np.linspace(temperatures.min(), temperatures.max(), 400)
    betas = 1.0 / t
    return {
        "energy": (t, np.array([onsager_energy(b, args.J) for b in betas])),
        "specific_heat": (t, np.array([onsager_specific_heat(b, args.J) for b in betas])),
        "abs_magnetization": (t, np.array([onsager_magnetization(b, args.J) for b in betas])),
        "label": "Onsager (infinite lattice)",
    }


# ----------------------------------------------------------------------------------------
# --tempering
# ----------------------------------------------------------------------------------------
def _tempering_ladder(text: str) -> np.ndarray:
    """'1.5:3.0:16' -> 16 temperatures from 1.5 to 3.0 spaced geometrically, as increasing betas.

    Parameters
    ----------
    text : str
        ``T_min:T_max:n`` with 0 < T_min < T_max and n >= 2.

    Returns
    -------
    ndarray of float64, shape (n,)
        Increasing inverse temperatures 1/T_max .. 1/T_min.
    """
    parts = text.split(":")
    try:
        if len(parts) != 3:
            raise ValueError
        lo, hi, n = float(parts[0]), float(parts[1]), int(parts[2])
    except ValueError:
        raise InputError(f"a tempering ladder must look like T_min:T_max:n, e.g. 1.5:3.0:16, got {text!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi)) or not 0 < lo < hi:
        raise InputError(f"a tempering ladder needs 0 < T_min < T_max, got {text!r}")
    if n < 2:
        raise InputError(f"a tempering ladder needs n >= 2 temperatures, got {text!r}")
    from ..ladders import temperature_ladder

    return temperature_ladder(lo, hi, n)


def ladder_table(result: Any) -> dict[str, np.ndarray]:
    """Per-site energy, specific heat and |m| at each rung of a TemperingResult: (n_rungs, 2)
    arrays of (mean, standard error), in the rung order (increasing beta)."""
    from ..stats import mean_and_error

    n = result.n_sites
    betas = np.asarray(result.betas, dtype=np.float64)
    energy = np.asarray(result.energy, dtype=np.float64)
    mag = np.asarray(result.magnetization, dtype=np.float64)
    table = {k: np.zeros((betas.size, 2)) for k in ("energy", "specific_heat", "abs_magnetization", "tau_int")}
    for k, b in enumerate(betas):
        e = mean_and_error(energy[:, k, :])
        dev2 = (energy[:, k, :] - e.mean) ** 2
        v = mean_and_error(dev2)
        m = mean_and_error(np.abs(mag[:, k, :]))
        table["energy"][k] = (e.mean / n, e.stderr / n)
        table["specific_heat"][k] = (b * b * v.mean / n, b * b * v.stderr / n)
        table["abs_magnetization"][k] = (m.mean, m.stderr)
        table["tau_int"][k] = (e.tau_int, 0.0)
    return table


def _kaufman_curves(model: Any, temperatures: np.ndarray) -> dict[str, Any] | None:
    """Exact E/N and C/N of the same finite torus (Kaufman), for a 2D Ising torus in zero field."""
    from ..exact import ising_torus_thermodynamics
    from ..models import IsingModel

    J, periodic = model.lattice_J, model.periodic
    if (
        not isinstance(model, IsingModel)
        or J is None
        or periodic is None
        or len(model.shape) != 2
        or not all(periodic)
        or J[0] != J[1]
        or model.uniform_field != 0.0
    ):
        return None
    t = np.linspace(temperatures.min(), temperatures.max(), 200)
    rows = [ising_torus_thermodynamics(model.shape[0], model.shape[1], 1.0 / x, J=float(J[0])) for x in t]
    return {
        "energy": (t, np.array([r.energy_per_site for r in rows])),
        "specific_heat": (t, np.array([r.specific_heat_per_site for r in rows])),
        "label": "exact (Kaufman, same torus)",
    }


def plot_ladder(result: Any, path: str, title: str = "") -> str:
    """plot_tempering of a TemperingResult (temperatures 1/beta; a beta = 0 rung is left out),
    with the exact curves of a 2D Ising torus in zero field."""
    from ..plot import plot_tempering

    betas = np.asarray(result.betas, dtype=np.float64)
    keep = betas > 0
    table = ladder_table(result)
    acc = np.asarray(result.swap_acceptance, dtype=np.float64)
    pairs = keep[1:] & keep[:-1]
    temperatures = 1.0 / betas[keep]
    exact = _kaufman_curves(result.model, temperatures) if temperatures.size else None
    return plot_tempering(
        temperatures,
        {k: v[keep] for k, v in table.items()},
        acc[pairs],
        path,
        exact=exact,
        title=title or f"parallel tempering, {result.method}",
    )


def _tempering(args: argparse.Namespace) -> int:
    from .._validation import check_positive_int
    from ..parallel_tempering import TemperingSampler

    misplaced = [flag for flag, value in [("--chains", args.chains), ("--init", args.init)] if value is not None]
    if misplaced:
        raise InputError(f"{', '.join(misplaced)} do(es) not apply to --tempering (use --runs for independent runs)")
    betas = _tempering_ladder(args.tempering)
    for flag, value, minimum in [("--runs", args.runs, 1), ("--swap-every", args.swap_every, 1)]:
        if value is not None and value < minimum:
            raise InputError(f"{flag} must be >= {minimum}, got {value}")
    if args.model is not None:
        from ..io import load_model

        model, description = load_model(args.model), f"model from {args.model}"
    else:
        model, description = lattice_model(args)
    method = args.method or "metropolis"
    n_runs = 2 if args.runs is None else args.runs
    # every input checked (the method against the model too) before the model line is printed
    sampler = TemperingSampler(
        model,
        betas,
        method=method,
        n_runs=n_runs,
        swap_every=1 if args.swap_every is None else args.swap_every,
        seed=args.seed,
        n_threads=args.threads,
    )
    check_positive_int(args.sweeps, "--sweeps", minimum=0)
    check_positive_int(args.burn_in, "--burn-in", minimum=0)
    check_positive_int(args.thin, "--thin")
    print(description)
    result = sampler.run(args.sweeps, args.burn_in, args.thin, adapt=args.adapt, progress=show_progress(args))
    betas = np.asarray(result.betas, dtype=np.float64)
    table = ladder_table(result)
    acc = np.asarray(result.swap_acceptance, dtype=np.float64)
    print(
        f"parallel tempering, {method}, {betas.size} temperatures, {n_runs} run(s) x {args.sweeps} sweeps after "
        f"{args.burn_in} burn-in, swaps every {1 if args.swap_every is None else args.swap_every} sweep(s), "
        f"seed {result.seed}"
    )
    print(f"{'T':>8} {'E/N':>10} {'+/-':>8} {'C/N':>9} {'+/-':>8} {'|m|':>8} {'+/-':>8} {'tau_E':>7} {'swap':>6}")
    for k in range(betas.size - 1, -1, -1):  # increasing temperature
        (e, se), (c, sc), (m, sm) = (table[key][k] for key in ("energy", "specific_heat", "abs_magnetization"))
        swap = f"{acc[k - 1]:6.3f}" if k > 0 else f"{'':>6}"
        t = 1.0 / betas[k] if betas[k] > 0 else float("inf")
        print(
            f"{t:8.4f} {e:10.5f} {se:8.5f} {c:9.4f} {sc:8.4f} {m:8.4f} {sm:8.4f} {table['tau_int'][k, 0]:7.2f} {swap}"
        )
    print("  swap: acceptance of swaps with the next higher temperature")
    trips = np.asarray(result.round_trips)
    print(f"round trips        {int(trips.sum())} ({_trip_time(result)})")
    print(f"swap acceptance    min {acc.min():.3f}, mean {acc.mean():.3f}")
    with atomic_paths() as stage:  # the .npz and the figure, or neither
        if args.output:
            _save_npz(
                stage(args.output, ".npz"),
                temperatures=np.where(betas > 0, 1.0 / np.where(betas > 0, betas, 1.0), np.inf),
                betas=betas,
                energy=np.asarray(result.energy),
                magnetization=np.asarray(result.magnetization),
                swap_acceptance=acc,
                round_trips=trips,
                seed=result.seed,
                method=method,
                **{f"{k}_per_site" if k != "tau_int" else k: v for k, v in table.items() if k != "abs_magnetization"},
                abs_magnetization=table["abs_magnetization"],
            )
        if args.plot:
            plot_ladder(result, stage(args.plot, ".png"), title=f"{description}; parallel tempering, {method}")
    if args.output:
        print(f"wrote {args.output}")
    if args.plot:
        print(f"wrote {args.plot}")
    return 0


def _trip_time(result: Any) -> str:
    t = np.asarray(result.round_trip_time, dtype=np.float64)
    t = t[np.isfinite(t)] if t.ndim else t
    if t.size == 0 or not np.all(np.isfinite(t)):
        return "no complete round trip"
    return f"mean time {float(np.mean(t)):.1f} sweeps"
