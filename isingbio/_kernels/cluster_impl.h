/* Swendsen-Wang and Wolff cluster updates for Ising and Potts models on CSR graphs.
 *
 * Used by _cluster.pyx; contract in README.md. Everything here works on one chain and uses
 * only that chain's random state (lane 0 of rng.h), so results do not depend on threads.
 *
 * Bonds. Ising: bond (i, j) is satisfied when w_ij s_i s_j > 0 and is then activated with
 * probability 1 - exp(-2 beta_J |w_ij|). Potts (w >= 0): bond active with probability
 * 1 - exp(-beta_J w_ij) when x_i == x_j. Probabilities are 64-bit integer thresholds
 * compared with raw random words (P(active) = thr / 2^64), computed once per call.
 *
 * Swendsen-Wang: union-find (union by size, path halving) over the satisfied bonds, in one
 * pass over the upper-triangle neighbour lists; then every cluster C gets a new state
 * drawn from p(a) ~ exp(beta_h sum_{i in C} h_i(a)), exact for any per-site field.
 * Parent array encoding: parent[i] >= 0 is the parent of i; a root holds -size, and once
 * its new state a is drawn, ISB_LABEL + a.
 *
 * Wolff: seed site chosen uniformly, cluster grown over active bonds (breadth first, stamp
 * marks), flipped (Ising) or recoloured to a uniformly chosen other state b (Potts) with
 * probability min(1, exp(-beta_h dH_h)). A sweep: clusters until their sizes reach N.
 */
#ifndef ISINGBIO_CLUSTER_IMPL_H
#define ISINGBIO_CLUSTER_IMPL_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

#define ISB_LABEL INT32_MIN
#define ISB_MAX_Q 128

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
    int64_t *uptr;              /* upper triangle (j > i): n + 1 offsets */
    int32_t *uidx;              /* neighbours j > i */
    double *uw;                 /* their weights (NULL when uniform) */
    uint64_t *uthr;             /* activation thresholds (NULL when uniform) */
    int8_t *usgn;               /* Ising: sign of w (NULL when uniform or Potts) */
    uint64_t *thr;              /* Wolff, full CSR thresholds (NULL when uniform / not needed) */
    int8_t *sgn;                /* Wolff Ising, full CSR signs */
    int uniform;                /* every weight equal to w0 */
    double w0;
    uint64_t thr0;
    int8_t sgn0;
} isb_graph;

/* floor(p * 2^64), saturated: P(next() < thr) = p up to 2^-53 relative. */
static inline uint64_t isb_threshold(double p) {
    if (!(p > 0.0)) return 0;
    double t = ldexp(p, 64);
    if (t >= 18446744073709551616.0) return UINT64_MAX;
    return (uint64_t)t;
}

static inline uint64_t isb_bond_threshold(double w, double beta_J, int potts) {
    if (potts) return w > 0.0 ? isb_threshold(-expm1(-beta_J * w)) : 0;
    return isb_threshold(-expm1(-2.0 * beta_J * fabs(w)));
}

/* Threshold with a tiny cache of recent distinct weights (lattices have one to three). */
typedef struct { double w[4]; uint64_t t[4]; int used, next; } isb_thr_cache;

static inline uint64_t isb_cached_threshold(isb_thr_cache *c, double w, double beta_J, int potts) {
    for (int k = 0; k < c->used; k++)
        if (c->w[k] == w) return c->t[k];
    uint64_t t = isb_bond_threshold(w, beta_J, potts);
    c->w[c->next] = w;
    c->t[c->next] = t;
    c->next = (c->next + 1) & 3;
    if (c->used < 4) c->used++;
    return t;
}

static void isb_graph_free(isb_graph *g) {
    free(g->uptr); free(g->uidx); free(g->uw); free(g->uthr); free(g->usgn);
    free(g->thr); free(g->sgn);
    g->uptr = NULL; g->uidx = NULL; g->uw = NULL; g->uthr = NULL; g->usgn = NULL;
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
    g->sgn0 = g->w0 > 0 ? 1 : -1;

    g->uptr = (int64_t *)malloc(sizeof(int64_t) * ((size_t)n + 1));
    if (!g->uptr) goto fail;
    for (int32_t i = 0; i < n; i++)
        for (int64_t e = indptr[i]; e < indptr[i + 1]; e++)
            nu += indices[e] > i;
    g->uidx = (int32_t *)malloc(sizeof(int32_t) * (size_t)(nu ? nu : 1));
    if (!g->uidx) goto fail;
    if (!g->uniform) {
        g->uw = (double *)malloc(sizeof(double) * (size_t)(nu ? nu : 1));
        g->uthr = (uint64_t *)malloc(sizeof(uint64_t) * (size_t)(nu ? nu : 1));
        if (!g->uw || !g->uthr) goto fail;
        if (!potts) {
            g->usgn = (int8_t *)malloc((size_t)(nu ? nu : 1));
            if (!g->usgn) goto fail;
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
        g->uptr[i] = u;
        for (int64_t e = indptr[i]; e < indptr[i + 1]; e++) {
            int32_t j = indices[e];
            if (!g->uniform) {
                double w = weights[e];
                uint64_t t = isb_cached_threshold(&cache, w, beta_J, potts);
                if (g->thr) g->thr[e] = t;
                if (g->sgn) g->sgn[e] = w > 0 ? 1 : -1;
                if (j > i) {
                    g->uw[u] = w;
                    g->uthr[u] = t;
                    if (g->usgn) g->usgn[u] = w > 0 ? 1 : -1;
                }
            }
            if (j > i) g->uidx[u++] = j;
        }
    }
    g->uptr[n] = u;
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

/* ------------------------------------------------------------------------------------ */
/* Union-find                                                                            */
/* ------------------------------------------------------------------------------------ */
static inline int32_t isb_find(int32_t *restrict par, int32_t x) {
    int32_t p = par[x];
    while (p >= 0) {
        int32_t gp = par[p];
        if (gp < 0) return p;
        par[x] = gp;        /* path halving */
        x = gp;
        p = par[x];
    }
    return x;
}

static inline void isb_union(int32_t *restrict par, int32_t a, int32_t b) {
    a = isb_find(par, a);
    b = isb_find(par, b);
    if (a == b) return;
    if (par[a] > par[b]) { int32_t t = a; a = b; b = t; }   /* a: the larger tree */
    par[a] += par[b];
    par[b] = a;
}

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
/* Records                                                                               */
/* ------------------------------------------------------------------------------------ */
static void isb_ising_record(const isb_graph *g, const double *h, const int8_t *s,
                             double *ec, double *ef, double *mag) {
    const int32_t n = g->n;
    double e = 0.0, f = 0.0;
    int64_t m = 0;
    if (g->uniform) {
        int64_t t = 0;
        for (int32_t i = 0; i < n; i++) {
            int32_t acc = 0;
            for (int64_t k = g->uptr[i]; k < g->uptr[i + 1]; k++) acc += s[g->uidx[k]];
            t += (int64_t)s[i] * acc;
        }
        e = -g->w0 * (double)t;
    } else {
        for (int32_t i = 0; i < n; i++) {
            double acc = 0.0;
            for (int64_t k = g->uptr[i]; k < g->uptr[i + 1]; k++) acc += g->uw[k] * s[g->uidx[k]];
            e -= s[i] * acc;
        }
    }
    for (int32_t i = 0; i < n; i++) { f -= h[i] * s[i]; m += s[i]; }
    *ec = e;
    *ef = f;
    *mag = (double)m / n;
}

static void isb_potts_record(const isb_graph *g, int q, const double *h, const int8_t *x,
                             double *ec, double *ef, double *mag) {
    const int32_t n = g->n;
    double e = 0.0, f = 0.0;
    int64_t counts[ISB_MAX_Q];
    for (int a = 0; a < q; a++) counts[a] = 0;
    if (g->uniform) {
        int64_t t = 0;
        for (int32_t i = 0; i < n; i++)
            for (int64_t k = g->uptr[i]; k < g->uptr[i + 1]; k++) t += x[g->uidx[k]] == x[i];
        e = -g->w0 * (double)t;
    } else {
        for (int32_t i = 0; i < n; i++)
            for (int64_t k = g->uptr[i]; k < g->uptr[i + 1]; k++)
                if (x[g->uidx[k]] == x[i]) e -= g->uw[k];
    }
    for (int32_t i = 0; i < n; i++) { f -= h[(int64_t)i * q + x[i]]; counts[x[i]]++; }
    int64_t cmax = 0;
    for (int a = 0; a < q; a++) if (counts[a] > cmax) cmax = counts[a];
    *ec = e;
    *ef = f;
    *mag = ((double)q * (double)cmax / n - 1.0) / (q - 1);
}

/* ------------------------------------------------------------------------------------ */
/* Swendsen-Wang                                                                         */
/* ------------------------------------------------------------------------------------ */

/* Scratch: par (n int32), fsum (n double, per-site field only). Returns clusters built. */
static int64_t isb_ising_sw_sweep(const isb_graph *g, int field, const double *h, double beta_h,
                                  int8_t *restrict s, uint64_t *rng, int32_t *restrict par,
                                  double *restrict fsum, const uint64_t *restrict up_thr,
                                  int32_t n_up_thr) {
    const int32_t n = g->n;
    const int64_t *restrict uptr = g->uptr;
    const int32_t *restrict uidx = g->uidx;
    int64_t ncl = 0;
    memset(par, 0xff, sizeof(int32_t) * (size_t)n);   /* every site a root of size 1 */

    if (g->uniform) {
        const uint64_t thr = g->thr0;
        const int8_t sg = g->sgn0;
        if (thr) {
            for (int32_t i = 0; i < n; i++) {
                const int8_t want = (int8_t)(sg * s[i]);
                for (int64_t k = uptr[i]; k < uptr[i + 1]; k++) {
                    const int32_t j = uidx[k];
                    if (s[j] == want && isb_next(rng) < thr) isb_union(par, i, j);
                }
            }
        }
    } else {
        const uint64_t *restrict uthr = g->uthr;
        const int8_t *restrict usgn = g->usgn;
        for (int32_t i = 0; i < n; i++) {
            const int8_t si = s[i];
            for (int64_t k = uptr[i]; k < uptr[i + 1]; k++) {
                const int32_t j = uidx[k];
                if (s[j] == (int8_t)(usgn[k] * si) && isb_next(rng) < uthr[k]) isb_union(par, i, j);
            }
        }
    }

    if (field == ISB_FIELD_SITE) {
        for (int32_t i = 0; i < n; i++) fsum[i] = 0.0;
        for (int32_t i = 0; i < n; i++) {
            int32_t r = isb_find(par, i);
            if (r != i) par[i] = r;
            fsum[r] += h[i];
        }
        for (int32_t i = 0; i < n; i++) {
            int32_t r = par[i] < 0 ? i : par[i];
            int32_t v = par[r];
            if (v >= -n) {
                /* P(+1) = 1 / (1 + exp(-2 beta_h sum h)) */
                double p = 1.0 / (1.0 + exp(-2.0 * beta_h * fsum[r]));
                v = ISB_LABEL + (isb_uniform(rng) < p);
                par[r] = v;
                ncl++;
            }
            s[i] = v == ISB_LABEL ? -1 : 1;
        }
    } else {
        uint64_t bits = 0;
        int nbits = 0;
        const double hb = field == ISB_FIELD_UNIFORM ? h[0] * beta_h : 0.0;
        for (int32_t i = 0; i < n; i++) {
            int32_t r = isb_find(par, i);
            int32_t v = par[r];
            if (v >= -n) {
                int up;
                if (field == ISB_FIELD_ZERO) {
                    if (nbits == 0) { bits = isb_next(rng); nbits = 64; }
                    up = (int)(bits & 1);
                    bits >>= 1;
                    nbits--;
                } else {
                    int32_t size = -v;
                    uint64_t t;
                    if (size < n_up_thr) t = up_thr[size];
                    else t = isb_threshold(1.0 / (1.0 + exp(-2.0 * hb * size)));
                    up = isb_next(rng) < t;
                }
                v = ISB_LABEL + up;
                par[r] = v;
                ncl++;
            }
            if (r != i) par[i] = r;
            s[i] = v == ISB_LABEL ? -1 : 1;
        }
    }
    return ncl;
}

/* Scratch: par, off, mem (n int32 each; off and mem for per-site fields only). */
static int64_t isb_potts_sw_sweep(const isb_graph *g, int q, int field, const double *h,
                                  double beta_h, int8_t *restrict x, uint64_t *rng,
                                  int32_t *restrict par, int32_t *restrict off,
                                  int32_t *restrict mem) {
    const int32_t n = g->n;
    const int64_t *restrict uptr = g->uptr;
    const int32_t *restrict uidx = g->uidx;
    int64_t ncl = 0;
    double buf[ISB_MAX_Q];
    memset(par, 0xff, sizeof(int32_t) * (size_t)n);

    if (g->uniform) {
        const uint64_t thr = g->thr0;
        if (thr) {
            for (int32_t i = 0; i < n; i++) {
                const int8_t xi = x[i];
                for (int64_t k = uptr[i]; k < uptr[i + 1]; k++) {
                    const int32_t j = uidx[k];
                    if (x[j] == xi && isb_next(rng) < thr) isb_union(par, i, j);
                }
            }
        }
    } else {
        const uint64_t *restrict uthr = g->uthr;
        for (int32_t i = 0; i < n; i++) {
            const int8_t xi = x[i];
            for (int64_t k = uptr[i]; k < uptr[i + 1]; k++) {
                const int32_t j = uidx[k];
                if (x[j] == xi && uthr[k] && isb_next(rng) < uthr[k]) isb_union(par, i, j);
            }
        }
    }

    if (field == ISB_FIELD_SITE) {
        /* group the sites of each cluster (counting sort by root), then recolour */
        for (int32_t i = 0; i < n; i++) {
            int32_t r = isb_find(par, i);
            if (r != i) par[i] = r;
        }
        int32_t pos = 0;
        for (int32_t r = 0; r < n; r++)
            if (par[r] < 0) { off[r] = pos; pos += -par[r]; }
        for (int32_t i = 0; i < n; i++) {
            int32_t r = par[i] < 0 ? i : par[i];
            mem[off[r]++] = i;
        }
        for (int32_t r = 0; r < n; r++) {
            if (par[r] >= 0) continue;
            int32_t end = off[r], start = end + par[r];
            for (int a = 0; a < q; a++) buf[a] = 0.0;
            for (int32_t k = start; k < end; k++) {
                const double *hi = h + (int64_t)mem[k] * q;
                for (int a = 0; a < q; a++) buf[a] += hi[a];
            }
            for (int a = 0; a < q; a++) buf[a] *= beta_h;
            int8_t b = (int8_t)isb_draw_softmax(rng, buf, q);
            for (int32_t k = start; k < end; k++) x[mem[k]] = b;
            ncl++;
        }
    } else {
        for (int32_t i = 0; i < n; i++) {
            int32_t r = isb_find(par, i);
            int32_t v = par[r];
            if (v >= -n) {
                int b;
                if (field == ISB_FIELD_ZERO) {
                    b = (int)isb_bounded(rng, (uint64_t)q);
                } else {
                    double size = (double)(-v);
                    for (int a = 0; a < q; a++) buf[a] = beta_h * size * h[a];
                    b = isb_draw_softmax(rng, buf, q);
                }
                v = ISB_LABEL + b;
                par[r] = v;
                ncl++;
            }
            if (r != i) par[i] = r;
            x[i] = (int8_t)(v - ISB_LABEL);
        }
    }
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

/* One Wolff sweep; adds to st[0..4). */
static void isb_ising_wolff_sweep(const isb_graph *g, int field, const double *h, double beta_h,
                                  int8_t *restrict s, uint64_t *rng, isb_wolff_scratch *w,
                                  double *st) {
    const int32_t n = g->n;
    const int64_t *restrict indptr = g->indptr;
    const int32_t *restrict indices = g->indices;
    int32_t *restrict mem = w->mem;
    uint32_t *restrict mark = w->mark;
    int64_t built = 0;
    while (built < n) {
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
        built += top;
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
    }
}

static void isb_potts_wolff_sweep(const isb_graph *g, int q, int field, const double *h,
                                  double beta_h, int8_t *restrict x, uint64_t *rng,
                                  isb_wolff_scratch *w, double *st) {
    const int32_t n = g->n;
    const int64_t *restrict indptr = g->indptr;
    const int32_t *restrict indices = g->indices;
    int32_t *restrict mem = w->mem;
    uint32_t *restrict mark = w->mark;
    int64_t built = 0;
    while (built < n) {
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
        built += top;
        st[0] += 1.0;
        st[2] += 1.0;
        st[3] += top;
        int accept = 1;
        if (field != ISB_FIELD_ZERO) {
            /* dH_h = -sum_C (h_i(b) - h_i(a)) */
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
            double d = beta_h * dh;
            accept = d <= 0.0 || isb_uniform(rng) < exp(-d);
        }
        if (accept) {
            for (int32_t k = 0; k < top; k++) x[mem[k]] = b;
            st[1] += 1.0;
        }
    }
}

/* ------------------------------------------------------------------------------------ */
/* Chains: all records of one chain. Return 0, or -1 when out of memory.                 */
/* ------------------------------------------------------------------------------------ */
#define ISB_UP_TABLE 1024

static int isb_ising_chain(const isb_graph *g, int wolff, int field, const double *h,
                           int8_t *s, uint64_t *rng, double beta_h, int64_t n_records,
                           int64_t thin, double *ec, double *ef, double *mag, double *st) {
    const int32_t n = g->n;
    if (wolff) {
        isb_wolff_scratch w;
        w.mem = (int32_t *)malloc(sizeof(int32_t) * (size_t)n);
        w.mark = (uint32_t *)calloc((size_t)n, sizeof(uint32_t));
        w.stamp = 0;
        if (!w.mem || !w.mark) { free(w.mem); free(w.mark); return -1; }
        for (int64_t r = 0; r < n_records; r++) {
            for (int64_t t = 0; t < thin; t++)
                isb_ising_wolff_sweep(g, field, h, beta_h, s, rng, &w, st);
            isb_ising_record(g, h, s, ec + r, ef + r, mag + r);
        }
        free(w.mem);
        free(w.mark);
        return 0;
    }
    int32_t *par = (int32_t *)malloc(sizeof(int32_t) * (size_t)n);
    double *fsum = field == ISB_FIELD_SITE ? (double *)malloc(sizeof(double) * (size_t)n) : NULL;
    uint64_t up_thr[ISB_UP_TABLE];
    if (!par || (field == ISB_FIELD_SITE && !fsum)) { free(par); free(fsum); return -1; }
    if (field == ISB_FIELD_UNIFORM) {
        /* P(cluster of size k goes to +1) = 1 / (1 + exp(-2 beta_h h k)) */
        for (int k = 0; k < ISB_UP_TABLE; k++)
            up_thr[k] = isb_threshold(1.0 / (1.0 + exp(-2.0 * beta_h * h[0] * k)));
    }
    for (int64_t r = 0; r < n_records; r++) {
        for (int64_t t = 0; t < thin; t++) {
            int64_t ncl = isb_ising_sw_sweep(g, field, h, beta_h, s, rng, par, fsum, up_thr,
                                             ISB_UP_TABLE);
            st[2] += (double)ncl;
            st[3] += (double)n;
        }
        isb_ising_record(g, h, s, ec + r, ef + r, mag + r);
    }
    free(par);
    free(fsum);
    return 0;
}

static int isb_potts_chain(const isb_graph *g, int q, int wolff, int field, const double *h,
                           int8_t *x, uint64_t *rng, double beta_h, int64_t n_records,
                           int64_t thin, double *ec, double *ef, double *mag, double *st) {
    const int32_t n = g->n;
    if (wolff) {
        isb_wolff_scratch w;
        w.mem = (int32_t *)malloc(sizeof(int32_t) * (size_t)n);
        w.mark = (uint32_t *)calloc((size_t)n, sizeof(uint32_t));
        w.stamp = 0;
        if (!w.mem || !w.mark) { free(w.mem); free(w.mark); return -1; }
        for (int64_t r = 0; r < n_records; r++) {
            for (int64_t t = 0; t < thin; t++)
                isb_potts_wolff_sweep(g, q, field, h, beta_h, x, rng, &w, st);
            isb_potts_record(g, q, h, x, ec + r, ef + r, mag + r);
        }
        free(w.mem);
        free(w.mark);
        return 0;
    }
    int32_t *par = (int32_t *)malloc(sizeof(int32_t) * (size_t)n);
    int32_t *off = NULL, *mem = NULL;
    if (field == ISB_FIELD_SITE) {
        off = (int32_t *)malloc(sizeof(int32_t) * (size_t)n);
        mem = (int32_t *)malloc(sizeof(int32_t) * (size_t)n);
    }
    if (!par || (field == ISB_FIELD_SITE && (!off || !mem))) {
        free(par); free(off); free(mem);
        return -1;
    }
    for (int64_t r = 0; r < n_records; r++) {
        for (int64_t t = 0; t < thin; t++) {
            int64_t ncl = isb_potts_sw_sweep(g, q, field, h, beta_h, x, rng, par, off, mem);
            st[2] += (double)ncl;
            st[3] += (double)n;
        }
        isb_potts_record(g, q, h, x, ec + r, ef + r, mag + r);
    }
    free(par); free(off); free(mem);
    return 0;
}

#endif
