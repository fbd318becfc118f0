# Single-site Metropolis and heat-bath samplers for Ising and Potts models on hypercubic
# lattices (d = 1, 2, 3), per-axis couplings and a uniform field. Contract: README.md of
# this folder. The hot loops are C (lattice_impl.h); this module checks nothing the Python
# layer has already checked; the common arguments become an isb_run (_core.pxd) and
# lat_run runs the chains in one parallel region (blocks of chains, each with its own tables).
# Every kernel also takes chain_beta (a factor of beta_J and beta_h per chain) and the engine
# switch ("auto": the replica engine for many chains of a small lattice, replica_impl.h).
from libc.stdint cimport int8_t, int64_t, uint8_t, uint64_t

from ._core cimport ISB_MAX_Q, check_status, fill_run, isb_run

cdef extern from "lattice_impl.h" nogil:
    int LAT_ISING_METRO
    int LAT_ISING_HB
    int LAT_POTTS_METRO
    int LAT_POTTS_HB
    ctypedef struct lat_model:
        int kind, d, q
        const int64_t *shape
        const uint8_t *periodic
        const double *J
        double h_ising
        const double *h_potts
        int simd, tables
        const double *chain_beta
        int engine
    int lat_run(const lat_model *m, const isb_run *a)
    int lat_fill_check(uint64_t *w, uint64_t *out, int64_t nblk, int which)
    int lat_cpu_avx2()
    int lat_split_ok(int d, const int64_t *shape, const uint8_t *periodic)
    int rep_applies(const lat_model *m)
    int lat_advance(const lat_model *m, int64_t n_sites, int8_t *states, uint64_t *rng,
                    double *stats, int64_t c0, int64_t c1, int64_t n_sweeps, const double *beta,
                    double *energy, int n_threads)


_ENGINES = {"auto": -1, "sublattice": 0, "replica": 1}


cdef int _run(int kind, const int64_t[::1] shape, const uint8_t[::1] periodic,
              const double[::1] J, int q, double h_ising, const double *h_potts,
              int8_t[:, ::1] states, uint64_t[:, ::1] rng, double beta_J, double beta_h,
              Py_ssize_t n_records, Py_ssize_t thin, double[:, :] e_coupling,
              double[:, :] e_field, double[:, :] magnetization, double[:, ::1] stats,
              int n_threads, int8_t[:, :, :] states_out, const double[::1] beta_J_path,
              const double[::1] beta_h_path, int simd, int tables,
              const double[::1] chain_beta, str engine) except -1:
    """One call: the model as a lat_model, the common arguments as an isb_run, lat_run."""
    cdef isb_run a
    cdef lat_model m
    cdef int rc
    if not fill_run(&a, states, rng, beta_J, beta_h, n_records, thin, e_coupling, e_field,
                    magnetization, stats, n_threads, states_out, beta_J_path, beta_h_path):
        return 0
    if not 1 <= shape.shape[0] <= 3 or periodic.shape[0] != shape.shape[0] or J.shape[0] != shape.shape[0]:
        raise ValueError("lattice: shape, periodic and J need one entry per axis (d = 1..3)")
    if not 2 <= q < ISB_MAX_Q:
        raise ValueError(f"q must be in 2..{ISB_MAX_Q - 1}, got {q}")
    m.kind = kind
    m.d = <int>shape.shape[0]
    m.q = q
    m.shape = &shape[0]
    m.periodic = &periodic[0]
    m.J = &J[0]
    m.h_ising = h_ising
    m.h_potts = h_potts
    m.simd = simd
    m.tables = tables
    m.chain_beta = NULL
    if chain_beta is not None:
        if chain_beta.shape[0] != states.shape[0]:
            raise ValueError(f"chain_beta needs one entry per chain ({states.shape[0]}), "
                             f"got {chain_beta.shape[0]}")
        m.chain_beta = &chain_beta[0] if chain_beta.shape[0] > 0 else NULL
    if engine not in _ENGINES:
        raise ValueError(f"engine must be one of {sorted(_ENGINES)}, got {engine!r}")
    m.engine = _ENGINES[engine]
    with nogil:
        rc = lat_run(&m, &a)
    return check_status(rc, "lattice")


def ising_metropolis(const int64_t[::1] shape, const uint8_t[::1] periodic, const double[::1] J,
                     double h, int8_t[:, ::1] states, uint64_t[:, ::1] rng, double beta_J,
                     double beta_h, Py_ssize_t n_records, Py_ssize_t thin,
                     double[:, :] e_coupling, double[:, :] e_field,
                     double[:, :] magnetization, double[:, ::1] stats, int n_threads, *,
                     int8_t[:, :, :] states_out=None, const double[::1] beta_J_path=None,
                     const double[::1] beta_h_path=None, int simd=1, int tables=2,
                     const double[::1] chain_beta=None, str engine="auto"):
    """Single-spin-flip Metropolis, checkerboard sweeps (contract: README.md)."""
    _run(LAT_ISING_METRO, shape, periodic, J, 2, h, NULL, states, rng, beta_J, beta_h,
         n_records, thin, e_coupling, e_field, magnetization, stats, n_threads, states_out,
         beta_J_path, beta_h_path, simd, tables, chain_beta, engine)


def ising_heatbath(const int64_t[::1] shape, const uint8_t[::1] periodic, const double[::1] J,
                   double h, int8_t[:, ::1] states, uint64_t[:, ::1] rng, double beta_J,
                   double beta_h, Py_ssize_t n_records, Py_ssize_t thin,
                   double[:, :] e_coupling, double[:, :] e_field,
                   double[:, :] magnetization, double[:, ::1] stats, int n_threads, *,
                   int8_t[:, :, :] states_out=None, const double[::1] beta_J_path=None,
                   const double[::1] beta_h_path=None, int simd=1, int tables=2,
                   const double[::1] chain_beta=None, str engine="auto"):
    """Heat-bath (Glauber) single-spin updates, checkerboard sweeps (contract: README.md)."""
    _run(LAT_ISING_HB, shape, periodic, J, 2, h, NULL, states, rng, beta_J, beta_h,
         n_records, thin, e_coupling, e_field, magnetization, stats, n_threads, states_out,
         beta_J_path, beta_h_path, simd, tables, chain_beta, engine)


def potts_metropolis(const int64_t[::1] shape, const uint8_t[::1] periodic, const double[::1] J,
                     int q, const double[::1] h, int8_t[:, ::1] states, uint64_t[:, ::1] rng,
                     double beta_J, double beta_h, Py_ssize_t n_records, Py_ssize_t thin,
                     double[:, :] e_coupling, double[:, :] e_field,
                     double[:, :] magnetization, double[:, ::1] stats, int n_threads, *,
                     int8_t[:, :, :] states_out=None, const double[::1] beta_J_path=None,
                     const double[::1] beta_h_path=None, int simd=1, int tables=2,
                     const double[::1] chain_beta=None, str engine="auto"):
    """Metropolis with a uniform proposal among the q - 1 other states (contract: README.md).

    With the tuple tables (all but large q) each update draws the new value from the
    Metropolis transition law with one 32-bit random number (lattice_impl.h)."""
    _run(LAT_POTTS_METRO, shape, periodic, J, q, 0.0, &h[0], states, rng, beta_J, beta_h,
         n_records, thin, e_coupling, e_field, magnetization, stats, n_threads, states_out,
         beta_J_path, beta_h_path, simd, tables, chain_beta, engine)


def potts_heatbath(const int64_t[::1] shape, const uint8_t[::1] periodic, const double[::1] J,
                   int q, const double[::1] h, int8_t[:, ::1] states, uint64_t[:, ::1] rng,
                   double beta_J, double beta_h, Py_ssize_t n_records, Py_ssize_t thin,
                   double[:, :] e_coupling, double[:, :] e_field,
                   double[:, :] magnetization, double[:, ::1] stats, int n_threads, *,
                   int8_t[:, :, :] states_out=None, const double[::1] beta_J_path=None,
                   const double[::1] beta_h_path=None, int simd=1, int tables=2,
                   const double[::1] chain_beta=None, str engine="auto"):
    """Heat-bath: each site drawn from its conditional law, checkerboard sweeps (README.md)."""
    _run(LAT_POTTS_HB, shape, periodic, J, q, 0.0, &h[0], states, rng, beta_J, beta_h,
         n_records, thin, e_coupling, e_field, magnetization, stats, n_threads, states_out,
         beta_J_path, beta_h_path, simd, tables, chain_beta, engine)


def uses_replicas(int kind, const int64_t[::1] shape, const uint8_t[::1] periodic, int q,
                  int tables=2):
    """True if these kernels run this model with the replica engine (chains vectorised, site by
    site): kind 0..3 = Ising Metropolis, Ising heat-bath, Potts Metropolis, Potts heat-bath."""
    cdef lat_model m
    m.kind = kind
    m.d = <int>shape.shape[0]
    m.q = 2 if kind < 2 else q
    m.shape = &shape[0]
    m.periodic = &periodic[0]
    m.tables = tables
    m.engine = -1
    return bool(rep_applies(&m))


def _advance(int kind, const int64_t[::1] shape, const uint8_t[::1] periodic,
             const double[::1] J, int q, const double[::1] h, int8_t[:, ::1] states,
             uint64_t[:, ::1] rng, double[:, ::1] stats, Py_ssize_t c0, Py_ssize_t c1,
             Py_ssize_t n_sweeps, const double[::1] beta, double[::1] energy, int n_threads):
    """Testing hook for lat_advance (the C drivers' entry point, README.md): chains [c0, c1)
    by n_sweeps sweeps, chain c at beta[c]; energy[c - c0] = H_J + H_h of its final state.
    kind 0..3 as in uses_replicas; h: (1,) Ising field or (q,) Potts fields."""
    cdef lat_model m
    cdef int rc
    if not (0 <= c0 <= c1 <= states.shape[0] and rng.shape[0] == states.shape[0]
            and rng.shape[1] == 32 and stats.shape[0] == states.shape[0] and stats.shape[1] == 4
            and beta.shape[0] >= c1 and energy.shape[0] >= c1 - c0):
        raise ValueError("_advance: inconsistent shapes")
    m.kind = kind
    m.d = <int>shape.shape[0]
    m.q = 2 if kind < 2 else q
    m.shape = &shape[0]
    m.periodic = &periodic[0]
    m.J = &J[0]
    m.h_ising = h[0]
    m.h_potts = &h[0]
    m.simd = 1
    m.tables = 2
    m.chain_beta = NULL
    m.engine = -1
    with nogil:
        rc = lat_advance(&m, states.shape[1], &states[0, 0], &rng[0, 0], &stats[0, 0], c0, c1,
                         n_sweeps, &beta[0], &energy[0], n_threads)
    check_status(rc, "lattice")


def uses_split_layout(const int64_t[::1] shape, const uint8_t[::1] periodic):
    """True if these kernels use the fast sublattice engine for this lattice (else the
    sequential general engine): last side even, and even sides along periodic leading axes."""
    return bool(lat_split_ok(<int>shape.shape[0], &shape[0], &periodic[0]))


def _fill_check(uint64_t[::1] w, uint64_t[::1] out, int64_t nblk, int which):
    """Testing hook: nblk blocks of 8 outputs of the generator state w (32 words) by
    isb_next8 (0), the kernels' portable fill (1) or AVX2 fill (2); False if unavailable."""
    return lat_fill_check(&w[0], &out[0], nblk, which) == 0


def has_avx2():
    """True if the AVX2 loops run on this CPU (a call with simd=False keeps them off)."""
    return bool(lat_cpu_avx2())
