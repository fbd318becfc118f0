"""``isingbio batch``: contact prediction or model fits over many families on a Dask cluster."""

from __future__ import annotations

import argparse
import sys

from ..errors import InputError
from .common import add_common_options, show_progress


def add_cluster_options(p: argparse.ArgumentParser) -> None:
    """--scheduler / --workers, spelled the same by every command that can use Dask."""
    g = p.add_argument_group("cluster (needs: pip install 'isingbio[distributed]')")
    g.add_argument(
        "--scheduler", default=None, metavar="ADDRESS", help="Dask scheduler to use, e.g. tcp://10.0.0.1:8786"
    )
    g.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="start a local Dask cluster of N worker processes (workers x --threads <= cores)",
    )


def cluster_client(args: argparse.Namespace) -> str | None:
    """The ``client`` argument of isingbio.distributed from --scheduler / --workers (checked)."""
    if args.scheduler is not None and args.workers is not None:
        raise InputError("give either --scheduler or --workers, not both")
    if args.workers is not None and args.workers < 1:
        raise InputError(f"--workers must be >= 1, got {args.workers}")
    import logging
    import os

    from ..distributed import require_dask

    # Dask logs every worker start and stop at INFO; the CLI shows them with -v only
    level = "info" if getattr(args, "verbose", 0) else "warning"
    os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", level)  # read by the worker processes too
    require_dask()
    logging.getLogger("distributed").setLevel(level.upper())
    return args.scheduler


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "batch",
        help="contacts or model fits for many families on a Dask cluster (or this machine)",
        description="Run one task per family on a Dask cluster: a local one (--workers) or an existing "
        "scheduler (--scheduler). Writes OUTDIR/<family>.csv (contacts) or .npz (fit) atomically and "
        "OUTDIR/summary.csv; a failed family is marked in the summary and the others go on. Exit "
        "code 0 when every family succeeded, 1 when some failed (the last line says how many).",
    )
    sub = p.add_subparsers(dest="batch_command", metavar="WHAT", required=True)
    for name, helptext in (
        ("contacts", "ranked contacts per family, as `isingbio contacts -o`"),
        ("fit", "a fitted Potts model per family (.npz), as `isingbio contacts --save-model`"),
    ):
        q = sub.add_parser(name, help=helptext, description=helptext)
        q.add_argument("alignments", nargs="+", metavar="ALIGNMENT", help="alignment files (one family each)")
        q.add_argument("-o", "--outdir", required=True, metavar="OUTDIR", help="output directory (created)")
        q.add_argument(
            "--structures", default=None, metavar="DIR", help="directory of <family>.pdb/.cif: P@L in the summary"
        )
        q.add_argument("--resume", action="store_true", help="skip families whose outputs are complete")
        if name == "fit":
            q.add_argument("--method", default="plm", choices=["plm", "bm"], help="fit method (default plm)")
            q.add_argument("--target-pearson", type=float, default=0.95, metavar="R", help="BM: stop at this Pearson")
            q.add_argument("--max-steps", type=int, default=2000, metavar="N", help="BM: gradient steps at most")
            q.add_argument("--chains", type=int, default=10000, metavar="N", help="BM: persistent chains")
            q.add_argument("--sweeps", type=int, default=10, metavar="N", help="BM: sweeps per step at the start")
        q.add_argument(
            "--alignment-format",
            "--format",
            dest="format",
            default=None,
            choices=["fasta", "a2m", "a3m", "stockholm", "aln"],
            help="alignment format (default: detected)",
        )
        q.add_argument("--max-gap-col", type=float, default=None, metavar="F")
        q.add_argument("--max-gap-seq", type=float, default=None, metavar="F")
        q.add_argument("--lambda-j", type=float, default=None, metavar="X")
        q.add_argument("--lambda-h", type=float, default=0.01, metavar="X")
        q.add_argument("--max-iter", type=int, default=100, metavar="N")
        q.add_argument("--min-separation", type=int, default=6, metavar="K")
        q.add_argument("--float64", action="store_true")
        add_cluster_options(q)
        add_common_options(q)
        q.set_defaults(func=run, batch_kind=name)
    return p


def run(args: argparse.Namespace) -> int:
    from ..distributed._batch import _run_batch

    client = cluster_client(args)
    if args.max_iter < 1:
        raise InputError(f"--max-iter must be >= 1, got {args.max_iter}")
    if args.min_separation < 1:
        raise InputError(f"--min-separation must be >= 1, got {args.min_separation}")
    kind = "contacts" if args.batch_kind == "contacts" else args.method
    options = dict(
        format=args.format,
        max_gap_seq=args.max_gap_seq,
        max_gap_col=args.max_gap_col,
        lambda_h=args.lambda_h,
        lambda_j=args.lambda_j,
        max_iter=args.max_iter,
        min_separation=args.min_separation,
        float64=args.float64,
        seed=args.seed,
    )
    if kind == "bm":
        options["bm_options"] = dict(
            target_pearson=args.target_pearson,
            max_steps=args.max_steps,
            n_chains=args.chains,
            sweeps_per_step=args.sweeps,
        )

    def announce(line: str) -> None:
        print(line, flush=True)

    table = _run_batch(
        kind,
        args.alignments,
        args.outdir,
        client=client,
        structures=args.structures,
        resume=args.resume,
        n_workers=args.workers,
        threads=args.threads,
        progress=show_progress(args),
        summary="summary.csv",
        options=options,
        announce=announce,
    )
    status = list(table["status"])
    failed = [i for i, s in enumerate(status) if s != "ok"]
    for i in failed:
        print(f"{table['family'][i]}: {status[i]}: {table['message'][i]}", file=sys.stderr)
    print(f"{len(status) - len(failed)} of {len(status)} families done, {len(failed)} failed; summary in {args.outdir}")
    return 1 if failed else 0
