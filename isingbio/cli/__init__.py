"""Command-line interface: ``isingbio <subcommand> ...``.

Each subcommand lives in its own module with ``register(subparsers)``, which adds a parser
whose default ``func`` takes the parsed arguments and returns an exit code.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from collections.abc import Sequence

from .._version import __version__
from ..errors import IsingbioError
from . import batch, config, contacts, convert, demo, evaluate, exact, fit, logz, sample, score, simulate

# each module's register(subparsers) adds its parser; heavy imports wait inside the commands
SUBCOMMANDS = [demo, simulate, exact, contacts, fit, logz, sample, score, evaluate, convert, batch, config]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="isingbio", description="Simulate, fit and integrate Ising and Potts Markov random fields."
    )
    parser.add_argument("--version", action="version", version=f"isingbio {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in SUBCOMMANDS:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code (0 success, 1 runtime error, 2 bad input)."""
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `isingbio ... | head` exits quietly
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    level = logging.WARNING
    if getattr(args, "verbose", 0):
        level = logging.INFO if args.verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s: %(message)s")
    try:
        return int(args.func(args) or 0)
    except IsingbioError as exc:
        print(f"isingbio {args.command}: error: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, ValueError) else 1
    except OSError as exc:  # files that cannot be read or written, a full disk, ...
        where = f": {exc.filename}" if exc.filename else ""
        print(f"isingbio {args.command}: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 2
    except MemoryError:
        from .._config import memory_limit

        print(f"isingbio {args.command}: error: out of memory (limit: {memory_limit()[1]})", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"isingbio {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
