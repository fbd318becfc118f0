# Pseudo-likelihood objective and gradient of dense Potts models (private; see isingbio.plm).
#
# Parameter vector (float32 or float64, the optimiser's and the only copy of the parameters):
# the fields h[i, a] (L*q numbers, C order), then one q x q block per pair i < j in row-major
# pair order, block[a, b] = J_ij(a, b). Each site's kernel call copies the couplings it needs
# (its L blocks, transposed where needed, padded to qp = q rounded up to a multiple of 8) into
# per-thread scratch and adds its share of the gradient into the packed gradient vector. The
# site kernel itself is C (_plm_core.h, _plm_site.h).
from cython.parallel cimport prange, parallel, threadid
from libc.stdint cimport int8_t, int16_t, uint8_t, uint16_t

ctypedef fused floating:
    float
    double

cdef extern from "_plm_core.h" nogil:
    int ISB_PLM_NB
    double isb_plm_site_packed_f32(int i, int L, int q, int qp, int N, const int8_t *x_t, const uint8_t *perm,
                                   const int16_t *gstart, const float *w, const float *x, const float *d,
                                   double step, float *g, uint8_t *cnt, uint8_t *lock, double lambda_h,
                                   double lambda_J, float *scratch, int ignore_gaps, double *reg) noexcept
    double isb_plm_site_packed_f64(int i, int L, int q, int qp, int N, const int8_t *x_t, const uint8_t *perm,
                                   const int16_t *gstart, const double *w, const double *x, const double *d,
                                   double step, double *g, uint8_t *cnt, uint8_t *lock, double lambda_h,
                                   double lambda_J, double *scratch, int ignore_gaps, double *reg) noexcept
    const char *isb_plm_simd() noexcept
    double isb_vfused_f32(size_t n, float *d, const float *init, double init_scale, double alpha,
                          const float *xv, double post, const float *dotv) noexcept
    double isb_vfused_f64(size_t n, double *d, const double *init, double init_scale, double alpha,
                          const double *xv, double post, const double *dotv) noexcept
    void isb_vaccept_f32(size_t n, float *x, const float *d, double step, float *s, float *y, float *g,
                         double *out) noexcept
    void isb_vaccept_f64(size_t n, double *x, const double *d, double step, double *s, double *y, double *g,
                         double *out) noexcept


def simd_level():
    """The instruction set the kernel dispatcher picks on this CPU."""
    return isb_plm_simd().decode()


def block_size():
    """Sequences per block in the site kernel."""
    return ISB_PLM_NB


def block_groups(const int8_t[:, ::1] x, int q):
    """Per block of ISB_PLM_NB sequences and per column j, the block's sequences grouped by their
    state at j, for the gradient step of the site kernel.

    perm (n_blocks, L, NB) uint8: positions in the block, stable order within a group; the groups
    in increasing state order, but for the largest group (the first state of largest count),
    which comes last. gstart (n_blocks, L, q + 1) int16, read as uint16: entry 0 is
    ``ng | (c << 9)`` (ng: the number of nonempty groups listed before the largest one, c: the
    largest group's state), entry 1 + g (g < ng) is ``end | (b << 9)`` (b: the g-th listed group's
    state, end: where it ends in perm; it starts where the previous one ends, the first at 0).
    The largest group is not listed: the kernel gives its row of the gradient the block's total
    minus the other groups' sums."""
    cdef Py_ssize_t N = x.shape[0], L = x.shape[1], nblk = (N + ISB_PLM_NB - 1) // ISB_PLM_NB
    cdef Py_ssize_t blk, j, n, n0, nb, b, cb, ng, pos
    import numpy as np
    perm_arr = np.zeros((nblk, L, ISB_PLM_NB), dtype=np.uint8)
    gstart_arr = np.zeros((nblk, L, q + 1), dtype=np.int16)
    cdef uint8_t[:, :, ::1] perm = perm_arr
    cdef uint16_t[:, :, ::1] gstart = gstart_arr.view(np.uint16)
    cdef int16_t cnt[128]
    cdef int16_t start[128]
    cdef int8_t lo = 0, hi = 0
    if q < 1 or q > 127:
        raise ValueError("block_groups: q must be in 1..127")
    with nogil:   # a code outside 0..q-1 would index cnt and start out of bounds
        for n in range(N):
            for j in range(L):
                if x[n, j] < lo:
                    lo = x[n, j]
                if x[n, j] > hi:
                    hi = x[n, j]
    if lo < 0 or hi >= q:
        raise ValueError(f"block_groups: codes must be in 0..{q - 1}, got {lo if lo < 0 else hi}")
    with nogil:
        for blk in range(nblk):
            n0 = blk * ISB_PLM_NB
            nb = N - n0 if N - n0 < ISB_PLM_NB else ISB_PLM_NB
            for j in range(L):
                for b in range(q):
                    cnt[b] = 0
                for n in range(nb):
                    cnt[x[n0 + n, j]] += 1
                cb = 0
                for b in range(1, q):
                    if cnt[b] > cnt[cb]:
                        cb = b
                pos = 0
                ng = 0
                for b in range(q):
                    if b != cb and cnt[b] > 0:
                        start[b] = pos
                        pos += cnt[b]
                        ng += 1
                        gstart[blk, j, ng] = <uint16_t> (pos | (b << 9))
                start[cb] = pos
                gstart[blk, j, 0] = <uint16_t> (ng | (cb << 9))
                for n in range(nb):
                    b = x[n0 + n, j]
                    perm[blk, j, start[b]] = <uint8_t> n
                    start[b] += 1
    return perm_arr, gstart_arr


def scratch_size(Py_ssize_t L, Py_ssize_t q):
    """Numbers of per-thread scratch the site kernel needs (Ji, Gi, hi, ghi, buf, and 16 more: the
    kernel starts at the first 64-byte boundary of its row)."""
    cdef Py_ssize_t qp = ((q + 7) // 8) * 8
    return 2 * L * q * qp + 2 * qp + ISB_PLM_NB * qp + 16


def site_terms(const floating[::1] x, const floating[::1] d, double step, const int8_t[:, ::1] x_t,
               const uint8_t[:, :, ::1] perm, const int16_t[:, :, ::1] gstart, const floating[::1] w,
               floating[::1] g, double[::1] f_site, double[::1] reg_site, uint8_t[::1] cnt, uint8_t[::1] lock,
               floating[:, ::1] scratch, double lambda_h, double lambda_J, bint ignore_gaps, int n_threads,
               Py_ssize_t site_start=0, Py_ssize_t site_stop=-1):
    """Negative weighted pseudo-log-likelihood at the trial point x + step * d (d empty: x), one
    term per site (f_site), the L2 penalty split by sites (reg_site) and the gradient g (packed).

    Only sites site_start <= i < site_stop (site_stop -1: to L) are computed, so that the
    caller can go over the sites in chunks and return to Python between them (Ctrl-C,
    progress). cnt (one byte per pair, zero at the start of an evaluation) counts the pair
    gradient contributions so far; g is complete once every site was computed. lock (one byte
    per pair) must be zero. scratch: (n_threads, scratch_size(L, q)), zeroed once per fit. The
    results do not depend on n_threads or on the chunks.
    """
    cdef Py_ssize_t L = x_t.shape[0], N = x_t.shape[1], q = gstart.shape[2] - 1
    cdef Py_ssize_t qp = ((q + 7) // 8) * 8, n = x.shape[0], npairs = L * (L - 1) // 2
    cdef Py_ssize_t i
    cdef int tid
    cdef const floating *pd
    cdef double r
    if n != L * q + npairs * q * q or g.shape[0] != n or (d.shape[0] != 0 and d.shape[0] != n):
        raise ValueError("site_terms: parameter vectors of the wrong length")
    if w.shape[0] != N or f_site.shape[0] != L or reg_site.shape[0] != L:
        raise ValueError("site_terms: inconsistent array shapes")
    if cnt.shape[0] != npairs or lock.shape[0] != npairs:
        raise ValueError("site_terms: cnt and lock need one byte per pair")
    if scratch.shape[0] < n_threads or scratch.shape[1] != scratch_size(L, q):
        raise ValueError("site_terms: scratch must have shape (n_threads, scratch_size(L, q))")
    if (perm.shape[0] != (N + ISB_PLM_NB - 1) // ISB_PLM_NB or perm.shape[1] != L or perm.shape[2] != ISB_PLM_NB
            or gstart.shape[0] != perm.shape[0] or gstart.shape[1] != L):
        raise ValueError("site_terms: perm and gstart do not match the alignment (see block_groups)")
    if q < 2 or qp > 128:
        raise ValueError("site_terms: q must be in 2..127")
    if site_stop < 0 or site_stop > L:
        site_stop = L
    if site_start < 0 or site_start > site_stop:
        raise ValueError("site_terms: site_start must be in 0..site_stop")
    if site_start == site_stop:
        return
    if d.shape[0] == 0:
        pd = &x[0]
        step = 0.0
    else:
        pd = &d[0]
    with nogil, parallel(num_threads=n_threads):
        tid = threadid()
        for i in prange(site_start, site_stop, schedule="dynamic"):
            r = 0.0
            if floating is float:
                f_site[i] = isb_plm_site_packed_f32(i, L, q, qp, N, &x_t[0, 0], &perm[0, 0, 0], &gstart[0, 0, 0],
                                                    &w[0], &x[0], pd, step, &g[0], &cnt[0], &lock[0], lambda_h,
                                                    lambda_J, &scratch[tid, 0], ignore_gaps, &r)
            else:
                f_site[i] = isb_plm_site_packed_f64(i, L, q, qp, N, &x_t[0, 0], &perm[0, 0, 0], &gstart[0, 0, 0],
                                                    &w[0], &x[0], pd, step, &g[0], &cnt[0], &lock[0], lambda_h,
                                                    lambda_J, &scratch[tid, 0], ignore_gaps, &r)
            reg_site[i] = r


# ---- vector helpers of the L-BFGS optimiser (isingbio.plm._lbfgs) ------------------------------
# Sums are taken over a fixed number of blocks, each by one thread, then in block order: the
# result does not depend on n_threads. The blocks are handed out dynamically, so that a thread
# descheduled on a busy machine does not leave the others waiting at the end of the pass.

cdef enum:
    _NBLOCKS = 64


def vfused(floating[::1] d, const floating[::1] init, double init_scale, double alpha,
           const floating[::1] xv, double post_scale, const floating[::1] dotv, int n_threads):
    """One pass of the L-BFGS two-loop recursion, returning a dot product of the result.

    For every t (in float64): v = init[t] * init_scale if `init` is not empty, else d[t];
    v += alpha * xv[t] if `xv` is not empty; d[t] = v * post_scale (rounded to d's type); the
    result is sum_t d[t] * dotv[t] (0 when `dotv` is empty), summed over 64 fixed blocks in
    order, so it does not depend on n_threads.
    """
    cdef Py_ssize_t n = d.shape[0], k, lo, hi, size
    cdef bint has_init = init.shape[0] > 0, has_x = xv.shape[0] > 0, has_dot = dotv.shape[0] > 0
    cdef double s
    cdef double part[_NBLOCKS]
    if (has_init and init.shape[0] != n) or (has_x and xv.shape[0] != n) or (has_dot and dotv.shape[0] != n):
        raise ValueError("vfused: length mismatch")
    if n == 0:
        return 0.0
    cdef floating *pd = &d[0]
    cdef const floating *pi = &init[0] if has_init else NULL
    cdef const floating *px = &xv[0] if has_x else NULL
    cdef const floating *pt = &dotv[0] if has_dot else NULL
    size = (n + _NBLOCKS - 1) // _NBLOCKS
    with nogil:
        for k in prange(_NBLOCKS, schedule="dynamic", num_threads=n_threads):
            lo = k * size
            hi = lo + size
            if hi > n:
                hi = n
            if lo >= hi:
                part[k] = 0.0
            elif floating is float:
                part[k] = isb_vfused_f32(hi - lo, pd + lo, pi + lo if pi != NULL else NULL, init_scale, alpha,
                                         px + lo if px != NULL else NULL, post_scale,
                                         pt + lo if pt != NULL else NULL)
            else:
                part[k] = isb_vfused_f64(hi - lo, pd + lo, pi + lo if pi != NULL else NULL, init_scale, alpha,
                                         px + lo if px != NULL else NULL, post_scale,
                                         pt + lo if pt != NULL else NULL)
    s = 0.0
    for k in range(_NBLOCKS):
        s += part[k]
    return s


def vaccept(floating[::1] x, const floating[::1] d, double step, floating[::1] s_out, floating[::1] y_io,
            floating[::1] g, int n_threads):
    """Accept a line-search step: s = step * d, x += s, y = g_new - g (y_io holds g_new on entry),
    g = g_new; returns (s.y, y.y, g_new.g_new) in float64, summed over 64 fixed blocks in order."""
    cdef Py_ssize_t n = x.shape[0], k, lo, hi, size
    cdef double a, b, c
    cdef double part[_NBLOCKS * 3]
    if d.shape[0] != n or s_out.shape[0] != n or y_io.shape[0] != n or g.shape[0] != n:
        raise ValueError("vaccept: length mismatch")
    if n == 0:
        return 0.0, 0.0, 0.0
    size = (n + _NBLOCKS - 1) // _NBLOCKS
    with nogil:
        for k in prange(_NBLOCKS, schedule="dynamic", num_threads=n_threads):
            lo = k * size
            hi = lo + size
            if hi > n:
                hi = n
            if lo >= hi:
                part[3 * k] = 0.0
                part[3 * k + 1] = 0.0
                part[3 * k + 2] = 0.0
            elif floating is float:
                isb_vaccept_f32(hi - lo, &x[lo], &d[lo], step, &s_out[lo], &y_io[lo], &g[lo], &part[3 * k])
            else:
                isb_vaccept_f64(hi - lo, &x[lo], &d[lo], step, &s_out[lo], &y_io[lo], &g[lo], &part[3 * k])
    a = b = c = 0.0
    for k in range(_NBLOCKS):
        a += part[3 * k]
        b += part[3 * k + 1]
        c += part[3 * k + 2]
    return a, b, c
