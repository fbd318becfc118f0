/* Pseudo-likelihood objective and gradient of a dense Potts model, one site at a time
 * (private kernel behind isingbio._kernels._plm and isingbio.plm.fit_plm).
 *
 * Internal layout (qp = q rounded up to a multiple of 8, padding entries are zero):
 *   x_t   int8   (L, N)          column-major alignment: x_t[j*N + n] = state of site j in sequence n
 *   w     T      (N,)            sequence weights
 *   h     T      (L, qp)         fields, h[i*qp + a] = h_i(a)
 *   J     T      (L, L, q, qp)   couplings transposed per block: J[((i*L + j)*q + b)*qp + a] = J_ij(a, b)
 *   gh    T      (L, qp)         out: gradient of the site-i term with respect to h_i
 *   G     T      (L, L, q, qp)   out: rows i: gradient of the site-i term with respect to J_ij(a, b),
 *                                stored like J (the caller adds G[i][j][b][a] + G[j][i][a][b])
 *
 * The site-i term is  sum_n w_n (log Z_i(n) - l_i(n, x_i^n)),  l_i(n, a) = h_i(a) + sum_{j != i}
 * J_ij(a, x_j^n). For a fixed i the inner loops run over a (contiguous, qp wide: SIMD friendly),
 * sequences are taken in blocks of ISB_PLM_NB so the block of partial logits stays in L1 while
 * J[i][j] and G[i][j] are streamed once per block. Every output row i is written by one call, in a
 * fixed order: the result does not depend on how sites are shared between threads.
 *
 * With ignore_gaps (state 0 is the gap), the conditional of site i is normalised over the states
 * 1..q-1 and sequences with a gap at site i contribute nothing to it (plmc's --gapignore).
 *
 * The instruction set is chosen at run time (GCC target_clones on x86-64 Linux: AVX2+FMA or the
 * baseline), so the default build runs on any x86-64 CPU. An AVX-512 clone was measured slower
 * than AVX2 on an AMD EPYC (Zen 4) for qp = 24 (one 512-bit plus one 256-bit operation per row
 * against three 256-bit ones) and is not built.
 */
#ifndef ISINGBIO_PLM_CORE_H
#define ISINGBIO_PLM_CORE_H

#include <math.h>
#include <stdint.h>
#include <stddef.h>
#include <string.h>

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) \
    && (__GNUC__ >= 11)
#define ISB_PLM_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#define ISB_PLM_HAVE_CLONES 1
#else
#define ISB_PLM_CLONES
#define ISB_PLM_HAVE_CLONES 0
#endif

#if defined(__GNUC__) || defined(__clang__)
#define ISB_PLM_INLINE static inline __attribute__((always_inline))
#else
#define ISB_PLM_INLINE static inline
#endif

#define ISB_PLM_NB 128      /* sequences per block */
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

/* ---- single precision -------------------------------------------------------------------- */
#define ISB_T float
#define ISB_SUFFIX f32
#define ISB_EXP isb_plm_expf
#include "_plm_site.h"
#undef ISB_T
#undef ISB_SUFFIX
#undef ISB_EXP

/* ---- double precision -------------------------------------------------------------------- */
#define ISB_T double
#define ISB_SUFFIX f64
#define ISB_EXP isb_plm_exp
#include "_plm_site.h"
#undef ISB_T
#undef ISB_SUFFIX
#undef ISB_EXP

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
