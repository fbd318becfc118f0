/* xoshiro256** random numbers for isingbio kernels.
 *
 * Every chain owns ISB_RNG_WORDS = 32 uint64 words of state, stored as 8 independent
 * xoshiro256** lanes in structure-of-arrays order: words [0..8) are s0 of lanes 0..7,
 * [8..16) s1, [16..24) s2, [24..32) s3. Scalar kernels use lane 0 (isb_next); vectorised
 * kernels draw all 8 lanes at once (isb_next8), which GCC turns into SIMD code.
 * The state is seeded from numpy's SeedSequence in Python (isingbio._random), so the
 * stream of a chain depends only on the seed and the chain index, never on threads.
 */
#ifndef ISINGBIO_RNG_H
#define ISINGBIO_RNG_H
#include <stdint.h>

#define ISB_RNG_LANES 8
#define ISB_RNG_WORDS 32

static inline uint64_t isb_rotl(const uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
}

/* Next 64-bit output of lane `lane` of the state block w. */
static inline uint64_t isb_next_lane(uint64_t *w, int lane) {
    uint64_t *s0 = w + lane, *s1 = w + 8 + lane, *s2 = w + 16 + lane, *s3 = w + 24 + lane;
    const uint64_t result = isb_rotl(*s1 * 5, 7) * 9;
    const uint64_t t = *s1 << 17;
    *s2 ^= *s0;
    *s3 ^= *s1;
    *s1 ^= *s2;
    *s0 ^= *s3;
    *s2 ^= t;
    *s3 = isb_rotl(*s3, 45);
    return result;
}

/* Scalar stream: lane 0. */
static inline uint64_t isb_next(uint64_t *w) { return isb_next_lane(w, 0); }

/* Uniform double in [0, 1) with 53 random bits. */
static inline double isb_uniform(uint64_t *w) {
    return (double)(isb_next(w) >> 11) * 0x1.0p-53;
}

/* Uniform integer in [0, n), n >= 1, without modulo bias (Lemire's method). */
static inline uint64_t isb_bounded(uint64_t *w, uint64_t n) {
    uint64_t x = isb_next(w);
    __uint128_t m = (__uint128_t)x * n;
    uint64_t l = (uint64_t)m;
    if (l < n) {
        uint64_t t = -n % n;
        while (l < t) {
            x = isb_next(w);
            m = (__uint128_t)x * n;
            l = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

/* Eight outputs at once, one per lane (written to out[0..8)). */
static inline void isb_next8(uint64_t *restrict w, uint64_t *restrict out) {
    uint64_t *restrict s0 = w, *restrict s1 = w + 8, *restrict s2 = w + 16, *restrict s3 = w + 24;
    for (int k = 0; k < 8; k++) {
        const uint64_t result = isb_rotl(s1[k] * 5, 7) * 9;
        const uint64_t t = s1[k] << 17;
        s2[k] ^= s0[k];
        s3[k] ^= s1[k];
        s1[k] ^= s2[k];
        s0[k] ^= s3[k];
        s2[k] ^= t;
        s3[k] = isb_rotl(s3[k], 45);
        out[k] = result;
    }
}

#endif
