# Parallel tempering (replica exchange) of graph, dense and lattice models: many sweeps of R
# runs of K replicas with neighbour swaps in one call (one OpenMP region). The loops are in
# tempering_impl.h (single-site sweeps of graph and dense forms; contract there) and
# tempering_ext.h (lattices on the replica engine, cluster moves). Every array a call needs to
# continue lives with the caller (isingbio/parallel_tempering.py), so results do not depend on
# how a run is split into calls, nor on n_threads. The Python layer validates everything; this
# kernel checks shapes only.
from libc.stdint cimport int8_t, int32_t, int64_t, uint8_t, uint32_t, uint64_t

from ._core cimport check_status

cdef extern from "tempering_impl.h" nogil:
    int TP_GRAPH_ISING
    int TP_GRAPH_POTTS
    int TP_DENSE
    int TP_MAX_DEG
    ctypedef struct tp_model:
        int kind, heatbath
        int64_t n, q
        const int64_t *indptr
        const int32_t *indices
        const double *w
        const double *h
        const void *J
        int j_float
        int pm, degmax, regular
        double w0, h0
        int8_t *sgn
        int32_t *lidx
        int8_t *lc
    ctypedef struct tp_run:
        int64_t R, K
        const double *betas
        int8_t *states
        uint64_t *rng
        uint64_t *swap_rng
        double *e_j
        double *e_h
        double *cache
        int64_t *rep_at
        int8_t *dir
        int64_t *trip_start
        int64_t *clock
        int64_t *swaps
        int64_t *trips
        double *trip_time
        int64_t *flow
        int64_t n_sweeps, swap_every, thin
        double *energy
        double *mag
        double *overlap
        int8_t *states_out
        int64_t rec_stride, rec_offset
        int init, n_threads
    int tp_run_all(tp_model *g, const tp_run *a, int fast)


cdef extern from "tempering_ext.h" nogil:
    int TP_MODE_SITE
    int TP_MODE_REPLICA
    int TP_MODE_CLUSTER
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
    ctypedef struct tp_ext:
        int mode
        lat_model lat
        int wolff, lat_d
        const int64_t *lat_shape
        const uint8_t *lat_periodic
        const double *lat_J
        int64_t *wolff_k
        uint32_t *tab_cache
        int64_t tab_cap
        double *tab_betas
    int rep_applies(const lat_model *m)
    int tp_run_ext(tp_model *g, const tp_run *a, const tp_ext *e, int fast)


cdef int _lat_kind(bint ising, bint heatbath) noexcept:
    if ising:
        return LAT_ISING_HB if heatbath else LAT_ISING_METRO
    return LAT_POTTS_HB if heatbath else LAT_POTTS_METRO


def replica_engine_applies(bint ising, bint heatbath, const int64_t[::1] shape,
                           const uint8_t[::1] periodic, Py_ssize_t q):
    """True if tempering runs this lattice on the replica engine (a tuple table exists)."""
    cdef lat_model m
    if not 1 <= shape.shape[0] <= 3 or periodic.shape[0] != shape.shape[0]:
        return False
    m.kind = _lat_kind(ising, heatbath)
    m.d = <int>shape.shape[0]
    m.q = 2 if ising else <int>q
    m.shape = &shape[0]
    m.periodic = &periodic[0]
    m.tables = 2
    m.engine = 1
    return bool(rep_applies(&m))


def replica_table_size(bint ising, bint heatbath, Py_ssize_t d, Py_ssize_t q):
    """Entries of one rung's table on the replica engine (replica_impl.h rep_table_size)."""
    if ising:
        return 256
    cdef Py_ssize_t ntup = (q + 1) ** (2 * d)
    return ntup * (q - 1) * (1 if heatbath else q)


cdef int _graph_pm(tp_model *g, const double[::1] h) noexcept:
    """Whether the +-J path applies (every |w| equal and > 0, uniform field, degree <= 64)."""
    cdef Py_ssize_t i, p
    cdef int64_t d
    g.degmax = 0
    for i in range(g.n):
        d = g.indptr[i + 1] - g.indptr[i]
        if d > TP_MAX_DEG:
            return 0
        if d > g.degmax:
            g.degmax = <int>d
    if g.indptr[g.n] == 0:
        return 0
    g.w0 = abs(g.w[0])
    if not g.w0 > 0:
        return 0
    for p in range(g.indptr[g.n]):
        if abs(g.w[p]) != g.w0:
            return 0
    g.h0 = h[0]
    for i in range(g.n):
        if h[i] != g.h0:
            return 0
    return 1


def tempering_run(int kind, bint heatbath, Py_ssize_t q, const int64_t[::1] indptr,
                  const int32_t[::1] indices, const double[::1] weights, const double[::1] h,
                  const double[::1] betas, int8_t[:, ::1] states, uint64_t[:, ::1] rng,
                  uint64_t[:, ::1] swap_rng, double[::1] e_j, double[::1] e_h,
                  double[:, ::1] cache, int64_t[:, ::1] rep_at, int8_t[::1] direction,
                  int64_t[::1] trip_start, int64_t[::1] clock, int64_t[:, ::1] swaps,
                  int64_t[::1] trips, double[::1] trip_time, int64_t[:, ::1] flow,
                  Py_ssize_t n_sweeps, Py_ssize_t swap_every, Py_ssize_t thin, *,
                  const double[::1] J_double=None, const float[::1] J_float=None,
                  double[:, :, ::1] energy=None, double[:, :, ::1] magnetization=None,
                  double[:, :, ::1] overlap=None, int8_t[:, :, :, ::1] states_out=None,
                  Py_ssize_t rec_offset=0, bint init=False,
                  int n_threads=1, int fast=2, int mode=0, const int64_t[::1] lat_shape=None,
                  const uint8_t[::1] lat_periodic=None, const double[::1] lat_J=None,
                  bint wolff=False, int64_t[::1] wolff_k=None, uint32_t[::1] tables=None,
                  double[::1] table_betas=None):
    """Run n_sweeps sweeps of R runs x K rungs with swaps every swap_every sweeps.

    kind: 0 graph Ising, 1 graph Potts (indptr, indices, weights: CSR), 2 dense Potts (J_double
    or J_float: the flat (n, n, q, q) couplings). h: flat fields (n, or n q).

    states (R K, n), rng (R K, 32), e_j, e_h (R K), cache (R K, n q) (dense; else (0, 0)),
    rep_at (R, K), direction, trip_start (R K), clock (2), swaps (K - 1, 2), trips,
    trip_time (R), flow (K, 2): updated in place. energy, magnetization (R, K, n_rec)
    overlap (R (R - 1) / 2, K, n_rec) and states_out (R, K, n_rec, n) may be None (no records); record i of this call
    goes to column rec_offset + i, one record every thin sweeps (n_sweeps a multiple of
    thin). init: compute the energies (and dense caches) from the states first. fast: 0 general
    paths only, 1 also the +-J path, 2 also the +-J path across chains (default; testing).

    mode: 0 single-site sweeps (tempering_impl.h), 1 the lattice replica engine (lat_shape,
    lat_periodic, lat_J: the lattice of the graph; uniform field h[0] or h[:q]), 2 cluster
    moves (Swendsen-Wang, or Wolff with wolff_k (K): updates per sweep per rung, 0 calibrated
    in this call and written back; lat_*: the lattice of the graph when there is one).
    tables, table_betas (K, NaN at first): the replica engine's tables per rung, kept by the
    caller between calls (rebuilt only for the rungs whose beta changed; ignored if too small).
    """
    cdef tp_model g
    cdef tp_run a
    cdef tp_ext e
    cdef int rc
    cdef Py_ssize_t R = rep_at.shape[0], K = rep_at.shape[1], C = R * K
    cdef Py_ssize_t n = states.shape[1], n_rec
    if K < 1 or R < 1 or n < 1 or n_sweeps <= 0:
        return
    if betas.shape[0] != K or states.shape[0] != C or rng.shape[0] != C or rng.shape[1] != 32:
        raise ValueError("tempering: betas, states and rng must match rep_at (R, K)")
    if swap_rng.shape[0] != R or swap_rng.shape[1] != 32 or e_j.shape[0] != C or e_h.shape[0] != C:
        raise ValueError("tempering: swap_rng, e_j, e_h have wrong shapes")
    if direction.shape[0] != C or trip_start.shape[0] != C or clock.shape[0] != 2:
        raise ValueError("tempering: direction, trip_start, clock have wrong shapes")
    if swaps.shape[0] != max(K - 1, 1) or trips.shape[0] != R or trip_time.shape[0] != R:
        raise ValueError("tempering: swaps, trips, trip_time have wrong shapes")
    if flow.shape[0] != K or swap_every < 1 or thin < 1:
        raise ValueError("tempering: flow, swap_every or thin wrong")
    g.kind = kind
    g.heatbath = heatbath
    g.n = n
    g.q = q
    g.indptr = NULL
    g.indices = NULL
    g.w = NULL
    g.J = NULL
    g.j_float = 0
    g.pm = 0
    g.sgn = NULL
    g.lidx = NULL
    g.lc = NULL
    g.regular = 0
    g.h = &h[0]
    if kind == TP_DENSE:
        if J_float is not None:
            if J_float.shape[0] != n * n * q * q:
                raise ValueError("tempering: J has the wrong size")
            g.J = &J_float[0]
            g.j_float = 1
        else:
            if J_double is None or J_double.shape[0] != n * n * q * q:
                raise ValueError("tempering: J has the wrong size")
            g.J = &J_double[0]
        if cache.shape[0] != C or cache.shape[1] != n * q:
            raise ValueError("tempering: cache must have shape (R K, n q)")
        if h.shape[0] != n * q:
            raise ValueError("tempering: h must have n q entries")
    else:
        if indptr.shape[0] != n + 1:
            raise ValueError(f"tempering: indptr must have length {n + 1}")
        if indices.shape[0] < indptr[n] or weights.shape[0] < indptr[n]:
            raise ValueError("tempering: indices and weights shorter than indptr says")
        g.indptr = &indptr[0]
        g.indices = &indices[0] if indices.shape[0] > 0 else NULL
        g.w = &weights[0] if weights.shape[0] > 0 else NULL
        if h.shape[0] != (n if kind == TP_GRAPH_ISING else n * q):
            raise ValueError("tempering: h has the wrong size")
        if kind == TP_GRAPH_ISING and fast > 0:
            g.pm = _graph_pm(&g, h)
    a.R = R
    a.K = K
    a.betas = &betas[0]
    a.states = &states[0, 0]
    a.rng = &rng[0, 0]
    a.swap_rng = &swap_rng[0, 0]
    a.e_j = &e_j[0]
    a.e_h = &e_h[0]
    a.cache = &cache[0, 0] if kind == TP_DENSE else NULL
    a.rep_at = &rep_at[0, 0]
    a.dir = &direction[0]
    a.trip_start = &trip_start[0]
    a.clock = &clock[0]
    a.swaps = &swaps[0, 0]
    a.trips = &trips[0]
    a.trip_time = &trip_time[0]
    a.flow = &flow[0, 0]
    a.n_sweeps = n_sweeps
    a.swap_every = swap_every
    a.thin = thin
    a.energy = NULL
    a.mag = NULL
    a.overlap = NULL
    a.states_out = NULL
    a.rec_stride = 0
    a.rec_offset = rec_offset
    if energy is not None:
        if n_sweeps % thin != 0:
            raise ValueError("tempering: n_sweeps must be a multiple of thin when recording")
        n_rec = n_sweeps // thin
        if (magnetization is None or energy.shape[0] != R or energy.shape[1] != K
                or energy.shape[2] < rec_offset + n_rec
                or magnetization.shape[0] != R or magnetization.shape[1] != K
                or magnetization.shape[2] != energy.shape[2]):
            raise ValueError("tempering: energy, magnetization must have shape (R, K, >= records)")
        a.energy = &energy[0, 0, 0]
        a.mag = &magnetization[0, 0, 0]
        a.rec_stride = energy.shape[2]
        if overlap is not None and R >= 2:
            if (overlap.shape[0] != R * (R - 1) // 2 or overlap.shape[1] != K
                    or overlap.shape[2] != energy.shape[2]):
                raise ValueError("tempering: overlap must have shape (R (R - 1) / 2, K, records)")
            a.overlap = &overlap[0, 0, 0]
        if states_out is not None:
            if (states_out.shape[0] != R or states_out.shape[1] != K
                    or states_out.shape[2] != energy.shape[2] or states_out.shape[3] != n):
                raise ValueError("tempering: states_out must have shape (R, K, records, n)")
            a.states_out = &states_out[0, 0, 0, 0]
    a.init = init
    a.n_threads = n_threads if n_threads > 0 else 1
    e.mode = TP_MODE_SITE
    e.wolff = 0
    e.lat_d = 0
    e.lat_shape = NULL
    e.lat_periodic = NULL
    e.lat_J = NULL
    e.wolff_k = NULL
    e.tab_cache = NULL
    e.tab_cap = 0
    e.tab_betas = NULL
    if tables is not None and table_betas is not None and table_betas.shape[0] == K and tables.shape[0] > 0:
        e.tab_cache = &tables[0]
        e.tab_cap = tables.shape[0]
        e.tab_betas = &table_betas[0]
    if mode != TP_MODE_SITE:
        if kind == TP_DENSE or mode not in (TP_MODE_REPLICA, TP_MODE_CLUSTER):
            raise ValueError("tempering: mode needs a graph or lattice model")
        if lat_shape is not None:
            if (not 1 <= lat_shape.shape[0] <= 3 or lat_periodic is None or lat_J is None
                    or lat_periodic.shape[0] != lat_shape.shape[0]
                    or lat_J.shape[0] != lat_shape.shape[0]):
                raise ValueError("tempering: lat_shape, lat_periodic, lat_J need one entry per axis")
            e.lat_d = <int>lat_shape.shape[0]
            e.lat_shape = &lat_shape[0]
            e.lat_periodic = &lat_periodic[0]
            e.lat_J = &lat_J[0]
        e.mode = mode
    if mode == TP_MODE_REPLICA:
        if e.lat_d == 0:
            raise ValueError("tempering: the replica engine needs the lattice")
        e.lat.kind = _lat_kind(kind == TP_GRAPH_ISING, heatbath)
        e.lat.d = e.lat_d
        e.lat.q = 2 if kind == TP_GRAPH_ISING else <int>q
        e.lat.shape = e.lat_shape
        e.lat.periodic = e.lat_periodic
        e.lat.J = e.lat_J
        e.lat.h_ising = h[0]
        e.lat.h_potts = &h[0]
        e.lat.simd = 1
        e.lat.tables = 2
        e.lat.chain_beta = NULL
        e.lat.engine = 1
        if not rep_applies(&e.lat):
            raise ValueError("tempering: the replica engine does not take this lattice")
    elif mode == TP_MODE_CLUSTER:
        e.wolff = wolff
        if wolff:
            if wolff_k is None or wolff_k.shape[0] != K:
                raise ValueError("tempering: Wolff needs wolff_k with one entry per rung")
            e.wolff_k = &wolff_k[0]
    with nogil:
        rc = tp_run_ext(&g, &a, &e, fast)
    check_status(rc, "tempering")
