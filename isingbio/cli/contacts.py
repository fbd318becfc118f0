"""``isingbio contacts``: fit a Potts model to an alignment by pseudo-likelihood, rank contacts."""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

from ..errors import InputError, IsingbioError
from .common import BINARY, FIGURE, STDOUT, TEXT, add_common_options, check_outputs, show_progress

N_SHOWN = 10  # top pairs printed
_ALIGNMENT_FORMATS = ["fasta", "a2m", "a3m", "stockholm", "aln"]
_SCORE_FORMATS = ["csv", "plmc", "evcouplings", "ccmpred", "casp"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "contacts",
        help="predict residue contacts from an alignment (pseudo-likelihood Potts fit)",
        description="Read a multiple sequence alignment, weight its sequences (80% identity), fit a "
        "Potts model by symmetric pseudo-likelihood (plmDCA class) and rank residue pairs by "
        "APC-corrected Frobenius norm of their couplings. Writes the ranked pairs as CSV "
        "(i,j,score[,res_i,res_j], 1-based residue numbers) and, given a structure (or with "
        "--example), reports the precision of the top L/5, L/2 and L pairs (|i-j| >= 6). "
        "Without ALIGNMENT, or with --example, runs on the built-in PF00014 (Kunitz domain) family.",
    )
    p.add_argument(
        "alignment",
        nargs="?",
        default=None,
        metavar="ALIGNMENT",
        help="FASTA, A2M, A3M, Stockholm or .aln file (gzip allowed)",
    )
    p.add_argument(
        "--example", action="store_true", help="use the built-in example family (PF00014) and its contact map"
    )
    p.add_argument(
        "--alignment-format",
        dest="alignment_format",
        default=None,
        choices=_ALIGNMENT_FORMATS,
        help="alignment format (default: detected)",
    )
    p.add_argument(
        "--format",
        default=None,
        choices=[*_SCORE_FORMATS, *_ALIGNMENT_FORMATS],
        metavar="{" + ",".join(_SCORE_FORMATS) + "}",
        help="format of -o: csv (i,j,score), plmc (couplings file), evcouplings (CouplingScores CSV), "
        "ccmpred (.mat) or casp (RR); default: from the extension of -o (.couplings, .mat, .rr), else csv. "
        "Scores are isingbio's (APC-corrected norms without the gap) in every format. An alignment "
        "format name is still read as --alignment-format",
    )
    p.add_argument(
        "--focus",
        default=None,
        metavar="ID",
        help="focus sequence: keep its upper-case columns, number positions by its residues",
    )
    p.add_argument(
        "--max-gap-col", type=float, default=None, metavar="F", help="drop columns with a gap fraction above F"
    )
    p.add_argument(
        "--max-gap-seq",
        type=float,
        default=None,
        metavar="F",
        help="drop sequences with a gap fraction above F (after the column filter)",
    )
    p.add_argument(
        "--structure", default=None, metavar="FILE", help="PDB or mmCIF file of the target: report P@L/5, P@L/2, P@L"
    )
    p.add_argument("--chain", default=None, metavar="A", help="chain of --structure (default: first protein chain)")
    p.add_argument(
        "--save-model",
        default=None,
        metavar="MODEL.npz",
        help="write the fitted model: .npz (isingbio), .params (plmc, with the alignment's frequencies and "
        "weights) or .raw / .raw.gz (CCMpred)",
    )
    p.add_argument(
        "--lambda-j",
        type=float,
        default=None,
        metavar="X",
        help="coupling L2 strength (default 0.01*(s-1)*(L-1), s = 20 modelled residue states)",
    )
    p.add_argument("--lambda-h", type=float, default=0.01, metavar="X", help="field L2 strength (default 0.01)")
    p.add_argument("--max-iter", type=int, default=100, metavar="N", help="L-BFGS iterations at most (default 100)")
    p.add_argument("--min-separation", type=int, default=6, metavar="K", help="rank pairs with |i-j| >= K (default 6)")
    p.add_argument("--float64", action="store_true", help="fit in double precision (twice the memory)")
    add_common_options(
        p,
        output="CSV of the ranked pairs (default: only the top pairs are printed)",
        plot="PNG: predicted top-L pairs (over the true contact map with --structure or --example)",
    )
    p.set_defaults(func=run)
    return p


def _announce(aln, args: argparse.Namespace, out) -> None:
    """Say what a long run is about to do and how long it should take (from the sizes)."""
    from .._config import resolve_threads
    from .._validation import format_bytes
    from ..plm import estimate_plm_memory, estimate_plm_seconds
    from ..weights import _format_seconds, estimate_weights_seconds

    threads = resolve_threads(args.threads)
    t_w = estimate_weights_seconds(aln.N, aln.L, aln.q, threads)
    dtype = np.float64 if args.float64 else np.float32
    t_fit = estimate_plm_seconds(aln.N, aln.L, aln.q, threads, min(args.max_iter, 35), dtype)
    mem = estimate_plm_memory(aln.N, aln.L, aln.q, dtype, threads)
    if t_w + t_fit >= 30 or mem >= 2**30:
        print(
            f"about to weight {aln.N:,} sequences (exact, {aln.N * (aln.N - 1) / 2:.3g} pairs: up to "
            f"{_format_seconds(t_w)}) and fit L = {aln.L} columns x q = {aln.q} states (about "
            f"{_format_seconds(t_fit)}, {format_bytes(mem)} of memory) on {threads} thread(s); Ctrl-C stops",
            file=out,
        )
        out.flush()


def _write_scores(dest, out_format, model, scores, positions, seq, args: argparse.Namespace, path) -> int:
    """Write the scores in a peer's format (isingbio's scores; fn without APC for EVcouplings)."""
    from ..contacts import contact_scores
    from ..interop import ScoreTable, write_scores

    fn = contact_scores(model, apc=False) if out_format == "evcouplings" else None
    table = ScoreTable(cn=scores, fn=fn, positions=positions, sequence=seq)
    target = os.path.splitext(os.path.basename(str(path)))[0]
    return write_scores(dest, table, str(out_format), min_separation=args.min_separation, target=target)


def run(args: argparse.Namespace) -> int:
    from .._family import family_numbering, fit_family, read_family, write_family_contacts
    from ..contacts import contact_scores, top_contacts, write_contacts_csv
    from ..weights import sequence_weights

    out = sys.stderr if args.output == STDOUT else sys.stdout  # the CSV alone on standard output
    example = args.example or args.alignment is None
    if args.example and args.alignment is not None:
        raise InputError("give either ALIGNMENT or --example, not both")
    check_outputs(  # all refused before minutes of fitting
        args,
        [(args.output, "-o", TEXT), (args.plot, "--plot", FIGURE), (args.save_model, "--save-model", BINARY)],
        [(args.alignment, "ALIGNMENT"), (args.structure, "--structure")],
    )
    if args.save_model is not None:
        from ..interop.formats import format_from_extension

        named = format_from_extension(args.save_model)
        if named is not None and named[0] != "model":  # a score file's name would get a model
            raise InputError(
                f"--save-model {args.save_model}: a {named[1]} score file's name; a model is written as "
                ".npz, plmc .params or CCMpred .raw / .raw.gz (scores: -o with --format)"
            )
    if args.chain is not None and args.structure is None:
        raise InputError("--chain needs --structure")
    if args.structure is not None and not os.path.exists(args.structure):
        raise InputError(f"--structure: {args.structure}: no such file")
    if args.max_iter is not None and args.max_iter < 1:
        raise InputError(f"--max-iter must be >= 1, got {args.max_iter}")
    if args.min_separation < 1:
        raise InputError(f"--min-separation must be >= 1, got {args.min_separation}")
    aln_format, out_format = args.alignment_format, args.format
    if out_format in _ALIGNMENT_FORMATS:  # --format used to name the alignment format
        if aln_format is not None and aln_format != out_format:
            raise InputError(f"--format {out_format} is an alignment format and --alignment-format says {aln_format}")
        aln_format, out_format = out_format, None
    if out_format is None and args.output is not None:
        from ..interop.formats import format_from_extension

        by_name = format_from_extension(args.output)
        out_format = by_name[1] if by_name is not None and by_name[0] == "scores" else "csv"

    if example:
        from ..data import example_alignment_path

        path = example_alignment_path()
        lead = "using" if args.example else "no ALIGNMENT given: using"
        print(f"{lead} the built-in example family PF00014 (Kunitz domain)", file=out)
    else:
        path = args.alignment
    aln = read_family(
        path, format=aln_format, focus=args.focus, max_gap_seq=args.max_gap_seq, max_gap_col=args.max_gap_col
    )
    # the structure is read (and checked) before the fit, not after minutes of fitting
    cmap = None
    if args.structure is not None:
        from ..structure import contact_map_from_structure

        try:
            cmap = contact_map_from_structure(args.structure, chain=args.chain, sequence=aln)
        except ImportError as exc:  # gemmi, an optional extra, is missing
            raise IsingbioError(f"--structure: {exc}") from None
    elif example:
        from ..data import example_contacts

        cmap = example_contacts()
    t0 = time.perf_counter()
    _announce(aln, args, out)
    weights, n_eff = sequence_weights(aln, identity=0.8, n_threads=args.threads, progress=show_progress(args))
    print(aln.summary(n_eff=n_eff), file=out)
    out.flush()

    res = fit_family(
        aln,
        weights,
        lambda_h=args.lambda_h,
        lambda_j=args.lambda_j,
        max_iter=args.max_iter,
        float64=args.float64,
        threads=args.threads,
        progress=show_progress(args),
        seed=args.seed,
    )
    hp = res.hyperparameters
    print(
        f"pseudo-likelihood fit: {res.n_iter} iterations, {'converged' if res.converged else 'stopped'} "
        f"({res.message}), objective {res.objective:.6g}, lambda_h = {hp['lambda_h']:g}, "
        f"lambda_J = {hp['lambda_J']:.4g}, {res.time:.1f} s",
        file=out,
    )
    scores = contact_scores(res.model)
    positions, seq = family_numbering(aln)

    ranked = top_contacts(scores, min_separation=args.min_separation, n=N_SHOWN)
    print(f"top {len(ranked)} pairs (|i-j| >= {args.min_separation}, 1-based positions):", file=out)
    for i, j, v in ranked:
        res_txt = f"  {seq[i]}{positions[i]}-{seq[j]}{positions[j]}" if seq else ""
        print(f"  {positions[i]:>5d} {positions[j]:>5d}  {v:8.4f}{res_txt}", file=out)

    if cmap is not None:
        from ..evaluation import evaluate_contacts

        prec = evaluate_contacts(scores, cmap, min_separation=args.min_separation)
        print(
            "precision of the top pairs: " + ", ".join(f"{k} {prec[k]:.3f}" for k in ("P@L/5", "P@L/2", "P@L")),
            file=out,
        )

    from .._files import atomic_paths

    written = []
    try:
        with atomic_paths() as stage:  # all outputs or none
            if args.output is not None and args.output != STDOUT and out_format in (None, "csv"):
                n = write_family_contacts(stage(args.output, ".csv"), aln, scores, args.min_separation)
                written.append(f"wrote {n} pairs to {args.output}")
            elif args.output is not None and args.output != STDOUT:
                n = _write_scores(stage(args.output, ".txt"), out_format, res.model, scores, positions, seq, args, path)
                what = "rows" if out_format == "ccmpred" else "pairs"
                written.append(f"wrote {n} {what} ({out_format} format) to {args.output}")
            if args.plot is not None:
                from ..plot import plot_contacts

                plot_contacts(
                    scores, cmap, stage(args.plot, ".png"), positions=positions, title=os.path.basename(str(path))
                )
                written.append(f"wrote {args.plot}")
            if args.save_model is not None:
                from ..interop import write_ccmpred_raw, write_plmc
                from ..interop.formats import format_from_extension
                from ..io import save_model
                from ..sequences import gaps_modelled

                kind = format_from_extension(args.save_model)  # .params: plmc, .raw[.gz]: CCMpred
                if kind == ("model", "plmc"):  # with the fit's frequencies and weights
                    write_plmc(res.model, stage(args.save_model), alignment=aln, weights=weights)
                elif kind == ("model", "ccmpred"):
                    write_ccmpred_raw(res.model, stage(args.save_model))  # gzipped for .raw.gz
                else:
                    save_model(
                        res.model, stage(args.save_model, ".npz"), seed=args.seed, alignment=str(path), focus=args.focus
                    )
                gap_kind = (
                    "gaps modelled as a state"
                    if gaps_modelled(res.model)
                    else "gaps as missing data: good for contacts; to sample or score, fit with `isingbio fit`"
                )
                written.append(f"wrote {args.save_model} ({gap_kind})")
    except OSError as exc:
        raise IsingbioError(
            f"could not write the output: {exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else "")
        ) from None
    if args.output == STDOUT and out_format in (None, "csv"):  # after the files: nothing on stdout if one fails
        write_contacts_csv(sys.stdout, scores, min_separation=args.min_separation, positions=positions, sequence=seq)
        sys.stdout.flush()
    elif args.output == STDOUT:
        _write_scores(sys.stdout, out_format, res.model, scores, positions, seq, args, path)
        sys.stdout.flush()
    for line in written:
        print(line, file=out)
    print(f"total {time.perf_counter() - t0:.1f} s", file=out)
    return 0
