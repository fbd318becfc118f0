# Single-site Metropolis and heat-bath samplers for Ising and Potts models on hypercubic
# lattices (d = 1, 2, 3), per-axis couplings and a uniform field. Contract: README.md of
# this folder. The hot loops are C (lattice_impl.h); this module checks nothing the Python
# layer has already checked and runs the chains in one parallel region (blocks of chains,
# each with its own tables).
from cython.parallel cimport parallel
from libc.stdint cimport int8_t, int64_t, uint8_t, uint64_t
from libc.stdlib cimport calloc, free
from libc.string cimport memset

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
    int lat_team_size()
    int lat_team_rank()
    void lat_team_barrier()
    void lat_flag_or(int *f, int bits)
    int lat_flag_get(const int *f)


cdef struct run_args:
    int kind, d, q
    const int64_t *shape
    const uint8_t *periodic
    const double *J
    double h_ising
    const double *h_potts
    int8_t *states
    uint64_t *rng
    double *ec
    double *ef
    double *mag
    double *stats
    int8_t *sout
    Py_ssize_t n_sites, rng_stride, rec_stride, stats_stride, sout_stride
    const double *bjp
    const double *bhp
    double beta_J, beta_h
    Py_ssize_t n_chains, n_records, thin
    int fail              # shared by the team: _FAIL_* bits (lat_flag_or / lat_flag_get)


cdef enum:
    _FAIL_TABLES = 1
    _FAIL_SCRATCH = 2


cdef void _block(run_args *a) noexcept nogil:
    """One thread's part of the call: a contiguous block [c0, c1) of the chains (by rank in
    the team actually granted) with the thread's own plan, through all the segments. Every
    thread of the team runs it once (it contains the team's barriers)."""
    cdef lat_plan plan
    cdef lat_chain *chains = NULL
    cdef Py_ssize_t nt = lat_team_size(), t = lat_team_rank()
    cdef Py_ssize_t c0 = a.n_chains * t // nt, c1 = a.n_chains * (t + 1) // nt
    cdef Py_ssize_t c, i0, i1, n = c1 - c0
    cdef const double *bjp = a.bjp
    cdef const double *bhp = a.bhp
    cdef double bj = bjp[0] if bjp != NULL else a.beta_J
    cdef double bh = bhp[0] if bhp != NULL else a.beta_h
    memset(&plan, 0, sizeof(plan))
    if n > 0:
        if lat_plan_init(&plan, a.kind, a.d, a.shape, a.periodic, a.J, a.q, a.h_ising,
                         a.h_potts, bj, bh) != 0:
            lat_flag_or(&a.fail, _FAIL_TABLES)
        else:
            chains = <lat_chain *>calloc(n, sizeof(lat_chain))
            if chains == NULL:
                lat_flag_or(&a.fail, _FAIL_SCRATCH)
            else:
                for c in range(n):
                    if lat_chain_begin(&plan, &chains[c], a.states + (c0 + c) * a.n_sites) != 0:
                        lat_flag_or(&a.fail, _FAIL_SCRATCH)
                        break
    lat_team_barrier()
    if n > 0 and lat_flag_get(&a.fail) == 0:
        i0 = 0
        while i0 < a.n_records:
            i1 = i0 + 1
            while (i1 < a.n_records and (bjp == NULL or bjp[i1] == bj)
                   and (bhp == NULL or bhp[i1] == bh)):
                i1 += 1
            for c in range(c0, c1):
                lat_chain_run(&plan, &chains[c - c0], a.rng + c * a.rng_stride, i0, i1, a.thin,
                              a.ec + c * a.rec_stride, a.ef + c * a.rec_stride,
                              a.mag + c * a.rec_stride,
                              a.sout + c * a.sout_stride if a.sout != NULL else NULL)
            i0 = i1
            if i0 < a.n_records:
                if lat_flag_get(&a.fail) != 0:  # another block failed: stop early
                    break
                bj = bjp[i0] if bjp != NULL else a.beta_J
                bh = bhp[i0] if bhp != NULL else a.beta_h
                if lat_plan_tables(&plan, bj, bh) != 0:
                    lat_flag_or(&a.fail, _FAIL_TABLES)
                    break
    lat_team_barrier()
    if chains != NULL:
        if lat_flag_get(&a.fail) == 0:
            for c in range(c0, c1):
                lat_chain_end(&plan, &chains[c - c0], a.states + c * a.n_sites, a.n_records,
                              a.thin, a.stats + c * a.stats_stride)
        for c in range(n):  # after a failure: free what was allocated, states untouched
            free(chains[c].b0)
            free(chains[c].rbuf)
            free(chains[c].x)
        free(chains)
    lat_plan_free(&plan)


cdef int _run(int kind, const int64_t[::1] shape, const uint8_t[::1] periodic,
              const double[::1] J, int q, double h_ising, const double *h_potts,
              int8_t[:, ::1] states, uint64_t[:, ::1] rng, double beta_J, double beta_h,
              Py_ssize_t n_records, Py_ssize_t thin, double[:, ::1] e_coupling,
              double[:, ::1] e_field, double[:, ::1] magnetization, double[:, ::1] stats,
              int n_threads, int8_t[:, :, ::1] states_out, const double[::1] beta_J_path,
              const double[::1] beta_h_path) except -1:
    """Runs the records in segments of equal (beta_J, beta_h) (one segment without a path)
    in one parallel region: each thread takes a contiguous block of chains with its own
    tables, rebuilt between segments, and keeps each chain's scratch (split layout) across
    segments, so a path costs one table rebuild per segment and thread, nothing per site."""
    cdef Py_ssize_t n_chains = states.shape[0]
    cdef int n_team
    cdef run_args a
    if n_chains == 0 or n_records <= 0 or thin <= 0:
        return 0
    memset(&a, 0, sizeof(a))
    a.kind = kind
    a.d = <int>shape.shape[0]
    a.q = q
    a.shape = &shape[0]
    a.periodic = &periodic[0]
    a.J = &J[0]
    a.h_ising = h_ising
    a.h_potts = h_potts
    a.states = &states[0, 0]
    a.n_sites = states.shape[1]
    a.rng = &rng[0, 0]
    a.rng_stride = rng.shape[1]
    a.ec = &e_coupling[0, 0]
    a.ef = &e_field[0, 0]
    a.mag = &magnetization[0, 0]
    a.rec_stride = e_coupling.shape[1]
    a.stats = &stats[0, 0]
    a.stats_stride = stats.shape[1]
    if states_out is not None:
        a.sout = &states_out[0, 0, 0]
        a.sout_stride = states_out.shape[1] * states_out.shape[2]
    if beta_J_path is not None:
        a.bjp = &beta_J_path[0]
    if beta_h_path is not None:
        a.bhp = &beta_h_path[0]
    a.beta_J = beta_J
    a.beta_h = beta_h
    a.n_chains = n_chains
    a.n_records = n_records
    a.thin = thin
    n_team = <int>(n_chains if n_chains < n_threads else n_threads)
    if n_team < 1:
        n_team = 1
    with nogil, parallel(num_threads=n_team):
        _block(&a)
    if a.fail:
        raise MemoryError("isingbio lattice kernel: out of memory building tables"
                          if a.fail & _FAIL_TABLES
                          else "isingbio lattice kernel: out of memory for per-chain scratch")
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
