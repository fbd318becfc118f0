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
from libc.math cimport ldexp, log2, floor
from libc.stdint cimport int8_t, uint32_t, uint64_t


cdef extern from "isb_core.h" nogil:
    const int MAX_Q "ISB_MAX_Q"


cdef extern from "dense_impl.h" nogil:
    double isb_dense_row_bound_f(const float *Jk, Py_ssize_t n, Py_ssize_t qq) noexcept


cdef extern from "bm_impl.h" nogil:
    void isb_bm_fixed(const float *J, Py_ssize_t n, Py_ssize_t q, float qs, uint32_t *Jq,
                      int nt) noexcept
    int isb_bm_run(const float *h, const uint32_t *Jq, Py_ssize_t n, Py_ssize_t q, float qs,
                   int heatbath, int8_t *xs, Py_ssize_t nc, uint64_t *rngs,
                   Py_ssize_t rng_stride, Py_ssize_t n_sweeps, Py_ssize_t G, int nt) noexcept


# the same rule as _dense._fixed_scale (fixed point when every local field is within 2^-16)
cdef double _FIXED_MAX_ERROR = 1.0 / 65536


cdef float _fixed_scale(const float *Jr, Py_ssize_t n, Py_ssize_t q, int n_threads) except -1:
    cdef Py_ssize_t k, nqq = n * q * q
    cdef double B = 0.0, e
    cdef double[::1] rows = np.empty(n)
    with nogil:
        for k in prange(n, num_threads=n_threads, schedule="static"):
            rows[k] = isb_dense_row_bound_f(Jr + k * nqq, n, q * q)
        for k in range(n):
            if rows[k] > B:
                B = rows[k]
    if not B < 1e300:
        return 0.0
    e = floor(log2(2147483647.0 / (B * (1.0 + 1e-6)))) if B > 0 else 64.0
    if e > 64:
        e = 64
    if n * ldexp(1.0, -<int>e) > _FIXED_MAX_ERROR:
        return 0.0
    return <float>ldexp(1.0, <int>e)


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
