/* Bit-parallel sequence identity counting for isingbio._kernels._weights.
 *
 * A sequence of L codes with b bits per code is stored as `nwords * nbits` uint64 words:
 * word w holds bit plane p of residues 64*w .. 64*w+63 at index w*nbits + p (padding bits
 * are zero in every sequence, so they never count as mismatches). Two residues differ iff
 * any of their bit planes differ, so the mismatch count of one 64-residue block is
 * popcount(OR_p (a_p XOR b_p)).
 *
 * The popcount instruction is chosen at run time (GCC target_clones on x86-64 Linux), so the
 * default build runs on any x86-64 CPU and uses POPCNT where the CPU has it.
 */
#ifndef ISINGBIO_WEIGHTS_IMPL_H
#define ISINGBIO_WEIGHTS_IMPL_H

#include "isb_core.h"

#define ISB_TARGET_CLONES ISB_CLONES("popcnt", "default")

#if defined(__GNUC__) || defined(__clang__)
#define ISB_POPCOUNT64(x) ((int)__builtin_popcountll((unsigned long long)(x)))
#else
static int ISB_POPCOUNT64(uint64_t x) {
    x = x - ((x >> 1) & 0x5555555555555555ULL);
    x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
    x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
    return (int)((x * 0x0101010101010101ULL) >> 56);
}
#endif

/* Compare row i with rows j (j > i). For every pair with at most max_mismatch
 * mismatching positions, add mult[i] to counts_j[j] (a per-thread array of the neighbours
 * of j) and mult[j] to the returned count (the neighbours of i); mult (the number of copies
 * of each distinct sequence) may be NULL: one each. Gives up on a pair as soon as the
 * mismatch count exceeds max_mismatch (early exit between 64-residue blocks). */
/* Only rows j in [j_start, j_stop) (j_start > i) are compared: the caller goes over the rows j
 * in blocks that stay in cache while many rows i are compared with them. */
ISB_TARGET_CLONES
static int64_t isb_weights_row(const uint64_t *planes, ptrdiff_t j_start, ptrdiff_t j_stop,
                               ptrdiff_t i, int nwords, int nbits, int max_mismatch,
                               int32_t *counts_j, const int32_t *mult)
{
    const int32_t mult_i = mult ? mult[i] : 1;
    const ptrdiff_t stride = (ptrdiff_t)nwords * nbits;
    const uint64_t *a = planes + i * stride;
    int64_t found = 0;
    for (ptrdiff_t j = j_start; j < j_stop; j++) {
        const uint64_t *b = planes + j * stride;
        int mism = 0;
        for (int w = 0; w < nwords; w++) {
            uint64_t diff = 0;
            const uint64_t *aw = a + (ptrdiff_t)w * nbits;
            const uint64_t *bw = b + (ptrdiff_t)w * nbits;
            for (int p = 0; p < nbits; p++) diff |= aw[p] ^ bw[p];
            mism += ISB_POPCOUNT64(diff);
            if (mism > max_mismatch) break;
        }
        if (mism <= max_mismatch) {
            found += mult ? mult[j] : 1;
            counts_j[j] += mult_i;
        }
    }
    return found;
}

#endif
