/* Swendsen-Wang and Wolff cluster updates for Ising and Potts models on CSR graphs.
 *
 * Used by _cluster.pyx; contract in README.md. Everything here works on one chain and uses
 * only that chain's random state (rng.h), so results do not depend on threads.
 *
 * Bonds. Ising: bond (i, j) is satisfied when w_ij s_i s_j > 0 and is then activated with
 * probability 1 - exp(-2 beta_J |w_ij|). Potts (w >= 0): bond active with probability
 * 1 - exp(-beta_J w_ij) when x_i == x_j. Probabilities are integer thresholds compared with
 * raw random numbers, computed once per call: Swendsen-Wang uses 32-bit numbers (two per
 * random word; P(active) = thr / 2^32 with thr = floor(p 2^32) in [0, 2^32], so p is exact
 * up to 2^-32 and p = 0 or 1 exactly), Wolff 64-bit words (P(active) = thr / 2^64).
 *
 * Swendsen-Wang, per sweep: (1) the activation bit of every bond (j, i), j < i, without
 * branches, 64 to a word; (2) union-find over the active bonds only (link under the smaller
 * root), so every root is the smallest site of its cluster and par[x] <= x, with equality
 * exactly at roots (roots point to themselves, so extra pointer jumps from a root stay put:
 * finds take two jumps without a branch, and loop only on deeper trees, which are rare;
 * data-dependent branches, mispredicted about half the time, were the main cost);
 * (3) one forward pass gives each root its new state, drawn from
 * p(a) ~ exp(beta_h sum_{i in C} h_i(a)) (exact for any per-site field), and copies it to
 * every other site from its parent, which is already done. After phase 2, par[x] is the
 * parent of x (x itself at roots); the field paths first turn roots into -1 (or -size
 * where sizes are needed).
 *
 * Wolff: seed site chosen uniformly, cluster grown over active bonds (breadth first, stamp
 * marks), flipped (Ising) or recoloured to a uniformly chosen other state b (Potts) with
 * probability min(1, exp(-beta_h dH_h)). A sweep: a number of cluster updates fixed for the
 * whole call (ISB_WOLFF_CHAIN explains why not "until their sizes reach N").
 *
 * Regular lattices (the caller passes shape, periodic, J; all J_k >= 0): Wolff grows its
 * clusters with implicit neighbours and no marks, and records of both methods take H_J from
 * the lattice (see "Wolff on regular lattices"); Swendsen-Wang still uses the CSR bonds.
 */
#ifndef ISINGBIO_CLUSTER_IMPL_H
#define ISINGBIO_CLUSTER_IMPL_H

#include "isb_core.h"
#include "rng.h"

/* The Swendsen-Wang sweeps are compiled twice and chosen at run time (GCC target_clones on
 * x86-64 Linux): AVX2 (the random numbers of phase 1 eight lanes wide) or the default
 * instruction set. Integer code only, plus AVX2 without FMA for the field paths, so both
 * give bit-identical results. */
#define ISB_SW_CLONES ISB_CLONES("avx2", "default")

#define ISB_LABEL INT32_MIN

/* Field forms. */
#define ISB_FIELD_ZERO 0
#define ISB_FIELD_UNIFORM 1
#define ISB_FIELD_SITE 2

/* Shared, read-only per-call data (built once, before the chains run). */
typedef struct {
    int32_t n;
    int64_t nnz;
    const int64_t *indptr;      /* full symmetric CSR, from the caller */
    const int32_t *indices;
    const double *weights;
    int64_t *lptr;              /* lower triangle (j < i): n + 1 offsets */
    int32_t *lidx;              /* neighbours j < i */
    int32_t *lsrc;              /* the site i of each of these bonds */
    int64_t nu;                 /* number of bonds (j, i), j < i */
    double *lw;                 /* their weights (NULL when uniform) */
    uint64_t *lthr;             /* 32-bit activation thresholds in [0, 2^32] (NULL when uniform) */
    int8_t *lsgn;               /* Ising: sign of w (NULL when uniform or Potts) */
    uint64_t *thr;              /* Wolff, full CSR thresholds (NULL when uniform / not needed) */
    int8_t *sgn;                /* Wolff Ising, full CSR signs */
    int uniform;                /* every weight equal to w0 */
    double w0;
    uint64_t thr0;              /* Wolff, uniform: 64-bit threshold */
    uint64_t thr32;             /* Swendsen-Wang, uniform: 32-bit threshold in [0, 2^32] */
    int8_t sgn0;
} isb_graph;

/* Thresholds: isb_thr64 (64-bit) and isb_thr32 (floor(p 2^32) in [0, 2^32]) of isb_core.h. */
static inline double isb_bond_prob(double w, double beta_J, int potts) {
    if (potts) return w > 0.0 ? -expm1(-beta_J * w) : 0.0;
    return -expm1(-2.0 * beta_J * fabs(w));
}

static inline uint64_t isb_bond_threshold(double w, double beta_J, int potts) {
    if (potts) return w > 0.0 ? isb_thr64(-expm1(-beta_J * w)) : 0;
    return isb_thr64(-expm1(-2.0 * beta_J * fabs(w)));
}

/* Threshold with a tiny cache of recent distinct weights (lattices have one to three). */
typedef struct { double w[4]; uint64_t t[4], t32[4]; int used, next; } isb_thr_cache;

/* 64-bit threshold of w; its 32-bit one in *t32. */
static inline uint64_t isb_cached_threshold(isb_thr_cache *c, double w, double beta_J, int potts,
                                            uint64_t *t32) {
    for (int k = 0; k < c->used; k++)
        if (c->w[k] == w) { *t32 = c->t32[k]; return c->t[k]; }
    uint64_t t = isb_bond_threshold(w, beta_J, potts);
    *t32 = isb_thr32(isb_bond_prob(w, beta_J, potts));
    c->w[c->next] = w;
    c->t[c->next] = t;
    c->t32[c->next] = *t32;
    c->next = (c->next + 1) & 3;
    if (c->used < 4) c->used++;
    return t;
}

static void isb_graph_free(isb_graph *g) {
    free(g->lptr); free(g->lidx); free(g->lsrc); free(g->lw); free(g->lthr); free(g->lsgn);
    free(g->thr); free(g->sgn);
    g->lptr = NULL; g->lidx = NULL; g->lsrc = NULL; g->lw = NULL; g->lthr = NULL; g->lsgn = NULL;
    g->thr = NULL; g->sgn = NULL;
}

/* Build the shared data. Returns 0, or -1 when out of memory. */
static int isb_graph_init(isb_graph *g, int32_t n, const int64_t *indptr, const int32_t *indices,
                          const double *weights, double beta_J, int potts, int wolff) {
    memset(g, 0, sizeof(*g));
    g->n = n;
    g->nnz = indptr[n];
    g->indptr = indptr;
    g->indices = indices;
    g->weights = weights;
    int64_t nnz = g->nnz, nu = 0;
    g->uniform = 1;
    g->w0 = nnz ? weights[0] : 0.0;
    for (int64_t e = 0; e < nnz; e++)
        if (weights[e] != g->w0) { g->uniform = 0; break; }
    g->thr0 = isb_bond_threshold(g->w0, beta_J, potts);
    g->thr32 = isb_thr32(isb_bond_prob(g->w0, beta_J, potts));
    g->sgn0 = g->w0 > 0 ? 1 : -1;

    g->lptr = (int64_t *)malloc(sizeof(int64_t) * ((size_t)n + 1));
    if (!g->lptr) goto fail;
    for (int32_t i = 0; i < n; i++)
        for (int64_t e = indptr[i]; e < indptr[i + 1]; e++)
            nu += indices[e] < i;
    g->nu = nu;
    g->lidx = (int32_t *)malloc(sizeof(int32_t) * (size_t)(nu ? nu : 1));
    g->lsrc = (int32_t *)malloc(sizeof(int32_t) * (size_t)(nu ? nu : 1));
    if (!g->lidx || !g->lsrc) goto fail;
    if (!g->uniform) {
        g->lw = (double *)malloc(sizeof(double) * (size_t)(nu ? nu : 1));
        g->lthr = (uint64_t *)malloc(sizeof(uint64_t) * (size_t)(nu ? nu : 1));
        if (!g->lw || !g->lthr) goto fail;
        if (!potts) {
            g->lsgn = (int8_t *)malloc((size_t)(nu ? nu : 1));
            if (!g->lsgn) goto fail;
        }
        if (wolff) {
            g->thr = (uint64_t *)malloc(sizeof(uint64_t) * (size_t)(nnz ? nnz : 1));
            if (!g->thr) goto fail;
            if (!potts) {
                g->sgn = (int8_t *)malloc((size_t)(nnz ? nnz : 1));
                if (!g->sgn) goto fail;
            }
        }
    }
    isb_thr_cache cache;
    cache.used = 0;
    cache.next = 0;
    int64_t u = 0;
    for (int32_t i = 0; i < n; i++) {
        g->lptr[i] = u;
        for (int64_t e = indptr[i]; e < indptr[i + 1]; e++) {
            int32_t j = indices[e];
            if (!g->uniform) {
                double w = weights[e];
                uint64_t t32;
                uint64_t t = isb_cached_threshold(&cache, w, beta_J, potts, &t32);
                if (g->thr) g->thr[e] = t;
                if (g->sgn) g->sgn[e] = w > 0 ? 1 : -1;
                if (j < i) {
                    g->lw[u] = w;
                    g->lthr[u] = t32;
                    if (g->lsgn) g->lsgn[u] = w > 0 ? 1 : -1;
                }
            }
            if (j < i) { g->lsrc[u] = i; g->lidx[u++] = j; }
        }
    }
    g->lptr[n] = u;
    return 0;
fail:
    isb_graph_free(g);
    return -1;
}

/* Field form of an Ising field h (n) or a Potts field h (n, q). */
static int isb_field_form(const double *h, int64_t n, int q) {
    int zero = 1;
    for (int64_t k = 0; k < n * q; k++)
        if (h[k] != 0.0) { zero = 0; break; }
    if (zero) return ISB_FIELD_ZERO;
    for (int64_t i = 1; i < n; i++)
        for (int a = 0; a < q; a++)
            if (h[i * q + a] != h[a]) return ISB_FIELD_SITE;
    return ISB_FIELD_UNIFORM;
}

/* A private copy of the chain's random state for one sweep (kept in registers / L1):
 * isb_next8 on b->w for bond decisions (all lanes), scalar isb_next & co. (lane 0) for the
 * rest. Every output is used once. */
typedef struct {
    uint64_t w[ISB_RNG_WORDS];
} isb_rbuf;

static inline void isb_rbuf_load(isb_rbuf *b, const uint64_t *rng) {
    memcpy(b->w, rng, sizeof(b->w));
}

static inline void isb_rbuf_store(const isb_rbuf *b, uint64_t *rng) {
    memcpy(rng, b->w, sizeof(b->w));
}

/* ------------------------------------------------------------------------------------ */
/* Union-find                                                                            */
/* ------------------------------------------------------------------------------------ */
/* Draw from p(a) ~ exp(x[a]) over a < q (x overwritten). */
static inline int isb_draw_softmax(uint64_t *rng, double *x, int q) {
    double m = x[0], tot = 0.0;
    for (int a = 1; a < q; a++) if (x[a] > m) m = x[a];
    for (int a = 0; a < q; a++) { x[a] = exp(x[a] - m); tot += x[a]; }
    double u = isb_uniform(rng) * tot;
    for (int a = 0; a < q - 1; a++) {
        if (u < x[a]) return a;
        u -= x[a];
    }
    return q - 1;
}

/* ------------------------------------------------------------------------------------ */
/* Wolff on regular lattices                                                             */
/* ------------------------------------------------------------------------------------ */
/* Hypercubic lattices with one coupling per axis, all J_k >= 0 (ferromagnetic: every
 * Potts model with cluster moves; Ising only then). Neighbours come from index arithmetic
 * (no CSR reads). Since the cluster of a ferromagnet is one state a, a site is recoloured
 * (Ising: flipped) as it joins, and the recolouring itself is the visited mark: a member
 * never equals a again. A rejected update (field) restores a on the members (mem keeps them,
 * in breadth-first order). No branch depends on the bonds: each site draws one random word
 * per axis, its low 32 bits deciding the bond to the lower neighbour and its high 32 bits the
 * bond to the upper one (32-bit thresholds as in Swendsen-Wang, drawn whether or not the
 * neighbour is in state a), and each neighbour is written back (b or unchanged) and appended
 * to mem unconditionally, the count growing by the join bit (mem has one spare entry).
 * Axes of side 1 are dropped; a periodic side of 2 is an open side with coupling 2J (its two
 * bonds join the same pair), like the CSR graph. Coordinates: successive exact divisions by
 * the sides (multiply and shift: floor(n m / 2^s) = floor(n / d) for n < 2^32 with
 * s = 32 + ceil(log2 d), m = floor(2^s / d) + 1; Granlund & Montgomery). */
#define ISB_LAT_MAXD 16
typedef struct {
    int nd;                       /* axes of side >= 2, innermost (last C-order axis) first */
    int ndec;                     /* axes to decode: up to the outermost one with bonds */
    int32_t side[ISB_LAT_MAXD];
    int32_t stride[ISB_LAT_MAXD];
    int32_t wrap[ISB_LAT_MAXD];   /* (side - 1) * stride */
    int32_t per[ISB_LAT_MAXD];    /* periodic with side > 2 */
    uint64_t thr[ISB_LAT_MAXD];   /* 32-bit threshold of a bond along the axis (0: none) */
    double J[ISB_LAT_MAXD];       /* coupling of a bond along the axis (2J at periodic side 2) */
    uint64_t dm[ISB_LAT_MAXD];    /* division by side: multiplier and shift */
    int ds[ISB_LAT_MAXD];
} isb_lattice;

static inline uint32_t isb_lat_div(const isb_lattice *L, int k, uint32_t x) {
    return (uint32_t)(((uint64_t)x * L->dm[k]) >> L->ds[k]);
}

/* Returns 1 when the lattice path applies (d <= ISB_LAT_MAXD, all J_k >= 0), else 0. */
static int isb_lattice_init(isb_lattice *L, int d, const int64_t *shape, const uint8_t *periodic,
                            const double *J, double beta_J, int potts) {
    memset(L, 0, sizeof(*L));
    if (d > ISB_LAT_MAXD) return 0;
    for (int k = 0; k < d; k++) if (!(J[k] >= 0.0)) return 0;
    int64_t stride = 1;
    for (int k = d - 1; k >= 0; k--) {
        const int64_t side = shape[k];
        if (side < 2) continue;
        const int m = L->nd++;
        const int two = periodic[k] && side == 2;
        L->side[m] = (int32_t)side;
        L->stride[m] = (int32_t)stride;
        L->wrap[m] = (int32_t)((side - 1) * stride);
        L->per[m] = periodic[k] && side > 2;
        L->J[m] = two ? 2.0 * J[k] : J[k];
        L->thr[m] = isb_thr32(isb_bond_prob(L->J[m], beta_J, potts));
        int l = 0;
        while (((int64_t)1 << l) < side) l++;
        L->ds[m] = 32 + l;
        L->dm[m] = ((uint64_t)1 << (32 + l)) / (uint64_t)side + 1;
        if (L->thr[m]) L->ndec = m + 1;
        stride *= side;
    }
    return 1;
}

/* One cluster update on a lattice: seed site, recolour a -> b on joining. TRY pushes j when
 * it is in state a and its bond (threshold t) is activated. */
#define ISB_LAT_GROW(ND)                                                                   \
    while (head < top) {                                                                   \
        const int32_t i = mem[head++];                                                     \
        uint32_t qv = (uint32_t)i;                                                         \
        for (int k = 0; k < (ND); k++) {                                                   \
            uint32_t c;                                                                    \
            if (k + 1 < L->nd) {                                                           \
                const uint32_t qn = isb_lat_div(L, k, qv);                                 \
                c = qv - qn * (uint32_t)L->side[k];                                        \
                qv = qn;                                                                   \
            } else {                                                                       \
                c = qv;                                                                    \
            }                                                                              \
            const uint64_t t = L->thr[k];                                                  \
            if (!t) continue;                                                              \
            const int32_t st_ = L->stride[k];                                              \
            const uint64_t u2_ = isb_next(rb.w);                                           \
            const uint64_t ulo_ = u2_ & 0xffffffffu, uhi_ = u2_ >> 32;                     \
            int32_t j;                                                                     \
            if (c > 0) { j = i - st_; ISB_LAT_TRY(j, ulo_, t) }                            \
            else if (L->per[k]) { j = i + L->wrap[k]; ISB_LAT_TRY(j, ulo_, t) }            \
            if (c + 1 < (uint32_t)L->side[k]) { j = i + st_; ISB_LAT_TRY(j, uhi_, t) }     \
            else if (L->per[k]) { j = i - L->wrap[k]; ISB_LAT_TRY(j, uhi_, t) }            \
        }                                                                                  \
    }

#define ISB_LAT_TRY(j, u_, t)                                                              \
    {                                                                                      \
        const int8_t xj_ = x[j];                                                           \
        const int take_ = (xj_ == a) & (u_ < (t));                                         \
        x[j] = take_ ? b : xj_;                                                            \
        mem[top] = (j);                                                                    \
        top += take_;                                                                      \
    }

#define ISB_LAT_GROW_ANY                                                                   \
    switch (L->ndec) {                                                                     \
    case 0: break;                                                                         \
    case 1: ISB_LAT_GROW(1) break;                                                         \
    case 2: ISB_LAT_GROW(2) break;                                                         \
    case 3: ISB_LAT_GROW(3) break;                                                         \
    default: { const int nd_ = L->ndec; ISB_LAT_GROW(nd_) } break;                         \
    }

/* Ising: a = s[seed], b = -a. Adds to st[0..4) and returns the cluster size. */
static int32_t isb_ising_wolff_lat(const isb_lattice *L, int32_t n, int field, const double *h,
                                   double beta_h, int8_t *restrict x, uint64_t *rng,
                                   int32_t *restrict mem, double *st) {
    isb_rbuf rb;
    isb_rbuf_load(&rb, rng);
    const int32_t seed = (int32_t)isb_bounded(rb.w, (uint64_t)n);
    const int8_t a = x[seed], b = (int8_t)-a;
    int32_t top = 1, head = 0;
    mem[0] = seed;
    x[seed] = b;
    ISB_LAT_GROW_ANY
    st[0] += 1.0;
    st[2] += 1.0;
    st[3] += top;
    int accept = 1;
    if (field != ISB_FIELD_ZERO) {
        /* H_h = -sum h_i s_i; flipping C (all a) changes it by 2 a sum_C h_i */
        double dh;
        if (field == ISB_FIELD_UNIFORM) {
            dh = 2.0 * h[0] * (double)a * (double)top;
        } else {
            dh = 0.0;
            for (int32_t k = 0; k < top; k++) dh += h[mem[k]];
            dh *= 2.0 * (double)a;
        }
        const double d = beta_h * dh;
        accept = d <= 0.0 || isb_uniform(rb.w) < exp(-d);
        if (!accept)
            for (int32_t k = 0; k < top; k++) x[mem[k]] = a;
    }
    st[1] += accept;
    isb_rbuf_store(&rb, rng);
    return top;
}

/* Metropolis acceptance of recolouring the cluster mem[0..top) from a to b in a field:
 * dH_h = -sum_C (h_i(b) - h_i(a)), accepted with probability min(1, exp(-beta_h dH_h)). */
static inline int isb_potts_recolour_accept(int field, const double *h, int q, const int32_t *mem,
                                            int32_t top, int a, int b, double beta_h,
                                            uint64_t *rng) {
    double dh;
    if (field == ISB_FIELD_UNIFORM) {
        dh = -(double)top * (h[b] - h[a]);
    } else {
        dh = 0.0;
        for (int32_t k = 0; k < top; k++) {
            const double *hi = h + (int64_t)mem[k] * q;
            dh -= hi[b] - hi[a];
        }
    }
    const double d = beta_h * dh;
    return d <= 0.0 || isb_uniform(rng) < exp(-d);
}

/* Potts: a = x[seed], b uniform among the other q - 1 states. */
static int32_t isb_potts_wolff_lat(const isb_lattice *L, int32_t n, int q, int field,
                                   const double *h, double beta_h, int8_t *restrict x,
                                   uint64_t *rng, int32_t *restrict mem, double *st) {
    isb_rbuf rb;
    isb_rbuf_load(&rb, rng);
    const int32_t seed = (int32_t)isb_bounded(rb.w, (uint64_t)n);
    const int8_t a = x[seed];
    const int8_t b = (int8_t)((a + 1 + (int)isb_bounded(rb.w, (uint64_t)(q - 1))) % q);
    int32_t top = 1, head = 0;
    mem[0] = seed;
    x[seed] = b;
    ISB_LAT_GROW_ANY
    st[0] += 1.0;
    st[2] += 1.0;
    st[3] += top;
    int accept = 1;
    if (field != ISB_FIELD_ZERO) {
        accept = isb_potts_recolour_accept(field, h, q, mem, top, a, b, beta_h, rb.w);
        if (!accept)
            for (int32_t k = 0; k < top; k++) x[mem[k]] = a;
    }
    st[1] += accept;
    isb_rbuf_store(&rb, rng);
    return top;
}

/* ------------------------------------------------------------------------------------ */
/* Records                                                                               */
/* ------------------------------------------------------------------------------------ */
/* Record the observables of a state and, when so is not NULL, the state itself (n bytes). */
static double isb_lat_energy(const isb_lattice *L, int32_t n, int potts, const int8_t *x);
static void isb_ising_record(const isb_graph *g, const isb_lattice *lat, const double *h,
                             const int8_t *s, double *ec, double *ef, double *mag, int8_t *so) {
    const int32_t n = g->n;
    double e = 0.0, f = 0.0;
    int64_t m = 0;
    if (lat) {
        e = isb_lat_energy(lat, n, 0, s);
    } else if (g->uniform) {
        int64_t t = 0;
        for (int32_t i = 0; i < n; i++) {
            int32_t acc = 0;
            for (int64_t k = g->lptr[i]; k < g->lptr[i + 1]; k++) acc += s[g->lidx[k]];
            t += (int64_t)s[i] * acc;
        }
        e = -g->w0 * (double)t;
    } else {
        for (int32_t i = 0; i < n; i++) {
            double acc = 0.0;
            for (int64_t k = g->lptr[i]; k < g->lptr[i + 1]; k++) acc += g->lw[k] * s[g->lidx[k]];
            e -= s[i] * acc;
        }
    }
    for (int32_t i = 0; i < n; i++) { f -= h[i] * s[i]; m += s[i]; }
    *ec = e;
    *ef = f;
    *mag = (double)m / n;
    if (so) memcpy(so, s, (size_t)n);
}

static void isb_potts_record(const isb_graph *g, const isb_lattice *lat, int q, const double *h,
                             const int8_t *x, double *ec, double *ef, double *mag, int8_t *so) {
    const int32_t n = g->n;
    double e = 0.0, f = 0.0;
    int64_t counts[ISB_MAX_Q];
    for (int a = 0; a < q; a++) counts[a] = 0;
    if (lat) {
        e = isb_lat_energy(lat, n, 1, x);
    } else if (g->uniform) {
        int64_t t = 0;
        for (int32_t i = 0; i < n; i++)
            for (int64_t k = g->lptr[i]; k < g->lptr[i + 1]; k++) t += x[g->lidx[k]] == x[i];
        e = -g->w0 * (double)t;
    } else {
        for (int32_t i = 0; i < n; i++)
            for (int64_t k = g->lptr[i]; k < g->lptr[i + 1]; k++)
                if (x[g->lidx[k]] == x[i]) e -= g->lw[k];
    }
    for (int32_t i = 0; i < n; i++) { f -= h[(int64_t)i * q + x[i]]; counts[x[i]]++; }
    int64_t cmax = 0;
    for (int a = 0; a < q; a++) if (counts[a] > cmax) cmax = counts[a];
    *ec = e;
    *ef = f;
    *mag = ((double)q * (double)cmax / n - 1.0) / (q - 1);
    if (so) memcpy(so, x, (size_t)n);
}

/* ------------------------------------------------------------------------------------ */
/* Swendsen-Wang                                                                         */
/* ------------------------------------------------------------------------------------ */

/* Phase 1: the activation bit of every bond (j, i), j < i, in lower-CSR order, without
 * branches: blocks of 64 bonds, random words eight at a time (isb_next8 on all lanes), each
 * word giving two 32-bit numbers (low half first), so 16 bonds per isb_next8.
 * ACTIVE(k, i, j, u) decides bond k from the 32-bit random number u (a uint64_t < 2^32). */
#define ISB_SW_U32(u8, t) (((u8)[(t) >> 1] >> (((t) & 1) << 5)) & 0xffffffffu)
#define ISB_SW_BITS(ACTIVE)                                                                \
    {                                                                                      \
        const int32_t *restrict lsrc_ = g->lsrc;                                           \
        const int64_t nu_ = g->nu;                                                         \
        uint64_t u8[ISB_RNG_LANES];                                                        \
        for (int64_t k0 = 0; k0 < nu_; k0 += 64) {                                         \
            uint64_t word = 0;                                                             \
            if (k0 + 64 <= nu_) {                                                          \
                for (int b16 = 0; b16 < 64; b16 += 16) {                                   \
                    isb_next8(rb.w, u8);                                                   \
                    for (int t = 0; t < 16; t++) {                                         \
                        const int64_t k = k0 + b16 + t;                                    \
                        const int32_t i = lsrc_[k], j = lidx[k];                           \
                        word |= (uint64_t)(ACTIVE(k, i, j, ISB_SW_U32(u8, t))) << (b16 + t); \
                    }                                                                      \
                }                                                                          \
            } else {                                                                       \
                for (int64_t k = k0; k < nu_; k++) {                                       \
                    const int t = (int)((k - k0) & 15);                                    \
                    if (t == 0) isb_next8(rb.w, u8);                                       \
                    const int32_t i = lsrc_[k], j = lidx[k];                               \
                    word |= (uint64_t)(ACTIVE(k, i, j, ISB_SW_U32(u8, t))) << (k - k0);    \
                }                                                                          \
            }                                                                              \
            bits[k0 >> 6] = word;                                                          \
        }                                                                                  \
    }

/* Root of x when roots point to themselves: two unconditional jumps (enough for almost
 * every site: trees are shallow), then a loop that is rarely entered. */
static inline int32_t isb_find_self(const int32_t *restrict par, int32_t x) {
    int32_t r = par[par[x]];
    int32_t p = par[r];
    if (__builtin_expect(p != r, 0)) {
        do { r = p; p = par[r]; } while (p != r);
    }
    return r;
}

/* Phase 2: union-find over the active bonds, in order of their larger site i; roots point
 * to themselves. rc is the root of the site i being linked (i itself at its first active
 * bond: no bond touching i has been handled yet). Each bond links the larger of the two
 * roots under the smaller (a no-op when they agree), so every root is the smallest site of
 * its cluster and par[x] <= x: a forward pass can then label each site from its (already
 * labelled) parent without any find. j and i are pointed straight at the new root. No
 * branch depends on the bonds (select instructions), except the rare deep finds. */
static inline void isb_sw_link(const isb_graph *g, const uint64_t *restrict bits,
                               int32_t *restrict par) {
    const int32_t *restrict lidx = g->lidx;
    const int32_t *restrict lsrc = g->lsrc;
    const int64_t nw = (g->nu + 63) >> 6;
    const int32_t n = g->n;
    int32_t cur = -1, rc = -1;   /* site being linked, and its root */
    for (int32_t x = 0; x < n; x++) par[x] = x;
    for (int64_t wi = 0; wi < nw; wi++) {
        uint64_t w = bits[wi];
        while (w) {
            const int64_t k = (wi << 6) + __builtin_ctzll(w);
            w &= w - 1;
            const int32_t i = lsrc[k], j = lidx[k];
            rc = i != cur ? i : rc;
            cur = i;
            const int32_t rj = isb_find_self(par, j);
            const int32_t lo = rj < rc ? rj : rc, hi = rj < rc ? rc : rj;
            par[j] = rj;
            par[hi] = lo;
            par[i] = lo;
            rc = lo;
        }
    }
}

/* Roots (par[x] == x) to -1, for the paths that use negative root marks. */
static inline void isb_roots_negative(int32_t *restrict par, int32_t n) {
    for (int32_t x = 0; x < n; x++) par[x] = par[x] == x ? -1 : par[x];
}

#define ISB_SW_BONDS(ACTIVE)                                                               \
    ISB_SW_BITS(ACTIVE)                                                                    \
    isb_sw_link(g, bits, par);

/* Point every site straight at its root and store -(cluster size) at roots. */
static inline void isb_flatten(int32_t *restrict par, int32_t n) {
    for (int32_t i = 0; i < n; i++) {
        int32_t p = par[i];
        if (p >= 0) {
            if (par[p] >= 0) { p = par[p]; par[i] = p; }
            par[p]--;
        }
    }
}

/* Scratch: par (n int32), fsum (n double, per-site field only). Returns clusters built. */
ISB_SW_CLONES static int64_t isb_ising_sw_sweep(const isb_graph *g, int field, const double *h, double beta_h,
                                  int8_t *restrict s, uint64_t *rng, int32_t *restrict par,
                                  uint64_t *restrict bits,
                                  double *restrict fsum) {
    const int32_t n = g->n;
    const int32_t *restrict lidx = g->lidx;
    int64_t ncl = 0;
    isb_rbuf rb;
    isb_rbuf_load(&rb, rng);

    if (g->uniform) {
        const uint64_t thr = g->thr32;
        const int8_t sg = g->sgn0;
        /* satisfied: w s_i s_j > 0 */
#define ISB_ACT_U(k, i, j, u) (((s[j] == (int8_t)(sg * s[i])) & ((u) < thr)))
        ISB_SW_BONDS(ISB_ACT_U)
#undef ISB_ACT_U
    } else {
        const uint64_t *restrict lthr = g->lthr;
        const int8_t *restrict lsgn = g->lsgn;
#define ISB_ACT_G(k, i, j, u) (((s[j] == (int8_t)(lsgn[k] * s[i])) & ((u) < lthr[k])))
        ISB_SW_BONDS(ISB_ACT_G)
#undef ISB_ACT_G
    }

    /* Each cluster is flipped or not (with signed bonds its sites need not agree). The
     * flip f of a done site is kept in par as -1 - f: a site reads its parent's. Without a
     * field, no branch: a root (par[i] == i) takes the next random bit (64 per word, a new
     * word fetched when they are used up), any other site its parent's flip. */
    if (field == ISB_FIELD_ZERO) {
        uint64_t rbits = isb_next(rb.w);
        int nbits = 64;
        for (int32_t i = 0; i < n; i++) {
            const int32_t p = par[i];
            const int root = p == i;
            const int32_t fp = -1 - par[p];
            const int32_t f = root ? (int32_t)(rbits & 1) : fp;
            rbits >>= root;
            nbits -= root;
            ncl += root;
            if (__builtin_expect(nbits == 0, 0)) { rbits = isb_next(rb.w); nbits = 64; }
            par[i] = -1 - f;
            s[i] = (int8_t)(s[i] * (1 - 2 * f));
        }
    } else {
        isb_roots_negative(par, n);
        /* F_C = sum_C h_i s_i; flipping C changes H_h by 2 F_C: P(flip) = 1 / (1 + exp(2 beta_h F_C)) */
        const int uni = field == ISB_FIELD_UNIFORM;
        for (int32_t i = 0; i < n; i++) {
            int32_t p = par[i];
            const double hs = (uni ? h[0] : h[i]) * s[i];
            if (p < 0) {
                fsum[i] = hs;
            } else {
                if (par[p] >= 0) { p = par[p]; par[i] = p; }
                fsum[p] += hs;
            }
        }
        for (int32_t i = 0; i < n; i++) {
            const int32_t p = par[i];
            int32_t f;
            if (p < 0) {
                f = isb_uniform(rb.w) * (1.0 + exp(2.0 * beta_h * fsum[i])) < 1.0;
                ncl++;
            } else {
                f = -1 - par[p];
            }
            par[i] = -1 - f;
            s[i] = (int8_t)(s[i] * (1 - 2 * f));
        }
    }
    isb_rbuf_store(&rb, rng);
    return ncl;
}

/* Scratch: par, off, mem (n int32 each; off and mem for per-site fields only). */
ISB_SW_CLONES static int64_t isb_potts_sw_sweep(const isb_graph *g, int q, int field, const double *h,
                                  double beta_h, int8_t *restrict x, uint64_t *rng,
                                  int32_t *restrict par, uint64_t *restrict bits,
                                  int32_t *restrict off,
                                  int32_t *restrict mem) {
    const int32_t n = g->n;
    const int32_t *restrict lidx = g->lidx;
    int64_t ncl = 0;
    double buf[ISB_MAX_Q];
    isb_rbuf rb;
    isb_rbuf_load(&rb, rng);

    if (g->uniform) {
        const uint64_t thr = g->thr32;
#define ISB_ACT_U(k, i, j, u) (((x[j] == x[i]) & ((u) < thr)))
        ISB_SW_BONDS(ISB_ACT_U)
#undef ISB_ACT_U
    } else {
        const uint64_t *restrict lthr = g->lthr;
#define ISB_ACT_G(k, i, j, u) (((x[j] == x[i]) & ((u) < lthr[k])))
        ISB_SW_BONDS(ISB_ACT_G)
#undef ISB_ACT_G
    }

    if (field != ISB_FIELD_ZERO) isb_roots_negative(par, n);
    if (field == ISB_FIELD_ZERO) {
        for (int32_t i = 0; i < n; i++) {
            const int32_t p = par[i];
            if (p == i) {
                x[i] = (int8_t)isb_bounded(rb.w, (uint64_t)q);
                ncl++;
            } else {
                x[i] = x[p];
            }
        }
    } else if (field == ISB_FIELD_UNIFORM) {
        isb_flatten(par, n);
        for (int32_t i = 0; i < n; i++) {
            const int32_t p = par[i];
            if (p < 0) {
                const double size = (double)(-p);
                for (int a = 0; a < q; a++) buf[a] = beta_h * size * h[a];
                x[i] = (int8_t)isb_draw_softmax(rb.w, buf, q);
                ncl++;
            } else {
                x[i] = x[p];
            }
        }
    } else {
        /* group the sites of each cluster (counting sort by root), then recolour */
        isb_flatten(par, n);
        int32_t pos = 0;
        for (int32_t r = 0; r < n; r++)
            if (par[r] < 0) { off[r] = pos; pos -= par[r]; }
        for (int32_t i = 0; i < n; i++) {
            const int32_t r = par[i] < 0 ? i : par[i];
            mem[off[r]++] = i;
        }
        for (int32_t r = 0; r < n; r++) {
            if (par[r] >= 0) continue;
            const int32_t end = off[r], start = end + par[r];
            for (int a = 0; a < q; a++) buf[a] = 0.0;
            for (int32_t k = start; k < end; k++) {
                const double *hi = h + (int64_t)mem[k] * q;
                for (int a = 0; a < q; a++) buf[a] += hi[a];
            }
            for (int a = 0; a < q; a++) buf[a] *= beta_h;
            const int8_t b = (int8_t)isb_draw_softmax(rb.w, buf, q);
            for (int32_t k = start; k < end; k++) x[mem[k]] = b;
            ncl++;
        }
    }
    isb_rbuf_store(&rb, rng);
    return ncl;
}

/* ------------------------------------------------------------------------------------ */
/* Wolff                                                                                 */
/* ------------------------------------------------------------------------------------ */
typedef struct {
    int32_t *mem;       /* cluster members (breadth-first queue), n */
    uint32_t *mark;     /* mark[i] == stamp: i is in the current cluster, n */
    uint32_t stamp;
} isb_wolff_scratch;

static inline uint32_t isb_next_stamp(isb_wolff_scratch *w, int32_t n) {
    if (++w->stamp == 0) {
        memset(w->mark, 0, sizeof(uint32_t) * (size_t)n);
        w->stamp = 1;
    }
    return w->stamp;
}

/* One Wolff cluster update; adds to st[0..4) and returns the cluster size. */
static int32_t isb_ising_wolff_update(const isb_graph *g, int field, const double *h, double beta_h,
                                      int8_t *restrict s, uint64_t *rng, isb_wolff_scratch *w,
                                      double *st) {
    const int32_t n = g->n;
    const int64_t *restrict indptr = g->indptr;
    const int32_t *restrict indices = g->indices;
    int32_t *restrict mem = w->mem;
    uint32_t *restrict mark = w->mark;
    {
        const uint32_t stamp = isb_next_stamp(w, n);
        const int32_t seed = (int32_t)isb_bounded(rng, (uint64_t)n);
        int32_t top = 1, head = 0;
        mem[0] = seed;
        mark[seed] = stamp;
        if (g->uniform) {
            const uint64_t thr = g->thr0;
            const int8_t sg = g->sgn0;
            if (thr) {
                while (head < top) {
                    const int32_t i = mem[head++];
                    const int8_t want = (int8_t)(sg * s[i]);
                    for (int64_t k = indptr[i]; k < indptr[i + 1]; k++) {
                        const int32_t j = indices[k];
                        if (s[j] == want && mark[j] != stamp && isb_next(rng) < thr) {
                            mark[j] = stamp;
                            mem[top++] = j;
                        }
                    }
                }
            }
        } else {
            const uint64_t *restrict thr = g->thr;
            const int8_t *restrict sgn = g->sgn;
            while (head < top) {
                const int32_t i = mem[head++];
                const int8_t si = s[i];
                for (int64_t k = indptr[i]; k < indptr[i + 1]; k++) {
                    const int32_t j = indices[k];
                    if (s[j] == (int8_t)(sgn[k] * si) && mark[j] != stamp && isb_next(rng) < thr[k]) {
                        mark[j] = stamp;
                        mem[top++] = j;
                    }
                }
            }
        }
        st[0] += 1.0;
        st[2] += 1.0;
        st[3] += top;
        int accept = 1;
        if (field != ISB_FIELD_ZERO) {
            /* H_h = -sum h_i s_i; flipping C changes it by 2 sum_C h_i s_i */
            double dh = 0.0;
            if (field == ISB_FIELD_UNIFORM) {
                int64_t m = 0;
                for (int32_t k = 0; k < top; k++) m += s[mem[k]];
                dh = 2.0 * h[0] * (double)m;
            } else {
                for (int32_t k = 0; k < top; k++) dh += h[mem[k]] * s[mem[k]];
                dh *= 2.0;
            }
            double d = beta_h * dh;
            accept = d <= 0.0 || isb_uniform(rng) < exp(-d);
        }
        if (accept) {
            for (int32_t k = 0; k < top; k++) s[mem[k]] = (int8_t)(-s[mem[k]]);
            st[1] += 1.0;
        }
        return top;
    }
}

static int32_t isb_potts_wolff_update(const isb_graph *g, int q, int field, const double *h,
                                      double beta_h, int8_t *restrict x, uint64_t *rng,
                                      isb_wolff_scratch *w, double *st) {
    const int32_t n = g->n;
    const int64_t *restrict indptr = g->indptr;
    const int32_t *restrict indices = g->indices;
    int32_t *restrict mem = w->mem;
    uint32_t *restrict mark = w->mark;
    {
        const uint32_t stamp = isb_next_stamp(w, n);
        const int32_t seed = (int32_t)isb_bounded(rng, (uint64_t)n);
        const int8_t a = x[seed];
        const int8_t b = (int8_t)((a + 1 + (int)isb_bounded(rng, (uint64_t)(q - 1))) % q);
        int32_t top = 1, head = 0;
        mem[0] = seed;
        mark[seed] = stamp;
        if (g->uniform) {
            const uint64_t thr = g->thr0;
            if (thr) {
                while (head < top) {
                    const int32_t i = mem[head++];
                    for (int64_t k = indptr[i]; k < indptr[i + 1]; k++) {
                        const int32_t j = indices[k];
                        if (x[j] == a && mark[j] != stamp && isb_next(rng) < thr) {
                            mark[j] = stamp;
                            mem[top++] = j;
                        }
                    }
                }
            }
        } else {
            const uint64_t *restrict thr = g->thr;
            while (head < top) {
                const int32_t i = mem[head++];
                for (int64_t k = indptr[i]; k < indptr[i + 1]; k++) {
                    const int32_t j = indices[k];
                    if (x[j] == a && mark[j] != stamp && thr[k] && isb_next(rng) < thr[k]) {
                        mark[j] = stamp;
                        mem[top++] = j;
                    }
                }
            }
        }
        st[0] += 1.0;
        st[2] += 1.0;
        st[3] += top;
        int accept = 1;
        if (field != ISB_FIELD_ZERO) {
            accept = isb_potts_recolour_accept(field, h, q, mem, top, a, b, beta_h, rng);
        }
        if (accept) {
            for (int32_t k = 0; k < top; k++) x[mem[k]] = b;
            st[1] += 1.0;
        }
        return top;
    }
}

/* Coupling energy on the lattice: Ising -sum_k J_k sum s_i s_j, Potts -sum_k J_k #(x_i == x_j),
 * over the bonds along each axis (blocks of the C-order layout, no index decoding). */
static double isb_lat_energy(const isb_lattice *L, int32_t n, int potts, const int8_t *x) {
    double e = 0.0;
    for (int k = 0; k < L->nd; k++) {
        if (L->J[k] == 0.0) continue;
        const int64_t st = L->stride[k], side = L->side[k], blk = st * side;
        int64_t t = 0;
        for (int64_t base = 0; base < n; base += blk) {
            const int8_t *p = x + base;
            const int64_t m = (side - 1) * st;
            if (potts) { for (int64_t u = 0; u < m; u++) t += p[u] == p[u + st]; }
            else { for (int64_t u = 0; u < m; u++) t += p[u] * p[u + st]; }
            if (L->per[k]) {
                const int8_t *pw = p + m;
                if (potts) { for (int64_t u = 0; u < st; u++) t += pw[u] == p[u]; }
                else { for (int64_t u = 0; u < st; u++) t += pw[u] * p[u]; }
            }
        }
        e -= L->J[k] * (double)t;
    }
    return e;
}

/* ------------------------------------------------------------------------------------ */
/* Chains: all records of one chain. Return 0, or -1 when out of memory.                 */
/* ------------------------------------------------------------------------------------ */

/* Cluster updates per Wolff sweep. A sweep cannot stop once the clusters built in it reach
 * N sites: that stopping time depends on the states visited and biases the sampler (two
 * sites, one bond: such sweeps never end anti-aligned from an aligned start). The count is
 * therefore fixed for the whole call: `k_sweep` if > 0, else (k_sweep == 0) N / (mean
 * cluster size) over a pilot of updates (kept, counted in stats) that build N sites; so only
 * the choice of the count depends on the start, like a burn-in. k_sweep < 0 is for burn-in
 * alone, where that bias does not matter: every sweep builds clusters until N sites, so a
 * disordered start (small clusters) does not fix a huge count for the ordered states that
 * follow. */
#define ISB_WOLFF_CHAIN(UPDATE)                                                            \
    {                                                                                      \
        if (k_sweep == 0) {                                                                \
            int64_t built = 0, count = 0;                                                  \
            while (built < n) { built += UPDATE; count++; }                                \
            k_sweep = (int64_t)llround((double)n * (double)count / (double)built);         \
            if (k_sweep < 1) k_sweep = 1;                                                  \
        }                                                                                  \
        for (int64_t r = 0; r < n_records; r++) {                                          \
            for (int64_t t = 0; t < thin; t++) {                                           \
                if (k_sweep < 0) {  /* burn-in only: clusters until N sites */             \
                    int64_t built = 0;                                                     \
                    while (built < n) built += UPDATE;                                     \
                } else {                                                                   \
                    for (int64_t c = 0; c < k_sweep; c++) (void)UPDATE;                    \
                }                                                                          \
            }                                                                              \
            RECORD;                                                                        \
        }                                                                                  \
    }

static int isb_ising_chain(const isb_graph *g, const isb_lattice *lat, int wolff, int64_t k_sweep, int field,
                           const double *h, int8_t *s, uint64_t *rng, double beta_h,
                           int64_t n_records, int64_t thin, const isb_out *o, double *st) {
    const int32_t n = g->n;
    if (wolff) {
        isb_wolff_scratch w;
        w.mem = (int32_t *)malloc(sizeof(int32_t) * ((size_t)n + 1));   /* lattice: one spare */
        w.mark = (uint32_t *)calloc((size_t)n, sizeof(uint32_t));
        w.stamp = 0;
        if (!w.mem || !w.mark) { free(w.mem); free(w.mark); return -1; }
#define RECORD isb_ising_record(g, lat, h, s, o->ec + r * o->sj, o->ef + r * o->sh, o->mg + r * o->sm, o->so ? o->so + r * o->sos : NULL)
        if (lat) {
            ISB_WOLFF_CHAIN(isb_ising_wolff_lat(lat, n, field, h, beta_h, s, rng, w.mem, st))
        } else {
            ISB_WOLFF_CHAIN(isb_ising_wolff_update(g, field, h, beta_h, s, rng, &w, st))
        }
#undef RECORD
        free(w.mem);
        free(w.mark);
        return 0;
    }
    int32_t *par = (int32_t *)malloc(sizeof(int32_t) * (size_t)n);
    uint64_t *bits = (uint64_t *)malloc(sizeof(uint64_t) * (size_t)((g->nu >> 6) + 1));
    double *fsum = field != ISB_FIELD_ZERO ? (double *)malloc(sizeof(double) * (size_t)n) : NULL;
    if (!par || !bits || (field != ISB_FIELD_ZERO && !fsum)) {
        free(par); free(bits); free(fsum);
        return -1;
    }
    for (int64_t r = 0; r < n_records; r++) {
        for (int64_t t = 0; t < thin; t++) {
            int64_t ncl = isb_ising_sw_sweep(g, field, h, beta_h, s, rng, par, bits, fsum);
            st[2] += (double)ncl;
            st[3] += (double)n;
        }
        isb_ising_record(g, lat, h, s, o->ec + r * o->sj, o->ef + r * o->sh, o->mg + r * o->sm, o->so ? o->so + r * o->sos : NULL);
    }
    free(par);
    free(bits);
    free(fsum);
    return 0;
}

static int isb_potts_chain(const isb_graph *g, const isb_lattice *lat, int q, int wolff, int64_t k_sweep, int field,
                           const double *h, int8_t *x, uint64_t *rng, double beta_h,
                           int64_t n_records, int64_t thin, const isb_out *o, double *st) {
    const int32_t n = g->n;
    if (wolff) {
        isb_wolff_scratch w;
        w.mem = (int32_t *)malloc(sizeof(int32_t) * ((size_t)n + 1));   /* lattice: one spare */
        w.mark = (uint32_t *)calloc((size_t)n, sizeof(uint32_t));
        w.stamp = 0;
        if (!w.mem || !w.mark) { free(w.mem); free(w.mark); return -1; }
#define RECORD isb_potts_record(g, lat, q, h, x, o->ec + r * o->sj, o->ef + r * o->sh, o->mg + r * o->sm, o->so ? o->so + r * o->sos : NULL)
        if (lat) {
            ISB_WOLFF_CHAIN(isb_potts_wolff_lat(lat, n, q, field, h, beta_h, x, rng, w.mem, st))
        } else {
            ISB_WOLFF_CHAIN(isb_potts_wolff_update(g, q, field, h, beta_h, x, rng, &w, st))
        }
#undef RECORD
        free(w.mem);
        free(w.mark);
        return 0;
    }
    int32_t *par = (int32_t *)malloc(sizeof(int32_t) * (size_t)n);
    uint64_t *bits = (uint64_t *)malloc(sizeof(uint64_t) * (size_t)((g->nu >> 6) + 1));
    int32_t *off = NULL, *mem = NULL;
    if (field == ISB_FIELD_SITE) {
        off = (int32_t *)malloc(sizeof(int32_t) * (size_t)n);
        mem = (int32_t *)malloc(sizeof(int32_t) * (size_t)n);
    }
    if (!par || !bits || (field == ISB_FIELD_SITE && (!off || !mem))) {
        free(par); free(bits); free(off); free(mem);
        return -1;
    }
    for (int64_t r = 0; r < n_records; r++) {
        for (int64_t t = 0; t < thin; t++) {
            int64_t ncl = isb_potts_sw_sweep(g, q, field, h, beta_h, x, rng, par, bits, off, mem);
            st[2] += (double)ncl;
            st[3] += (double)n;
        }
        isb_potts_record(g, lat, q, h, x, o->ec + r * o->sj, o->ef + r * o->sh, o->mg + r * o->sm, o->so ? o->so + r * o->sos : NULL);
    }
    free(par); free(bits); free(off); free(mem);
    return 0;
}

/* ------------------------------------------------------------------------------------ */
/* The entry point                                                                       */
/* ------------------------------------------------------------------------------------ */
/* The model of a cluster call: the symmetric CSR graph, q and the field h (may be NULL: zero;
 * Ising n, Potts n x q), potts, wolff, clusters per Wolff sweep k_sweep (0: calibrated per
 * call, -1: burn-in), and optionally the lattice that the graph is (lat_d > 0: its shape,
 * periodic flags and couplings, same site order). */
typedef struct {
    const int64_t *indptr;
    const int32_t *indices;
    const double *weights;
    int q, potts, wolff;
    const double *h;
    int64_t k_sweep;
    int lat_d;
    const int64_t *lat_shape;
    const uint8_t *lat_periodic;
    const double *lat_J;
} isb_cluster_params;

/* One call (isb_run): the records in segments of equal (beta_J, beta_h) (one segment without a
 * path); each segment is exactly one call at its betas (bond thresholds rebuilt when beta_J
 * changes), so a path gives what one call per record gives. Wolff with k_sweep = 0 and a path:
 * one record per segment, since every call calibrates its own count (pilot). One OpenMP region
 * for the whole call: each thread takes a fixed block of chains (static split) through every
 * segment, with its own copy of the graph's thresholds (rebuilt when beta_J changes) and each
 * chain with its own scratch and rng row, so an annealing path of many small steps opens one
 * region, not one per step, and the bits do not depend on the number of threads. Returns
 * ISB_OK or ISB_ENOMEM. */
static int isb_cluster_run(const isb_cluster_params *m, const isb_run *a) {
    const int64_t n = a->n_sites, nc = a->n_chains, rec = a->n_records;
    const int one_each = m->wolff && m->k_sweep <= 0 && (a->bjp || a->bhp);
    const int field = isb_field_form(m->h, n, m->potts ? m->q : 1);
    int failed = 0;
    if (nc <= 0 || n <= 0 || rec <= 0) return ISB_OK;
    if (isb_check_states(a->states, nc * n, !m->potts, m->q) != ISB_OK
        || isb_check_csr(m->indptr, m->indices, n) != ISB_OK)
        return ISB_EBOUNDS;
    int nt = a->n_threads > 0 ? a->n_threads : 1;
    if (nt > nc) nt = (int)nc;
#ifdef _OPENMP
#pragma omp parallel num_threads(nt) reduction(|:failed)
#endif
    {
        const int rank = isb_team_rank(), size = isb_team_size();
        const int64_t c0 = nc * rank / size, c1 = nc * (rank + 1) / size;
        isb_graph g;
        isb_lattice lat;
        const isb_lattice *latp = NULL;
        int have_g = 0;
        double g_bj = 0.0;
        for (int64_t i0 = 0, i1; i0 < rec && c0 < c1 && !failed; i0 = i1) {
            double bj, bh;
            i1 = one_each ? i0 + 1 : isb_segment(a->bjp, a->bhp, a->beta_J, a->beta_h, i0, rec, &bj, &bh);
            if (one_each) {
                bj = a->bjp ? a->bjp[i0] : a->beta_J;
                bh = a->bhp ? a->bhp[i0] : a->beta_h;
            }
            const int64_t seg = i1 - i0;
            if (!have_g || bj != g_bj) {   /* bond thresholds depend on beta_J only */
                if (have_g) isb_graph_free(&g);
                have_g = 0;
                if (isb_graph_init(&g, (int32_t)n, m->indptr, m->indices, m->weights, bj, m->potts,
                                   m->wolff) != 0) {
                    failed = 1;
                    break;
                }
                have_g = 1;
                g_bj = bj;
                latp = NULL;
                if (m->lat_d > 0 && isb_lattice_init(&lat, m->lat_d, m->lat_shape, m->lat_periodic,
                                                     m->lat_J, bj, m->potts))
                    latp = &lat;
            }
            for (int64_t c = c0; c < c1; c++) {
                const isb_out o = isb_rec_chain(&a->rec, c, i0);
                int8_t *x = a->states + c * n;
                uint64_t *rng = a->rng + c * a->rng_stride;
                double *st = a->stats + c * a->stats_stride;
                const int r = m->potts
                    ? isb_potts_chain(&g, latp, m->q, m->wolff, m->k_sweep, field, m->h, x, rng, bh,
                                      seg, a->thin, &o, st)
                    : isb_ising_chain(&g, latp, m->wolff, m->k_sweep, field, m->h, x, rng, bh, seg,
                                      a->thin, &o, st);
                failed |= r != 0;
            }
        }
        if (have_g) isb_graph_free(&g);
    }
    return failed ? ISB_ENOMEM : ISB_OK;
}

#endif
