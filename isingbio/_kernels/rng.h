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
#include <string.h>

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

/* nblk blocks of 8 outputs, one per lane: out[8 b + k] is output b of lane k (b < nblk).
 * The multiplies by 5 and 9 are written as shifts and adds (the same values modulo 2^64):
 * x86 has no 64-bit vector multiply before AVX-512. With GCC / clang the 8 lanes are GCC
 * vector-extension values (two vectors of 4 lanes, the state kept in registers across blocks),
 * so the code is SIMD whatever the optimiser's cost model says: SSE2 in the default build,
 * AVX2 where inlined into AVX2-targeted code. Other compilers get the plain scalar loop. */
#if defined(__GNUC__) || defined(__clang__)
typedef uint64_t isb_u64x4 __attribute__((vector_size(32)));

/* One step of 4 lanes: result, and the state (s0, s1, s2, s3) advanced. */
#define ISB_STEP4(s0, s1, s2, s3, result)                                      \
    do {                                                                       \
        isb_u64x4 x_ = (s1) + ((s1) << 2);          /* s1 * 5 */               \
        x_ = (x_ << 7) | (x_ >> 57);                /* rotl 7 */               \
        (result) = x_ + (x_ << 3);                  /* * 9 */                  \
        const isb_u64x4 t_ = (s1) << 17;                                       \
        (s2) ^= (s0);                                                          \
        (s3) ^= (s1);                                                          \
        (s1) ^= (s2);                                                          \
        (s0) ^= (s3);                                                          \
        (s2) ^= t_;                                                            \
        (s3) = ((s3) << 45) | ((s3) >> 19);         /* rotl 45 */              \
    } while (0)

/* always_inline: inlined into AVX2-targeted code it becomes AVX2 code */
static inline __attribute__((always_inline)) void isb_fill8(uint64_t *restrict w,
                                                             uint64_t *restrict out,
                                                             int64_t nblk) {
    isb_u64x4 s0a, s0b, s1a, s1b, s2a, s2b, s3a, s3b, ra, rb;
    memcpy(&s0a, w, 32); memcpy(&s0b, w + 4, 32);
    memcpy(&s1a, w + 8, 32); memcpy(&s1b, w + 12, 32);
    memcpy(&s2a, w + 16, 32); memcpy(&s2b, w + 20, 32);
    memcpy(&s3a, w + 24, 32); memcpy(&s3b, w + 28, 32);
    for (int64_t b = 0; b < nblk; b++) {
        ISB_STEP4(s0a, s1a, s2a, s3a, ra);
        ISB_STEP4(s0b, s1b, s2b, s3b, rb);
        memcpy(out + 8 * b, &ra, 32);
        memcpy(out + 8 * b + 4, &rb, 32);
    }
    memcpy(w, &s0a, 32); memcpy(w + 4, &s0b, 32);
    memcpy(w + 8, &s1a, 32); memcpy(w + 12, &s1b, 32);
    memcpy(w + 16, &s2a, 32); memcpy(w + 20, &s2b, 32);
    memcpy(w + 24, &s3a, 32); memcpy(w + 28, &s3b, 32);
}
#else
static inline void isb_fill8(uint64_t *restrict w, uint64_t *restrict out, int64_t nblk) {
    uint64_t *restrict s0 = w, *restrict s1 = w + 8, *restrict s2 = w + 16, *restrict s3 = w + 24;
    for (int64_t b = 0; b < nblk; b++) {
        for (int k = 0; k < 8; k++) {
            const uint64_t x = isb_rotl(s1[k] + (s1[k] << 2), 7);
            const uint64_t result = x + (x << 3);
            const uint64_t t = s1[k] << 17;
            s2[k] ^= s0[k];
            s3[k] ^= s1[k];
            s1[k] ^= s2[k];
            s0[k] ^= s3[k];
            s2[k] ^= t;
            s3[k] = isb_rotl(s3[k], 45);
            out[8 * b + k] = result;
        }
    }
}
#endif

/* Eight outputs at once, one per lane (written to out[0..8)). */
static inline void isb_next8(uint64_t *restrict w, uint64_t *restrict out) {
    isb_fill8(w, out, 1);
}

#endif
