# Swendsen-Wang and Wolff cluster samplers for Ising and Potts models on CSR graphs.
#
# Contract: isingbio/_kernels/README.md; algorithms: cluster_impl.h. Chains run in a prange
# with their own scratch (allocated per chain) and their own row of `rng`, so results are
# bit-identical whatever n_threads is. The Python layer validates everything (Potts
# weights >= 0, states in range); these kernels trust their inputs.
#
# states_out (keyword-only, int8 (n_chains, >= n_records, N) or None): the state at each record.
#
# lattice (keyword-only, (shape int64, periodic uint8, J double) or None): the CSR graph is this
# lattice; Wolff then uses implicit neighbours when all J >= 0, and records take H_J from it.
#
# stats: [2] clusters built, [3] sum of cluster sizes (Swendsen-Wang: N per sweep).
# Wolff also counts cluster flips attempted in [0] and accepted in [1] (with a field a
# flip is accepted with probability min(1, exp(-beta_h dH_h))); Swendsen-Wang leaves them.
#
# Wolff sweeps (departure from README.md): a sweep is a number of cluster updates fixed for
# the whole call (`clusters_per_sweep`, or N / mean cluster size of a pilot that builds N
# sites). Stopping each sweep once its clusters add up to N sites depends on the states
# visited and biases the chain (see cluster_impl.h).
import numpy as np

from libc.stdint cimport int8_t, int32_t, int64_t, uint8_t, uint64_t

from ._core cimport ISB_MAX_Q, check_status, fill_run, isb_run

cdef extern from "cluster_impl.h" nogil:
    ctypedef struct isb_cluster_params:
        const int64_t *indptr
        const int32_t *indices
        const double *weights
        int q, potts, wolff
        const double *h
        int64_t k_sweep
        int lat_d
        const int64_t *lat_shape
        const uint8_t *lat_periodic
        const double *lat_J
    int isb_cluster_run(const isb_cluster_params *m, const isb_run *a)

cdef int32_t _MAX_SITES = 2147483647 - 256  # root labels live below -N in int32


cdef int _run(const int64_t[::1] indptr, const int32_t[::1] indices,
              const double[::1] weights, int q, const double *h, int8_t[:, ::1] states,
              uint64_t[:, ::1] rng, double beta_J, double beta_h, Py_ssize_t n_records,
              Py_ssize_t thin, double[:, :] e_coupling, double[:, :] e_field,
              double[:, :] magnetization, double[:, ::1] stats, int n_threads,
              bint potts, bint wolff, Py_ssize_t k_sweep, int8_t[:, :, :] states_out,
              const double[::1] beta_J_path, const double[::1] beta_h_path,
              object lattice) except -1:
    """One call: the model as an isb_cluster_params, the common arguments as an isb_run
    (checked by fill_run), isb_cluster_run (cluster_impl.h)."""
    cdef Py_ssize_t n = states.shape[1]
    cdef isb_run a
    cdef isb_cluster_params m
    cdef int rc
    cdef const int64_t[::1] l_shape
    cdef const uint8_t[::1] l_per
    cdef const double[::1] l_J
    if n > _MAX_SITES:
        raise ValueError(f"cluster kernels handle at most {_MAX_SITES} sites, got {n}")
    if not fill_run(&a, states, rng, beta_J, beta_h, n_records, thin, e_coupling, e_field,
                    magnetization, stats, n_threads, states_out, beta_J_path, beta_h_path):
        return 0
    if potts and not 2 <= q < ISB_MAX_Q:
        raise ValueError(f"q must be in 2..{ISB_MAX_Q - 1}, got {q}")
    if indptr.shape[0] != n + 1:
        raise ValueError(f"indptr must have length {n + 1}, got {indptr.shape[0]}")
    m.indptr = &indptr[0]
    m.indices = &indices[0] if indices.shape[0] else NULL
    m.weights = &weights[0] if weights.shape[0] else NULL
    m.q = q
    m.potts = potts
    m.wolff = wolff
    m.h = h
    m.k_sweep = k_sweep
    m.lat_d = 0
    if lattice is not None:
        l_shape, l_per, l_J = lattice
        if l_shape.shape[0] == 0 or l_per.shape[0] != l_shape.shape[0] or l_J.shape[0] != l_shape.shape[0]:
            raise ValueError("lattice must be (shape, periodic, J) with one entry per axis")
        if np.prod(np.asarray(l_shape)) != n:
            raise ValueError(f"lattice shape {tuple(np.asarray(l_shape))} does not have {n} sites")
        m.lat_d = <int>l_shape.shape[0]
        m.lat_shape = &l_shape[0]
        m.lat_periodic = &l_per[0]
        m.lat_J = &l_J[0]
    with nogil:
        rc = isb_cluster_run(&m, &a)
    return check_status(rc, "cluster")


def ising_swendsen_wang(const int64_t[::1] indptr, const int32_t[::1] indices,
                        const double[::1] weights, const double[::1] h, int8_t[:, ::1] states,
                        uint64_t[:, ::1] rng, double beta_J, double beta_h, Py_ssize_t n_records,
                        Py_ssize_t thin, double[:, :] e_coupling, double[:, :] e_field,
                        double[:, :] magnetization, double[:, ::1] stats, int n_threads, *,
                        int8_t[:, :, :] states_out=None, const double[::1] beta_J_path=None,
                        const double[::1] beta_h_path=None, object lattice=None):
    """Swendsen-Wang sweeps of Ising chains on a CSR graph (any signs of w, any fields h (N,))."""
    _run(indptr, indices, weights, 1, &h[0] if h.shape[0] else NULL, states, rng, beta_J, beta_h,
         n_records, thin, e_coupling, e_field, magnetization, stats, n_threads, False, False, 0,
         states_out, beta_J_path, beta_h_path, lattice)


def ising_wolff(const int64_t[::1] indptr, const int32_t[::1] indices,
                const double[::1] weights, const double[::1] h, int8_t[:, ::1] states,
                uint64_t[:, ::1] rng, double beta_J, double beta_h, Py_ssize_t n_records,
                Py_ssize_t thin, double[:, :] e_coupling, double[:, :] e_field,
                double[:, :] magnetization, double[:, ::1] stats, int n_threads,
                Py_ssize_t clusters_per_sweep=0, *, int8_t[:, :, :] states_out=None,
                const double[::1] beta_J_path=None, const double[::1] beta_h_path=None,
                object lattice=None):
    """Wolff sweeps of Ising chains on a CSR graph (fields through cluster-flip acceptance).

    A sweep is `clusters_per_sweep` cluster updates; 0: N / mean cluster size of a pilot;
    -1 (burn-in only): clusters until N sites in every sweep (see cluster_impl.h: outside
    burn-in, stopping a sweep once its clusters reach N sites would be biased).
    """
    _run(indptr, indices, weights, 1, &h[0] if h.shape[0] else NULL, states, rng, beta_J, beta_h,
         n_records, thin, e_coupling, e_field, magnetization, stats, n_threads, False, True,
         clusters_per_sweep, states_out, beta_J_path, beta_h_path, lattice)


def potts_swendsen_wang(const int64_t[::1] indptr, const int32_t[::1] indices,
                        const double[::1] weights, int q, const double[:, ::1] h,
                        int8_t[:, ::1] states, uint64_t[:, ::1] rng, double beta_J, double beta_h,
                        Py_ssize_t n_records, Py_ssize_t thin, double[:, :] e_coupling,
                        double[:, :] e_field, double[:, :] magnetization,
                        double[:, ::1] stats, int n_threads, *,
                        int8_t[:, :, :] states_out=None, const double[::1] beta_J_path=None,
                        const double[::1] beta_h_path=None, object lattice=None):
    """Swendsen-Wang sweeps of Potts chains on a CSR graph (weights >= 0, fields h (N, q))."""
    _run(indptr, indices, weights, q, &h[0, 0] if h.shape[0] else NULL, states, rng, beta_J,
         beta_h, n_records, thin, e_coupling, e_field, magnetization, stats, n_threads, True, False, 0,
         states_out, beta_J_path, beta_h_path, lattice)


def potts_wolff(const int64_t[::1] indptr, const int32_t[::1] indices,
                const double[::1] weights, int q, const double[:, ::1] h,
                int8_t[:, ::1] states, uint64_t[:, ::1] rng, double beta_J, double beta_h,
                Py_ssize_t n_records, Py_ssize_t thin, double[:, :] e_coupling,
                double[:, :] e_field, double[:, :] magnetization,
                double[:, ::1] stats, int n_threads, Py_ssize_t clusters_per_sweep=0, *,
                int8_t[:, :, :] states_out=None, const double[::1] beta_J_path=None,
                const double[::1] beta_h_path=None,
                object lattice=None):
    """Wolff sweeps of Potts chains on a CSR graph (weights >= 0, fields by acceptance).

    A sweep is `clusters_per_sweep` cluster updates; 0: N / mean cluster size of a pilot;
    -1 (burn-in only): clusters until N sites in every sweep.
    """
    _run(indptr, indices, weights, q, &h[0, 0] if h.shape[0] else NULL, states, rng, beta_J,
         beta_h, n_records, thin, e_coupling, e_field, magnetization, stats, n_threads, True, True,
         clusters_per_sweep, states_out, beta_J_path, beta_h_path, lattice)
