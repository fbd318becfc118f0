# cython: language_level=3
"""Sequence-weight kernel (private): neighbour counts at a sequence-identity threshold.

Contract (the Python layer in :mod:`isingbio.weights` validates and converts first):

    neighbour_counts(planes, nwords, nbits, max_mismatch, counts, n_threads, row_start=0, row_stop=-1,
                     mult=None)

    planes        const uint64[:, ::1]  (N, nwords * nbits) bit-plane packed sequences
                                        (see _weights_impl.h)
    max_mismatch  int                   a pair are neighbours iff they differ at
                                        <= max_mismatch of the L positions
    counts        int32[:, ::1]         (n_threads, N) zeroed scratch, out: per-thread
                                        neighbour counts; their column sums, + 1 for the
                                        sequence itself, are the neighbourhood sizes
    n_threads     int                   OpenMP threads; rows are handed out dynamically
    row_start, row_stop                 compare only rows i in [row_start, row_stop) with
                                        the rows after them (row_stop -1: to the end), so
                                        the caller can go over the rows in chunks and return
                                        to Python between them (Ctrl-C, progress)
    mult          const int32[::1] or None  copies of each (distinct) sequence: a neighbour j
                                        counts mult[j] for i and i counts mult[i] for j
                                        (None: 1 each)

Each unordered pair is compared once. Counts are integers, so the result does not depend
on the number of threads, on the schedule or on how the rows are split into calls.
"""
from cython.parallel cimport prange, threadid
from libc.stdint cimport uint64_t, int32_t, int64_t

cdef extern from "_weights_impl.h" nogil:
    int64_t isb_weights_row(const uint64_t *planes, Py_ssize_t j_start, Py_ssize_t j_stop,
                            Py_ssize_t i, int nwords, int nbits, int max_mismatch,
                            int32_t *counts_j, const int32_t *mult)


def neighbour_counts(const uint64_t[:, ::1] planes, int nwords, int nbits, int max_mismatch,
                     int32_t[:, ::1] counts, int n_threads, Py_ssize_t row_start=0,
                     Py_ssize_t row_stop=-1, const int32_t[::1] mult=None):
    cdef Py_ssize_t n = planes.shape[0]
    cdef const int32_t *pm = NULL
    cdef Py_ssize_t i, jb, je, jblock, last
    cdef int tid
    cdef int64_t found
    if n == 0:
        return
    if planes.shape[1] != <Py_ssize_t>nwords * nbits:
        raise ValueError("planes has the wrong number of words per sequence")
    if counts.shape[1] != n or counts.shape[0] < n_threads:
        raise ValueError("counts must have shape (n_threads, N)")
    if mult is not None:
        if mult.shape[0] != n:
            raise ValueError("mult must have one entry per sequence")
        pm = &mult[0]
    if row_stop < 0 or row_stop > n:
        row_stop = n
    if row_start < 0 or row_start > row_stop:
        raise ValueError("row_start must be in 0..row_stop")
    # rows j go in blocks of about 512 KiB, which stay in cache while the rows i of this call
    # are compared with them (without blocks, large N streams every row from memory for each i)
    jblock = max(256, (512 * 1024) // (8 * nwords * nbits))
    with nogil:
        jb = row_start + 1
        while jb < n:
            je = jb + jblock
            if je > n:
                je = n
            last = row_stop if row_stop < je - 1 else je - 1
            for i in prange(row_start, last, num_threads=n_threads, schedule="dynamic", chunksize=16):
                tid = threadid()
                found = isb_weights_row(&planes[0, 0], jb if jb > i + 1 else i + 1, je, i, nwords,
                                        nbits, max_mismatch, &counts[tid, 0], pm)
                counts[tid, i] += <int32_t>found
            jb = je


def openmp_enabled():
    """True if this module was compiled with OpenMP."""
    return bool(OPENMP)
