/* Template body of the pseudo-likelihood site kernel; included by _plm_core.h once per floating
 * type with ISB_T (float or double), ISB_SUFFIX (f32 or f64) and ISB_EXP defined. See _plm_core.h
 * for the layout. No include guard on purpose. */

#define ISB_PLM_CAT_(a, b) a##b
#define ISB_PLM_CAT(a, b) ISB_PLM_CAT_(a, b)
#define ISB_FN(name) ISB_PLM_CAT(name, ISB_SUFFIX)

ISB_PLM_INLINE double ISB_FN(isb_plm_site_body_)(
        int i, int L, int q, const int QP, int N, const int8_t *x_t, const uint8_t *perm,
        const int16_t *gstart, const ISB_T *w, const ISB_T *h, const ISB_T *J, ISB_T *gh, ISB_T *G,
        ISB_T *buf, int ignore_gaps)
{
    typedef ISB_V V;                                 /* 32-byte vector of ISB_VL numbers */
    const int NV = QP / ISB_VL;                      /* vectors per row (QP is a multiple of 8) */
    const int a0 = ignore_gaps ? 1 : 0;
    const size_t row = (size_t)q * (size_t)QP;       /* one (q, QP) block J[i][j] */
    const ISB_T *Ji = J + (size_t)i * (size_t)L * row;
    ISB_T *Gi = G + (size_t)i * (size_t)L * row;
    ISB_T *ghi = gh + (size_t)i * (size_t)QP;
    const ISB_T *hi = h + (size_t)i * (size_t)QP;
    const int8_t *xi = x_t + (size_t)i * (size_t)N;
    V valid[ISB_PLM_MAXQP / ISB_VL], hv[ISB_PLM_MAXQP / ISB_VL], gacc[ISB_PLM_MAXQP / ISB_VL];
    int idx[ISB_PLM_NB];
    double f = 0.0;

    memset(Gi, 0, (size_t)L * row * sizeof(ISB_T));
    for (int t = 0; t < NV; t++) {
        for (int k = 0; k < ISB_VL; k++) {
            const int a = t * ISB_VL + k;
            valid[t][k] = (a >= a0 && a < q) ? (ISB_T)1 : (ISB_T)0;
        }
        hv[t] = *(const V *)(hi + t * ISB_VL);
        gacc[t] = hv[t] * (ISB_T)0;
    }
    for (int n0 = 0, blk = 0; n0 < N; n0 += ISB_PLM_NB, blk++) {
        const int nbmax = N - n0 < ISB_PLM_NB ? N - n0 : ISB_PLM_NB;
        /* the sequences of the block that contribute (gap at i or zero weight: skipped; their
         * rows of buf are zero, so the gradient loop below adds nothing for them) */
        int nb = 0;
        for (int n = 0; n < nbmax; n++) {
            const int xa = xi[n0 + n];
            if (w[n0 + n] != 0 && !(ignore_gaps && xa == 0)) {
                idx[nb++] = n0 + n;
            } else {
                V *bn = (V *)(buf + (size_t)n * QP);
                for (int t = 0; t < NV; t++) bn[t] = hv[t] * (ISB_T)0;
            }
        }
        if (nb == 0) continue;
        /* logits l(n, a) = h_i(a) + sum_j J_ij(a, x_j^n), four columns j at a time
         * (the diagonal block J_ii is zero, so j = i needs no branch) */
        for (int n = 0; n < nb; n++) {
            V *bn = (V *)(buf + (size_t)(idx[n] - n0) * QP);
            for (int t = 0; t < NV; t++) bn[t] = hv[t];
        }
        int j = 0;
        for (; j + 4 <= L; j += 4) {
            const ISB_T *J0 = Ji + (size_t)j * row, *J1 = J0 + row, *J2 = J1 + row, *J3 = J2 + row;
            const int8_t *x0 = x_t + (size_t)j * N, *x1 = x0 + N, *x2 = x1 + N, *x3 = x2 + N;
            for (int n = 0; n < nb; n++) {
                const int s = idx[n];
                const V *r0 = (const V *)(J0 + (size_t)x0[s] * QP);
                const V *r1 = (const V *)(J1 + (size_t)x1[s] * QP);
                const V *r2 = (const V *)(J2 + (size_t)x2[s] * QP);
                const V *r3 = (const V *)(J3 + (size_t)x3[s] * QP);
                V *bn = (V *)(buf + (size_t)(s - n0) * QP);
                for (int t = 0; t < NV; t++) bn[t] += (r0[t] + r1[t]) + (r2[t] + r3[t]);
            }
        }
        for (; j < L; j++) {
            const ISB_T *J0 = Ji + (size_t)j * row;
            const int8_t *x0 = x_t + (size_t)j * N;
            for (int n = 0; n < nb; n++) {
                const V *r0 = (const V *)(J0 + (size_t)x0[idx[n]] * QP);
                V *bn = (V *)(buf + (size_t)(idx[n] - n0) * QP);
                for (int t = 0; t < NV; t++) bn[t] += r0[t];
            }
        }
        /* softmax over the valid states; buf becomes w_n (p(a) - delta(a, x_i^n)) */
        for (int n = 0; n < nb; n++) {
            V *bn = (V *)(buf + (size_t)(idx[n] - n0) * QP);
            const int xa = xi[idx[n]];
            const ISB_T wn = w[idx[n]];
            const ISB_T lx = ((ISB_T *)bn)[xa];
            V mv = bn[0] * valid[0] + (valid[0] - (ISB_T)1) * (ISB_T)1e30;
            for (int t = 1; t < NV; t++) {
                const V v = bn[t] * valid[t] + (valid[t] - (ISB_T)1) * (ISB_T)1e30;
                mv = ISB_VMAX(v, mv);
            }
            ISB_T m = mv[0];
            for (int k = 1; k < ISB_VL; k++) m = mv[k] > m ? mv[k] : m;
            V sv = mv * (ISB_T)0;
            for (int t = 0; t < NV; t++) {
                const V e = ISB_EXPV(bn[t] - m) * valid[t];
                bn[t] = e;
                sv += e;
            }
            ISB_T s = 0;
            for (int k = 0; k < ISB_VL; k++) s += sv[k];
            f += (double)wn * ((double)m + log((double)s) - (double)lx);
            const ISB_T c = wn / s;
            for (int t = 0; t < NV; t++) bn[t] *= c;
            ((ISB_T *)bn)[xa] -= wn;
            for (int t = 0; t < NV; t++) gacc[t] += bn[t];
        }
        /* gradient: G_i[j][b][a] += sum of buf(n, a) over the sequences n of the block with
         * x_j^n = b. perm lists the block's sequences grouped by their state at j (gstart: where
         * each state's group starts), so each row of G is summed in registers and written once
         * per block. With ignore_gaps the gap rows (b = 0) are not needed. */
        for (int j = 0; j < L; j++) {
            const uint8_t *pj = perm + ((size_t)blk * L + j) * ISB_PLM_NB;
            const int16_t *sj = gstart + ((size_t)blk * L + j) * (size_t)(q + 1);
            ISB_T *Gj = Gi + (size_t)j * row;
            for (int b = a0; b < q; b++) {
                int k = sj[b];
                const int k1 = sj[b + 1];
                if (k == k1) continue;
                V acc0[ISB_PLM_MAXQP / ISB_VL], acc1[ISB_PLM_MAXQP / ISB_VL];
                for (int t = 0; t < NV; t++) { acc0[t] = hv[t] * (ISB_T)0; acc1[t] = acc0[t]; }
                for (; k + 1 < k1; k += 2) {
                    const V *b0 = (const V *)(buf + (size_t)pj[k] * QP);
                    const V *b1 = (const V *)(buf + (size_t)pj[k + 1] * QP);
                    for (int t = 0; t < NV; t++) { acc0[t] += b0[t]; acc1[t] += b1[t]; }
                }
                if (k < k1) {
                    const V *b0 = (const V *)(buf + (size_t)pj[k] * QP);
                    for (int t = 0; t < NV; t++) acc0[t] += b0[t];
                }
                V *gr = (V *)(Gj + (size_t)b * QP);
                for (int t = 0; t < NV; t++) gr[t] += acc0[t] + acc1[t];
            }
        }
    }
    for (int t = 0; t < NV; t++) *(V *)(ghi + t * ISB_VL) = gacc[t];
    return f;
}

/* The site-i term of the negative pseudo-log-likelihood; fills gh row i and G rows i.
 * buf: scratch of ISB_PLM_NB * qp numbers, private to the calling thread. */
ISB_PLM_CLONES
double ISB_FN(isb_plm_site_)(int i, int L, int q, int qp, int N, const int8_t *x_t, const uint8_t *perm,
                             const int16_t *gstart, const ISB_T *w, const ISB_T *h, const ISB_T *J, ISB_T *gh, ISB_T *G, ISB_T *buf,
                             int ignore_gaps)
{
    switch (qp) {
    case 8:
        return ISB_FN(isb_plm_site_body_)(i, L, q, 8, N, x_t, perm, gstart, w, h, J, gh, G, buf, ignore_gaps);
    case 16:
        return ISB_FN(isb_plm_site_body_)(i, L, q, 16, N, x_t, perm, gstart, w, h, J, gh, G, buf, ignore_gaps);
    case 24:
        return ISB_FN(isb_plm_site_body_)(i, L, q, 24, N, x_t, perm, gstart, w, h, J, gh, G, buf, ignore_gaps);
    case 32:
        return ISB_FN(isb_plm_site_body_)(i, L, q, 32, N, x_t, perm, gstart, w, h, J, gh, G, buf, ignore_gaps);
    default:
        return ISB_FN(isb_plm_site_body_)(i, L, q, qp, N, x_t, perm, gstart, w, h, J, gh, G, buf, ignore_gaps);
    }
}

#undef ISB_FN
#undef ISB_PLM_CAT
#undef ISB_PLM_CAT_
