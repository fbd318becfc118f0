# Single-site samplers for the dense Potts model (the protein model, q = 21).
#
# Contract: isingbio/_kernels/README.md. H = -sum_{i<j} J[i,j,x_i,x_j] - sum_i h[i,x_i] with
# J[i,j,a,b] == J[j,i,b,a] and zero diagonal blocks. Sites are updated in sequential order
# 0..N-1 in every sweep; each chain uses only its own row of `rng` (lane 0), so results do
# not depend on n_threads.
#
# Every chain keeps a cache of local fields F[k, a] = sum_{j != k} J[k, j, a, x_j], computed
# from scratch at the start of each call. Deciding an update at site i costs O(q); when x_i
# changes from `old` to `new` the cache is updated in O(N q):
#     F[k, :] += J[k, i, :, new] - J[k, i, :, old] = J[i, k, new, :] - J[i, k, old, :],
# the right-hand side read as contiguous rows of J[i] thanks to the symmetry of J.
#
# Cache precision. float64 models: double. float32 models: 32-bit fixed point,
#     F[k, a] = sum_j trunc(S J[k, j, a, x_j]),  S = 2^e,
# with S the largest power of two for which no such sum can leave int32 (from a bound on
# |J| computed each call). Integer sums are exact, so the cache is a function of the state
# alone: it never drifts and is the same whatever the call boundaries (bit-identical
# chunking). Updates read float rows and convert 8 at a time (twice the SIMD width of
# double, no float -> double conversions). The price is that decisions use J rounded to a
# multiple of 1/S: every local field is off by at most N / S, and the kernels use fixed point
# only when N / S <= 2^-16 (about 1.5e-5, in the units of J); otherwise the double cache.
# Recorded energies stay exact: H_J is evaluated in double at the start of each call and
# updated at each move by the exact change sum_k J[i, k, new, x_k] - J[i, k, old, x_k].
import numpy as np

from cython cimport floating
from cython.parallel cimport prange
from libc.math cimport exp, fabs
from libc.math cimport ldexp, log2, floor
from libc.stdint cimport int8_t, int32_t, int64_t, uint32_t, uint64_t
from libc.stdlib cimport free, malloc
from libc.string cimport memcpy

from .rng cimport isb_bounded, isb_uniform

cdef enum:
    MAX_Q = 128  # states are int8, q <= 127

# Metropolis with q = 2 (a deterministic proposal) accepts a tie, |beta dE| <= _TIE, with
# probability 1/2: see isingbio.sampling.
cdef double _TIE = 1e-9


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
    #define ISB_DENSE_CLONES __attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
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

    /* Heat-bath weights: cum[a] <- w_0 + ... + w_a with w_a = exp(x_a - max x), returns the
     * total. exp(t) for t <= 0 as 2^k e^r, k = round(t / ln 2), |r| <= ln 2 / 2, e^r by its
     * Taylor series to r^13 (truncation below 5e-18, so within a few ulp of libm's exp),
     * 2^k from the bits of the rounding constant: no branch and no call, so the loop runs
     * SIMD-wide (the AVX2 clone) instead of q calls to exp(). t < -708 is clamped there:
     * its weight (< 1e-307 of the largest) is 0 to double precision in the total. */
    #if defined(__GNUC__) && !defined(__clang__)
    #define ISB_NO_FMA __attribute__((optimize("fp-contract=off")))  /* same bits in every clone */
    #else
    #define ISB_NO_FMA
    #endif
    ISB_NO_FMA ISB_DENSE_CLONES static double isb_dense_softmax_cum(double *restrict cum, Py_ssize_t q) {
        double w[128];
        double mx = cum[0];
        for (Py_ssize_t a = 1; a < q; a++) mx = cum[a] > mx ? cum[a] : mx;
        for (Py_ssize_t a = 0; a < q; a++) {
            double t = cum[a] - mx;
            t = t < -708.0 ? -708.0 : t;
            const double big = 6755399441055744.0;            /* 1.5 * 2^52: round to integer */
            const double kb = t * 1.4426950408889634 + big;
            const double k = kb - big;
            const double r = (t - k * 0.6931471803691238) - k * 1.9082149292705877e-10;
            double p = 1.0 / 6227020800.0;
            p = p * r + 1.0 / 479001600.0;
            p = p * r + 1.0 / 39916800.0;
            p = p * r + 1.0 / 3628800.0;
            p = p * r + 1.0 / 362880.0;
            p = p * r + 1.0 / 40320.0;
            p = p * r + 1.0 / 5040.0;
            p = p * r + 1.0 / 720.0;
            p = p * r + 1.0 / 120.0;
            p = p * r + 1.0 / 24.0;
            p = p * r + 1.0 / 6.0;
            p = p * r + 0.5;
            p = p * r + 1.0;
            p = p * r + 1.0;
            int64_t kbits;
            memcpy(&kbits, &kb, sizeof kbits);
            const int64_t sbits = (kbits - (int64_t)0x4338000000000000LL + 1023) << 52;
            double scale;
            memcpy(&scale, &sbits, sizeof scale);
            w[a] = p * scale;
        }
        double tot = 0.0;
        for (Py_ssize_t a = 0; a < q; a++) { tot += w[a]; cum[a] = tot; }
        return tot;
    }

    /* Fixed-point cache of float32 models (uint32 arithmetic: wrap-around is defined, and
     * every true sum fits in int32). trunc(s * v) with s a power of two: s * v is exact, the
     * conversion truncates (cvttps2dq, 8 at a time with AVX2), so both layouts and every
     * call give the same integers. F[k, :] += trunc(s rn[k*sk + :]) - trunc(s ro[k*sk + :]). */
    #define ISB_FQ(v, s) ((uint32_t)(int32_t)((v) * (s)))
    /* Also returns sum_k rn[k*sk + x_k] - ro[k*sk + x_k] in double: the exact change of -H_J
     * (read from the rows while they are in L1). */
    ISB_DENSE_CLONES static double isb_dense_move_q(uint32_t *restrict F, const float *restrict rn,
                                                    const float *restrict ro,
                                                    const int8_t *restrict x, Py_ssize_t n,
                                                    Py_ssize_t q, Py_ssize_t sk, float s) {
        double d = 0.0;
        if (sk == q) {
            const Py_ssize_t m = n * q;
            for (Py_ssize_t j = 0; j < m; j++)
                F[j] += ISB_FQ(rn[j], s) - ISB_FQ(ro[j], s);
            /* four partial sums: a single one would be a chain of n dependent additions */
            double d1 = 0.0, d2 = 0.0, d3 = 0.0;
            Py_ssize_t k = 0;
            for (; k + 4 <= n; k += 4) {
                d += (double)rn[k * q + x[k]] - (double)ro[k * q + x[k]];
                d1 += (double)rn[(k + 1) * q + x[k + 1]] - (double)ro[(k + 1) * q + x[k + 1]];
                d2 += (double)rn[(k + 2) * q + x[k + 2]] - (double)ro[(k + 2) * q + x[k + 2]];
                d3 += (double)rn[(k + 3) * q + x[k + 3]] - (double)ro[(k + 3) * q + x[k + 3]];
            }
            for (; k < n; k++)
                d += (double)rn[k * q + x[k]] - (double)ro[k * q + x[k]];
            return (d + d1) + (d2 + d3);
        }
        for (Py_ssize_t k = 0; k < n; k++) {
            if (k + ISB_DENSE_PF < n) {
                const float *pn = rn + (k + ISB_DENSE_PF) * sk, *po = ro + (k + ISB_DENSE_PF) * sk;
                ISB_PREFETCH(pn); ISB_PREFETCH(pn + q - 1);
                ISB_PREFETCH(po); ISB_PREFETCH(po + q - 1);
            }
            uint32_t *restrict Fk = F + k * q;
            const float *restrict a = rn + k * sk;
            const float *restrict b = ro + k * sk;
            for (Py_ssize_t j = 0; j < q; j++)
                Fk[j] += ISB_FQ(a[j], s) - ISB_FQ(b[j], s);
            d += (double)a[x[k]] - (double)b[x[k]];
        }
        return d;
    }
    static void isb_dense_add_q(uint32_t *restrict F, const float *restrict r, Py_ssize_t n,
                                Py_ssize_t q, Py_ssize_t sk, float s) {
        for (Py_ssize_t k = 0; k < n; k++) {
            uint32_t *restrict Fk = F + k * q;
            const float *restrict a = r + k * sk;
            for (Py_ssize_t j = 0; j < q; j++)
                Fk[j] += ISB_FQ(a[j], s);
        }
    }
    /* Bound on |F|: max over rows (k, a) of sum_j max_b |J[k, j, a, b]|, bounded by
     * max_k sum_j max_{a,b} |J[k, j, a, b]| (one pass over block row k). */
    ISB_DENSE_CLONES static double isb_dense_row_bound_f(const float *restrict Jk, Py_ssize_t n,
                                                         Py_ssize_t qq) {
        /* max |v| through the bits: for non-negative floats the order of the bit patterns
         * is the order of the values (and a NaN comes out above +inf). Branch-free, SIMD. */
        double tot = 0.0;
        for (Py_ssize_t j = 0; j < n; j++) {
            uint32_t m = 0;
            const uint32_t *restrict b = (const uint32_t *)(Jk + j * qq);
            for (Py_ssize_t t = 0; t < qq; t++) {
                const uint32_t v = b[t] & 0x7fffffffu;
                m = v > m ? v : m;
            }
            union { uint32_t u; float f; } c;
            c.u = m;
            tot += c.f;
        }
        return tot;
    }
    """
    void isb_dense_move_f(double *F, const float *rn, const float *ro, Py_ssize_t n,
                          Py_ssize_t q, Py_ssize_t sk) noexcept nogil
    void isb_dense_move_d(double *F, const double *rn, const double *ro, Py_ssize_t n,
                          Py_ssize_t q, Py_ssize_t sk) noexcept nogil
    void isb_dense_add_f(double *F, const float *r, Py_ssize_t n, Py_ssize_t q,
                         Py_ssize_t sk) noexcept nogil
    void isb_dense_add_d(double *F, const double *r, Py_ssize_t n, Py_ssize_t q,
                         Py_ssize_t sk) noexcept nogil
    double isb_dense_move_q(uint32_t *F, const float *rn, const float *ro, const int8_t *x,
                            Py_ssize_t n, Py_ssize_t q, Py_ssize_t sk, float s) noexcept nogil
    void isb_dense_add_q(uint32_t *F, const float *r, Py_ssize_t n, Py_ssize_t q,
                         Py_ssize_t sk, float s) noexcept nogil
    double isb_dense_row_bound_f(const float *Jk, Py_ssize_t n, Py_ssize_t qq) noexcept nogil
    double isb_dense_softmax_cum(double *cum, Py_ssize_t q) noexcept nogil


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


cdef int _dense_group(const floating *h, const floating *Jr, Py_ssize_t sb, Py_ssize_t sk,
                      Py_ssize_t n, Py_ssize_t q, Py_ssize_t G, int8_t *xs, uint64_t *rngs,
                      double beta_J, double beta_h, Py_ssize_t n_records, Py_ssize_t thin,
                      double *e_coupling, double *e_field, double *magnetization,
                      Py_ssize_t rj, Py_ssize_t rh, Py_ssize_t rm, Py_ssize_t sj, Py_ssize_t sh,
                      Py_ssize_t sm, int8_t *so, Py_ssize_t ros, Py_ssize_t sos, double *stats,
                      bint heatbath, float qs, const double *bjp,
                      const double *bhp) noexcept nogil:
    """Run G chains in lockstep; returns -1 if the caches cannot be allocated, else 0.

    Chain g has its state at xs + g*n, its rng at rngs + 32 g, record r of its observables at
    e_coupling + g*rj + r*sj (same for e_field: rh, sh; magnetization: rm, sm), its states_out
    record r at so + g*ros + r*sos (so may be NULL), its stats at stats + 4 g. The chains
    update site i one after the other before moving to site i + 1, so the rows of J that
    their moves read are shared in cache (a move reads 2 N q numbers: the run is bound by
    memory traffic); each chain's arithmetic is exactly what it would be alone.
    Row (i, b, k) of the couplings, J[i, k, b, :], starts at Jr + i*n*q*q + b*sb + k*sk.
    qs > 0 (float32 models only): fixed-point caches with scale qs; else double caches.
    bjp, bhp (may be NULL): per-record betas replacing beta_J, beta_h (record r: bjp[r]).
    """
    cdef Py_ssize_t i, j, r, t, a, b, old, g, nq = n * q, nqq = n * q * q
    cdef int64_t nmax
    cdef double cum[MAX_Q]
    cdef double d, mx, tot, u, bJ = beta_J, bH = beta_h, fb, fo
    cdef bint fixed = floating is float and qs > 0
    cdef const floating *hi
    cdef const floating *Ji
    cdef const floating *row
    cdef int8_t *x
    cdef uint64_t *rng
    cdef double *Fi = NULL
    cdef uint32_t *Qi = NULL
    cdef double *F = NULL
    cdef uint32_t *Q = NULL
    # per chain: e_j, e_h, accepted (as double), counts[MAX_Q]
    cdef double *acc = <double *>malloc(3 * G * sizeof(double))
    cdef int64_t *counts = <int64_t *>malloc(G * MAX_Q * sizeof(int64_t))
    if fixed:
        Q = <uint32_t *>malloc(G * nq * sizeof(uint32_t))
        bJ = beta_J / qs
    else:
        F = <double *>malloc(G * nq * sizeof(double))
    if acc == NULL or counts == NULL or (Q == NULL and F == NULL):
        free(acc)
        free(counts)
        free(Q)
        free(F)
        return -1

    for g in range(G):
        x = xs + g * n
        # local fields from scratch: F[k, :] = sum_j J[j, k, x_j, :]  (J[k, k] is zero)
        for a in range(nq):
            if fixed:
                Q[g * nq + a] = 0
            else:
                F[g * nq + a] = 0.0
        for a in range(q):
            counts[g * MAX_Q + a] = 0
        for i in range(n):
            if floating is float:
                if fixed:
                    isb_dense_add_q(Q + g * nq, Jr + i * nqq + x[i] * sb, n, q, sk, qs)
                else:
                    _add_rows(F + g * nq, Jr + i * nqq + x[i] * sb, n, q, sk)
            else:
                _add_rows(F + g * nq, Jr + i * nqq + x[i] * sb, n, q, sk)
        acc[3 * g] = 0.0
        acc[3 * g + 1] = 0.0
        acc[3 * g + 2] = 0.0
        for i in range(n):
            old = x[i]
            # exact H_J from J itself: row (i, x_i, j), element x_j
            row = Jr + i * nqq + old * sb
            d = 0.0
            for j in range(n):
                d += row[j * sk + x[j]]
            acc[3 * g] -= 0.5 * d
            acc[3 * g + 1] -= h[i * q + old]
            counts[g * MAX_Q + old] += 1

    for r in range(n_records):
        if bjp != NULL:
            bJ = bjp[r] / qs if fixed else bjp[r]
        if bhp != NULL:
            bH = bhp[r]
        for t in range(thin):
            for i in range(n):
                hi = h + i * q
                Ji = Jr + i * nqq
                for g in range(G):
                    x = xs + g * n
                    rng = rngs + 32 * g
                    old = x[i]
                    if fixed:
                        Qi = Q + g * nq + i * q
                    else:
                        Fi = F + g * nq + i * q
                    if heatbath:
                        for a in range(q):
                            if fixed:
                                cum[a] = bJ * <double>(<int32_t>Qi[a]) + bH * hi[a]
                            else:
                                cum[a] = bJ * Fi[a] + bH * hi[a]
                        tot = isb_dense_softmax_cum(cum, q)
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
                        if fixed:
                            fb = <double>(<int32_t>Qi[b])
                            fo = <double>(<int32_t>Qi[old])
                        else:
                            fb = Fi[b]
                            fo = Fi[old]
                        # beta-weighted energy change of x_i: old -> b
                        d = -(bJ * (fb - fo) + bH * (<double>hi[b] - <double>hi[old]))
                        if q == 2 and fabs(d) <= _TIE:
                            # a tie, with a deterministic proposal: probability 1/2, not 1
                            # (else some states cycle forever under the fixed site order)
                            if not (isb_uniform(rng) < 0.5):
                                continue
                        elif d > 0.0 and not (isb_uniform(rng) < exp(-d)):
                            continue
                    if floating is float:
                        if fixed:
                            acc[3 * g] -= isb_dense_move_q(Q + g * nq, Ji + b * sb, Ji + old * sb,
                                                           x, n, q, sk, qs)
                        else:
                            acc[3 * g] -= Fi[b] - Fi[old]
                            _move_rows(F + g * nq, Ji + b * sb, Ji + old * sb, n, q, sk)
                    else:
                        acc[3 * g] -= Fi[b] - Fi[old]
                        _move_rows(F + g * nq, Ji + b * sb, Ji + old * sb, n, q, sk)
                    x[i] = <int8_t>b
                    acc[3 * g + 1] -= <double>hi[b] - <double>hi[old]
                    counts[g * MAX_Q + old] -= 1
                    counts[g * MAX_Q + b] += 1
                    acc[3 * g + 2] += 1.0
        for g in range(G):
            nmax = 0
            for a in range(q):
                if counts[g * MAX_Q + a] > nmax:
                    nmax = counts[g * MAX_Q + a]
            e_coupling[g * rj + r * sj] = acc[3 * g]
            e_field[g * rh + r * sh] = acc[3 * g + 1]
            magnetization[g * rm + r * sm] = (<double>q * nmax / n - 1.0) / (q - 1)
            if so != NULL:
                memcpy(so + g * ros + r * sos, xs + g * n, n)

    for g in range(G):
        stats[4 * g] += <double>n * thin * n_records
        stats[4 * g + 1] += acc[3 * g + 2]
    free(acc)
    free(counts)
    free(F)
    free(Q)
    return 0


# Chains run in lockstep by one thread, at most this many (_dense_group). Measured on an AMD
# EPYC (L2 1 MB, L3 32 MB; L = 100 and 200, q = 21, 1 to 8 chains), lockstep groups gave no
# gain over one chain at a time (their caches compete with the rows of J for L1), so the
# default is 1; the grouping never changes results.
cdef Py_ssize_t _MAX_GROUP = 1


# Fixed point is used when every local field is within 2^-16 of its exact value (N / S).
cdef double _FIXED_MAX_ERROR = 1.0 / 65536


cdef float _fixed_scale(const float *Jr, Py_ssize_t n, Py_ssize_t q, int n_threads) except -1:
    """The fixed-point scale S of a float32 J, or 0 when fixed point is not precise enough."""
    cdef Py_ssize_t k, nqq = n * q * q
    cdef double B = 0.0, e
    cdef double[::1] rows = np.empty(n)
    with nogil:
        for k in prange(n, num_threads=n_threads, schedule="static"):
            rows[k] = isb_dense_row_bound_f(Jr + k * nqq, n, q * q)
        for k in range(n):
            if rows[k] > B:
                B = rows[k]
    if not B < 1e300:          # inf or nan: leave it to the double cache
        return 0.0
    # S * B < 2^31 (with a margin for the rounding of B): no sum of |trunc(S J)| leaves int32
    e = floor(log2(2147483647.0 / (B * (1.0 + 1e-6)))) if B > 0 else 64.0
    if e > 64:
        e = 64
    if n * ldexp(1.0, -<int>e) > _FIXED_MAX_ERROR:
        return 0.0
    return <float>ldexp(1.0, <int>e)


cdef object _dense_run(const floating[:, ::1] h, const floating[:, :, :, ::1] J,
                       int8_t[:, ::1] states, uint64_t[:, ::1] rng, double beta_J,
                       double beta_h, Py_ssize_t n_records, Py_ssize_t thin,
                       double[:, :] e_coupling, double[:, :] e_field,
                       double[:, :] magnetization, double[:, ::1] stats, int n_threads,
                       bint heatbath, int8_t[:, :, :] states_out,
                       const double[::1] beta_J_path, const double[::1] beta_h_path):
    cdef Py_ssize_t n_chains = states.shape[0], n = states.shape[1], q = h.shape[1], c, i, b, k
    cdef Py_ssize_t rec = n_records if n_records > 0 else 0
    cdef Py_ssize_t s_rec = e_coupling.shape[1]
    # records may be any strided views (e.g. column slices of wider arrays)
    cdef Py_ssize_t sj = e_coupling.strides[1] // sizeof(double)
    cdef Py_ssize_t sh = e_field.strides[1] // sizeof(double)
    cdef Py_ssize_t sm = magnetization.strides[1] // sizeof(double)
    cdef Py_ssize_t nq = n * q, qq = q * q, nqq = n * q * q
    cdef Py_ssize_t failed = 0, sb = q, sk = q * q, sos = 0, ros = 0, c0, gs
    # chains run in groups of G in lockstep (_dense_group); any grouping gives the same results
    cdef Py_ssize_t G = min(_MAX_GROUP, (n_chains + n_threads - 1) // max(n_threads, 1))
    cdef Py_ssize_t n_groups
    cdef Py_ssize_t rj = e_coupling.strides[0] // sizeof(double)
    cdef Py_ssize_t rh = e_field.strides[0] // sizeof(double)
    cdef Py_ssize_t rm = magnetization.strides[0] // sizeof(double)
    cdef float qs = 0.0
    cdef size_t nbytes = <size_t>n * nqq * sizeof(floating)
    cdef const floating *Jr = &J[0, 0, 0, 0]
    cdef floating *Jt = NULL
    cdef const floating *src
    cdef floating *dst
    cdef const double *bjp = NULL
    cdef const double *bhp = NULL
    if n_chains == 0 or n == 0 or rec == 0:
        return
    if beta_J_path is not None:
        if beta_J_path.shape[0] < rec:
            raise ValueError(f"beta_J_path must have length >= {rec}, got {beta_J_path.shape[0]}")
        bjp = &beta_J_path[0]
    if beta_h_path is not None:
        if beta_h_path.shape[0] < rec:
            raise ValueError(f"beta_h_path must have length >= {rec}, got {beta_h_path.shape[0]}")
        bhp = &beta_h_path[0]
    if not 2 <= q < MAX_Q:
        raise ValueError(f"q must be in 2..{MAX_Q - 1}, got {q}")
    if states_out is not None:
        if states_out.shape[0] < n_chains or states_out.shape[1] < rec or states_out.shape[2] != n:
            raise ValueError(f"states_out must have shape ({n_chains}, >= {rec}, {n}), got "
                             f"({states_out.shape[0]}, {states_out.shape[1]}, {states_out.shape[2]})")
        if states_out.strides[2] != 1:
            raise ValueError("states_out must be contiguous along its last axis (sites)")
        sos = states_out.strides[1]
        ros = states_out.strides[0]
    if G < 1:
        G = 1
    n_groups = (n_chains + G - 1) // G
    if floating is float:
        qs = _fixed_scale(Jr, n, q, n_threads)
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
        for c in prange(n_groups, num_threads=n_threads, schedule="dynamic"):
            c0 = c * G
            gs = n_chains - c0 if n_chains - c0 < G else G
            if _dense_group(&h[0, 0], Jr, sb, sk, n, q, gs, &states[c0, 0], &rng[c0, 0],
                            beta_J, beta_h, rec, thin, &e_coupling[c0, 0], &e_field[c0, 0],
                            &magnetization[c0, 0], rj, rh, rm, sj, sh, sm,
                            &states_out[c0, 0, 0] if states_out is not None else NULL, ros, sos,
                            &stats[c0, 0], heatbath, qs, bjp, bhp) != 0:
                failed += gs
    free(Jt)
    if failed:
        raise MemoryError(f"could not allocate the local-field cache ({n} x {q} doubles) "
                          f"for {failed} of {n_chains} chains; their states were not updated")


def potts_metropolis(const floating[:, ::1] h, const floating[:, :, :, ::1] J,
                     int8_t[:, ::1] states, uint64_t[:, ::1] rng, double beta_J, double beta_h,
                     Py_ssize_t n_records, Py_ssize_t thin, double[:, :] e_coupling,
                     double[:, :] e_field, double[:, :] magnetization,
                     double[:, ::1] stats, int n_threads, *, int8_t[:, :, :] states_out=None,
                     const double[::1] beta_J_path=None, const double[::1] beta_h_path=None):
    """Metropolis updates on a dense Potts model: propose a uniformly random other state.

    h (N, q) and J (N, N, q, q) share one dtype, float32 or float64. states_out (keyword):
    int8 (n_chains, >= n_records, N) receiving the state at each record, or None.
    beta_J_path, beta_h_path (keyword): float64 (>= n_records,) or None; when given, the
    sweeps before record r run at beta_J_path[r] (beta_h_path[r]) instead of beta_J (beta_h).
    """
    _dense_run(h, J, states, rng, beta_J, beta_h, n_records, thin, e_coupling, e_field,
               magnetization, stats, n_threads, False, states_out, beta_J_path, beta_h_path)


def potts_heatbath(const floating[:, ::1] h, const floating[:, :, :, ::1] J,
                   int8_t[:, ::1] states, uint64_t[:, ::1] rng, double beta_J, double beta_h,
                   Py_ssize_t n_records, Py_ssize_t thin, double[:, :] e_coupling,
                   double[:, :] e_field, double[:, :] magnetization,
                   double[:, ::1] stats, int n_threads, *, int8_t[:, :, :] states_out=None,
                   const double[::1] beta_J_path=None, const double[::1] beta_h_path=None):
    """Heat-bath (Gibbs) updates on a dense Potts model: sample x_i from its conditional.

    h (N, q) and J (N, N, q, q) share one dtype, float32 or float64. states_out (keyword):
    int8 (n_chains, >= n_records, N) receiving the state at each record, or None.
    beta_J_path, beta_h_path (keyword): float64 (>= n_records,) or None; when given, the
    sweeps before record r run at beta_J_path[r] (beta_h_path[r]) instead of beta_J (beta_h).
    """
    _dense_run(h, J, states, rng, beta_J, beta_h, n_records, thin, e_coupling, e_field,
               magnetization, stats, n_threads, True, states_out, beta_J_path, beta_h_path)
