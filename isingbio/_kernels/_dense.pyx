# Single-site samplers for the dense Potts model (the protein model, q = 21).
#
# Contract: isingbio/_kernels/README.md. H = -sum_{i<j} J[i,j,x_i,x_j] - sum_i h[i,x_i] with
# J[i,j,a,b] == J[j,i,b,a] and zero diagonal blocks. Sites are updated in sequential order
# 0..N-1 in every sweep; each chain uses only its own row of `rng` (lane 0), so results do
# not depend on n_threads.
#
# Every chain keeps a cache of local fields F[k, a] = sum_{j != k} J[k, j, a, x_j], computed
# from scratch at the start of each call. Deciding an update at site i costs O(q); when x_i
# changes from `old` to `new` the cache is updated in O(N q):
#     F[k, :] += J[k, i, :, new] - J[k, i, :, old] = J[i, k, new, :] - J[i, k, old, :],
# the right-hand side read as contiguous rows of J[i] thanks to the symmetry of J.
#
# Cache precision. float64 models: double. float32 models: 32-bit fixed point,
#     F[k, a] = sum_j trunc(S J[k, j, a, x_j]),  S = 2^e,
# with S the largest power of two for which no such sum can leave int32 (from a bound on
# |J| computed each call). Integer sums are exact, so the cache is a function of the state
# alone: it never drifts and is the same whatever the call boundaries (bit-identical
# chunking). Updates read float rows and convert 8 at a time (twice the SIMD width of
# double, no float -> double conversions). The price is that decisions use J rounded to a
# multiple of 1/S: every local field is off by at most N / S, and the kernels use fixed point
# only when N / S <= 2^-16 (about 1.5e-5, in the units of J); otherwise the double cache.
# Recorded energies stay exact: H_J is evaluated in double at the start of each call and
# updated at each move by the exact change sum_k J[i, k, new, x_k] - J[i, k, old, x_k].
from cython cimport floating
from cython.parallel cimport prange
from libc.stdint cimport int8_t, int64_t, uint64_t

from ._core cimport fill_run, isb_run

cdef extern from "isb_core.h" nogil:
    # states are int8, q <= 127
    const int MAX_Q "ISB_MAX_Q"


cdef extern from "dense_impl.h" nogil:
    float isb_dense_fixed_scale(const float *Jr, Py_ssize_t n, Py_ssize_t q, int nt) noexcept
    ctypedef struct isb_dense_params:
        const void *h
        const void *J
        int is_float, heatbath
        int64_t q
        float qs
        int64_t transpose_min_sweeps, transpose_max_bytes, max_group
    int isb_dense_run(const isb_dense_params *m, const isb_run *a, int64_t *failed) noexcept


# A call makes a transposed copy Jt[i, b, k, :] = J[i, k, b, :] (contiguous rows for the cache
# updates) when it runs at least `transpose_min_sweeps` sweeps in all (chains x records x thin)
# and J is at most `transpose_max_bytes` large (keywords of the kernels; 0 sweeps: always,
# 0 bytes: never); otherwise it reads J in place with prefetching. Results are the same.


# Chains run in lockstep by one thread, at most this many (isb_dense_group, dense_sweep.h). Measured on an AMD
# EPYC (L2 1 MB, L3 32 MB; L = 100 and 200, q = 21, 1 to 8 chains), lockstep groups gave no
# gain over one chain at a time (their caches compete with the rows of J for L1), so the
# default is 1; the grouping never changes results.
cdef Py_ssize_t _MAX_GROUP = 1


cdef float _fixed_scale(const float *Jr, Py_ssize_t n, Py_ssize_t q, int n_threads) except -1:
    """The fixed-point scale of a float32 J, or 0 when fixed point is not precise enough
    (the rule of isb_dense_fixed_scale, dense_impl.h)."""
    cdef float s
    with nogil:
        s = isb_dense_fixed_scale(Jr, n, q, n_threads)
    if s < 0:
        raise MemoryError(f"row bounds of {n} sites")
    return s


cdef object _dense_run(const floating[:, ::1] h, const floating[:, :, :, ::1] J,
                       int8_t[:, ::1] states, uint64_t[:, ::1] rng, double beta_J,
                       double beta_h, Py_ssize_t n_records, Py_ssize_t thin,
                       double[:, :] e_coupling, double[:, :] e_field,
                       double[:, :] magnetization, double[:, ::1] stats, int n_threads,
                       bint heatbath, int8_t[:, :, :] states_out,
                       const double[::1] beta_J_path, const double[::1] beta_h_path,
                       Py_ssize_t transpose_min_sweeps, Py_ssize_t transpose_max_bytes):
    """One call: the model as an isb_dense_params, the common arguments as an isb_run (checked
    by fill_run), isb_dense_run (dense_impl.h)."""
    cdef isb_run a
    cdef isb_dense_params m
    cdef Py_ssize_t n = states.shape[1], q = h.shape[1]
    cdef int64_t failed = 0
    # records may be any strided views (e.g. column slices of wider arrays)
    if not fill_run(&a, states, rng, beta_J, beta_h, n_records, thin, e_coupling, e_field,
                    magnetization, stats, n_threads, states_out, beta_J_path, beta_h_path):
        return
    if not 2 <= q < MAX_Q:
        raise ValueError(f"q must be in 2..{MAX_Q - 1}, got {q}")
    if h.shape[0] != n or J.shape[0] != n or J.shape[1] != n or J.shape[2] != q or J.shape[3] != q:
        raise ValueError(f"h must have shape ({n}, q) and J ({n}, {n}, q, q)")
    m.h = &h[0, 0]
    m.J = &J[0, 0, 0, 0]
    m.is_float = floating is float
    m.heatbath = heatbath
    m.q = q
    m.qs = 0.0
    if floating is float:
        m.qs = _fixed_scale(&J[0, 0, 0, 0], n, q, n_threads)
    m.transpose_min_sweeps = transpose_min_sweeps
    m.transpose_max_bytes = transpose_max_bytes
    m.max_group = _MAX_GROUP
    with nogil:
        isb_dense_run(&m, &a, &failed)
    if failed:
        raise MemoryError(f"could not allocate the local-field cache ({n} x {q} doubles) "
                          f"for {failed} of {a.n_chains} chains; their states were not updated")


def potts_metropolis(const floating[:, ::1] h, const floating[:, :, :, ::1] J,
                     int8_t[:, ::1] states, uint64_t[:, ::1] rng, double beta_J, double beta_h,
                     Py_ssize_t n_records, Py_ssize_t thin, double[:, :] e_coupling,
                     double[:, :] e_field, double[:, :] magnetization,
                     double[:, ::1] stats, int n_threads, *, int8_t[:, :, :] states_out=None,
                     const double[::1] beta_J_path=None, const double[::1] beta_h_path=None,
                     Py_ssize_t transpose_min_sweeps=64,
                     Py_ssize_t transpose_max_bytes=1 << 30):
    """Metropolis updates on a dense Potts model: propose a uniformly random other state.

    h (N, q) and J (N, N, q, q) share one dtype, float32 or float64. states_out (keyword):
    int8 (n_chains, >= n_records, N) receiving the state at each record, or None.
    beta_J_path, beta_h_path (keyword): float64 (>= n_records,) or None; when given, the
    sweeps before record r run at beta_J_path[r] (beta_h_path[r]) instead of beta_J (beta_h).
    transpose_min_sweeps, transpose_max_bytes (keyword): when the call copies J into the
    transposed layout (chains x records x thin >= min sweeps, 0: always; J at most max bytes,
    0: never). The layout never changes results.
    """
    _dense_run(h, J, states, rng, beta_J, beta_h, n_records, thin, e_coupling, e_field,
               magnetization, stats, n_threads, False, states_out, beta_J_path, beta_h_path,
               transpose_min_sweeps, transpose_max_bytes)


def potts_heatbath(const floating[:, ::1] h, const floating[:, :, :, ::1] J,
                   int8_t[:, ::1] states, uint64_t[:, ::1] rng, double beta_J, double beta_h,
                   Py_ssize_t n_records, Py_ssize_t thin, double[:, :] e_coupling,
                   double[:, :] e_field, double[:, :] magnetization,
                   double[:, ::1] stats, int n_threads, *, int8_t[:, :, :] states_out=None,
                   const double[::1] beta_J_path=None, const double[::1] beta_h_path=None,
                   Py_ssize_t transpose_min_sweeps=64,
                   Py_ssize_t transpose_max_bytes=1 << 30):
    """Heat-bath (Gibbs) updates on a dense Potts model: sample x_i from its conditional.

    h (N, q) and J (N, N, q, q) share one dtype, float32 or float64. states_out (keyword):
    int8 (n_chains, >= n_records, N) receiving the state at each record, or None.
    beta_J_path, beta_h_path (keyword): float64 (>= n_records,) or None; when given, the
    sweeps before record r run at beta_J_path[r] (beta_h_path[r]) instead of beta_J (beta_h).
    transpose_min_sweeps, transpose_max_bytes (keyword): when the call copies J into the
    transposed layout (chains x records x thin >= min sweeps, 0: always; J at most max bytes,
    0: never). The layout never changes results.
    """
    _dense_run(h, J, states, rng, beta_J, beta_h, n_records, thin, e_coupling, e_field,
               magnetization, stats, n_threads, True, states_out, beta_J_path, beta_h_path,
               transpose_min_sweeps, transpose_max_bytes)


def pair_counts(const int8_t[:, ::1] x, const double[::1] w, double[:, ::1] out, int n_threads):
    """Add the weighted one- and two-site counts of sequences x (M, N) to out (N q, N q).

    out[i q + a, j q + b] += sum_m w[m] [x[m, i] == a][x[m, j] == b] for i <= j (the upper
    block triangle and the diagonal blocks, whose diagonals are the one-site counts); the
    lower blocks are left alone. Rows of blocks are shared out among threads, so each
    entry is summed in sequence order whatever n_threads is. Codes must be in 0..q-1
    with q = out.shape[0] // N (not checked per entry).
    """
    cdef Py_ssize_t M = x.shape[0], n = x.shape[1], i, j, m
    cdef Py_ssize_t q
    cdef double wm
    cdef double *row
    if n == 0 or M == 0:
        return
    q = out.shape[0] // n
    if out.shape[0] != n * q or out.shape[1] != n * q or q < 1:
        raise ValueError(f"out must have shape ({n} q, {n} q)")
    if w.shape[0] != M:
        raise ValueError(f"w must have shape ({M},)")
    with nogil:
        for i in prange(n, num_threads=n_threads, schedule="dynamic"):
            for m in range(M):
                wm = w[m]
                row = &out[i * q + x[m, i], 0]
                for j in range(i, n):
                    row[j * q + x[m, j]] += wm
