# Cython side of the shared C core (isb_core.h): its declarations, and the one place where the
# common arguments of every sampler kernel (README.md) are checked and turned into an isb_run.
from libc.stdint cimport int8_t, int64_t, uint64_t
from libc.string cimport memset

cdef extern from "isb_core.h" nogil:
    int ISB_MAX_Q
    int ISB_OK
    int ISB_ENOMEM
    int ISB_EBOUNDS
    ctypedef struct isb_rec:
        double *ec
        double *ef
        double *mg
        int64_t ec_sc, ec_sr, ef_sc, ef_sr, mg_sc, mg_sr
        int8_t *so
        int64_t so_sc, so_sr
        int64_t n_records, n_sites
    ctypedef struct isb_out:
        double *ec
        double *ef
        double *mg
        int64_t sj, sh, sm
        int8_t *so
        int64_t sos
        int64_t n
    ctypedef struct isb_run:
        int64_t n_chains, n_sites
        int8_t *states
        uint64_t *rng
        int64_t rng_stride
        double *stats
        int64_t stats_stride
        double beta_J, beta_h
        const double *bjp
        const double *bhp
        int64_t n_records, thin
        isb_rec rec
        int n_threads
    isb_out isb_rec_chain(const isb_rec *R, int64_t c, int64_t r0) noexcept
    int64_t isb_segment(const double *bjp, const double *bhp, double beta_J, double beta_h,
                        int64_t i0, int64_t n_records, double *bj, double *bh) noexcept


cdef inline int _check_records(double[:, :] r, Py_ssize_t n_chains, Py_ssize_t rec,
                               str name) except -1:
    if r.shape[0] < n_chains or r.shape[1] < rec:
        raise ValueError(f"{name} must have shape ({n_chains}, >= {rec}), got ({r.shape[0]}, {r.shape[1]})")
    return 0


cdef inline int fill_run(isb_run *a, int8_t[:, ::1] states, uint64_t[:, ::1] rng, double beta_J,
                         double beta_h, Py_ssize_t n_records, Py_ssize_t thin,
                         double[:, :] e_coupling, double[:, :] e_field,
                         double[:, :] magnetization, double[:, ::1] stats, int n_threads,
                         int8_t[:, :, :] states_out, const double[::1] beta_J_path,
                         const double[::1] beta_h_path) except -1:
    """The common arguments of a sampler kernel as an isb_run (isb_core.h), checked once for
    every family. Returns 1 when there is work to do, 0 when there is none (no chains, no
    sites or no records: a[0] is then not filled), raises ValueError for bad shapes."""
    cdef Py_ssize_t n_chains = states.shape[0], n = states.shape[1]
    cdef Py_ssize_t rec = n_records if n_records > 0 else 0
    memset(a, 0, sizeof(isb_run))
    if n_chains == 0 or n == 0 or rec == 0:
        return 0
    if rng.shape[0] < n_chains or rng.shape[1] < 32:
        raise ValueError(f"rng must have shape ({n_chains}, 32), got ({rng.shape[0]}, {rng.shape[1]})")
    if stats.shape[0] < n_chains or stats.shape[1] < 4:
        raise ValueError(f"stats must have shape ({n_chains}, 4), got ({stats.shape[0]}, {stats.shape[1]})")
    _check_records(e_coupling, n_chains, rec, "e_coupling")
    _check_records(e_field, n_chains, rec, "e_field")
    _check_records(magnetization, n_chains, rec, "magnetization")
    if beta_J_path is not None:
        if beta_J_path.shape[0] < rec:
            raise ValueError(f"beta_J_path must have length >= {rec}, got {beta_J_path.shape[0]}")
        a.bjp = &beta_J_path[0]
    if beta_h_path is not None:
        if beta_h_path.shape[0] < rec:
            raise ValueError(f"beta_h_path must have length >= {rec}, got {beta_h_path.shape[0]}")
        a.bhp = &beta_h_path[0]
    if states_out is not None:
        if states_out.shape[0] < n_chains or states_out.shape[1] < rec or states_out.shape[2] != n:
            raise ValueError(f"states_out must have shape ({n_chains}, >= {rec}, {n}), got "
                             f"({states_out.shape[0]}, {states_out.shape[1]}, {states_out.shape[2]})")
        if states_out.strides[2] != 1:
            raise ValueError("states_out must be contiguous along its last axis (sites)")
        a.rec.so = &states_out[0, 0, 0]
        a.rec.so_sc = states_out.strides[0]
        a.rec.so_sr = states_out.strides[1]
    # records may be any strided views (e.g. column slices out[:, i:j] of wider arrays)
    a.rec.ec = &e_coupling[0, 0]
    a.rec.ec_sc = e_coupling.strides[0] // sizeof(double)
    a.rec.ec_sr = e_coupling.strides[1] // sizeof(double)
    a.rec.ef = &e_field[0, 0]
    a.rec.ef_sc = e_field.strides[0] // sizeof(double)
    a.rec.ef_sr = e_field.strides[1] // sizeof(double)
    a.rec.mg = &magnetization[0, 0]
    a.rec.mg_sc = magnetization.strides[0] // sizeof(double)
    a.rec.mg_sr = magnetization.strides[1] // sizeof(double)
    a.rec.n_records = rec
    a.rec.n_sites = n
    a.n_chains = n_chains
    a.n_sites = n
    a.states = &states[0, 0]
    a.rng = &rng[0, 0]
    a.rng_stride = rng.strides[0] // sizeof(uint64_t)
    a.stats = &stats[0, 0]
    a.stats_stride = stats.strides[0] // sizeof(double)
    a.beta_J = beta_J
    a.beta_h = beta_h
    a.n_records = rec
    a.thin = thin
    a.n_threads = n_threads if n_threads > 0 else 1
    return 1


cdef inline int check_status(int rc, str what) except -1:
    """Raises the exception of a kernel's status (isb_core.h)."""
    if rc == ISB_ENOMEM:
        raise MemoryError(f"isingbio {what} kernel: out of memory")
    if rc == ISB_EBOUNDS:
        raise IndexError(f"isingbio {what} kernel: an index or state out of range (debug check)")
    if rc != 0:
        raise RuntimeError(f"isingbio {what} kernel failed with status {rc}")
    return 0
