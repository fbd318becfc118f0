# Single-site samplers for Ising and Potts models on arbitrary graphs (CSR neighbour lists).
#
# Contract: isingbio/_kernels/README.md; the chain loops are in graph_impl.h (C: restrict
# pointers and a private copy of the random state, which Cython cannot express). Sites are
# updated in sequential order 0..N-1 in every sweep. Each chain uses only its own row of
# `rng` (lane 0), so results do not depend on n_threads. Which path a call takes (integer
# tables for uniform weights and fields, or double local fields) depends only on the model,
# so splitting a run into calls does not change it. The Python layer validates everything;
# these kernels trust their inputs.
from cython.parallel cimport prange
from libc.stdint cimport int8_t, int32_t, int64_t, uint64_t
from libc.stdlib cimport free, malloc

cdef extern from "graph_impl.h" nogil:
    ctypedef struct isb_g_out:
        double *ec
        double *ef
        double *mg
        int64_t sj, sh, sm
        int8_t *so
        int64_t sos
    ctypedef struct isb_g_model:
        int uniform
        int degmax
        double w0
        int32_t *lidx
    void isb_g_model_init(isb_g_model *m, int64_t n, const int64_t *indptr,
                          const int32_t *indices, const double *w) noexcept
    int isb_g_model_build_lists(isb_g_model *m) noexcept
    void isb_g_model_free(isb_g_model *m) noexcept
    int isb_g_uniform_field(const double *h, int64_t n, int q) noexcept
    int64_t isb_g_ising_table(const isb_g_model *g, double h0, int8_t *s, uint64_t *rng,
                              double beta_J, double beta_h, int64_t n_records, int64_t thin,
                              const isb_g_out *o, int heatbath) noexcept
    int64_t isb_g_ising_general(const isb_g_model *g, const double *h, int8_t *s,
                                uint64_t *rng, double beta_J, double beta_h, int64_t n_records,
                                int64_t thin, const isb_g_out *o, int heatbath) noexcept
    int isb_g_potts_table_ok(const isb_g_model *g, int q, const double *h0, double beta_J,
                             double beta_h, int heatbath) noexcept
    size_t isb_g_potts_table_bytes(const isb_g_model *g, int q, int heatbath) noexcept
    void isb_g_potts_table_build(const isb_g_model *g, int q, const double *h0, double beta_J,
                                 double beta_h, int heatbath, void *tab) noexcept
    int64_t isb_g_potts_table(const isb_g_model *g, int q, const double *h0, int8_t *x,
                              uint64_t *rng, int64_t n_records, int64_t thin,
                              const isb_g_out *o, int heatbath, const void *table) noexcept
    int64_t isb_g_potts_general(const isb_g_model *g, int q, const double *h, int8_t *x,
                                uint64_t *rng, double beta_J, double beta_h, int64_t n_records,
                                int64_t thin, const isb_g_out *o, int heatbath) noexcept

cdef enum:
    MAX_Q = 128  # states are int8, q <= 127


cdef int64_t _chain(const isb_g_model *g, isb_g_out o, int q, const double *h, int8_t *x,
                    uint64_t *rng, double beta_J, double beta_h, int64_t rec, int64_t thin,
                    double *ec, double *ef, double *mg, int8_t *so, bint heatbath, bint potts,
                    int table, const void *tab) noexcept nogil:
    """One chain (o: record strides, filled here with this chain's pointers)."""
    o.ec = ec
    o.ef = ef
    o.mg = mg
    o.so = so
    if potts:
        if table:
            return isb_g_potts_table(g, q, h, x, rng, rec, thin, &o, heatbath, tab)
        return isb_g_potts_general(g, q, h, x, rng, beta_J, beta_h, rec, thin, &o, heatbath)
    if table:
        return isb_g_ising_table(g, h[0], x, rng, beta_J, beta_h, rec, thin, &o, heatbath)
    return isb_g_ising_general(g, h, x, rng, beta_J, beta_h, rec, thin, &o, heatbath)


cdef object _run(const int64_t[::1] indptr, const int32_t[::1] indices,
                 const double[::1] weights, int q, const double *h, int8_t[:, ::1] states,
                 uint64_t[:, ::1] rng, double beta_J, double beta_h, Py_ssize_t n_records,
                 Py_ssize_t thin, double[:, :] e_coupling, double[:, :] e_field,
                 double[:, :] magnetization, double[:, ::1] stats, int n_threads,
                 bint heatbath, bint potts, int8_t[:, :, :] states_out,
                 const double[::1] beta_J_path, const double[::1] beta_h_path):
    """Runs the records in segments of equal (beta_J, beta_h) (one segment without a path);
    each segment is exactly one call of the kernel at its betas (path and Potts table chosen
    and built for them), so a path gives what one call per record gives."""
    cdef Py_ssize_t n_chains = states.shape[0], n = states.shape[1], c
    cdef int64_t rec = n_records if n_records > 0 else 0
    cdef isb_g_model g
    cdef isb_g_out o
    cdef int table = 0, uniform_table = 0
    cdef void *tab = NULL
    cdef int64_t acc, i0, i1, seg
    cdef const double *bjp = NULL
    cdef const double *bhp = NULL
    cdef double bj, bh
    if n_chains == 0 or n == 0 or rec == 0:
        return
    if beta_J_path is not None:
        if beta_J_path.shape[0] < rec:
            raise ValueError(f"beta_J_path must have length >= {rec}, got {beta_J_path.shape[0]}")
        bjp = &beta_J_path[0]
    if beta_h_path is not None:
        if beta_h_path.shape[0] < rec:
            raise ValueError(f"beta_h_path must have length >= {rec}, got {beta_h_path.shape[0]}")
        bhp = &beta_h_path[0]
    if potts and not 2 <= q < MAX_Q:
        raise ValueError(f"q must be in 2..{MAX_Q - 1}, got {q}")
    if states_out is not None and (states_out.shape[0] < n_chains or states_out.shape[1] < rec
                                   or states_out.shape[2] != n):
        raise ValueError(f"states_out must have shape ({n_chains}, >= {rec}, {n}), got "
                         f"({states_out.shape[0]}, {states_out.shape[1]}, {states_out.shape[2]})")
    if states_out is not None and states_out.strides[2] != 1:
        raise ValueError("states_out must be contiguous along its last axis (sites)")
    # records may be any strided views (e.g. column slices of wider arrays)
    o.sj = e_coupling.strides[1] // sizeof(double)
    o.sh = e_field.strides[1] // sizeof(double)
    o.sm = magnetization.strides[1] // sizeof(double)
    o.sos = states_out.strides[1] if states_out is not None else 0
    o.ec = o.ef = o.mg = NULL
    o.so = NULL
    with nogil:
        isb_g_model_init(&g, n, &indptr[0], &indices[0] if indices.shape[0] > 0 else NULL,
                         &weights[0] if weights.shape[0] > 0 else NULL)
        if g.uniform and isb_g_uniform_field(h, n, q if potts else 1):
            uniform_table = 1
            if not potts and isb_g_model_build_lists(&g) != 0:
                uniform_table = 0   # out of memory: the general path needs no lists
    try:
        i0 = 0
        while i0 < rec:
            bj = bjp[i0] if bjp != NULL else beta_J
            bh = bhp[i0] if bhp != NULL else beta_h
            i1 = i0 + 1
            while i1 < rec and (bjp == NULL or bjp[i1] == bj) and (bhp == NULL or bhp[i1] == bh):
                i1 += 1
            seg = i1 - i0
            table = uniform_table
            if table and potts:
                table = isb_g_potts_table_ok(&g, q, h, bj, bh, heatbath)
                if table:
                    if tab == NULL:   # same size whatever the betas
                        tab = malloc(isb_g_potts_table_bytes(&g, q, heatbath))
                    if tab == NULL:
                        table = 0   # the general path needs no table
                    else:
                        isb_g_potts_table_build(&g, q, h, bj, bh, heatbath, tab)
            with nogil:
                for c in prange(n_chains, num_threads=n_threads, schedule="dynamic"):
                    acc = _chain(&g, o, q, h, &states[c, 0], &rng[c, 0], bj, bh, seg, thin,
                                 &e_coupling[c, i0], &e_field[c, i0], &magnetization[c, i0],
                                 &states_out[c, i0, 0] if states_out is not None else NULL,
                                 heatbath, potts, table, tab)
                    stats[c, 0] += <double>n * thin * seg
                    stats[c, 1] += acc
            i0 = i1
    finally:
        free(tab)
        isb_g_model_free(&g)


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
