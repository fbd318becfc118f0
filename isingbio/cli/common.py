"""Helpers shared by the subcommands: common options and safe output files."""
from __future__ import annotations

import contextlib
import os
import sys
import tempfile


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


@contextlib.contextmanager
def atomic_output(path, mode="w", suffix=None):
    """Open a temporary file next to `path`; rename it over `path` only on success.

    Nothing is left behind when the block raises, so a failed run never leaves a
    half-written output file.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    base = os.path.basename(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{base}.", suffix=suffix or os.path.splitext(base)[1] or ".tmp",
                               dir=directory)
    try:
        with os.fdopen(fd, mode) as fh:
            yield fh
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside `path` (same extension) and rename it over `path` on success.

    For writers that want a file name (``np.savez``, ``matplotlib.savefig``).
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    base, ext = os.path.splitext(os.path.basename(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{base}.", suffix=ext, dir=directory)
    os.close(fd)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
