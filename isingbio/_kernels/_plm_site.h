/* Template body of the pseudo-likelihood site kernel; included by _plm_core.h once per floating
 * type with ISB_T (float or double), ISB_SUFFIX (f32 or f64) and ISB_EXP defined. See _plm_core.h
 * for the layout. No include guard on purpose. */

#define ISB_PLM_CAT_(a, b) a##b
#define ISB_PLM_CAT(a, b) ISB_PLM_CAT_(a, b)
#define ISB_FN(name) ISB_PLM_CAT(name, ISB_SUFFIX)

ISB_PLM_INLINE double ISB_FN(isb_plm_site_body_)(
        int i, int L, int q, const int QP, int N, const int8_t *x_t, const uint8_t *perm,
        const int16_t *gstart, const ISB_T *w, const ISB_T *hi, const ISB_T *Ji, ISB_T *ghi, ISB_T *Gi,
        ISB_T *buf, int ignore_gaps)
{
    typedef ISB_V V;                                 /* 32-byte vector of ISB_VL numbers */
    const int NV = QP / ISB_VL;                      /* vectors per row (QP is a multiple of 8) */
    const int a0 = ignore_gaps ? 1 : 0;
    const size_t row = (size_t)q * (size_t)QP;       /* one (q, QP) block J[i][j] */
    const int8_t *xi = x_t + (size_t)i * (size_t)N;
    V valid[ISB_PLM_MAXQP / ISB_VL], hv[ISB_PLM_MAXQP / ISB_VL], gacc[ISB_PLM_MAXQP / ISB_VL];
    int idx[ISB_PLM_NB];
    double lse_s[ISB_PLM_NB], lse_a[ISB_PLM_NB];
    ISB_T wsum[ISB_PLM_MAXQP], wblk[ISB_PLM_MAXQP];
    V tacc[ISB_PLM_MAXQP / ISB_VL];
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
    for (int a = 0; a < QP; a++) wsum[a] = 0;
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
        ISB_PROF_T(0)
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
        ISB_PROF_T(1)
        for (int t = 0; t < NV; t++) tacc[t] = hv[t] * (ISB_T)0;
        for (int a = 0; a < QP; a++) wblk[a] = 0;
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
            lse_s[n] = (double)s;
            lse_a[n] = (double)wn * ((double)m - (double)lx);
            const ISB_T c = wn / s;
            for (int t = 0; t < NV; t++) {
                const V r = bn[t] * c;
                bn[t] = r;
                tacc[t] += r;
            }
            /* the delta term after the vector stores, and into its own sums: a scalar store into a
             * row that is read back as vectors right away would stall store-to-load forwarding */
            ((ISB_T *)bn)[xa] -= wn;
            wblk[xa] += wn;
        }
        /* log outside the loop above (a libm call there would spill the vector registers) */
        for (int n = 0; n < nb; n++) f += lse_a[n] + (double)w[idx[n]] * log(lse_s[n]);
        ISB_PROF_T(2)
        /* the block's sums: T = sum_n buf(n, :) (the row sum of every column's groups) */
        for (int t = 0; t < NV; t++) gacc[t] += tacc[t];
        for (int a = 0; a < QP; a++) {
            wsum[a] += wblk[a];
            ((ISB_T *)tacc)[a] -= wblk[a];
        }
        /* gradient: G_i[j][b][a] += sum of buf(n, a) over the sequences n of the block with
         * x_j^n = b. perm lists the block's sequences grouped by their state at j, and gstart the
         * nonempty groups (state and end), so each row of G is summed in registers and written
         * once per block. The largest group (about half the block on a conserved column) is
         * not listed: its row gets the block total T minus the other groups' sums. Rows of buf
         * that do not contribute are zero (with ignore_gaps the gap rows of G are computed but
         * never used). */
        for (int j = 0; j < L; j++) {
            const uint8_t *pj = perm + ((size_t)blk * L + j) * ISB_PLM_NB;
            const uint16_t *ej = (const uint16_t *)(gstart + ((size_t)blk * L + j) * (size_t)(q + 1));
            ISB_T *Gj = Gi + (size_t)j * row;
            const int ng = ej[0] & 511;
            V oth[ISB_PLM_MAXQP / ISB_VL];
            for (int t = 0; t < NV; t++) oth[t] = tacc[t];
            int k = 0;
            for (int gi = 1; gi <= ng; gi++) {
                const int b = ej[gi] >> 9, k1 = ej[gi] & 511;
                V acc0[ISB_PLM_MAXQP / ISB_VL], acc1[ISB_PLM_MAXQP / ISB_VL];
                for (int t = 0; t < NV; t++) { acc0[t] = hv[t] * (ISB_T)0; acc1[t] = acc0[t]; }
                /* two rows a step; an odd group's last step adds its second row times 0 (the
                 * row after the group: the largest group's first at worst, so inside the
                 * block): 1.01-1.05x against a branch on the group's parity */
                for (; k < k1; k += 2) {
                    const V *b0 = (const V *)(buf + (size_t)pj[k] * QP);
                    const V *b1 = (const V *)(buf + (size_t)pj[k + 1] * QP);
                    const ISB_T m1 = k + 1 < k1 ? (ISB_T)1 : (ISB_T)0;
                    for (int t = 0; t < NV; t++) { acc0[t] += b0[t]; acc1[t] += b1[t] * m1; }
                }
                k = k1;
                V *gr = (V *)(Gj + (size_t)b * QP);
                for (int t = 0; t < NV; t++) {
                    const V sgrp = acc0[t] + acc1[t];
                    gr[t] += sgrp;
                    oth[t] -= sgrp;
                }
            }
            V *gr = (V *)(Gj + (size_t)(ej[0] >> 9) * QP);
            for (int t = 0; t < NV; t++) gr[t] += oth[t];
        }
    }
    ISB_PROF_T(3)
    for (int t = 0; t < NV; t++) *(V *)(ghi + t * ISB_VL) = gacc[t];
    for (int a = 0; a < QP; a++) ghi[a] -= wsum[a];
    return f;
}

/* Pair index of i < j in row-major order and the offset of its q x q block in the packed vector. */
ISB_PLM_INLINE size_t ISB_FN(isb_plm_pair_)(size_t i, size_t j, size_t L) {
    return i * (2 * L - i - 1) / 2 + (j - i - 1);
}

/* Offset of the q x q block of pair (i, j), i != j, in the packed vector. */
ISB_PLM_INLINE size_t ISB_FN(isb_plm_block_)(int i, int j, int L, int q) {
    const size_t lo = (size_t)(j < i ? j : i), hi = (size_t)(j < i ? i : j);
    return (size_t)L * (size_t)q + ISB_FN(isb_plm_pair_)(lo, hi, (size_t)L) * (size_t)q * (size_t)q;
}

/* Prefetch the pair block of site i with column j (when j is a column other than i) of up to
 * three packed vectors: the blocks lie L q^2 numbers apart in vectors of tens of megabytes, so
 * each one would otherwise start with a wait on memory. */
ISB_PLM_INLINE void ISB_FN(isb_plm_prefetch_)(int i, int j, int L, int q, const ISB_T *a, const ISB_T *b,
                                              const ISB_T *c) {
    if (j >= L || j == i) return;
    const size_t off = ISB_FN(isb_plm_block_)(i, j, L, q), bytes = (size_t)q * (size_t)q * sizeof(ISB_T);
    for (size_t o = 0; o < bytes; o += 64) {
        __builtin_prefetch((const char *)(a + off) + o, 0, 3);
        if (b != a) __builtin_prefetch((const char *)(b + off) + o, 0, 3);
        if (c) __builtin_prefetch((const char *)(c + off) + o, 1, 3);
    }
}

/* The site-i term of the negative pseudo-log-likelihood of the packed parameter vector at the
 * trial point x + step * d (d may be x with step 0), plus site i's share of the gradient and of
 * the L2 penalty:
 *   - row i of the fields: g[i*q + a] = d/dh_i(a) of the site term + 2 lambda_h h_i(a);
 *   - for every pair (i, j), j != i, the site-i part of d/dJ_ij, added into the pair's packed
 *     block under the pair's spin lock (lock[p]); cnt[p] counts the contributions so far (0 at
 *     the start of an evaluation): the first one is stored, the second one is added and the
 *     block's 2 lambda_J J_ij term after it. a + b == b + a exactly, so the result does not
 *     depend on which site (thread) comes first;
 *   - *reg: lambda_h |h_i|^2 + lambda_J sum_{j > i} |J_ij|^2 (the pairs where i is the lower site).
 * scratch (private to the calling thread, zeroed once by the caller; padding entries stay zero;
 * used from its first 64-byte boundary):
 * Ji and Gi (L * q * qp each), hi and ghi (qp each), then buf (ISB_PLM_NB * qp). */
ISB_PLM_CLONES
double ISB_FN(isb_plm_site_packed_)(int i, int L, int q, int qp, int N, const int8_t *x_t, const uint8_t *perm,
                                    const int16_t *gstart, const ISB_T *w, const ISB_T *x, const ISB_T *d,
                                    double step_d, ISB_T *g, uint8_t *cnt, uint8_t *lock, double lambda_h,
                                    double lambda_J, ISB_T *scratch, int ignore_gaps, double *reg)
{
    const size_t row = (size_t)q * (size_t)qp, qq = (size_t)q * (size_t)q, Lq = (size_t)L * (size_t)q;
    const ISB_T step = (ISB_T)step_d;
    /* from the first 64-byte boundary (scratch_size leaves 16 numbers for it): the rows of Ji, Gi
     * and buf (qp numbers, qp a multiple of 8) then start on 32-byte boundaries, so no vector
     * load or store straddles two cache lines (numpy's arrays are only 16-byte aligned, and a
     * misaligned scratch row measured up to 12% slower) */
    scratch = (ISB_T *)(((uintptr_t)scratch + 63) & ~(uintptr_t)63);
    ISB_T *Ji = scratch, *Gi = Ji + (size_t)L * row, *hi = Gi + (size_t)L * row, *ghi = hi + qp;
    ISB_T *buf = ghi + qp;
    double rh = 0.0, rj = 0.0;
    for (int a = 0; a < q; a++) {
        const size_t k = (size_t)i * q + a;
        const ISB_T v = x[k] + step * d[k];
        hi[a] = v;
        rh += (double)v * (double)v;
    }
    ISB_FN(isb_plm_prefetch_)(i, 0, L, q, x, d, NULL);
    ISB_FN(isb_plm_prefetch_)(i, 1, L, q, x, d, NULL);
    for (int j = 0; j < L; j++) {
        ISB_T *Jj = Ji + (size_t)j * row;
        ISB_FN(isb_plm_prefetch_)(i, j + 2, L, q, x, d, NULL);
        if (j == i) {
            for (size_t t = 0; t < row; t++) Jj[t] = 0;
        } else if (j < i) {        /* block (j, i)[b][a] = J_ji(b, a) = J_ij(a, b): rows as they are */
            const size_t off = Lq + ISB_FN(isb_plm_pair_)(j, i, L) * qq;
            for (int b = 0; b < q; b++) {
                const ISB_T *xs = x + off + (size_t)b * q, *ds = d + off + (size_t)b * q;
                ISB_T *dst = Jj + (size_t)b * qp;
                for (int a = 0; a < q; a++) dst[a] = xs[a] + step * ds[a];
            }
        } else {                   /* block (i, j)[a][b] = J_ij(a, b): transposed */
            const size_t off = Lq + ISB_FN(isb_plm_pair_)(i, j, L) * qq;
            const ISB_T *xs = x + off, *ds = d + off;
            /* |J_ij|^2 in ISB_LANES partial sums (one running sum is a chain of dependent adds) */
            double racc[ISB_LANES] = {0, 0, 0, 0, 0, 0, 0, 0};
            size_t t = 0;
            for (; t + ISB_LANES <= qq; t += ISB_LANES)
                for (int k = 0; k < ISB_LANES; k++) {
                    const ISB_T v = xs[t + k] + step * ds[t + k];
                    racc[k] += (double)v * (double)v;
                }
            for (; t < qq; t++) {
                const ISB_T v = xs[t] + step * ds[t];
                racc[0] += (double)v * (double)v;
            }
            rj += isb_lanes_sum(racc);
            for (int a = 0; a < q; a++)
                for (int b = 0; b < q; b++) {
                    const size_t t = (size_t)a * q + b;
                    Jj[(size_t)b * qp + a] = xs[t] + step * ds[t];
                }
        }
    }
    *reg = lambda_h * rh + lambda_J * rj;
    double f;
    switch (qp) {
    case 8:
        f = ISB_FN(isb_plm_site_body_)(i, L, q, 8, N, x_t, perm, gstart, w, hi, Ji, ghi, Gi, buf, ignore_gaps);
        break;
    case 16:
        f = ISB_FN(isb_plm_site_body_)(i, L, q, 16, N, x_t, perm, gstart, w, hi, Ji, ghi, Gi, buf, ignore_gaps);
        break;
    case 24:
        f = ISB_FN(isb_plm_site_body_)(i, L, q, 24, N, x_t, perm, gstart, w, hi, Ji, ghi, Gi, buf, ignore_gaps);
        break;
    case 32:
        f = ISB_FN(isb_plm_site_body_)(i, L, q, 32, N, x_t, perm, gstart, w, hi, Ji, ghi, Gi, buf, ignore_gaps);
        break;
    default:
        f = ISB_FN(isb_plm_site_body_)(i, L, q, qp, N, x_t, perm, gstart, w, hi, Ji, ghi, Gi, buf, ignore_gaps);
    }
    const ISB_T two_lh = (ISB_T)(2.0 * lambda_h), two_lj = (ISB_T)(2.0 * lambda_J);
    for (int a = 0; a < q; a++) g[(size_t)i * q + a] = ghi[a] + two_lh * hi[a];
    if (ignore_gaps) g[(size_t)i * q] = 0;
    ISB_FN(isb_plm_prefetch_)(i, 0, L, q, x, d, g);
    ISB_FN(isb_plm_prefetch_)(i, 1, L, q, x, d, g);
    for (int j = 0; j < L; j++) {
        ISB_FN(isb_plm_prefetch_)(i, j + 2, L, q, x, d, g);
        if (j == i) continue;
        const int lo = j < i ? j : i, hi_ = j < i ? i : j;
        const size_t p = ISB_FN(isb_plm_pair_)(lo, hi_, L), off = Lq + p * qq;
        const ISB_T *Gj = Gi + (size_t)j * row;
        ISB_T *gb = g + off;
        const ISB_T *xs = x + off, *ds = d + off;
        while (__atomic_test_and_set(&lock[p], __ATOMIC_ACQUIRE)) {
#if defined(__x86_64__) || defined(__i386__)
            __builtin_ia32_pause();
#endif
        }
        const int first = cnt[p] == 0;
        if (j < i) {               /* gb[b][a] += Gj[b][a] */
            for (int b = 0; b < q; b++) {
                const ISB_T *src = Gj + (size_t)b * qp;
                ISB_T *dst = gb + (size_t)b * q;
                if (first) {
                    for (int a = 0; a < q; a++) dst[a] = src[a];
                } else {
                    const size_t o = (size_t)b * q;
                    for (int a = 0; a < q; a++) dst[a] = (dst[a] + src[a]) + two_lj * (xs[o + a] + step * ds[o + a]);
                }
            }
        } else {                   /* gb[a][b] += Gj[b][a] */
            for (int a = 0; a < q; a++) {
                ISB_T *dst = gb + (size_t)a * q;
                if (first) {
                    for (int b = 0; b < q; b++) dst[b] = Gj[(size_t)b * qp + a];
                } else {
                    const size_t o = (size_t)a * q;
                    for (int b = 0; b < q; b++)
                        dst[b] = (dst[b] + Gj[(size_t)b * qp + a]) + two_lj * (xs[o + b] + step * ds[o + b]);
                }
            }
        }
        if (!first && ignore_gaps) {   /* gap parameters stay at zero */
            for (int t = 0; t < q; t++) {
                gb[t] = 0;
                gb[(size_t)t * q] = 0;
            }
        }
        cnt[p] = first ? 1 : 2;
        __atomic_clear(&lock[p], __ATOMIC_RELEASE);
    }
    return f;
}

/* ---- vector passes of the L-BFGS optimiser on one block [0, n) of the packed vectors ------ */
/* Sums are kept in 8 partial lanes, combined in a fixed order: the result depends only on the
 * block bounds (never on the number of threads). */

/* v = (init ? init[t] * init_scale : d[t]) + (xv ? alpha * xv[t] : 0); d[t] = T(v * post);
 * returns sum_t d[t] * dotv[t] (0 without dotv). */
#define ISB_VFUSED_BODY(LOAD, DOT)                                                              \
    {                                                                                          \
        size_t t = 0;                                                                          \
        for (; t + ISB_LANES <= n; t += ISB_LANES)                                             \
            for (int k = 0; k < ISB_LANES; k++) {                                              \
                const size_t u = t + k;                                                        \
                const ISB_T r = (ISB_T)((LOAD) * post);                                        \
                d[u] = r;                                                                      \
                acc[k] += (double)r * (DOT);                                                   \
            }                                                                                  \
        for (; t < n; t++) {                                                                   \
            const size_t u = t;                                                                \
            const ISB_T r = (ISB_T)((LOAD) * post);                                            \
            d[u] = r;                                                                          \
            acc[0] += (double)r * (DOT);                                                       \
        }                                                                                      \
    }

ISB_PLM_CLONES
double ISB_FN(isb_vfused_)(size_t n, ISB_T *d, const ISB_T *init, double init_scale, double alpha,
                           const ISB_T *xv, double post, const ISB_T *dotv)
{
    double acc[ISB_LANES] = {0, 0, 0, 0, 0, 0, 0, 0};
    if (init && !xv) {
        if (dotv) ISB_VFUSED_BODY((double)init[u] * init_scale, (double)dotv[u])
        else ISB_VFUSED_BODY((double)init[u] * init_scale, 0.0)
    } else if (init) {
        if (dotv) ISB_VFUSED_BODY((double)init[u] * init_scale + alpha * (double)xv[u], (double)dotv[u])
        else ISB_VFUSED_BODY((double)init[u] * init_scale + alpha * (double)xv[u], 0.0)
    } else if (xv) {
        if (dotv) ISB_VFUSED_BODY((double)d[u] + alpha * (double)xv[u], (double)dotv[u])
        else ISB_VFUSED_BODY((double)d[u] + alpha * (double)xv[u], 0.0)
    } else {
        if (dotv) ISB_VFUSED_BODY((double)d[u], (double)dotv[u])
        else ISB_VFUSED_BODY((double)d[u], 0.0)
    }
    return isb_lanes_sum(acc);
}
#undef ISB_VFUSED_BODY

/* Accept a step: s = T(step * d); x += s; y = g_new - g where y holds g_new on entry; g = g_new.
 * out[0..2] = s.y, y.y, g_new.g_new (as stored). */
ISB_PLM_CLONES
void ISB_FN(isb_vaccept_)(size_t n, ISB_T *x, const ISB_T *d, double step_d, ISB_T *s, ISB_T *y, ISB_T *g,
                          double *out)
{
    const ISB_T step = (ISB_T)step_d;
    double a[ISB_LANES] = {0}, b[ISB_LANES] = {0}, c[ISB_LANES] = {0};
    size_t t = 0;
#define ISB_ACCEPT_ONE(u, k)                                                                    \
    {                                                                                          \
        const ISB_T sv = step * d[u];                                                          \
        x[u] = x[u] + sv;                                                                      \
        const ISB_T gn = y[u];                                                                 \
        const ISB_T yv = gn - g[u];                                                            \
        s[u] = sv;                                                                             \
        y[u] = yv;                                                                             \
        g[u] = gn;                                                                             \
        a[k] += (double)sv * (double)yv;                                                       \
        b[k] += (double)yv * (double)yv;                                                       \
        c[k] += (double)gn * (double)gn;                                                       \
    }
    for (; t + ISB_LANES <= n; t += ISB_LANES)
        for (int k = 0; k < ISB_LANES; k++) ISB_ACCEPT_ONE(t + k, k)
    for (; t < n; t++) ISB_ACCEPT_ONE(t, 0)
#undef ISB_ACCEPT_ONE
    out[0] = isb_lanes_sum(a);
    out[1] = isb_lanes_sum(b);
    out[2] = isb_lanes_sum(c);
}

#undef ISB_FN
#undef ISB_PLM_CAT
#undef ISB_PLM_CAT_
