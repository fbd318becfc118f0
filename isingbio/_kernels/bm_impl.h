/* Persistent chains of Boltzmann-machine learning (_bm.pyx): sweeps of a float32 dense Potts
 * model with fixed-point local fields, the same decisions and random numbers as the dense
 * kernels' fixed-point path (dense_sweep.h), for a call that records nothing.
 *
 * The dense kernels convert each coupling to fixed point, ISB_FQ(J, qs), every time a move
 * reads it, and keep the exact energy of every chain. Here the couplings are converted once
 * per model (isb_bm_fixed) into an integer copy in the transposed layout, Jq[i, b, k, a] = ISB_FQ(J[i, k, b,
 * a], qs), so building the local fields of a chain (N rows of N q integers) and each accepted
 * move (two rows) are plain integer additions, SIMD-wide in the AVX-512 / AVX2 clones; no
 * energy is kept. The integers are those the dense kernels compute, added in the same order
 * (integer sums are exact anyway), and the decisions are the same double-precision
 * expressions compiled for the baseline target (no FMA contraction): the states and random
 * streams after a call are bit for bit those of _dense.potts_metropolis / potts_heatbath with
 * one record of n_sweeps sweeps at beta 1. Included by _bm.pyx after dense_impl.h. */
#ifndef ISINGBIO_BM_IMPL_H
#define ISINGBIO_BM_IMPL_H

#include "dense_impl.h"

#define ISB_BM_CLONES ISB_CLONES("arch=x86-64-v4", "avx2", "default")

/* F[j] += rn[j] - ro[j], j < m (uint32: wraps like the dense kernels' fixed point) */
ISB_BM_CLONES static void isb_bm_move(uint32_t *restrict F, const uint32_t *restrict rn,
                                      const uint32_t *restrict ro, ptrdiff_t m) {
    for (ptrdiff_t j = 0; j < m; j++) F[j] += rn[j] - ro[j];
}
ISB_BM_CLONES static void isb_bm_add(uint32_t *restrict F, const uint32_t *restrict r, ptrdiff_t m) {
    for (ptrdiff_t j = 0; j < m; j++) F[j] += r[j];
}

/* Jq[i, b, k, a] = ISB_FQ(J[i, k, b, a], qs): the integers the dense kernels add, in the
 * layout of their transposed copy (row (i, b) is contiguous). */
static void isb_bm_fixed(const float *J, ptrdiff_t n, ptrdiff_t q, float qs, uint32_t *Jq, int nt) {
    const ptrdiff_t nq = n * q, qq = q * q, nqq = n * q * q;
#ifdef _OPENMP
#pragma omp parallel for num_threads(nt) schedule(static)
#endif
    for (ptrdiff_t i = 0; i < n; i++)
        for (ptrdiff_t b = 0; b < q; b++) {
            uint32_t *dst = Jq + i * nqq + b * nq;
            const float *src = J + i * nqq + b * q;
            for (ptrdiff_t k = 0; k < n; k++)
                for (ptrdiff_t a = 0; a < q; a++) dst[k * q + a] = ISB_FQ(src[k * qq + a], qs);
        }
}

/* n_sweeps sweeps of chains xs (nc x n) with random streams rngs (row stride rng_stride) on
 * h (n, q) and J (n, n, q, q) at beta 1, fixed-point scale qs > 0; nt threads.
 *
 * Chains go in groups of G that run in lockstep: every chain of the group updates site i
 * before the group moves to site i + 1 (and the local fields are built row j by row j), so the
 * q rows of site i, q x n q integers, are read from the last-level cache once per group and
 * then from L2, and the group's local fields (G x n q integers) stay in L2; the run is bound
 * by the traffic of these rows. Each chain's arithmetic and random numbers are those it has
 * alone: results do not depend on G, on nt, or on which thread runs a group. */
static int isb_bm_run(const float *h, const uint32_t *Jq, ptrdiff_t n, ptrdiff_t q, float qs,
                      int heatbath, int8_t *xs, ptrdiff_t nc, uint64_t *rngs,
                      ptrdiff_t rng_stride, ptrdiff_t n_sweeps, ptrdiff_t G, int nt) {
    const ptrdiff_t nq = n * q, nqq = n * q * q;
    const double bJ = 1.0 / qs, bH = 1.0;
    int fail = 0;
    if (G < 1) G = 1;
    const ptrdiff_t n_groups = (nc + G - 1) / G;
#ifdef _OPENMP
#pragma omp parallel num_threads(nt) reduction(|:fail)
#endif
    {
        uint32_t *Q = (uint32_t *)malloc((size_t)G * (size_t)nq * sizeof(uint32_t));
        double cum[ISB_MAX_Q];
        if (!Q) fail = 1;
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
        for (ptrdiff_t grp = 0; grp < n_groups; grp++) {
            if (!Q) continue;
            const ptrdiff_t c0 = grp * G, gs = nc - c0 < G ? nc - c0 : G;
            memset(Q, 0, (size_t)gs * (size_t)nq * sizeof(uint32_t));
            for (ptrdiff_t j = 0; j < n; j++)
                for (ptrdiff_t g = 0; g < gs; g++)
                    isb_bm_add(Q + g * nq, Jq + j * nqq + xs[(c0 + g) * n + j] * nq, nq);
            for (ptrdiff_t t = 0; t < n_sweeps; t++) {
                for (ptrdiff_t i = 0; i < n; i++) {
                    const float *hi = h + i * q;
                    const uint32_t *Ji = Jq + i * nqq;
                    for (ptrdiff_t g = 0; g < gs; g++) {
                        int8_t *x = xs + (c0 + g) * n;
                        uint64_t *rng = rngs + (c0 + g) * rng_stride;
                        uint32_t *F = Q + g * nq;
                        const uint32_t *Qi = F + i * q;
                        const ptrdiff_t old = x[i];
                        ptrdiff_t b;
                        if (heatbath) {
                            for (ptrdiff_t a = 0; a < q; a++)
                                cum[a] = bJ * (double)(int32_t)Qi[a] + bH * hi[a];
                            const double tot = isb_dense_softmax_cum(cum, q);
                            const double u = isb_uniform(rng) * tot;
                            b = 0;
                            while (b < q - 1 && cum[b] <= u) b += 1;
                            if (b == old) continue;
                        } else {
                            b = (ptrdiff_t)isb_bounded(rng, (uint64_t)(q - 1));
                            if (b >= old) b += 1;
                            const double fb = (double)(int32_t)Qi[b], fo = (double)(int32_t)Qi[old];
                            const double d = -(bJ * (fb - fo) + bH * ((double)hi[b] - (double)hi[old]));
                            if (q == 2 && isb_is_tie(d)) {
                                if (!(isb_uniform(rng) < 0.5)) continue;
                            } else if (d > 0.0 && !(isb_uniform(rng) < exp(-d))) {
                                continue;
                            }
                        }
                        isb_bm_move(F, Ji + b * nq, Ji + old * nq, nq);
                        x[i] = (int8_t)b;
                    }
                }
            }
        }
        free(Q);
    }
    return fail ? ISB_ENOMEM : ISB_OK;
}

#endif
