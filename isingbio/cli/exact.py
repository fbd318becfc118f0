"""``isingbio exact``: exact log Z, energy and specific heat, to check estimates against.

Examples::

    isingbio exact --torus 16x16 --beta 0.44            # Kaufman, 2D Ising torus
    isingbio exact --lattice 4x4 --q 3 --beta 1.0       # enumeration, Potts (q = 2: Ising)
    isingbio exact --potts-strip 4x50 --q 3 --temperature 1.0   # transfer matrix
    isingbio exact --onsager --beta 0.5                 # infinite square lattice
"""

from __future__ import annotations

import argparse
import math
import sys

from .._validation import check_beta, check_temperature
from ..errors import InputError
from .common import add_common_options


def _sides(text: str, name: str, n_min: int = 1, n_max: int = 3) -> tuple[int, ...]:
    try:
        sides = tuple(int(s) for s in text.lower().split("x"))
    except ValueError:
        raise InputError(f"{name} must look like 16x16, got {text!r}") from None
    if not n_min <= len(sides) <= n_max or min(sides) < 1:
        count = f"{n_min}" if n_min == n_max else f"{n_min} to {n_max}"
        raise InputError(f"{name} must be {count} positive sides joined by 'x', got {text!r}")
    return sides


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "exact",
        help="exact log Z, energy and specific heat (Kaufman, enumeration, transfer matrix)",
        description="Print exact log Z, mean energy and specific heat (totals and per site) of a small "
        "model or a 2D Ising torus. Conventions: H = -J sum_<ij> s_i s_j - h sum_i s_i (Ising) "
        "or -J sum delta(x_i, x_j) - h sum delta(x_i, 0) (Potts), p ~ exp(-beta H); periodic "
        "sides of length 2 have doubled bonds. The specific heat is beta^2 var(H) (units of k_B).",
    )
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--torus", metavar="MxN", help="2D Ising torus, any size (Kaufman's exact solution)")
    what.add_argument("--lattice", metavar="SHAPE", help="small lattice such as 4x4 or 3x3x2 (exact enumeration)")
    what.add_argument("--potts-strip", metavar="WIDTHxLENGTH", help="q-state Potts strip (transfer matrix)")
    what.add_argument("--onsager", action="store_true", help="infinite square-lattice Ising model (per site)")
    temp = p.add_mutually_exclusive_group(required=True)
    temp.add_argument("--beta", type=float, help="inverse temperature")
    temp.add_argument("--temperature", type=float, help="temperature (beta = 1 / T)")
    p.add_argument("--q", type=int, default=2, help="number of Potts states (2: Ising for --lattice; default 2)")
    p.add_argument("--J", type=float, default=1.0, help="coupling (default 1)")
    p.add_argument(
        "--h",
        type=float,
        default=0.0,
        help="uniform field: on s = +1 (Ising) or on state 0 (Potts); not with --torus/--onsager",
    )
    p.add_argument("--open", action="store_true", help="open boundaries (--lattice: all axes; --potts-strip: width)")
    p.add_argument("--open-length", action="store_true", help="--potts-strip: open ends along the length")
    p.add_argument(
        "--max-configurations",
        type=int,
        default=2**30,
        metavar="N",
        help="--lattice: refuse models with more configurations (default 2^30)",
    )
    add_common_options(p, seed=False, threads=True)
    p.set_defaults(func=run)


def _print(rows: list[tuple[str, str]], n_sites: int) -> None:
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")


def run(args: argparse.Namespace) -> int:
    beta = check_beta(args.beta) if args.beta is not None else check_temperature(args.temperature)
    from .. import exact
    from ..models import IsingModel, PottsModel

    rows = []
    if args.onsager:
        if args.h != 0:
            raise InputError("--onsager is the zero-field model; drop --h")
        rows = [
            ("model", f"infinite square-lattice Ising, J = {args.J:g}"),
            ("beta", f"{beta:.12g}"),
            ("beta_c", f"{exact.ising_critical_beta(args.J):.12g}"),
            ("log Z per site", f"{exact.onsager_log_partition_per_site(beta, args.J):.15g}"),
            ("energy per site", f"{exact.onsager_energy(beta, args.J):.15g}"),
            ("specific heat per site", f"{exact.onsager_specific_heat(beta, args.J):.15g}"),
            ("magnetisation", f"{exact.onsager_magnetization(beta, args.J):.15g}"),
        ]
        _print(rows, 1)
        return 0
    if args.torus:
        if args.h != 0:
            raise InputError("Kaufman's solution is for zero field; drop --h or use --lattice")
        m, n = _sides(args.torus, "--torus", 2, 2)
        torus = exact.ising_torus_thermodynamics(m, n, beta, args.J)
        label = f"Ising torus {m}x{n}, J = {args.J:g} (Kaufman)"
        log_z, energy, heat, n_sites = torus.log_z, torus.energy, torus.specific_heat, torus.n_sites
    elif args.lattice:
        shape = _sides(args.lattice, "--lattice")
        periodic = not args.open
        model: IsingModel | PottsModel
        if args.q == 2:
            model = IsingModel.lattice(shape, J=args.J, h=args.h, periodic=periodic)
            label = f"Ising lattice {args.lattice}, J = {args.J:g}, h = {args.h:g}"
        else:
            field = [args.h] + [0.0] * (args.q - 1)
            model = PottsModel.lattice(shape, args.q, J=args.J, h=field, periodic=periodic)
            label = f"{args.q}-state Potts lattice {args.lattice}, J = {args.J:g}, h = {args.h:g} on state 0"
        label += ", open" if args.open else ", periodic"
        n_conf = args.q**model.n_sites
        if n_conf >= 2**26 and not args.quiet and n_conf <= args.max_configurations:
            from .._config import resolve_threads
            from ..exact.enumeration import estimate_seconds
            from ..weights import _format_seconds

            threads = resolve_threads(args.threads)
            print(
                f"enumerating {n_conf:.4g} configurations on {threads} thread(s), about "
                f"{_format_seconds(estimate_seconds(n_conf, threads))}; Ctrl-C stops",
                file=sys.stderr,
                flush=True,
            )
        enum = exact.thermodynamics(model, beta, n_threads=args.threads, max_configurations=args.max_configurations)
        log_z, energy, heat, n_sites = enum.log_z, enum.energy, enum.specific_heat, enum.n_sites
        label += f" (enumeration of {enum.n_configurations} configurations)"
    else:
        width, length = _sides(args.potts_strip, "--potts-strip", 2, 2)
        if args.q**width >= 2000 and not args.quiet:
            print(
                f"transfer matrix over {args.q**width} row states x length {length}; Ctrl-C stops",
                file=sys.stderr,
                flush=True,
            )
        strip = exact.potts_transfer_thermodynamics(
            args.q,
            width,
            length,
            beta,
            args.J,
            args.h,
            periodic_width=not args.open,
            periodic_length=not args.open_length,
        )
        label = (
            f"{args.q}-state Potts strip width {width} ({'open' if args.open else 'periodic'}) x length "
            f"{length} ({'open' if args.open_length else 'periodic'}), J = {args.J:g}, h = {args.h:g} "
            f"(transfer matrix)"
        )
        log_z, energy, heat, n_sites = strip.log_z, strip.energy, strip.specific_heat, strip.n_sites
    rows = [
        ("model", label),
        ("beta", f"{beta:.12g}"),
        ("sites", str(n_sites)),
        ("log Z", f"{log_z:.15g}"),
        ("log Z per site", f"{log_z / n_sites:.15g}"),
        ("energy", f"{energy:.15g}"),
        ("energy per site", f"{energy / n_sites:.15g}"),
        ("specific heat", f"{heat:.15g}"),
        ("specific heat per site", f"{heat / n_sites:.15g}"),
    ]
    if args.lattice and args.q == 2:
        rows.append(("<|m|>", f"{enum.abs_magnetization:.15g}"))
    if not math.isfinite(log_z):
        raise ArithmeticError("log Z is not finite")
    _print(rows, n_sites)
    return 0
