# Single-site Metropolis and heat-bath samplers for Ising and Potts models on hypercubic
# lattices (d = 1, 2, 3), per-axis couplings and a uniform field. Contract: README.md of
# this folder. The hot loops are C (lattice_impl.h); this module checks nothing the Python
# layer has already checked, builds the per-call tables and distributes chains with prange.
from cython.parallel cimport prange
from libc.stdint cimport int8_t, int64_t, uint8_t, uint64_t
from libc.stdlib cimport calloc, free

cdef extern from "lattice_impl.h" nogil:
    int LAT_ISING_METRO
    int LAT_ISING_HB
    int LAT_POTTS_METRO
    int LAT_POTTS_HB
    ctypedef struct lat_plan:
        int split
    ctypedef struct lat_chain:
        int8_t *b0
        int8_t *x
        uint64_t *rbuf
    int lat_plan_init(lat_plan *p, int kind, int d, const int64_t *shape,
                      const uint8_t *periodic, const double *J, int q, double h_ising,
                      const double *h_potts, double beta_J, double beta_h)
    int lat_plan_tables(lat_plan *p, double beta_J, double beta_h)
    void lat_plan_free(lat_plan *p)
    int lat_fill_check(uint64_t *w, uint64_t *out, int64_t nblk, int which)
    int lat_cpu_avx2()
    int lat_chain_begin(const lat_plan *p, lat_chain *ch, const int8_t *state)
    void lat_chain_run(const lat_plan *p, lat_chain *ch, uint64_t *rng, int64_t i0, int64_t i1,
                       int64_t thin, double *ec, double *ef, double *mag, int8_t *sout)
    void lat_chain_end(const lat_plan *p, lat_chain *ch, int8_t *state, int64_t n_records,
                       int64_t thin, double *stats)


cdef int _run(int kind, const int64_t[::1] shape, const uint8_t[::1] periodic,
              const double[::1] J, int q, double h_ising, const double *h_potts,
              int8_t[:, ::1] states, uint64_t[:, ::1] rng, double beta_J, double beta_h,
              Py_ssize_t n_records, Py_ssize_t thin, double[:, ::1] e_coupling,
              double[:, ::1] e_field, double[:, ::1] magnetization, double[:, ::1] stats,
              int n_threads, int8_t[:, :, ::1] states_out, const double[::1] beta_J_path,
              const double[::1] beta_h_path) except -1:
    """Runs the records in segments of equal (beta_J, beta_h) (one segment without a path):
    the tables are rebuilt between segments, each chain keeps its scratch (split layout)
    across segments, so a path costs one parallel region per segment and nothing per site."""
    cdef Py_ssize_t n_chains = states.shape[0], c
    cdef int d = <int>shape.shape[0]
    cdef int n_fail = 0
    cdef lat_plan plan
    cdef lat_chain *chains = NULL
    cdef int8_t *sout = NULL
    cdef Py_ssize_t sout_stride = 0, i0, i1
    cdef const double *bjp = NULL
    cdef const double *bhp = NULL
    cdef double bj, bh
    if n_chains == 0 or n_records <= 0 or thin <= 0:
        return 0
    if states_out is not None:
        sout = &states_out[0, 0, 0]
        sout_stride = states_out.shape[1] * states_out.shape[2]
    if beta_J_path is not None:
        bjp = &beta_J_path[0]
    if beta_h_path is not None:
        bhp = &beta_h_path[0]
    bj = bjp[0] if bjp != NULL else beta_J
    bh = bhp[0] if bhp != NULL else beta_h
    if lat_plan_init(&plan, kind, d, &shape[0], &periodic[0], &J[0], q, h_ising, h_potts,
                     bj, bh) != 0:
        raise MemoryError("isingbio lattice kernel: out of memory building tables")
    try:
        chains = <lat_chain *>calloc(n_chains, sizeof(lat_chain))
        if chains == NULL:
            raise MemoryError("isingbio lattice kernel: out of memory for per-chain scratch")
        with nogil:
            for c in prange(n_chains, num_threads=n_threads, schedule='static'):
                n_fail += lat_chain_begin(&plan, &chains[c], &states[c, 0]) != 0
            i0 = 0
            while n_fail == 0 and i0 < n_records:
                i1 = i0 + 1
                while (i1 < n_records and (bjp == NULL or bjp[i1] == bj)
                       and (bhp == NULL or bhp[i1] == bh)):
                    i1 += 1
                for c in prange(n_chains, num_threads=n_threads, schedule='static'):
                    lat_chain_run(&plan, &chains[c], &rng[c, 0], i0, i1, thin,
                                  &e_coupling[c, 0], &e_field[c, 0], &magnetization[c, 0],
                                  sout + c * sout_stride if sout != NULL else NULL)
                i0 = i1
                if i0 < n_records:
                    bj = bjp[i0] if bjp != NULL else beta_J
                    bh = bhp[i0] if bhp != NULL else beta_h
                    if lat_plan_tables(&plan, bj, bh) != 0:
                        n_fail = -1
            if n_fail == 0:
                for c in prange(n_chains, num_threads=n_threads, schedule='static'):
                    lat_chain_end(&plan, &chains[c], &states[c, 0], n_records, thin, &stats[c, 0])
        if n_fail:
            raise MemoryError("isingbio lattice kernel: out of memory for per-chain scratch"
                              if n_fail > 0 else "isingbio lattice kernel: out of memory building tables")
    finally:
        if chains != NULL:
            for c in range(n_chains):  # after a failure: free what was allocated, states untouched
                free(chains[c].b0)
                free(chains[c].rbuf)
                free(chains[c].x)
            free(chains)
        lat_plan_free(&plan)
    return 0


def ising_metropolis(const int64_t[::1] shape, const uint8_t[::1] periodic, const double[::1] J,
                     double h, int8_t[:, ::1] states, uint64_t[:, ::1] rng, double beta_J,
                     double beta_h, Py_ssize_t n_records, Py_ssize_t thin,
                     double[:, ::1] e_coupling, double[:, ::1] e_field,
                     double[:, ::1] magnetization, double[:, ::1] stats, int n_threads, *,
                     int8_t[:, :, ::1] states_out=None, const double[::1] beta_J_path=None,
                     const double[::1] beta_h_path=None):
    """Single-spin-flip Metropolis, checkerboard sweeps (contract: README.md)."""
    _run(LAT_ISING_METRO, shape, periodic, J, 2, h, NULL, states, rng, beta_J, beta_h,
         n_records, thin, e_coupling, e_field, magnetization, stats, n_threads, states_out,
         beta_J_path, beta_h_path)


def ising_heatbath(const int64_t[::1] shape, const uint8_t[::1] periodic, const double[::1] J,
                   double h, int8_t[:, ::1] states, uint64_t[:, ::1] rng, double beta_J,
                   double beta_h, Py_ssize_t n_records, Py_ssize_t thin,
                   double[:, ::1] e_coupling, double[:, ::1] e_field,
                   double[:, ::1] magnetization, double[:, ::1] stats, int n_threads, *,
                   int8_t[:, :, ::1] states_out=None, const double[::1] beta_J_path=None,
                   const double[::1] beta_h_path=None):
    """Heat-bath (Glauber) single-spin updates, checkerboard sweeps (contract: README.md)."""
    _run(LAT_ISING_HB, shape, periodic, J, 2, h, NULL, states, rng, beta_J, beta_h,
         n_records, thin, e_coupling, e_field, magnetization, stats, n_threads, states_out,
         beta_J_path, beta_h_path)


def potts_metropolis(const int64_t[::1] shape, const uint8_t[::1] periodic, const double[::1] J,
                     int q, const double[::1] h, int8_t[:, ::1] states, uint64_t[:, ::1] rng,
                     double beta_J, double beta_h, Py_ssize_t n_records, Py_ssize_t thin,
                     double[:, ::1] e_coupling, double[:, ::1] e_field,
                     double[:, ::1] magnetization, double[:, ::1] stats, int n_threads, *,
                     int8_t[:, :, ::1] states_out=None, const double[::1] beta_J_path=None,
                     const double[::1] beta_h_path=None):
    """Metropolis with a uniform proposal among the q - 1 other states (contract: README.md).

    With the tuple tables (all but large q) each update draws the new value from the
    Metropolis transition law with one 32-bit random number (lattice_impl.h)."""
    _run(LAT_POTTS_METRO, shape, periodic, J, q, 0.0, &h[0], states, rng, beta_J, beta_h,
         n_records, thin, e_coupling, e_field, magnetization, stats, n_threads, states_out,
         beta_J_path, beta_h_path)


def potts_heatbath(const int64_t[::1] shape, const uint8_t[::1] periodic, const double[::1] J,
                   int q, const double[::1] h, int8_t[:, ::1] states, uint64_t[:, ::1] rng,
                   double beta_J, double beta_h, Py_ssize_t n_records, Py_ssize_t thin,
                   double[:, ::1] e_coupling, double[:, ::1] e_field,
                   double[:, ::1] magnetization, double[:, ::1] stats, int n_threads, *,
                   int8_t[:, :, ::1] states_out=None, const double[::1] beta_J_path=None,
                   const double[::1] beta_h_path=None):
    """Heat-bath: each site drawn from its conditional law, checkerboard sweeps (README.md)."""
    _run(LAT_POTTS_HB, shape, periodic, J, q, 0.0, &h[0], states, rng, beta_J, beta_h,
         n_records, thin, e_coupling, e_field, magnetization, stats, n_threads, states_out,
         beta_J_path, beta_h_path)


def uses_split_layout(const int64_t[::1] shape, const uint8_t[::1] periodic):
    """True if these kernels use the fast sublattice engine for this lattice (else the
    sequential general engine): last side even, and even sides along periodic leading axes."""
    cdef int d = <int>shape.shape[0], a
    if shape[d - 1] % 2:
        return False
    for a in range(d - 1):
        if periodic[a] and shape[a] % 2:
            return False
    return True


def _fill_check(uint64_t[::1] w, uint64_t[::1] out, int64_t nblk, int which):
    """Testing hook: nblk blocks of 8 outputs of the generator state w (32 words) by
    isb_next8 (0), the kernels' portable fill (1) or AVX2 fill (2); False if unavailable."""
    return lat_fill_check(&w[0], &out[0], nblk, which) == 0


def has_avx2():
    """True if the AVX2 loops run on this CPU (ISINGBIO_NO_AVX2 set turns them off per call)."""
    return bool(lat_cpu_avx2())
