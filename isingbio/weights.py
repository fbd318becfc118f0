"""Sequence weights: down-weight redundant sequences of an alignment.

The weight of sequence *n* is ``1 / m_n``, where ``m_n`` is the number of sequences of the
alignment (itself included) that are "neighbours" of *n*: at least a fraction ``identity``
of the ``L`` positions identical. The effective number of sequences is ``N_eff = sum_n w_n``.

Convention (the one plmc uses, ``src/weights.c``): identity is counted over **all** ``L``
columns of the alignment as given (after focus-mode and gap filtering), a gap facing a gap
counts as identical, and two sequences are neighbours when ``identical >= identity * L``.
CCMpred (``src/reweighting.c``) uses a strict rule instead, ``identical > ceil(identity * L)``
(so at L = 75 and 0.8 it needs 61 identical positions where plmc needs 60); pass
``rule="ccmpred"`` to reproduce its weights exactly.

The pairwise comparison is O(N^2 L) and runs in compiled code: identical sequences are
compared once (each distinct sequence counts its copies: exact, and 40-60% less work on
alignments with 20-35% duplicates such as T0900 and PF00014), sequences are packed into
bit planes (ceil(log2 q) bits per residue), 64 positions are compared with a few XOR/OR
operations and one popcount, each pair is compared once, a pair is abandoned as soon as it
has too many mismatches, and rows are spread over OpenMP threads. The result is the same
whatever ``n_threads`` is (the counts are integers).

Long runs: the rows are compared in chunks of about a quarter of a second each, so Ctrl-C
takes effect between chunks and a progress bar (``progress=True``) moves; the result does
not depend on the chunks. The rows are compared against blocks of rows that stay in cache,
so the time grows as N^2 and not faster. The weights are exact at every size (no sampling
or clustering shortcut): for N = 250,000 sequences of L = 200, about 35 s on two cores for a
synthetic family and at most about 2.5 minutes when every pair has to be compared to the
end (:func:`estimate_weights_seconds` gives the upper estimate logged before starting;
figures in benchmarks/README.md).
"""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING

import numpy as np

from ._config import resolve_threads
from ._typing import ArrayLike
from .errors import InputError

if TYPE_CHECKING:
    from .alignment import Alignment

__all__ = ["sequence_weights", "neighbour_threshold", "estimate_weights_seconds"]

log = logging.getLogger(__name__)

# 64-bit words compared per second and thread when all comparisons run to the end (no early
# exit): 2.3e9 measured on the development machine (N = 20,000 near-identical sequences of
# L = 200); most pairs of a real family are abandoned after a block or two
_WORDS_PER_SECOND = 2e9
_CHUNK_SECONDS = 0.25  # work per kernel call: Ctrl-C and progress between calls

_RULES = ("plmc", "ccmpred")


def neighbour_threshold(L: int, identity: float = 0.8, rule: str = "plmc") -> int:
    """Smallest number of identical positions (out of ``L``) that makes two sequences neighbours.

    ``rule="plmc"``: ``ceil(identity * L)`` (``identical >= identity * L``; a relative
    tolerance of 1e-12 keeps e.g. 0.8 * 75 = 60, not 61, despite rounding).
    ``rule="ccmpred"``: ``ceil(identity * L) + 1`` (``identical > ceil(identity * L)``).
    """
    if rule not in _RULES:
        raise InputError(f"rule must be one of {_RULES}, got {rule!r}")
    x = identity * L
    k = math.ceil(x - 1e-12 * max(1.0, abs(x)))
    if rule == "ccmpred":
        k = math.ceil(x) + 1
    return int(k)


def _words_per_pair(L: int, q: int) -> int:
    nbits = max(1, (max(q, 2) - 1).bit_length())
    return max(1, (L + 63) // 64) * nbits


def estimate_weights_seconds(N: int, L: int, q: int = 21, n_threads: int = 1) -> float:
    """A rough upper estimate of the seconds :func:`sequence_weights` takes: N (N - 1) / 2 pairs,
    each up to ``ceil(L / 64) * ceil(log2 q)`` word comparisons, at about 2e9 words per second
    and thread (the development machine when every pair runs to the end; a family's pairs
    usually stop early, so it is often 2-4 times faster)."""
    pairs = N * (N - 1) / 2
    return pairs * _words_per_pair(L, q) / (_WORDS_PER_SECOND * max(1, n_threads))


def _row_chunks(n: int, words: int, n_threads: int) -> list[tuple[int, int]]:
    """Split rows 0..n-1 (row i compared with n - 1 - i rows) into calls of about _CHUNK_SECONDS."""
    target = _CHUNK_SECONDS * _WORDS_PER_SECOND * n_threads / words  # pairs per call
    pairs_after = np.cumsum(np.arange(n - 1, -1, -1, dtype=np.float64))  # pairs of rows 0..i
    bounds = [0]
    while bounds[-1] < n:
        done = pairs_after[bounds[-1] - 1] if bounds[-1] else 0.0
        stop = int(np.searchsorted(pairs_after, done + target, side="right"))
        bounds.append(min(n, max(stop, bounds[-1] + 1)))
    return list(zip(bounds[:-1], bounds[1:]))


def _pack_bit_planes(matrix: np.ndarray, nbits: int) -> tuple[np.ndarray, int]:
    """(N, L) codes -> (N, nwords * nbits) uint64 bit planes, word-major (see _weights_impl.h)."""
    n, L = matrix.shape
    nwords = max(1, (L + 63) // 64)
    padded = np.zeros((n, nwords * 64), dtype=np.uint8)
    padded[:, :L] = matrix.view(np.uint8) if matrix.dtype == np.int8 else matrix
    planes = np.empty((n, nwords, nbits, 8), dtype=np.uint8)
    blocks = padded.reshape(n, nwords, 64)
    for p in range(nbits):
        planes[:, :, p, :] = np.packbits((blocks >> p) & 1, axis=-1, bitorder="little")
    # Byte order inside a word does not matter: only popcounts of XORs are used.
    return np.ascontiguousarray(planes).view(np.uint64).reshape(n, nwords * nbits), nwords


def sequence_weights(
    alignment: Alignment | ArrayLike,
    identity: float | None = 0.8,
    n_threads: int | None = None,
    rule: str = "plmc",
    progress: bool = False,
) -> tuple[np.ndarray, float]:
    """Weights ``1 / (number of neighbours at >= identity)`` and the effective number of sequences.

    Parameters
    ----------
    alignment : Alignment or array_like of int, shape (N, L)
        An :class:`isingbio.alignment.Alignment`, or a matrix of state codes (0 .. q-1;
        any integers below 128 are accepted: only equality matters).
    identity : float or None, default 0.8
        Fractional sequence identity (over all L positions, gap = gap counts as identical)
        at or above which two sequences are neighbours. ``identity=None`` gives uniform
        weights (no reweighting, as plmc with theta outside [0, 1]).
    n_threads : int, optional
        OpenMP threads (default: the CPUs this process may use). The result does not depend
        on it.
    rule : {"plmc", "ccmpred"}
        ``"plmc"``: neighbours iff ``identical >= identity * L`` (default);
        ``"ccmpred"``: iff ``identical > ceil(identity * L)`` (CCMpred's exact rule).
    progress : bool, default False
        Show a progress bar on stderr. Either way the work goes in chunks of about a quarter
        of a second, so Ctrl-C (KeyboardInterrupt) stops it promptly.

    Returns
    -------
    weights : ndarray of float64, shape (N,)
        ``1 / m_n`` with ``m_n >= 1`` the neighbourhood size (the sequence itself included).
    n_eff : float
        ``weights.sum()``.
    """
    matrix = getattr(alignment, "matrix", alignment)
    matrix = np.asarray(matrix)
    if matrix.ndim != 2:
        raise InputError(f"alignment matrix must be 2-D (N, L), got shape {matrix.shape}")
    if matrix.size and not np.issubdtype(matrix.dtype, np.integer):
        raise InputError(f"alignment matrix must hold integer state codes, got dtype {matrix.dtype}")
    n, L = matrix.shape
    if identity is None:
        w = np.ones(n, dtype=np.float64)
        return w, float(n)
    try:
        identity = float(identity)
    except (TypeError, ValueError):
        raise InputError(f"identity must be a number in [0, 1], got {identity!r}") from None
    if not (0.0 <= identity <= 1.0):
        raise InputError(f"identity must be in [0, 1], got {identity}")
    if rule not in _RULES:
        raise InputError(f"rule must be one of {_RULES}, got {rule!r}")
    n_threads = resolve_threads(n_threads)
    if n == 0:
        return np.zeros(0, dtype=np.float64), 0.0
    if matrix.size and (matrix.min() < 0 or matrix.max() > 127):
        raise InputError("alignment matrix codes must be in 0..127")
    codes = np.ascontiguousarray(matrix, dtype=np.int8)
    min_identical = neighbour_threshold(L, identity, rule)
    max_mismatch = L - min_identical
    if max_mismatch < 0:  # nothing can be a neighbour (rule="ccmpred" at identity 1)
        w = np.ones(n, dtype=np.float64)
        return w, float(n)
    qmax = int(codes.max()) + 1 if codes.size else 1
    # identical sequences are neighbours of each other and have the same neighbours: compare
    # the distinct ones only, each counting as many neighbours as it has copies (exact)
    distinct, inverse, copies = _distinct_rows(codes)
    u = len(distinct)
    nbits = max(1, (qmax - 1).bit_length())
    planes, nwords = _pack_bit_planes(distinct, nbits)
    n_threads = min(n_threads, max(1, u // 16))
    from ._kernels import _weights
    from ._progress import progress_bar

    counts = np.zeros((n_threads, u), dtype=np.int32)
    mult = None if u == n else copies
    words = nwords * nbits
    pairs = u * (u - 1) / 2
    log.info(
        "sequence weights: N = %d sequences (%d distinct) x L = %d columns, %.3g pairs at %.0f%% identity "
        "(exact), about %s on %d thread(s) at most",
        n,
        u,
        L,
        pairs,
        100 * identity,
        _format_seconds(estimate_weights_seconds(u, L, qmax, n_threads)),
        n_threads,
    )
    bar = progress_bar(progress, pairs, "weights")
    try:
        for i0, i1 in _row_chunks(u, words, n_threads):
            _weights.neighbour_counts(planes, nwords, nbits, max_mismatch, counts, n_threads, i0, i1, mult)
            # rows i0..i1-1 were compared with every row after them
            bar.update((i1 - i0) * (u - 1) - (i1 * (i1 - 1) - i0 * (i0 - 1)) / 2)
    finally:
        bar.close()
    m = counts.sum(axis=0, dtype=np.int64) + copies  # the sequence itself and its copies
    w = 1.0 / m.astype(np.float64)
    if u != n:
        w = w[inverse]
    return w, float(w.sum())


def _distinct_rows(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct rows (first-occurrence order), the row of each sequence, copies of each."""
    n, L = codes.shape
    if n < 2 or L == 0:
        return codes, np.arange(n), np.ones(n, dtype=np.int32)
    rows = np.ascontiguousarray(codes).view(np.dtype((np.void, L))).ravel()
    _, first, inverse, copies = np.unique(rows, return_index=True, return_inverse=True, return_counts=True)
    if len(first) == n:
        return codes, np.arange(n), np.ones(n, dtype=np.int32)
    order = np.argsort(first, kind="stable")  # keep the alignment's order
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    distinct = np.ascontiguousarray(codes[first[order]])
    return distinct, rank[np.asarray(inverse).ravel()], np.ascontiguousarray(copies[order], dtype=np.int32)


def _format_seconds(seconds: float) -> str:
    if seconds < 1:
        return "<1 s"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
