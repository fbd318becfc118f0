/* Parallel tempering (replica exchange): many chains, each at the beta of the rung it occupies,
 * neighbour swaps with the Metropolis criterion, all in one OpenMP region per call.
 *
 * Used by _tempering.pyx. A call runs n_sweeps sweeps of R independent runs of K replicas
 * (chain c = r K + j is replica j of run r). Between swap rounds the threads advance the chains
 * in parallel, each at betas[rung of c] (tp_advance: the per-form step, one sweep of one chain);
 * a swap round (every swap_every sweeps, counted on the persistent clock) is done by one thread
 * per call from the swap stream of each run (swap_rng[r]), even pairs (0,1),(2,3).. on even
 * rounds and odd pairs on odd rounds. Swaps exchange the rungs of two replicas (their betas),
 * never their states. Every state a call needs to continue (energies, caches, replica labels,
 * clock, round-trip labels) lives in the caller's arrays, so how a run is split into calls
 * does not change a bit, nor does the number of threads (each chain draws only from its own
 * rng row; swaps from their own stream).
 *
 * Forms (TP_*): graph Ising (CSR, double local fields as graph_impl.h's general path; with
 * every |J_ij| equal and a uniform field: integer local fields and per-rung threshold tables,
 * the +-J spin glass path), graph Potts (graph_impl.h's own sweeps: its table path with one
 * table per rung, built once per call, when the weights and the field are uniform, else its
 * general path), dense Potts (cache of local fields F[k, a] kept
 * across calls, dense_impl.h's row updates). Lattices come here as graphs (per-site fields,
 * Potts q without a replica-engine table; the others: tempering_ext.h). Energies are tracked
 * incrementally from one evaluation when the chains are (re)initialised (init = 1).
 *
 * Two ways to advance the chains between swap rounds (tp_run_all): one chain at a time
 * (tp_advance, per form), or all chains at once in SIMD lanes (tp_vec_sweep: +-J Ising graphs
 * without a field, states kept site-major for the call). tempering_ext.h adds the lattice
 * replica engine and cluster moves, with this file's swap rounds and records.
 */
#ifndef ISINGBIO_TEMPERING_IMPL_H
#define ISINGBIO_TEMPERING_IMPL_H

#include "isb_core.h"
#include "rng.h"
#include "dense_impl.h"
#include "graph_impl.h"

#define TP_GRAPH_ISING 0
#define TP_GRAPH_POTTS 1
#define TP_DENSE 2
#define TP_MAX_DEG 64   /* +-J path: degree limit */
#define TP_BLK 256   /* random words per block in the +-J path (all 8 lanes, as graph_impl.h) */

typedef struct {
    int kind, heatbath;
    int64_t n, q;
    const int64_t *indptr;
    const int32_t *indices;
    const double *w;
    const double *h;            /* Ising: n; Potts: n * q */
    const void *J;              /* dense: (n, n, q, q) C order */
    int j_float;
    /* +-J path (graph Ising, every |w| = w0 > 0, h uniform = h0, degree <= TP_MAX_DEG) */
    int pm, degmax, regular;    /* regular: every row has this many entries (else 0) */
    double w0, h0;
    int8_t *sgn;                /* sign of each CSR entry */
    int32_t *lidx;              /* indices with the entries i - 1 of row i set to i */
    int8_t *lc;                 /* sum of the signs of those entries */
    /* graph Potts (set by tp_run_all): the graph as graph_impl.h sees it; ph: a nonzero field */
    isb_g_model gm;
    int ph;
} tp_model;

typedef struct {
    int64_t R, K;
    const double *betas;        /* K, increasing */
    int8_t *states;             /* R K n */
    uint64_t *rng;              /* R K x 32 */
    uint64_t *swap_rng;         /* R x 32 */
    double *e_j, *e_h;          /* R K */
    double *cache;              /* dense: R K n q */
    int64_t *rep_at;            /* R K: replica (0..K-1) at rung k of run r */
    int8_t *dir;                /* R K per replica: 0 none, 1 last end visited rung 0, 2 rung K-1 */
    int64_t *trip_start;        /* R K per replica: clock when it last left rung 0 for a trip */
    int64_t *clock;             /* [0] sweeps done, [1] swap rounds done */
    int64_t *swaps;             /* (K - 1) x 2: attempted, accepted (all runs) */
    int64_t *trips;             /* R: completed round trips */
    double *trip_time;          /* R: their summed durations in sweeps */
    int64_t *flow;              /* K x 2: replicas seen at rung k with dir 1, dir 2 */
    int64_t n_sweeps, swap_every, thin;
    double *energy, *mag;       /* (R, K, rec_stride) or NULL: records from rec_offset */
    double *overlap;            /* (R (R - 1) / 2, K, rec_stride) or NULL */
    int8_t *states_out;         /* (R, K, rec_stride, n) or NULL: the state at each record */
    int64_t rec_stride, rec_offset;
    int init, n_threads;
} tp_run;

/* ---- one sweep of one chain, per form --------------------------------------------------- */

/* Graph Ising, double local fields (graph_impl.h's general path, energies incremental). */
static void tp_ising_general(const tp_model *g, int8_t *restrict s, uint64_t *rng, double beta,
                             double *ej, double *eh) {
    const int64_t n = g->n;
    const int64_t *restrict indptr = g->indptr;
    const int32_t *restrict indices = g->indices;
    const double *restrict wt = g->w;
    const double *restrict h = g->h;
    uint64_t w[ISB_RNG_WORDS];
    memcpy(w, rng, sizeof(w));
    double e_j = *ej, e_h = *eh;
    for (int64_t i = 0; i < n; i++) {
        double f = 0.0;
        for (int64_t p = indptr[i]; p < indptr[i + 1]; p++) f += wt[p] * s[indices[p]];
        const int8_t si = s[i];
        const double x = beta * (f + h[i]);
        int flip;
        if (g->heatbath) {
            const double u = isb_uniform(w);
            flip = (u * (1.0 + exp(-2.0 * x)) < 1.0) != (si > 0);
        } else {
            const double de = 2.0 * si * x;
            if (fabs(de) <= ISB_TIE) {
                flip = (int)(isb_next(w) >> 63);
            } else if (de <= 0.0) {
                flip = 1;
            } else {
                const double u = isb_uniform(w);
                flip = u < 1.0 - de || (u * (1.0 + de) < 1.0 && u < exp(-de));
            }
        }
        if (flip) {
            s[i] = (int8_t)(-si);
            e_j += 2.0 * si * f;
            e_h += 2.0 * si * h[i];
        }
    }
    *ej = e_j;
    *eh = e_h;
    memcpy(rng, w, sizeof(w));
}

/* The thresholds of the +-J path at one beta: tab[(s_i > 0) (2d + 1) + k + d] (Metropolis) or
 * tab[k + d] (heat-bath, P(s_i = +1)), k = sum_j sign_ij s_j; events "u <= t" as graph_impl.h. */
static void tp_pm_table(const tp_model *g, double beta, uint64_t *tab) {
    const int d = g->degmax, nd = 2 * d + 1;
    for (int k = -d; k <= d; k++) {
        const double x = beta * (g->w0 * k + g->h0);
        for (int sp = 0; sp < 2; sp++) {
            const double de = 2.0 * (sp ? 1.0 : -1.0) * x;
            const double p = g->heatbath ? 1.0 / (1.0 + exp(-2.0 * x))
                                         : (fabs(de) <= ISB_TIE ? 0.5 : (de <= 0.0 ? 1.0 : exp(-de)));
            const uint64_t t = p >= 1.0 ? UINT64_MAX : isb_thr64(p);
            tab[sp * nd + k + d] = t == UINT64_MAX || t == 0 ? t : t - 1;
        }
    }
}

/* Graph Ising, +-J path: integer local fields k = sum_j sign_ij s_j, one random word per site
 * (blocks of 8 lanes). The spin of site i - 1, just written, is kept in a register (prev): the
 * lists lidx have s[i] stand in for it (lc[i] = sum of the signs of the entries i - 1 of row i),
 * both outcomes are decided and prev picks one, so no update waits for the previous store
 * (graph_impl.h's ISB_G_NEIGHBOUR_SUMS with signs). DEG > 0: every row has DEG entries. */
ISB_INLINE void tp_ising_pm_sweep(const tp_model *g, int8_t *restrict s, uint64_t *restrict w,
                                  const uint64_t *restrict tab, int64_t *dbp, int64_t *dmp,
                                  const int DEG) {
    const int64_t n = g->n;
    const int64_t *restrict indptr = g->indptr;
    const int32_t *restrict lidx = g->lidx;
    const int8_t *restrict sg = g->sgn;
    const int8_t *restrict lc = g->lc;
    const int d = g->degmax, nd = 2 * d + 1, hb = g->heatbath;
    uint64_t ubuf[TP_BLK];
    int64_t db = 0, dm = 0;   /* change of sum_{i<j} sign s_i s_j, of sum s_i */
    int32_t prev = 1;
    for (int64_t i0 = 0; i0 < n; i0 += TP_BLK) {
        const int64_t nb = n - i0 < TP_BLK ? n - i0 : TP_BLK;
        isb_fill8(w, ubuf, (nb + 7) >> 3);
        for (int64_t i = i0; i < i0 + nb; i++) {
            int32_t k = 0;
            if (DEG > 0) {
                const int32_t *restrict nb_ = lidx + (int64_t)DEG * i;
                const int8_t *restrict sg_ = sg + (int64_t)DEG * i;
                for (int p = 0; p < DEG; p++) k += sg_[p] * s[nb_[p]];
            } else {
                for (int64_t p = indptr[i]; p < indptr[i + 1]; p++) k += sg[p] * s[lidx[p]];
            }
            const int32_t si = s[i], c = lc[i];
            k -= c * si;                       /* k without site i - 1 */
            const int32_t kp = k + c, km = k - c;
            const uint64_t u = ubuf[i - i0];
            int32_t sn, kk = prev > 0 ? kp : km;
            if (hb) {
                const int32_t ep = u <= tab[kp + d], em = u <= tab[km + d];
                sn = 2 * (prev > 0 ? ep : em) - 1;
            } else {
                const uint64_t *restrict ts = tab + (si > 0) * nd + d;
                const int32_t ep = u <= ts[kp], em = u <= ts[km];
                sn = si * (1 - 2 * (prev > 0 ? ep : em));
            }
            s[i] = (int8_t)sn;
            prev = sn;
            const int32_t ch = sn != si;
            db += ch * sn * kk;   /* s_i k changes by 2 sn k */
            dm += ch * sn;
        }
    }
    *dbp = db;
    *dmp = dm;
}

static void tp_ising_pm(const tp_model *g, int8_t *restrict s, uint64_t *rng,
                        const uint64_t *restrict tab, double *ej, double *eh) {
    uint64_t w[ISB_RNG_WORDS];
    memcpy(w, rng, sizeof(w));
    int64_t db, dm;
    if (g->regular == 6) tp_ising_pm_sweep(g, s, w, tab, &db, &dm, 6);
    else if (g->regular == 4) tp_ising_pm_sweep(g, s, w, tab, &db, &dm, 4);
    else tp_ising_pm_sweep(g, s, w, tab, &db, &dm, 0);
    *ej -= g->w0 * (double)(2 * db);
    *eh -= g->h0 * (double)(2 * dm);
    memcpy(rng, w, sizeof(w));
}

/* The lists of the +-J path: sgn, lidx (entries i - 1 of row i point to i), lc, regular.
 * Returns ISB_OK or ISB_ENOMEM. */
static int tp_pm_lists(tp_model *g) {
    const int64_t n = g->n, nnz = g->indptr[n];
    g->sgn = (int8_t *)malloc((size_t)(nnz ? nnz : 1));
    g->lidx = (int32_t *)malloc(sizeof(int32_t) * (size_t)(nnz ? nnz : 1));
    g->lc = (int8_t *)malloc((size_t)(n ? n : 1));
    if (!g->sgn || !g->lidx || !g->lc) return ISB_ENOMEM;
    g->regular = g->degmax;
    for (int64_t i = 0; i <= n && g->regular; i++)
        if (g->indptr[i] != (int64_t)g->regular * i) g->regular = 0;
    for (int64_t i = 0; i < n; i++) {
        int32_t c = 0;
        for (int64_t p = g->indptr[i]; p < g->indptr[i + 1]; p++) {
            g->sgn[p] = g->w[p] > 0 ? 1 : -1;
            const int hit = g->indices[p] == i - 1;
            g->lidx[p] = hit ? (int32_t)i : g->indices[p];
            c += hit * g->sgn[p];
        }
        g->lc[i] = (int8_t)c;
    }
    return ISB_OK;
}

static void tp_pm_free(tp_model *g) {
    free(g->sgn); free(g->lidx); free(g->lc);
    g->sgn = NULL; g->lidx = NULL; g->lc = NULL;
}

/* Graph Potts: graph_impl.h's paths, the rung's table (tab: isb_g_potts_table_build at
 * beta_J = beta_h = beta) when the model has uniform weights and field and the rung takes one,
 * else double local fields; g->gm is the graph as graph_impl.h sees it (tp_potts_setup). */
static void tp_potts(const tp_model *g, int8_t *restrict x, uint64_t *rng, double beta,
                     const void *tab, double *ej, double *eh) {
    const int q = (int)g->q;
    uint64_t w[ISB_RNG_WORDS];
    int64_t acc = 0;
    memcpy(w, rng, sizeof(w));
    if (tab) {
        *ej -= g->gm.w0 * (double)isb_g_potts_table_sweeps(&g->gm, q, x, w, 1, g->heatbath, tab, &acc);
        if (g->ph) {   /* a nonzero field row: e_h from the state counts */
            int64_t counts[ISB_MAX_Q];
            double e_h = 0.0;
            for (int a = 0; a < q; a++) counts[a] = 0;
            for (int64_t i = 0; i < g->n; i++) counts[x[i]]++;
            for (int a = 0; a < q; a++) e_h -= (double)counts[a] * g->h[a];
            *eh = e_h;
        }
    } else {
        (void)isb_g_potts_general_sweeps(&g->gm, q, g->h, x, w, beta, beta, 1, g->heatbath, ej, eh);
    }
    memcpy(rng, w, sizeof(w));
}

/* The Potts tables of a call, one per rung (NULL where a rung takes the general path), chosen
 * from the model, the ladder and fast alone. *block: their storage (free it). Returns ISB_OK
 * or ISB_ENOMEM. */
static int tp_potts_setup(tp_model *g, const tp_run *a, int fast, const void **ptab, char **block) {
    const int q = (int)g->q;
    *block = NULL;
    for (int64_t k = 0; k < a->K; k++) ptab[k] = NULL;
    isb_g_model_init(&g->gm, g->n, g->indptr, g->indices, g->w);
    g->ph = 0;
    for (int a_ = 0; a_ < q; a_++) g->ph |= g->h[a_] != 0.0;
    if (!fast || !g->gm.uniform || !isb_g_uniform_field(g->h, g->n, q)) return ISB_OK;
    const size_t tb = isb_g_potts_table_bytes(&g->gm, q, g->heatbath);
    *block = (char *)calloc((size_t)a->K, tb);   /* zeroed: rows never built */
    if (!*block) return ISB_ENOMEM;
    for (int64_t k = 0; k < a->K; k++) {
        const double b = a->betas[k];
        if (!isb_g_potts_table_ok(&g->gm, q, g->h, b, b, g->heatbath)) continue;
        ptab[k] = *block + tb * (size_t)k;
        isb_g_potts_table_build(&g->gm, q, g->h, b, b, g->heatbath, *block + tb * (size_t)k);
    }
    return ISB_OK;
}

/* Dense Potts: F[k, a] = sum_j J[j, k, x_j, a] kept across calls (double). */
#define TP_DENSE_SWEEP(NAME, T, MOVE)                                                          \
static void NAME(const tp_model *g, int8_t *restrict x, uint64_t *rng, double beta,           \
                 double *ej, double *eh, double *restrict F) {                                \
    const ptrdiff_t n = g->n, q = g->q, nqq = n * q * q;                                      \
    const T *restrict J = (const T *)g->J;                                                    \
    const double *restrict h = g->h;                                                          \
    double cum[ISB_MAX_Q];                                                                    \
    double e_j = *ej, e_h = *eh;                                                              \
    for (ptrdiff_t i = 0; i < n; i++) {                                                       \
        const double *hi = h + i * q;                                                         \
        double *Fi = F + i * q;                                                               \
        const ptrdiff_t old = x[i];                                                           \
        ptrdiff_t b;                                                                          \
        if (g->heatbath) {                                                                    \
            for (ptrdiff_t a = 0; a < q; a++) cum[a] = beta * (Fi[a] + hi[a]);                \
            const double tot = isb_dense_softmax_cum(cum, q);                                 \
            const double u = isb_uniform(rng) * tot;                                          \
            b = 0;                                                                            \
            while (b < q - 1 && cum[b] <= u) b += 1;                                          \
            if (b == old) continue;                                                           \
        } else {                                                                              \
            b = (ptrdiff_t)isb_bounded(rng, (uint64_t)(q - 1));                               \
            if (b >= old) b += 1;                                                             \
            const double d = -beta * ((Fi[b] - Fi[old]) + (hi[b] - hi[old]));                 \
            if (q == 2 && isb_is_tie(d)) {                                                    \
                if (!(isb_uniform(rng) < 0.5)) continue;                                      \
            } else if (d > 0.0 && !(isb_uniform(rng) < exp(-d))) {                            \
                continue;                                                                     \
            }                                                                                 \
        }                                                                                     \
        e_j -= Fi[b] - Fi[old];                                                               \
        e_h -= hi[b] - hi[old];                                                               \
        MOVE(F, J + i * nqq + b * q, J + i * nqq + old * q, n, q, q * q);                     \
        x[i] = (int8_t)b;                                                                     \
    }                                                                                         \
    *ej = e_j;                                                                                \
    *eh = e_h;                                                                                \
}
TP_DENSE_SWEEP(tp_dense_sweep_d, double, isb_dense_move_d)
TP_DENSE_SWEEP(tp_dense_sweep_f, float, isb_dense_move_f)

/* Energies (and the dense cache) of chain x from scratch. */
static void tp_init_chain(const tp_model *g, const int8_t *x, double *ej, double *eh, double *F) {
    const int64_t n = g->n, q = g->q;
    double e_j = 0.0, e_h = 0.0;
    if (g->kind == TP_GRAPH_ISING) {
        for (int64_t i = 0; i < n; i++) {
            double f = 0.0;
            for (int64_t p = g->indptr[i]; p < g->indptr[i + 1]; p++) f += g->w[p] * x[g->indices[p]];
            e_j -= 0.5 * x[i] * f;
            e_h -= g->h[i] * x[i];
        }
    } else if (g->kind == TP_GRAPH_POTTS) {
        for (int64_t i = 0; i < n; i++) {
            double fa = 0.0;
            for (int64_t p = g->indptr[i]; p < g->indptr[i + 1]; p++)
                if (x[g->indices[p]] == x[i]) fa += g->w[p];
            e_j -= 0.5 * fa;
            e_h -= g->h[i * q + x[i]];
        }
    } else {
        const int64_t nqq = n * q * q;
        for (int64_t a = 0; a < n * q; a++) F[a] = 0.0;
        for (int64_t i = 0; i < n; i++) {
            if (g->j_float) isb_dense_add_f(F, (const float *)g->J + i * nqq + x[i] * q, n, q, q * q);
            else isb_dense_add_d(F, (const double *)g->J + i * nqq + x[i] * q, n, q, q * q);
        }
        for (int64_t i = 0; i < n; i++) {
            double d = 0.0;
            for (int64_t j = 0; j < n; j++) {
                const int64_t at = i * nqq + j * q * q + x[i] * q + x[j];
                d += g->j_float ? (double)((const float *)g->J)[at] : ((const double *)g->J)[at];
            }
            e_j -= 0.5 * d;
            e_h -= g->h[i * q + x[i]];
        }
    }
    *ej = e_j;
    *eh = e_h;
}

/* Ising: mean spin; Potts: (q max_a n_a / n - 1) / (q - 1). */
static double tp_order(const tp_model *g, const int8_t *x) {
    const int64_t n = g->n;
    if (g->kind == TP_GRAPH_ISING) {
        int64_t m = 0;
        for (int64_t i = 0; i < n; i++) m += x[i];
        return (double)m / (double)n;
    }
    int64_t counts[ISB_MAX_Q];
    for (int a = 0; a < g->q; a++) counts[a] = 0;
    for (int64_t i = 0; i < n; i++) counts[x[i]]++;
    return isb_potts_order(counts, (int)g->q, n);
}

/* Overlap of two states: Ising (1/n) sum s_i t_i; Potts mean of (q delta(x_i, y_i) - 1) / (q - 1). */
static double tp_overlap(const tp_model *g, const int8_t *x, const int8_t *y) {
    const int64_t n = g->n;
    int64_t acc = 0;
    if (g->kind == TP_GRAPH_ISING) {
        for (int64_t i = 0; i < n; i++) acc += x[i] * y[i];
        return (double)acc / (double)n;
    }
    for (int64_t i = 0; i < n; i++) acc += x[i] == y[i];
    const double q = (double)g->q;
    return (q * (double)acc / (double)n - 1.0) / (q - 1.0);
}

/* The per-form step: one sweep of chain c at beta (tab: its rung's +-J table). */
static inline void tp_advance(const tp_model *g, const tp_run *a, int64_t c, double beta,
                              const void *tab) {
    int8_t *x = a->states + c * g->n;
    uint64_t *rng = a->rng + c * ISB_RNG_WORDS;
    double *ej = a->e_j + c, *eh = a->e_h + c;
    if (g->kind == TP_GRAPH_ISING) {
        if (g->pm) tp_ising_pm(g, x, rng, tab, ej, eh);
        else tp_ising_general(g, x, rng, beta, ej, eh);
    } else if (g->kind == TP_GRAPH_POTTS) {
        tp_potts(g, x, rng, beta, tab, ej, eh);
    } else {
        double *F = a->cache + c * g->n * g->q;
        if (g->j_float) tp_dense_sweep_f(g, x, rng, beta, ej, eh, F);
        else tp_dense_sweep_d(g, x, rng, beta, ej, eh, F);
    }
}

/* One swap round of run r (parity: which pairs), then the round-trip labels and the flow. */
static void tp_swap_round(const tp_run *a, int64_t r, int parity, int64_t *rung_of, int64_t now) {
    const int64_t K = a->K;
    int64_t *rep = a->rep_at + r * K;
    uint64_t *w = a->swap_rng + r * ISB_RNG_WORDS;
    for (int64_t k = parity; k + 1 < K; k += 2) {
        const int64_t ca = r * K + rep[k], cb = r * K + rep[k + 1];
        const double ea = a->e_j[ca] + a->e_h[ca], eb = a->e_j[cb] + a->e_h[cb];
        const double lr = (a->betas[k + 1] - a->betas[k]) * (eb - ea);
        const double u = isb_uniform(w);
        a->swaps[2 * k]++;
        if (lr >= 0.0 || u < exp(lr)) {
            a->swaps[2 * k + 1]++;
            const int64_t t = rep[k];
            rep[k] = rep[k + 1];
            rep[k + 1] = t;
            rung_of[ca] = k + 1;
            rung_of[cb] = k;
        }
    }
    if (K < 2) return;
    for (int64_t k = 0; k < K; k++) {
        const int64_t c = r * K + rep[k];
        if (k == 0) {
            if (a->dir[c] == 2) {
                a->trips[r]++;
                a->trip_time[r] += (double)(now - a->trip_start[c]);
            }
            if (a->dir[c] != 1) {
                a->dir[c] = 1;
                a->trip_start[c] = now;
            }
        } else if (k == K - 1 && a->dir[c] == 1) {
            a->dir[c] = 2;
        }
        if (a->dir[c] == 1) a->flow[2 * k]++;
        else if (a->dir[c] == 2) a->flow[2 * k + 1]++;
    }
}

/* ---- the +-J path across chains ----------------------------------------------------------
 * Graph Ising with every |J_ij| = w0 and no field: the flip probability of site i depends only
 * on v = s_i sum_j sign_ij s_j, in [-d, d]. The chains of a call are stored site-major,
 * X[i * Cp + c] (Cp: C padded to whole blocks), and a sweep updates site i of a block of
 * TP_LANES chains at once, in GCC vector types (AVX2 clone where available). Each chain draws
 * 32-bit words from its own stream (both halves of its 64-bit words, 8 generator lanes at a
 * time, the words left at the end of a sweep discarded) and compares them with the thresholds
 * of its rung's beta, TT[(v + d) * Cp + c] (isb_thr32_le: probability (t + 1) / 2^32). */
#define TP_LANES 32   /* chains per block; C is padded to a multiple (idle lanes are ignored) */
#define TP_SITES 64   /* sites per batch of random words (a sweep's last batch may be shorter) */

static void tp_vec_table(const tp_model *g, double beta, uint32_t *t) {
    const int d = g->degmax;
    for (int v = -d; v <= d; v++) {
        const double x = 2.0 * beta * g->w0 * v;   /* beta-weighted energy change of the flip */
        const double p = g->heatbath ? 1.0 / (1.0 + exp(x))
                                     : (fabs(x) <= ISB_TIE ? 0.5 : (x <= 0.0 ? 1.0 : exp(-x)));
        t[v + d] = isb_thr32_le(p);
    }
}

/* One sweep of the TP_LANES lanes from c0 (row stride Cp), nl of them real chains. U:
 * (TP_SITES + 1) * TP_LANES words of scratch (each lane draws 8 words of its 8 generator lanes
 * at a time, the words of 16 sites, TP_SITES sites at a time; words left at a sweep's end are
 * discarded); dv[l] += the v of every flip of lane l (H_J changes by 2 w0 v).
 * vstep: 2 when every v has the parity of d (rows of one degree), else 1. Written with GCC
 * vector extensions (32 int8 lanes: one AVX2 register; thresholds in 4 x 8 uint32 lanes). */
#if defined(__GNUC__) || defined(__clang__)
#define TP_HAVE_VEC 1
typedef int8_t tp_i8v __attribute__((vector_size(32)));
typedef int8_t tp_i8q __attribute__((vector_size(8)));
typedef int32_t tp_i32v __attribute__((vector_size(32)));
typedef uint32_t tp_u32v __attribute__((vector_size(32)));

ISB_CLONES("avx2", "default")
static void tp_vec_sweep(const tp_model *g, int8_t *restrict X, int64_t Cp, int64_t c0, int nl,
                         uint64_t *rng, const uint32_t *restrict TT, uint32_t *restrict U,
                         int64_t *restrict dv, int vstep) {
    const int64_t n = g->n;
    const int d = g->degmax;
    uint64_t buf[TP_SITES / 2];
    tp_i32v acc[4] = {{0}, {0}, {0}, {0}};
    for (int64_t i = 0; i < n; i++) {
        if (i % TP_SITES == 0) {   /* the words of the next TP_SITES sites, site-major */
            const int64_t m = n - i < TP_SITES ? n - i : TP_SITES;
            for (int l = 0; l < nl; l++) {
                isb_fill8(rng + (c0 + l) * ISB_RNG_WORDS, buf, ((m + 1) / 2 + 7) >> 3);
                uint32_t *restrict Ul = U + l;
                for (int64_t j = 0; j < (m + 1) / 2; j++) {
                    Ul[2 * j * TP_LANES] = (uint32_t)buf[j];
                    Ul[(2 * j + 1) * TP_LANES] = (uint32_t)(buf[j] >> 32);
                }
            }
        }
        int8_t *xi = X + i * Cp + c0;
        tp_i8v k = {0}, x, v, fm;
        for (int64_t p = g->indptr[i]; p < g->indptr[i + 1]; p++) {
            tp_i8v xn;
            memcpy(&xn, X + (int64_t)g->indices[p] * Cp + c0, 32);
            const tp_i8v ms = (tp_i8v){0} + (int8_t)(g->sgn[p] < 0 ? -1 : 0);
            k += (xn ^ ms) - ms;                 /* sign_ij s_j */
        }
        memcpy(&x, xi, 32);
        const tp_i8v mi = x >> 7;                /* -1 where s_i = -1 */
        v = (k ^ mi) - mi;                       /* s_i k */
        int8_t vb[TP_LANES], fb[TP_LANES];
        memcpy(vb, &v, 32);
        for (int q = 0; q < 4; q++) {
            tp_i8q v8;
            memcpy(&v8, vb + 8 * q, 8);
            const tp_i32v v32 = __builtin_convertvector(v8, tp_i32v);
            tp_u32v tb = {0}, tv, u;
            for (int vv = -d; vv <= d; vv += vstep) {
                memcpy(&tv, TT + (int64_t)(vv + d) * Cp + c0 + 8 * q, 32);
                tb |= tv & (tp_u32v)(v32 == vv);
            }
            memcpy(&u, U + (i % TP_SITES) * TP_LANES + 8 * q, 32);
            const tp_i32v flip = (tp_i32v)(u <= tb);   /* -1: flip */
            acc[q] += v32 & flip;
            const tp_i8q f8 = __builtin_convertvector(flip, tp_i8q);
            memcpy(fb + 8 * q, &f8, 8);
        }
        memcpy(&fm, fb, 32);
        x = (x ^ fm) - fm;
        memcpy(xi, &x, 32);
    }
    for (int q = 0; q < 4; q++)
        for (int j = 0; j < 8; j++) dv[8 * q + j] += acc[q][j];
}
#else
#define TP_HAVE_VEC 0
static void tp_vec_sweep(const tp_model *g, int8_t *X, int64_t Cp, int64_t c0, int nl,
                         uint64_t *rng, const uint32_t *TT, uint32_t *U, int64_t *dv, int vstep) {
    (void)g; (void)X; (void)Cp; (void)c0; (void)nl; (void)rng; (void)TT; (void)U; (void)dv;
    (void)vstep;
}
#endif

/* The state of chain c (site-major layout X when not NULL) copied to out. */
static const int8_t *tp_state(const tp_model *g, const tp_run *a, const int8_t *X, int64_t c,
                              int8_t *out) {
    if (!X) return a->states + c * g->n;
    const int64_t Cp = (a->R * a->K + TP_LANES - 1) / TP_LANES * TP_LANES;
    for (int64_t i = 0; i < g->n; i++) out[i] = X[i * Cp + c];
    return out;
}

/* Record rec (relative to rec_offset) of every run and rung. X: the site-major states of the
 * chains (the +-J path across chains) or NULL; scratch: 2 n bytes, msum: R K words. */
static void tp_record(const tp_model *g, const tp_run *a, int64_t rec, const int8_t *X,
                      int8_t *scratch, int64_t *msum) {
    const int64_t R = a->R, K = a->K, C = R * K, n = g->n, at = a->rec_offset + rec;
    const int64_t Cp = (C + TP_LANES - 1) / TP_LANES * TP_LANES;
    if (X) {   /* Ising: the sums of the spins of every chain, site by site */
        for (int64_t c = 0; c < C; c++) msum[c] = 0;
        for (int64_t i = 0; i < n; i++)
            for (int64_t c = 0; c < C; c++) msum[c] += X[i * Cp + c];
    }
    for (int64_t r = 0; r < R; r++)
        for (int64_t k = 0; k < K; k++) {
            const int64_t c = r * K + a->rep_at[r * K + k];
            a->energy[(r * K + k) * a->rec_stride + at] = a->e_j[c] + a->e_h[c];
            a->mag[(r * K + k) * a->rec_stride + at] =
                X ? (double)msum[c] / (double)n : tp_order(g, a->states + c * n);
            if (a->states_out)
                memcpy(a->states_out + ((r * K + k) * a->rec_stride + at) * n,
                       tp_state(g, a, X, c, scratch), (size_t)n);
        }
    if (!a->overlap) return;
    int64_t p = 0;
    for (int64_t r1 = 0; r1 < R; r1++)
        for (int64_t r2 = r1 + 1; r2 < R; r2++, p++)
            for (int64_t k = 0; k < K; k++) {
                const int64_t c1 = r1 * K + a->rep_at[r1 * K + k];
                const int64_t c2 = r2 * K + a->rep_at[r2 * K + k];
                a->overlap[(p * K + k) * a->rec_stride + at] =
                    tp_overlap(g, tp_state(g, a, X, c1, scratch), tp_state(g, a, X, c2, scratch + n));
            }
}

/* One call. fast: 0 general paths only, 1 also the +-J path, 2 also the +-J path across
 * chains (chosen from the model and fast alone, never from the threads or the call's length).
 * Returns ISB_OK or ISB_ENOMEM (nothing was run). */
static int tp_run_all(tp_model *g, const tp_run *a, int fast) {
    const int64_t R = a->R, K = a->K, C = R * K, n = g->n;
    const int nd = 2 * TP_MAX_DEG + 1;
    int64_t *rung_of = (int64_t *)malloc(sizeof(int64_t) * (size_t)(C ? C : 1));
    int64_t *msum = (int64_t *)malloc(sizeof(int64_t) * (size_t)(C ? C : 1));
    int8_t *scratch = (int8_t *)malloc((size_t)(2 * n));
    uint64_t *tabs = NULL;
    uint32_t *tabs32 = NULL, *TT = NULL, *U = NULL;
    int8_t *X = NULL;
    int64_t *dv = NULL;
    const void **ptab = (const void **)malloc(sizeof(void *) * (size_t)K);   /* Potts, per rung */
    char *pblock = NULL;
    int fail = !rung_of || !msum || !scratch || !ptab;
    if (!fail && g->kind == TP_GRAPH_POTTS) fail = tp_potts_setup(g, a, fast, ptab, &pblock) != ISB_OK;
    g->sgn = NULL;
    g->lidx = NULL;
    g->lc = NULL;
    if (!fast) g->pm = 0;
    const int vec = TP_HAVE_VEC && g->pm && fast >= 2 && g->h0 == 0.0;
    const int64_t n_blocks = (C + TP_LANES - 1) / TP_LANES, Cp = n_blocks * TP_LANES;
    if (!fail && g->pm) {
        tabs = (uint64_t *)malloc(sizeof(uint64_t) * 2 * nd * (size_t)K);
        fail = !tabs || tp_pm_lists(g) != ISB_OK;
        if (!fail) for (int64_t k = 0; k < K; k++) tp_pm_table(g, a->betas[k], tabs + 2 * nd * k);
    }
    if (!fail && vec) {
        tabs32 = (uint32_t *)malloc(sizeof(uint32_t) * (size_t)(nd * K));
        TT = (uint32_t *)calloc((size_t)(nd * Cp), sizeof(uint32_t));
        U = (uint32_t *)calloc((size_t)((TP_SITES + 1) * Cp), sizeof(uint32_t));
        X = (int8_t *)malloc((size_t)(n * Cp));
        dv = (int64_t *)malloc(sizeof(int64_t) * (size_t)Cp);
        fail = !tabs32 || !TT || !U || !X || !dv;
        if (!fail) for (int64_t k = 0; k < K; k++) tp_vec_table(g, a->betas[k], tabs32 + nd * k);
    }
    if (fail) {
        tp_pm_free(g);
        free(tabs); free(tabs32); free(TT); free(U); free(X); free(dv);
        free(rung_of); free(msum); free(scratch); free(ptab); free(pblock);
        return ISB_ENOMEM;
    }
    int vstep = 1;
    if (vec) {   /* one degree in every row: v has the parity of d */
        vstep = 2;
        for (int64_t i = 0; i < n && vstep == 2; i++)
            if ((g->indptr[i + 1] - g->indptr[i]) % 2 != g->degmax % 2) vstep = 1;
    }
    const int d = g->degmax, nv = 2 * d + 1;
    for (int64_t r = 0; r < R; r++)
        for (int64_t k = 0; k < K; k++) rung_of[r * K + a->rep_at[r * K + k]] = k;
    const int recording = a->energy != NULL;
    const int64_t every = a->swap_every, thin = a->thin, total = a->n_sweeps;
#ifdef _OPENMP
#pragma omp parallel num_threads(a->n_threads)
#endif
    {
        if (a->init) {
#ifdef _OPENMP
#pragma omp for schedule(static)
#endif
            for (int64_t c = 0; c < C; c++)
                tp_init_chain(g, a->states + c * n, a->e_j + c, a->e_h + c,
                              g->kind == TP_DENSE ? a->cache + c * n * g->q : NULL);
        }
        if (vec) {
#ifdef _OPENMP
#pragma omp for schedule(static)
#endif
            for (int64_t i = 0; i < n; i++)
                for (int64_t c = 0; c < Cp; c++) X[i * Cp + c] = c < C ? a->states[c * n + i] : 1;
#ifdef _OPENMP
#pragma omp single
#endif
            for (int64_t c = 0; c < C; c++)   /* each chain's thresholds: its rung's */
                for (int v = 0; v < nv; v++) TT[v * Cp + c] = tabs32[nd * rung_of[c] + v];
        }
        int64_t clk = a->clock[0];   /* private copy, advanced the same way by every thread */
        for (int64_t t = 0; t < total;) {
            /* sweeps to the next swap round, record or the end */
            int64_t step = every - clk % every;
            if (recording && thin - t % thin < step) step = thin - t % thin;
            if (total - t < step) step = total - t;
            if (vec) {
#ifdef _OPENMP
#pragma omp for schedule(static)
#endif
                for (int64_t b = 0; b < n_blocks; b++) {
                    const int64_t c0 = b * TP_LANES;
                    const int nl = (int)(C - c0 < TP_LANES ? C - c0 : TP_LANES);
                    for (int l = 0; l < TP_LANES; l++) dv[c0 + l] = 0;
                    for (int64_t s = 0; s < step; s++)
                        tp_vec_sweep(g, X, Cp, c0, nl, a->rng, TT, U + b * (TP_SITES + 1) * TP_LANES,
                                     dv + c0, vstep);
                    for (int l = 0; l < nl; l++) a->e_j[c0 + l] += 2.0 * g->w0 * (double)dv[c0 + l];
                }
            } else {
#ifdef _OPENMP
#pragma omp for schedule(static)
#endif
                for (int64_t c = 0; c < C; c++) {
                    const int64_t k = rung_of[c];
                    for (int64_t s = 0; s < step; s++)
                        tp_advance(g, a, c, a->betas[k], g->pm ? (const void *)(tabs + 2 * nd * k)
                                                   : g->kind == TP_GRAPH_POTTS ? ptab[k] : NULL);
                }
            }
            t += step;
            clk += step;
#ifdef _OPENMP
#pragma omp single
#endif
            {
                if (clk % every == 0) {
                    const int parity = (int)(a->clock[1] & 1);
                    for (int64_t r = 0; r < R; r++) tp_swap_round(a, r, parity, rung_of, clk);
                    a->clock[1]++;
                    if (vec)
                        for (int64_t c = 0; c < C; c++)
                            for (int v = 0; v < nv; v++) TT[v * Cp + c] = tabs32[nd * rung_of[c] + v];
                }
                if (recording && t % thin == 0) tp_record(g, a, t / thin - 1, X, scratch, msum);
                a->clock[0] = clk;
            }
        }
        if (vec) {
#ifdef _OPENMP
#pragma omp for schedule(static)
#endif
            for (int64_t c = 0; c < C; c++)
                for (int64_t i = 0; i < n; i++) a->states[c * n + i] = X[i * Cp + c];
        }
    }
    tp_pm_free(g);
    free(tabs); free(tabs32); free(TT); free(U); free(X); free(dv);
    free(rung_of); free(msum); free(scratch); free(ptab); free(pblock);
    return ISB_OK;
}

#endif
