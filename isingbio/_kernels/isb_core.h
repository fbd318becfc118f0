/* The C core shared by every isingbio kernel family (lattice, graph, cluster, dense, PLM,
 * weights): limits, status codes, debug checks, the one runtime-dispatch (target_clones)
 * macro, probability thresholds and the tie rule, OpenMP team helpers, and the record
 * contract (isb_rec for a call, isb_out for one chain) with the segmenting of beta paths.
 * Kernel headers include this file first; nothing here reads the environment or keeps state.
 */
#ifndef ISINGBIO_ISB_CORE_H
#define ISINGBIO_ISB_CORE_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

/* ---- limits ---------------------------------------------------------------------------- */
#define ISB_MAX_Q 128            /* states are int8: q <= 127 */

/* ---- status codes (kernels return them, Python raises; never abort) -------------------- */
#define ISB_OK 0
#define ISB_ENOMEM (-1)          /* out of memory */
#define ISB_EBOUNDS (-2)         /* ISINGBIO_DEBUG builds: an index or state out of range */

/* ---- debug checks ------------------------------------------------------------------------
 * ISB_ASSERT(cond, ret): in a debug build (ISINGBIO_DEBUG=1 defines ISB_DEBUG=1) returns `ret`
 * from the enclosing function when cond is false; in a release build compiles to nothing.
 * ISB_CHECK_INDEX(i, n, ret): 0 <= i < n. */
#ifndef ISB_DEBUG
#define ISB_DEBUG 0
#endif
#if ISB_DEBUG
#define ISB_ASSERT(cond, ret) do { if (!(cond)) return (ret); } while (0)
#else
#define ISB_ASSERT(cond, ret) do { } while (0)
#endif
#define ISB_CHECK_INDEX(i, n, ret) ISB_ASSERT((int64_t)(i) >= 0 && (int64_t)(i) < (int64_t)(n), ret)

/* Debug builds: every one of the count states at x is valid (ising: -1 or +1, else 0..q-1). */
static inline int isb_check_states(const int8_t *x, int64_t count, int ising, int q) {
#if ISB_DEBUG
    for (int64_t i = 0; i < count; i++) {
        const int v = x[i];
        if (ising ? (v != 1 && v != -1) : (v < 0 || v >= q)) return ISB_EBOUNDS;
    }
#else
    (void)x; (void)count; (void)ising; (void)q;
#endif
    return ISB_OK;
}

/* Debug builds: a CSR graph of n sites (indptr non-decreasing from 0, neighbours in [0, n)). */
static inline int isb_check_csr(const int64_t *indptr, const int32_t *indices, int64_t n) {
#if ISB_DEBUG
    if (indptr[0] != 0) return ISB_EBOUNDS;
    for (int64_t i = 0; i < n; i++) {
        if (indptr[i + 1] < indptr[i]) return ISB_EBOUNDS;
        for (int64_t e = indptr[i]; e < indptr[i + 1]; e++)
            if (indices[e] < 0 || indices[e] >= n) return ISB_EBOUNDS;
    }
#else
    (void)indptr; (void)indices; (void)n;
#endif
    return ISB_OK;
}

/* ---- inlining and runtime dispatch -------------------------------------------------------
 * ISB_CLONES("avx2", "default") compiles a function once per target and picks the best one at
 * load time (GCC >= 11 on x86-64 Linux ELF; elsewhere, or with ISINGBIO_NO_CLONES, the plain
 * function). ISB_HAVE_CLONES says which. Each family keeps its own target list (the lists
 * decide which bits a float kernel computes, so they are part of its known answers). */
#if defined(__GNUC__) || defined(__clang__)
#define ISB_INLINE static inline __attribute__((always_inline))
#else
#define ISB_INLINE static inline
#endif

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) \
    && (__GNUC__ >= 11) && !defined(ISINGBIO_NO_CLONES)
#define ISB_HAVE_CLONES 1
#define ISB_CLONES(...) __attribute__((target_clones(__VA_ARGS__)))
#else
#define ISB_HAVE_CLONES 0
#define ISB_CLONES(...)
#endif

/* ---- probabilities as integer thresholds -------------------------------------------------- */
#define ISB_TWO32 4294967296.0

/* floor(p * 2^64), saturated: P(next64() < thr) = p up to 2^-53 relative. */
static inline uint64_t isb_thr64(double p) {
    if (!(p > 0.0)) return 0;
    const double t = ldexp(p, 64);
    if (t >= 18446744073709551616.0) return UINT64_MAX;
    return (uint64_t)t;
}

/* floor(p * 2^32) in [0, 2^32]: P((uint64_t)u32 < thr) = p up to 2^-32, exact at p = 0, 1. */
static inline uint64_t isb_thr32(double p) {
    if (!(p > 0.0)) return 0;
    if (p >= 1.0) return (uint64_t)1 << 32;
    const double x = floor(p * ISB_TWO32);
    if (x >= ISB_TWO32) return (uint64_t)1 << 32;
    return (uint64_t)x;
}

/* The "r <= t" form for vectorised loops: t = ceil(p 2^32) - 1 clamped to [0, 2^32 - 1]:
 * probability (t + 1) / 2^32, within 2^-32 of p, exactly 1 when p >= 1. */
static inline uint32_t isb_thr32_le(double p) {
    if (!(p > 0.0)) return 0;
    if (p >= 1.0) return 0xFFFFFFFFu;
    const double x = ceil(p * ISB_TWO32) - 1.0;
    if (x <= 0.0) return 0;
    if (x >= ISB_TWO32 - 1.0) return 0xFFFFFFFFu;
    return (uint32_t)x;
}

/* ---- the tie rule --------------------------------------------------------------------------
 * Metropolis with a deterministic proposal (Ising, Potts q = 2) accepts a tie (beta-weighted
 * energy change |dE| <= ISB_TIE) with probability 1/2 instead of 1: with a fixed visiting
 * order, accepting every tie lets configurations whose sites all sit at ties (+ + - - on a ring
 * of 4; every state at beta = 0) cycle deterministically, so the chain is not ergodic. A tie is
 * its own reverse move, so any constant acceptance keeps detailed balance. */
#define ISB_TIE 1e-9

static inline int isb_is_tie(double de) { return fabs(de) <= ISB_TIE; }

/* min(1, exp(-de)), 1/2 for a tie. */
static inline double isb_metro_p2(double de) {
    if (isb_is_tie(de)) return 0.5;
    return de <= 0.0 ? 1.0 : exp(-de);
}

/* ---- OpenMP team helpers ------------------------------------------------------------------
 * The team of the calling parallel region (one thread without OpenMP): its size, the rank of
 * the calling thread, a barrier every thread of the team must reach, and a shared failure word
 * (bits, or-ed atomically; the barriers order the accesses, the atomics avoid data races). */
static inline int isb_team_size(void) {
#ifdef _OPENMP
    return omp_get_num_threads();
#else
    return 1;
#endif
}

static inline int isb_team_rank(void) {
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

static inline void isb_team_barrier(void) {
#ifdef _OPENMP
#pragma omp barrier
#endif
}

static inline void isb_flag_or(int *f, int bits) {
#ifdef _OPENMP
#pragma omp atomic
#endif
    *f |= bits;
}

static inline int isb_flag_get(const int *f) {
    int v;
#ifdef _OPENMP
#pragma omp atomic read
#endif
    v = *f;
    return v;
}

/* ---- the record contract ---------------------------------------------------------------------
 * A call writes, for chain c and record r < n_records, H_J to ec[c * ec_sc + r * ec_sr], H_h to
 * ef[...], the order parameter to mg[...] (strides in elements: any strided views along the
 * chain and record axes) and, when so is not NULL, the n_sites bytes of the state to
 * so + c * so_sc + r * so_sr (strides in bytes; contiguous along the sites). */
typedef struct {
    double *ec, *ef, *mg;
    int64_t ec_sc, ec_sr, ef_sc, ef_sr, mg_sc, mg_sr;
    int8_t *so;
    int64_t so_sc, so_sr;
    int64_t n_records, n_sites;
} isb_rec;

/* The records of one chain from record r0 on: record r (relative) at ec[r * sj], ef[r * sh],
 * mg[r * sm], so + r * sos. n: records this view may write (bounds-checked in debug builds). */
typedef struct {
    double *ec, *ef, *mg;
    int64_t sj, sh, sm;
    int8_t *so;
    int64_t sos;
    int64_t n;
} isb_out;

static inline isb_out isb_rec_chain(const isb_rec *R, int64_t c, int64_t r0) {
    isb_out o;
    o.ec = R->ec + c * R->ec_sc + r0 * R->ec_sr;
    o.ef = R->ef + c * R->ef_sc + r0 * R->ef_sr;
    o.mg = R->mg + c * R->mg_sc + r0 * R->mg_sr;
    o.sj = R->ec_sr;
    o.sh = R->ef_sr;
    o.sm = R->mg_sr;
    o.so = R->so ? R->so + c * R->so_sc + r0 * R->so_sr : NULL;
    o.sos = R->so_sr;
    o.n = R->n_records - r0;
    return o;
}

/* Record r of a chain: the energies, the order parameter and (when asked) the n-site state. */
static inline int isb_out_store(const isb_out *o, int64_t r, double e_j, double e_h, double m,
                                const int8_t *x, int64_t n) {
    ISB_CHECK_INDEX(r, o->n, ISB_EBOUNDS);
    o->ec[r * o->sj] = e_j;
    o->ef[r * o->sh] = e_h;
    o->mg[r * o->sm] = m;
    if (o->so && x) memcpy(o->so + r * o->sos, x, (size_t)n);
    return ISB_OK;
}

/* Potts order parameter from the counts n_a of the q states over n sites. */
static inline double isb_potts_order(const int64_t *counts, int q, int64_t n) {
    int64_t nmax = 0;
    for (int a = 0; a < q; a++) nmax = counts[a] > nmax ? counts[a] : nmax;
    return ((double)q * (double)nmax / (double)n - 1.0) / (q - 1);
}

/* ---- one call of a sampler -----------------------------------------------------------------
 * What every sampler entry point takes besides its model (lat_run, isb_graph_run,
 * isb_cluster_run, the dense kernel): n_chains chains of n_sites sites, chain c's state at
 * states + c * n_sites (updated in place), its generator at rng + c * rng_stride, its counts
 * at stats + c * stats_stride (accumulated); n_records records of thin sweeps each into rec;
 * the sweeps before record r at (bjp[r], bhp[r]) where those are not NULL, else at (beta_J,
 * beta_h); n_threads OpenMP threads over the chains. */
typedef struct {
    int64_t n_chains, n_sites;
    int8_t *states;
    uint64_t *rng;
    int64_t rng_stride;
    double *stats;
    int64_t stats_stride;
    double beta_J, beta_h;
    const double *bjp, *bhp;
    int64_t n_records, thin;
    isb_rec rec;
    int n_threads;
} isb_run;

/* ---- beta paths ---------------------------------------------------------------------------------
 * The betas of record i0 and the end i1 of the segment of records [i0, i1) that share them (a
 * call runs its records in such segments; bjp, bhp may be NULL: the scalar betas). */
static inline int64_t isb_segment(const double *bjp, const double *bhp, double beta_J,
                                  double beta_h, int64_t i0, int64_t n_records, double *bj,
                                  double *bh) {
    *bj = bjp ? bjp[i0] : beta_J;
    *bh = bhp ? bhp[i0] : beta_h;
    int64_t i1 = i0 + 1;
    while (i1 < n_records && (!bjp || bjp[i1] == *bj) && (!bhp || bhp[i1] == *bh)) i1++;
    return i1;
}

#endif
