/* Pseudo-likelihood objective and gradient of a dense Potts model, one site at a time
 * (private kernel behind isingbio._kernels._plm and isingbio.plm.fit_plm), and the vector
 * passes of its L-BFGS optimiser.
 *
 * Layout (qp = q rounded up to a multiple of 8, padding entries are zero):
 *   x_t    int8   (L, N)          column-major alignment: x_t[j*N + n] = state of site j in sequence n
 *   perm   uint8  (B, L, NB)      per block of NB = ISB_PLM_NB sequences and column j, the block's
 *                                 sequences (0..NB-1) grouped by their state at j, the largest group
 *                                 last (_plm.block_groups)
 *   gstart int16  (B, L, q + 1)   read as uint16: [0] = ng | (c << 9) (ng groups listed before the
 *                                 largest one, c its state), [1 + g] = end | (b << 9) of listed group g
 *   w      T      (N,)            sequence weights
 *   x, g   T      packed          the optimiser's parameter vector and gradient: h[i*q + a], then one
 *                                 q x q block per pair i < j (row-major pair order), block[a][b] = J_ij(a, b)
 *   per-thread scratch, filled for one site i at a time (_plm_site.h, isb_plm_site_packed_*):
 *   Ji     T      (L, q, qp)      Ji[(j*q + b)*qp + a] = J_ij(a, b) (copied from x + step*d), Ji[i] = 0
 *   Gi     T      (L, q, qp)      gradient of the site-i term with respect to J_ij(a, b), stored like
 *                                 Ji, then added into g's pair blocks under per-pair spin locks
 *
 * The site-i term is  sum_n w_n (log Z_i(n) - l_i(n, x_i^n)),  l_i(n, a) = h_i(a) + sum_{j != i}
 * J_ij(a, x_j^n). For a fixed i every inner loop runs over a (qp wide: whole 256-bit vectors).
 * Sequences are taken in blocks of ISB_PLM_NB; per block:
 *   1. logits: buf(n, :) = h_i + sum_j J_i[j][x_j^n], four columns j per pass over the block
 *      (J_ii = 0, so j = i needs no branch);
 *   2. softmax (vectorised expf): buf(n, a) = w_n (p_i(a | n) - delta(a, x_i^n)); the logs of the
 *      normalisers are taken after the loop (a libm call inside it spills the vector registers)
 *      and the delta terms are subtracted after the row's vector stores (store forwarding);
 *   3. gradient: G_i[j][b] += sum of buf(n, :) over the block's sequences with x_j^n = b. perm
 *      lists them state by state, so each row of G is summed in registers and written once per
 *      block (a scatter-add per sequence would be bound by stores and, on conserved columns,
 *      by store-to-load forwarding). Only the nonempty groups are listed, and the largest one
 *      is not summed: its row gets the block total (from step 2) minus the other groups.
 * Every site's outputs are computed by one call, in a fixed order, and each pair block of g
 * receives exactly two additions (site i's and site j's; a + b == b + a): the result does not
 * depend on how sites are shared between threads.
 *
 * With ignore_gaps (state 0 is the gap), the conditional of site i is normalised over the states
 * 1..q-1, sequences with a gap at site i contribute nothing to it (plmc's --gapignore) and are
 * skipped, and the gap rows of G (never used) are not computed.
 *
 * The instruction set is chosen at run time (GCC target_clones on x86-64 Linux: AVX2+FMA or the
 * baseline), so the default build runs on any x86-64 CPU. An AVX-512 clone was measured slower
 * than AVX2 on an AMD EPYC (Zen 4) for qp = 24 (one 512-bit plus one 256-bit operation per row
 * against three 256-bit ones) and is not built. Block size: 256 sequences (perm fits in uint8)
 * measured fastest on the same CPU (64: about 1.7x slower, 128: 1.3x, 512 and 1024 with a
 * uint16 perm: 1.2x).
 */
#ifndef ISINGBIO_PLM_CORE_H
#define ISINGBIO_PLM_CORE_H

#include "isb_core.h"

#define ISB_PLM_CLONES ISB_CLONES("arch=x86-64-v3", "default")
#define ISB_PLM_HAVE_CLONES ISB_HAVE_CLONES
#define ISB_PLM_INLINE ISB_INLINE

/* Profiling aid (one thread only: the counters are shared): build with CFLAGS=-DISB_PLM_PROF
 * (after removing the built _plm object) and the cycles spent in the three phases of the site
 * body (rdtsc, so wall cycles) are printed to stderr at exit. */
#ifdef ISB_PLM_PROF
#include <x86intrin.h>
#include <stdio.h>
static unsigned long long isb_prof_acc[4], isb_prof_last;
static int isb_prof_ph = -1;
#define ISB_PROF_T(k) { unsigned long long _t = __rdtsc(); if (isb_prof_ph >= 0) isb_prof_acc[isb_prof_ph] += _t - isb_prof_last; isb_prof_last = _t; isb_prof_ph = k; }
__attribute__((destructor)) static void isb_prof_dump(void) {
    fprintf(stderr, "PROF logits %.3g softmax %.3g grad %.3g other %.3g\n", (double)isb_prof_acc[0], (double)isb_prof_acc[1], (double)isb_prof_acc[2], (double)isb_prof_acc[3]);
}
#else
#define ISB_PROF_T(k)
#endif
#define ISB_PLM_NB 256     /* sequences per block (at most 256: perm is uint8) */
#define ISB_PLM_MAXQP 128   /* q <= 127 */

/* exp(x) for x <= 0 in single precision, written so that loops calling it vectorise
 * (Cephes expf: range reduction by ln 2, degree-6 polynomial; relative error < 2e-7).
 * Arguments below -87 are clamped (exp(-87) ~ 1.6e-38). */
ISB_PLM_INLINE float isb_plm_expf(float x) {
    x = x > -87.0f ? x : -87.0f;
    float t = x * 1.44269504088896341f;
    float k = (t + 12582912.0f) - 12582912.0f;     /* round to nearest */
    float r = x - k * 0.693359375f;
    r = r + k * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    int32_t bits = ((int32_t)k + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

ISB_PLM_INLINE double isb_plm_exp(double x) { return exp(x); }

/* 32-byte vectors (GCC/Clang vector extensions; two SSE halves in the baseline clone), declared
 * with the element's alignment so that rows of qp numbers can be read wherever they lie. */
typedef float isb_v8f __attribute__((vector_size(32), aligned(4)));
typedef double isb_v4d __attribute__((vector_size(32), aligned(8)));
typedef int32_t isb_v8i __attribute__((vector_size(32), aligned(4)));
typedef int64_t isb_v4l __attribute__((vector_size(32), aligned(8)));
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"   /* inline vector helpers in the baseline clone */
#endif

/* lane-wise max (C has no ?: on vectors) */
ISB_PLM_INLINE isb_v8f isb_vmax_v8f(isb_v8f a, isb_v8f b) {
    const isb_v8i m = a > b;
    return (isb_v8f)(((isb_v8i)a & m) | ((isb_v8i)b & ~m));
}
ISB_PLM_INLINE isb_v4d isb_vmax_v4d(isb_v4d a, isb_v4d b) {
    const isb_v4l m = a > b;
    return (isb_v4d)(((isb_v4l)a & m) | ((isb_v4l)b & ~m));
}

/* isb_plm_expf on 8 lanes at once (same operations, lane by lane, as the scalar version). */
ISB_PLM_INLINE isb_v8f isb_plm_expf_v(isb_v8f x) {
    const isb_v8f lo = {-87.0f, -87.0f, -87.0f, -87.0f, -87.0f, -87.0f, -87.0f, -87.0f};
    x = isb_vmax_v8f(x, lo);
    isb_v8f t = x * 1.44269504088896341f;
    isb_v8f k = (t + 12582912.0f) - 12582912.0f;
    isb_v8f r = x - k * 0.693359375f;
    r = r + k * 2.12194440e-4f;
    isb_v8f p = r * 1.9875691500e-4f + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    isb_v8i bits = (__builtin_convertvector(k, isb_v8i) + 127) << 23;
    isb_v8f scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

ISB_PLM_INLINE isb_v4d isb_plm_exp_v(isb_v4d x) {
    isb_v4d y;
    for (int k = 0; k < 4; k++) y[k] = exp(x[k]);
    return y;
}

/* ---- vector passes of the L-BFGS optimiser (templated in _plm_site.h) -------------------- */
#define ISB_LANES 8

ISB_PLM_INLINE double isb_lanes_sum(const double *acc) {
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

/* ---- single precision -------------------------------------------------------------------- */
#define ISB_T float
#define ISB_SUFFIX f32
#define ISB_EXP isb_plm_expf
#define ISB_V isb_v8f
#define ISB_VL 8
#define ISB_EXPV isb_plm_expf_v
#define ISB_VMAX isb_vmax_v8f
#include "_plm_site.h"
#undef ISB_T
#undef ISB_SUFFIX
#undef ISB_EXP
#undef ISB_V
#undef ISB_VL
#undef ISB_EXPV
#undef ISB_VMAX

/* ---- double precision -------------------------------------------------------------------- */
#define ISB_T double
#define ISB_SUFFIX f64
#define ISB_EXP isb_plm_exp
#define ISB_V isb_v4d
#define ISB_VL 4
#define ISB_EXPV isb_plm_exp_v
#define ISB_VMAX isb_vmax_v4d
#include "_plm_site.h"
#undef ISB_T
#undef ISB_SUFFIX
#undef ISB_EXP
#undef ISB_V
#undef ISB_VL
#undef ISB_EXPV
#undef ISB_VMAX

/* Which instruction set the dispatcher picks on this CPU (for show_config and benchmarks). */
static const char *isb_plm_simd(void) {
#if ISB_PLM_HAVE_CLONES
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return "x86-64-v3 (AVX2)";
    return "x86-64 baseline (SSE2)";
#else
    return "compiler default";
#endif
}

#endif
