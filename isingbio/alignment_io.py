"""Reading alignment files: format detection and the FASTA/A2M/A3M, Stockholm and .aln parsers.

:func:`read_records` turns a file into records (id, raw sequence, and where each character
stands in the file, so that errors name the line and column);
:func:`isingbio.alignment.read_alignment` encodes them with an alphabet, applies focus mode
and the gap filters, and returns the :class:`~isingbio.alignment.Alignment`.

Formats
-------
Detected from the content, then the extension (gzip is detected from the magic bytes): a
``# STOCKHOLM`` header means Stockholm, ``>`` headers mean FASTA / A2M / A3M (told apart by
the extension, else by the content as below), rows without headers mean ``aln``, whatever the
extension says. gzip, bzip2 and xz compression are detected from the magic bytes; a damaged
or truncated stream is a :class:`~isingbio.errors.FormatError` with the byte offset. A file
read as A2M or FASTA (by its extension) whose rows differ in length
but agree in their number of match characters (upper case and ``-``) is read as A3M, with a
logged warning.

``fasta``
    ``>id description`` headers, sequences over any number of lines, blank lines and CRLF
    allowed. Lower-case letters are residues like upper-case ones; ``.`` is a gap.
``a2m``, ``a3m``
    FASTA whose lower-case letters and ``.`` are insert states: they are not match columns
    and are removed from every sequence; the remaining upper-case letters and ``-`` must
    give the same length for every sequence. A file with a FASTA extension (.fasta, .fa,
    .fas, ...) is read as FASTA (with a logged warning if it mixes upper and lower case);
    one with another extension is read as A2M (equal row lengths) or A3M when it mixes
    upper- and lower-case letters, else as FASTA. In focus mode an A2M file is read
    as plmc does: all rows have the same length and the columns kept are those where the
    focus sequence has an upper-case letter (lower-case letters of the other rows in those
    columns are read as residues).
``stockholm``
    ``# STOCKHOLM 1.0``, any number of blocks, ``#=GF/#=GS/#=GR`` ignored, ends at ``//``
    (required: a file without it is refused as truncated). Every block must hold every
    sequence (a sequence missing from a block is an error naming it and the block).
    With a ``#=GC RF`` line the match columns are those whose RF character is not one of
    ``. - _ ~``; without one, the columns holding a lower-case letter are insert columns.
    ``.`` is a gap. Only the first alignment of the file is read.
``aln``
    One sequence per line, no ids (PSICOV / CCMpred); ids are ``"1"``, ``"2"``, ...

One ``*`` ending a FASTA/A2M/A3M sequence (a stop marker some tools write) is dropped.
"""

from __future__ import annotations

import bisect
import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ._files import decompress
from ._typing import PathLike
from .errors import FormatError, InputError

__all__ = ["FORMATS", "read_records"]

logger = logging.getLogger(__name__)

FORMATS = ("fasta", "a2m", "a3m", "stockholm", "aln")


@dataclass
class _Record:
    index: int
    id: str
    line: int | None  # line of the header (or of the sequence for .aln)
    segments: list[tuple[int | None, int, int]]  # (line number, 1-based column of first char, offset in seq)
    seq: str

    def locate(self, offset: int) -> tuple[int | None, int | None]:
        """(line, column) of character `offset` of the sequence."""
        starts = [s[2] for s in self.segments]
        k = bisect.bisect_right(starts, offset) - 1
        line, col, start = self.segments[max(k, 0)]
        return line, (col + offset - start if line is not None else None)

    def label(self) -> str:
        return f"sequence {self.index + 1} {self.id!r}" if self.id else f"sequence {self.index + 1}"


def _read_text(path: str) -> str:
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not an alignment file") from None
    except NotADirectoryError:
        raise InputError(f"{path}: no such file") from None
    data = decompress(data, path)  # gzip, bz2, xz: damage is a FormatError with the offset
    if data[:3] == b"\xef\xbb\xbf":
        data = data[3:]
    try:  # UTF-8 (ASCII included): columns in error messages count characters
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _split_lines(text: str) -> list[str]:
    """Lines ending in LF, CRLF or (old Mac files) CR only.

    Not ``str.splitlines``: it also breaks at form feeds, U+0085, U+2028 ..., which may appear
    in header descriptions and would shift every line number and split a header in two.
    """
    if "\n" not in text and "\r" in text:
        return text.split("\r")
    lines = text.split("\n")
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def _ext_format(path: PathLike) -> str | None:
    name = os.path.basename(str(path)).lower()
    if name.endswith(".gz"):
        name = name[:-3]
    ext = os.path.splitext(name)[1]
    return {
        ".a2m": "a2m",
        ".a3m": "a3m",
        ".sto": "stockholm",
        ".stk": "stockholm",
        ".sth": "stockholm",
        ".stockholm": "stockholm",
        ".aln": "aln",
        ".psicov": "aln",
        ".fasta": "fasta",
        ".fa": "fasta",
        ".fas": "fasta",
        ".fsa": "fasta",
        ".afa": "fasta",
        ".mfa": "fasta",
        ".faa": "fasta",
    }.get(ext)


def _first_content_line(lines: Sequence[str]) -> str:
    for line in lines:
        s = line.strip()
        if s:
            return s
    return ""


def _detect_format(path: str, lines: Sequence[str]) -> str:
    """The format from the content first (a Stockholm header, '>' headers or bare rows), then
    the extension (which says A2M / A3M / FASTA apart for files with '>' headers)."""
    ext = _ext_format(path)
    first = _first_content_line(lines)
    if first.upper().startswith("# STOCKHOLM"):
        return "stockholm"
    first_data = next((s for s in (line.strip() for line in lines) if s and not s.startswith("#")), "")
    fasta_like = first_data.startswith(">") or (not first_data and first.startswith("#"))
    if not fasta_like and ext in (None, "fasta", "a2m", "a3m"):
        # sequence data before the first header: let the FASTA reader say where
        fasta_like = any(line.lstrip().startswith(">") for line in lines)
    if fasta_like:
        if ext in ("a2m", "a3m"):
            return ext
        if ext == "fasta":
            return "fasta!"  # the extension says FASTA: lower case is read as residues
        return "fasta*"  # decided after parsing: fasta, or a2m/a3m if it has inserts
    if ext == "stockholm" and first_data:
        return "stockholm"  # a Stockholm file without its header line
    return "aln"


def _parse_fasta(lines: Sequence[str], path: str) -> list[_Record]:
    records: list[_Record] = []
    parts: list[list[str]] = []  # the sequence lines of each record
    seen_header = False
    for ln, line in enumerate(lines, start=1):
        s = line.rstrip()
        if not s.strip():
            continue
        if s.startswith(">"):
            header = s[1:].strip()
            rid = header.split()[0] if header else ""
            records.append(_Record(len(records), rid, ln, [], ""))
            parts.append([])
            seen_header = True
            continue
        if not seen_header:
            if s.startswith("#"):
                continue  # A3M "#A3M#" and comment lines before the first header
            raise FormatError("sequence data before the first '>' header", path, ln, 1)
        lead = len(s) - len(s.lstrip())
        body = s.strip()
        offset = sum(len(p) for p in parts[-1])
        records[-1].segments.append((ln, lead + 1, offset))
        parts[-1].append(body)
    for r, r_parts in zip(records, parts):
        r.seq = "".join(r_parts)
        if r.seq.endswith("*"):  # a terminal stop marker (EMBOSS, translated ORFs), not a column
            r.seq = r.seq[:-1]
    return records


def _parse_aln(lines: Sequence[str], path: str) -> list[_Record]:
    records: list[_Record] = []
    for ln, line in enumerate(lines, start=1):
        s = line.rstrip()
        if not s.strip():
            continue
        if s.lstrip().startswith(">"):
            raise FormatError("'>' header in a one-sequence-per-line (.aln) file; pass format='fasta'", path, ln, 1)
        lead = len(s) - len(s.lstrip())
        k = len(records)
        records.append(_Record(k, str(k + 1), ln, [(ln, lead + 1, 0)], s.strip()))
    return records


_STO_SEQ = re.compile(r"^(\S+)(\s+)(\S+)\s*$")


def _parse_stockholm(lines: Sequence[str], path: str) -> tuple[list[_Record], _Record | None]:
    records: dict[str, _Record] = {}
    seq_parts: dict[str, list[str]] = {}  # the sequence pieces of each record
    order: list[str] = []
    rf_parts: list[str] = []
    rf_segments: list[tuple[int | None, int, int]] = []
    ended = False
    for ln, line in enumerate(lines, start=1):
        s = line.rstrip()
        if ended:
            if s.strip():
                logger.warning("%s: only the first alignment of this Stockholm file is read", path)
                break
            continue
        if not s.strip():
            continue
        if s.startswith("//"):
            ended = True
            continue
        if s.startswith("#"):
            if s.startswith("#=GC"):
                parts = s.split()
                if len(parts) >= 3 and parts[1] == "RF":
                    col = s.index(parts[2], len("#=GC RF")) + 1
                    rf_segments.append((ln, col, sum(len(p) for p in rf_parts)))
                    rf_parts.append(parts[2])
            continue
        m = _STO_SEQ.match(s)
        if not m:
            raise FormatError("expected 'name sequence' in a Stockholm alignment line", path, ln, 1)
        name, ws, seq = m.group(1), m.group(2), m.group(3)
        col = len(name) + len(ws) + 1
        rec = records.get(name)
        if rec is None:
            rec = _Record(len(order), name, ln, [], "")
            records[name] = rec
            seq_parts[name] = []
            order.append(name)
        rec.segments.append((ln, col, sum(len(p) for p in seq_parts[name])))
        seq_parts[name].append(seq)
    if order and not ended:
        raise FormatError("the Stockholm alignment has no '//' terminator (truncated file?)", path, _last_line(lines))
    counts = [len(seq_parts[name]) for name in order]
    n_blocks = max(set(counts), key=lambda c: (counts.count(c), c)) if counts else 0  # the usual count
    for name, count in zip(order, counts):
        if count != n_blocks:
            raise FormatError(
                f"sequence {name!r} has {count} line(s) where the other sequences have {n_blocks}: "
                "every block must hold every sequence once",
                path,
                records[name].segments[-1][0],
            )
    out = []
    for name in order:
        r = records[name]
        r.seq = "".join(seq_parts[name])
        out.append(r)
    rf = None
    if rf_parts:
        rf = _Record(-1, "#=GC RF", rf_segments[0][0], rf_segments, "".join(rf_parts))
    return out, rf


def _last_line(lines: Sequence[str]) -> int:
    """1-based number of the last non-blank line (1 for an empty file)."""
    for k in range(len(lines), 0, -1):
        if lines[k - 1].strip():
            return k
    return 1


def read_records(path: PathLike, format: str | None = None) -> tuple[list[_Record], str, _Record | None]:
    """Parse an alignment file into records, detecting its format.

    Parameters
    ----------
    path : str or os.PathLike
        FASTA, A2M, A3M, Stockholm or .aln file, optionally gzip-compressed.
    format : {"fasta", "a2m", "a3m", "stockholm", "aln"}, optional
        Detected from the content and the extension when not given (see the module
        documentation).

    Returns
    -------
    records : list of _Record
        In file order.
    format : str
        The format the records were read as (one of :data:`FORMATS`).
    rf : _Record or None
        The ``#=GC RF`` line of a Stockholm file.
    """
    if format is not None and format not in FORMATS:
        raise InputError(f"format must be one of {FORMATS}, got {format!r}")
    path_str = os.fspath(path)
    text = _read_text(path_str)
    lines = _split_lines(text)
    fmt = format or _detect_format(path_str, lines)
    rf = None
    if fmt in ("fasta", "a2m", "a3m", "fasta*", "fasta!"):
        records = _parse_fasta(lines, path_str)
    elif fmt == "stockholm":
        records, rf = _parse_stockholm(lines, path_str)
    else:
        records = _parse_aln(lines, path_str)
    if not records:
        raise FormatError("no sequences found (empty file?)", path_str)
    if all(not r.seq for r in records):
        raise FormatError(
            f"the {len(records)} record(s) hold no sequence characters (only headers?)", path_str, records[0].line
        )
    if format is None and fmt in ("a2m", "fasta!") and _a3m_shaped(records):
        # rows of different lengths whose upper-case letters and '-' line up: an A3M file
        logger.warning(
            "%s: rows differ in length but their match columns (upper case and '-') "
            "agree: read as A3M (lower-case letters and '.' are insert states)",
            path_str,
        )
        fmt = "a3m"
    if fmt == "fasta!":
        fmt = "fasta"
        if _mixed_case(records):
            logger.warning(
                "%s: lower-case letters are read as residues (FASTA); if they are "
                "insert states pass format='a2m' or format='a3m'",
                path_str,
            )
    if fmt == "fasta*":
        if not _mixed_case(records):
            fmt = "fasta"
        else:
            lengths = {len(r.seq) for r in records}
            fmt = "a2m" if len(lengths) == 1 else "a3m"
            logger.info(
                "%s: lower-case letters or '.' found: read as %s (insert states "
                "dropped); pass format='fasta' to read them as residues",
                path_str,
                fmt,
            )
    return records, fmt, rf


_INSERT_RE = re.compile("[a-z.]")


def _a3m_shaped(records: Sequence[_Record]) -> bool:
    """Rows of different lengths that have the same number of match characters."""
    if len({len(r.seq) for r in records}) < 2 or not _mixed_case(records):
        return False
    return len({len(r.seq) - len(_INSERT_RE.findall(r.seq)) for r in records}) == 1


_UPPER_RE = re.compile("[A-Z]")
_LOWER_RE = re.compile("[a-z]")


def _mixed_case(records: Sequence[_Record]) -> bool:
    """True if the sequences hold both upper-case and lower-case letters."""
    has_upper = has_insert = False
    for r in records:
        seq = r.seq
        if not has_upper and _UPPER_RE.search(seq):
            has_upper = True
        if not has_insert and _LOWER_RE.search(seq):
            has_insert = True
        if has_upper and has_insert:
            return True
    return False
