# cython: language_level=3
"""Exact enumeration of every configuration of a small pairwise model (private).

The Python layer (:mod:`isingbio.exact.enumeration`) converts every model form to one
representation and checks it; the functions here trust their inputs.

Model representation
--------------------
    q        int                 number of states (Ising: 2, state 0 is s = -1, 1 is s = +1)
    indptr   int64[::1]  (L+1)   neighbour lists of every site (both directions stored)
    nbr      int32[::1]  (nnz)   neighbour of each entry
    tables   double[:, :, ::1] (nnz, q, q)  tables[e, a, b] = J_kj(a, b) for entry e of site k
                                  with neighbour j: site k in state a, j in state b
    h        double[:, ::1] (L, q)

    H_J(x) = -sum_{i<j} J_ij(x_i, x_j),  H_h(x) = -sum_i h_i(x_i),
    log weight = -(beta_J * H_J + beta_h * H_h).

Enumeration order
-----------------
Sites 0..n_prefix-1 are fixed within a chunk; chunk c sets them to the base-q digits of c
(site 0 most significant). The other sites run through a reflected q-ary Gray code (Knuth's
Algorithm H; the last site changes fastest), so each step changes one site and the energy
is updated from that site's neighbours only (and recomputed from scratch every 1024 steps,
which bounds the rounding drift of non-integer couplings). Chunks run in parallel; every chunk writes
its own output row, and the caller reduces rows in chunk order, so results do not depend
on the number of threads.
"""
from cython.parallel cimport prange, threadid
from libc.math cimport exp, fabs
from libc.string cimport memset

import numpy as np

cdef enum:
    RECOMPUTE_MASK = 1023   # recompute the energy from scratch every 1024 steps


cdef struct Model:
    int q
    int L
    int n_prefix
    const long long *indptr
    const int *nbr
    const double *tables
    const double *h
    double beta_J
    double beta_h
    int mag_mode        # 0: none, 1: Ising (sum of spins), 2: Potts order parameter (max count)
    bint moments        # accumulate the energy moments


cdef struct Scratch:
    int *x              # (L) current states
    int *digit_f        # (n_inner + 1) focus pointers
    int *digit_o        # (n_inner) directions
    int *counts         # (q) sites in each state (Potts magnetisation)
    double *last1       # (2 L) running sum (hi, lo) at the last change of each site
    double *last2       # (2 L L) running sum at the last change of each pair (i < j)
    long long steps     # Gray-code steps since the start of the chunk


cdef inline Scratch thread_scratch(int[:, ::1] ibuf, double[:, ::1] dbuf, int tid, int L,
                                   int q) noexcept nogil:
    """The scratch space of thread `tid`, carved from preallocated per-thread buffers."""
    cdef Scratch s
    s.x = &ibuf[tid, 0]
    s.digit_f = s.x + L
    s.digit_o = s.digit_f + L + 1
    s.counts = s.digit_o + L + 1
    if dbuf.shape[1] >= 2 * L + 2 * L * L:
        s.last1 = &dbuf[tid, 0]
        s.last2 = s.last1 + 2 * L
    else:
        s.last1 = NULL
        s.last2 = NULL
    return s


def scratch_buffers(int n_threads, int L, int q, bint marginals):
    """Per-thread scratch buffers for the functions below."""
    ibuf = np.zeros((n_threads, 3 * L + 2 + q), dtype=np.intc)
    dbuf = np.zeros((n_threads, 2 * L + 2 * L * L if marginals else 1), dtype=np.float64)
    return ibuf, dbuf


cdef inline void full_energy(const Model *m, Scratch *s, double *e_j, double *e_h) noexcept nogil:
    """H_J and H_h of the current configuration, from scratch."""
    cdef int k, e, q = m.q
    cdef double ej = 0.0, eh = 0.0
    for k in range(m.L):
        eh -= m.h[k * q + s.x[k]]
        for e in range(m.indptr[k], m.indptr[k + 1]):
            ej -= 0.5 * m.tables[(e * q + s.x[k]) * q + s.x[m.nbr[e]]]
    e_j[0] = ej
    e_h[0] = eh


cdef inline void start_chunk(const Model *m, Scratch *s, long long chunk,
                             double *e_j, double *e_h) noexcept nogil:
    """Set the chunk's first configuration and compute its energy from scratch."""
    cdef int k, q = m.q, L = m.L, n_inner
    cdef long long c = chunk
    for k in range(L):
        s.x[k] = 0
    for k in range(m.n_prefix - 1, -1, -1):
        s.x[k] = <int> (c % q)
        c = c // q
    full_energy(m, s, e_j, e_h)
    n_inner = L - m.n_prefix
    for k in range(n_inner + 1):
        s.digit_f[k] = k
    for k in range(n_inner):
        s.digit_o[k] = 1
    for k in range(q):
        s.counts[k] = 0
    for k in range(L):
        s.counts[s.x[k]] += 1
    s.steps = 0


cdef inline int next_site(const Model *m, Scratch *s, int *new_state) noexcept nogil:
    """Advance the Gray code by one step: return the site that changes (-1 at the end)."""
    cdef int n_inner = m.L - m.n_prefix
    cdef int j = s.digit_f[0]
    s.digit_f[0] = 0
    if j == n_inner:
        return -1
    cdef int site = m.L - 1 - j
    cdef int a = s.x[site] + s.digit_o[j]
    new_state[0] = a
    if a == 0 or a == m.q - 1:
        s.digit_o[j] = -s.digit_o[j]
        s.digit_f[j] = s.digit_f[j + 1]
        s.digit_f[j + 1] = j + 1
    return site


cdef inline void change_site(const Model *m, Scratch *s, int site, int b,
                             double *e_j, double *e_h) noexcept nogil:
    """Set site to state b, updating the energies from its neighbours."""
    cdef int q = m.q, a = s.x[site], e
    cdef double d = 0.0
    cdef const double *t
    for e in range(m.indptr[site], m.indptr[site + 1]):
        t = m.tables + e * q * q
        d += t[b * q + s.x[m.nbr[e]]] - t[a * q + s.x[m.nbr[e]]]
    e_j[0] -= d
    e_h[0] -= m.h[site * q + b] - m.h[site * q + a]
    s.counts[a] -= 1
    s.counts[b] += 1
    s.x[site] = b
    s.steps += 1
    if (s.steps & RECOMPUTE_MASK) == 0:   # bound the rounding drift of the updates
        full_energy(m, s, e_j, e_h)


cdef inline double magnetisation(const Model *m, Scratch *s) noexcept nogil:
    cdef int a, best
    if m.mag_mode == 1:
        return <double> (s.counts[1] - s.counts[0])
    if m.mag_mode == 2:
        best = 0
        for a in range(m.q):
            if s.counts[a] > best:
                best = s.counts[a]
        return best
    return 0.0


cdef void chunk_max(const Model *m, Scratch *s, long long chunk, double *out) noexcept nogil:
    """out = (max log weight, H_J, H_h at the first configuration reaching it)."""
    cdef double ej, eh, lw, best
    cdef int site, b
    start_chunk(m, s, chunk, &ej, &eh)
    best = -(m.beta_J * ej + m.beta_h * eh)
    out[0] = best
    out[1] = ej
    out[2] = eh
    while True:
        site = next_site(m, s, &b)
        if site < 0:
            break
        change_site(m, s, site, b, &ej, &eh)
        lw = -(m.beta_J * ej + m.beta_h * eh)
        if lw > best:
            best = lw
            out[0] = lw
            out[1] = ej
            out[2] = eh


cdef inline void flush_site(const Model *m, Scratch *s, int k, double s_hi, double s_lo,
                            double *single, double *pair) noexcept nogil:
    """Credit the weight accumulated since site k last changed to its marginals."""
    cdef int q = m.q, L = m.L, j, i0, i1
    cdef double seg
    cdef long long p
    seg = (s_hi - s.last1[2 * k]) + (s_lo - s.last1[2 * k + 1])
    single[k * q + s.x[k]] += seg
    s.last1[2 * k] = s_hi
    s.last1[2 * k + 1] = s_lo
    for j in range(L):
        if j == k:
            continue
        if k < j:
            i0 = k
            i1 = j
        else:
            i0 = j
            i1 = k
        p = 2 * (<long long> i0 * L + i1)
        seg = (s_hi - s.last2[p]) + (s_lo - s.last2[p + 1])
        pair[((<long long> i0 * L + i1) * q + s.x[i0]) * q + s.x[i1]] += seg
        s.last2[p] = s_hi
        s.last2[p + 1] = s_lo


cdef inline void two_sum(double *hi, double *lo, double v) noexcept nogil:
    """hi + lo += v, keeping the rounding error of hi in lo (compensated summation)."""
    cdef double t = hi[0] + v
    cdef double bp = t - hi[0]
    lo[0] += (hi[0] - (t - bp)) + (v - bp)       # Knuth's branch-free TwoSum
    hi[0] = t


cdef void chunk_sums(const Model *m, Scratch *s, long long chunk, double ref, double e0_j,
                     double e0_h, double *sums, double *single, double *pair) noexcept nogil:
    """Compensated weighted sums over one chunk, weights exp(log w - ref).

    sums[2 k] + sums[2 k + 1] (value and compensation) for k = [0] sum w, [1] sum w dJ,
    [2] sum w dh, [3] sum w dJ^2, [4] sum w dJ dh, [5] sum w dh^2, [6] sum w M,
    [7] sum w |M|, [8] sum w M^2 (dJ = H_J - e0_j, dh = H_h - e0_h, M the magnetisation).
    single (L, q) and pair (L, L, q, q; i < j only) are filled when not NULL.
    """
    cdef double ej, eh, w, dj, dh, mg
    cdef double hi[9]
    cdef double lo[9]
    cdef int site, b, k, L = m.L
    cdef bint marg = single != NULL
    for k in range(9):
        hi[k] = 0.0
        lo[k] = 0.0
    start_chunk(m, s, chunk, &ej, &eh)
    if marg:
        memset(s.last1, 0, 2 * L * sizeof(double))
        memset(s.last2, 0, 2 * L * L * sizeof(double))
    while True:
        w = exp(-(m.beta_J * ej + m.beta_h * eh) - ref)
        dj = ej - e0_j
        dh = eh - e0_h
        two_sum(&hi[0], &lo[0], w)
        if m.moments:
            two_sum(&hi[1], &lo[1], w * dj)
            two_sum(&hi[2], &lo[2], w * dh)
            two_sum(&hi[3], &lo[3], w * dj * dj)
            two_sum(&hi[4], &lo[4], w * dj * dh)
            two_sum(&hi[5], &lo[5], w * dh * dh)
        if m.mag_mode:
            mg = magnetisation(m, s)
            two_sum(&hi[6], &lo[6], w * mg)
            two_sum(&hi[7], &lo[7], w * fabs(mg))
            two_sum(&hi[8], &lo[8], w * mg * mg)
        site = next_site(m, s, &b)
        if site < 0:
            break
        if marg:
            flush_site(m, s, site, hi[0], lo[0], single, pair)
        change_site(m, s, site, b, &ej, &eh)
    if marg:
        for k in range(L):
            flush_site(m, s, k, hi[0], lo[0], single, pair)
    for k in range(9):
        sums[2 * k] = hi[k]
        sums[2 * k + 1] = lo[k]


cdef void chunk_energies(const Model *m, Scratch *s, long long chunk, const long long *power,
                         double *out_j, double *out_h) noexcept nogil:
    """H_J and H_h of every configuration at its lexicographic index (site 0 most significant)."""
    cdef double ej, eh
    cdef int site, b, k
    cdef long long idx = 0
    start_chunk(m, s, chunk, &ej, &eh)
    for k in range(m.L):
        idx += s.x[k] * power[k]
    while True:
        out_j[idx] = ej
        out_h[idx] = eh
        site = next_site(m, s, &b)
        if site < 0:
            break
        idx += (b - s.x[site]) * power[site]
        change_site(m, s, site, b, &ej, &eh)


cdef Model make_model(int q, int n_prefix, const long long[::1] indptr, const int[::1] nbr,
                      const double[:, :, ::1] tables, const double[:, ::1] h, double beta_J,
                      double beta_h, int mag_mode):
    cdef Model m
    m.q = q
    m.L = h.shape[0]
    m.n_prefix = n_prefix
    m.indptr = &indptr[0]
    m.nbr = &nbr[0] if nbr.shape[0] else NULL
    m.tables = &tables[0, 0, 0] if tables.shape[0] else NULL
    m.h = &h[0, 0]
    m.beta_J = beta_J
    m.beta_h = beta_h
    m.mag_mode = mag_mode
    m.moments = mag_mode != 0
    return m


def enumerate_max(int q, int n_prefix, const long long[::1] indptr, const int[::1] nbr,
                  const double[:, :, ::1] tables, const double[:, ::1] h, double beta_J,
                  double beta_h, double[:, ::1] out, int[:, ::1] ibuf, double[:, ::1] dbuf,
                  int n_threads, long long first_chunk=0):
    """out[c] = (max log weight, H_J, H_h) over chunk first_chunk + c, for c = 0..len(out)-1
    (the caller goes over the q^n_prefix chunks in calls of a fraction of a second)."""
    cdef Model m = make_model(q, n_prefix, indptr, nbr, tables, h, beta_J, beta_h, 0)
    cdef long long c, n_chunks = out.shape[0]
    cdef Scratch s
    for c in prange(n_chunks, nogil=True, schedule="dynamic", num_threads=n_threads):
        s = thread_scratch(ibuf, dbuf, threadid(), m.L, q)
        chunk_max(&m, &s, first_chunk + c, &out[c, 0])


def enumerate_sums(int q, int n_prefix, const long long[::1] indptr, const int[::1] nbr,
                   const double[:, :, ::1] tables, const double[:, ::1] h, double beta_J,
                   double beta_h, int mag_mode, double ref, double e0_j, double e0_h,
                   long long first_chunk, double[:, ::1] sums, double[:, :, ::1] single,
                   double[:, :, :, :, ::1] pair, bint marginals, int[:, ::1] ibuf,
                   double[:, ::1] dbuf, int n_threads):
    """Weighted sums of chunks first_chunk .. first_chunk + len(sums) - 1 (one row each).

    single (n, L, q) and pair (n, L, L, q, q) receive the chunks' marginal sums when
    `marginals` is true (they must be zero on entry; pair is filled for i < j only).
    """
    cdef Model m = make_model(q, n_prefix, indptr, nbr, tables, h, beta_J, beta_h, mag_mode)
    cdef long long c, n = sums.shape[0]
    cdef Scratch s
    for c in prange(n, nogil=True, schedule="dynamic", num_threads=n_threads):
        s = thread_scratch(ibuf, dbuf, threadid(), m.L, q)
        if marginals:
            chunk_sums(&m, &s, first_chunk + c, ref, e0_j, e0_h, &sums[c, 0],
                       &single[c, 0, 0], &pair[c, 0, 0, 0, 0])
        else:
            chunk_sums(&m, &s, first_chunk + c, ref, e0_j, e0_h, &sums[c, 0], NULL, NULL)


def enumerate_energies(int q, int n_prefix, const long long[::1] indptr, const int[::1] nbr,
                       const double[:, :, ::1] tables, const double[:, ::1] h,
                       double[::1] out_j, double[::1] out_h, int[:, ::1] ibuf,
                       double[:, ::1] dbuf, int n_threads, long long first_chunk=0,
                       long long stop_chunk=-1):
    """H_J and H_h of all q^L configurations in lexicographic order (site 0 most significant),
    for the configurations of chunks first_chunk .. stop_chunk - 1 (stop_chunk -1: all)."""
    cdef Model m = make_model(q, n_prefix, indptr, nbr, tables, h, 1.0, 1.0, 0)
    cdef long long c, n_chunks = 1
    cdef Scratch s
    cdef int k, _k
    cdef long long[::1] power = np.ones(m.L, dtype=np.int64)
    for k in range(m.L - 2, -1, -1):
        power[k] = power[k + 1] * q
    for _k in range(n_prefix):
        n_chunks *= q
    if stop_chunk < 0 or stop_chunk > n_chunks:
        stop_chunk = n_chunks
    if first_chunk < 0 or first_chunk > stop_chunk:
        raise ValueError("first_chunk must be in 0..stop_chunk")
    for c in prange(first_chunk, stop_chunk, nogil=True, schedule="dynamic", num_threads=n_threads):
        s = thread_scratch(ibuf, dbuf, threadid(), m.L, q)
        chunk_energies(&m, &s, c, &power[0], &out_j[0], &out_h[0])


N_SUM_COLUMNS = 18
