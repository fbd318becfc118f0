/* Single-site Metropolis and heat-bath updates of Ising and Potts models on CSR graphs.
 *
 * Used by _graph.pyx; contract in README.md. One function call runs all records of one
 * chain. Sites are updated in order 0..N-1; the chain draws only from lane 0 of its own
 * rng row (rng.h), through a private copy of the state that the compiler can keep out of
 * the way of the int8 state stores (an int8_t pointer may alias anything, so updating the
 * caller's rng words through a pointer would force reloads after every store).
 *
 * Two paths, chosen once per call from the model alone (so the choice never depends on how
 * a run is split into calls):
 *
 *  - table path: every weight equal (w0), the same field at every site, degree <= 64
 *    (Ising also with signs: every |weight| equal, the +-J glasses, signed neighbour sums).
 *    The local field is an integer (Ising: sum of neighbour spins; Potts: number of
 *    neighbours in a state), so every acceptance probability is one of a few numbers,
 *    precomputed per call as 64-bit integer thresholds compared with raw random words
 *    (P(u < t) = t / 2^64: exact to 2^-64). Potts heat-bath: with few states and small
 *    degrees the packed neighbour counts index the q - 1 cumulative probabilities as
 *    thresholds; otherwise the q weights exp(beta_J w0 n_a + beta_h h_a - M) are
 *    tabulated. No exp in the sweeps; Ising and Potts heat-bath draw one random word per
 *    update (Ising: in blocks on all 8 lanes, ISB_G_BLK) and do not branch on acceptance; the spin of site i - 1, just written, is kept
 *    in a register instead of being reloaded (ISB_G_NEIGHBOUR_SUMS). Energies are integer
 *    bond sums (exact), carried from one segment of a beta path to the next.
 *  - general path: double local fields. Metropolis draws a uniform only when dE > 0 and
 *    avoids exp() whenever the bounds 1 - d <= exp(-d) <= 1 / (1 + d) already decide.
 *    Energies are tracked incrementally in double from a full evaluation at call start.
 *
 * The Potts sweeps of both paths (isb_g_potts_table_sweeps, isb_g_potts_general_sweeps) are
 * also parallel tempering's (tempering_impl.h, one table per rung).
 */
#ifndef ISINGBIO_GRAPH_IMPL_H
#define ISINGBIO_GRAPH_IMPL_H

#include "isb_core.h"
#include "rng.h"

#define ISB_G_MAX_DEG 64          /* table path: degree limit */
#define ISB_G_MAX_TABLE 65536     /* table path: entries limit (Potts Metropolis q*q*(2d+1)) */

/* Outputs of one chain: the record view of isb_core.h. */
typedef isb_out isb_g_out;

/* What a call knows about the model, computed once (before the chains run). */
typedef struct {
    int64_t n;
    const int64_t *indptr;
    const int32_t *indices;
    const double *w;
    int uniform;        /* table path usable: every weight w0, degree <= ISB_G_MAX_DEG */
    int pm;             /* Ising table path with signs: every |weight| w0 > 0, not all equal */
    int degmax;
    int regular;        /* every site has this degree and indptr[i] = regular * i (else 0) */
    double w0;
    int32_t *lidx;      /* Ising table path: indices with the entry i - 1 of row i set to i, */
    int8_t *lc;         /* and lc[i] = its sign (1 when uniform) where row i had that entry, */
    int8_t *sgn;        /* else 0 (see ISB_G_NEIGHBOUR_SUMS); pm: the sign of every entry */
} isb_g_model;

/* Ties: ISB_TIE and the tie rule of isb_core.h; thresholds: isb_thr64. */

/* h has n * q entries (Ising: q = 1); 1 if every site has the same field row. */
static int isb_g_uniform_field(const double *h, int64_t n, int q) {
    for (int64_t i = 1; i < n; i++)
        for (int a = 0; a < q; a++)
            if (h[i * q + a] != h[a]) return 0;
    return 1;
}

static void isb_g_model_init(isb_g_model *m, int64_t n, const int64_t *indptr,
                             const int32_t *indices, const double *w) {
    m->n = n;
    m->indptr = indptr;
    m->indices = indices;
    m->w = w;
    const int64_t nnz = indptr[n];
    m->w0 = nnz ? w[0] : 0.0;
    m->uniform = 1;
    m->pm = nnz > 0 && m->w0 != 0.0;
    for (int64_t e = 1; e < nnz; e++) {
        if (w[e] != m->w0) m->uniform = 0;
        if (fabs(w[e]) != fabs(m->w0)) { m->pm = 0; break; }
    }
    if (m->uniform) m->pm = 0;
    if (m->pm) m->w0 = fabs(m->w0);
    m->degmax = 0;
    for (int64_t i = 0; i < n; i++) {
        const int64_t d = indptr[i + 1] - indptr[i];
        if (d > ISB_G_MAX_DEG) { m->uniform = 0; m->pm = 0; break; }
        if (d > m->degmax) m->degmax = (int)d;
    }
    m->regular = m->degmax;
    for (int64_t i = 0; i <= n && m->regular; i++)
        if (indptr[i] != (int64_t)m->regular * i) m->regular = 0;
    m->lidx = NULL;
    m->lc = NULL;
    m->sgn = NULL;
}

/* The neighbour lists of the Ising table path (lidx, lc): 0, or -1 when out of memory (the
 * general path then runs instead). Free with isb_g_model_free. */
static int isb_g_model_build_lists(isb_g_model *m) {
    const int64_t n = m->n, nnz = m->indptr[n];
    m->lidx = (int32_t *)malloc(sizeof(int32_t) * (size_t)(nnz ? nnz : 1));
    m->lc = (int8_t *)malloc((size_t)(n ? n : 1));
    m->sgn = m->pm ? (int8_t *)malloc((size_t)(nnz ? nnz : 1)) : NULL;
    if (!m->lidx || !m->lc || (m->pm && !m->sgn)) {
        free(m->lidx); free(m->lc); free(m->sgn);
        m->lidx = NULL; m->lc = NULL; m->sgn = NULL;
        return -1;
    }
    for (int64_t i = 0; i < n; i++) {
        m->lc[i] = 0;
        for (int64_t p = m->indptr[i]; p < m->indptr[i + 1]; p++) {
            const int8_t sg = m->pm ? (m->w[p] > 0 ? 1 : -1) : 1;
            const int hit = m->indices[p] == i - 1;   /* at most once: rows have no duplicates */
            m->lidx[p] = hit ? (int32_t)i : m->indices[p];
            if (m->sgn) m->sgn[p] = sg;
            if (hit) m->lc[i] = sg;
        }
    }
    return 0;
}

static void isb_g_model_free(isb_g_model *m) {
    free(m->lidx); free(m->lc); free(m->sgn);
    m->lidx = NULL; m->lc = NULL; m->sgn = NULL;
}


/* ------------------------------------------------------------------------------------ */
/* Ising                                                                                 */
/* ------------------------------------------------------------------------------------ */
static inline void isb_g_ising_store(const isb_g_out *o, int64_t r, double e_j, double e_h,
                                     int64_t m, int64_t n, const int8_t *s) {
    (void)isb_out_store(o, r, e_j, e_h, (double)m / (double)n, s, n);
}

/* Sum of the neighbour spins of site i for both values of the spin of site i - 1, which was
 * just written: mp if it is +1, mm if -1. Reading it back from memory would wait for that
 * store and chain every update to the previous one (sites i - 1 and i are neighbours in
 * lattices and chains); instead the lists lidx have s[i] stand in for it (an address that
 * does not depend on the store), both outcomes are decided in advance, and the spin, kept
 * in a register, picks one (a select, not a load). lc[i] = the sign of that bond (1 when
 * uniform) if i - 1 is a neighbour, else 0. SG: signed sums sum_j sign_ij s_j (sg: the signs
 * of the CSR entries; +-J glasses), a constant once inlined. */
#define ISB_G_NEIGHBOUR_SUMS(mp, mm)                                                       \
    int32_t mp;                                                                            \
    if (DEG == 4) {   /* every row has 4 entries: indptr[i] = 4 i, loop unrolled */        \
        const int32_t *restrict nb_ = lidx + 4 * i;                                        \
        if (SG) {                                                                          \
            const int8_t *restrict sg_ = sg + 4 * i;                                       \
            mp = ((int32_t)sg_[0] * s[nb_[0]] + (int32_t)sg_[1] * s[nb_[1]])               \
                 + ((int32_t)sg_[2] * s[nb_[2]] + (int32_t)sg_[3] * s[nb_[3]]);            \
        } else {                                                                           \
            mp = ((int32_t)s[nb_[0]] + s[nb_[1]]) + ((int32_t)s[nb_[2]] + s[nb_[3]]);      \
        }                                                                                  \
    } else if (DEG > 0) {   /* every row has DEG entries (3D lattices: 6), a fixed loop */ \
        const int32_t *restrict nb_ = lidx + (int64_t)DEG * i;                             \
        mp = 0;                                                                            \
        if (SG) {                                                                          \
            const int8_t *restrict sg_ = sg + (int64_t)DEG * i;                            \
            for (int p_ = 0; p_ < DEG; p_++) mp += (int32_t)sg_[p_] * s[nb_[p_]];          \
        } else {                                                                           \
            for (int p_ = 0; p_ < DEG; p_++) mp += s[nb_[p_]];                             \
        }                                                                                  \
    } else {                                                                               \
        mp = 0;                                                                            \
        if (SG)                                                                            \
            for (int64_t p = indptr[i]; p < indptr[i + 1]; p++) mp += sg[p] * s[lidx[p]];  \
        else                                                                               \
            for (int64_t p = indptr[i]; p < indptr[i + 1]; p++) mp += s[lidx[p]];         \
    }                                                                                      \
    const int32_t c_ = lc[i];                                                              \
    mp -= c_ * s[i];                                                                       \
    const int32_t mm = mp - c_;                                                            \
    mp += c_;

/* Random words of the table-path sweeps come in blocks of ISB_G_BLK, drawn on all 8 lanes of
 * the chain's generator at once (isb_fill8, SIMD); the words left over at the end of a sweep
 * are discarded, so how a run is split into calls does not change the stream. */
#define ISB_G_BLK 256

/* One table-path sweep. Heat-bath: s_i = +1 iff u <= tab[m + d]; Metropolis: flip iff
 * u <= tab[(s_i > 0) * (2d + 1) + m + d]. Returns the change of sum_{i<j} s_i s_j (SG: of
 * sum_{i<j} sign_ij s_i s_j) and adds the accepted updates to *accepted. DEG = 4 or 6: every
 * row has DEG entries (2D and 3D lattices), a constant once inlined; 0: read indptr. */
static inline int64_t isb_g_ising_table_sweep(int64_t n, const int64_t *restrict indptr,
                                              const int32_t *restrict lidx,
                                              const int8_t *restrict lc,
                                              const int8_t *restrict sg, int8_t *restrict s,
                                              uint64_t *restrict w, const uint64_t *restrict tab,
                                              int d, int heatbath, const int DEG, const int SG,
                                              int64_t *accepted) {
    uint64_t ubuf[ISB_G_BLK];
    int64_t bonds = 0, acc = 0;
    int32_t prev = 1;
    const int nd = 2 * d + 1;
    for (int64_t i0 = 0; i0 < n; i0 += ISB_G_BLK) {
        const int64_t nb = n - i0 < ISB_G_BLK ? n - i0 : ISB_G_BLK;
        isb_fill8(w, ubuf, (nb + 7) >> 3);
        for (int64_t i = i0; i < i0 + nb; i++) {
            ISB_G_NEIGHBOUR_SUMS(mp, mm)
            const int32_t si = s[i];
            const uint64_t *restrict ts = heatbath ? tab + d : tab + (si > 0) * nd + d;
            const uint64_t u = ubuf[i - i0];
            const int32_t ep = u <= ts[mp], em = u <= ts[mm];
            const int32_t ev = prev > 0 ? ep : em;
            const int32_t m = prev > 0 ? mp : mm;
            const int32_t sn = heatbath ? 2 * ev - 1 : si * (1 - 2 * ev);
            prev = sn;
            s[i] = (int8_t)sn;
            const int32_t ch = sn != si;
            bonds += ch * sn * m;            /* s_i m changes by 2 sn m */
            acc += ch;
        }
    }
    *accepted += acc;
    return 2 * bonds;
}

/* The thresholds of the Ising table path at (beta_J, beta_h): tab has 2 (2 ISB_G_MAX_DEG + 1)
 * entries. m = sum of neighbour spins; events "u <= t" with t = floor(p 2^64) - 1 (p = 1:
 * UINT64_MAX; p = 0: 0, i.e. 2^-64, within the exactness of every other threshold).
 * Heat-bath: tab[m + d], p = P(s_i = +1). Metropolis: tab[(s_i > 0) nd + m + d],
 * p = min(1, exp(-dE)), dE = 2 s_i (beta_J w0 m + beta_h h0). */
static void isb_g_ising_table_build(const isb_g_model *g, double h0, double beta_J, double beta_h,
                                    int heatbath, uint64_t *tab) {
    const int d = g->degmax, nd = 2 * d + 1;
    for (int k = -d; k <= d; k++) {
        const double x = beta_J * g->w0 * k + beta_h * h0;
        for (int sp = 0; sp < (heatbath ? 1 : 2); sp++) {
            const double de = 2.0 * (sp ? 1.0 : -1.0) * x;
            const double p = heatbath ? 1.0 / (1.0 + exp(-2.0 * x))
                                      : (fabs(de) <= ISB_TIE ? 0.5 : (de <= 0.0 ? 1.0 : exp(-de)));
            const uint64_t t = p >= 1.0 ? UINT64_MAX : isb_thr64(p);
            tab[sp * nd + k + d] = t == UINT64_MAX || t == 0 ? t : t - 1;
        }
    }
}

/* sum_{i<j} s_i s_j over the bonds (pm: sum_{i<j} sign_ij s_i s_j), the table path's integer
 * energy. */
static int64_t isb_g_ising_bonds(const isb_g_model *g, const int8_t *s) {
    int64_t bonds = 0;
    for (int64_t i = 0; i < g->n; i++) {
        int32_t acc = 0;
        for (int64_t p = g->indptr[i]; p < g->indptr[i + 1]; p++)
            acc += (g->pm && g->w[p] < 0 ? -1 : 1) * s[g->indices[p]];
        bonds += (int64_t)s[i] * acc;
    }
    return bonds / 2;
}

/* Table path (uniform weights w0 or +-w0 (g->pm), uniform field h0; lists built; tab from
 * isb_g_ising_table_build). *bonds: sum_{i<j} s_i s_j of the state on entry, or ISB_G_UNKNOWN
 * (then counted here); on return, that of the final state (integers: carrying it from one
 * segment of a path to the next gives the same records as counting it again). Returns
 * accepted updates. */
#define ISB_G_UNKNOWN INT64_MIN
static int64_t isb_g_ising_table(const isb_g_model *g, double h0, int8_t *restrict s,
                                 uint64_t *rng, const uint64_t *tab, int64_t n_records,
                                 int64_t thin, const isb_g_out *o, int heatbath, int64_t *bonds_io) {
    const int64_t n = g->n;
    const int64_t *restrict indptr = g->indptr;
    const int d = g->degmax, deg = g->regular == 4 || g->regular == 6 ? g->regular : 0;
    uint64_t w[ISB_RNG_WORDS];
    memcpy(w, rng, sizeof(w));
    int64_t accepted = 0;   /* bonds = sum_{i<j} s_i s_j */
    int64_t bonds = *bonds_io == ISB_G_UNKNOWN ? isb_g_ising_bonds(g, s) : *bonds_io;
    for (int64_t r = 0; r < n_records; r++) {
#define ISB_G_SWEEP(HB, DEG, SG) \
    isb_g_ising_table_sweep(n, indptr, g->lidx, g->lc, g->sgn, s, w, tab, d, HB, DEG, SG, &accepted)
        for (int64_t t = 0; t < thin; t++) {
            if (!g->pm) {
                if (heatbath && deg == 4) bonds += ISB_G_SWEEP(1, 4, 0);
                else if (heatbath && deg == 6) bonds += ISB_G_SWEEP(1, 6, 0);
                else if (heatbath) bonds += ISB_G_SWEEP(1, 0, 0);
                else if (deg == 4) bonds += ISB_G_SWEEP(0, 4, 0);
                else if (deg == 6) bonds += ISB_G_SWEEP(0, 6, 0);
                else bonds += ISB_G_SWEEP(0, 0, 0);
            } else {
                if (heatbath && deg == 4) bonds += ISB_G_SWEEP(1, 4, 1);
                else if (heatbath && deg == 6) bonds += ISB_G_SWEEP(1, 6, 1);
                else if (heatbath) bonds += ISB_G_SWEEP(1, 0, 1);
                else if (deg == 4) bonds += ISB_G_SWEEP(0, 4, 1);
                else if (deg == 6) bonds += ISB_G_SWEEP(0, 6, 1);
                else bonds += ISB_G_SWEEP(0, 0, 1);
            }
        }
#undef ISB_G_SWEEP
        int64_t mag = 0;
        for (int64_t i = 0; i < n; i++) mag += s[i];
        isb_g_ising_store(o, r, -g->w0 * (double)bonds, -h0 * (double)mag, mag, n, s);
    }
    memcpy(rng, w, sizeof(w));
    *bonds_io = bonds;
    return accepted;
}

/* General path. Returns accepted updates. */
static int64_t isb_g_ising_general(const isb_g_model *g, const double *restrict h,
                                   int8_t *restrict s, uint64_t *rng, double beta_J,
                                   double beta_h, int64_t n_records, int64_t thin,
                                   const isb_g_out *o, int heatbath) {
    const int64_t n = g->n;
    const int64_t *restrict indptr = g->indptr;
    const int32_t *restrict indices = g->indices;
    const double *restrict wt = g->w;
    uint64_t w[ISB_RNG_WORDS];
    memcpy(w, rng, sizeof(w));
    double e_j = 0.0, e_h = 0.0;
    int64_t mag = 0, accepted = 0;
    for (int64_t i = 0; i < n; i++) {
        double f = 0.0;
        for (int64_t p = indptr[i]; p < indptr[i + 1]; p++) f += wt[p] * s[indices[p]];
        e_j -= 0.5 * s[i] * f;
        e_h -= h[i] * s[i];
        mag += s[i];
    }
    for (int64_t r = 0; r < n_records; r++) {
        for (int64_t t = 0; t < thin; t++) {
            for (int64_t i = 0; i < n; i++) {
                double f = 0.0;
                for (int64_t p = indptr[i]; p < indptr[i + 1]; p++) f += wt[p] * s[indices[p]];
                const int8_t si = s[i];
                const double x = beta_J * f + beta_h * h[i];
                int flip;
                if (heatbath) {
                    /* P(s_i = +1 | rest) = 1 / (1 + exp(-2x)) */
                    const double u = isb_uniform(w);
                    flip = (u * (1.0 + exp(-2.0 * x)) < 1.0) != (si > 0);
                } else {
                    const double de = 2.0 * si * x;    /* beta-weighted energy change */
                    if (fabs(de) <= ISB_TIE) {
                        flip = (int)(isb_next(w) >> 63);   /* a tie: probability 1/2 */
                    } else if (de <= 0.0) {
                        flip = 1;
                    } else {
                        /* u < exp(-de), with 1 - de <= exp(-de) <= 1 / (1 + de) */
                        const double u = isb_uniform(w);
                        flip = u < 1.0 - de || (u * (1.0 + de) < 1.0 && u < exp(-de));
                    }
                }
                if (flip) {
                    s[i] = (int8_t)(-si);
                    e_j += 2.0 * si * f;
                    e_h += 2.0 * si * h[i];
                    mag -= 2 * si;
                    accepted++;
                }
            }
        }
        isb_g_ising_store(o, r, e_j, e_h, mag, n, s);
    }
    memcpy(rng, w, sizeof(w));
    return accepted;
}

/* ------------------------------------------------------------------------------------ */
/* Potts, H_J = -sum_{i<j} w_ij delta(x_i, x_j)                                          */
/* ------------------------------------------------------------------------------------ */
static inline void isb_g_potts_store(const isb_g_out *o, int64_t r, double e_j, double e_h,
                                     const int64_t *counts, int q, int64_t n, const int8_t *x) {
    (void)isb_out_store(o, r, e_j, e_h, isb_potts_order(counts, q, n), x, n);
}

/* Heat-bath composition tables: the conditional distribution of x_i depends only on the
 * neighbour counts (n_0 .. n_{q-1}), packed as idx = sum_j 2^(bits x_j) with 2^bits > d.
 * Used when 2^(bits q) <= ISB_G_COMP_ROWS; each row holds the q - 1 cumulative
 * probabilities as 64-bit thresholds, so an update is one random word, q - 1 comparisons
 * and no floating point. Returns bits, or 0 when the table would be too large. */
#define ISB_G_COMP_ROWS 4096
static int isb_g_comp_bits(const isb_g_model *g, int q) {
    int bits = 1;
    while ((1 << bits) <= g->degmax) bits++;
    return (int64_t)bits * q <= 12 ? bits : 0;
}

/* Can the table path handle this Potts call? (uniform field row h0 given) */
static int isb_g_potts_table_ok(const isb_g_model *g, int q, const double *h0, double beta_J,
                                double beta_h, int heatbath) {
    if (!g->uniform) return 0;
    const int d = g->degmax;
    if (heatbath) {
        if (isb_g_comp_bits(g, q)) return 1;
        /* weights exp(beta_J w0 k + beta_h h_a - M), k = 0..d: keep them far from underflow */
        double lo = INFINITY, hi = -INFINITY;
        for (int a = 0; a < q; a++)
            for (int k = 0; k <= d; k += d ? d : 1) {
                const double v = beta_J * g->w0 * k + beta_h * h0[a];
                if (v < lo) lo = v;
                if (v > hi) hi = v;
            }
        return (int64_t)q * (d + 1) <= ISB_G_MAX_TABLE && hi - lo < 600.0;
    }
    return (int64_t)q * q * (2 * d + 1) <= ISB_G_MAX_TABLE;
}

/* Size in bytes of the Potts table (built once per call, shared by the chains). */
static size_t isb_g_potts_table_bytes(const isb_g_model *g, int q, int heatbath) {
    const size_t d = (size_t)g->degmax;
    const int bits = isb_g_comp_bits(g, q);
    if (heatbath && bits) return sizeof(uint64_t) * (size_t)(q - 1) << (bits * q);
    return heatbath ? sizeof(double) * (size_t)q * (d + 1) : sizeof(uint64_t) * (size_t)q * q * (2 * d + 1);
}

/* Heat-bath, composition rows (isb_g_comp_bits > 0): tab[a * R + idx] = P(x_i <= a | counts
 * idx) as a threshold, R = 2^(bits q). Otherwise tab[a * (d + 1) + k] =
 * exp(beta_J w0 k + beta_h h_a - M) (k neighbours in state a). Metropolis:
 * tab[(a * q + b) * (2d + 1) + k + d] = P(accept a -> b | n_b - n_a = k)
 * as a threshold, UINT64_MAX standing for "always" (dE <= 0). */
static void isb_g_potts_table_build(const isb_g_model *g, int q, const double *h0,
                                    double beta_J, double beta_h, int heatbath, void *tab) {
    const int d = g->degmax, nd = 2 * d + 1;
    const int bits = isb_g_comp_bits(g, q);
    if (heatbath && bits) {
        uint64_t *cth = (uint64_t *)tab;
        const int64_t rows = (int64_t)1 << (bits * q);
        double v[ISB_MAX_Q];
        int cnt[ISB_MAX_Q];
        int sum = 0;
        for (int a = 0; a < q; a++) cnt[a] = 0;
        /* only the rows of counts that a site can have (sum <= d), in odometer order; the other
         * rows are never read (the caller's zeroed allocation) */
        for (;;) {
            int64_t idx = 0;
            double M = -INFINITY, tot = 0.0;
            for (int a = 0; a < q; a++) {
                idx += (int64_t)cnt[a] << (bits * a);
                v[a] = beta_J * g->w0 * (double)cnt[a] + beta_h * h0[a];
                if (v[a] > M) M = v[a];
            }
            for (int a = 0; a < q; a++) { v[a] = exp(v[a] - M); tot += v[a]; }
            double cum = 0.0;
            for (int a = 0; a < q - 1; a++) {
                cum += v[a];
                cth[a * rows + idx] = isb_thr64(cum / tot);
            }
            int a = 0;   /* next counts: add one at the lowest state that can take it */
            while (a < q) {
                if (sum < d) { cnt[a]++; sum++; break; }
                sum -= cnt[a];
                cnt[a] = 0;
                a++;
            }
            if (a == q) break;
        }
    } else if (heatbath) {
        double *wt = (double *)tab, M = -INFINITY;
        for (int a = 0; a < q; a++)
            for (int k = 0; k <= d; k++) {
                const double v = beta_J * g->w0 * k + beta_h * h0[a];
                if (v > M) M = v;
            }
        for (int a = 0; a < q; a++)
            for (int k = 0; k <= d; k++)
                wt[a * (d + 1) + k] = exp(beta_J * g->w0 * k + beta_h * h0[a] - M);
    } else {
        uint64_t *thr = (uint64_t *)tab;
        for (int a = 0; a < q; a++)
            for (int b = 0; b < q; b++)
                for (int k = -d; k <= d; k++) {
                    const double de = -(beta_J * g->w0 * k + beta_h * (h0[b] - h0[a]));
                    thr[(a * q + b) * nd + k + d] =
                        q == 2 && fabs(de) <= ISB_TIE ? (uint64_t)1 << 63   /* a tie: 1/2 */
                        : de <= 0.0 ? UINT64_MAX : isb_thr64(exp(-de));
                }
    }
}

/* Heat-bath sweep with composition rows: DEG > 0 fixed degree (indptr[i] = DEG i), BITS > 0
 * fixed field width, Q > 0 fixed q (0: read the variables). */
#define ISB_G_POTTS_HB_COMP(DEG, BITS, Q)                                                  \
    do {                                                                                   \
        const int bt_ = (BITS) > 0 ? (BITS) : bits;                                        \
        const int qq_ = (Q) > 0 ? (Q) : q;                                                 \
        for (int64_t i = 0; i < n; i++) {                                                  \
            const uint64_t u = isb_next(w);                                                \
            const int old = x[i];                                                          \
            uint32_t idx = 0;                                                              \
            if ((DEG) > 0) {                                                               \
                const int32_t *restrict nb_ = indices + (int64_t)(DEG) * i;                \
                for (int p_ = 0; p_ < (DEG); p_++) idx += (uint32_t)1 << (bt_ * x[nb_[p_]]); \
            } else {                                                                       \
                for (int64_t p_ = indptr[i]; p_ < indptr[i + 1]; p_++)                     \
                    idx += (uint32_t)1 << (bt_ * x[indices[p_]]);                          \
            }                                                                              \
            int b = 0;                                                                     \
            for (int a = 0; a < qq_ - 1; a++) b += u >= cth[a * rows + idx];               \
            x[i] = (int8_t)b;                                                              \
            bonds += (int64_t)((idx >> (bt_ * b)) & mask) - (int64_t)((idx >> (bt_ * old)) & mask); \
            accepted += b != old;                                                          \
        }                                                                                  \
    } while (0)

/* `sweeps` sweeps of the table path on one chain (uniform weights w0, uniform field row; table
 * from isb_g_potts_table_build; w: the chain's private copy of its rng words). Returns the
 * change of the number of satisfied bonds (i < j) and adds the accepted updates to
 * *n_accepted. Shared by the graph sampler (isb_g_potts_table) and parallel tempering
 * (tempering_impl.h, one table per rung). */
static int64_t isb_g_potts_table_sweeps(const isb_g_model *g, int q, int8_t *restrict x,
                                        uint64_t *restrict w, int64_t sweeps, int heatbath,
                                        const void *table, int64_t *n_accepted) {
    const int64_t n = g->n;
    const int64_t *restrict indptr = g->indptr;
    const int32_t *restrict indices = g->indices;
    const int d = g->degmax, nd = 2 * d + 1;
    int64_t bonds = 0, accepted = 0;
    const int bits = heatbath ? isb_g_comp_bits(g, q) : 0;
    if (heatbath && bits) {
        const uint64_t *restrict cth = (const uint64_t *)table;
        const int64_t rows = (int64_t)1 << (bits * q);
        const uint32_t mask = (1u << bits) - 1;
        const int deg4 = g->regular == 4;
        for (int64_t t = 0; t < sweeps; t++) {
            if (deg4 && bits == 3 && q == 3) ISB_G_POTTS_HB_COMP(4, 3, 3);
            else if (deg4 && bits == 3) ISB_G_POTTS_HB_COMP(4, 3, 0);
            else if (deg4) ISB_G_POTTS_HB_COMP(4, 0, 0);
            else ISB_G_POTTS_HB_COMP(0, 0, 0);
        }
    } else if (heatbath) {
        const double *restrict wt = (const double *)table;
        int32_t nb[ISB_MAX_Q];
        double cum[ISB_MAX_Q];
        for (int64_t t = 0; t < sweeps; t++) {
            for (int64_t i = 0; i < n; i++) {
                for (int a = 0; a < q; a++) nb[a] = 0;
                for (int64_t p = indptr[i]; p < indptr[i + 1]; p++) nb[x[indices[p]]]++;
                double tot = 0.0;
                for (int a = 0; a < q; a++) {
                    tot += wt[a * (d + 1) + nb[a]];
                    cum[a] = tot;
                }
                const double u = isb_uniform(w) * tot;
                int b = 0;
                while (b < q - 1 && cum[b] <= u) b++;
                const int old = x[i];
                x[i] = (int8_t)b;
                bonds += nb[b] - nb[old];
                accepted += b != old;
            }
        }
    } else {
        const uint64_t *restrict thr = (const uint64_t *)table;
        for (int64_t t = 0; t < sweeps; t++) {
            for (int64_t i = 0; i < n; i++) {
                const int old = x[i];
                int b = (int)isb_bounded(w, (uint64_t)(q - 1));
                b += b >= old;
                int32_t k = 0;
                for (int64_t p = indptr[i]; p < indptr[i + 1]; p++) {
                    const int8_t xk = x[indices[p]];
                    k += (xk == b) - (xk == old);
                }
                const uint64_t th = thr[(old * q + b) * nd + k + d];
                const uint64_t u = isb_next(w);
                /* th == UINT64_MAX encodes "always" (dE <= 0) */
                if (u < th || th == UINT64_MAX) {
                    x[i] = (int8_t)b;
                    bonds += k;
                    accepted++;
                }
            }
        }
    }
    *n_accepted += accepted;
    return bonds;
}

/* Satisfied bonds (i < j) of x and the state counts (counts: q entries, may be NULL). */
static int64_t isb_g_potts_bonds(const isb_g_model *g, int q, const int8_t *x, int64_t *counts) {
    int64_t bonds = 0;
    if (counts)
        for (int a = 0; a < q; a++) counts[a] = 0;
    for (int64_t i = 0; i < g->n; i++) {
        for (int64_t p = g->indptr[i]; p < g->indptr[i + 1]; p++) bonds += x[g->indices[p]] == x[i];
        if (counts) counts[x[i]]++;
    }
    return bonds / 2;
}

/* Table path (uniform weights w0, uniform field row h0, table from isb_g_potts_table_build). */
static int64_t isb_g_potts_table(const isb_g_model *g, int q, const double *h0,
                                 int8_t *restrict x, uint64_t *rng, int64_t n_records,
                                 int64_t thin, const isb_g_out *o, int heatbath,
                                 const void *table, int64_t *bonds_io) {
    const int64_t n = g->n;
    uint64_t w[ISB_RNG_WORDS];
    memcpy(w, rng, sizeof(w));
    int64_t counts[ISB_MAX_Q];
    int64_t accepted = 0;
    /* satisfied bonds (i < j), carried like the Ising table path's (ISB_G_UNKNOWN: count) */
    int64_t bonds = *bonds_io == ISB_G_UNKNOWN ? isb_g_potts_bonds(g, q, x, NULL) : *bonds_io;
    for (int64_t r = 0; r < n_records; r++) {
        bonds += isb_g_potts_table_sweeps(g, q, x, w, thin, heatbath, table, &accepted);
        for (int a = 0; a < q; a++) counts[a] = 0;
        for (int64_t i = 0; i < n; i++) counts[x[i]]++;
        double e_h = 0.0;
        for (int a = 0; a < q; a++) e_h -= (double)counts[a] * h0[a];
        isb_g_potts_store(o, r, -g->w0 * (double)bonds, e_h, counts, q, n, x);
    }
    memcpy(rng, w, sizeof(w));
    *bonds_io = bonds;
    return accepted;
}

/* `sweeps` sweeps of the general path on one chain (double local fields; w: the chain's
 * private rng words); the energies *e_j, *e_h are updated incrementally. Returns the accepted
 * updates. Shared by the graph sampler (isb_g_potts_general) and parallel tempering
 * (beta_J = beta_h = the rung's beta). */
static int64_t isb_g_potts_general_sweeps(const isb_g_model *g, int q, const double *restrict h,
                                          int8_t *restrict x, uint64_t *restrict w,
                                          double beta_J, double beta_h, int64_t sweeps,
                                          int heatbath, double *e_jp, double *e_hp) {
    const int64_t n = g->n;
    const int64_t *restrict indptr = g->indptr;
    const int32_t *restrict indices = g->indices;
    const double *restrict wt = g->w;
    double lf[ISB_MAX_Q], cum[ISB_MAX_Q];
    double e_j = *e_jp, e_h = *e_hp;
    int64_t accepted = 0;
    for (int64_t t = 0; t < sweeps; t++) {
        for (int64_t i = 0; i < n; i++) {
            const int old = x[i];
            const double *restrict hi = h + i * q;
            int b;
            double fa, fb;
            if (heatbath) {
                for (int a = 0; a < q; a++) lf[a] = 0.0;
                for (int64_t p = indptr[i]; p < indptr[i + 1]; p++) lf[x[indices[p]]] += wt[p];
                double mx = -INFINITY;
                for (int a = 0; a < q; a++) {
                    cum[a] = beta_J * lf[a] + beta_h * hi[a];
                    if (cum[a] > mx) mx = cum[a];
                }
                double tot = 0.0;
                for (int a = 0; a < q; a++) {
                    tot += exp(cum[a] - mx);
                    cum[a] = tot;
                }
                const double u = isb_uniform(w) * tot;
                b = 0;
                while (b < q - 1 && cum[b] <= u) b++;
                if (b == old) continue;
                fa = lf[old];
                fb = lf[b];
            } else {
                b = (int)isb_bounded(w, (uint64_t)(q - 1));
                b += b >= old;
                fa = 0.0;
                fb = 0.0;
                for (int64_t p = indptr[i]; p < indptr[i + 1]; p++) {
                    const int8_t xk = x[indices[p]];
                    if (xk == old) fa += wt[p];
                    else if (xk == b) fb += wt[p];
                }
                const double de = -(beta_J * (fb - fa) + beta_h * (hi[b] - hi[old]));
                if (q == 2 && fabs(de) <= ISB_TIE) {   /* a tie: probability 1/2 */
                    if (!(isb_next(w) >> 63)) continue;
                } else if (de > 0.0) {
                    const double u = isb_uniform(w);
                    if (!(u < 1.0 - de || (u * (1.0 + de) < 1.0 && u < exp(-de)))) continue;
                }
            }
            x[i] = (int8_t)b;
            e_j -= fb - fa;
            e_h -= hi[b] - hi[old];
            accepted++;
        }
    }
    *e_jp = e_j;
    *e_hp = e_h;
    return accepted;
}

/* Coupling and field energies of x (double, the general path's starting point). */
static void isb_g_potts_energy(const isb_g_model *g, int q, const double *h, const int8_t *x,
                               double *e_jp, double *e_hp) {
    double e_j = 0.0, e_h = 0.0;
    for (int64_t i = 0; i < g->n; i++) {
        const int old = x[i];
        double fa = 0.0;
        for (int64_t p = g->indptr[i]; p < g->indptr[i + 1]; p++)
            if (x[g->indices[p]] == old) fa += g->w[p];
        e_j -= 0.5 * fa;
        e_h -= h[i * q + old];
    }
    *e_jp = e_j;
    *e_hp = e_h;
}

static int64_t isb_g_potts_general(const isb_g_model *g, int q, const double *restrict h,
                                   int8_t *restrict x, uint64_t *rng, double beta_J,
                                   double beta_h, int64_t n_records, int64_t thin,
                                   const isb_g_out *o, int heatbath) {
    const int64_t n = g->n;
    uint64_t w[ISB_RNG_WORDS];
    memcpy(w, rng, sizeof(w));
    int64_t counts[ISB_MAX_Q];
    double e_j, e_h;
    int64_t accepted = 0;
    isb_g_potts_energy(g, q, h, x, &e_j, &e_h);
    for (int64_t r = 0; r < n_records; r++) {
        accepted += isb_g_potts_general_sweeps(g, q, h, x, w, beta_J, beta_h, thin, heatbath,
                                               &e_j, &e_h);
        for (int a = 0; a < q; a++) counts[a] = 0;
        for (int64_t i = 0; i < n; i++) counts[x[i]]++;
        isb_g_potts_store(o, r, e_j, e_h, counts, q, n, x);
    }
    memcpy(rng, w, sizeof(w));
    return accepted;
}

/* ------------------------------------------------------------------------------------ */
/* The entry point                                                                       */
/* ------------------------------------------------------------------------------------ */
/* The model of a graph call: the symmetric CSR graph (indptr (n + 1), indices, weights),
 * q and the field h (Ising: n; Potts: n x q), the kind (potts, heatbath). */
typedef struct {
    const int64_t *indptr;
    const int32_t *indices;
    const double *weights;
    int q, potts, heatbath;
    const double *h;
} isb_g_params;

/* One call (isb_run): the records in segments of equal (beta_J, beta_h) (one segment without
 * a path); each segment is exactly one call at its betas (path and Potts table chosen and
 * built for them), so a path gives what one call per record gives. One OpenMP region for the
 * whole call: each thread takes a fixed block of chains (static split) through every segment,
 * building its own copy of the table per segment (not one per chain), so an annealing path of
 * many small steps opens one region, not one per step; each chain draws only from its own rng
 * row, so the bits do not depend on the number of threads. Table paths carry each chain's
 * integer bond sum from segment to segment instead of counting it again. Returns ISB_OK (an allocation failure
 * falls back to the general path, which needs no scratch, for every chain alike). */
static int isb_graph_run(const isb_g_params *m, const isb_run *a) {
    const int64_t n = a->n_sites, nc = a->n_chains, rec = a->n_records, thin = a->thin;
    const int q = m->potts ? m->q : 1, heatbath = m->heatbath;
    const double *h = m->h;
    isb_g_model g;
    int uniform_table = 0;
    if (nc <= 0 || n <= 0 || rec <= 0) return ISB_OK;
    if (isb_check_states(a->states, nc * n, !m->potts, m->q) != ISB_OK
        || isb_check_csr(m->indptr, m->indices, n) != ISB_OK)
        return ISB_EBOUNDS;
    isb_g_model_init(&g, n, m->indptr, m->indices, m->weights);
    if ((g.uniform || (!m->potts && g.pm)) && isb_g_uniform_field(h, n, q)) {
        uniform_table = 1;
        if (!m->potts && isb_g_model_build_lists(&g) != 0)
            uniform_table = 0;   /* out of memory: the general path needs no lists */
    }
    int nt = a->n_threads > 0 ? a->n_threads : 1;
    if (nt > nc) nt = (int)nc;
    /* Potts: one table per thread (same size whatever the betas), allocated up front so that
     * a failure sends every chain to the general path, whatever the threads */
    const size_t tb = uniform_table && m->potts ? isb_g_potts_table_bytes(&g, q, heatbath) : 0;
    char *tabs = tb ? (char *)calloc((size_t)nt, tb) : NULL;   /* zeroed: rows never built */
    /* table paths: each chain's integer bond sum, carried from one segment to the next */
    int64_t *bonds = uniform_table ? (int64_t *)malloc(sizeof(int64_t) * (size_t)nc) : NULL;
    if ((tb && !tabs) || (uniform_table && !bonds)) uniform_table = 0;
    if (bonds)
        for (int64_t c = 0; c < nc; c++) bonds[c] = ISB_G_UNKNOWN;
#ifdef _OPENMP
#pragma omp parallel num_threads(nt)
#endif
    {
        const int rank = isb_team_rank(), size = isb_team_size();
        const int64_t c0 = nc * rank / size, c1 = nc * (rank + 1) / size;
        void *tab = tabs ? tabs + tb * (size_t)rank : NULL;
        uint64_t itab[2 * (2 * ISB_G_MAX_DEG + 1)];   /* Ising table path, this thread's */
        for (int64_t i0 = 0, i1; i0 < rec && c0 < c1; i0 = i1) {
            double bj, bh;
            i1 = isb_segment(a->bjp, a->bhp, a->beta_J, a->beta_h, i0, rec, &bj, &bh);
            const int64_t seg = i1 - i0;
            int table = uniform_table;
            if (table && m->potts) {
                table = isb_g_potts_table_ok(&g, q, h, bj, bh, heatbath);
                if (table) isb_g_potts_table_build(&g, q, h, bj, bh, heatbath, tab);
            } else if (table) {
                isb_g_ising_table_build(&g, h[0], bj, bh, heatbath, itab);
            }
            for (int64_t c = c0; c < c1; c++) {
                const isb_out o = isb_rec_chain(&a->rec, c, i0);
                int8_t *x = a->states + c * n;
                uint64_t *rng = a->rng + c * a->rng_stride;
                int64_t acc;
                if (m->potts)
                    acc = table ? isb_g_potts_table(&g, q, h, x, rng, seg, thin, &o, heatbath, tab, bonds + c)
                                : isb_g_potts_general(&g, q, h, x, rng, bj, bh, seg, thin, &o, heatbath);
                else
                    acc = table ? isb_g_ising_table(&g, h[0], x, rng, itab, seg, thin, &o, heatbath, bonds + c)
                                : isb_g_ising_general(&g, h, x, rng, bj, bh, seg, thin, &o, heatbath);
                if (!table && bonds) bonds[c] = ISB_G_UNKNOWN;   /* a segment off the table path */
                double *st = a->stats + c * a->stats_stride;
                st[0] += (double)n * thin * seg;
                st[1] += acc;
            }
        }
    }
    free(tabs);
    free(bonds);
    isb_g_model_free(&g);
    return ISB_OK;
}

#endif
