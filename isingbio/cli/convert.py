"""``isingbio convert``: model and score files between isingbio, plmc, CCMpred, EVcouplings and CASP."""

from __future__ import annotations

import argparse
import os
import sys

from ..errors import InputError
from .common import BINARY, STDOUT, TEXT, check_outputs

_FORMATS_HELP = (
    "models: isingbio (.npz), plmc (binary parameters, .params), ccmpred (raw parameters, .raw[.gz]); "
    "scores: csv, plmc (couplings file, .couplings), evcouplings (CouplingScores CSV), ccmpred (.mat), "
    "casp (RR, .rr). Long names plmc-params, plmc-couplings, ccmpred-raw, ccmpred-mat say which file "
    "of a program is meant."
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "convert",
        help="convert model and contact-score files (isingbio, plmc, CCMpred, EVcouplings, CASP RR)",
        description="Read a model or score file and write it in another format. Formats are detected "
        "from the content of IN first, then its extension; that of OUT from its extension, unless "
        "--from / --to are given. A model can be written as a model file or as scores (computed in "
        "the convention of the program that reads them, see --scores); a score file only as scores. " + _FORMATS_HELP,
    )
    p.add_argument("input", metavar="IN", help="model or score file")
    p.add_argument("output", metavar="OUT", help="file to write (atomically); '-': standard output (score files)")
    p.add_argument("--from", dest="from_format", default=None, metavar="FMT", help="format of IN (default: detected)")
    p.add_argument(
        "--to", dest="to_format", default=None, metavar="FMT", help="format of OUT (default: from its extension)"
    )
    p.add_argument(
        "--scores",
        default=None,
        choices=["isingbio", "plmc", "evcouplings", "ccmpred"],
        help="score convention when a model is written as scores (default: that of the program whose "
        "file is written: plmc, evcouplings, ccmpred; isingbio for csv and casp)",
    )
    p.add_argument(
        "--alignment",
        default=None,
        metavar="ALN",
        help="the model's alignment: its weighted frequencies and sequence weights go into a plmc parameter file",
    )
    p.add_argument(
        "--min-separation", type=int, default=6, metavar="K", help="csv and casp: list pairs with |i-j| >= K"
    )
    p.add_argument("--target", default=None, metavar="NAME", help="casp: the TARGET record (default T0000)")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    p.add_argument("-v", "--verbose", action="count", default=0, help="more log messages")
    p.set_defaults(func=run)
    return p


def _kind_of_name(name: str, path: str, detected: tuple[str, str] | None) -> tuple[str, str]:
    """(kind, canonical name) of a format name; plmc / ccmpred by the file when they are ambiguous."""
    from ..interop.formats import MODEL_FORMATS, SCORE_FORMATS, model_format, score_format

    low = name.lower()
    as_model = as_scores = None
    try:
        as_model = model_format(low)
    except InputError:
        pass
    try:
        as_scores = score_format(low)
    except InputError:
        pass
    if as_model is None and as_scores is None:
        names = sorted(set(MODEL_FORMATS) | set(SCORE_FORMATS))
        raise InputError(f"unknown format {name!r} for {path}; expected one of {', '.join(names)} (or a long name)")
    if as_model is not None and as_scores is not None:  # plmc or ccmpred: the file or its name decides
        kind = detected[0] if detected is not None else "model"
        return kind, as_model if kind == "model" else as_scores
    return ("model", as_model) if as_model is not None else ("scores", str(as_scores))


def _dest(path: str):
    """Standard output for ``-``, else the file name."""
    return sys.stdout if path == STDOUT else path


def run(args: argparse.Namespace) -> int:
    from ..interop import (
        detect_format,
        native_convention,
        read_scores,
        score_table,
        write_plmc,
        write_scores,
    )
    from ..interop.formats import format_from_extension
    from ..io import load_model, save_model

    src, dst = args.input, args.output
    if not os.path.exists(src):
        raise InputError(f"IN {src}: no such file")
    if args.min_separation < 1:
        raise InputError(f"--min-separation must be >= 1, got {args.min_separation}")

    detected = detect_format(src)
    if args.from_format is not None:
        kind_in, fmt_in = _kind_of_name(args.from_format, src, detected)
    elif detected is not None:
        kind_in, fmt_in = detected
    else:
        raise InputError(f"cannot tell the format of {src} from its content or name: give --from")
    by_name = format_from_extension(dst)
    if args.to_format is not None:
        hint = by_name if by_name is not None else (kind_in, "")
        kind_out, fmt_out = _kind_of_name(args.to_format, dst, hint)
    elif by_name is not None:
        kind_out, fmt_out = by_name
        if kind_out == "scores" and fmt_out == "csv" and kind_in == "scores" and fmt_in == "evcouplings":
            fmt_out = "evcouplings"
    else:
        raise InputError(f"cannot tell the output format from the name {dst}: give --to")
    # the output policy of every command: '-' is standard output for score (text) files
    check_outputs(args, [(dst, "OUT", TEXT if kind_out == "scores" else BINARY)], [(src, "IN")])
    if kind_in == "scores" and kind_out == "model":
        raise InputError(f"{src} is a {fmt_in} score file: scores cannot be turned into a model file")
    if kind_in == "scores" and args.scores is not None:
        raise InputError("--scores applies to a model written as scores; the scores of a score file are kept")
    if args.alignment is not None and not (kind_out == "model" and fmt_out == "plmc"):
        raise InputError("--alignment is used only when writing a plmc parameter file")

    if kind_in == "model":
        model = load_model(src, format=fmt_in) if fmt_in != "isingbio" else load_model(src)
        what = f"{fmt_in} model (L = {model.n_sites}, q = {model.q})"
        if kind_out == "model":
            if fmt_out == "plmc" and args.alignment is not None:
                from ..alignment import read_alignment

                write_plmc(model, dst, alignment=read_alignment(args.alignment))
            else:
                save_model(model, dst, format=fmt_out)
            done = f"wrote {fmt_out} model {dst}"
        else:
            convention = args.scores or native_convention(fmt_out)
            table = score_table(model, convention)
            target = args.target or ((model.metadata or {}).get("target") or {}).get("id") or None
            n = write_scores(_dest(dst), table, fmt_out, min_separation=args.min_separation, target=target)
            unit = "rows" if fmt_out == "ccmpred" else "pairs"
            done = f"wrote {fmt_out} scores ({convention} convention, {n} {unit}) to {dst}"
    else:
        table = read_scores(src, fmt_in)
        what = f"{fmt_in} scores (L = {len(table.positions)})"
        n = write_scores(_dest(dst), table, fmt_out, min_separation=args.min_separation, target=args.target)
        done = f"wrote {fmt_out} scores ({n} {'rows' if fmt_out == 'ccmpred' else 'pairs'}) to {dst}"
    if not args.quiet:  # on standard error when the scores went to standard output
        print(f"read {what} from {src}; {done}", file=sys.stderr if dst == STDOUT else sys.stdout)
    return 0
