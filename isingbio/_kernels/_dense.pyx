# Single-site samplers for the dense Potts model (the protein model, q = 21).
#
# Contract: isingbio/_kernels/README.md. H = -sum_{i<j} J[i,j,x_i,x_j] - sum_i h[i,x_i] with
# J[i,j,a,b] == J[j,i,b,a] and zero diagonal blocks. Sites are updated in sequential order
# 0..N-1 in every sweep; each chain uses only its own row of `rng` (lane 0), so results do
# not depend on n_threads.
#
# Every chain keeps a cache of local fields F[k, a] = sum_{j != k} J[k, j, a, x_j] in double
# precision, computed from scratch at the start of each call (so it never drifts from one call
# to the next). Deciding an update at site i costs O(q); when x_i changes from `old` to `new`
# the cache is updated in O(N q):
#     F[k, :] += J[k, i, :, new] - J[k, i, :, old] = J[i, k, new, :] - J[i, k, old, :],
# the right-hand side read as contiguous rows of J[i] thanks to the symmetry of J.
from cython cimport floating
from cython.parallel cimport prange
from libc.math cimport exp
from libc.stdint cimport int8_t, int64_t, uint64_t
from libc.stdlib cimport free, malloc

from .rng cimport isb_bounded, isb_uniform

cdef enum:
    MAX_Q = 128  # states are int8, q <= 127


cdef inline void _add_rows(double *F, const floating *Jj, Py_ssize_t n, Py_ssize_t q,
                           Py_ssize_t b) noexcept nogil:
    """F[k, :] += J[j, k, b, :] for every k, with Jj = &J[j, 0, 0, 0]."""
    cdef Py_ssize_t k, a, qq = q * q
    cdef const floating *row
    cdef double *Fk
    for k in range(n):
        row = Jj + k * qq + b * q
        Fk = F + k * q
        for a in range(q):
            Fk[a] += row[a]


cdef inline void _move_rows(double *F, const floating *Ji, Py_ssize_t n, Py_ssize_t q,
                            Py_ssize_t old, Py_ssize_t new) noexcept nogil:
    """F[k, :] += J[i, k, new, :] - J[i, k, old, :] for every k, with Ji = &J[i, 0, 0, 0]."""
    cdef Py_ssize_t k, a, qq = q * q
    cdef const floating *rn
    cdef const floating *ro
    cdef double *Fk
    for k in range(n):
        rn = Ji + k * qq + new * q
        ro = Ji + k * qq + old * q
        Fk = F + k * q
        for a in range(q):
            Fk[a] += <double>rn[a] - <double>ro[a]


cdef int _dense_chain(const floating *h, const floating *J, Py_ssize_t n, Py_ssize_t q,
                      int8_t *x, uint64_t *rng, double beta_J, double beta_h,
                      Py_ssize_t n_records, Py_ssize_t thin, double *e_coupling,
                      double *e_field, double *magnetization, double *stats,
                      bint heatbath) noexcept nogil:
    """Run one chain; returns -1 if the local-field cache cannot be allocated, else 0."""
    cdef Py_ssize_t i, r, t, a, b, old, nq = n * q, nqq = n * q * q
    cdef int64_t accepted = 0, nmax
    cdef int64_t counts[MAX_Q]
    cdef double cum[MAX_Q]
    cdef double e_j = 0.0, e_h = 0.0, d, mx, tot, u
    cdef const floating *hi
    cdef double *Fi
    cdef double *F = <double *>malloc(nq * sizeof(double))
    if F == NULL:
        return -1

    # local fields from scratch: F[k, :] = sum_j J[j, k, x_j, :]  (J[k, k] is zero)
    for a in range(nq):
        F[a] = 0.0
    for a in range(q):
        counts[a] = 0
    for i in range(n):
        _add_rows(F, J + i * nqq, n, q, x[i])
    for i in range(n):
        old = x[i]
        e_j -= 0.5 * F[i * q + old]
        e_h -= h[i * q + old]
        counts[old] += 1

    for r in range(n_records):
        for t in range(thin):
            for i in range(n):
                old = x[i]
                hi = h + i * q
                Fi = F + i * q
                if heatbath:
                    mx = beta_J * Fi[0] + beta_h * hi[0]
                    for a in range(q):
                        cum[a] = beta_J * Fi[a] + beta_h * hi[a]
                        if cum[a] > mx:
                            mx = cum[a]
                    tot = 0.0
                    for a in range(q):
                        tot += exp(cum[a] - mx)
                        cum[a] = tot
                    u = isb_uniform(rng) * tot
                    b = 0
                    while b < q - 1 and cum[b] <= u:
                        b += 1
                    if b == old:
                        continue
                else:
                    b = <Py_ssize_t>isb_bounded(rng, q - 1)
                    if b >= old:
                        b += 1
                    # beta-weighted energy change of x_i: old -> b
                    d = -(beta_J * (Fi[b] - Fi[old]) + beta_h * (<double>hi[b] - <double>hi[old]))
                    if d > 0.0 and not (isb_uniform(rng) < exp(-d)):
                        continue
                x[i] = <int8_t>b
                e_j -= Fi[b] - Fi[old]
                e_h -= <double>hi[b] - <double>hi[old]
                counts[old] -= 1
                counts[b] += 1
                accepted += 1
                _move_rows(F, J + i * nqq, n, q, old, b)
        nmax = 0
        for a in range(q):
            if counts[a] > nmax:
                nmax = counts[a]
        e_coupling[r] = e_j
        e_field[r] = e_h
        magnetization[r] = (<double>q * nmax / n - 1.0) / (q - 1)

    stats[0] += <double>n * thin * n_records
    stats[1] += accepted
    free(F)
    return 0


cdef object _dense_run(const floating[:, ::1] h, const floating[:, :, :, ::1] J,
                       int8_t[:, ::1] states, uint64_t[:, ::1] rng, double beta_J,
                       double beta_h, Py_ssize_t n_records, Py_ssize_t thin,
                       double[:, ::1] e_coupling, double[:, ::1] e_field,
                       double[:, ::1] magnetization, double[:, ::1] stats, int n_threads,
                       bint heatbath):
    cdef Py_ssize_t n_chains = states.shape[0], n = states.shape[1], q = h.shape[1], c
    cdef Py_ssize_t rec = n_records if n_records > 0 else 0
    cdef Py_ssize_t s_rec = e_coupling.shape[1]
    cdef Py_ssize_t failed = 0
    cdef double *ej
    cdef double *eh
    cdef double *mg
    if n_chains == 0 or n == 0:
        return
    if not 2 <= q < MAX_Q:
        raise ValueError(f"q must be in 2..{MAX_Q - 1}, got {q}")
    with nogil:
        for c in prange(n_chains, num_threads=n_threads, schedule="dynamic"):
            ej = &e_coupling[0, 0] + c * s_rec if s_rec > 0 else NULL
            eh = &e_field[0, 0] + c * e_field.shape[1] if s_rec > 0 else NULL
            mg = &magnetization[0, 0] + c * magnetization.shape[1] if s_rec > 0 else NULL
            if _dense_chain(&h[0, 0], &J[0, 0, 0, 0], n, q, &states[c, 0], &rng[c, 0],
                            beta_J, beta_h, rec, thin, ej, eh, mg, &stats[c, 0],
                            heatbath) != 0:
                failed += 1
    if failed:
        raise MemoryError(f"could not allocate the local-field cache ({n} x {q} doubles) "
                          f"for {failed} of {n_chains} chains; their states were not updated")


def potts_metropolis(const floating[:, ::1] h, const floating[:, :, :, ::1] J,
                     int8_t[:, ::1] states, uint64_t[:, ::1] rng, double beta_J, double beta_h,
                     Py_ssize_t n_records, Py_ssize_t thin, double[:, ::1] e_coupling,
                     double[:, ::1] e_field, double[:, ::1] magnetization,
                     double[:, ::1] stats, int n_threads):
    """Metropolis updates on a dense Potts model: propose a uniformly random other state.

    h (N, q) and J (N, N, q, q) share one dtype, float32 or float64.
    """
    _dense_run(h, J, states, rng, beta_J, beta_h, n_records, thin, e_coupling, e_field,
               magnetization, stats, n_threads, False)


def potts_heatbath(const floating[:, ::1] h, const floating[:, :, :, ::1] J,
                   int8_t[:, ::1] states, uint64_t[:, ::1] rng, double beta_J, double beta_h,
                   Py_ssize_t n_records, Py_ssize_t thin, double[:, ::1] e_coupling,
                   double[:, ::1] e_field, double[:, ::1] magnetization,
                   double[:, ::1] stats, int n_threads):
    """Heat-bath (Gibbs) updates on a dense Potts model: sample x_i from its conditional.

    h (N, q) and J (N, N, q, q) share one dtype, float32 or float64.
    """
    _dense_run(h, J, states, rng, beta_J, beta_h, n_records, thin, e_coupling, e_field,
               magnetization, stats, n_threads, True)
