"""``isingbio demo``: the main jobs on built-in data, checked against exact answers."""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from .common import add_common_options, show_progress


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "demo",
        help="run the main jobs on built-in data (phase transition, contact prediction)",
        description="1. Scan the 2D Ising model through its phase transition with Swendsen-Wang and "
        "compare the energies with Kaufman's exact finite-torus solution. 2. Predict "
        "contacts of the built-in protein family (PF00014, Kunitz domain) by "
        "pseudo-likelihood and score them against its structure.",
    )
    p.add_argument("--outdir", default=".", help="where to write the figures (default: current folder)")
    p.add_argument("--size", type=int, default=24, help="side of the Ising torus (default 24)")
    add_common_options(p, seed="random seed (default 2026: the demo's figures are the same every run)", threads=True)
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    from .._files import check_output_path
    from ..errors import InputError
    from .common import FIGURE, TEXT, check_outputs

    if os.path.exists(args.outdir) and not os.path.isdir(args.outdir):
        raise InputError(f"--outdir {args.outdir}: not a directory")
    try:
        os.makedirs(args.outdir, exist_ok=True)
        check_output_path(os.path.join(args.outdir, "demo_phase_transition.png"))
    except OSError as exc:
        raise InputError(f"--outdir {args.outdir}: {exc.strerror or exc}") from None
    names = ("demo_phase_transition.png", "demo_contacts.png", "demo_contacts.csv")
    check_outputs(
        args, [(os.path.join(args.outdir, n), "--outdir", FIGURE if n.endswith(".png") else TEXT) for n in names]
    )
    seed = 2026 if args.seed is None else args.seed
    _phase_transition(args, seed)
    print()
    return _contacts(args, seed)


def _phase_transition(args: argparse.Namespace, seed: int) -> None:
    from .. import exact
    from .._random import as_seed_sequence
    from ..models import IsingModel
    from ..plot import plot_scan
    from ..sampling import sample

    n = args.size
    model = IsingModel.lattice((n, n))
    temperatures = np.linspace(1.8, 3.0, 9)
    streams = as_seed_sequence(seed).spawn(len(temperatures))
    print(f"1. Ising model on a {n}x{n} torus: Swendsen-Wang, 4 chains x 2000 sweeps per temperature, seed {seed}")
    print(f"{'T':>6} {'E/N (MC)':>11} {'+/-':>8} {'E/N exact':>11} {'dev/sigma':>9} {'C/N':>7} {'|m|':>7}")
    keys = ("energy", "specific_heat", "abs_magnetization", "susceptibility")
    table = {k: np.zeros((len(temperatures), 2)) for k in keys}
    start = time.perf_counter()
    worst = 0.0
    for k, t in enumerate(temperatures):
        res = sample(
            model,
            1 / t,
            2000,
            method="swendsen-wang",
            n_chains=4,
            burn_in=200,
            seed=streams[k],
            n_threads=args.threads,
            progress=show_progress(args),
        )
        e = res.estimate("energy_per_site")
        c = res.specific_heat()
        m = res.estimate("abs_magnetization")
        chi = res.susceptibility()
        for key, est in zip(keys, (e, c, m, chi)):
            table[key][k] = est.mean, est.stderr
        e_exact = exact.ising_torus_thermodynamics(n, n, 1 / t).energy_per_site
        dev = (e.mean - e_exact) / e.stderr
        worst = max(worst, abs(dev))
        print(f"{t:6.3f} {e.mean:11.5f} {e.stderr:8.5f} {e_exact:11.5f} {dev:9.2f} {c.mean:7.3f} {m.mean:7.3f}")
    print(
        f"   largest deviation from the exact energy: {worst:.2f} standard errors ({time.perf_counter() - start:.1f} s)"
    )
    fine = np.linspace(temperatures[0], temperatures[-1], 200)
    thermo = [exact.ising_torus_thermodynamics(n, n, 1 / t) for t in fine]
    curves = {
        "energy": (fine, [th.energy_per_site for th in thermo]),
        "specific_heat": (fine, [th.specific_heat_per_site for th in thermo]),
        "label": f"exact, {n}x{n} torus",
    }
    path = os.path.join(args.outdir, "demo_phase_transition.png")
    plot_scan(temperatures, table, path, exact=curves, title=f"2D Ising, {n}x{n} torus, Swendsen-Wang")
    print(f"   wrote {path}")


def _contacts(args: argparse.Namespace, seed: int) -> int:
    from ..cli import main

    path = os.path.join(args.outdir, "demo_contacts.png")
    csv = os.path.join(args.outdir, "demo_contacts.csv")
    print("2. Contact prediction on the built-in family PF00014 (Kunitz domain)")
    argv = ["contacts", "--example", "-o", csv, "--plot", path, "--seed", str(seed)]
    if args.threads:
        argv += ["--threads", str(args.threads)]
    if args.quiet:
        argv.append("--quiet")
    return main(argv)
