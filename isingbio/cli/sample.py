"""``isingbio sample``: draw sequences from a fitted Potts model.

``n`` sequences come from ``--chains`` independent chains run in parallel: each chain does
``--burn-in`` sweeps, then records its state every ``--thin`` sweeps, ``ceil(n / chains)``
times (the last chains give one record fewer when ``n`` is not a multiple). The FASTA
headers carry the chain, the sweep, the energy and the model's positions.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from typing import TYPE_CHECKING

import numpy as np

from ..errors import InputError
from .common import FIGURE, TEXT, add_common_options, atomic_paths, check_outputs, show_progress, to_stdout

if TYPE_CHECKING:
    from ..alphabets import Alphabet
    from ..models import PottsModel


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "sample",
        help="sample sequences from a fitted Potts model (FASTA)",
        description="Draw sequences from a dense Potts model p(x) ~ exp(-beta H(x)) by heat-bath (Gibbs) or "
        "Metropolis sampling with many chains in parallel, optionally from a start sequence and "
        "with positions held fixed (exact conditioning). Writes FASTA whose headers carry the "
        "chain, sweep, energy and the model's positions, and prints mixing diagnostics "
        "(energy tau_int, R-hat, Hamming distances from the start and between chains).",
    )
    p.add_argument("model", metavar="MODEL.npz", help="model file (isingbio.io.save_model, e.g. from a PLM fit)")
    p.add_argument(
        "-n",
        "--n-sequences",
        type=int,
        default=1000,
        metavar="N",
        help="number of sequences (default 1000), split over the chains",
    )
    temp = p.add_mutually_exclusive_group()
    temp.add_argument("--beta", type=float, default=None, help="inverse temperature (default 1)")
    temp.add_argument("--temperature", "-T", type=float, default=None, help="temperature, 1/beta")
    p.add_argument("--burn-in", type=int, default=1000, help="sweeps discarded first in each chain (default 1000)")
    p.add_argument("--thin", type=int, default=10, help="sweeps between recorded sequences (default 10)")
    p.add_argument("--chains", type=int, default=8, help="independent chains, run in parallel (default 8)")
    p.add_argument(
        "--method",
        default="heatbath",
        choices=["heatbath", "gibbs", "metropolis"],
        help="heatbath (= gibbs, default) or metropolis",
    )
    p.add_argument(
        "--start",
        default=None,
        metavar="SEQ_OR_FASTA",
        help="start every chain from this aligned sequence (a literal sequence, or a FASTA "
        "file whose first sequence is used; write --start=SEQ when SEQ starts with a gap '-'); "
        "default: the model's kept chains (a Boltzmann-machine fit keeps them), else random",
    )
    p.add_argument(
        "--fix",
        action="append",
        default=None,
        metavar="POS=LETTER[,...]",
        help="hold positions fixed, e.g. 12=K,40=A (the model's residue numbers); repeatable",
    )
    add_common_options(
        p,
        output="FASTA file to write (default or '-': standard output)",
        plot="write a PNG of the mixing diagnostics (energy and Hamming-distance traces)",
    )
    p.set_defaults(func=run)
    return p


def load_model_file(path: str) -> PottsModel:
    """A dense model from a file written by :func:`isingbio.io.save_model`.

    Lattice and graph models (saved in their own form) are converted to dense couplings, as
    sampling and scoring of sequences need; Ising spins -1/+1 become states 0/1.
    """
    from ..io import load_model
    from ..models import PottsModel

    model = load_model(path)
    if isinstance(model, PottsModel) and model.J is not None:
        return model
    dense = model.to_dense()
    dense.alphabet, dense.positions, dense.metadata = model.alphabet, model.positions, model.metadata
    return dense


def print_gap_note(model: PottsModel) -> None:
    """Say in one line on stderr when the model was fitted with gaps as missing data."""
    from ..sequences import gap_note

    note = gap_note(model)
    if note:
        print(f"note: {note}", file=sys.stderr)


def read_sequence_arg(text: str, alphabet: Alphabet | str, L: int, what: str) -> tuple[str | None, np.ndarray]:
    """A literal aligned sequence, or the first sequence of a FASTA/alignment file: (id, codes)."""
    from ..alignment import read_alignment
    from ..sequences import encode_sequences

    if os.path.isfile(text):
        aln = read_alignment(text, alphabet=alphabet)
        if aln.L != L:
            raise InputError(f"{what}: {text} has sequences of length {aln.L} but the model has L = {L}")
        return aln.ids[0], aln.matrix[0].copy()
    looks_like_path = os.sep in text or os.path.splitext(text)[1].lower() in (
        ".fasta",
        ".fa",
        ".fas",
        ".a2m",
        ".a3m",
        ".sto",
        ".aln",
        ".gz",
        ".txt",
    )
    if looks_like_path:
        raise InputError(f"{what}: no such file: {text}")
    try:
        return None, encode_sequences([text], alphabet, L)[0]
    except InputError as exc:
        raise InputError(f"{what}: {exc}") from None


def _beta(args: argparse.Namespace) -> float:
    if args.temperature is not None:
        if not (args.temperature > 0 and math.isfinite(args.temperature)):
            raise InputError(f"--temperature must be finite and > 0, got {args.temperature}")
        return 1.0 / args.temperature
    return 1.0 if args.beta is None else args.beta


def run(args: argparse.Namespace) -> int:
    from ..sequence_sampling import sample_sequences
    from ..sequences import format_positions, model_alphabet, model_positions

    start_file = args.start if args.start is not None and os.path.isfile(args.start) else None
    check_outputs(
        args,
        [(args.output, "-o", TEXT), (args.plot, "--plot", FIGURE)],
        [(args.model, "MODEL"), (start_file, "--start")],
    )
    if args.n_sequences < 1:
        raise InputError(f"-n must be >= 1, got {args.n_sequences}")
    model = load_model_file(args.model)
    alpha = model_alphabet(model)
    beta = _beta(args)
    report = sys.stderr if to_stdout(args.output) else sys.stdout  # FASTA alone on standard output
    start = None
    if args.start is not None:
        _, start = read_sequence_arg(args.start, alpha, model.n_sites, "--start")
    fixed = ",".join(args.fix) if args.fix else None
    print_gap_note(model)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the diagnostics are printed below
        samples = sample_sequences(
            model,
            args.n_sequences,
            beta,
            start=start,
            fixed=fixed,
            n_chains=args.chains,
            burn_in=args.burn_in,
            thin=args.thin,
            method=args.method,
            seed=args.seed,
            n_threads=args.threads,
            progress=show_progress(args),
            warn=False,
        )
    print(
        f"model {args.model}: L = {model.n_sites}, q = {model.q} ({alpha.letters}), positions "
        f"{format_positions(model_positions(model))}",
        file=report,
    )
    print(samples.summary(), file=report)
    kept = getattr(model, "chains", None)
    if args.start is None and kept is not None and len(kept):
        print(f"  chains started from {len(kept)} states kept with the model (samples of it)", file=report)
    if args.start is not None:
        d0 = float((samples.states != samples.start[0]).mean())
        print(
            f"  started every chain from {args.start if len(args.start) < 60 else args.start[:57] + '...'}; "
            f"samples differ from it at {d0:.3f} of positions on average",
            file=report,
        )
    if args.plot and samples.diagnostics is None:
        print("no free positions: nothing to plot", file=report)
    with atomic_paths() as stage:  # the FASTA and the figure, or neither
        if not to_stdout(args.output):
            samples.write_fasta(stage(args.output, ".fasta"))
        if args.plot and samples.diagnostics is not None:
            samples.diagnostics.plot(stage(args.plot, ".png"))
    if to_stdout(args.output):
        samples.write_fasta(sys.stdout)
        sys.stdout.flush()
    else:
        print(f"wrote {len(samples)} sequences to {args.output}", file=report)
    if args.plot and samples.diagnostics is not None:
        print(f"wrote {args.plot}", file=report)
    return 0
