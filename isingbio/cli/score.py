"""``isingbio score``: energies and log-probabilities of sequences; single-mutant tables."""

from __future__ import annotations

import argparse
import math
import os
import sys
import warnings
from typing import TYPE_CHECKING, TextIO

import numpy as np

from .._validation import check_beta
from ..errors import InputError, ModelWarning
from .common import FIGURE, TEXT, add_common_options, atomic_paths, check_outputs, show_progress, to_stdout
from .sample import load_model_file, print_gap_note, read_sequence_arg

if TYPE_CHECKING:
    from ..alignment import Alignment
    from ..alphabets import Alphabet
    from ..models import PottsModel


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "score",
        help="statistical energy (and log-probability) of sequences; mutation tables",
        description="Print the statistical energy H(x) of each sequence of an aligned FASTA file (lower is "
        "more probable) and, given log Z (--log-z X, or --log-z ais to estimate it), its normalised "
        "log-probability -beta H(x) - log Z. With --mutations TARGET, print instead the table of "
        "single-mutant energy changes Delta E = H(mutant) - H(target) (CSV; heat map with --plot).",
    )
    p.add_argument("model", metavar="MODEL.npz", help="model file (isingbio.io.save_model)")
    p.add_argument(
        "sequences",
        nargs="?",
        default=None,
        metavar="SEQUENCES.fasta",
        help="aligned sequences (the model's columns); with --mutations, where TARGET ids are looked up",
    )
    p.add_argument("--beta", type=float, default=1.0, help="inverse temperature of log p (default 1)")
    p.add_argument(
        "--log-z",
        default=None,
        metavar="X",
        help="log Z at this beta (e.g. from `isingbio logz`), or 'ais' to estimate it here",
    )
    p.add_argument(
        "--mutations",
        nargs="?",
        const="",
        default=None,
        metavar="TARGET",
        help="single-mutant Delta E table of TARGET: an id in SEQUENCES, a FASTA file (first "
        "sequence) or a literal aligned sequence (write --mutations=SEQ when SEQ starts "
        "with a gap '-'); without TARGET, the target sequence the model was fitted for "
        "(the focus, else the first sequence of its alignment)",
    )
    add_common_options(
        p,
        output="CSV file to write (default or '-': standard output)",
        plot="PNG: heat map of the mutation table (with --mutations), else the energy histogram",
    )
    p.set_defaults(func=run)
    return p


def _log_z(args: argparse.Namespace, model: PottsModel, report: TextIO) -> float | None:
    if args.log_z is None:
        return None
    if str(args.log_z).lower() == "ais":
        from ..annealed_importance import ais

        print(f"estimating log Z at beta = {args.beta:g} by annealed importance sampling ...", file=report)
        res = ais(model, args.beta, seed=args.seed, n_threads=args.threads, progress=show_progress(args))
        print(f"log Z = {res.log_z:.4f} +/- {res.stderr:.4f} (seed {getattr(res, 'seed', args.seed)})", file=report)
        return res.log_z
    try:
        value = float(args.log_z)
    except ValueError:
        raise InputError(f"--log-z must be a number or 'ais', got {args.log_z!r}") from None
    if not math.isfinite(value):
        raise InputError(f"--log-z must be finite, got {args.log_z}")
    return value


def _target(
    args: argparse.Namespace, alpha: Alphabet, L: int, aln: Alignment | None, model: PottsModel
) -> tuple[str, np.ndarray]:
    if args.mutations == "":
        target = getattr(model, "metadata", {}).get("target")
        if not target:
            raise InputError(f"{args.model} records no target sequence: give --mutations TARGET")
        return target["id"], alpha.encode(target["sequence"])
    if aln is not None and args.mutations in aln.ids:
        k = aln.ids.index(args.mutations)
        return args.mutations, aln.matrix[k].copy()
    ident, codes = read_sequence_arg(args.mutations, alpha, L, "--mutations")
    return ident or "target", codes


def run(args: argparse.Namespace) -> int:
    from ..alignment import read_alignment
    from ..plot import plot_energy_histogram, plot_mutation_heatmap
    from ..scoring import mutation_effects, score_sequences, write_mutation_table
    from ..sequences import format_positions, model_alphabet, model_positions

    mutations_file = args.mutations if args.mutations and os.path.isfile(args.mutations) else None
    check_outputs(
        args,
        [(args.output, "-o", TEXT), (args.plot, "--plot", FIGURE)],
        [(args.model, "MODEL"), (args.sequences, "SEQUENCES"), (mutations_file, "--mutations")],
    )
    if args.sequences is None and args.mutations is None:
        raise InputError("give SEQUENCES.fasta to score, or --mutations TARGET")
    check_beta(args.beta)
    model = load_model_file(args.model)
    alpha = model_alphabet(model)
    L = model.n_sites
    positions = model_positions(model)
    report = sys.stderr if to_stdout(args.output) else sys.stdout  # the CSV alone on standard output
    if args.log_z is not None and str(args.log_z).lower() != "ais":
        _log_z(args, model, report)  # check it before any work
    aln = None
    if args.sequences is not None:
        aln = read_alignment(args.sequences, alphabet=alpha)
        if aln.L != L:
            raise InputError(
                f"{args.sequences}: sequences have {aln.L} columns but the model has L = {L} "
                f"(sequences must be aligned to the model's columns)"
            )
    target = None
    if args.mutations is not None:
        name, target = _target(args, alpha, L, aln, model)
    print(
        f"model {args.model}: L = {L}, q = {model.q} ({alpha.letters}), positions {format_positions(positions)}",
        file=report,
    )

    if target is not None:
        delta = mutation_effects(model, target)
        e0 = float(model.energy(target))
        print(
            f"single mutants of {name} (energy {e0:.4f}): {L * (model.q - 1)} mutants, Delta E from "
            f"{delta.min():.3f} to {delta.max():.3f}; most destabilising position "
            f"{int(positions[np.argmax(delta.mean(axis=1))])}",
            file=report,
        )
        with atomic_paths() as stage:  # the table and the figure, or neither
            if not to_stdout(args.output):
                write_mutation_table(stage(args.output, ".csv"), delta, target, alpha, positions)
            if args.plot:
                plot_mutation_heatmap(
                    delta,
                    stage(args.plot, ".png"),
                    target,
                    alpha,
                    positions,
                    title=f"single mutants of {name}: Delta E = H(mutant) - H(target)",
                )
        if to_stdout(args.output):
            write_mutation_table(sys.stdout, delta, target, alpha, positions)
            sys.stdout.flush()
        else:
            print(f"wrote {args.output}", file=report)
        if args.plot:
            print(f"wrote {args.plot}", file=report)
        return 0

    assert aln is not None, "SEQUENCES is read when --mutations is not given (checked above)"
    log_z = _log_z(args, model, report)
    print_gap_note(model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ModelWarning)  # said in one line just above
        energy, log_p = score_sequences(model, aln, log_z=log_z, beta=args.beta)
    header = "id,energy" + (",log_prob" if log_p is not None else "")

    def _write(fh):
        fh.write(header + "\n")
        for k, ident in enumerate(aln.ids):
            row = f"{ident},{energy[k] + 0.0:.6f}"  # + 0.0: no "-0.000000" for an energy of -0.0
            if log_p is not None:
                row += f",{log_p[k] + 0.0:.6f}"
            fh.write(row + "\n")

    assert args.sequences is not None, "SEQUENCES is read when --mutations is not given"
    with atomic_paths() as stage:  # the table and the figure, or neither
        if not to_stdout(args.output):
            with open(stage(args.output, ".csv"), "w") as fh:
                _write(fh)
        if args.plot:
            plot_energy_histogram(
                energy, stage(args.plot, ".png"), title=f"{os.path.basename(args.sequences)}: {aln.N} sequences"
            )
    if to_stdout(args.output):
        _write(sys.stdout)
        sys.stdout.flush()
    else:
        print(f"wrote {args.output}", file=report)
    print(
        f"{aln.N} sequences: energy mean {energy.mean():.4f}, min {energy.min():.4f} "
        f"({aln.ids[int(np.argmin(energy))]}), max {energy.max():.4f}",
        file=report,
    )
    if args.plot:
        print(f"wrote {args.plot}", file=report)
    return 0
