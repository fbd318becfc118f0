# Single-site samplers for Ising and Potts models on arbitrary graphs (CSR neighbour lists).
#
# Contract: isingbio/_kernels/README.md; the chain loops are in graph_impl.h (C: restrict
# pointers and a private copy of the random state, which Cython cannot express). Sites are
# updated in sequential order 0..N-1 in every sweep. Each chain uses only its own row of
# `rng` (lane 0), so results do not depend on n_threads. Which path a call takes (integer
# tables for uniform weights and fields, or double local fields) depends only on the model,
# so splitting a run into calls does not change it. The Python layer validates everything;
# these kernels trust their inputs.
from libc.stdint cimport int8_t, int32_t, int64_t, uint64_t

from ._core cimport ISB_MAX_Q, check_status, fill_run, isb_run

cdef extern from "graph_impl.h" nogil:
    ctypedef struct isb_g_params:
        const int64_t *indptr
        const int32_t *indices
        const double *weights
        int q, potts, heatbath
        const double *h
    int isb_graph_run(const isb_g_params *m, const isb_run *a)


cdef int _run(const int64_t[::1] indptr, const int32_t[::1] indices,
              const double[::1] weights, int q, const double *h, int8_t[:, ::1] states,
              uint64_t[:, ::1] rng, double beta_J, double beta_h, Py_ssize_t n_records,
              Py_ssize_t thin, double[:, :] e_coupling, double[:, :] e_field,
              double[:, :] magnetization, double[:, ::1] stats, int n_threads,
              bint heatbath, bint potts, int8_t[:, :, :] states_out,
              const double[::1] beta_J_path, const double[::1] beta_h_path) except -1:
    """One call: the model as an isb_g_params, the common arguments as an isb_run (checked
    by fill_run), isb_graph_run (graph_impl.h)."""
    cdef isb_run a
    cdef isb_g_params m
    cdef int rc
    if not fill_run(&a, states, rng, beta_J, beta_h, n_records, thin, e_coupling, e_field,
                    magnetization, stats, n_threads, states_out, beta_J_path, beta_h_path):
        return 0
    if potts and not 2 <= q < ISB_MAX_Q:
        raise ValueError(f"q must be in 2..{ISB_MAX_Q - 1}, got {q}")
    if indptr.shape[0] != states.shape[1] + 1:
        raise ValueError(f"indptr must have length {states.shape[1] + 1}, got {indptr.shape[0]}")
    m.indptr = &indptr[0]
    m.indices = &indices[0] if indices.shape[0] > 0 else NULL
    m.weights = &weights[0] if weights.shape[0] > 0 else NULL
    m.q = q
    m.potts = potts
    m.heatbath = heatbath
    m.h = h
    with nogil:
        rc = isb_graph_run(&m, &a)
    return check_status(rc, "graph")


def ising_metropolis(const int64_t[::1] indptr, const int32_t[::1] indices,
                     const double[::1] weights, const double[::1] h, int8_t[:, ::1] states,
                     uint64_t[:, ::1] rng, double beta_J, double beta_h, Py_ssize_t n_records,
                     Py_ssize_t thin, double[:, :] e_coupling, double[:, :] e_field,
                     double[:, :] magnetization, double[:, ::1] stats, int n_threads, *,
                     int8_t[:, :, :] states_out=None,
                     const double[::1] beta_J_path=None, const double[::1] beta_h_path=None):
    """Metropolis single-spin flips on a graph Ising model (sequential site order)."""
    _run(indptr, indices, weights, 1, &h[0], states, rng, beta_J, beta_h, n_records, thin,
         e_coupling, e_field, magnetization, stats, n_threads, False, False, states_out,
         beta_J_path, beta_h_path)


def ising_heatbath(const int64_t[::1] indptr, const int32_t[::1] indices,
                   const double[::1] weights, const double[::1] h, int8_t[:, ::1] states,
                   uint64_t[:, ::1] rng, double beta_J, double beta_h, Py_ssize_t n_records,
                   Py_ssize_t thin, double[:, :] e_coupling, double[:, :] e_field,
                   double[:, :] magnetization, double[:, ::1] stats, int n_threads, *,
                   int8_t[:, :, :] states_out=None,
                   const double[::1] beta_J_path=None, const double[::1] beta_h_path=None):
    """Heat-bath (Gibbs) single-spin updates on a graph Ising model (sequential site order)."""
    _run(indptr, indices, weights, 1, &h[0], states, rng, beta_J, beta_h, n_records, thin,
         e_coupling, e_field, magnetization, stats, n_threads, True, False, states_out,
         beta_J_path, beta_h_path)


def potts_metropolis(const int64_t[::1] indptr, const int32_t[::1] indices,
                     const double[::1] weights, int q, const double[:, ::1] h,
                     int8_t[:, ::1] states, uint64_t[:, ::1] rng, double beta_J, double beta_h,
                     Py_ssize_t n_records, Py_ssize_t thin, double[:, :] e_coupling,
                     double[:, :] e_field, double[:, :] magnetization,
                     double[:, ::1] stats, int n_threads, *, int8_t[:, :, :] states_out=None,
                     const double[::1] beta_J_path=None, const double[::1] beta_h_path=None):
    """Metropolis updates on a graph Potts model: propose a uniformly random other state."""
    _run(indptr, indices, weights, q, &h[0, 0], states, rng, beta_J, beta_h, n_records, thin,
         e_coupling, e_field, magnetization, stats, n_threads, False, True, states_out,
         beta_J_path, beta_h_path)


def potts_heatbath(const int64_t[::1] indptr, const int32_t[::1] indices,
                   const double[::1] weights, int q, const double[:, ::1] h,
                   int8_t[:, ::1] states, uint64_t[:, ::1] rng, double beta_J, double beta_h,
                   Py_ssize_t n_records, Py_ssize_t thin, double[:, :] e_coupling,
                   double[:, :] e_field, double[:, :] magnetization,
                   double[:, ::1] stats, int n_threads, *, int8_t[:, :, :] states_out=None,
                   const double[::1] beta_J_path=None, const double[::1] beta_h_path=None):
    """Heat-bath (Gibbs) updates on a graph Potts model: sample x_i from its conditional."""
    _run(indptr, indices, weights, q, &h[0, 0], states, rng, beta_J, beta_h, n_records, thin,
         e_coupling, e_field, magnetization, stats, n_threads, True, True, states_out,
         beta_J_path, beta_h_path)
