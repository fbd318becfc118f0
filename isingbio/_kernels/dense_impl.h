/* C helpers of the dense Potts kernels (_dense.pyx): the local-field cache updates in both
 * layouts of J, the fixed-point cache of float32 models, the bound on |J| that sets its scale,
 * and the heat-bath weights. Included by _dense.pyx (after Python.h: Py_ssize_t); shares
 * isb_core.h with every kernel. */
#ifndef ISINGBIO_DENSE_IMPL_H
#define ISINGBIO_DENSE_IMPL_H

#include "isb_core.h"
#include "rng.h"

/* Cache updates of the dense Potts kernels. Row (i, b, k) of the couplings, the q numbers
 * J[i, k, b, :], starts at  i * n*q*q + b * sb + k * sk:  sb = q, sk = q*q in the caller's
 * C-order J; sb = n*q, sk = q in the transposed copy Jt[i, b, k, :] the kernels make when
 * a call is long enough to pay for it (then the rows a move reads are contiguous).
 * In C for `restrict`, software prefetching of strided rows (q*q apart: too far for the
 * hardware prefetcher) and, with GCC on x86-64 Linux, an AVX2 clone picked at load time
 * (the default build targets baseline x86-64). Both layouts add the same numbers in the
 * same order, so they give bit-identical results. */
#define ISB_DENSE_CLONES ISB_CLONES("arch=x86-64-v4", "avx2", "default")
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
    double w[ISB_MAX_Q];
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

/* ---- the sweep loop (dense_sweep.h, once per element type) ------------------------------ */
#define ISB_DT float
#define ISB_DT_FLOAT 1
#define ISB_DFN(name) name##_f
#include "dense_sweep.h"
#undef ISB_DT
#undef ISB_DT_FLOAT
#undef ISB_DFN
#define ISB_DT double
#define ISB_DT_FLOAT 0
#define ISB_DFN(name) name##_d
#include "dense_sweep.h"
#undef ISB_DT
#undef ISB_DT_FLOAT
#undef ISB_DFN

/* ---- the entry point ------------------------------------------------------------------------ */
/* The model of a dense call: h (n, q) and J (n, n, q, q), C order, float (is_float) or double;
 * heatbath; qs: the fixed-point scale of a float model (0: double caches); a call copies J into
 * the transposed layout Jt[i, b, k, :] = J[i, k, b, :] when chains x records x thin >=
 * transpose_min_sweeps and J has at most transpose_max_bytes (> 0) bytes; max_group: chains run
 * in lockstep by one thread (any grouping gives the same results). */
typedef struct {
    const void *h;
    const void *J;
    int is_float, heatbath;
    int64_t q;
    float qs;
    int64_t transpose_min_sweeps, transpose_max_bytes, max_group;
} isb_dense_params;

/* One call (isb_run). Returns ISB_OK, or ISB_ENOMEM with *failed the number of chains whose
 * caches could not be allocated (their states are not updated). */
static int isb_dense_run(const isb_dense_params *m, const isb_run *a, int64_t *failed) {
    const ptrdiff_t n = a->n_sites, nc = a->n_chains, q = m->q, nq = n * q, qq = q * q;
    const ptrdiff_t nqq = n * q * q, rec = a->n_records, thin = a->thin;
    const int nt = a->n_threads > 0 ? a->n_threads : 1;
    const size_t es = m->is_float ? sizeof(float) : sizeof(double);
    const size_t nbytes = (size_t)n * (size_t)nqq * es;
    ptrdiff_t G = (nc + nt - 1) / nt, sb = q, sk = q * q;
    int64_t nfail = 0;
    const char *Jr = (const char *)m->J;
    char *Jt = NULL;
    *failed = 0;
    if (nc <= 0 || n <= 0 || rec <= 0) return ISB_OK;
    if (G > m->max_group) G = m->max_group;
    if (G < 1) G = 1;
    const ptrdiff_t n_groups = (nc + G - 1) / G;
    if (m->transpose_max_bytes > 0 && nbytes <= (size_t)m->transpose_max_bytes
        && nc * rec * thin >= m->transpose_min_sweeps)
        Jt = (char *)malloc(nbytes);   /* on failure: read J in place */
    if (Jt) {
#ifdef _OPENMP
#pragma omp parallel for num_threads(nt) schedule(static)
#endif
        for (ptrdiff_t i = 0; i < n; i++)
            for (ptrdiff_t b = 0; b < q; b++) {
                char *dst = Jt + (i * nqq + b * nq) * es;
                const char *src = Jr + (i * nqq + b * q) * es;
                for (ptrdiff_t k = 0; k < n; k++)
                    memcpy(dst + k * q * es, src + k * qq * es, (size_t)q * es);
            }
        Jr = Jt;
        sb = nq;
        sk = q;
    }
#ifdef _OPENMP
#pragma omp parallel for num_threads(nt) schedule(dynamic) reduction(+:nfail)
#endif
    for (ptrdiff_t c = 0; c < n_groups; c++) {
        const ptrdiff_t c0 = c * G, gs = nc - c0 < G ? nc - c0 : G;
        int8_t *xs = a->states + c0 * n;
        uint64_t *rngs = a->rng + c0 * a->rng_stride;
        double *st = a->stats + c0 * a->stats_stride;
        const int rc = m->is_float
            ? isb_dense_group_f((const float *)m->h, (const float *)Jr, sb, sk, n, q, gs, xs, rngs,
                                a->rng_stride, a->beta_J, a->beta_h, rec, thin, &a->rec, c0, st,
                                a->stats_stride, m->heatbath, m->qs, a->bjp, a->bhp)
            : isb_dense_group_d((const double *)m->h, (const double *)Jr, sb, sk, n, q, gs, xs,
                                rngs, a->rng_stride, a->beta_J, a->beta_h, rec, thin, &a->rec, c0,
                                st, a->stats_stride, m->heatbath, 0.0f, a->bjp, a->bhp);
        if (rc != ISB_OK) nfail += gs;
    }
    free(Jt);
    *failed = nfail;
    return nfail ? ISB_ENOMEM : ISB_OK;
}

/* The fixed-point scale S of float32 couplings J (n, n, q, q), or 0 when fixed point is not
 * precise enough: S * B < 2^31 with B the largest row bound (with a margin for the rounding of
 * B), so no sum of |trunc(S J)| leaves int32, and every local field within 2^-16 of its exact
 * value (n / S). B infinite or NaN: 0 (the double cache is used). Rows that bound to NaN are
 * skipped, as a comparison skips them. -1 when the row buffer cannot be allocated. */
static float isb_dense_fixed_scale(const float *Jr, ptrdiff_t n, ptrdiff_t q, int nt) {
    const ptrdiff_t nqq = n * q * q;
    double *rows = (double *)malloc((size_t)(n > 0 ? n : 1) * sizeof(double));
    if (!rows) return -1.0f;
#ifdef _OPENMP
#pragma omp parallel for num_threads(nt) schedule(static)
#endif
    for (ptrdiff_t k = 0; k < n; k++) rows[k] = isb_dense_row_bound_f(Jr + k * nqq, n, q * q);
    double B = 0.0;
    for (ptrdiff_t k = 0; k < n; k++)
        if (rows[k] > B) B = rows[k];
    free(rows);
    if (!(B < 1e300)) return 0.0f;
    double e = B > 0 ? floor(log2(2147483647.0 / (B * (1.0 + 1e-6)))) : 64.0;
    if (e > 64) e = 64;
    if ((double)n * ldexp(1.0, -(int)e) > 1.0 / 65536) return 0.0f;
    return (float)ldexp(1.0, (int)e);
}

#endif
