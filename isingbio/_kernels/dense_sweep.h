/* The dense Potts sweep loop, written once for both element types: included twice by
 * dense_impl.h with ISB_DT (float or double), ISB_DT_FLOAT (1 for float) and ISB_DFN(name)
 * (name with a type suffix). No include guard on purpose. */

/* Runs G chains in lockstep; returns ISB_ENOMEM if the caches cannot be allocated, else ISB_OK.
 *
 * Chain g has its state at xs + g*n, its rng at rngs + g*rng_stride, its records at
 * isb_rec_chain(rec, c0 + g, 0), its stats at stats + g*rs. The chains update site i one after
 * the other before moving to site i + 1, so the rows of J that their moves read are shared in
 * cache (a move reads 2 N q numbers: the run is bound by memory traffic); each chain's
 * arithmetic is exactly what it would be alone. Row (i, b, k) of the couplings, J[i, k, b, :],
 * starts at Jr + i*n*q*q + b*sb + k*sk. qs > 0 (float32 models only): fixed-point caches with
 * scale qs; else double caches. bjp, bhp (may be NULL): per-record betas replacing beta_J,
 * beta_h (record r: bjp[r]). */
static int ISB_DFN(isb_dense_group)(const ISB_DT *h, const ISB_DT *Jr, ptrdiff_t sb, ptrdiff_t sk,
                                    ptrdiff_t n, ptrdiff_t q, ptrdiff_t G, int8_t *xs,
                                    uint64_t *rngs, ptrdiff_t rng_stride, double beta_J,
                                    double beta_h, ptrdiff_t n_records, ptrdiff_t thin,
                                    const isb_rec *rec, ptrdiff_t c0, double *stats, ptrdiff_t rs,
                                    int heatbath, float qs, const double *bjp, const double *bhp) {
    const ptrdiff_t nq = n * q, nqq = n * q * q;
    double cum[ISB_MAX_Q];
    double bJ = beta_J, bH = beta_h;
#if ISB_DT_FLOAT
    const int fixed = qs > 0;
#else
    const int fixed = 0;
#endif
    double *F = NULL;
    uint32_t *Q = NULL;
    /* per chain: e_j, e_h, accepted (as double), counts[ISB_MAX_Q] */
    double *acc = (double *)malloc(3 * G * sizeof(double));
    int64_t *counts = (int64_t *)malloc(G * ISB_MAX_Q * sizeof(int64_t));
    if (fixed) {
        Q = (uint32_t *)malloc(G * nq * sizeof(uint32_t));
        bJ = beta_J / qs;
    } else {
        F = (double *)malloc(G * nq * sizeof(double));
    }
    if (!acc || !counts || (!Q && !F)) {
        free(acc); free(counts); free(Q); free(F);
        return ISB_ENOMEM;
    }
    ISB_ASSERT(q >= 2 && q < ISB_MAX_Q, (free(acc), free(counts), free(Q), free(F), ISB_EBOUNDS));

    for (ptrdiff_t g = 0; g < G; g++) {
        const int8_t *x = xs + g * n;
        /* local fields from scratch: F[k, :] = sum_j J[j, k, x_j, :]  (J[k, k] is zero) */
        for (ptrdiff_t a = 0; a < nq; a++) {
            if (fixed) Q[g * nq + a] = 0;
            else F[g * nq + a] = 0.0;
        }
        for (ptrdiff_t a = 0; a < q; a++) counts[g * ISB_MAX_Q + a] = 0;
        for (ptrdiff_t i = 0; i < n; i++) {
#if ISB_DT_FLOAT
            if (fixed)
                isb_dense_add_q(Q + g * nq, Jr + i * nqq + x[i] * sb, n, q, sk, qs);
            else
                isb_dense_add_f(F + g * nq, Jr + i * nqq + x[i] * sb, n, q, sk);
#else
            isb_dense_add_d(F + g * nq, Jr + i * nqq + x[i] * sb, n, q, sk);
#endif
        }
        acc[3 * g] = 0.0;
        acc[3 * g + 1] = 0.0;
        acc[3 * g + 2] = 0.0;
        for (ptrdiff_t i = 0; i < n; i++) {
            const ptrdiff_t old = x[i];
            ISB_ASSERT(old >= 0 && old < q, (free(acc), free(counts), free(Q), free(F), ISB_EBOUNDS));
            /* exact H_J from J itself: row (i, x_i, j), element x_j */
            const ISB_DT *row = Jr + i * nqq + old * sb;
            double d = 0.0;
            for (ptrdiff_t j = 0; j < n; j++) d += row[j * sk + x[j]];
            acc[3 * g] -= 0.5 * d;
            acc[3 * g + 1] -= h[i * q + old];
            counts[g * ISB_MAX_Q + old] += 1;
        }
    }

    for (ptrdiff_t r = 0; r < n_records; r++) {
        if (bjp) bJ = fixed ? bjp[r] / qs : bjp[r];
        if (bhp) bH = bhp[r];
        for (ptrdiff_t t = 0; t < thin; t++) {
            for (ptrdiff_t i = 0; i < n; i++) {
                const ISB_DT *hi = h + i * q;
                const ISB_DT *Ji = Jr + i * nqq;
                for (ptrdiff_t g = 0; g < G; g++) {
                    int8_t *x = xs + g * n;
                    uint64_t *rng = rngs + g * rng_stride;
                    const ptrdiff_t old = x[i];
                    ptrdiff_t b;
                    uint32_t *Qi = NULL;
                    double *Fi = NULL;
                    if (fixed) Qi = Q + g * nq + i * q;
                    else Fi = F + g * nq + i * q;
                    if (heatbath) {
                        for (ptrdiff_t a = 0; a < q; a++) {
                            if (fixed) cum[a] = bJ * (double)(int32_t)Qi[a] + bH * hi[a];
                            else cum[a] = bJ * Fi[a] + bH * hi[a];
                        }
                        const double tot = isb_dense_softmax_cum(cum, q);
                        const double u = isb_uniform(rng) * tot;
                        b = 0;
                        while (b < q - 1 && cum[b] <= u) b += 1;
                        if (b == old) continue;
                    } else {
                        double fb, fo;
                        b = (ptrdiff_t)isb_bounded(rng, (uint64_t)(q - 1));
                        if (b >= old) b += 1;
                        if (fixed) {
                            fb = (double)(int32_t)Qi[b];
                            fo = (double)(int32_t)Qi[old];
                        } else {
                            fb = Fi[b];
                            fo = Fi[old];
                        }
                        /* beta-weighted energy change of x_i: old -> b */
                        const double d = -(bJ * (fb - fo) + bH * ((double)hi[b] - (double)hi[old]));
                        if (q == 2 && isb_is_tie(d)) {
                            /* a tie, with a deterministic proposal: probability 1/2, not 1
                             * (else some states cycle forever under the fixed site order) */
                            if (!(isb_uniform(rng) < 0.5)) continue;
                        } else if (d > 0.0 && !(isb_uniform(rng) < exp(-d))) {
                            continue;
                        }
                    }
#if ISB_DT_FLOAT
                    if (fixed) {
                        acc[3 * g] -= isb_dense_move_q(Q + g * nq, Ji + b * sb, Ji + old * sb, x, n,
                                                       q, sk, qs);
                    } else {
                        acc[3 * g] -= Fi[b] - Fi[old];
                        isb_dense_move_f(F + g * nq, Ji + b * sb, Ji + old * sb, n, q, sk);
                    }
#else
                    acc[3 * g] -= Fi[b] - Fi[old];
                    isb_dense_move_d(F + g * nq, Ji + b * sb, Ji + old * sb, n, q, sk);
#endif
                    x[i] = (int8_t)b;
                    acc[3 * g + 1] -= (double)hi[b] - (double)hi[old];
                    counts[g * ISB_MAX_Q + old] -= 1;
                    counts[g * ISB_MAX_Q + b] += 1;
                    acc[3 * g + 2] += 1.0;
                }
            }
        }
        for (ptrdiff_t g = 0; g < G; g++) {
            const isb_out o = isb_rec_chain(rec, c0 + g, 0);
            int64_t nmax = 0;
            for (ptrdiff_t a = 0; a < q; a++)
                if (counts[g * ISB_MAX_Q + a] > nmax) nmax = counts[g * ISB_MAX_Q + a];
            (void)isb_out_store(&o, r, acc[3 * g], acc[3 * g + 1],
                                ((double)q * nmax / n - 1.0) / (q - 1), xs + g * n, n);
        }
    }

    for (ptrdiff_t g = 0; g < G; g++) {
        stats[g * rs] += (double)n * thin * n_records;
        stats[g * rs + 1] += acc[3 * g + 2];
    }
    free(acc); free(counts); free(F); free(Q);
    return ISB_OK;
}
