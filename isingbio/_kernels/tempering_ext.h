/* Parallel tempering with the lattice replica engine and with cluster moves: two more ways to
 * advance the chains of tempering_impl.h between swap rounds, with its swap rounds, round-trip
 * labels and records. Used by _tempering.pyx (tp_run_ext); mode 0 is tempering_impl.h's tp_run_all.
 *
 * Replica engine (TP_MODE_REPLICA: Ising or Potts on a hypercubic lattice with a uniform field,
 * a kind with a tuple table, replica_impl.h): the chains of a call are kept for the whole call in
 * the engine's blocks of REP_B chains, site-major (block b holds chains b REP_B .. b REP_B + 31,
 * the last block padded with dummy chains), with one threshold table per rung (lat_plan_tables
 * at beta_J = beta_h = the rung's beta), kept by the caller between calls (tab_cache, tab_betas)
 * and rebuilt only for a rung whose beta changed. Each chain reads the table of the
 * rung it occupies (off[c] = rung * table size), so a swap, which exchanges the rungs of two
 * replicas, only moves two offsets: no table is rebuilt and no state is copied. A chain draws
 * only from its own generator and consumes a fixed number of words per sweep (replica_impl.h),
 * and the blocks are fixed by chain index, so results do not depend on the threads nor on the
 * split of a run into calls. Energies and the order parameter are recounted from the block
 * layout (rep_counts) after the sweeps of every swap round.
 *
 * Cluster moves (TP_MODE_CLUSTER: graph or lattice couplings, cluster_impl.h): each chain is
 * updated by Swendsen-Wang (one sweep: one update of all clusters) or Wolff (one sweep: wolff_k
 * [rung] single-cluster updates) at its rung's beta (bond thresholds per rung, built once per
 * call), with cluster_impl.h's per-chain functions. A zero count is calibrated at the start of a
 * call: n times the updates over the sites built by pilots (updates until n sites, on a copy of
 * every run's replica at that rung: that stopping rule depends on the states, so the pilot's
 * end states are not kept, as in Sampler.calibrate), and then fixed, so a sweep is the same move in every call
 * (the caller zeroes the counts when the ladder moves). A negative count (burn-in only) builds
 * clusters until n sites in every sweep: a stopping rule that depends on the states, so biased,
 * but it follows the cluster sizes as the chains relax from a disordered start. Energies are recomputed from the states after every swap round's sweeps.
 */
#ifndef ISINGBIO_TEMPERING_EXT_H
#define ISINGBIO_TEMPERING_EXT_H

#include "tempering_impl.h"
#include "lattice_impl.h"
#include "cluster_impl.h"

#define TP_MODE_SITE 0     /* tempering_impl.h's tp_run_all */
#define TP_MODE_REPLICA 1
#define TP_MODE_CLUSTER 2

typedef struct {
    int mode;
    lat_model lat;              /* replica engine: the lattice (chain_beta unused) */
    int wolff;                  /* cluster: 1 Wolff, 0 Swendsen-Wang */
    int lat_d;                  /* cluster: > 0 when the graph is this lattice (Wolff by index) */
    const int64_t *lat_shape;
    const uint8_t *lat_periodic;
    const double *lat_J;
    int64_t *wolff_k;           /* K: Wolff updates per sweep per rung (<= 0: calibrate) */
    uint32_t *tab_cache;        /* replica engine: the caller's tables (tab_cap entries) or NULL */
    int64_t tab_cap;
    double *tab_betas;          /* K: the beta each cached table was built for (NaN: none) */
} tp_ext;

/* ---- the replica engine ------------------------------------------------------------------- */

/* Energies and order parameter of the nc chains of block xb (chains c0..): rep_counts. */
static void tp_rep_observe(const lat_plan *p, const rep_geo *geo, const int8_t *xb, int64_t c0,
                           int64_t nc, double *e_j, double *e_h, double *mg, int32_t *bond,
                           int32_t *count, int avx2) {
    const int ising = p->kind == LAT_ISING_METRO || p->kind == LAT_ISING_HB;
#if LAT_HAVE_AVX2
    if (avx2) rep_counts_avx2(xb, geo->fwd, geo->N, p->d, p->q, ising, bond, count);
    else
#endif
    rep_counts_portable(xb, geo->fwd, geo->N, p->d, p->q, ising, bond, count);
    (void)avx2;
    for (int64_t c = 0; c < nc; c++) {
        int64_t bd[3] = {0, 0, 0}, ct[ISB_MAX_Q] = {0};
        for (int ax = 0; ax < p->d; ax++) bd[ax] = bond[ax * REP_B + c];
        for (int v = 0; v < p->q; v++) ct[v] = count[v * REP_B + c];
        if (ising) ct[0] = geo->N - ct[1];
        lat_finish_record(p, bd, ct, e_j + c0 + c, e_h + c0 + c, mg + c0 + c);
    }
}

/* The state of chain c from the block layout x (blocks of bs bytes) into out (n bytes). */
static const int8_t *tp_rep_state(const int8_t *x, int64_t bs, int64_t n, int64_t c, int8_t *out) {
    const int8_t *xb = x + (c / REP_B) * bs + c % REP_B;
    for (int64_t i = 0; i < n; i++) out[i] = xb[i * REP_B];
    return out;
}

/* Record rec (relative to rec_offset) of every run and rung; mg: the order parameter of every
 * chain, scratch: 2 n bytes. With x == NULL the states are the caller's rows (cluster moves). */
static void tp_ext_record(const tp_model *g, const tp_run *a, int64_t rec, const int8_t *x,
                          int64_t bs, const double *mg, int8_t *scratch) {
    const int64_t R = a->R, K = a->K, n = g->n, at = a->rec_offset + rec;
    for (int64_t r = 0; r < R; r++)
        for (int64_t k = 0; k < K; k++) {
            const int64_t c = r * K + a->rep_at[r * K + k];
            a->energy[(r * K + k) * a->rec_stride + at] = a->e_j[c] + a->e_h[c];
            a->mag[(r * K + k) * a->rec_stride + at] = mg ? mg[c] : tp_order(g, a->states + c * n);
            if (a->states_out)
                memcpy(a->states_out + ((r * K + k) * a->rec_stride + at) * n,
                       x ? tp_rep_state(x, bs, n, c, scratch) : a->states + c * n, (size_t)n);
        }
    if (!a->overlap) return;
    int64_t p = 0;
    for (int64_t r1 = 0; r1 < R; r1++)
        for (int64_t r2 = r1 + 1; r2 < R; r2++, p++)
            for (int64_t k = 0; k < K; k++) {
                const int64_t c1 = r1 * K + a->rep_at[r1 * K + k];
                const int64_t c2 = r2 * K + a->rep_at[r2 * K + k];
                const int8_t *s1 = x ? tp_rep_state(x, bs, n, c1, scratch) : a->states + c1 * n;
                const int8_t *s2 = x ? tp_rep_state(x, bs, n, c2, scratch + n) : a->states + c2 * n;
                a->overlap[(p * K + k) * a->rec_stride + at] = tp_overlap(g, s1, s2);
            }
}

typedef void (*tp_rep_sweeps_fn)(int8_t *, uint64_t *, const int32_t *, const int32_t *, int64_t,
                                 int, int, int, int64_t, const uint32_t *, const int32_t *,
                                 int64_t *, uint32_t *, int64_t, const lat_plan *, int);

/* One call on the replica engine. Returns ISB_OK or ISB_ENOMEM (nothing was run). Tables of
 * the rungs come from the caller's cache (e->tab_cache, rebuilt only for rungs whose beta
 * changed) when it is large enough, else they are built for this call. */
static int tp_rep_run(const tp_model *g, const tp_run *a, const tp_ext *e) {
    const lat_model *m = &e->lat;
    const int64_t R = a->R, K = a->K, C = R * K, N = g->n;
    const int64_t nblk = (C + REP_B - 1) / REP_B, bs = (N + 1) * REP_B;
    const int d = m->d;
    lat_plan plan;
    rep_geo geo;
    memset(&geo, 0, sizeof geo);
    int have_plan = lat_plan_init(&plan, m->kind, d, m->shape, m->periodic, m->J, m->q, m->h_ising,
                                  m->h_potts, a->betas[0], a->betas[0], m->simd, m->tables) == 0;
    int fail = !have_plan || rep_geo_init(&geo, &plan) != 0;
    const int64_t tsize = have_plan ? rep_table_size(&plan) : 0;
    if (!fail && tsize * K > INT32_MAX) fail = 1;
    uint32_t *tab = NULL, *rbuf = NULL;
    int8_t *x = NULL, *x1 = NULL, *scratch = NULL;
    uint64_t *w = NULL, *rbuf1 = NULL;
    int32_t *off = NULL, *nbo = NULL, *bond = NULL, *count = NULL;
    int64_t *acc = NULL, *rung_of = NULL;
    double *mg = NULL;
    const int64_t nr1 = 8 * ((N + 15) / 16);
    const int cached = e->tab_cache && e->tab_betas && e->tab_cap >= K * tsize;
    if (!fail) {
        tab = cached ? e->tab_cache : (uint32_t *)malloc(sizeof(uint32_t) * (size_t)(K * tsize));
        x = (int8_t *)malloc((size_t)(nblk * bs));
        w = (uint64_t *)calloc((size_t)(nblk * 32 * REP_B), sizeof(uint64_t));
        off = (int32_t *)calloc((size_t)(nblk * REP_B), sizeof(int32_t));
        acc = (int64_t *)calloc((size_t)(nblk * REP_B), sizeof(int64_t));
        nbo = (int32_t *)malloc(sizeof(int32_t) * (size_t)(N * 2 * d));
        rbuf = (uint32_t *)malloc(sizeof(uint32_t) * (size_t)(nblk * 16 * REP_B));
        x1 = (int8_t *)malloc((size_t)(nblk * (N + 1)));
        rbuf1 = (uint64_t *)malloc(sizeof(uint64_t) * (size_t)(nblk * nr1));
        bond = (int32_t *)malloc(sizeof(int32_t) * (size_t)(nblk * 3 * REP_B));
        count = (int32_t *)malloc(sizeof(int32_t) * (size_t)(nblk * plan.q * REP_B));
        rung_of = (int64_t *)malloc(sizeof(int64_t) * (size_t)C);
        mg = (double *)malloc(sizeof(double) * (size_t)C);
        scratch = (int8_t *)malloc((size_t)(2 * N));
        fail = !tab || !x || !w || !off || !acc || !nbo || !rbuf || !x1 || !rbuf1 || !bond
               || !count || !rung_of || !mg || !scratch;
    }
    for (int64_t k = 0; k < K && !fail; k++) {   /* one table per rung (cached across calls) */
        if (cached && e->tab_betas[k] == a->betas[k]) continue;
        if (lat_plan_tables(&plan, a->betas[k], a->betas[k]) != 0 || !plan.T32) {
            fail = 1;
        } else {
            memcpy(tab + k * tsize, plan.T32, sizeof(uint32_t) * (size_t)tsize);
            if (cached) e->tab_betas[k] = a->betas[k];
        }
    }
    if (!fail) {
        for (int64_t j = 0; j < N; j++) {   /* neighbours as byte offsets, in sweep order */
            const int64_t i = geo.order[j];
            for (int k = 0; k < 2 * d; k++)
                nbo[j * 2 * d + k] = (int32_t)(((int64_t)geo.nb[i * 2 * d + k] - i) * REP_B);
        }
        for (int64_t r = 0; r < R; r++)
            for (int64_t k = 0; k < K; k++) rung_of[r * K + a->rep_at[r * K + k]] = k;
    }
    tp_rep_sweeps_fn sweeps = rep_sweeps_portable;
#if LAT_HAVE_AVX2
    if (m->simd && lat_cpu_avx2())
        sweeps = m->simd != 2 && rep_cpu_avx512() ? rep_sweeps_avx512 : rep_sweeps_avx2;
#endif
    const int avx2 = sweeps != rep_sweeps_portable;
    if (!fail) {
        const int8_t pad = plan.kind == LAT_ISING_METRO || plan.kind == LAT_ISING_HB ? 1 : 0;
        const int recording = a->energy != NULL;
        const int64_t every = a->swap_every, thin = a->thin, total = a->n_sweeps;
#ifdef _OPENMP
#pragma omp parallel num_threads(a->n_threads)
#endif
        {
#ifdef _OPENMP
#pragma omp for schedule(static)
#endif
            for (int64_t b = 0; b < nblk; b++) {   /* load: padding chains valid, generator 0 */
                int8_t *xb = x + b * bs;
                uint64_t *wb = w + b * 32 * REP_B;
                for (int64_t l = 0; l < REP_B; l++) {
                    const int64_t c = b * REP_B + l;
                    if (c < C) {
                        const int8_t *st = a->states + c * N;
                        for (int64_t i = 0; i < N; i++) xb[i * REP_B + l] = st[i];
                        for (int k = 0; k < 32; k++) wb[k * REP_B + l] = a->rng[c * ISB_RNG_WORDS + k];
                        off[c] = (int32_t)(rung_of[c] * tsize);
                    } else {
                        for (int64_t i = 0; i < N; i++) xb[i * REP_B + l] = pad;
                    }
                    xb[N * REP_B + l] = plan.ghost;
                }
                const int64_t nc = C - b * REP_B < REP_B ? C - b * REP_B : REP_B;
                tp_rep_observe(&plan, &geo, xb, b * REP_B, nc, a->e_j, a->e_h, mg,
                               bond + b * 3 * REP_B, count + b * plan.q * REP_B, avx2);
            }
            int64_t clk = a->clock[0];   /* private copy, advanced the same way by every thread */
            for (int64_t t = 0; t < total;) {
                int64_t step = every - clk % every;
                if (recording && thin - t % thin < step) step = thin - t % thin;
                if (total - t < step) step = total - t;
#ifdef _OPENMP
#pragma omp for schedule(static)
#endif
                for (int64_t b = 0; b < nblk; b++) {
                    int8_t *xb = x + b * bs;
                    uint64_t *wb = w + b * 32 * REP_B;
                    const int64_t nc = C - b * REP_B < REP_B ? C - b * REP_B : REP_B;
                    if (nc <= REP_NARROW)   /* few chains: no work on empty lanes, same bits */
                        rep_narrow_sweeps(xb, wb, &geo, &plan, tab, off + b * REP_B, acc + b * REP_B,
                                          nc, step, x1 + b * (N + 1), rbuf1 + b * nr1, avx2);
                    else
                        sweeps(xb, wb, geo.order, nbo, N, plan.kind, plan.d, plan.q, plan.ntup, tab,
                               off + b * REP_B, acc + b * REP_B, rbuf + b * 16 * REP_B, step, &plan, 0);
                    tp_rep_observe(&plan, &geo, xb, b * REP_B, nc, a->e_j, a->e_h, mg,
                                   bond + b * 3 * REP_B, count + b * plan.q * REP_B, avx2);
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
                        for (int64_t c = 0; c < C; c++) off[c] = (int32_t)(rung_of[c] * tsize);
                    }
                    if (recording && t % thin == 0) tp_ext_record(g, a, t / thin - 1, x, bs, mg, scratch);
                    a->clock[0] = clk;
                }
            }
#ifdef _OPENMP
#pragma omp for schedule(static)
#endif
            for (int64_t c = 0; c < C; c++) {   /* unload */
                const int8_t *xb = x + (c / REP_B) * bs + c % REP_B;
                const uint64_t *wb = w + (c / REP_B) * 32 * REP_B + c % REP_B;
                for (int64_t i = 0; i < N; i++) a->states[c * N + i] = xb[i * REP_B];
                for (int k = 0; k < 32; k++) a->rng[c * ISB_RNG_WORDS + k] = wb[k * REP_B];
            }
        }
    }
    if (!cached) free(tab);
    free(x); free(w); free(off); free(acc); free(nbo); free(rbuf); free(x1);
    free(rbuf1); free(bond); free(count); free(rung_of); free(mg); free(scratch);
    rep_geo_free(&geo);
    if (have_plan) lat_plan_free(&plan);
    return fail ? ISB_ENOMEM : ISB_OK;
}

/* ---- cluster moves ------------------------------------------------------------------------ */

typedef struct {
    int32_t *par, *off, *mem;
    uint64_t *bits;
    double *fsum;
    isb_wolff_scratch ws;
} tp_cl_scratch;

static void tp_cl_free(tp_cl_scratch *s) {
    free(s->par); free(s->off); free(s->mem); free(s->bits); free(s->fsum); free(s->ws.mark);
    memset(s, 0, sizeof *s);
}

static int tp_cl_alloc(tp_cl_scratch *s, int64_t n, int64_t nu) {
    memset(s, 0, sizeof *s);
    s->par = (int32_t *)malloc(sizeof(int32_t) * (size_t)n);
    s->off = (int32_t *)malloc(sizeof(int32_t) * (size_t)n);
    s->mem = (int32_t *)malloc(sizeof(int32_t) * (size_t)(n + 1));   /* lattice Wolff: one spare */
    s->bits = (uint64_t *)malloc(sizeof(uint64_t) * (size_t)((nu >> 6) + 1));
    s->fsum = (double *)malloc(sizeof(double) * (size_t)n);
    s->ws.mark = (uint32_t *)calloc((size_t)n, sizeof(uint32_t));
    s->ws.mem = s->mem;
    s->ws.stamp = 0;
    if (!s->par || !s->off || !s->mem || !s->bits || !s->fsum || !s->ws.mark) {
        tp_cl_free(s);
        return -1;
    }
    return 0;
}

/* One Wolff cluster update of chain x at beta (lat: the rung's lattice or NULL); its size. */
static int32_t tp_wolff_one(const tp_model *g, const isb_graph *gr, const isb_lattice *lat,
                            int field, double beta, int8_t *x, uint64_t *rng, tp_cl_scratch *s) {
    double st[4] = {0.0, 0.0, 0.0, 0.0};
    const int32_t n = (int32_t)g->n;
    if (g->kind == TP_GRAPH_POTTS) {
        if (lat) return isb_potts_wolff_lat(lat, n, (int)g->q, field, g->h, beta, x, rng, s->mem, st);
        return isb_potts_wolff_update(gr, (int)g->q, field, g->h, beta, x, rng, &s->ws, st);
    }
    if (lat) return isb_ising_wolff_lat(lat, n, field, g->h, beta, x, rng, s->mem, st);
    return isb_ising_wolff_update(gr, field, g->h, beta, x, rng, &s->ws, st);
}

/* One sweep of chain x at rung k: one Swendsen-Wang update, or kw Wolff updates (kw < 0:
 * updates until their clusters hold n sites, for burn-in only: that stopping rule biases). */
static void tp_cl_sweep(const tp_model *g, const tp_ext *e, const isb_graph *gr,
                        const isb_lattice *lat, int field, double beta, int64_t kw, int8_t *x,
                        uint64_t *rng, tp_cl_scratch *s) {
    if (e->wolff && kw < 0) {
        for (int64_t built = 0; built < g->n;) built += tp_wolff_one(g, gr, lat, field, beta, x, rng, s);
    } else if (e->wolff) {
        for (int64_t u = 0; u < kw; u++) (void)tp_wolff_one(g, gr, lat, field, beta, x, rng, s);
    } else if (g->kind == TP_GRAPH_POTTS) {
        (void)isb_potts_sw_sweep(gr, (int)g->q, field, g->h, beta, x, rng, s->par, s->bits, s->off,
                                 s->mem);
    } else {
        (void)isb_ising_sw_sweep(gr, field, g->h, beta, x, rng, s->par, s->bits, s->fsum);
    }
}

/* One call with cluster moves. Returns ISB_OK or ISB_ENOMEM (nothing was run). */
static int tp_cl_run(const tp_model *g, const tp_run *a, const tp_ext *e) {
    const int64_t R = a->R, K = a->K, C = R * K, n = g->n;
    const int potts = g->kind == TP_GRAPH_POTTS;
    const int nt = a->n_threads > 0 ? a->n_threads : 1;
    const int field = isb_field_form(g->h, n, potts ? (int)g->q : 1);
    isb_graph *gr = (isb_graph *)calloc((size_t)K, sizeof(isb_graph));
    isb_lattice *lt = (isb_lattice *)calloc((size_t)K, sizeof(isb_lattice));
    int *has_lat = (int *)calloc((size_t)K, sizeof(int));
    tp_cl_scratch *sc = (tp_cl_scratch *)calloc((size_t)nt, sizeof(tp_cl_scratch));
    int64_t *rung_of = (int64_t *)malloc(sizeof(int64_t) * (size_t)C);
    int8_t *scratch = (int8_t *)malloc((size_t)(2 * n));
    int64_t built_graphs = 0, built_scratch = 0;
    int fail = !gr || !lt || !has_lat || !sc || !rung_of || !scratch;
    for (; !fail && built_graphs < K; built_graphs++) {   /* bond thresholds per rung */
        const double beta = a->betas[built_graphs];
        if (isb_graph_init(&gr[built_graphs], (int32_t)n, g->indptr, g->indices, g->w, beta, potts,
                           e->wolff) != 0) {
            fail = 1;
            break;
        }
        if (e->wolff && e->lat_d > 0)
            has_lat[built_graphs] = isb_lattice_init(&lt[built_graphs], e->lat_d, e->lat_shape,
                                                     e->lat_periodic, e->lat_J, beta, potts);
    }
    for (; !fail && built_scratch < nt; built_scratch++)
        if (tp_cl_alloc(&sc[built_scratch], n, gr[0].nu) != 0) { fail = 1; break; }
    if (!fail) {
        for (int64_t r = 0; r < R; r++)
            for (int64_t k = 0; k < K; k++) rung_of[r * K + a->rep_at[r * K + k]] = k;
        if (e->wolff)   /* calibrate the rungs without a count: pilots building n sites */
            for (int64_t k = 0; k < K; k++) {
                if (e->wolff_k[k] != 0) continue;
                int64_t built = 0, cnt = 0;
                for (int64_t r = 0; r < R; r++) {   /* every run's replica at rung k, a copy */
                    const int64_t c = r * K + a->rep_at[r * K + k];
                    memcpy(scratch, a->states + c * n, (size_t)n);
                    for (int64_t b = 0; b < n;) {
                        b += tp_wolff_one(g, &gr[k], has_lat[k] ? &lt[k] : NULL, field, a->betas[k],
                                          scratch, a->rng + c * ISB_RNG_WORDS, &sc[0]);
                        cnt++;
                        if (b >= n) built += b;
                    }
                }
                const int64_t kw = (int64_t)llround((double)n * (double)cnt / (double)built);
                e->wolff_k[k] = kw < 1 ? 1 : kw;
            }
        const int recording = a->energy != NULL;
        const int64_t every = a->swap_every, thin = a->thin, total = a->n_sweeps;
#ifdef _OPENMP
#pragma omp parallel num_threads(nt)
#endif
        {
            tp_cl_scratch *s = &sc[isb_team_rank()];
#ifdef _OPENMP
#pragma omp for schedule(static)
#endif
            for (int64_t c = 0; c < C; c++) tp_init_chain(g, a->states + c * n, a->e_j + c, a->e_h + c, NULL);
            int64_t clk = a->clock[0];
            for (int64_t t = 0; t < total;) {
                int64_t step = every - clk % every;
                if (recording && thin - t % thin < step) step = thin - t % thin;
                if (total - t < step) step = total - t;
#ifdef _OPENMP
#pragma omp for schedule(dynamic)
#endif
                for (int64_t c = 0; c < C; c++) {
                    const int64_t k = rung_of[c];
                    int8_t *x = a->states + c * n;
                    uint64_t *rng = a->rng + c * ISB_RNG_WORDS;
                    for (int64_t u = 0; u < step; u++)
                        tp_cl_sweep(g, e, &gr[k], has_lat[k] ? &lt[k] : NULL, field, a->betas[k],
                                    e->wolff ? e->wolff_k[k] : 0, x, rng, s);
                    tp_init_chain(g, x, a->e_j + c, a->e_h + c, NULL);
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
                    }
                    if (recording && t % thin == 0) tp_ext_record(g, a, t / thin - 1, NULL, 0, NULL, scratch);
                    a->clock[0] = clk;
                }
            }
        }
    }
    if (gr)
        for (int64_t k = 0; k < built_graphs && k < K; k++) isb_graph_free(&gr[k]);
    if (sc)
        for (int64_t t = 0; t < built_scratch && t < nt; t++) tp_cl_free(&sc[t]);
    free(gr); free(lt); free(has_lat); free(sc); free(rung_of); free(scratch);
    return fail ? ISB_ENOMEM : ISB_OK;
}

/* One call in the mode e->mode. */
static int tp_run_ext(tp_model *g, const tp_run *a, const tp_ext *e, int fast) {
    if (e->mode == TP_MODE_REPLICA) return tp_rep_run(g, a, e);
    if (e->mode == TP_MODE_CLUSTER) return tp_cl_run(g, a, e);
    return tp_run_all(g, a, fast);
}

#endif
