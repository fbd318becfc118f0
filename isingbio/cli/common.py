"""Helpers shared by the subcommands: common options and safe output files."""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .._files import STDOUT, atomic_output, atomic_path, atomic_paths  # noqa: F401  (re-exported for subcommands)
from ..errors import InputError

if TYPE_CHECKING:
    from ..models import IsingModel, PottsModel


def add_common_options(
    parser: argparse.ArgumentParser,
    seed: bool | str = True,
    threads: bool = True,
    output: str | None = None,
    plot: bool | str = False,
) -> None:
    """Add the options every subcommand spells the same way."""
    if seed:
        parser.add_argument(
            "--seed",
            type=int,
            default=None,
            help=seed if isinstance(seed, str) else "random seed (default: fresh entropy, printed)",
        )
    if threads:
        parser.add_argument(
            "--threads",
            type=int,
            default=None,
            metavar="N",
            help="OpenMP threads (default: all cores); results do not depend on it",
        )
    if output:
        parser.add_argument("-o", "--output", default=None, metavar="FILE", help=output)  # policy: check_outputs
    if plot:
        parser.add_argument(
            "--plot", default=None, metavar="PNG", help=plot if isinstance(plot, str) else "write a figure"
        )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log messages")


TEXT, BINARY, FIGURE = "text", "binary", "figure"  # kinds of output: '-' is standard output only for text


def to_stdout(path: str | None) -> bool:
    """True when a text output goes to standard output (no -o, or -o -)."""
    return path is None or path == STDOUT


def check_outputs(
    args: argparse.Namespace,
    outputs: Sequence[tuple[str | None, str, str]] | None = None,
    inputs: Sequence[tuple[str | None, str]] = (),
) -> None:
    """The output policy of every command (see :mod:`isingbio._files`), before any work.

    `outputs` are (path, option, kind) with kind TEXT (``-`` is standard output), BINARY or
    FIGURE (``-`` refused; a figure's format is checked too); by default ``-o`` (BINARY) and
    ``--plot``. `inputs` are (path, what) pairs no output may be, by name or as the same
    file. Outputs must also differ from each other. Any refusal is an InputError naming
    the option.
    """
    from .._files import check_not_input, check_output_path, same_file
    from ..plot import check_figure_format

    if outputs is None:
        outputs = [(getattr(args, "output", None), "-o", BINARY), (getattr(args, "plot", None), "--plot", FIGURE)]
    given = [(path, option, kind) for path, option, kind in outputs if path is not None]
    for path, option, kind in given:
        if path == STDOUT:
            if kind == TEXT:
                continue
            what = "a figure" if kind == FIGURE else "a binary file"
            raise InputError(f"{option} -: {what} cannot go to standard output; give a file name")
        try:
            check_output_path(path)
        except OSError as exc:
            where = f": {exc.filename}" if exc.filename and exc.filename != path else ""
            raise InputError(f"{option} {path}: {exc.strerror or exc}{where}") from None
        except InputError as exc:
            raise InputError(f"{option}: {exc}") from None
        if kind == FIGURE:
            check_figure_format(path, option)
        check_not_input(path, inputs, option)
    files = [(path, option) for path, option, _ in given if path != STDOUT]
    for k, (a, opt_a) in enumerate(files):
        for b, opt_b in files[k + 1 :]:
            if same_file(a, b):
                raise InputError(f"{opt_a} and {opt_b} name the same file {a}: give different files")


def show_progress(args: argparse.Namespace) -> bool:
    """Progress bars only on a terminal and without --quiet."""
    return not getattr(args, "quiet", False) and sys.stderr.isatty()


def parse_shape(text: str, option: str = "--shape") -> tuple[int, ...]:
    """'64x64' -> (64, 64)."""
    try:
        return tuple(int(s) for s in text.lower().replace("*", "x").split("x"))
    except ValueError:
        raise InputError(f"{option} must look like 64x64 or 16x16x16, got {text!r}") from None


def add_lattice_options(
    parser: argparse.ArgumentParser, default_shape: str, temperature_help: str
) -> argparse._MutuallyExclusiveGroup:
    """--shape, --q, --J, --h, --open and --beta / --temperature for a lattice model; returns the
    group of the temperature options (to add more of them)."""
    parser.add_argument(
        "--shape", default=default_shape, help=f"lattice shape, e.g. 64x64 or 16x16x16 (default {default_shape})"
    )
    parser.add_argument("--q", type=int, default=2, help="number of states: 2 is Ising (spins -1/+1), >2 Potts")
    parser.add_argument("--J", type=float, default=1.0, help="coupling (default 1)")
    parser.add_argument(
        "--h", type=float, default=0.0, help="uniform field (Ising: on s = +1; Potts: on state 0) (default 0)"
    )
    parser.add_argument("--open", action="store_true", help="open boundaries instead of periodic")
    temp = parser.add_mutually_exclusive_group()
    temp.add_argument("--beta", type=float, default=None, help="inverse temperature")
    temp.add_argument("--temperature", "-T", type=float, default=None, help=temperature_help)
    return temp


def lattice_model(args: argparse.Namespace) -> tuple[IsingModel | PottsModel, str]:
    """The model the lattice options describe, and a one-line description of it."""
    from ..models import IsingModel, PottsModel

    shape = parse_shape(args.shape)
    periodic = not args.open
    model: IsingModel | PottsModel
    if args.q == 2:
        model = IsingModel.lattice(shape, J=args.J, h=args.h, periodic=periodic)
        kind = "Ising"
    else:
        h = np.zeros(max(args.q, 2))
        h[0] = args.h
        model = PottsModel.lattice(shape, args.q, J=args.J, h=h[: args.q], periodic=periodic)
        kind = f"{args.q}-state Potts"
    boundary = "open" if args.open else "periodic"
    return model, f"{kind} model on a {'x'.join(map(str, shape))} {boundary} lattice, J = {args.J:g}, h = {args.h:g}"


def inverse_temperature(args: argparse.Namespace, model: Any) -> float | None:
    """beta from --beta or --temperature; None when neither is given."""
    if args.beta is not None:
        return args.beta
    if args.temperature is not None:
        if not args.temperature > 0 or not math.isfinite(args.temperature):
            raise InputError(f"--temperature must be finite and > 0, got {args.temperature}")
        return 1.0 / args.temperature
    return None


def critical_beta(args: argparse.Namespace, model: Any) -> float:
    """The 2D square-lattice critical point for the lattice options (the default temperature)."""
    from ..exact import ising_critical_beta, potts_critical_beta

    if len(model.shape) != 2:
        raise InputError("give --temperature or --beta (the default is the 2D critical point)")
    if args.J == 0:
        raise InputError("give --temperature or --beta (J = 0 has no critical point)")
    return ising_critical_beta(args.J) if args.q == 2 else potts_critical_beta(args.q, abs(args.J))
