# Kernels of Boltzmann-machine learning (isingbio/boltzmann.py): sweeps of the persistent
# chains of a dense float32 Potts model (bm_impl.h). fixed_couplings converts the couplings
# to the integer layout once per model (a gradient step); bm_sweeps then runs any block of
# chains for any number of sweeps with the dense kernels' fixed-point arithmetic and random
# numbers: the chains end bit for bit as after _dense.potts_metropolis / potts_heatbath, at
# about half the cost (no per-read conversion, no energies), and calls may be split by
# chains, so a step is cut into short calls (Ctrl-C) without rebuilding a chain's local
# fields more than once per step.
import numpy as np

from cython.parallel cimport prange
from libc.stdint cimport int8_t, int32_t, uint32_t, uint64_t


cdef extern from "isb_core.h" nogil:
    const int MAX_Q "ISB_MAX_Q"


cdef extern from "dense_impl.h" nogil:
    float isb_dense_fixed_scale(const float *Jr, Py_ssize_t n, Py_ssize_t q, int nt) noexcept


cdef extern from "bm_impl.h" nogil:
    void isb_bm_fixed(const float *J, Py_ssize_t n, Py_ssize_t q, float qs, uint32_t *Jq,
                      int nt) noexcept
    int isb_bm_run(const float *h, const uint32_t *Jq, Py_ssize_t n, Py_ssize_t q, float qs,
                   int heatbath, int8_t *xs, Py_ssize_t nc, uint64_t *rngs,
                   Py_ssize_t rng_stride, Py_ssize_t n_sweeps, Py_ssize_t G, int nt) noexcept


cdef float _fixed_scale(const float *Jr, Py_ssize_t n, Py_ssize_t q, int n_threads) except -1:
    """The fixed-point scale of a float32 J, or 0 when fixed point is not precise enough
    (the rule of isb_dense_fixed_scale, dense_impl.h)."""
    cdef float s
    with nogil:
        s = isb_dense_fixed_scale(Jr, n, q, n_threads)
    if s < 0:
        raise MemoryError(f"row bounds of {n} sites")
    return s


def fixed_couplings(const float[:, :, :, ::1] J, int n_threads):
    """(Jq, qs): the fixed-point copy of float32 couplings J (N, N, q, q) that bm_sweeps
    reads, Jq[i, b, k, a] = trunc(qs J[i, k, b, a]) (uint32, shape (N, q, N, q)), and its
    scale qs, as the dense kernels compute them; (None, 0.0) when fixed point is not precise
    enough for J (then use the dense kernels)."""
    cdef Py_ssize_t n = J.shape[0], q = J.shape[2]
    cdef float qs
    if J.shape[1] != n or J.shape[3] != q or n == 0:
        raise ValueError("J must have shape (N, N, q, q)")
    qs = _fixed_scale(&J[0, 0, 0, 0], n, q, n_threads)
    if not qs > 0:
        return None, 0.0
    Jq = np.empty((n, q, n, q), dtype=np.uint32)
    cdef uint32_t[:, :, :, ::1] out = Jq
    with nogil:
        isb_bm_fixed(&J[0, 0, 0, 0], n, q, qs, &out[0, 0, 0, 0], n_threads if n_threads > 0 else 1)
    return Jq, float(qs)


def bm_sweeps(const float[:, ::1] h, const uint32_t[:, :, :, ::1] Jq, float qs,
              int8_t[:, ::1] states, uint64_t[:, ::1] rng, Py_ssize_t n_sweeps, bint heatbath,
              int n_threads, Py_ssize_t group=1):
    """n_sweeps sweeps of every chain (states (M, N) int8, rng (M, 32) uint64) on the model
    h (N, q) float32 and Jq, qs of fixed_couplings(J), at beta 1; `group` chains in lockstep.

    The states and random streams after the call equal those of one call of
    _dense.potts_metropolis (heatbath: potts_heatbath) on h, J with n_records=1,
    thin=n_sweeps, and those of any split of the chains or of the sweeps into several calls.
    """
    cdef Py_ssize_t M = states.shape[0], n = states.shape[1], q = h.shape[1]
    cdef int rc
    if n_sweeps <= 0 or M == 0 or n == 0:
        return
    if not 2 <= q < MAX_Q:
        raise ValueError(f"q must be in 2..{MAX_Q - 1}, got {q}")
    if h.shape[0] != n or Jq.shape[0] != n or Jq.shape[1] != q or Jq.shape[2] != n or Jq.shape[3] != q:
        raise ValueError(f"h must have shape ({n}, q) and Jq ({n}, q, {n}, q)")
    if rng.shape[0] < M or rng.shape[1] < 32:
        raise ValueError(f"rng must have shape ({M}, 32)")
    if not qs > 0:
        raise ValueError("qs must be > 0")
    with nogil:
        rc = isb_bm_run(&h[0, 0], &Jq[0, 0, 0, 0], n, q, qs, heatbath, &states[0, 0], M,
                        &rng[0, 0], rng.strides[0] // sizeof(uint64_t), n_sweeps,
                        group if group > 0 else 1, n_threads if n_threads > 0 else 1)
    if rc != 0:
        raise MemoryError(f"could not allocate the local fields ({n} x {q}) of the chains; "
                          "their states were not updated")


# ---- per-step statistics and updates, in the compact layout of the fit's parameters --------
# Pair p = (i, j), i < j, in the order of numpy.triu_indices(N, 1); entry k = (p q + a) q + b
# is J[i, j, a, b] (and J[j, i, b, a]). Loops are shared out by pairs, each entry is computed
# by one thread in a fixed order, so results never depend on n_threads.


def site_frequencies(const int8_t[:, ::1] x, const double[::1] w, Py_ssize_t q, double[::1] f1,
                     int n_threads):
    """f1[i q + a] = sum_m w[m] [x[m, i] == a] (overwritten), summed in sequence order."""
    cdef Py_ssize_t M = x.shape[0], n = x.shape[1], i, m, a
    if f1.shape[0] != n * q or w.shape[0] != M:
        raise ValueError("f1 must have N q entries and w len(x)")
    with nogil:
        for i in prange(n, num_threads=n_threads, schedule="static"):
            for a in range(q):
                f1[i * q + a] = 0.0
            for m in range(M):
                f1[i * q + x[m, i]] += w[m]


def pair_frequencies(const int8_t[:, ::1] x, const double[::1] w, const int32_t[::1] pi,
                     const int32_t[::1] pj, Py_ssize_t q, double[::1] f2, int n_threads):
    """f2[k] = sum_m w[m] [x[m, i] == a][x[m, j] == b] (overwritten, summed in sequence
    order) for every entry k = (p q + a) q + b of the pairs p = (pi[p], pj[p])."""
    cdef Py_ssize_t M = x.shape[0], P = pi.shape[0], p, m, k0, t
    if f2.shape[0] != P * q * q or w.shape[0] != M or pj.shape[0] != P:
        raise ValueError("f2 must have len(pi) q^2 entries and w len(x)")
    with nogil:
        for p in prange(P, num_threads=n_threads, schedule="static"):
            k0 = p * q * q
            for t in range(q * q):
                f2[k0 + t] = 0.0
            for m in range(M):
                f2[k0 + x[m, pi[p]] * q + x[m, pj[p]]] += w[m]


def couplings_from_pairs(const double[::1] Jv, const int32_t[::1] pi, const int32_t[::1] pj,
                         float[:, :, :, ::1] J, int n_threads):
    """J[i, j, a, b] = J[j, i, b, a] = float32(Jv[(p q + a) q + b]) for every pair p = (i, j)."""
    cdef Py_ssize_t P = pi.shape[0], q = J.shape[2], p, a, b, i, j, k
    if Jv.shape[0] != P * q * q:
        raise ValueError("Jv must have len(pi) q^2 entries")
    with nogil:
        for p in prange(P, num_threads=n_threads, schedule="static"):
            i = pi[p]
            j = pj[p]
            k = p * q * q
            for a in range(q):
                for b in range(q):
                    J[i, j, a, b] = <float>Jv[k + a * q + b]
                    J[j, i, b, a] = <float>Jv[k + a * q + b]


def coupling_step(const double[::1] f2d, const double[::1] f2m, const double[::1] Jv,
                  double lam, double lr, double[::1] J_new, int mode, int n_threads,
                  const double[::1] lr_old=None, const int8_t[::1] sign_old=None,
                  double[::1] lr_new=None, int8_t[::1] sign_new=None):
    """One gradient step of the couplings: g = (f2d - f2m) - lam Jv (lam > 0 only), then
    mode 0 (sgd): J_new = Jv + lr g; mode 1 (first adaptive step): lr_new = lr; mode 2:
    lr_new = clip(lr_old * (1.2 if the sign of g is that of sign_old, 0.5 if opposite, else 1),
    lr / 100, 40 lr); modes 1, 2: sign_new = sign(g), J_new = Jv + lr_new g. The arithmetic
    of boltzmann._adaptive_steps in numpy, entry by entry."""
    cdef Py_ssize_t n = Jv.shape[0], k
    cdef double g, r, lo = lr * 0.01, hi = lr * 40.0
    cdef int s
    if f2d.shape[0] != n or f2m.shape[0] != n or J_new.shape[0] != n:
        raise ValueError("arrays must have the same length")
    if mode > 0 and (lr_new is None or sign_new is None or lr_new.shape[0] != n or sign_new.shape[0] != n):
        raise ValueError("lr_new and sign_new must have the length of Jv")
    if mode == 2 and (lr_old is None or sign_old is None or lr_old.shape[0] != n or sign_old.shape[0] != n):
        raise ValueError("lr_old and sign_old must have the length of Jv")
    with nogil:
        for k in prange(n, num_threads=n_threads, schedule="static"):
            g = f2d[k] - f2m[k]
            if lam != 0.0:
                g = g - lam * Jv[k]
            if mode == 0:
                J_new[k] = Jv[k] + lr * g
                continue
            s = (g > 0) - (g < 0)
            if mode == 1:
                r = lr
            else:
                r = lr_old[k]
                if s * sign_old[k] > 0:
                    r = r * 1.2
                elif s * sign_old[k] < 0:
                    r = r * 0.5
                else:
                    r = r * 1.0
                if r < lo:
                    r = lo
                if r > hi:
                    r = hi
            lr_new[k] = r
            sign_new[k] = <int8_t>s
            J_new[k] = Jv[k] + r * g


def connected_sums(const double[::1] f1, const double[::1] f2, const double[::1] dx,
                   const int32_t[::1] pi, const int32_t[::1] pj, Py_ssize_t q,
                   double[:, ::1] out, int n_threads):
    """For every pair p: out[p] = (sum y, sum y^2, sum dx y) over its q^2 entries, with
    y = f2 - f1[i q + a] f1[j q + b] (connected correlations; f1 flat (N q,))."""
    cdef Py_ssize_t P = pi.shape[0], p, a, b, k
    cdef double y, s0, s1, s2
    if P == 0:
        return
    if f2.shape[0] != P * q * q or dx.shape[0] != P * q * q or out.shape[0] != P or out.shape[1] < 3:
        raise ValueError("f2 and dx must have len(pi) q^2 entries, out shape (len(pi), 3)")
    with nogil:
        for p in prange(P, num_threads=n_threads, schedule="static"):
            s0 = 0.0
            s1 = 0.0
            s2 = 0.0
            k = p * q * q
            for a in range(q):
                for b in range(q):
                    y = f2[k] - f1[pi[p] * q + a] * f1[pj[p] * q + b]
                    s0 = s0 + y
                    s1 = s1 + y * y
                    s2 = s2 + dx[k] * y
                    k = k + 1
            out[p, 0] = s0
            out[p, 1] = s1
            out[p, 2] = s2
