"""``isingbio fit``: fit a generative Potts model to an alignment and save it.

``--method bm`` (default) runs Boltzmann-machine learning (:func:`isingbio.fit_bm`) until the
Pearson correlation of connected correlations, model against data, reaches
``--target-pearson``; ``--method plm`` fits by pseudo-likelihood. Gaps are a state (the
model emits them) unless ``--ignore-gaps`` is given; the saved model records which
(``metadata["gaps_modelled"]``).
"""

from __future__ import annotations

import argparse
import sys
import time

from ..errors import InputError
from .common import BINARY, FIGURE, add_common_options, check_outputs, show_progress


def add_alignment_options(p: argparse.ArgumentParser) -> None:
    """The alignment options of ``contacts``: --alignment-format (or --format), --focus,
    --max-gap-col, --max-gap-seq."""
    p.add_argument("alignment", metavar="ALIGNMENT", help="FASTA, A2M, A3M, Stockholm or .aln file (gzip allowed)")
    p.add_argument(
        "--alignment-format",
        "--format",
        dest="format",
        default=None,
        choices=["fasta", "a2m", "a3m", "stockholm", "aln"],
        help="alignment format (default: detected); --format is the same option",
    )
    p.add_argument(
        "--focus",
        default=None,
        metavar="ID",
        help="focus sequence: keep its upper-case columns, number by them",
    )
    p.add_argument(
        "--max-gap-col", type=float, default=None, metavar="F", help="drop columns with a gap fraction above F"
    )
    p.add_argument(
        "--max-gap-seq", type=float, default=None, metavar="F", help="drop sequences with a gap fraction above F"
    )


def read_alignment_args(args: argparse.Namespace, path: str | None = None):
    """The alignment named on the command line, with at least 2 sequences and 2 columns."""
    from ..alignment import read_alignment

    path = args.alignment if path is None else path
    aln = read_alignment(
        path,
        format=getattr(args, "format", None),
        focus=getattr(args, "focus", None),
        max_gap_fraction_seq=getattr(args, "max_gap_seq", None),
        max_gap_fraction_col=getattr(args, "max_gap_col", None),
    )
    if aln.N < 2:
        raise InputError(f"{path}: the alignment has {aln.N} sequence(s); at least 2 are needed")
    if aln.L < 2:
        raise InputError(f"{path}: the alignment has {aln.L} column(s); at least 2 are needed")
    return aln


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "fit",
        help="fit a generative Potts model to an alignment (Boltzmann machine or pseudo-likelihood)",
        description="Fit a dense Potts model for generation and scoring: Boltzmann-machine learning "
        "(--method bm, default: persistent chains, until the Pearson correlation of connected "
        "correlations reaches --target-pearson) or pseudo-likelihood (--method plm). Gaps are "
        "modelled as a state unless --ignore-gaps. Ctrl-C stops a BM fit; with --checkpoint it "
        "resumes where it stopped when run again with the same options.",
    )
    add_alignment_options(p)
    p.add_argument("--method", choices=["bm", "plm"], default="bm", help="bm (default) or plm")
    p.add_argument("--target-pearson", type=float, default=0.95, metavar="R", help="BM: stop at this Pearson (0.95)")
    p.add_argument(
        "--slope-tolerance",
        type=float,
        default=0.1,
        metavar="X",
        help="BM: the target also needs the slope within X of 1 (0.1); 0 turns the slope test off",
    )
    p.add_argument("--max-steps", type=int, default=2000, metavar="N", help="BM: gradient steps at most (2000)")
    p.add_argument("--chains", type=int, default=10000, metavar="N", help="BM: persistent chains (10000)")
    p.add_argument("--sweeps", type=int, default=10, metavar="N", help="BM: sweeps per step at the start (10)")
    p.add_argument("--learning-rate", type=float, default=0.05, metavar="X", help="BM: gradient step size (0.05)")
    p.add_argument("--init", choices=["plm", "profile"], default="plm", help="BM: start model (plm)")
    p.add_argument(
        "--sampler", choices=["heatbath", "metropolis"], default="heatbath", help="BM: chain update (heatbath)"
    )
    p.add_argument("--checkpoint", default=None, metavar="FILE", help="BM: checkpoint file (resumed when it exists)")
    p.add_argument("--max-iter", type=int, default=100, metavar="N", help="PLM: L-BFGS iterations at most (100)")
    p.add_argument(
        "--ignore-gaps", action="store_true", help="PLM: gaps as missing data (for contacts, not for generation)"
    )
    p.add_argument("-o", "--output", required=True, metavar="MODEL.npz", help="model file to write")
    add_common_options(p, plot="BM: PNG of the training trace (Pearson, slope, sweeps per step)")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    from .._files import atomic_paths
    from ..io import save_model
    from ..plot import check_figure_format

    # the checkpoint is an output too (and read when it exists): never a FIFO, device or input
    check_outputs(
        args,
        [(args.output, "-o", BINARY), (args.plot, "--plot", FIGURE), (args.checkpoint, "--checkpoint", BINARY)],
        inputs=[(args.alignment, "ALIGNMENT")],
    )
    check_figure_format(args.plot)
    if not 0 < args.target_pearson <= 1:
        raise InputError(f"--target-pearson must be in (0, 1], got {args.target_pearson}")
    if args.method == "plm" and args.plot:
        raise InputError("--plot draws the BM training trace: use it with --method bm")
    if args.method == "bm" and args.ignore_gaps:
        raise InputError("--ignore-gaps is for --method plm: Boltzmann learning models gaps as a state")
    out = sys.stdout
    aln = read_alignment_args(args)
    print(aln.summary(), file=out)
    out.flush()
    t0 = time.perf_counter()
    if args.method == "plm":
        from ..plm import fit_plm

        res = fit_plm(
            aln,
            max_iter=args.max_iter,
            ignore_gaps=args.ignore_gaps,
            n_threads=args.threads,
            progress=show_progress(args),
            seed=args.seed,
        )
        model = res.model
        print(f"pseudo-likelihood fit: {res.n_iter} iterations, {res.message}, {res.time:.1f} s", file=out)
    else:
        from ..boltzmann import fit_bm

        bm = fit_bm(
            aln,
            init=args.init,
            n_chains=args.chains,
            sweeps_per_step=args.sweeps,
            learning_rate=args.learning_rate,
            target_pearson=args.target_pearson,
            slope_tolerance=args.slope_tolerance or None,
            max_steps=args.max_steps,
            method=args.sampler,
            seed=args.seed,
            n_threads=args.threads,
            progress=show_progress(args),
            checkpoint=args.checkpoint,
        )
        model = bm.model
        print(bm.summary(), file=out)
    gaps = "gaps modelled as a state" if not args.ignore_gaps else "gaps as missing data (for contacts only)"
    with atomic_paths() as stage:
        save_model(model, stage(args.output, ".npz"), gaps_modelled=not args.ignore_gaps, alignment=args.alignment)
        if args.plot and args.method == "bm":
            bm.plot(stage(args.plot, ".png"))
    print(f"wrote {args.output} ({gaps})", file=out)
    if args.plot:
        print(f"wrote {args.plot}", file=out)
    print(f"total {time.perf_counter() - t0:.1f} s", file=out)
    return 0
