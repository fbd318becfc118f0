/* Single-site Metropolis and heat-bath kernels for Ising and Potts models on hypercubic
 * lattices (d = 1, 2, 3), per-axis couplings, uniform field. Included by _lattice.pyx.
 *
 * Three engines. lat_run first asks rep_applies (replica_impl.h): many chains of a small lattice
 * (at most REP_MAX_SITES sites, or odd periodic sides) with a tuple table run in the replica
 * engine, vectorised across chains. Otherwise one of two engines, chosen by lat_plan_init:
 *
 * - "split" (fast): valid when the lattice is 2-colourable along the layout below: the last
 *   axis has an even side (periodic or open) and every other periodic axis has an even side
 *   (open leading axes may have any side). The state is copied into a sublattice layout at
 *   the start of a call and back at the end: the sites of colour c (coordinate sum parity) of
 *   one "row" (fixed leading coordinates) are stored contiguously, with one ghost cell at
 *   each end holding the wrapped neighbour (periodic) or a missing-neighbour value (open).
 *   In row r with leading parity P, colour c holds the sites j = 2k + ((P + c) & 1) of the
 *   last axis. Then the neighbours of site k of colour c are: k in the rows r +- 1 of the other
 *   colour (leading axes) and k and k - 1 (offset 0) or k + 1 (offset 1) in row r of the
 *   other colour. A sweep updates all sites of colour 0, then all sites of colour 1.
 * - "general": any valid lattice (odd periodic sides included); a sequential sweep over
 *   the sites of even coordinate sum, then those of odd sum (C order within each class).
 *   Every single-site update leaves the target distribution invariant, so any fixed order
 *   is correct; for odd periodic sides this is simply not a parallel checkerboard.
 *
 * Ising: one 32-bit random number r per site against a threshold t (isb_thr32_le): "accept"
 * (Metropolis) or "new spin +1" (heat-bath) iff r <= t. The AVX2 rows of 1D and 2D lattices
 * look up the top 16 bits of t with pshufb instead of gathers (exact, see
 * lat_ising_row_shuf_avx2); 3D rows gather.
 * Potts with tables (the common case: table size bounded by LAT_TUPLE_MAX): one 32-bit r per
 * site against the cumulative thresholds of the site's transition law, indexed by the tuple
 * of neighbour values (and, for Metropolis, the old value): heat-bath draws from the
 * conditional law; Metropolis draws from its transition law P(a -> b) = min(1, w_b / w_a) /
 * (q - 1) for b != a (uniform proposal among the q - 1 other states, then accept/reject),
 * P(a -> a) = the rest: the same Markov chain as "propose, then accept", with one draw.
 * Probabilities are exact to within 2^-32 (a probability 1 is exact).
 * Potts without tables (large q): doubles; Metropolis then draws its proposal with Lemire's
 * method and compares a 32-bit r with 64-bit thresholds T = floor(p * 2^32) (T = 2^32 when
 * p >= 1) or with p itself: "accept iff r < T".
 * Tables are built per call from beta_J, beta_h, and rebuilt between the records of a call
 * where a beta path changes them (lat_plan_tables); the hot loops contain no exp().
 * A call runs as lat_chain_begin (per-chain scratch), lat_chain_run for each segment of
 * records with equal betas, lat_chain_end (state back, counts). _lattice.pyx opens one
 * parallel region per call: each thread takes a contiguous block of chains with its own plan
 * (tables) and walks all the segments itself, rebuilding its tables between them; the team
 * meets at two barriers (isb_team_barrier): after allocation and before the states are
 * written back, so that a failure anywhere leaves every state untouched.
 *
 * Random numbers: the split engine and every table path draw a fixed number of whole
 * isb_fill8 blocks per row (unused words of a row's last block are dropped); the scalar paths
 * (general engine, Potts Metropolis without tables) draw from a buffered stream that is
 * restarted at every sweep, dropping the leftovers of the sweep. So what a sweep consumes
 * depends only on the lattice and the chain, and splitting a run into calls changes nothing.
 */
#ifndef ISINGBIO_LATTICE_IMPL_H
#define ISINGBIO_LATTICE_IMPL_H

#include "isb_core.h"
#include "rng.h"


#define LAT_ISING_METRO 0
#define LAT_ISING_HB 1
#define LAT_POTTS_METRO 2
#define LAT_POTTS_HB 3

#define LAT_TUPLE_MAX (1 << 15)  /* Potts table over neighbour tuples (x old value), entries */
#define LAT_METRO_MAX (1 << 16)  /* Potts Metropolis threshold table without tuples, entries */

#if defined(__GNUC__)
typedef uint32_t lat_u32a __attribute__((__may_alias__));
#else
typedef uint32_t lat_u32a;
#endif

#define LAT_CLONES ISB_CLONES("avx2", "default")  /* hot functions: AVX2 clone */

static int lat_cpu_avx2(void);

typedef struct {
    int kind, d, q, split, avx2;
    int tables;              /* 2: every table; 1: no tuple tables; 0: none (testing) */
    int64_t shape[3];
    int periodic[3];
    double J[3];
    int64_t n_sites;
    double h_ising;
    double h_potts[ISB_MAX_Q];
    int8_t ghost;            /* value of a missing neighbour: 0 (Ising) or q (Potts) */
    /* split layout */
    int64_t W, R, S;         /* row width (sites of one colour), rows, row stride */
    int64_t *nbrow;          /* R x 2(d-1) neighbour rows along the leading axes (R: ghost row) */
    uint8_t *rowpar;         /* R: parity of the leading coordinates of each row */
    /* canonical 3D geometry (leading axes of side 1 added) for the general engine */
    int64_t cs[3];
    int cper[3];
    /* tables */
    int64_t pow5[3], pow3[3], powQ[6];
    int64_t ntup;            /* Potts: (q + 1)^(2d) neighbour tuples */
    uint32_t *T32;           /* Ising thresholds: 250 (Metropolis: + 125 for s = +1) or 125;
                              * Potts tuple tables: (q - 1) cumulative thresholds per tuple
                              * (heat-bath) or per (old value, tuple) (Metropolis) */
    uint32_t Tc[64];         /* Ising, d <= 2: T32 compacted, index c = local + 5^d [s = +1] */
    uint8_t shuf[2][4][16];  /* bytes 3 and 2 of Tc as pshufb tables of 16 entries, table k
                              * xor-ed with table k - 1 (lat_ising_row_shuf_avx2) */
    uint64_t *T;             /* Potts Metropolis without tuple tables: thresholds [dJ, a, b] */
    double *wJ, *wH;         /* Potts Metropolis without T: accept iff u < wJ[dJ] * wH[a, a'] */
    double *F, *logF, *GH, *logGH;  /* Potts heat-bath without T */
} lat_plan;

/* Buffered stream of 32-bit uniforms from isb_next8 (16 per refill). */
typedef struct {
    uint64_t *w;
    union { uint64_t u64[8]; uint32_t u32[16]; } buf;
    int pos;
} lat_rs;

static inline void lat_rs_init(lat_rs *rs, uint64_t *w) { rs->w = w; rs->pos = 16; }

static inline uint32_t lat_rs_next(lat_rs *rs) {
    if (rs->pos >= 16) {
        isb_next8(rs->w, rs->buf.u64);
        rs->pos = 0;
    }
    return rs->buf.u32[rs->pos++];
}

/* Uniform integer in [0, n), n >= 1, exact (Lemire's method on 32-bit draws). */
static inline uint32_t lat_rs_bounded(lat_rs *rs, uint32_t n) {
    uint64_t m = (uint64_t)lat_rs_next(rs) * n;
    uint32_t l = (uint32_t)m;
    if (l < n) {
        uint32_t t = (uint32_t)(-n) % n;
        while (l < t) {
            m = (uint64_t)lat_rs_next(rs) * n;
            l = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}

static void lat_tables_free(lat_plan *p) {
    free(p->T); free(p->T32);
    free(p->wJ); free(p->wH); free(p->F); free(p->logF); free(p->GH); free(p->logGH);
    p->T = NULL; p->T32 = NULL;
    p->wJ = p->wH = p->F = p->logF = p->GH = p->logGH = NULL;
}

static void lat_plan_free(lat_plan *p) {
    free(p->nbrow); free(p->rowpar);
    p->nbrow = NULL; p->rowpar = NULL;
    lat_tables_free(p);
}

static int lat_plan_tables(lat_plan *p, double beta_J, double beta_h);

/* 1 if the split (sublattice) engine applies to this lattice: last side even, and even sides
 * along the periodic leading axes (see the top of this file). */
static int lat_split_ok(int d, const int64_t *shape, const uint8_t *periodic) {
    if (shape[d - 1] % 2) return 0;
    for (int a = 0; a < d - 1; a++)
        if (periodic[a] && shape[a] % 2) return 0;
    return 1;
}

/* Returns 0, or -1 when out of memory (the plan is then freed). */
static int lat_plan_init(lat_plan *p, int kind, int d, const int64_t *shape,
                         const uint8_t *periodic, const double *J, int q, double h_ising,
                         const double *h_potts, double beta_J, double beta_h, int simd,
                         int tables) {
    memset(p, 0, sizeof *p);
    p->kind = kind;
    p->d = d;
    p->q = (kind == LAT_ISING_METRO || kind == LAT_ISING_HB) ? 2 : q;
    q = p->q;
    p->ghost = (kind == LAT_ISING_METRO || kind == LAT_ISING_HB) ? 0 : (int8_t)q;
    p->h_ising = h_ising;
    int64_t n = 1;
    for (int a = 0; a < d; a++) {
        p->shape[a] = shape[a];
        p->periodic[a] = periodic[a] != 0;
        p->J[a] = J[a];
        n *= shape[a];
    }
    p->n_sites = n;
    if (kind == LAT_POTTS_METRO || kind == LAT_POTTS_HB)
        for (int a = 0; a < q; a++) p->h_potts[a] = h_potts[a];
    const int64_t Q = q + 1;
    p->pow5[0] = 1; p->pow3[0] = 1; p->powQ[0] = 1;
    for (int a = 1; a < 3; a++) { p->pow5[a] = p->pow5[a - 1] * 5; p->pow3[a] = p->pow3[a - 1] * 3; }
    for (int a = 1; a < 6; a++) p->powQ[a] = p->powQ[a - 1] * Q;
    p->ntup = p->powQ[2 * d - 1] * Q;
    for (int A = 0; A < 3; A++) {
        int a = A - (3 - d);
        p->cs[A] = a < 0 ? 1 : shape[a];
        p->cper[A] = a < 0 ? 0 : (periodic[a] != 0);
    }

    /* engine */
    const int split = lat_split_ok(d, shape, periodic);
    p->split = split;
    p->avx2 = lat_cpu_avx2() && simd;
    p->tables = tables;
    if (split) {
        const int nv = d - 1;
        p->W = shape[d - 1] / 2;
        p->R = n / shape[d - 1];
        p->S = p->W + 2;
        p->rowpar = (uint8_t *)malloc((size_t)p->R);
        p->nbrow = (int64_t *)malloc(sizeof(int64_t) * (size_t)(p->R * 2 * (nv > 0 ? nv : 1)));
        if (!p->rowpar || !p->nbrow) goto fail;
        for (int64_t r = 0; r < p->R; r++) {
            int64_t rem = r, stride = p->R, par = 0;
            for (int a = 0; a < nv; a++) {
                stride /= shape[a];
                int64_t i = rem / stride;
                rem -= i * stride;
                par += i;
                int64_t lo = i > 0 ? r - stride : (p->periodic[a] ? r + (shape[a] - 1) * stride : p->R);
                int64_t hi = i + 1 < shape[a] ? r + stride : (p->periodic[a] ? r - i * stride : p->R);
                p->nbrow[r * 2 * nv + 2 * a] = lo;
                p->nbrow[r * 2 * nv + 2 * a + 1] = hi;
            }
            p->rowpar[r] = (uint8_t)(par & 1);
        }
    }

    if (lat_plan_tables(p, beta_J, beta_h) != 0) goto fail;
    return 0;
fail:
    lat_plan_free(p);
    return -1;
}

/* (Re)builds the tables of the plan for (beta_J, beta_h); the geometry is kept. Returns 0,
 * or -1 when out of memory (the tables are then freed, the plan can still be freed). */
static int lat_plan_tables(lat_plan *p, double beta_J, double beta_h) {
    const int kind = p->kind, d = p->d, q = p->q;
    const int64_t Q = q + 1;
    const double *J = p->J, *h_potts = p->h_potts, h_ising = p->h_ising;
    lat_tables_free(p);
    /* tables. p->tables < 2 (testing) forces the Potts paths without tuple tables: 1 leaves
     * Potts Metropolis its [dJ, a, b] threshold table, 0 none at all. */
    const int no_tuples = p->tables < 2, no_tables = p->tables < 1;
    const int64_t n5 = p->pow5[d - 1] * 5, n3 = p->pow3[d - 1] * 3;
    if (kind == LAT_ISING_METRO || kind == LAT_ISING_HB) {
        p->T32 = (uint32_t *)calloc(256, sizeof(uint32_t));
        if (!p->T32) goto fail;
        for (int64_t idx = 0; idx < n5; idx++) {
            double loc = 0.0;
            for (int a = 0; a < d; a++) loc += J[a] * (double)((idx / p->pow5[a]) % 5 - 2);
            double x = beta_J * loc + beta_h * h_ising;
            if (kind == LAT_ISING_METRO) {
                p->T32[idx] = isb_thr32_le(isb_metro_p2(-2.0 * x));        /* s = -1 -> +1 */
                p->T32[idx + 125] = isb_thr32_le(isb_metro_p2(2.0 * x));   /* s = +1 -> -1 */
            } else {
                p->T32[idx] = isb_thr32_le(1.0 / (1.0 + exp(-2.0 * x)));  /* P(s = +1) */
            }
        }
        if (d <= 2) {  /* compact forms for the AVX2 rows without gathers */
            memset(p->Tc, 0, sizeof p->Tc);
            for (int64_t c = 0; c < n5 * (kind == LAT_ISING_METRO ? 2 : 1); c++)
                p->Tc[c] = p->T32[c % n5 + 125 * (c / n5)];
            for (int k = 0; k < 4; k++)
                for (int j = 0; j < 16; j++)
                    for (int b = 0; b < 2; b++) {
                        const int sh = 24 - 8 * b;
                        uint8_t v = (uint8_t)(p->Tc[16 * k + j] >> sh);
                        if (k > 0) v ^= (uint8_t)(p->Tc[16 * (k - 1) + j] >> sh);
                        p->shuf[b][k][j] = v;
                    }
        }
    } else if (kind == LAT_POTTS_METRO && p->ntup * q * (q - 1) <= LAT_TUPLE_MAX && !no_tuples) {
        /* cumulative thresholds of the Metropolis transition law, per (old value, tuple) */
        const int64_t ntup = p->ntup;
        p->T32 = (uint32_t *)malloc(sizeof(uint32_t) * (size_t)(ntup * q * (q - 1)));
        if (!p->T32) goto fail;
        double E[128];
        for (int64_t t = 0; t < ntup; t++) {
            for (int a = 0; a < q; a++) E[a] = beta_h * h_potts[a];
            for (int i = 0; i < 2 * d; i++) {
                int64_t x = (t / p->powQ[i]) % Q;
                if (x < q) E[x] += beta_J * J[i / 2];
            }
            for (int a = 0; a < q; a++) {
                double cum = 0.0;
                for (int b = 0; b < q - 1; b++) {
                    if (b == a) {  /* stay: 1 - sum of the moves */
                        double out = 0.0;
                        for (int c = 0; c < q; c++)
                            if (c != a) out += q == 2 ? isb_metro_p2(E[a] - E[c])
                                                      : (E[c] >= E[a] ? 1.0 : exp(E[c] - E[a]));
                        cum += 1.0 - out / (double)(q - 1);
                    } else {
                        cum += (q == 2 ? isb_metro_p2(E[a] - E[b])
                                       : (E[b] >= E[a] ? 1.0 : exp(E[b] - E[a]))) / (double)(q - 1);
                    }
                    p->T32[(a * ntup + t) * (q - 1) + b] = isb_thr32_le(cum);  /* new <= b iff r <= T32 */
                }
            }
        }
    } else if (kind == LAT_POTTS_METRO) {
        if (n5 * q * q <= LAT_METRO_MAX && !no_tables) {
            p->T = (uint64_t *)malloc(sizeof(uint64_t) * (size_t)(n5 * q * q));
            if (!p->T) goto fail;
        } else {
            p->wJ = (double *)malloc(sizeof(double) * (size_t)n5);
            p->wH = (double *)malloc(sizeof(double) * (size_t)(q * q));
            if (!p->wJ || !p->wH) goto fail;
            for (int a = 0; a < q; a++)
                for (int b = 0; b < q; b++)
                    p->wH[a * q + b] = exp(beta_h * (h_potts[b] - h_potts[a]));
        }
        for (int64_t dj = 0; dj < n5; dj++) {
            double loc = 0.0;  /* sum_k J_k (m_k(new) - m_k(old)) */
            for (int a = 0; a < d; a++) loc += J[a] * (double)((dj / p->pow5[a]) % 5 - 2);
            if (p->T) {
                for (int a = 0; a < q; a++)
                    for (int b = 0; b < q; b++)
                        p->T[(dj * q + a) * q + b] = q == 2
                            ? isb_thr32(isb_metro_p2(-(beta_J * loc + beta_h * (h_potts[b] - h_potts[a]))))
                            : isb_thr32(exp(beta_J * loc + beta_h * (h_potts[b] - h_potts[a])));
            } else {
                p->wJ[dj] = exp(beta_J * loc);
            }
        }
    } else { /* LAT_POTTS_HB */
        const int64_t ntup = p->ntup;
        if (ntup * (q - 1) <= LAT_TUPLE_MAX && !no_tuples) {
            p->T32 = (uint32_t *)malloc(sizeof(uint32_t) * (size_t)(ntup * (q - 1)));
            if (!p->T32) goto fail;
            double E[128], w[128];
            for (int64_t t = 0; t < ntup; t++) {
                for (int a = 0; a < q; a++) E[a] = beta_h * h_potts[a];
                for (int i = 0; i < 2 * d; i++) {
                    int64_t x = (t / p->powQ[i]) % Q;
                    if (x < q) E[x] += beta_J * J[i / 2];
                }
                double mx = E[0], tot = 0.0, cum = 0.0;
                for (int a = 1; a < q; a++) mx = E[a] > mx ? E[a] : mx;
                for (int a = 0; a < q; a++) { w[a] = exp(E[a] - mx); tot += w[a]; }
                for (int a = 0; a < q - 1; a++) {
                    cum += w[a];
                    p->T32[t * (q - 1) + a] = isb_thr32_le(cum / tot);  /* new <= a iff r <= T32 */
                }
            }
        } else {
            p->F = (double *)malloc(sizeof(double) * (size_t)n3);
            p->logF = (double *)malloc(sizeof(double) * (size_t)n3);
            p->GH = (double *)malloc(sizeof(double) * (size_t)q);
            p->logGH = (double *)malloc(sizeof(double) * (size_t)q);
            if (!p->F || !p->logF || !p->GH || !p->logGH) goto fail;
            double mx = -INFINITY;
            for (int64_t m = 0; m < n3; m++) {
                double loc = 0.0;
                for (int a = 0; a < d; a++) loc += J[a] * (double)((m / p->pow3[a]) % 3);
                p->logF[m] = beta_J * loc;
                mx = p->logF[m] > mx ? p->logF[m] : mx;
            }
            for (int64_t m = 0; m < n3; m++) p->F[m] = exp(p->logF[m] - mx);
            mx = -INFINITY;
            for (int a = 0; a < q; a++) {
                p->logGH[a] = beta_h * h_potts[a];
                mx = p->logGH[a] > mx ? p->logGH[a] : mx;
            }
            for (int a = 0; a < q; a++) p->GH[a] = exp(p->logGH[a] - mx);
        }
    }
    return 0;
fail:
    lat_tables_free(p);
    return -1;
}

/* ---------------------------------------------------------------------------------------
 * Single-site updates from the neighbour values nbv[2a], nbv[2a + 1] along each axis a
 * (missing neighbours hold p->ghost).
 */
static inline int8_t lat_ising_site(const lat_plan *p, int8_t s, const int8_t *nbv, uint32_t r) {
    int64_t idx = 0;
    for (int a = 0; a < p->d; a++) idx += (nbv[2 * a] + nbv[2 * a + 1] + 2) * p->pow5[a];
    if (p->kind == LAT_ISING_METRO)
        return r <= p->T32[idx + 125 * (s > 0)] ? (int8_t)-s : s;
    return r <= p->T32[idx] ? 1 : -1;
}

/* Potts with a tuple table (p->T32): the new value from one 32-bit r; off = 0 (heat-bath)
 * or old value * ntup (Metropolis). */
static inline int8_t lat_potts_tab_site(const lat_plan *p, const int8_t *nbv, int64_t off,
                                        uint32_t r) {
    const int q = p->q;
    int64_t idx = off;
    for (int i = 0; i < 2 * p->d; i++) idx += nbv[i] * p->powQ[i];
    const uint32_t *T = p->T32 + idx * (q - 1);
    int a = 0;
    for (int j = 0; j < q - 1; j++) a += r > T[j];
    return (int8_t)a;
}

/* Potts Metropolis without a tuple table: proposal by Lemire's method, then accept/reject. */
static inline int8_t lat_potts_metro_site(const lat_plan *p, int8_t a, const int8_t *nbv,
                                          lat_rs *rs) {
    const int q = p->q;
    int b;
    if (q == 2) {
        b = 1 - a;
    } else {
        b = a + 1 + (int)lat_rs_bounded(rs, (uint32_t)(q - 1));
        if (b >= q) b -= q;
    }
    int64_t dj = 0;
    for (int k = 0; k < p->d; k++) {
        int x0 = nbv[2 * k], x1 = nbv[2 * k + 1];
        dj += ((x0 == b) + (x1 == b) - (x0 == a) - (x1 == a) + 2) * p->pow5[k];
    }
    uint32_t r = lat_rs_next(rs);
    int acc;
    if (p->T)
        acc = (uint64_t)r < p->T[(dj * q + a) * q + b];
    else {
        double w = p->wJ[dj] * p->wH[a * q + b];
        if (q == 2 && fabs(w - 1.0) <= ISB_TIE) w = 0.5;  /* a tie (isb_metro_p2) */
        acc = (double)r * (1.0 / ISB_TWO32) < w;
    }
    return acc ? (int8_t)b : a;
}

static inline int8_t lat_potts_hb_site(const lat_plan *p, const int8_t *nbv, uint32_t r) {
    const int q = p->q, d = p->d;
    if (p->T32) return lat_potts_tab_site(p, nbv, 0, r);
    int64_t code[128];
    double w[128], tot = 0.0;
    for (int a = 0; a < q; a++) code[a] = 0;
    for (int i = 0; i < 2 * d; i++)
        if (nbv[i] < q) code[(int)nbv[i]] += p->pow3[i / 2];
    for (int a = 0; a < q; a++) { w[a] = p->GH[a] * p->F[code[a]]; tot += w[a]; }
    if (!(tot > 0.0) || !isfinite(tot)) { /* extreme parameters: exact, with exp() */
        double mx = -INFINITY;
        for (int a = 0; a < q; a++) {
            w[a] = p->logGH[a] + p->logF[code[a]];
            mx = w[a] > mx ? w[a] : mx;
        }
        tot = 0.0;
        for (int a = 0; a < q; a++) { w[a] = exp(w[a] - mx); tot += w[a]; }
    }
    double u = (double)r * (1.0 / ISB_TWO32) * tot, cum = 0.0;
    int last = 0;
    for (int a = 0; a < q; a++) {
        if (w[a] > 0.0) last = a;
        cum += w[a];
        if (u < cum) return (int8_t)a;
    }
    return (int8_t)last;
}

/* ---------------------------------------------------------------------------------------
 * Observables: sums over the bonds of each axis and per-state counts, then the records.
 */
static void lat_finish_record(const lat_plan *p, const int64_t *bond, const int64_t *count,
                              double *ec, double *ef, double *mag) {
    double e = 0.0;
    for (int a = 0; a < p->d; a++) e -= p->J[a] * (double)bond[a];
    *ec = e;
    const double n = (double)p->n_sites;
    if (p->kind == LAT_ISING_METRO || p->kind == LAT_ISING_HB) {
        double m = (double)(count[1] - count[0]);
        *ef = -p->h_ising * m;
        *mag = m / n;
    } else {
        double f = 0.0;
        int64_t mx = 0;
        for (int a = 0; a < p->q; a++) {
            f -= p->h_potts[a] * (double)count[a];
            mx = count[a] > mx ? count[a] : mx;
        }
        *ef = f;
        *mag = ((double)p->q * (double)mx / n - 1.0) / (double)(p->q - 1);
    }
}

/* ---------------------------------------------------------------------------------------
 * General engine: the state with one sentinel site (index N, value ghost) appended.
 */
ISB_INLINE int64_t lat_general_sweep_impl(const lat_plan *p, int8_t *restrict x, lat_rs *rs,
                                          const int kind) {
    const int64_t n0 = p->cs[0], n1 = p->cs[1], n2 = p->cs[2], N = p->n_sites;
    const int off = 3 - p->d;
    int8_t nbv[6];
    int64_t acc = 0;
    for (int par = 0; par < 2; par++) {
        for (int64_t i0 = 0; i0 < n0; i0++) {
            const int64_t m0 = i0 > 0 ? i0 - 1 : (p->cper[0] ? n0 - 1 : -1);
            const int64_t p0 = i0 + 1 < n0 ? i0 + 1 : (p->cper[0] ? 0 : -1);
            for (int64_t i1 = 0; i1 < n1; i1++) {
                const int64_t m1 = i1 > 0 ? i1 - 1 : (p->cper[1] ? n1 - 1 : -1);
                const int64_t p1 = i1 + 1 < n1 ? i1 + 1 : (p->cper[1] ? 0 : -1);
                const int64_t base = (i0 * n1 + i1) * n2;
                for (int64_t i2 = (par + i0 + i1) & 1; i2 < n2; i2 += 2) {
                    const int64_t site = base + i2;
                    int8_t *v = nbv;
                    if (off == 0) {
                        *v++ = x[m0 >= 0 ? (m0 * n1 + i1) * n2 + i2 : N];
                        *v++ = x[p0 >= 0 ? (p0 * n1 + i1) * n2 + i2 : N];
                    }
                    if (off <= 1) {
                        *v++ = x[m1 >= 0 ? (i0 * n1 + m1) * n2 + i2 : N];
                        *v++ = x[p1 >= 0 ? (i0 * n1 + p1) * n2 + i2 : N];
                    }
                    v[0] = x[i2 > 0 ? site - 1 : (p->cper[2] ? base + n2 - 1 : N)];
                    v[1] = x[i2 + 1 < n2 ? site + 1 : (p->cper[2] ? base : N)];
                    const int8_t old = x[site];
                    int8_t nw;
                    if (kind == LAT_ISING_METRO || kind == LAT_ISING_HB)
                        nw = lat_ising_site(p, old, nbv, lat_rs_next(rs));
                    else if (kind == LAT_POTTS_METRO && p->T32)
                        nw = lat_potts_tab_site(p, nbv, old * p->ntup, lat_rs_next(rs));
                    else if (kind == LAT_POTTS_METRO)
                        nw = lat_potts_metro_site(p, old, nbv, rs);
                    else
                        nw = lat_potts_hb_site(p, nbv, lat_rs_next(rs));
                    acc += nw != old;
                    x[site] = nw;
                }
            }
        }
    }
    return acc;
}

LAT_CLONES static int64_t lat_general_sweeps(const lat_plan *p, int8_t *x, lat_rs *rs,
                                             int64_t n_sweeps) {
    int64_t acc = 0;
    for (int64_t t = 0; t < n_sweeps; t++) {
        lat_rs_init(rs, rs->w);  /* drop the last sweep's leftovers: chunking changes nothing */
        switch (p->kind) {
        case LAT_ISING_METRO: acc += lat_general_sweep_impl(p, x, rs, LAT_ISING_METRO); break;
        case LAT_ISING_HB: acc += lat_general_sweep_impl(p, x, rs, LAT_ISING_HB); break;
        case LAT_POTTS_METRO: acc += lat_general_sweep_impl(p, x, rs, LAT_POTTS_METRO); break;
        default: acc += lat_general_sweep_impl(p, x, rs, LAT_POTTS_HB); break;
        }
    }
    return acc;
}

static void lat_general_record(const lat_plan *p, const int8_t *x, double *ec, double *ef,
                               double *mag) {
    const int64_t n0 = p->cs[0], n1 = p->cs[1], n2 = p->cs[2], N = p->n_sites;
    const int off = 3 - p->d;
    const int ising = p->kind == LAT_ISING_METRO || p->kind == LAT_ISING_HB;
    int64_t bond[3] = {0, 0, 0}, count[128];
    memset(count, 0, sizeof count);
    for (int64_t i0 = 0; i0 < n0; i0++) {
        const int64_t p0 = i0 + 1 < n0 ? i0 + 1 : (p->cper[0] ? 0 : -1);
        for (int64_t i1 = 0; i1 < n1; i1++) {
            const int64_t p1 = i1 + 1 < n1 ? i1 + 1 : (p->cper[1] ? 0 : -1);
            const int64_t base = (i0 * n1 + i1) * n2;
            for (int64_t i2 = 0; i2 < n2; i2++) {
                const int64_t site = base + i2;
                const int s = x[site];
                int nb[3];
                nb[2] = x[i2 + 1 < n2 ? site + 1 : (p->cper[2] ? base : N)];
                nb[1] = x[p1 >= 0 ? (i0 * n1 + p1) * n2 + i2 : N];
                nb[0] = x[p0 >= 0 ? (p0 * n1 + i1) * n2 + i2 : N];
                for (int A = off; A < 3; A++)
                    bond[A - off] += ising ? s * nb[A] : (s == nb[A]);
                if (ising) count[s > 0]++;
                else count[s]++;
            }
        }
    }
    lat_finish_record(p, bond, count, ec, ef, mag);
}

/* ---------------------------------------------------------------------------------------
 * Split engine. buf[c] holds (R + 1) rows of stride S for colour c; row R is the ghost row.
 * Row data start at offset 1; cells 0 and W + 1 are ghosts.
 */
static void lat_split_refresh_ghosts(const lat_plan *p, int8_t *row) {
    /* row points at the first data cell */
    if (p->periodic[p->d - 1]) {
        row[-1] = row[p->W - 1];
        row[p->W] = row[0];
    } else {
        row[-1] = p->ghost;
        row[p->W] = p->ghost;
    }
}

static void lat_split_in(const lat_plan *p, const int8_t *state, int8_t *b0, int8_t *b1) {
    const int64_t W = p->W, S = p->S, L = 2 * W;
    memset(b0 + p->R * S, p->ghost, (size_t)S);
    memset(b1 + p->R * S, p->ghost, (size_t)S);
    for (int64_t r = 0; r < p->R; r++) {
        const int8_t *src = state + r * L;
        for (int c = 0; c < 2; c++) {
            int8_t *dst = (c ? b1 : b0) + r * S + 1;
            const int o = (p->rowpar[r] + c) & 1;
            for (int64_t k = 0; k < W; k++) dst[k] = src[2 * k + o];
            lat_split_refresh_ghosts(p, dst);
        }
    }
}

static void lat_split_out(const lat_plan *p, int8_t *state, const int8_t *b0, const int8_t *b1) {
    const int64_t W = p->W, S = p->S, L = 2 * W;
    for (int64_t r = 0; r < p->R; r++) {
        int8_t *dst = state + r * L;
        for (int c = 0; c < 2; c++) {
            const int8_t *src = (c ? b1 : b0) + r * S + 1;
            const int o = (p->rowpar[r] + c) & 1;
            for (int64_t k = 0; k < W; k++) dst[2 * k + o] = src[k];
        }
    }
}

static void lat_split_record(const lat_plan *p, const int8_t *b0, const int8_t *b1,
                             double *ec, double *ef, double *mag) {
    const int64_t W = p->W, S = p->S;
    const int d = p->d, nv = d - 1;
    const int ising = p->kind == LAT_ISING_METRO || p->kind == LAT_ISING_HB;
    int64_t bond[3] = {0, 0, 0}, count[128];
    memset(count, 0, sizeof count);
    for (int64_t r = 0; r < p->R; r++) {
        const int8_t *s = b0 + r * S + 1, *mid = b1 + r * S + 1;
        const int8_t *side = mid + ((p->rowpar[r] & 1) ? 1 : -1);
        for (int a = 0; a < nv; a++) {
            const int8_t *u = b1 + p->nbrow[r * 2 * nv + 2 * a] * S + 1;
            const int8_t *v = b1 + p->nbrow[r * 2 * nv + 2 * a + 1] * S + 1;
            int64_t t = 0;
            if (ising) for (int64_t k = 0; k < W; k++) t += s[k] * (u[k] + v[k]);
            else for (int64_t k = 0; k < W; k++) t += (s[k] == u[k]) + (s[k] == v[k]);
            bond[a] += t;
        }
        int64_t t = 0;
        if (ising) for (int64_t k = 0; k < W; k++) t += s[k] * (mid[k] + side[k]);
        else for (int64_t k = 0; k < W; k++) t += (s[k] == mid[k]) + (s[k] == side[k]);
        bond[nv] += t;
        for (int c = 0; c < 2; c++) {
            const int8_t *z = (c ? b1 : b0) + r * S + 1;
            if (ising) {
                int64_t up = 0;
                for (int64_t k = 0; k < W; k++) up += z[k] > 0;
                count[1] += up;
                count[0] += W - up;
            } else {
                for (int64_t k = 0; k < W; k++) count[z[k]]++;
            }
        }
    }
    lat_finish_record(p, bond, count, ec, ef, mag);
}


/* ---------------------------------------------------------------------------------------
 * AVX2 versions of the hottest loops (x86-64, GCC/clang), chosen at run time. They give
 * exactly the same results as the portable loops: same random numbers in the same places,
 * same tables and comparisons.
 */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(ISINGBIO_NO_AVX2)
#define LAT_HAVE_AVX2 1
#include <immintrin.h>
#define LAT_AVX2 __attribute__((target("avx2,popcnt")))
#define LAT_AVX2_INLINE static inline __attribute__((target("avx2,popcnt"), always_inline))

static int lat_cpu_avx2(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt");
}

/* x * 5 on bytes (wrapping). */
LAT_AVX2_INLINE __m256i lat_mul5_epi8(__m256i x) {
    const __m256i x2 = _mm256_add_epi8(x, x);
    return _mm256_add_epi8(_mm256_add_epi8(x2, x2), x);
}

/* 32 lanes of (r <= T[idx]) as a byte mask (0 / -1), idx given as unsigned bytes. */
LAT_AVX2_INLINE __m256i lat_lookup_le_avx2(const uint32_t *T, __m256i idx8, const uint32_t *r) {
    const __m128i lo = _mm256_castsi256_si128(idx8), hi = _mm256_extracti128_si256(idx8, 1);
    __m256i m[4];
    const __m128i parts[4] = {lo, _mm_srli_si128(lo, 8), hi, _mm_srli_si128(hi, 8)};
    for (int j = 0; j < 4; j++) {
        const __m256i ix = _mm256_cvtepu8_epi32(parts[j]);
        const __m256i t = _mm256_i32gather_epi32((const int *)T, ix, 4);
        const __m256i rv = _mm256_loadu_si256((const __m256i *)(r + 8 * j));
        m[j] = _mm256_cmpeq_epi32(_mm256_max_epu32(rv, t), t);
    }
    const __m256i p = _mm256_packs_epi16(_mm256_packs_epi32(m[0], m[1]), _mm256_packs_epi32(m[2], m[3]));
    return _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

/* The AVX2 twin of the loop over k in lat_split_ising_colour: sites [0, W - W % 32). */
LAT_AVX2_INLINE int64_t lat_ising_row_avx2(int8_t *s, const int8_t *mid, const int8_t *side,
                                           const int8_t *u0, const int8_t *v0, const int8_t *u1,
                                           const int8_t *v1, const uint32_t *r32,
                                           const uint32_t *T, int64_t W, const int nv,
                                           const int metro, int base, int hm) {
    int64_t a = 0;
    const __m256i vbase = _mm256_set1_epi8((char)base), c125 = _mm256_set1_epi8(125);
    const __m256i zero = _mm256_setzero_si256(), one = _mm256_set1_epi8(1);
    for (int64_t k = 0; k + 32 <= W; k += 32) {
        const __m256i sv = _mm256_loadu_si256((const __m256i *)(s + k));
        __m256i nh = _mm256_add_epi8(_mm256_loadu_si256((const __m256i *)(mid + k)),
                                     _mm256_loadu_si256((const __m256i *)(side + k)));
        if (nv >= 1) nh = lat_mul5_epi8(nh);
        if (nv >= 2) nh = lat_mul5_epi8(nh);
        __m256i idx = _mm256_add_epi8(vbase, nh);
        if (nv >= 1)
            idx = _mm256_add_epi8(idx, _mm256_add_epi8(_mm256_loadu_si256((const __m256i *)(u0 + k)),
                                                       _mm256_loadu_si256((const __m256i *)(v0 + k))));
        if (nv >= 2)
            idx = _mm256_add_epi8(idx, lat_mul5_epi8(_mm256_add_epi8(
                      _mm256_loadu_si256((const __m256i *)(u1 + k)),
                      _mm256_loadu_si256((const __m256i *)(v1 + k)))));
        if (metro) {
            idx = _mm256_add_epi8(idx, _mm256_and_si256(_mm256_cmpgt_epi8(sv, zero), c125));
            const __m256i f = lat_lookup_le_avx2(T, idx, r32 + k);
            _mm256_storeu_si256((__m256i *)(s + k), _mm256_sub_epi8(_mm256_xor_si256(sv, f), f));
            a += __builtin_popcount((unsigned)_mm256_movemask_epi8(f));
        } else {
            const __m256i f = lat_lookup_le_avx2(T, idx, r32 + k);
            const __m256i ns = _mm256_or_si256(_mm256_andnot_si256(f, _mm256_set1_epi8(-1)), one);
            a += 32 - __builtin_popcount((unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(ns, sv)));
            _mm256_storeu_si256((__m256i *)(s + k), ns);
        }
    }
    return a;
}

/* The AVX2 loop over k for d <= 2 without gathers. The compact index c of a site (< 16 nch)
 * selects its threshold t = Tc[c]; the top 16 bits of t come from two pshufb lookups (bytes
 * 3 and 2, nch tables of 16 entries: table k looked up at c - 16 k, zero where negative,
 * tables stored xor-ed with their predecessor so the xor of the lookups is the entry). Then
 * r <= t is decided by the top 16 bits of r and t unless they are equal somewhere in the
 * block (probability 2^-16 per site): that block is decided exactly by gathers from Tc.
 * The 16-bit lanes after the packs hold the sites in the dword-group order
 * 0, 2, 4, 6, 1, 3, 5, 7 (groups of 4 sites), so c is put into that order first and the
 * result back into site order at the end. */
LAT_AVX2_INLINE int64_t lat_ising_row_shuf_avx2(int8_t *s, const int8_t *mid, const int8_t *side,
                                                const int8_t *u0, const int8_t *v0,
                                                const uint32_t *r32, const lat_plan *p,
                                                int64_t W, const int nv, const int metro) {
    const int nloc = nv ? 25 : 5, nch = nv ? (metro ? 4 : 2) : 1;
    __m256i th[4], tl[4];
    for (int k = 0; k < nch; k++) {
        th[k] = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)p->shuf[0][k]));
        tl[k] = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)p->shuf[1][k]));
    }
    const __m256i vbase = _mm256_set1_epi8((char)(nv ? 12 : 2)), vloc = _mm256_set1_epi8((char)nloc);
    const __m256i zero = _mm256_setzero_si256(), one = _mm256_set1_epi8(1);
    const __m256i to_lanes = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
    const __m256i to_sites = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    int64_t a = 0;
    for (int64_t k = 0; k + 32 <= W; k += 32) {
        const __m256i sv = _mm256_loadu_si256((const __m256i *)(s + k));
        const __m256i nh = _mm256_add_epi8(_mm256_loadu_si256((const __m256i *)(mid + k)),
                                           _mm256_loadu_si256((const __m256i *)(side + k)));
        __m256i c = _mm256_add_epi8(vbase, nv ? lat_mul5_epi8(nh) : nh);
        if (nv)
            c = _mm256_add_epi8(c, _mm256_add_epi8(_mm256_loadu_si256((const __m256i *)(u0 + k)),
                                                   _mm256_loadu_si256((const __m256i *)(v0 + k))));
        if (metro) c = _mm256_add_epi8(c, _mm256_and_si256(_mm256_cmpgt_epi8(sv, zero), vloc));
        const __m256i cp = _mm256_permutevar8x32_epi32(c, to_lanes);
        __m256i hb = _mm256_shuffle_epi8(th[0], cp), lb = _mm256_shuffle_epi8(tl[0], cp);
        for (int j = 1; j < nch; j++) {
            const __m256i cj = _mm256_sub_epi8(cp, _mm256_set1_epi8((char)(16 * j)));
            hb = _mm256_xor_si256(hb, _mm256_shuffle_epi8(th[j], cj));
            lb = _mm256_xor_si256(lb, _mm256_shuffle_epi8(tl[j], cj));
        }
        const __m256i t0 = _mm256_unpacklo_epi8(lb, hb), t1 = _mm256_unpackhi_epi8(lb, hb);
        const __m256i *rv = (const __m256i *)(r32 + k);
        const __m256i r0 = _mm256_packus_epi32(_mm256_srli_epi32(_mm256_loadu_si256(rv), 16),
                                               _mm256_srli_epi32(_mm256_loadu_si256(rv + 1), 16));
        const __m256i r1 = _mm256_packus_epi32(_mm256_srli_epi32(_mm256_loadu_si256(rv + 2), 16),
                                               _mm256_srli_epi32(_mm256_loadu_si256(rv + 3), 16));
        const __m256i eq = _mm256_or_si256(_mm256_cmpeq_epi16(r0, t0), _mm256_cmpeq_epi16(r1, t1));
        __m256i f;
        if (__builtin_expect(_mm256_testz_si256(eq, eq), 1)) {
            const __m256i le0 = _mm256_cmpeq_epi16(_mm256_max_epu16(r0, t0), t0);
            const __m256i le1 = _mm256_cmpeq_epi16(_mm256_max_epu16(r1, t1), t1);
            f = _mm256_permutevar8x32_epi32(_mm256_packs_epi16(le0, le1), to_sites);
        } else {
            f = lat_lookup_le_avx2(p->Tc, c, r32 + k);
        }
        if (metro) {
            _mm256_storeu_si256((__m256i *)(s + k), _mm256_sub_epi8(_mm256_xor_si256(sv, f), f));
            a += __builtin_popcount((unsigned)_mm256_movemask_epi8(f));
        } else {
            const __m256i ns = _mm256_or_si256(_mm256_andnot_si256(f, _mm256_set1_epi8(-1)), one);
            a += 32 - __builtin_popcount((unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(ns, sv)));
            _mm256_storeu_si256((__m256i *)(s + k), ns);
        }
    }
    return a;
}
#else
#define LAT_HAVE_AVX2 0
static int lat_cpu_avx2(void) { return 0; }
#endif

/* Sites [k0, W) of one Ising row (portable loop, also the tail of the AVX2 loop). */
ISB_INLINE int64_t lat_ising_row(int8_t *restrict s, const int8_t *restrict mid,
                                 const int8_t *restrict side, const int8_t *restrict u0,
                                 const int8_t *restrict v0, const int8_t *restrict u1,
                                 const int8_t *restrict v1, const lat_u32a *restrict r32,
                                 const uint32_t *restrict T, int64_t k0, int64_t W,
                                 const int nv, const int metro, int base, int hm) {
    int64_t a = 0;
    for (int64_t k = k0; k < W; k++) {
        const int sv = s[k];
        int idx = base + hm * (mid[k] + side[k]);
        if (nv >= 1) idx += u0[k] + v0[k];
        if (nv >= 2) idx += 5 * (u1[k] + v1[k]);
        if (metro) {
            idx += 125 & -(sv > 0);
            const int f = r32[k] <= T[idx];
            s[k] = (int8_t)((sv ^ -f) + f);
            a += f;
        } else {
            const int up = r32[k] <= T[idx];
            a += up != (sv > 0);
            s[k] = (int8_t)(2 * up - 1);
        }
    }
    return a;
}

/* One colour of an Ising sweep; nv leading axes and the update kind are constants.
 * Generated twice: portable, and with the AVX2 generator and row loop. */
#define LAT_ISING_COLOUR(NAME, ATTR, FILL, ROWVEC)                                            \
ATTR int64_t NAME(const lat_plan *p, int8_t *cur, const int8_t *oth, int c, uint64_t *rng,      \
                  uint64_t *rbuf, const int nv, const int metro) {                             \
    const int64_t W = p->W, S = p->S, R = p->R, nblk = (W + 15) / 16;                          \
    const int64_t *nbrow = p->nbrow;                                                           \
    const uint32_t *T = p->T32;                                                                \
    const int base = 2 * (1 + (nv >= 1 ? 5 : 0) + (nv >= 2 ? 25 : 0));                         \
    const int hm = nv == 0 ? 1 : (nv == 1 ? 5 : 25); /* weight of the last axis */             \
    const lat_u32a *r32 = (const lat_u32a *)rbuf;                                              \
    const int periodic_last = p->periodic[p->d - 1];                                           \
    const int8_t gh = p->ghost;                                                                \
    int64_t acc = 0;                                                                           \
    for (int64_t r = 0; r < R; r++) {                                                          \
        FILL(rng, rbuf, nblk);                                                                 \
        int8_t *s = cur + r * S + 1;                                                           \
        const int8_t *mid = oth + r * S + 1;                                                   \
        const int8_t *side = mid + (((p->rowpar[r] + c) & 1) ? 1 : -1);                        \
        const int8_t *u0 = oth + 1, *v0 = oth + 1, *u1 = oth + 1, *v1 = oth + 1;               \
        if (nv >= 1) {                                                                         \
            u0 = oth + nbrow[r * 2 * nv] * S + 1;                                              \
            v0 = oth + nbrow[r * 2 * nv + 1] * S + 1;                                          \
        }                                                                                      \
        if (nv >= 2) {                                                                         \
            u1 = oth + nbrow[r * 2 * nv + 2] * S + 1;                                          \
            v1 = oth + nbrow[r * 2 * nv + 3] * S + 1;                                          \
        }                                                                                      \
        int64_t k0 = 0;                                                                        \
        ROWVEC;                                                                                \
        acc += lat_ising_row(s, mid, side, u0, v0, u1, v1, r32, T, k0, W, nv, metro, base, hm); \
        if (periodic_last) { s[-1] = s[W - 1]; s[W] = s[0]; }                                  \
        else { s[-1] = gh; s[W] = gh; }                                                        \
    }                                                                                          \
    return acc;                                                                                \
}

LAT_ISING_COLOUR(lat_split_ising_colour, ISB_INLINE, isb_fill8, (void)0)
#if LAT_HAVE_AVX2
LAT_ISING_COLOUR(lat_split_ising_colour_avx2, LAT_AVX2_INLINE, isb_fill8,
                 (acc += nv <= 1 ? lat_ising_row_shuf_avx2(s, mid, side, u0, v0,
                                                            (const uint32_t *)r32, p, W, nv, metro)
                                 : lat_ising_row_avx2(s, mid, side, u0, v0, u1, v1,
                                                      (const uint32_t *)r32, T, W, nv, metro,
                                                      base, hm),
                  k0 = W - W % 32))

LAT_AVX2 static int64_t lat_split_ising_sweeps_avx2(const lat_plan *p, int8_t *b0, int8_t *b1,
                                                    uint64_t *rng, uint64_t *rbuf,
                                                    int64_t n_sweeps) {
    const int nv = p->d - 1, metro = p->kind == LAT_ISING_METRO;
    int64_t acc = 0;
    for (int64_t t = 0; t < n_sweeps; t++) {
        for (int c = 0; c < 2; c++) {
            int8_t *cur = c ? b1 : b0;
            const int8_t *oth = c ? b0 : b1;
            switch (nv * 2 + metro) {
            case 0: acc += lat_split_ising_colour_avx2(p, cur, oth, c, rng, rbuf, 0, 0); break;
            case 1: acc += lat_split_ising_colour_avx2(p, cur, oth, c, rng, rbuf, 0, 1); break;
            case 2: acc += lat_split_ising_colour_avx2(p, cur, oth, c, rng, rbuf, 1, 0); break;
            case 3: acc += lat_split_ising_colour_avx2(p, cur, oth, c, rng, rbuf, 1, 1); break;
            case 4: acc += lat_split_ising_colour_avx2(p, cur, oth, c, rng, rbuf, 2, 0); break;
            default: acc += lat_split_ising_colour_avx2(p, cur, oth, c, rng, rbuf, 2, 1); break;
            }
        }
    }
    return acc;
}
#endif

/* One colour of a Potts sweep (generic per-site code). Random numbers: whole isb_fill8 blocks
 * per row, except Potts Metropolis without a tuple table (the buffered stream rs). */
ISB_INLINE int64_t lat_split_potts_colour(const lat_plan *p, int8_t *cur, const int8_t *oth,
                                          int c, lat_rs *rs, uint64_t *rbuf, const int nv,
                                          const int metro) {
    const int64_t W = p->W, S = p->S, R = p->R, nblk = (W + 15) / 16;
    const int64_t *nbrow = p->nbrow;
    const lat_u32a *r32 = (const lat_u32a *)rbuf;
    const int periodic_last = p->periodic[p->d - 1];
    const int8_t gh = p->ghost;
    const int tab = p->T32 != NULL;
    const int64_t ntup = metro ? p->ntup : 0;
    int8_t nbv[6] = {0, 0, 0, 0, 0, 0};
    int64_t acc = 0;
    for (int64_t r = 0; r < R; r++) {
        if (!metro || tab)
            isb_fill8(rs->w, rbuf, nblk);
        int8_t *restrict s = cur + r * S + 1;
        const int8_t *mid = oth + r * S + 1;
        const int8_t *side = mid + (((p->rowpar[r] + c) & 1) ? 1 : -1);
        const int8_t *u0 = oth + 1, *v0 = oth + 1, *u1 = oth + 1, *v1 = oth + 1;
        if (nv >= 1) {
            u0 = oth + nbrow[r * 2 * nv] * S + 1;
            v0 = oth + nbrow[r * 2 * nv + 1] * S + 1;
        }
        if (nv >= 2) {
            u1 = oth + nbrow[r * 2 * nv + 2] * S + 1;
            v1 = oth + nbrow[r * 2 * nv + 3] * S + 1;
        }
        int64_t a = 0;
        for (int64_t k = 0; k < W; k++) {
            if (nv >= 1) { nbv[0] = u0[k]; nbv[1] = v0[k]; }
            if (nv >= 2) { nbv[2] = u1[k]; nbv[3] = v1[k]; }
            nbv[2 * nv] = mid[k];
            nbv[2 * nv + 1] = side[k];
            const int8_t old = s[k];
            int8_t nw;
            if (tab) nw = lat_potts_tab_site(p, nbv, old * ntup, r32[k]);
            else if (metro) nw = lat_potts_metro_site(p, old, nbv, rs);
            else nw = lat_potts_hb_site(p, nbv, r32[k]);
            a += nw != old;
            s[k] = nw;
        }
        acc += a;
        if (periodic_last) { s[-1] = s[W - 1]; s[W] = s[0]; }
        else { s[-1] = gh; s[W] = gh; }
    }
    return acc;
}

/* Potts, 2D, with a tuple table (heat-bath or Metropolis); q = 3 specialised (the common
 * case). Index of a site: tuple u0 + Q (v0 + Q (mid + Q side)), plus old * Q^4 (Metropolis). */
ISB_INLINE int64_t lat_split_potts_tab2_colour(const lat_plan *p, int8_t *cur,
                                               const int8_t *oth, int c, uint64_t *rng,
                                               uint64_t *rbuf, const int q, const int metro) {
    const int64_t W = p->W, S = p->S, R = p->R, nblk = (W + 15) / 16;
    const int64_t *nbrow = p->nbrow;
    const lat_u32a *r32 = (const lat_u32a *)rbuf;
    const uint32_t *T = p->T32;
    const int Q = q + 1, ntup = metro ? Q * Q * Q * Q : 0;
    const int periodic_last = p->periodic[p->d - 1];
    const int8_t gh = p->ghost;
    int64_t acc = 0;
    for (int64_t r = 0; r < R; r++) {
        isb_fill8(rng, rbuf, nblk);
        int8_t *restrict s = cur + r * S + 1;
        const int8_t *mid = oth + r * S + 1;
        const int8_t *side = mid + (((p->rowpar[r] + c) & 1) ? 1 : -1);
        const int8_t *u0 = oth + nbrow[r * 2] * S + 1, *v0 = oth + nbrow[r * 2 + 1] * S + 1;
        int64_t a = 0;
        for (int64_t k = 0; k < W; k++) {
            const int idx = u0[k] + Q * (v0[k] + Q * (mid[k] + Q * side[k])) + ntup * s[k];
            const uint32_t *t = T + idx * (q - 1);
            const uint32_t rv = r32[k];
            int nw = 0;
            for (int j = 0; j < q - 1; j++) nw += rv > t[j];
            a += nw != s[k];
            s[k] = (int8_t)nw;
        }
        acc += a;
        if (periodic_last) { s[-1] = s[W - 1]; s[W] = s[0]; }
        else { s[-1] = gh; s[W] = gh; }
    }
    return acc;
}

LAT_CLONES static int64_t lat_split_sweeps(const lat_plan *p, int8_t *b0, int8_t *b1, lat_rs *rs,
                                           uint64_t *rbuf, int64_t n_sweeps) {
    const int nv = p->d - 1;
    int64_t acc = 0;
    for (int64_t t = 0; t < n_sweeps; t++) {
        lat_rs_init(rs, rs->w);  /* drop the last sweep's leftovers: chunking changes nothing */
        for (int c = 0; c < 2; c++) {
            int8_t *cur = c ? b1 : b0;
            const int8_t *oth = c ? b0 : b1;
            const int tab2 = p->T32 && nv == 1;
            switch (p->kind * 3 + nv) {
            case LAT_ISING_METRO * 3 + 0: acc += lat_split_ising_colour(p, cur, oth, c, rs->w, rbuf, 0, 1); break;
            case LAT_ISING_METRO * 3 + 1: acc += lat_split_ising_colour(p, cur, oth, c, rs->w, rbuf, 1, 1); break;
            case LAT_ISING_METRO * 3 + 2: acc += lat_split_ising_colour(p, cur, oth, c, rs->w, rbuf, 2, 1); break;
            case LAT_ISING_HB * 3 + 0: acc += lat_split_ising_colour(p, cur, oth, c, rs->w, rbuf, 0, 0); break;
            case LAT_ISING_HB * 3 + 1: acc += lat_split_ising_colour(p, cur, oth, c, rs->w, rbuf, 1, 0); break;
            case LAT_ISING_HB * 3 + 2: acc += lat_split_ising_colour(p, cur, oth, c, rs->w, rbuf, 2, 0); break;
            case LAT_POTTS_METRO * 3 + 1:
                if (tab2 && p->q == 3) { acc += lat_split_potts_tab2_colour(p, cur, oth, c, rs->w, rbuf, 3, 1); break; }
                if (tab2) { acc += lat_split_potts_tab2_colour(p, cur, oth, c, rs->w, rbuf, p->q, 1); break; }
                acc += lat_split_potts_colour(p, cur, oth, c, rs, rbuf, 1, 1); break;
            case LAT_POTTS_METRO * 3 + 0: acc += lat_split_potts_colour(p, cur, oth, c, rs, rbuf, 0, 1); break;
            case LAT_POTTS_METRO * 3 + 2: acc += lat_split_potts_colour(p, cur, oth, c, rs, rbuf, 2, 1); break;
            case LAT_POTTS_HB * 3 + 1:
                if (tab2 && p->q == 3) { acc += lat_split_potts_tab2_colour(p, cur, oth, c, rs->w, rbuf, 3, 0); break; }
                if (tab2) { acc += lat_split_potts_tab2_colour(p, cur, oth, c, rs->w, rbuf, p->q, 0); break; }
                acc += lat_split_potts_colour(p, cur, oth, c, rs, rbuf, 1, 0); break;
            case LAT_POTTS_HB * 3 + 0: acc += lat_split_potts_colour(p, cur, oth, c, rs, rbuf, 0, 0); break;
            default: acc += lat_split_potts_colour(p, cur, oth, c, rs, rbuf, 2, 0); break;
            }
        }
    }
    return acc;
}

#if LAT_HAVE_AVX2
LAT_AVX2 static int64_t lat_split_potts3_sweeps_avx2(const lat_plan *p, int8_t *b0, int8_t *b1,
                                                     uint64_t *rng, uint64_t *rbuf,
                                                     int64_t n_sweeps);
#endif

/* Per-chain scratch kept across the calls of lat_chain_run of one kernel call: the state in
 * the split layout (b0, b1) or with its sentinel (x), the random-number row buffer, and the
 * count of accepted updates. */
typedef struct {
    int8_t *b0, *b1, *x;
    uint64_t *rbuf;
    int64_t acc;
} lat_chain;

/* Allocates the scratch of one chain and loads its state. Returns 0, or -1 (out of memory,
 * nothing left allocated). */
static int lat_chain_begin(const lat_plan *p, lat_chain *ch, const int8_t *state) {
    const int64_t N = p->n_sites;
    memset(ch, 0, sizeof *ch);
    if (p->split) {
        const int64_t rows = p->R + 1;
        ch->b0 = (int8_t *)malloc((size_t)(2 * rows * p->S));
        ch->rbuf = (uint64_t *)malloc(sizeof(uint64_t) * (size_t)(8 * ((p->W + 15) / 16)));
        if (!ch->b0 || !ch->rbuf) { free(ch->b0); free(ch->rbuf); ch->b0 = NULL; ch->rbuf = NULL; return -1; }
        ch->b1 = ch->b0 + rows * p->S;
        lat_split_in(p, state, ch->b0, ch->b1);
    } else {
        ch->x = (int8_t *)malloc((size_t)(N + 1));
        if (!ch->x) return -1;
        memcpy(ch->x, state, (size_t)N);
        ch->x[N] = p->ghost;
    }
    return 0;
}

/* Records [i0, i1) of one chain with the current tables: {thin sweeps; record i} each, into
 * record i of the chain's records o (isb_core.h; the state, C order, when o->so is set).
 * Returns 0, or ISB_EBOUNDS (debug builds) for a record out of range. */
static int lat_chain_run(const lat_plan *p, lat_chain *ch, uint64_t *rng, int64_t i0,
                         int64_t i1, int64_t thin, const isb_out *o) {
    lat_rs rs;
    lat_rs_init(&rs, rng);
    const int64_t N = p->n_sites;
    int64_t acc = 0;
    ISB_ASSERT(i0 >= 0 && i1 <= o->n, ISB_EBOUNDS);
    for (int64_t i = i0; i < i1; i++) {
        if (p->split) {
#if LAT_HAVE_AVX2
            if (p->avx2 && (p->kind == LAT_ISING_METRO || p->kind == LAT_ISING_HB))
                acc += lat_split_ising_sweeps_avx2(p, ch->b0, ch->b1, rng, ch->rbuf, thin);
            else if (p->avx2 && (p->kind == LAT_POTTS_HB || p->kind == LAT_POTTS_METRO)
                     && p->d == 2 && p->q == 3 && p->T32)
                acc += lat_split_potts3_sweeps_avx2(p, ch->b0, ch->b1, rng, ch->rbuf, thin);
            else
#endif
            acc += lat_split_sweeps(p, ch->b0, ch->b1, &rs, ch->rbuf, thin);
            lat_split_record(p, ch->b0, ch->b1, o->ec + i * o->sj, o->ef + i * o->sh,
                             o->mg + i * o->sm);
            if (o->so) lat_split_out(p, o->so + i * o->sos, ch->b0, ch->b1);
        } else {
            acc += lat_general_sweeps(p, ch->x, &rs, thin);
            lat_general_record(p, ch->x, o->ec + i * o->sj, o->ef + i * o->sh, o->mg + i * o->sm);
            if (o->so) memcpy(o->so + i * o->sos, ch->x, (size_t)N);
        }
    }
    ch->acc += acc;
    return ISB_OK;
}

/* Writes the state back, adds the chain's counts for n_records records of thin sweeps to
 * stats and frees the scratch. */
static void lat_chain_end(const lat_plan *p, lat_chain *ch, int8_t *state, int64_t n_records,
                          int64_t thin, double *stats) {
    if (p->split) {
        if (ch->b0) lat_split_out(p, state, ch->b0, ch->b1);
    } else if (ch->x) {
        memcpy(state, ch->x, (size_t)p->n_sites);
    }
    stats[0] += (double)p->n_sites * (double)thin * (double)n_records;
    stats[1] += (double)ch->acc;
    free(ch->b0); free(ch->rbuf); free(ch->x);
    memset(ch, 0, sizeof *ch);
}


#if LAT_HAVE_AVX2
/* Potts, 2D, q = 3, tuple table: the AVX2 twin of the loop of lat_split_potts_tab2_colour. */
LAT_AVX2_INLINE int64_t lat_potts3_row_avx2(int8_t *s, const int8_t *mid, const int8_t *side,
                                            const int8_t *u0, const int8_t *v0,
                                            const uint32_t *r32, const uint32_t *T, int64_t W,
                                            const int metro) {
    int64_t a = 0;
    for (int64_t k = 0; k + 32 <= W; k += 32) {
        /* idx = u + 4 (v + 4 (mid + 4 side)), states 0..3 (3: missing neighbour) */
        __m256i idx = _mm256_loadu_si256((const __m256i *)(side + k));
        idx = _mm256_add_epi8(_mm256_slli_epi16(idx, 2), _mm256_loadu_si256((const __m256i *)(mid + k)));
        idx = _mm256_add_epi8(_mm256_slli_epi16(idx, 2), _mm256_loadu_si256((const __m256i *)(v0 + k)));
        idx = _mm256_add_epi8(_mm256_slli_epi16(idx, 2), _mm256_loadu_si256((const __m256i *)(u0 + k)));
        /* 16-bit shifts: every intermediate is < 64 before a shift, so no bit crosses bytes */
        const __m256i sv = _mm256_loadu_si256((const __m256i *)(s + k));
        const __m128i lo = _mm256_castsi256_si128(idx), hi = _mm256_extracti128_si256(idx, 1);
        const __m128i parts[4] = {lo, _mm_srli_si128(lo, 8), hi, _mm_srli_si128(hi, 8)};
        const __m128i slo = _mm256_castsi256_si128(sv), shi = _mm256_extracti128_si256(sv, 1);
        const __m128i sparts[4] = {slo, _mm_srli_si128(slo, 8), shi, _mm_srli_si128(shi, 8)};
        __m256i nw[4];
        for (int j = 0; j < 4; j++) {
            __m256i ix = _mm256_cvtepu8_epi32(parts[j]);
            if (metro)  /* + old * 256 */
                ix = _mm256_add_epi32(ix, _mm256_slli_epi32(_mm256_cvtepu8_epi32(sparts[j]), 8));
            const __m256i t0 = _mm256_i32gather_epi32((const int *)T, ix, 8);
            const __m256i t1 = _mm256_i32gather_epi32((const int *)(T + 1), ix, 8);
            const __m256i rv = _mm256_loadu_si256((const __m256i *)(r32 + k + 8 * j));
            const __m256i le0 = _mm256_cmpeq_epi32(_mm256_max_epu32(rv, t0), t0);
            const __m256i le1 = _mm256_cmpeq_epi32(_mm256_max_epu32(rv, t1), t1);
            nw[j] = _mm256_add_epi32(_mm256_set1_epi32(2), _mm256_add_epi32(le0, le1));
        }
        __m256i ns = _mm256_packs_epi16(_mm256_packs_epi32(nw[0], nw[1]), _mm256_packs_epi32(nw[2], nw[3]));
        ns = _mm256_permutevar8x32_epi32(ns, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
        a += 32 - __builtin_popcount((unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(ns, sv)));
        _mm256_storeu_si256((__m256i *)(s + k), ns);
    }
    return a;
}

LAT_AVX2_INLINE int64_t lat_split_potts3_sweeps_avx2_impl(const lat_plan *p, int8_t *b0,
                                                          int8_t *b1, uint64_t *rng,
                                                          uint64_t *rbuf, int64_t n_sweeps,
                                                          const int metro) {
    const int64_t W = p->W, S = p->S, R = p->R, nblk = (W + 15) / 16;
    const int64_t *nbrow = p->nbrow;
    const uint32_t *T = p->T32;
    const int periodic_last = p->periodic[1];
    const int8_t gh = p->ghost;
    int64_t acc = 0;
    for (int64_t t = 0; t < n_sweeps; t++) {
        for (int c = 0; c < 2; c++) {
            int8_t *cur = c ? b1 : b0;
            const int8_t *oth = c ? b0 : b1;
            for (int64_t r = 0; r < R; r++) {
                isb_fill8(rng, rbuf, nblk);
                const lat_u32a *r32 = (const lat_u32a *)rbuf;
                int8_t *s = cur + r * S + 1;
                const int8_t *mid = oth + r * S + 1;
                const int8_t *side = mid + (((p->rowpar[r] + c) & 1) ? 1 : -1);
                const int8_t *u0 = oth + nbrow[r * 2] * S + 1, *v0 = oth + nbrow[r * 2 + 1] * S + 1;
                acc += lat_potts3_row_avx2(s, mid, side, u0, v0, (const uint32_t *)r32, T, W, metro);
                for (int64_t k = W - W % 32; k < W; k++) {
                    const int idx = u0[k] + 4 * (v0[k] + 4 * (mid[k] + 4 * side[k])) + (metro ? 256 * s[k] : 0);
                    const uint32_t rv = r32[k];
                    const int nw = (rv > T[2 * idx]) + (rv > T[2 * idx + 1]);
                    acc += nw != s[k];
                    s[k] = (int8_t)nw;
                }
                if (periodic_last) { s[-1] = s[W - 1]; s[W] = s[0]; }
                else { s[-1] = gh; s[W] = gh; }
            }
        }
    }
    return acc;
}

LAT_AVX2 static int64_t lat_split_potts3_sweeps_avx2(const lat_plan *p, int8_t *b0, int8_t *b1,
                                                     uint64_t *rng, uint64_t *rbuf,
                                                     int64_t n_sweeps) {
    if (p->kind == LAT_POTTS_METRO)
        return lat_split_potts3_sweeps_avx2_impl(p, b0, b1, rng, rbuf, n_sweeps, 1);
    return lat_split_potts3_sweeps_avx2_impl(p, b0, b1, rng, rbuf, n_sweeps, 0);
}

/* isb_fill8 compiled for AVX2 (the code the AVX2 loops inline). */
LAT_AVX2 static void lat_fill8_avx2_call(uint64_t *w, uint64_t *out, int64_t nblk) {
    isb_fill8(w, out, nblk);
}
#endif

/* Testing hook: nblk blocks of the generator by isb_next8 calls (0), isb_fill8 as compiled
 * for the portable loops (1) and for the AVX2 loops (2). */
static void lat_fill8_call(uint64_t *w, uint64_t *out, int64_t nblk) { isb_fill8(w, out, nblk); }

static int lat_fill_check(uint64_t *w, uint64_t *out, int64_t nblk, int which) {
    if (which == 0) { for (int64_t b = 0; b < nblk; b++) isb_next8(w, out + 8 * b); return 0; }
    if (which == 1) { lat_fill8_call(w, out, nblk); return 0; }
#if LAT_HAVE_AVX2
    if (lat_cpu_avx2()) { lat_fill8_avx2_call(w, out, nblk); return 0; }
#endif
    return -1;
}


/* ---- the entry point ------------------------------------------------------------------------ */

/* The model of a lattice call: kind (LAT_*), d axes of sides shape (periodic flags), couplings
 * J per axis, q, the Ising field h_ising or the Potts field h_potts (q); simd = 0 keeps the
 * AVX2 loops off, tables < 2 keeps tables off (testing: see lat_plan_tables). */
typedef struct {
    int kind, d, q;
    const int64_t *shape;
    const uint8_t *periodic;
    const double *J;
    double h_ising;
    const double *h_potts;
    int simd, tables;
    const double *chain_beta;  /* NULL, or n_chains factors of each chain's beta_J and beta_h */
    int engine;                /* -1: chosen from the model; 0: sublattice / general; 1: replica */
} lat_model;

#define LAT_FAIL_NOMEM 1
#define LAT_FAIL_BOUNDS 2

#include "replica_impl.h"

/* One thread's part of the call: a contiguous block [c0, c1) of the chains (by rank in the team
 * actually granted) with the thread's own plan, through all the segments. Every thread of the
 * team runs it once (it contains the team's barriers). */
static void lat_block(const lat_model *m, const isb_run *a, int *fail) {
    lat_plan plan;
    lat_chain *chains = NULL;
    const int64_t nt = isb_team_size(), t = isb_team_rank();
    const int64_t c0 = a->n_chains * t / nt, c1 = a->n_chains * (t + 1) / nt, n = c1 - c0;
    const double *bjp = a->bjp, *bhp = a->bhp;
    double bj = bjp ? bjp[0] : a->beta_J, bh = bhp ? bhp[0] : a->beta_h;
    memset(&plan, 0, sizeof plan);
    if (n > 0) {
        if (lat_plan_init(&plan, m->kind, m->d, m->shape, m->periodic, m->J, m->q, m->h_ising,
                          m->h_potts, bj, bh, m->simd, m->tables) != 0) {
            isb_flag_or(fail, LAT_FAIL_NOMEM);
        } else {
            chains = (lat_chain *)calloc((size_t)n, sizeof(lat_chain));
            if (!chains) {
                isb_flag_or(fail, LAT_FAIL_NOMEM);
            } else {
                for (int64_t c = 0; c < n; c++)
                    if (lat_chain_begin(&plan, &chains[c], a->states + (c0 + c) * a->n_sites) != 0) {
                        isb_flag_or(fail, LAT_FAIL_NOMEM);
                        break;
                    }
            }
        }
    }
    isb_team_barrier();
    if (n > 0 && isb_flag_get(fail) == 0) {
        int64_t i0 = 0;
        while (i0 < a->n_records) {
            const int64_t i1 = isb_segment(bjp, bhp, a->beta_J, a->beta_h, i0, a->n_records,
                                           &bj, &bh);
            for (int64_t c = c0; c < c1; c++) {
                const isb_out o = isb_rec_chain(&a->rec, c, 0);
                if (m->chain_beta && (c == c0 || m->chain_beta[c] != m->chain_beta[c - 1])
                    && lat_plan_tables(&plan, bj * m->chain_beta[c], bh * m->chain_beta[c]) != 0) {
                    isb_flag_or(fail, LAT_FAIL_NOMEM);
                    break;
                }
                if (lat_chain_run(&plan, &chains[c - c0], a->rng + c * a->rng_stride, i0, i1,
                                  a->thin, &o) != 0)
                    isb_flag_or(fail, LAT_FAIL_BOUNDS);
            }
            i0 = i1;
            if (i0 < a->n_records) {
                if (isb_flag_get(fail) != 0) break;  /* another block failed: stop early */
                bj = bjp ? bjp[i0] : a->beta_J;
                bh = bhp ? bhp[i0] : a->beta_h;
                if (!m->chain_beta && lat_plan_tables(&plan, bj, bh) != 0) {
                    isb_flag_or(fail, LAT_FAIL_NOMEM);
                    break;
                }
            }
        }
    }
    isb_team_barrier();
    if (chains) {
        if (isb_flag_get(fail) == 0)
            for (int64_t c = c0; c < c1; c++)
                lat_chain_end(&plan, &chains[c - c0], a->states + c * a->n_sites, a->n_records,
                              a->thin, a->stats + c * a->stats_stride);
        for (int64_t c = 0; c < n; c++) {  /* after a failure: free what was allocated */
            free(chains[c].b0);
            free(chains[c].rbuf);
            free(chains[c].x);
        }
        free(chains);
    }
    lat_plan_free(&plan);
}

/* Runs one call (isb_run) of a lattice kernel in one parallel region: each thread takes a
 * contiguous block of chains with its own tables, rebuilt between the segments of equal betas,
 * and keeps each chain's scratch (split layout) across segments, so a path costs one table
 * rebuild per segment and thread, nothing per site. Returns ISB_OK, ISB_ENOMEM or ISB_EBOUNDS
 * (debug builds); after a failure every state is untouched. */
static int lat_run(const lat_model *m, const isb_run *a) {
    int fail = 0;
    if (a->n_chains <= 0 || a->n_records <= 0 || a->thin <= 0) return ISB_OK;
    const int ising = m->kind == LAT_ISING_METRO || m->kind == LAT_ISING_HB;
    if (isb_check_states(a->states, a->n_chains * a->n_sites, ising, m->q) != ISB_OK)
        return ISB_EBOUNDS;
    int n_team = (int)(a->n_chains < a->n_threads ? a->n_chains : a->n_threads);
    if (n_team < 1) n_team = 1;
    const int rep = rep_applies(m);
#ifdef _OPENMP
#pragma omp parallel num_threads(n_team)
#endif
    {
        if (rep) rep_block(m, a, &fail);
        else lat_block(m, a, &fail);
    }
    (void)n_team;
    if (fail & LAT_FAIL_NOMEM) return ISB_ENOMEM;
    if (fail & LAT_FAIL_BOUNDS) return ISB_EBOUNDS;
    return ISB_OK;
}

/* For C drivers (replica exchange): advances chains [c0, c1) of the (n_chains, n_sites)
 * row-major states (rng: 32 words per chain, stats: 4 per chain, accumulated, or NULL) by
 * n_sweeps sweeps of m's kind, chain c at inverse temperature beta[c] (beta_J = beta_h =
 * beta[c]; m->chain_beta is ignored), and writes the energy H_J + H_h (not multiplied by beta)
 * of chain c's final state to energy[c - c0]. The engine is the one lat_run chooses for m
 * (the replica engine on small lattices), so a chain's result depends only on its own state,
 * generator and beta: the same as the kernels' chain_beta calls. n_threads OpenMP threads
 * (one parallel region); no global state. Returns ISB_OK, ISB_ENOMEM or ISB_EBOUNDS. */
static int lat_advance(const lat_model *m, int64_t n_sites, int8_t *states, uint64_t *rng,
                       double *stats, int64_t c0, int64_t c1, int64_t n_sweeps,
                       const double *beta, double *energy, int n_threads) {
    const int64_t n = c1 - c0;
    if (n <= 0 || n_sweeps <= 0) return ISB_OK;
    double *buf = (double *)malloc(sizeof(double) * (size_t)(n * (stats ? 3 : 7)));
    if (!buf) return ISB_ENOMEM;
    lat_model mm = *m;
    mm.chain_beta = beta + c0;
    isb_run a;
    memset(&a, 0, sizeof a);
    a.n_chains = n;
    a.n_sites = n_sites;
    a.states = states + c0 * n_sites;
    a.rng = rng + c0 * ISB_RNG_WORDS;
    a.rng_stride = ISB_RNG_WORDS;
    a.stats = stats ? stats + c0 * 4 : buf + 3 * n;
    if (!stats) memset(a.stats, 0, sizeof(double) * (size_t)(4 * n));
    a.stats_stride = 4;
    a.beta_J = a.beta_h = 1.0;
    a.n_records = 1;
    a.thin = n_sweeps;
    a.rec.ec = buf;
    a.rec.ef = buf + n;
    a.rec.mg = buf + 2 * n;
    a.rec.ec_sc = a.rec.ef_sc = a.rec.mg_sc = 1;
    a.rec.ec_sr = a.rec.ef_sr = a.rec.mg_sr = 1;
    a.rec.n_records = 1;
    a.rec.n_sites = n_sites;
    a.n_threads = n_threads;
    const int rc = lat_run(&mm, &a);
    if (rc == ISB_OK)
        for (int64_t k = 0; k < n; k++) energy[k] = buf[k] + buf[n + k];
    free(buf);
    return rc;
}

#endif
