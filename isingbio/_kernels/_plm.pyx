# Pseudo-likelihood objective and gradient of dense Potts models (private; see isingbio.plm).
#
# Parameter vector (float64, what the optimiser sees): the fields h[i, a] (L*q numbers, C order),
# then one q x q block per pair i < j in row-major pair order, block[a, b] = J_ij(a, b).
# Internal arrays (float32 or float64, padded to qp = q rounded up to a multiple of 8):
# h_int (L, qp) and J_int (L, L, q, qp) with J_int[i, j, b, a] = J_ij(a, b), so that the kernel's
# inner loops over a are contiguous. The site kernel itself is C (_plm_core.h).
from cython.parallel cimport prange, parallel
from libc.stdint cimport int8_t, int16_t, uint8_t
from libc.stdlib cimport malloc, free
from libc.math cimport NAN, isnan

ctypedef fused floating:
    float
    double

cdef extern from "_plm_core.h" nogil:
    int ISB_PLM_NB
    double isb_plm_site_f32(int i, int L, int q, int qp, int N, const int8_t *x_t, const uint8_t *perm,
                            const int16_t *gstart, const float *w,
                            const float *h, const float *J, float *gh, float *G, float *buf,
                            int ignore_gaps) noexcept
    double isb_plm_site_f64(int i, int L, int q, int qp, int N, const int8_t *x_t, const uint8_t *perm,
                            const int16_t *gstart, const double *w,
                            const double *h, const double *J, double *gh, double *G, double *buf,
                            int ignore_gaps) noexcept
    const char *isb_plm_simd() noexcept
    double isb_vfused(size_t n, float *d, const double *init, double init_scale, double alpha,
                      const float *xv, double post, const float *dot32, const double *dot64) noexcept
    void isb_vupdate(size_t n, const double *x_new, const double *x, const double *g_new,
                     const double *g, float *s, float *y, double *out) noexcept
    void isb_vstep(size_t n, const double *x, double alpha, const float *d, double *out) noexcept


def simd_level():
    """The instruction set the kernel dispatcher picks on this CPU."""
    return isb_plm_simd().decode()


def block_size():
    """Sequences per block in the site kernel."""
    return ISB_PLM_NB


cdef inline Py_ssize_t _pair_offset(Py_ssize_t i, Py_ssize_t j, Py_ssize_t L, Py_ssize_t q) noexcept nogil:
    return L * q + (i * (2 * L - i - 1) // 2 + (j - i - 1)) * q * q


def block_groups(const int8_t[:, ::1] x, int q):
    """Per block of ISB_PLM_NB sequences and per column j, the block's sequences grouped by their
    state at j: perm (n_blocks, L, NB) uint8 (positions in the block, stable order) and gstart
    (n_blocks, L, q + 1) int16 (group b is perm[blk, j, gstart[blk, j, b]:gstart[blk, j, b + 1]])."""
    cdef Py_ssize_t N = x.shape[0], L = x.shape[1], nblk = (N + ISB_PLM_NB - 1) // ISB_PLM_NB
    cdef Py_ssize_t blk, j, n, n0, nb, b
    import numpy as np
    perm_arr = np.zeros((nblk, L, ISB_PLM_NB), dtype=np.uint8)
    gstart_arr = np.zeros((nblk, L, q + 1), dtype=np.int16)
    cdef uint8_t[:, :, ::1] perm = perm_arr
    cdef int16_t[:, :, ::1] gstart = gstart_arr
    cdef int16_t cnt[129]
    cdef int16_t pos[129]
    if q < 1 or q > 127:
        raise ValueError("block_groups: q must be in 1..127")
    with nogil:
        for blk in range(nblk):
            n0 = blk * ISB_PLM_NB
            nb = N - n0 if N - n0 < ISB_PLM_NB else ISB_PLM_NB
            for j in range(L):
                for b in range(q + 1):
                    cnt[b] = 0
                for n in range(nb):
                    cnt[x[n0 + n, j] + 1] += 1
                for b in range(q):
                    cnt[b + 1] += cnt[b]
                for b in range(q + 1):
                    gstart[blk, j, b] = cnt[b]
                    pos[b] = cnt[b]
                for n in range(nb):
                    b = x[n0 + n, j]
                    perm[blk, j, pos[b]] = <uint8_t> n
                    pos[b] += 1
    return perm_arr, gstart_arr


def site_terms(const floating[:, ::1] h_int, const floating[:, :, :, ::1] J_int, const int8_t[:, ::1] x_t,
               const uint8_t[:, :, ::1] perm, const int16_t[:, :, ::1] gstart, const floating[::1] w,
               floating[:, ::1] gh, floating[:, :, :, ::1] G, double[::1] f_site,
               bint ignore_gaps, int n_threads, Py_ssize_t site_start=0, Py_ssize_t site_stop=-1):
    """Negative weighted pseudo-log-likelihood, one term per site (f_site) and its gradient.

    Only sites site_start <= i < site_stop (site_stop -1: to L) are computed, so that the
    caller can go over the sites in chunks and return to Python between them (Ctrl-C,
    progress); each site's outputs do not depend on the chunks.

    gh (L, qp) and G (L, L, q, qp) receive the gradient of each site term with respect to the
    internal parameters (row i from the site-i term only). Sites are shared between threads;
    each output row is computed by one thread in a fixed order, so the results do not depend
    on n_threads.
    """
    cdef Py_ssize_t L = J_int.shape[0], q = J_int.shape[2], qp = J_int.shape[3], N = x_t.shape[1]
    cdef Py_ssize_t i
    cdef floating *buf
    if not (J_int.shape[1] == L and h_int.shape[0] == L and h_int.shape[1] == qp and x_t.shape[0] == L
            and w.shape[0] == N and gh.shape[0] == L and gh.shape[1] == qp and G.shape[0] == L
            and G.shape[1] == L and G.shape[2] == q and G.shape[3] == qp and f_site.shape[0] == L):
        raise ValueError("site_terms: inconsistent array shapes")
    if (perm.shape[0] != (N + ISB_PLM_NB - 1) // ISB_PLM_NB or perm.shape[1] != L or perm.shape[2] != ISB_PLM_NB
            or gstart.shape[0] != perm.shape[0] or gstart.shape[1] != L or gstart.shape[2] != q + 1):
        raise ValueError("site_terms: perm and gstart do not match the alignment (see block_groups)")
    if qp % 8 or qp < q or qp > 128:
        raise ValueError("site_terms: qp must be a multiple of 8 with q <= qp <= 128")
    if site_stop < 0 or site_stop > L:
        site_stop = L
    if site_start < 0 or site_start > site_stop:
        raise ValueError("site_terms: site_start must be in 0..site_stop")
    if site_start == site_stop:
        return
    with nogil, parallel(num_threads=n_threads):
        buf = <floating *> malloc(ISB_PLM_NB * qp * sizeof(floating))
        for i in prange(site_start, site_stop, schedule="dynamic"):
            if buf == NULL:
                f_site[i] = NAN  # allocation failed in this thread: reported below
                continue
            if floating is float:
                f_site[i] = isb_plm_site_f32(i, L, q, qp, N, &x_t[0, 0], &perm[0, 0, 0], &gstart[0, 0, 0], &w[0],
                                             &h_int[0, 0],
                                             &J_int[0, 0, 0, 0], &gh[0, 0], &G[0, 0, 0, 0], buf,
                                             ignore_gaps)
            else:
                f_site[i] = isb_plm_site_f64(i, L, q, qp, N, &x_t[0, 0], &perm[0, 0, 0], &gstart[0, 0, 0], &w[0],
                                             &h_int[0, 0],
                                             &J_int[0, 0, 0, 0], &gh[0, 0], &G[0, 0, 0, 0], buf,
                                             ignore_gaps)
        free(buf)
    for i in range(site_start, site_stop):
        if isnan(f_site[i]):
            raise MemoryError("pseudo-likelihood kernel: could not allocate per-thread scratch")


def unpack(const double[::1] x, floating[:, ::1] h_int, floating[:, :, :, ::1] J_int, int n_threads):
    """Parameter vector -> internal arrays (padding entries and diagonal blocks are left alone)."""
    cdef Py_ssize_t L = J_int.shape[0], q = J_int.shape[2]
    cdef Py_ssize_t i, j, a, b, off
    cdef double v
    if x.shape[0] != L * q + L * (L - 1) // 2 * q * q:
        raise ValueError("unpack: parameter vector has the wrong length")
    with nogil:
        for i in prange(L, schedule="dynamic", num_threads=n_threads):
            for a in range(q):
                h_int[i, a] = <floating> x[i * q + a]
            for j in range(i + 1, L):
                off = _pair_offset(i, j, L, q)
                for a in range(q):
                    for b in range(q):
                        v = x[off + a * q + b]
                        J_int[i, j, b, a] = <floating> v
                        J_int[j, i, a, b] = <floating> v


def pack(const double[::1] x, const floating[:, ::1] gh, const floating[:, :, :, ::1] G, double[::1] g,
         double[::1] reg_site, double lambda_h, double lambda_J, bint ignore_gaps, int n_threads):
    """Internal gradients -> gradient vector g (with the L2 terms); reg_site[i] = L2 penalty of row i.

    g[h_i(a)] = gh[i, a] + 2 lambda_h h_i(a);  g[J_ij(a, b)] = G[i, j, b, a] + G[j, i, a, b]
    + 2 lambda_J J_ij(a, b). With ignore_gaps the gradient of every gap parameter is zero.
    """
    cdef Py_ssize_t L = G.shape[0], q = G.shape[2]
    cdef Py_ssize_t i, j, a, b, off, k
    cdef double v, r
    if x.shape[0] != g.shape[0] or x.shape[0] != L * q + L * (L - 1) // 2 * q * q:
        raise ValueError("pack: parameter vector has the wrong length")
    with nogil:
        for i in prange(L, schedule="dynamic", num_threads=n_threads):
            r = 0.0
            for a in range(q):
                v = x[i * q + a]
                g[i * q + a] = gh[i, a] + 2.0 * lambda_h * v
                r = r + lambda_h * v * v
            for j in range(i + 1, L):
                off = _pair_offset(i, j, L, q)
                for a in range(q):
                    for b in range(q):
                        k = off + a * q + b
                        v = x[k]
                        g[k] = (<double> G[i, j, b, a] + <double> G[j, i, a, b]) + 2.0 * lambda_J * v
                        r = r + lambda_J * v * v
            if ignore_gaps:
                g[i * q] = 0.0
                for j in range(i + 1, L):
                    off = _pair_offset(i, j, L, q)
                    for a in range(q):
                        g[off + a * q] = 0.0
                        g[off + a] = 0.0
            reg_site[i] = r


# ---- vector helpers of the L-BFGS optimiser (isingbio.plm._lbfgs) ------------------------------
# Dot products are summed over a fixed number of blocks, each by one thread, then in block
# order: the result does not depend on n_threads.

ctypedef fused vfloat:
    float
    double

cdef enum:
    _NBLOCKS = 64


def vdot(const vfloat[::1] a, const double[::1] b, int n_threads):
    """sum(a * b) in float64 (a float32 or float64), deterministic whatever n_threads is."""
    cdef Py_ssize_t n = a.shape[0], k, t, lo, hi, size
    cdef double s
    cdef double part[_NBLOCKS]
    if b.shape[0] != n:
        raise ValueError("vdot: length mismatch")
    size = (n + _NBLOCKS - 1) // _NBLOCKS
    with nogil:
        for k in prange(_NBLOCKS, schedule="static", num_threads=n_threads):
            lo = k * size
            hi = lo + size
            if hi > n:
                hi = n
            s = 0.0
            for t in range(lo, hi):
                s = s + <double> a[t] * b[t]
            part[k] = s
    s = 0.0
    for k in range(_NBLOCKS):
        s += part[k]
    return s


def vstep(const double[::1] x, double alpha, const float[::1] d, double[::1] out, int n_threads):
    """out = x + alpha * d (d float32)."""
    cdef Py_ssize_t n = x.shape[0], k, lo, hi, size
    if d.shape[0] != n or out.shape[0] != n:
        raise ValueError("vstep: length mismatch")
    if n == 0:
        return
    size = (n + _NBLOCKS - 1) // _NBLOCKS
    with nogil:
        for k in prange(_NBLOCKS, schedule="static", num_threads=n_threads):
            lo = k * size
            hi = lo + size
            if hi > n:
                hi = n
            if lo < hi:
                isb_vstep(hi - lo, &x[lo], alpha, &d[lo], &out[lo])


def vfused(float[::1] d, const double[::1] init, double init_scale, double alpha,
           const float[::1] xv, double post_scale, const float[::1] dot32, const double[::1] dot64,
           int n_threads):
    """One pass of the L-BFGS two-loop recursion, returning a dot product of the result.

    For every t (in float64): v = init[t] * init_scale if `init` is not empty, else d[t];
    v += alpha * xv[t] if `xv` is not empty; d[t] = float32(v * post_scale); the result is
    sum_t d[t] * dot32[t] (or dot64[t] when `dot32` is empty; 0 when both are), summed over
    64 fixed blocks in order, so it does not depend on n_threads.
    """
    cdef Py_ssize_t n = d.shape[0], k, lo, hi, size
    cdef bint has_init = init.shape[0] > 0, has_x = xv.shape[0] > 0
    cdef bint has_d32 = dot32.shape[0] > 0, has_d64 = dot64.shape[0] > 0
    cdef double s
    cdef double part[_NBLOCKS]
    if ((has_init and init.shape[0] != n) or (has_x and xv.shape[0] != n)
            or (has_d32 and dot32.shape[0] != n) or (has_d64 and dot64.shape[0] != n)):
        raise ValueError("vfused: length mismatch")
    if n == 0:
        return 0.0
    cdef float *pd = &d[0]
    cdef const double *pi = &init[0] if has_init else NULL
    cdef const float *px = &xv[0] if has_x else NULL
    cdef const float *p32 = &dot32[0] if has_d32 else NULL
    cdef const double *p64 = &dot64[0] if (has_d64 and not has_d32) else NULL
    size = (n + _NBLOCKS - 1) // _NBLOCKS
    with nogil:
        for k in prange(_NBLOCKS, schedule="static", num_threads=n_threads):
            lo = k * size
            hi = lo + size
            if hi > n:
                hi = n
            if lo >= hi:
                part[k] = 0.0
            else:
                part[k] = isb_vfused(hi - lo, pd + lo, pi + lo if pi != NULL else NULL, init_scale, alpha,
                                     px + lo if px != NULL else NULL, post_scale,
                                     p32 + lo if p32 != NULL else NULL, p64 + lo if p64 != NULL else NULL)
    s = 0.0
    for k in range(_NBLOCKS):
        s += part[k]
    return s


def vupdate(const double[::1] x_new, const double[::1] x, const double[::1] g_new, const double[::1] g,
            float[::1] s_out, float[::1] y_out, int n_threads):
    """s = float32(x_new - x), y = float32(g_new - g); returns (s.y, y.y, g_new.g_new) in float64
    (s and y as stored), summed over 64 fixed blocks in order (independent of n_threads)."""
    cdef Py_ssize_t n = x.shape[0], k, lo, hi, size
    cdef double a, b, c
    cdef double part[_NBLOCKS * 3]
    if x_new.shape[0] != n or g_new.shape[0] != n or g.shape[0] != n or s_out.shape[0] != n or y_out.shape[0] != n:
        raise ValueError("vupdate: length mismatch")
    if n == 0:
        return 0.0, 0.0, 0.0
    size = (n + _NBLOCKS - 1) // _NBLOCKS
    with nogil:
        for k in prange(_NBLOCKS, schedule="static", num_threads=n_threads):
            lo = k * size
            hi = lo + size
            if hi > n:
                hi = n
            if lo >= hi:
                part[3 * k] = 0.0
                part[3 * k + 1] = 0.0
                part[3 * k + 2] = 0.0
            else:
                isb_vupdate(hi - lo, &x_new[lo], &x[lo], &g_new[lo], &g[lo], &s_out[lo], &y_out[lo],
                            &part[3 * k])
    a = 0.0
    b = 0.0
    c = 0.0
    for k in range(_NBLOCKS):
        a += part[3 * k]
        b += part[3 * k + 1]
        c += part[3 * k + 2]
    return a, b, c
