"""Helpers shared by the subcommands: common options and safe output files."""
from __future__ import annotations

import sys

from .._files import atomic_output, atomic_path  # noqa: F401  (re-exported for subcommands)


def add_common_options(parser, seed=True, threads=True, output=None, plot=False):
    """Add the options every subcommand spells the same way."""
    if seed:
        parser.add_argument("--seed", type=int, default=None, help="random seed (default: fresh entropy, printed)")
    if threads:
        parser.add_argument("--threads", type=int, default=None, metavar="N",
                            help="OpenMP threads (default: all cores); results do not depend on it")
    if output:
        parser.add_argument("-o", "--output", default=None, metavar="FILE", help=output)
    if plot:
        parser.add_argument("--plot", default=None, metavar="PNG", help=plot if isinstance(plot, str) else "write a figure")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log messages")


def show_progress(args) -> bool:
    """Progress bars only on a terminal and without --quiet."""
    return not getattr(args, "quiet", False) and sys.stderr.isatty()
