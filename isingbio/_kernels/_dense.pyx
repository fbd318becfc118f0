# Single-site samplers for the dense Potts model (the protein model, q = 21).
#
# Contract: isingbio/_kernels/README.md. H = -sum_{i<j} J[i,j,x_i,x_j] - sum_i h[i,x_i] with
# J[i,j,a,b] == J[j,i,b,a] and zero diagonal blocks. Sites are updated in sequential order
# 0..N-1 in every sweep; each chain uses only its own row of `rng` (lane 0), so results do
# not depend on n_threads.
#
# Every chain keeps a cache of local fields F[k, a] = sum_{j != k} J[k, j, a, x_j] in double
# precision, computed from scratch at the start of each call (so it never drifts from one call
# to the next). Deciding an update at site i costs O(q); when x_i changes from `old` to `new`
# the cache is updated in O(N q):
#     F[k, :] += J[k, i, :, new] - J[k, i, :, old] = J[i, k, new, :] - J[i, k, old, :],
# the right-hand side read as contiguous rows of J[i] thanks to the symmetry of J.
from cython cimport floating
from cython.parallel cimport prange
from libc.math cimport exp
from libc.stdint cimport int8_t, int64_t, uint64_t
from libc.stdlib cimport free, malloc
from libc.string cimport memcpy

from .rng cimport isb_bounded, isb_uniform

cdef enum:
    MAX_Q = 128  # states are int8, q <= 127


cdef extern from *:
    """
    /* Cache updates of the dense Potts kernels. Row (i, b, k) of the couplings, the q numbers
     * J[i, k, b, :], starts at  i * n*q*q + b * sb + k * sk:  sb = q, sk = q*q in the caller's
     * C-order J; sb = n*q, sk = q in the transposed copy Jt[i, b, k, :] the kernels make when
     * a call is long enough to pay for it (then the rows a move reads are contiguous).
     * In C for `restrict`, software prefetching of strided rows (q*q apart: too far for the
     * hardware prefetcher) and, with GCC on x86-64 Linux, an AVX2 clone picked at load time
     * (the default build targets baseline x86-64). Both layouts add the same numbers in the
     * same order, so they give bit-identical results. */
    #if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) \
        && !defined(ISINGBIO_NO_CLONES)
    #define ISB_DENSE_CLONES __attribute__((target_clones("avx2", "default")))
    #else
    #define ISB_DENSE_CLONES
    #endif
    #if defined(__GNUC__)
    #define ISB_PREFETCH(p) __builtin_prefetch((const void *)(p), 0, 0)
    #else
    #define ISB_PREFETCH(p) ((void)0)
    #endif
    #ifndef ISB_DENSE_PF
    #define ISB_DENSE_PF 8  /* rows ahead */
    #endif

    /* F[k, :] += rn[k*sk : k*sk+q] - ro[k*sk : k*sk+q] for every k < n. */
    #define ISB_DENSE_MOVE(NAME, T)                                                        \
    ISB_DENSE_CLONES static void NAME(double *restrict F, const T *restrict rn,              \
                                      const T *restrict ro, Py_ssize_t n, Py_ssize_t q,     \
                                      Py_ssize_t sk) {                                      \
        if (sk == q) {                                                                      \
            const Py_ssize_t m = n * q;                                                     \
            for (Py_ssize_t j = 0; j < m; j++)                                              \
                F[j] += (double)rn[j] - (double)ro[j];                                      \
            return;                                                                         \
        }                                                                                   \
        for (Py_ssize_t k = 0; k < n; k++) {                                                \
            if (k + ISB_DENSE_PF < n) {                                                     \
                const T *pn = rn + (k + ISB_DENSE_PF) * sk, *po = ro + (k + ISB_DENSE_PF) * sk; \
                ISB_PREFETCH(pn); ISB_PREFETCH(pn + q - 1);                                 \
                ISB_PREFETCH(po); ISB_PREFETCH(po + q - 1);                                 \
            }                                                                               \
            double *restrict Fk = F + k * q;                                                \
            const T *restrict a = rn + k * sk;                                              \
            const T *restrict b = ro + k * sk;                                              \
            for (Py_ssize_t j = 0; j < q; j++)                                              \
                Fk[j] += (double)a[j] - (double)b[j];                                       \
        }                                                                                   \
    }
    /* F[k, :] += r[k*sk : k*sk+q] for every k < n. */
    #define ISB_DENSE_ADD(NAME, T)                                                         \
    static void NAME(double *restrict F, const T *restrict r, Py_ssize_t n, Py_ssize_t q,   \
                     Py_ssize_t sk) {                                                       \
        for (Py_ssize_t k = 0; k < n; k++) {                                                \
            if (sk != q && k + ISB_DENSE_PF < n) {                                          \
                ISB_PREFETCH(r + (k + ISB_DENSE_PF) * sk);                                  \
                ISB_PREFETCH(r + (k + ISB_DENSE_PF) * sk + q - 1);                          \
            }                                                                               \
            double *restrict Fk = F + k * q;                                                \
            const T *restrict a = r + k * sk;                                               \
            for (Py_ssize_t j = 0; j < q; j++)                                              \
                Fk[j] += (double)a[j];                                                      \
        }                                                                                   \
    }
    ISB_DENSE_MOVE(isb_dense_move_f, float)
    ISB_DENSE_MOVE(isb_dense_move_d, double)
    ISB_DENSE_ADD(isb_dense_add_f, float)
    ISB_DENSE_ADD(isb_dense_add_d, double)
    """
    void isb_dense_move_f(double *F, const float *rn, const float *ro, Py_ssize_t n,
                          Py_ssize_t q, Py_ssize_t sk) noexcept nogil
    void isb_dense_move_d(double *F, const double *rn, const double *ro, Py_ssize_t n,
                          Py_ssize_t q, Py_ssize_t sk) noexcept nogil
    void isb_dense_add_f(double *F, const float *r, Py_ssize_t n, Py_ssize_t q,
                         Py_ssize_t sk) noexcept nogil
    void isb_dense_add_d(double *F, const double *r, Py_ssize_t n, Py_ssize_t q,
                         Py_ssize_t sk) noexcept nogil


cdef inline void _add_rows(double *F, const floating *r, Py_ssize_t n, Py_ssize_t q,
                           Py_ssize_t sk) noexcept nogil:
    if floating is float:
        isb_dense_add_f(F, r, n, q, sk)
    else:
        isb_dense_add_d(F, r, n, q, sk)


cdef inline void _move_rows(double *F, const floating *rn, const floating *ro, Py_ssize_t n,
                            Py_ssize_t q, Py_ssize_t sk) noexcept nogil:
    if floating is float:
        isb_dense_move_f(F, rn, ro, n, q, sk)
    else:
        isb_dense_move_d(F, rn, ro, n, q, sk)


# A call makes a transposed copy Jt[i, b, k, :] = J[i, k, b, :] (contiguous rows for the cache
# updates) when it runs at least this many sweeps in all (chains x records x thin) and J is
# at most this large; otherwise it reads J in place with prefetching. Results are the same.
cdef Py_ssize_t _transpose_min_sweeps = 64
cdef Py_ssize_t _transpose_max_bytes = 1 << 30


def set_layout_policy(Py_ssize_t min_sweeps=64, Py_ssize_t max_bytes=1 << 30):
    """Tune when the kernels copy J into the transposed layout (tests and benchmarks).

    min_sweeps: copy when chains x records x thin >= min_sweeps (0: always);
    max_bytes: never copy a J larger than this (0: never). Returns the previous values.
    """
    global _transpose_min_sweeps, _transpose_max_bytes
    old = (_transpose_min_sweeps, _transpose_max_bytes)
    _transpose_min_sweeps = min_sweeps
    _transpose_max_bytes = max_bytes
    return old


cdef int _dense_chain(const floating *h, const floating *Jr, Py_ssize_t sb, Py_ssize_t sk,
                      Py_ssize_t n, Py_ssize_t q, int8_t *x, uint64_t *rng, double beta_J,
                      double beta_h, Py_ssize_t n_records, Py_ssize_t thin, double *e_coupling,
                      double *e_field, double *magnetization, Py_ssize_t sj, Py_ssize_t sh,
                      Py_ssize_t sm, double *stats, bint heatbath) noexcept nogil:
    """Run one chain; returns -1 if the local-field cache cannot be allocated, else 0.

    Row (i, b, k) of the couplings, J[i, k, b, :], starts at Jr + i*n*q*q + b*sb + k*sk.
    """
    cdef Py_ssize_t i, r, t, a, b, old, nq = n * q, nqq = n * q * q
    cdef int64_t accepted = 0, nmax
    cdef int64_t counts[MAX_Q]
    cdef double cum[MAX_Q]
    cdef double e_j = 0.0, e_h = 0.0, d, mx, tot, u
    cdef const floating *hi
    cdef const floating *Ji
    cdef double *Fi
    cdef double *F = <double *>malloc(nq * sizeof(double))
    if F == NULL:
        return -1

    # local fields from scratch: F[k, :] = sum_j J[j, k, x_j, :]  (J[k, k] is zero)
    for a in range(nq):
        F[a] = 0.0
    for a in range(q):
        counts[a] = 0
    for i in range(n):
        _add_rows(F, Jr + i * nqq + x[i] * sb, n, q, sk)
    for i in range(n):
        old = x[i]
        e_j -= 0.5 * F[i * q + old]
        e_h -= h[i * q + old]
        counts[old] += 1

    for r in range(n_records):
        for t in range(thin):
            for i in range(n):
                old = x[i]
                hi = h + i * q
                Fi = F + i * q
                if heatbath:
                    mx = beta_J * Fi[0] + beta_h * hi[0]
                    for a in range(q):
                        cum[a] = beta_J * Fi[a] + beta_h * hi[a]
                        if cum[a] > mx:
                            mx = cum[a]
                    tot = 0.0
                    for a in range(q):
                        tot += exp(cum[a] - mx)
                        cum[a] = tot
                    u = isb_uniform(rng) * tot
                    b = 0
                    while b < q - 1 and cum[b] <= u:
                        b += 1
                    if b == old:
                        continue
                else:
                    b = <Py_ssize_t>isb_bounded(rng, q - 1)
                    if b >= old:
                        b += 1
                    # beta-weighted energy change of x_i: old -> b
                    d = -(beta_J * (Fi[b] - Fi[old]) + beta_h * (<double>hi[b] - <double>hi[old]))
                    if d > 0.0 and not (isb_uniform(rng) < exp(-d)):
                        continue
                x[i] = <int8_t>b
                e_j -= Fi[b] - Fi[old]
                e_h -= <double>hi[b] - <double>hi[old]
                counts[old] -= 1
                counts[b] += 1
                accepted += 1
                Ji = Jr + i * nqq
                _move_rows(F, Ji + b * sb, Ji + old * sb, n, q, sk)
        nmax = 0
        for a in range(q):
            if counts[a] > nmax:
                nmax = counts[a]
        e_coupling[r * sj] = e_j
        e_field[r * sh] = e_h
        magnetization[r * sm] = (<double>q * nmax / n - 1.0) / (q - 1)

    stats[0] += <double>n * thin * n_records
    stats[1] += accepted
    free(F)
    return 0


cdef object _dense_run(const floating[:, ::1] h, const floating[:, :, :, ::1] J,
                       int8_t[:, ::1] states, uint64_t[:, ::1] rng, double beta_J,
                       double beta_h, Py_ssize_t n_records, Py_ssize_t thin,
                       double[:, :] e_coupling, double[:, :] e_field,
                       double[:, :] magnetization, double[:, ::1] stats, int n_threads,
                       bint heatbath):
    cdef Py_ssize_t n_chains = states.shape[0], n = states.shape[1], q = h.shape[1], c, i, b, k
    cdef Py_ssize_t rec = n_records if n_records > 0 else 0
    cdef Py_ssize_t s_rec = e_coupling.shape[1]
    # records may be any strided views (e.g. column slices of wider arrays)
    cdef Py_ssize_t sj = e_coupling.strides[1] // sizeof(double)
    cdef Py_ssize_t sh = e_field.strides[1] // sizeof(double)
    cdef Py_ssize_t sm = magnetization.strides[1] // sizeof(double)
    cdef Py_ssize_t nq = n * q, qq = q * q, nqq = n * q * q
    cdef Py_ssize_t failed = 0, sb = q, sk = q * q
    cdef size_t nbytes = <size_t>n * nqq * sizeof(floating)
    cdef const floating *Jr = &J[0, 0, 0, 0]
    cdef floating *Jt = NULL
    cdef const floating *src
    cdef floating *dst
    cdef double *ej
    cdef double *eh
    cdef double *mg
    if n_chains == 0 or n == 0 or rec == 0:
        return
    if not 2 <= q < MAX_Q:
        raise ValueError(f"q must be in 2..{MAX_Q - 1}, got {q}")
    if (_transpose_max_bytes > 0 and nbytes <= <size_t>_transpose_max_bytes
            and n_chains * rec * thin >= _transpose_min_sweeps):
        Jt = <floating *>malloc(nbytes)   # on failure: read J in place
    with nogil:
        if Jt != NULL:
            for i in prange(n, num_threads=n_threads, schedule="static"):
                for b in range(q):
                    dst = Jt + i * nqq + b * nq
                    src = Jr + i * nqq + b * q
                    for k in range(n):
                        memcpy(dst + k * q, src + k * qq, q * sizeof(floating))
            Jr = Jt
            sb = nq
            sk = q
        for c in prange(n_chains, num_threads=n_threads, schedule="dynamic"):
            ej = &e_coupling[c, 0] if s_rec > 0 else NULL
            eh = &e_field[c, 0] if s_rec > 0 else NULL
            mg = &magnetization[c, 0] if s_rec > 0 else NULL
            if _dense_chain(&h[0, 0], Jr, sb, sk, n, q, &states[c, 0],
                            &rng[c, 0], beta_J, beta_h, rec, thin, ej, eh, mg, sj, sh, sm, &stats[c, 0],
                            heatbath) != 0:
                failed += 1
    free(Jt)
    if failed:
        raise MemoryError(f"could not allocate the local-field cache ({n} x {q} doubles) "
                          f"for {failed} of {n_chains} chains; their states were not updated")


def potts_metropolis(const floating[:, ::1] h, const floating[:, :, :, ::1] J,
                     int8_t[:, ::1] states, uint64_t[:, ::1] rng, double beta_J, double beta_h,
                     Py_ssize_t n_records, Py_ssize_t thin, double[:, :] e_coupling,
                     double[:, :] e_field, double[:, :] magnetization,
                     double[:, ::1] stats, int n_threads):
    """Metropolis updates on a dense Potts model: propose a uniformly random other state.

    h (N, q) and J (N, N, q, q) share one dtype, float32 or float64.
    """
    _dense_run(h, J, states, rng, beta_J, beta_h, n_records, thin, e_coupling, e_field,
               magnetization, stats, n_threads, False)


def potts_heatbath(const floating[:, ::1] h, const floating[:, :, :, ::1] J,
                   int8_t[:, ::1] states, uint64_t[:, ::1] rng, double beta_J, double beta_h,
                   Py_ssize_t n_records, Py_ssize_t thin, double[:, :] e_coupling,
                   double[:, :] e_field, double[:, :] magnetization,
                   double[:, ::1] stats, int n_threads):
    """Heat-bath (Gibbs) updates on a dense Potts model: sample x_i from its conditional.

    h (N, q) and J (N, N, q, q) share one dtype, float32 or float64.
    """
    _dense_run(h, J, states, rng, beta_J, beta_h, n_records, thin, e_coupling, e_field,
               magnetization, stats, n_threads, True)
