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

from cython.parallel cimport prange
from libc.stdint cimport int8_t, int32_t, int64_t, uint8_t, uint64_t

cdef extern from "cluster_impl.h" nogil:
    ctypedef struct isb_graph:
        int32_t n
    int isb_graph_init(isb_graph *g, int32_t n, const int64_t *indptr, const int32_t *indices,
                       const double *weights, double beta_J, int potts, int wolff) noexcept
    void isb_graph_free(isb_graph *g) noexcept
    ctypedef struct isb_lattice:
        int nd
    int isb_lattice_init(isb_lattice *L, int d, const int64_t *shape, const uint8_t *periodic,
                         const double *J, double beta_J, int potts) noexcept
    int isb_field_form(const double *h, int64_t n, int q) noexcept
    int isb_ising_chain(const isb_graph *g, const isb_lattice *lat, int wolff, int64_t k_sweep, int field,
                        const double *h, int8_t *s, uint64_t *rng, double beta_h,
                        int64_t n_records, int64_t thin, double *ec, double *ef, double *mag,
                        double *st, int8_t *so, int64_t sos) noexcept
    int isb_potts_chain(const isb_graph *g, const isb_lattice *lat, int q, int wolff, int64_t k_sweep, int field,
                        const double *h, int8_t *x, uint64_t *rng, double beta_h,
                        int64_t n_records, int64_t thin, double *ec, double *ef, double *mag,
                        double *st, int8_t *so, int64_t sos) noexcept

cdef int32_t _MAX_SITES = 2147483647 - 256  # root labels live below -N in int32


cdef object _run(const int64_t[::1] indptr, const int32_t[::1] indices,
                 const double[::1] weights, int q, const double *h, int8_t[:, ::1] states,
                 uint64_t[:, ::1] rng, double beta_J, double beta_h, Py_ssize_t n_records,
                 Py_ssize_t thin, double[:, ::1] e_coupling, double[:, ::1] e_field,
                 double[:, ::1] magnetization, double[:, ::1] stats, int n_threads,
                 bint potts, bint wolff, Py_ssize_t k_sweep, int8_t[:, :, :] states_out,
                 const double[::1] beta_J_path, const double[::1] beta_h_path, object lattice):
    """Runs the records in segments of equal (beta_J, beta_h) (one segment without a path);
    each segment is exactly one call at its betas (bond thresholds rebuilt when beta_J
    changes), so a path gives what one call per record gives. Wolff with k_sweep = 0 and a
    path: one record per segment, since every call calibrates its own count (pilot)."""
    cdef Py_ssize_t n_chains = states.shape[0], n = states.shape[1], c
    cdef int64_t sos = 0, i0, i1, seg
    cdef const double *bjp = NULL
    cdef const double *bhp = NULL
    cdef double bj, bh, g_bj = 0.0
    cdef bint have_g = False, one_each
    if n > _MAX_SITES:
        raise ValueError(f"cluster kernels handle at most {_MAX_SITES} sites, got {n}")
    if n_chains == 0 or n == 0 or n_records <= 0:
        return
    if states_out is not None:
        if (states_out.shape[0] < n_chains or states_out.shape[1] < n_records
                or states_out.shape[2] != n):
            raise ValueError(f"states_out must have shape ({n_chains}, >= {n_records}, {n}), got "
                             f"({states_out.shape[0]}, {states_out.shape[1]}, {states_out.shape[2]})")
        if states_out.strides[2] != 1:
            raise ValueError("states_out must be contiguous along its last axis (sites)")
        sos = states_out.strides[1]
    if beta_J_path is not None:
        if beta_J_path.shape[0] < n_records:
            raise ValueError(f"beta_J_path must have length >= {n_records}, got {beta_J_path.shape[0]}")
        bjp = &beta_J_path[0]
    if beta_h_path is not None:
        if beta_h_path.shape[0] < n_records:
            raise ValueError(f"beta_h_path must have length >= {n_records}, got {beta_h_path.shape[0]}")
        bhp = &beta_h_path[0]
    one_each = wolff and k_sweep <= 0 and (bjp != NULL or bhp != NULL)
    cdef int32_t[::1] status = np.zeros(n_chains, dtype=np.int32)
    cdef isb_graph g
    cdef int field, rc
    cdef isb_lattice lat
    cdef isb_lattice *latp = NULL
    cdef const int64_t[::1] l_shape
    cdef const uint8_t[::1] l_per
    cdef const double[::1] l_J
    if lattice is not None:
        l_shape, l_per, l_J = lattice
        if l_shape.shape[0] == 0 or l_per.shape[0] != l_shape.shape[0] or l_J.shape[0] != l_shape.shape[0]:
            raise ValueError("lattice must be (shape, periodic, J) with one entry per axis")
        if np.prod(np.asarray(l_shape)) != n:
            raise ValueError(f"lattice shape {tuple(np.asarray(l_shape))} does not have {n} sites")
    field = isb_field_form(h, n, q if potts else 1)
    try:
        i0 = 0
        while i0 < n_records:
            bj = bjp[i0] if bjp != NULL else beta_J
            bh = bhp[i0] if bhp != NULL else beta_h
            i1 = i0 + 1
            while (not one_each and i1 < n_records and (bjp == NULL or bjp[i1] == bj)
                   and (bhp == NULL or bhp[i1] == bh)):
                i1 += 1
            seg = i1 - i0
            if not have_g or bj != g_bj:   # bond thresholds depend on beta_J only
                if have_g:
                    isb_graph_free(&g)
                    have_g = False
                with nogil:
                    rc = isb_graph_init(&g, <int32_t>n, &indptr[0],
                                        &indices[0] if indices.shape[0] else NULL,
                                        &weights[0] if weights.shape[0] else NULL, bj, potts, wolff)
                if rc != 0:
                    raise MemoryError("out of memory preparing the cluster sampler")
                have_g = True
                g_bj = bj
                latp = NULL
                if lattice is not None and isb_lattice_init(&lat, <int>l_shape.shape[0], &l_shape[0],
                                                            &l_per[0], &l_J[0], bj, potts):
                    latp = &lat
            with nogil:
                for c in prange(n_chains, num_threads=n_threads, schedule="dynamic"):
                    if potts:
                        status[c] = isb_potts_chain(&g, latp, q, wolff, k_sweep, field, h, &states[c, 0], &rng[c, 0],
                                                    bh, seg, thin, &e_coupling[c, i0],
                                                    &e_field[c, i0], &magnetization[c, i0], &stats[c, 0],
                                                    &states_out[c, i0, 0] if states_out is not None else NULL, sos)
                    else:
                        status[c] = isb_ising_chain(&g, latp, wolff, k_sweep, field, h, &states[c, 0], &rng[c, 0],
                                                    bh, seg, thin, &e_coupling[c, i0],
                                                    &e_field[c, i0], &magnetization[c, i0], &stats[c, 0],
                                                    &states_out[c, i0, 0] if states_out is not None else NULL, sos)
            if np.any(np.asarray(status) != 0):
                raise MemoryError("out of memory allocating cluster-sampler scratch for a chain")
            i0 = i1
    finally:
        if have_g:
            isb_graph_free(&g)


def ising_swendsen_wang(const int64_t[::1] indptr, const int32_t[::1] indices,
                        const double[::1] weights, const double[::1] h, int8_t[:, ::1] states,
                        uint64_t[:, ::1] rng, double beta_J, double beta_h, Py_ssize_t n_records,
                        Py_ssize_t thin, double[:, ::1] e_coupling, double[:, ::1] e_field,
                        double[:, ::1] magnetization, double[:, ::1] stats, int n_threads, *,
                        int8_t[:, :, :] states_out=None, const double[::1] beta_J_path=None,
                        const double[::1] beta_h_path=None,
                object lattice=None):
    """Swendsen-Wang sweeps of Ising chains on a CSR graph (any signs of w, any fields h (N,))."""
    _run(indptr, indices, weights, 1, &h[0] if h.shape[0] else NULL, states, rng, beta_J, beta_h,
         n_records, thin, e_coupling, e_field, magnetization, stats, n_threads, False, False, 0,
         states_out, beta_J_path, beta_h_path, lattice)


def ising_wolff(const int64_t[::1] indptr, const int32_t[::1] indices,
                const double[::1] weights, const double[::1] h, int8_t[:, ::1] states,
                uint64_t[:, ::1] rng, double beta_J, double beta_h, Py_ssize_t n_records,
                Py_ssize_t thin, double[:, ::1] e_coupling, double[:, ::1] e_field,
                double[:, ::1] magnetization, double[:, ::1] stats, int n_threads,
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
                        Py_ssize_t n_records, Py_ssize_t thin, double[:, ::1] e_coupling,
                        double[:, ::1] e_field, double[:, ::1] magnetization,
                        double[:, ::1] stats, int n_threads, *,
                        int8_t[:, :, :] states_out=None, const double[::1] beta_J_path=None,
                        const double[::1] beta_h_path=None,
                object lattice=None):
    """Swendsen-Wang sweeps of Potts chains on a CSR graph (weights >= 0, fields h (N, q))."""
    _run(indptr, indices, weights, q, &h[0, 0] if h.shape[0] else NULL, states, rng, beta_J,
         beta_h, n_records, thin, e_coupling, e_field, magnetization, stats, n_threads, True, False, 0,
         states_out, beta_J_path, beta_h_path, lattice)


def potts_wolff(const int64_t[::1] indptr, const int32_t[::1] indices,
                const double[::1] weights, int q, const double[:, ::1] h,
                int8_t[:, ::1] states, uint64_t[:, ::1] rng, double beta_J, double beta_h,
                Py_ssize_t n_records, Py_ssize_t thin, double[:, ::1] e_coupling,
                double[:, ::1] e_field, double[:, ::1] magnetization,
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
