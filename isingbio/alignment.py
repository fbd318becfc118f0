"""Multiple sequence alignments: the encoded :class:`Alignment`, focus mode and gap filters.

:func:`read_alignment` reads a file (the parsers and format detection are in
:mod:`isingbio.alignment_io`), encodes it with an alphabet (:mod:`isingbio.alphabets`:
:class:`Alphabet`, :data:`PROTEIN`, :func:`reorder_states`, ..., re-exported here) and
applies focus mode and the filters below.

Non-standard letters (protein: X B Z J U O; nucleic acids: N and the IUPAC ambiguity codes)
are mapped to the gap state and counted (``Alignment.n_nonstandard``); ``nonstandard="error"``
refuses them instead. Any other character is a :class:`~isingbio.errors.FormatError` naming
the file, line and column.

Focus mode (plmc ``-f``)
------------------------
``focus=`` an id (exact, or without its ``/start-end`` suffix, or the first word of the
header), an integer row index, or ``True`` for the first sequence. Only the columns where the
target has an upper-case residue are kept (for plain FASTA and .aln, any residue), and
``positions`` are the target's residue numbers: the residues of the target are numbered from
``start`` of a ``/start-end`` suffix of its id (1 without one), counting every residue of
the row, also those in dropped or insert columns. Without focus mode ``positions`` are the
1-based match-column numbers of the file (before gap filtering, so they stay the file's
numbers when columns are dropped).

Filters
-------
``max_gap_fraction_col`` drops columns whose gap fraction (over all sequences) exceeds it;
then ``max_gap_fraction_seq`` drops sequences whose gap fraction over the kept columns
exceeds it (the focus sequence is never dropped). ``Alignment.dropped`` and
:meth:`Alignment.summary` say what was dropped and why.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np

from ._typing import ArrayLike, PathLike, SeedLike
from .alignment_io import FORMATS, _Record, read_records
from .alphabets import DNA, PROTEIN, PROTEIN_GAP_LAST, RNA, Alphabet, get_alphabet, reorder_states, state_permutation
from .errors import FormatError, InputError

__all__ = [
    "Alphabet",
    "PROTEIN",
    "PROTEIN_GAP_LAST",
    "RNA",
    "DNA",
    "get_alphabet",
    "reorder_states",
    "state_permutation",
    "Alignment",
    "read_alignment",
    "FORMATS",
]

logger = logging.getLogger(__name__)

_LOWER = np.zeros(256, dtype=bool)
_LOWER[ord("a") : ord("z") + 1] = True
_UPPER = np.zeros(256, dtype=bool)
_UPPER[ord("A") : ord("Z") + 1] = True
_DOT = ord(".")


@dataclass(eq=False)
class Alignment:
    """An encoded multiple sequence alignment.

    Attributes
    ----------
    matrix : ndarray of int8, shape (N, L)
        State codes ``0 .. q-1`` (C-contiguous).
    ids : list of str
        Sequence ids (first word of each header; "1", "2", ... for .aln).
    alphabet : Alphabet
    positions : ndarray of int64, shape (L,)
        Residue numbers of the focus sequence (focus mode), else 1-based match-column numbers.
    target_sequence : str
        The focus (else the first) sequence over the kept columns, upper case, as written in
        the file (non-standard letters kept: structures are aligned to it).
    path, format : str or None
    focus_id : str or None
        Id of the focus sequence (None without focus mode).
    n_read : int
        Sequences in the file.
    n_columns_read : int
        Match columns in the file (after insert removal).
    n_nonstandard : int
        Non-standard letters (X, B, Z, ...) read as gaps in the kept part of the matrix.
    nonstandard_counts : dict
        The same, per letter.
    dropped : dict
        Reason -> count: "sequences: gap fraction > f", "columns: gap fraction > f",
        "columns: not upper-case in focus sequence", ...
    """

    matrix: np.ndarray
    ids: list[str]
    alphabet: Alphabet
    positions: np.ndarray
    target_sequence: str = ""
    path: str | None = None
    format: str | None = None
    focus_id: str | None = None
    focus_index: int | None = None
    n_read: int = 0
    n_columns_read: int = 0
    n_nonstandard: int = 0
    nonstandard_counts: dict[str, int] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.matrix = np.ascontiguousarray(self.matrix, dtype=np.int8)
        if self.matrix.ndim != 2:
            raise InputError(f"alignment matrix must be 2-D, got shape {self.matrix.shape}")
        self.ids = [str(i) for i in self.ids]
        if len(self.ids) != self.matrix.shape[0]:
            raise InputError(f"{len(self.ids)} ids for {self.matrix.shape[0]} sequences")
        self.alphabet = get_alphabet(self.alphabet)
        self.positions = np.asarray(self.positions, dtype=np.int64)
        if self.positions.shape != (self.matrix.shape[1],):
            raise InputError(f"positions must have shape ({self.matrix.shape[1]},), got {self.positions.shape}")
        if self.matrix.size and (self.matrix.min() < 0 or self.matrix.max() >= self.alphabet.q):
            raise InputError(f"alignment codes must be in 0..{self.alphabet.q - 1}")
        if not self.n_read:
            self.n_read = self.matrix.shape[0]
        if not self.n_columns_read:
            self.n_columns_read = self.matrix.shape[1]
        if not self.target_sequence and self.matrix.shape[0]:
            row = self.focus_index if self.focus_index is not None else 0
            self.target_sequence = self.alphabet.decode(self.matrix[row])

    @property
    def q(self) -> int:
        """Number of states."""
        return self.alphabet.q

    @property
    def L(self) -> int:
        """Number of columns."""
        return self.matrix.shape[1]

    @property
    def N(self) -> int:
        """Number of sequences."""
        return self.matrix.shape[0]

    def __len__(self) -> int:
        return self.matrix.shape[0]

    def __repr__(self) -> str:
        return (
            f"Alignment(N={self.N}, L={self.L}, q={self.q}, alphabet={self.alphabet.name!r}, "
            f"format={self.format!r}, path={self.path!r})"
        )

    @classmethod
    def from_sequences(
        cls,
        sequences: Iterable[str],
        ids: Iterable[str] | None = None,
        alphabet: Alphabet | str = "protein",
        focus: str | int | bool | None = None,
        max_gap_fraction_seq: float | None = None,
        max_gap_fraction_col: float | None = None,
        nonstandard: str = "gap",
    ) -> Alignment:
        """An alignment from aligned strings (upper/lower case are the same residue).

        ``focus`` (an id, index or True) keeps the columns where the target has a residue
        and numbers them from 1 (or from ``start`` of an ``/start-end`` id suffix).
        """
        seqs = [str(s) for s in sequences]
        if ids is None:
            ids = [str(k + 1) for k in range(len(seqs))]
        id_list = [str(i) for i in ids]
        if len(id_list) != len(seqs):
            raise InputError(f"{len(id_list)} ids for {len(seqs)} sequences")
        records = [_Record(i, id_list[i], None, [(None, 1, 0)], s) for i, s in enumerate(seqs)]
        return _build(records, "fasta", None, alphabet, focus, max_gap_fraction_seq, max_gap_fraction_col, nonstandard)

    def sequences(self) -> list[str]:
        """The rows as strings."""
        return [self.alphabet.decode(row) for row in self.matrix]

    def gap_fraction(self, axis: int = 1) -> np.ndarray:
        """Gap fraction per sequence (axis=1) or per column (axis=0)."""
        if self.alphabet.gap_index is None:
            return np.zeros(self.matrix.shape[1 - axis])
        return (self.matrix == self.alphabet.gap_index).mean(axis=axis)

    def subset(self, rows: ArrayLike | None = None, columns: ArrayLike | None = None) -> Alignment:
        """A new alignment with the given rows and/or columns (index arrays or masks)."""
        m = self.matrix
        ids = list(self.ids)
        pos = self.positions
        focus_index = self.focus_index
        row_idx = col_idx = None
        if rows is not None:
            row_idx = np.arange(m.shape[0])[cast(Any, rows)]  # any numpy index: array, mask, slice
            m = m[row_idx]
            ids = [ids[i] for i in row_idx]
            if focus_index is not None:
                hit = np.flatnonzero(row_idx == focus_index)
                focus_index = int(hit[0]) if hit.size else None
        if columns is not None:
            col_idx = np.arange(self.L)[cast(Any, columns)]
            m = m[:, col_idx]
            pos = pos[col_idx]
        same_target = (
            row_idx is None
            or focus_index is not None
            or (self.focus_index is None and row_idx.size and row_idx[0] == 0)
        )
        target = ""
        if same_target and self.target_sequence:
            target = self.target_sequence if col_idx is None else "".join(self.target_sequence[c] for c in col_idx)
        return Alignment(
            m,
            ids,
            self.alphabet,
            pos,
            target_sequence=target,
            path=self.path,
            format=self.format,
            focus_id=self.focus_id if focus_index is not None else None,
            focus_index=focus_index,
            n_read=self.n_read,
            n_columns_read=self.n_columns_read,
        )

    def split(self, test_fraction: float = 0.2, seed: SeedLike = None) -> tuple[Alignment, Alignment]:
        """A random held-out split: (train, test), rows in their original order.

        Parameters
        ----------
        test_fraction : float
            Fraction of the sequences in the test part, in (0, 1); both parts get at least
            one sequence.
        seed : int or numpy Generator, optional

        Returns
        -------
        (Alignment, Alignment)
        """
        import numbers

        if isinstance(test_fraction, bool) or not isinstance(test_fraction, numbers.Real):
            raise InputError(f"test_fraction must be a number in (0, 1), got {test_fraction!r}")
        if not 0 < float(test_fraction) < 1:
            raise InputError(f"test_fraction must be in (0, 1), got {test_fraction}")
        if self.N < 2:
            raise InputError(f"cannot split an alignment of {self.N} sequence(s)")
        n_test = min(self.N - 1, max(1, int(round(float(test_fraction) * self.N))))
        rng = np.random.default_rng(seed)
        test = np.zeros(self.N, dtype=bool)
        test[rng.permutation(self.N)[:n_test]] = True
        return self.subset(rows=~test), self.subset(rows=test)

    def summary(self, n_eff: float | None = None) -> str:
        """A few lines: sequences read and kept, L, q, what was dropped and why, N_eff."""
        lines = []
        src = f" from {self.path} ({self.format})" if self.path else ""
        lines.append(f"alignment{src}")
        lines.append(f"  sequences: {self.n_read} read, {self.N} kept")
        lines.append(
            f"  columns:   {self.n_columns_read} match columns read, L = {self.L} kept, "
            f"q = {self.q} ({self.alphabet.name})"
        )
        if self.focus_id is not None and self.L:
            label = self.focus_id or (
                f"sequence {self.focus_index + 1}" if self.focus_index is not None else "the focus sequence"
            )
            lines.append(f"  focus:     {label}, positions {self.positions[0]}-{self.positions[-1]}")
        for reason, count in self.dropped.items():
            lines.append(f"  dropped:   {count} {reason}")
        if self.n_nonstandard:
            per = ", ".join(f"{k}: {v}" for k, v in sorted(self.nonstandard_counts.items()))
            lines.append(f"  non-standard letters read as gaps: {self.n_nonstandard} ({per})")
        if n_eff is not None:
            lines.append(f"  effective number of sequences: {n_eff:.1f}")
        return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Reading, focus mode, filters
# --------------------------------------------------------------------------------------------
def read_alignment(
    path: PathLike,
    format: str | None = None,
    alphabet: Alphabet | str = "protein",
    focus: str | int | bool | None = None,
    max_gap_fraction_seq: float | None = None,
    max_gap_fraction_col: float | None = None,
    nonstandard: str = "gap",
) -> Alignment:
    """Read and encode a multiple sequence alignment.

    Parameters
    ----------
    path : str or os.PathLike
        FASTA, A2M, A3M, Stockholm or .aln file, optionally gzip-compressed.
    format : {"fasta", "a2m", "a3m", "stockholm", "aln"}, optional
        Detected from the extension and the content when not given.
    alphabet : Alphabet or str, default "protein"
        ``"protein"`` (gap first: ``-ACDEFGHIKLMNPQRSTVWY``), ``"protein-gap-last"`` /
        ``"ccmpred"`` (``ARNDCQEGHILKMFPSTWYV-``), ``"rna"``, ``"dna"``, an :class:`Alphabet`,
        or a string of letters.
    focus : str, int or True, optional
        Focus mode: the target's id, row index, or True for the first sequence (see the
        module documentation).
    max_gap_fraction_seq, max_gap_fraction_col : float, optional
        Drop columns, then sequences, whose gap fraction is above this (in [0, 1]).
    nonstandard : {"gap", "error"}
        Read non-standard letters (X B Z J U O for proteins) as gaps and count them, or
        refuse them.

    Returns
    -------
    Alignment

    Raises
    ------
    FormatError
        Empty file, unknown character (with line and column), sequences of different
        lengths (naming the sequence and its line), unreadable structure.
    InputError
        Missing file, bad argument, unknown focus id.
    """
    path_str = os.fspath(path)
    records, fmt, rf = read_records(path_str, format)
    return _build(
        records, fmt, path_str, alphabet, focus, max_gap_fraction_seq, max_gap_fraction_col, nonstandard, rf=rf
    )


def _check_fraction(value, name):
    if value is None:
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number in [0, 1], got {value!r}") from None
    if not (0.0 <= v <= 1.0):
        raise InputError(f"{name} must be in [0, 1], got {v}")
    return v


def _split_range(rid: str):
    """'NAME/12-80' -> ('NAME', 12, 80); else (rid, None, None)."""
    m = re.match(r"^(.*)/(-?\d+)-(-?\d+)$", rid)
    if m:
        return m.group(1), int(m.group(2)), int(m.group(3))
    return rid, None, None


def _find_focus(records, focus, path) -> int:
    if focus is True:
        return 0
    if isinstance(focus, (int, np.integer)) and not isinstance(focus, bool):
        k = int(focus)
        if not (-len(records) <= k < len(records)):
            raise InputError(f"focus index {k} is out of range for {len(records)} sequences")
        return k % len(records)
    if isinstance(focus, str):
        hits = [r.index for r in records if r.id == focus]
        if not hits:
            hits = [r.index for r in records if _split_range(r.id)[0] == focus or _split_range(focus)[0] == r.id]
        if hits:
            if len(hits) > 1:
                logger.warning(
                    "%s: %d sequences match focus %r; using the first (sequence %d)",
                    path or "alignment",
                    len(hits),
                    focus,
                    hits[0] + 1,
                )
            return hits[0]
        where = f" in {path}" if path else ""
        raise InputError(f"focus sequence {focus!r} not found{where}")
    raise InputError(f"focus must be an id, a row index or True, got {focus!r}")


def _build(records, fmt, path, alphabet, focus, max_gap_seq, max_gap_col, nonstandard, rf=None) -> Alignment:
    alpha = get_alphabet(alphabet)
    if nonstandard not in ("gap", "error"):
        raise InputError(f"nonstandard must be 'gap' or 'error', got {nonstandard!r}")
    max_gap_seq = _check_fraction(max_gap_seq, "max_gap_fraction_seq")
    max_gap_col = _check_fraction(max_gap_col, "max_gap_fraction_col")
    if not records:
        raise FormatError("no sequences", path)
    n_read = len(records)
    fidx = _find_focus(records, focus, path) if focus is not None and focus is not False else None

    # 1. All characters at once: validate against the alphabet.
    lengths = np.array([len(r.seq) for r in records], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    try:
        raw = np.frombuffer("".join(r.seq for r in records).encode("latin-1"), dtype=np.uint8)
    except UnicodeEncodeError:
        raw = np.frombuffer("".join(r.seq for r in records).encode("latin-1", errors="replace"), dtype=np.uint8)
    codes_all = alpha._code[raw]
    insert_fmt = fmt in ("a2m", "a3m")
    invalid = codes_all < 0
    if insert_fmt or fmt == "stockholm":
        # lower-case letters are inserts; they must still be letters we know
        upper = raw.copy()
        low = _LOWER[raw]
        upper[low] -= 32
        invalid = alpha._code[upper] < 0
        invalid &= ~(raw == _DOT)
    if alpha.gap_index is None:
        invalid |= (raw == ord("-")) | (raw == _DOT)
    if nonstandard == "error":
        invalid |= alpha._nonstd[raw]
    if invalid.any():
        k = int(np.flatnonzero(invalid)[0])
        ri = int(np.searchsorted(offsets, k, side="right") - 1)
        r = records[ri]
        line, col = r.locate(k - int(offsets[ri]))
        ch = r.seq[k - int(offsets[ri])]
        what = "non-standard letter" if alpha._nonstd[raw[k]] else "unknown character"
        hint = "" if what == "unknown character" else " (nonstandard='error')"
        raise FormatError(
            f"{what} {ch!r} in {r.label()} is not in alphabet {alpha.name!r} ({alpha.letters}){hint}", path, line, col
        )

    # 2. Match columns.
    dropped = {}
    if fmt == "a3m" or (fmt == "a2m" and fidx is None):
        keep = ~(_LOWER[raw] | (raw == _DOT))
        csum = np.concatenate([[0], np.cumsum(keep, dtype=np.int64)])
        match_len = csum[offsets[1:]] - csum[offsets[:-1]]
        L0 = int(match_len[0])
        bad = np.flatnonzero(match_len != L0)
        if bad.size:
            r = records[int(bad[0])]
            raise FormatError(
                f"{r.label()} has {int(match_len[bad[0]])} match columns "
                f"(upper-case letters and '-'), {records[0].label()} has {L0}",
                path,
                r.line,
            )
        sel_raw = raw[keep].reshape(len(records), L0)
        sel_codes = codes_all[keep].reshape(len(records), L0)
        n_cols_read = L0
        positions = np.arange(1, L0 + 1, dtype=np.int64)
        target_raw_index = None
    else:
        L_raw = int(lengths[0])
        bad = np.flatnonzero(lengths != L_raw)
        if bad.size:
            r = records[int(bad[0])]
            hint = ""
            if fmt == "a2m" or (fmt == "fasta" and any(c.islower() for c in r.seq)):
                hint = "; if lower-case letters are insert states, read it as format='a3m'"
            raise FormatError(
                f"{r.label()} has length {int(lengths[bad[0]])}, "
                f"{records[0].label()} has {L_raw}: sequences of an alignment "
                f"must all have the same length{hint}",
                path,
                r.line,
            )
        mat_raw = raw.reshape(len(records), L_raw)
        if fmt == "stockholm":
            if rf is not None:
                if len(rf.seq) != L_raw:
                    raise FormatError(f"#=GC RF line has length {len(rf.seq)}, sequences have {L_raw}", path, rf.line)
                colkeep = np.array([c not in ".-_~" for c in rf.seq], dtype=bool)
                reason = "columns: insert columns ('.' in #=GC RF)"
            else:
                colkeep = np.asarray(~_LOWER[mat_raw].any(axis=0))
                reason = "columns: insert columns (lower-case letters)"
        elif fmt == "a2m":  # focus mode: plmc rule
            colkeep = np.ones(L_raw, dtype=bool)
            reason = None
        else:
            colkeep = np.ones(L_raw, dtype=bool)
            reason = None
        if reason and (~colkeep).sum():
            dropped[reason] = int((~colkeep).sum())
        match_cols = np.flatnonzero(colkeep)
        sel_raw = mat_raw[:, match_cols]
        sel_codes = codes_all.reshape(len(records), L_raw)[:, match_cols]
        if fmt in ("stockholm", "a2m"):
            # lower-case letters in match columns are residues
            up = np.where(_LOWER[sel_raw], sel_raw - 32, sel_raw).astype(np.uint8)
            sel_codes = alpha._code[up]
        n_cols_read = len(match_cols)
        positions = np.arange(1, n_cols_read + 1, dtype=np.int64)
        target_raw_index = match_cols

    # 3. Focus mode: columns where the target has an (upper-case) residue.
    focus_id = None
    if fidx is not None:
        r = records[fidx]
        focus_id = r.id
        _, start, _end = _split_range(r.id)
        start = 1 if start is None else start
        traw = np.frombuffer(r.seq.encode("latin-1"), dtype=np.uint8)
        is_res = _UPPER[traw] | _LOWER[traw]
        resnum = np.cumsum(is_res) - 1 + start  # residue number at each raw character
        if fmt in ("a2m", "a3m") and target_raw_index is None:
            # a3m focus: match columns of every row, numbered on the target's raw row
            keep_t = ~(_LOWER[traw] | (traw == _DOT))
            t_match_idx = np.flatnonzero(keep_t)
            t_match_raw = traw[keep_t]
            fcol = _UPPER[t_match_raw]
            pos_all = resnum[t_match_idx]
        else:
            t_match_raw = traw[target_raw_index]
            if fmt in ("a2m", "a3m"):
                fcol = _UPPER[t_match_raw]
            else:
                fcol = _UPPER[t_match_raw] | _LOWER[t_match_raw]
            pos_all = resnum[target_raw_index]
        ndrop = int((~fcol).sum())
        if ndrop:
            dropped[
                "columns: no upper-case residue in the focus sequence"
                if fmt in ("a2m", "a3m")
                else "columns: gap in the focus sequence"
            ] = ndrop
        if not fcol.any():
            raise FormatError(f"focus {r.label()} has no residue in any match column", path, r.line)
        sel_raw = sel_raw[:, fcol]
        sel_codes = sel_codes[:, fcol]
        positions = pos_all[fcol].astype(np.int64)

    matrix = sel_codes.astype(np.int8)
    ids = [r.id for r in records]
    rows = np.arange(len(records))

    # 4. Filters: columns, then sequences (the raw characters follow, for the counts).
    if max_gap_col is not None and alpha.gap_index is not None and matrix.shape[0]:
        gf = (matrix == alpha.gap_index).mean(axis=0)
        ck = gf <= max_gap_col + 1e-12
        if (~ck).sum():
            dropped[f"columns: gap fraction > {max_gap_col:g}"] = int((~ck).sum())
            matrix, positions, sel_raw = matrix[:, ck], positions[ck], sel_raw[:, ck]
    if max_gap_seq is not None and alpha.gap_index is not None and matrix.shape[1]:
        gf = (matrix == alpha.gap_index).mean(axis=1)
        sk = gf <= max_gap_seq + 1e-12
        if fidx is not None:
            sk[fidx] = True
        if (~sk).sum():
            dropped[f"sequences: gap fraction > {max_gap_seq:g}"] = int((~sk).sum())
            matrix, sel_raw, rows = matrix[sk], sel_raw[sk], rows[sk]
            ids = [ids[i] for i in rows]
    if matrix.shape[1] == 0:
        why = "; ".join(f"{k}: {v} dropped" for k, v in dropped.items()) if dropped else "none read"
        raise FormatError(f"no columns left ({why})", path)

    up_raw = np.where(_LOWER[sel_raw], sel_raw - 32, sel_raw).astype(np.uint8)
    nonstd = alpha._nonstd[up_raw] | alpha._nonstd[sel_raw]
    counts = {}
    if nonstd.any():
        letters, n = np.unique(up_raw[nonstd], return_counts=True)
        counts = {chr(int(a)): int(b) for a, b in zip(letters, n)}
    n_nonstd = int(nonstd.sum())
    focus_row = None
    if fidx is not None:
        focus_row = int(np.flatnonzero(rows == fidx)[0])
    if n_read == 1:
        logger.info("%s: only one sequence", path or "alignment")
    # the target as written (an X stays X, where the matrix holds a gap): structures align to it
    target = up_raw[focus_row if focus_row is not None else 0] if matrix.shape[0] else up_raw[:0, 0]
    target = bytes(target).decode("latin-1").replace(".", "-")
    aln = Alignment(
        matrix,
        ids,
        alpha,
        positions,
        target_sequence=target,
        path=path,
        format=fmt,
        focus_id=focus_id,
        focus_index=focus_row,
        n_read=n_read,
        n_columns_read=n_cols_read,
        n_nonstandard=n_nonstd,
        nonstandard_counts=counts,
        dropped=dropped,
    )
    if n_nonstd:
        logger.info("%s: %d non-standard letters read as gaps", path or "alignment", n_nonstd)
    return aln
