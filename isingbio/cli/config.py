"""``isingbio config``: print the build configuration."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("config", help="print the build configuration (Cython, OpenMP, threads)")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from .._config import show_config

    show_config()
    return 0
