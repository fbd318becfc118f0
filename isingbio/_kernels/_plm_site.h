/* Template body of the pseudo-likelihood site kernel; included by _plm_core.h once per floating
 * type with ISB_T (float or double), ISB_SUFFIX (f32 or f64) and ISB_EXP defined. See _plm_core.h
 * for the layout. No include guard on purpose. */

#define ISB_PLM_CAT_(a, b) a##b
#define ISB_PLM_CAT(a, b) ISB_PLM_CAT_(a, b)
#define ISB_FN(name) ISB_PLM_CAT(name, ISB_SUFFIX)

ISB_PLM_INLINE double ISB_FN(isb_plm_site_body_)(
        int i, int L, int q, const int QP, int N, const int8_t *x_t, const ISB_T *w,
        const ISB_T *h, const ISB_T *J, ISB_T *gh, ISB_T *G, ISB_T *buf, int ignore_gaps)
{
    const int a0 = ignore_gaps ? 1 : 0;
    const size_t row = (size_t)q * (size_t)QP;       /* one (q, QP) block J[i][j] */
    const ISB_T *Ji = J + (size_t)i * (size_t)L * row;
    ISB_T *Gi = G + (size_t)i * (size_t)L * row;
    ISB_T *ghi = gh + (size_t)i * (size_t)QP;
    const ISB_T *hi = h + (size_t)i * (size_t)QP;
    const int8_t *xi = x_t + (size_t)i * (size_t)N;
    ISB_T valid[ISB_PLM_MAXQP];
    double f = 0.0;

    memset(Gi, 0, (size_t)L * row * sizeof(ISB_T));
    for (int a = 0; a < QP; a++) {
        ghi[a] = 0;
        valid[a] = (a >= a0 && a < q) ? (ISB_T)1 : (ISB_T)0;
    }
    for (int n0 = 0; n0 < N; n0 += ISB_PLM_NB) {
        const int nb = N - n0 < ISB_PLM_NB ? N - n0 : ISB_PLM_NB;
        /* logits l(n, a) = h_i(a) + sum_j J_ij(a, x_j^n) */
        for (int n = 0; n < nb; n++) {
            ISB_T *restrict bn = buf + (size_t)n * QP;
            for (int a = 0; a < QP; a++) bn[a] = hi[a];
        }
        for (int j = 0; j < L; j++) {
            if (j == i) continue;
            const ISB_T *Jij = Ji + (size_t)j * row;
            const int8_t *xj = x_t + (size_t)j * N + n0;
            for (int n = 0; n < nb; n++) {
                const ISB_T *restrict r = Jij + (size_t)xj[n] * QP;
                ISB_T *restrict bn = buf + (size_t)n * QP;
                for (int a = 0; a < QP; a++) bn[a] += r[a];
            }
        }
        /* softmax; buf becomes w_n (p(a) - delta(a, x_i^n)) */
        for (int n = 0; n < nb; n++) {
            ISB_T *restrict bn = buf + (size_t)n * QP;
            const int xa = xi[n0 + n];
            const ISB_T wn = w[n0 + n];
            if (wn == 0 || (ignore_gaps && xa == 0)) {
                for (int a = 0; a < QP; a++) bn[a] = 0;
                continue;
            }
            ISB_T mk[8], sk[8];
            for (int k = 0; k < 8; k++) { mk[k] = (ISB_T)-1e30; sk[k] = 0; }
            for (int t = 0; t < QP / 8; t++)
                for (int k = 0; k < 8; k++) {
                    const ISB_T v = valid[t * 8 + k] != 0 ? bn[t * 8 + k] : (ISB_T)-1e30;
                    mk[k] = v > mk[k] ? v : mk[k];
                }
            ISB_T m = mk[0];
            for (int k = 1; k < 8; k++) m = mk[k] > m ? mk[k] : m;
            const ISB_T lx = bn[xa];
            for (int t = 0; t < QP / 8; t++)
                for (int k = 0; k < 8; k++) {
                    const ISB_T d = valid[t * 8 + k] != 0 ? bn[t * 8 + k] - m : (ISB_T)-1e30;
                    const ISB_T e = ISB_EXP(d) * valid[t * 8 + k];
                    bn[t * 8 + k] = e;
                    sk[k] += e;
                }
            ISB_T s = ((sk[0] + sk[1]) + (sk[2] + sk[3])) + ((sk[4] + sk[5]) + (sk[6] + sk[7]));
            f += (double)wn * ((double)m + log((double)s) - (double)lx);
            const ISB_T c = wn / s;
            for (int a = 0; a < QP; a++) bn[a] *= c;
            bn[xa] -= wn;
            for (int a = 0; a < QP; a++) ghi[a] += bn[a];
        }
        /* gradient: G_i[j][x_j^n][a] += buf(n, a) */
        for (int j = 0; j < L; j++) {
            if (j == i) continue;
            ISB_T *Gij = Gi + (size_t)j * row;
            const int8_t *xj = x_t + (size_t)j * N + n0;
            for (int n = 0; n < nb; n++) {
                ISB_T *restrict gr = Gij + (size_t)xj[n] * QP;
                const ISB_T *restrict bn = buf + (size_t)n * QP;
                for (int a = 0; a < QP; a++) gr[a] += bn[a];
            }
        }
    }
    return f;
}

/* The site-i term of the negative pseudo-log-likelihood; fills gh row i and G rows i.
 * buf: scratch of ISB_PLM_NB * qp numbers, private to the calling thread. */
ISB_PLM_CLONES
double ISB_FN(isb_plm_site_)(int i, int L, int q, int qp, int N, const int8_t *x_t, const ISB_T *w,
                             const ISB_T *h, const ISB_T *J, ISB_T *gh, ISB_T *G, ISB_T *buf,
                             int ignore_gaps)
{
    switch (qp) {
    case 8:
        return ISB_FN(isb_plm_site_body_)(i, L, q, 8, N, x_t, w, h, J, gh, G, buf, ignore_gaps);
    case 16:
        return ISB_FN(isb_plm_site_body_)(i, L, q, 16, N, x_t, w, h, J, gh, G, buf, ignore_gaps);
    case 24:
        return ISB_FN(isb_plm_site_body_)(i, L, q, 24, N, x_t, w, h, J, gh, G, buf, ignore_gaps);
    case 32:
        return ISB_FN(isb_plm_site_body_)(i, L, q, 32, N, x_t, w, h, J, gh, G, buf, ignore_gaps);
    default:
        return ISB_FN(isb_plm_site_body_)(i, L, q, qp, N, x_t, w, h, J, gh, G, buf, ignore_gaps);
    }
}

#undef ISB_FN
#undef ISB_PLM_CAT
#undef ISB_PLM_CAT_
