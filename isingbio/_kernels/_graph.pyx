# Single-site samplers for Ising and Potts models on arbitrary graphs (CSR neighbour lists).
#
# Contract: isingbio/_kernels/README.md. Sites are updated in sequential order 0..N-1 in
# every sweep. Each chain uses only its own row of `rng` (lane 0), so results do not depend
# on n_threads. The Python layer validates everything; these kernels trust their inputs.
#
# Energies are tracked incrementally (in double) from a full evaluation at the start of each
# call; magnetisation counts are integers, so they are exact.
from cython.parallel cimport prange
from libc.math cimport exp
from libc.stdint cimport int8_t, int32_t, int64_t, uint64_t

from .rng cimport isb_bounded, isb_uniform

cdef enum:
    MAX_Q = 128  # states are int8, q <= 127


# --------------------------------------------------------------------------------------
# Ising
# --------------------------------------------------------------------------------------
cdef inline double _ising_local(const int64_t *indptr, const int32_t *indices, const double *w,
                                const int8_t *s, Py_ssize_t i) noexcept nogil:
    """sum_k w_ik s_k over the neighbours k of site i."""
    cdef double f = 0.0
    cdef int64_t p
    for p in range(indptr[i], indptr[i + 1]):
        f += w[p] * s[indices[p]]
    return f


cdef void _ising_chain(const int64_t *indptr, const int32_t *indices, const double *w,
                       const double *h, int8_t *s, uint64_t *rng, Py_ssize_t n,
                       double beta_J, double beta_h, Py_ssize_t n_records, Py_ssize_t thin,
                       double *e_coupling, double *e_field, double *magnetization,
                       Py_ssize_t sj, Py_ssize_t sh, Py_ssize_t sm, double *stats,
                       bint heatbath) noexcept nogil:
    cdef Py_ssize_t i, r, t
    cdef double f, d, e_j = 0.0, e_h = 0.0
    cdef int64_t m = 0, accepted = 0
    cdef int8_t si
    cdef bint flip

    for i in range(n):
        si = s[i]
        e_j -= 0.5 * si * _ising_local(indptr, indices, w, s, i)
        e_h -= h[i] * si
        m += si

    for r in range(n_records):
        for t in range(thin):
            for i in range(n):
                f = _ising_local(indptr, indices, w, s, i)
                si = s[i]
                if heatbath:
                    # P(s_i = +1 | rest) = 1 / (1 + exp(-2 (beta_J f + beta_h h_i)))
                    d = 1.0 / (1.0 + exp(-2.0 * (beta_J * f + beta_h * h[i])))
                    flip = (isb_uniform(rng) < d) != (si > 0)
                else:
                    # beta-weighted energy change of s_i -> -s_i
                    d = 2.0 * si * (beta_J * f + beta_h * h[i])
                    flip = d <= 0.0 or isb_uniform(rng) < exp(-d)
                if flip:
                    s[i] = -si
                    e_j += 2.0 * si * f
                    e_h += 2.0 * si * h[i]
                    m -= 2 * si
                    accepted += 1
        e_coupling[r * sj] = e_j
        e_field[r * sh] = e_h
        magnetization[r * sm] = <double>m / n

    stats[0] += <double>n * thin * n_records
    stats[1] += accepted


cdef object _ising_run(const int64_t[::1] indptr, const int32_t[::1] indices,
                       const double[::1] weights, const double[::1] h, int8_t[:, ::1] states,
                       uint64_t[:, ::1] rng, double beta_J, double beta_h, Py_ssize_t n_records,
                       Py_ssize_t thin, double[:, :] e_coupling, double[:, :] e_field,
                       double[:, :] magnetization, double[:, ::1] stats, int n_threads,
                       bint heatbath):
    cdef Py_ssize_t n_chains = states.shape[0], n = states.shape[1], c
    cdef Py_ssize_t rec = n_records if n_records > 0 else 0
    cdef Py_ssize_t s_rec = e_coupling.shape[1]
    # records may be any strided views (e.g. column slices of wider arrays)
    cdef Py_ssize_t sj = e_coupling.strides[1] // sizeof(double)
    cdef Py_ssize_t sh = e_field.strides[1] // sizeof(double)
    cdef Py_ssize_t sm = magnetization.strides[1] // sizeof(double)
    cdef double *ej
    cdef double *eh
    cdef double *mg
    if n_chains == 0 or n == 0:
        return
    with nogil:
        for c in prange(n_chains, num_threads=n_threads, schedule="dynamic"):
            ej = &e_coupling[c, 0] if s_rec > 0 else NULL
            eh = &e_field[c, 0] if s_rec > 0 else NULL
            mg = &magnetization[c, 0] if s_rec > 0 else NULL
            _ising_chain(&indptr[0], &indices[0] if indices.shape[0] > 0 else NULL,
                         &weights[0] if weights.shape[0] > 0 else NULL, &h[0],
                         &states[c, 0], &rng[c, 0], n, beta_J, beta_h, rec, thin,
                         ej, eh, mg, sj, sh, sm, &stats[c, 0], heatbath)


def ising_metropolis(const int64_t[::1] indptr, const int32_t[::1] indices,
                     const double[::1] weights, const double[::1] h, int8_t[:, ::1] states,
                     uint64_t[:, ::1] rng, double beta_J, double beta_h, Py_ssize_t n_records,
                     Py_ssize_t thin, double[:, :] e_coupling, double[:, :] e_field,
                     double[:, :] magnetization, double[:, ::1] stats, int n_threads):
    """Metropolis single-spin flips on a graph Ising model (sequential site order)."""
    _ising_run(indptr, indices, weights, h, states, rng, beta_J, beta_h, n_records, thin,
               e_coupling, e_field, magnetization, stats, n_threads, False)


def ising_heatbath(const int64_t[::1] indptr, const int32_t[::1] indices,
                   const double[::1] weights, const double[::1] h, int8_t[:, ::1] states,
                   uint64_t[:, ::1] rng, double beta_J, double beta_h, Py_ssize_t n_records,
                   Py_ssize_t thin, double[:, :] e_coupling, double[:, :] e_field,
                   double[:, :] magnetization, double[:, ::1] stats, int n_threads):
    """Heat-bath (Gibbs) single-spin updates on a graph Ising model (sequential site order)."""
    _ising_run(indptr, indices, weights, h, states, rng, beta_J, beta_h, n_records, thin,
               e_coupling, e_field, magnetization, stats, n_threads, True)


# --------------------------------------------------------------------------------------
# Potts, H_J = -sum_{i<j} w_ij delta(x_i, x_j)
# --------------------------------------------------------------------------------------
cdef void _potts_chain(const int64_t *indptr, const int32_t *indices, const double *w,
                       Py_ssize_t q, const double *h, int8_t *x, uint64_t *rng, Py_ssize_t n,
                       double beta_J, double beta_h, Py_ssize_t n_records, Py_ssize_t thin,
                       double *e_coupling, double *e_field, double *magnetization,
                       Py_ssize_t sj, Py_ssize_t sh, Py_ssize_t sm, double *stats,
                       bint heatbath) noexcept nogil:
    cdef Py_ssize_t i, r, t, a, b, old
    cdef int64_t p, accepted = 0, nmax
    cdef int64_t counts[MAX_Q]
    cdef double lf[MAX_Q]    # local coupling field: sum of w_ik over neighbours k in state a
    cdef double cum[MAX_Q]
    cdef double e_j = 0.0, e_h = 0.0, fa, fb, d, mx, tot, u
    cdef int8_t xk
    cdef const double *hi

    for a in range(q):
        counts[a] = 0
    for i in range(n):
        old = x[i]
        fa = 0.0
        for p in range(indptr[i], indptr[i + 1]):
            if x[indices[p]] == old:
                fa += w[p]
        e_j -= 0.5 * fa
        e_h -= h[i * q + old]
        counts[old] += 1

    for r in range(n_records):
        for t in range(thin):
            for i in range(n):
                old = x[i]
                hi = h + i * q
                if heatbath:
                    for a in range(q):
                        lf[a] = 0.0
                    for p in range(indptr[i], indptr[i + 1]):
                        lf[x[indices[p]]] += w[p]
                    mx = beta_J * lf[0] + beta_h * hi[0]
                    for a in range(q):
                        cum[a] = beta_J * lf[a] + beta_h * hi[a]
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
                    fa = lf[old]
                    fb = lf[b]
                else:
                    b = <Py_ssize_t>isb_bounded(rng, q - 1)
                    if b >= old:
                        b += 1
                    fa = 0.0
                    fb = 0.0
                    for p in range(indptr[i], indptr[i + 1]):
                        xk = x[indices[p]]
                        if xk == old:
                            fa += w[p]
                        elif xk == b:
                            fb += w[p]
                    # beta-weighted energy change of x_i: old -> b
                    d = -(beta_J * (fb - fa) + beta_h * (hi[b] - hi[old]))
                    if d > 0.0 and not (isb_uniform(rng) < exp(-d)):
                        continue
                x[i] = <int8_t>b
                e_j -= fb - fa
                e_h -= hi[b] - hi[old]
                counts[old] -= 1
                counts[b] += 1
                accepted += 1
        nmax = 0
        for a in range(q):
            if counts[a] > nmax:
                nmax = counts[a]
        e_coupling[r * sj] = e_j
        e_field[r * sh] = e_h
        magnetization[r * sm] = (<double>q * nmax / n - 1.0) / (q - 1)

    stats[0] += <double>n * thin * n_records
    stats[1] += accepted


cdef object _potts_run(const int64_t[::1] indptr, const int32_t[::1] indices,
                       const double[::1] weights, int q, const double[:, ::1] h,
                       int8_t[:, ::1] states, uint64_t[:, ::1] rng, double beta_J,
                       double beta_h, Py_ssize_t n_records, Py_ssize_t thin,
                       double[:, :] e_coupling, double[:, :] e_field,
                       double[:, :] magnetization, double[:, ::1] stats, int n_threads,
                       bint heatbath):
    cdef Py_ssize_t n_chains = states.shape[0], n = states.shape[1], c
    cdef Py_ssize_t rec = n_records if n_records > 0 else 0
    cdef Py_ssize_t s_rec = e_coupling.shape[1]
    # records may be any strided views (e.g. column slices of wider arrays)
    cdef Py_ssize_t sj = e_coupling.strides[1] // sizeof(double)
    cdef Py_ssize_t sh = e_field.strides[1] // sizeof(double)
    cdef Py_ssize_t sm = magnetization.strides[1] // sizeof(double)
    cdef double *ej
    cdef double *eh
    cdef double *mg
    if n_chains == 0 or n == 0:
        return
    if not 2 <= q < MAX_Q:
        raise ValueError(f"q must be in 2..{MAX_Q - 1}, got {q}")
    with nogil:
        for c in prange(n_chains, num_threads=n_threads, schedule="dynamic"):
            ej = &e_coupling[c, 0] if s_rec > 0 else NULL
            eh = &e_field[c, 0] if s_rec > 0 else NULL
            mg = &magnetization[c, 0] if s_rec > 0 else NULL
            _potts_chain(&indptr[0], &indices[0] if indices.shape[0] > 0 else NULL,
                         &weights[0] if weights.shape[0] > 0 else NULL, q, &h[0, 0],
                         &states[c, 0], &rng[c, 0], n, beta_J, beta_h, rec, thin,
                         ej, eh, mg, sj, sh, sm, &stats[c, 0], heatbath)


def potts_metropolis(const int64_t[::1] indptr, const int32_t[::1] indices,
                     const double[::1] weights, int q, const double[:, ::1] h,
                     int8_t[:, ::1] states, uint64_t[:, ::1] rng, double beta_J, double beta_h,
                     Py_ssize_t n_records, Py_ssize_t thin, double[:, :] e_coupling,
                     double[:, :] e_field, double[:, :] magnetization,
                     double[:, ::1] stats, int n_threads):
    """Metropolis updates on a graph Potts model: propose a uniformly random other state."""
    _potts_run(indptr, indices, weights, q, h, states, rng, beta_J, beta_h, n_records, thin,
               e_coupling, e_field, magnetization, stats, n_threads, False)


def potts_heatbath(const int64_t[::1] indptr, const int32_t[::1] indices,
                   const double[::1] weights, int q, const double[:, ::1] h,
                   int8_t[:, ::1] states, uint64_t[:, ::1] rng, double beta_J, double beta_h,
                   Py_ssize_t n_records, Py_ssize_t thin, double[:, :] e_coupling,
                   double[:, :] e_field, double[:, :] magnetization,
                   double[:, ::1] stats, int n_threads):
    """Heat-bath (Gibbs) updates on a graph Potts model: sample x_i from its conditional."""
    _potts_run(indptr, indices, weights, q, h, states, rng, beta_J, beta_h, n_records, thin,
               e_coupling, e_field, magnetization, stats, n_threads, True)
