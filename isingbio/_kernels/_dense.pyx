# Single-site samplers for the dense Potts model (the protein model, q = 21).
#
# Contract: isingbio/_kernels/README.md. H = -sum_{i<j} J[i,j,x_i,x_j] - sum_i h[i,x_i] with
# J[i,j,a,b] == J[j,i,b,a] and zero diagonal blocks. Sites are updated in sequential order
# 0..N-1 in every sweep; each chain uses only its own row of `rng` (lane 0), so results do
# not depend on n_threads.
#
# Every chain keeps a cache of local fields F[k, a] = sum_{j != k} J[k, j, a, x_j], computed
# from scratch at the start of each call. Deciding an update at site i costs O(q); when x_i
# changes from `old` to `new` the cache is updated in O(N q):
#     F[k, :] += J[k, i, :, new] - J[k, i, :, old] = J[i, k, new, :] - J[i, k, old, :],
# the right-hand side read as contiguous rows of J[i] thanks to the symmetry of J.
#
# Cache precision. float64 models: double. float32 models: 32-bit fixed point,
#     F[k, a] = sum_j trunc(S J[k, j, a, x_j]),  S = 2^e,
# with S the largest power of two for which no such sum can leave int32 (from a bound on
# |J| computed each call). Integer sums are exact, so the cache is a function of the state
# alone: it never drifts and is the same whatever the call boundaries (bit-identical
# chunking). Updates read float rows and convert 8 at a time (twice the SIMD width of
# double, no float -> double conversions). The price is that decisions use J rounded to a
# multiple of 1/S: every local field is off by at most N / S, and the kernels use fixed point
# only when N / S <= 2^-16 (about 1.5e-5, in the units of J); otherwise the double cache.
# Recorded energies stay exact: H_J is evaluated in double at the start of each call and
# updated at each move by the exact change sum_k J[i, k, new, x_k] - J[i, k, old, x_k].
import numpy as np

from cython cimport floating
from cython.parallel cimport prange
from libc.math cimport exp, fabs
from libc.math cimport ldexp, log2, floor
from libc.stdint cimport int8_t, int32_t, int64_t, uint32_t, uint64_t
from libc.stdlib cimport free, malloc
from libc.string cimport memcpy

from ._core cimport fill_run, isb_run
from .rng cimport isb_bounded, isb_uniform

cdef extern from "isb_core.h" nogil:
    # states are int8, q <= 127
    const int MAX_Q "ISB_MAX_Q"
    # Metropolis with q = 2 (a deterministic proposal) accepts a tie, |beta dE| <= _TIE, with
    # probability 1/2 (the tie rule of isb_core.h)
    const double _TIE "ISB_TIE"


cdef extern from "dense_impl.h":
    void isb_dense_move_f(double *F, const float *rn, const float *ro, Py_ssize_t n,
                          Py_ssize_t q, Py_ssize_t sk) noexcept nogil
    void isb_dense_move_d(double *F, const double *rn, const double *ro, Py_ssize_t n,
                          Py_ssize_t q, Py_ssize_t sk) noexcept nogil
    void isb_dense_add_f(double *F, const float *r, Py_ssize_t n, Py_ssize_t q,
                         Py_ssize_t sk) noexcept nogil
    void isb_dense_add_d(double *F, const double *r, Py_ssize_t n, Py_ssize_t q,
                         Py_ssize_t sk) noexcept nogil
    double isb_dense_move_q(uint32_t *F, const float *rn, const float *ro, const int8_t *x,
                            Py_ssize_t n, Py_ssize_t q, Py_ssize_t sk, float s) noexcept nogil
    void isb_dense_add_q(uint32_t *F, const float *r, Py_ssize_t n, Py_ssize_t q,
                         Py_ssize_t sk, float s) noexcept nogil
    double isb_dense_row_bound_f(const float *Jk, Py_ssize_t n, Py_ssize_t qq) noexcept nogil
    double isb_dense_softmax_cum(double *cum, Py_ssize_t q) noexcept nogil


cdef inline void _add_rows(double *F, const floating *r, Py_ssize_t n, Py_ssize_t q,
                           Py_ssize_t sk) noexcept nogil:
    if floating is float:
        isb_dense_add_f(F, r, n, q, sk)
    else:
        isb_dense_add_d(F, r, n, q, sk)


cdef inline void _move_rows(double *F, const floating *rn, const floating *ro, Py_ssize_t n,
                            Py_ssize_t q, Py_ssize_t sk) noexcept nogil:
    if floating is float:
        isb_dense_move_f(F, rn, ro, n, q, sk)
    else:
        isb_dense_move_d(F, rn, ro, n, q, sk)


# A call makes a transposed copy Jt[i, b, k, :] = J[i, k, b, :] (contiguous rows for the cache
# updates) when it runs at least `transpose_min_sweeps` sweeps in all (chains x records x thin)
# and J is at most `transpose_max_bytes` large (keywords of the kernels; 0 sweeps: always,
# 0 bytes: never); otherwise it reads J in place with prefetching. Results are the same.


cdef int _dense_group(const floating *h, const floating *Jr, Py_ssize_t sb, Py_ssize_t sk,
                      Py_ssize_t n, Py_ssize_t q, Py_ssize_t G, int8_t *xs, uint64_t *rngs,
                      double beta_J, double beta_h, Py_ssize_t n_records, Py_ssize_t thin,
                      double *e_coupling, double *e_field, double *magnetization,
                      Py_ssize_t rj, Py_ssize_t rh, Py_ssize_t rm, Py_ssize_t sj, Py_ssize_t sh,
                      Py_ssize_t sm, int8_t *so, Py_ssize_t ros, Py_ssize_t sos, double *stats, Py_ssize_t rs,
                      bint heatbath, float qs, const double *bjp,
                      const double *bhp) noexcept nogil:
    """Run G chains in lockstep; returns -1 if the caches cannot be allocated, else 0.

    Chain g has its state at xs + g*n, its rng at rngs + 32 g, record r of its observables at
    e_coupling + g*rj + r*sj (same for e_field: rh, sh; magnetization: rm, sm), its states_out
    record r at so + g*ros + r*sos (so may be NULL), its stats at stats + g*rs. The chains
    update site i one after the other before moving to site i + 1, so the rows of J that
    their moves read are shared in cache (a move reads 2 N q numbers: the run is bound by
    memory traffic); each chain's arithmetic is exactly what it would be alone.
    Row (i, b, k) of the couplings, J[i, k, b, :], starts at Jr + i*n*q*q + b*sb + k*sk.
    qs > 0 (float32 models only): fixed-point caches with scale qs; else double caches.
    bjp, bhp (may be NULL): per-record betas replacing beta_J, beta_h (record r: bjp[r]).
    """
    cdef Py_ssize_t i, j, r, _t, a, b, old, g, nq = n * q, nqq = n * q * q
    cdef int64_t nmax
    cdef double cum[MAX_Q]
    cdef double d, tot, u, bJ = beta_J, bH = beta_h, fb, fo
    cdef bint fixed = floating is float and qs > 0
    cdef const floating *hi
    cdef const floating *Ji
    cdef const floating *row
    cdef int8_t *x
    cdef uint64_t *rng
    cdef double *Fi = NULL
    cdef uint32_t *Qi = NULL
    cdef double *F = NULL
    cdef uint32_t *Q = NULL
    # per chain: e_j, e_h, accepted (as double), counts[MAX_Q]
    cdef double *acc = <double *>malloc(3 * G * sizeof(double))
    cdef int64_t *counts = <int64_t *>malloc(G * MAX_Q * sizeof(int64_t))
    if fixed:
        Q = <uint32_t *>malloc(G * nq * sizeof(uint32_t))
        bJ = beta_J / qs
    else:
        F = <double *>malloc(G * nq * sizeof(double))
    if acc == NULL or counts == NULL or (Q == NULL and F == NULL):
        free(acc)
        free(counts)
        free(Q)
        free(F)
        return -1

    for g in range(G):
        x = xs + g * n
        # local fields from scratch: F[k, :] = sum_j J[j, k, x_j, :]  (J[k, k] is zero)
        for a in range(nq):
            if fixed:
                Q[g * nq + a] = 0
            else:
                F[g * nq + a] = 0.0
        for a in range(q):
            counts[g * MAX_Q + a] = 0
        for i in range(n):
            if floating is float:
                if fixed:
                    isb_dense_add_q(Q + g * nq, Jr + i * nqq + x[i] * sb, n, q, sk, qs)
                else:
                    _add_rows(F + g * nq, Jr + i * nqq + x[i] * sb, n, q, sk)
            else:
                _add_rows(F + g * nq, Jr + i * nqq + x[i] * sb, n, q, sk)
        acc[3 * g] = 0.0
        acc[3 * g + 1] = 0.0
        acc[3 * g + 2] = 0.0
        for i in range(n):
            old = x[i]
            # exact H_J from J itself: row (i, x_i, j), element x_j
            row = Jr + i * nqq + old * sb
            d = 0.0
            for j in range(n):
                d += row[j * sk + x[j]]
            acc[3 * g] -= 0.5 * d
            acc[3 * g + 1] -= h[i * q + old]
            counts[g * MAX_Q + old] += 1

    for r in range(n_records):
        if bjp != NULL:
            bJ = bjp[r] / qs if fixed else bjp[r]
        if bhp != NULL:
            bH = bhp[r]
        for _t in range(thin):
            for i in range(n):
                hi = h + i * q
                Ji = Jr + i * nqq
                for g in range(G):
                    x = xs + g * n
                    rng = rngs + 32 * g
                    old = x[i]
                    if fixed:
                        Qi = Q + g * nq + i * q
                    else:
                        Fi = F + g * nq + i * q
                    if heatbath:
                        for a in range(q):
                            if fixed:
                                cum[a] = bJ * <double>(<int32_t>Qi[a]) + bH * hi[a]
                            else:
                                cum[a] = bJ * Fi[a] + bH * hi[a]
                        tot = isb_dense_softmax_cum(cum, q)
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
                        if fixed:
                            fb = <double>(<int32_t>Qi[b])
                            fo = <double>(<int32_t>Qi[old])
                        else:
                            fb = Fi[b]
                            fo = Fi[old]
                        # beta-weighted energy change of x_i: old -> b
                        d = -(bJ * (fb - fo) + bH * (<double>hi[b] - <double>hi[old]))
                        if q == 2 and fabs(d) <= _TIE:
                            # a tie, with a deterministic proposal: probability 1/2, not 1
                            # (else some states cycle forever under the fixed site order)
                            if not (isb_uniform(rng) < 0.5):
                                continue
                        elif d > 0.0 and not (isb_uniform(rng) < exp(-d)):
                            continue
                    if floating is float:
                        if fixed:
                            acc[3 * g] -= isb_dense_move_q(Q + g * nq, Ji + b * sb, Ji + old * sb,
                                                           x, n, q, sk, qs)
                        else:
                            acc[3 * g] -= Fi[b] - Fi[old]
                            _move_rows(F + g * nq, Ji + b * sb, Ji + old * sb, n, q, sk)
                    else:
                        acc[3 * g] -= Fi[b] - Fi[old]
                        _move_rows(F + g * nq, Ji + b * sb, Ji + old * sb, n, q, sk)
                    x[i] = <int8_t>b
                    acc[3 * g + 1] -= <double>hi[b] - <double>hi[old]
                    counts[g * MAX_Q + old] -= 1
                    counts[g * MAX_Q + b] += 1
                    acc[3 * g + 2] += 1.0
        for g in range(G):
            nmax = 0
            for a in range(q):
                if counts[g * MAX_Q + a] > nmax:
                    nmax = counts[g * MAX_Q + a]
            e_coupling[g * rj + r * sj] = acc[3 * g]
            e_field[g * rh + r * sh] = acc[3 * g + 1]
            magnetization[g * rm + r * sm] = (<double>q * nmax / n - 1.0) / (q - 1)
            if so != NULL:
                memcpy(so + g * ros + r * sos, xs + g * n, n)

    for g in range(G):
        stats[g * rs] += <double>n * thin * n_records
        stats[g * rs + 1] += acc[3 * g + 2]
    free(acc)
    free(counts)
    free(F)
    free(Q)
    return 0


# Chains run in lockstep by one thread, at most this many (_dense_group). Measured on an AMD
# EPYC (L2 1 MB, L3 32 MB; L = 100 and 200, q = 21, 1 to 8 chains), lockstep groups gave no
# gain over one chain at a time (their caches compete with the rows of J for L1), so the
# default is 1; the grouping never changes results.
cdef Py_ssize_t _MAX_GROUP = 1


# Fixed point is used when every local field is within 2^-16 of its exact value (N / S).
cdef double _FIXED_MAX_ERROR = 1.0 / 65536


cdef float _fixed_scale(const float *Jr, Py_ssize_t n, Py_ssize_t q, int n_threads) except -1:
    """The fixed-point scale S of a float32 J, or 0 when fixed point is not precise enough."""
    cdef Py_ssize_t k, nqq = n * q * q
    cdef double B = 0.0, e
    cdef double[::1] rows = np.empty(n)
    with nogil:
        for k in prange(n, num_threads=n_threads, schedule="static"):
            rows[k] = isb_dense_row_bound_f(Jr + k * nqq, n, q * q)
        for k in range(n):
            if rows[k] > B:
                B = rows[k]
    if not B < 1e300:          # inf or nan: leave it to the double cache
        return 0.0
    # S * B < 2^31 (with a margin for the rounding of B): no sum of |trunc(S J)| leaves int32
    e = floor(log2(2147483647.0 / (B * (1.0 + 1e-6)))) if B > 0 else 64.0
    if e > 64:
        e = 64
    if n * ldexp(1.0, -<int>e) > _FIXED_MAX_ERROR:
        return 0.0
    return <float>ldexp(1.0, <int>e)


cdef object _dense_run(const floating[:, ::1] h, const floating[:, :, :, ::1] J,
                       int8_t[:, ::1] states, uint64_t[:, ::1] rng, double beta_J,
                       double beta_h, Py_ssize_t n_records, Py_ssize_t thin,
                       double[:, :] e_coupling, double[:, :] e_field,
                       double[:, :] magnetization, double[:, ::1] stats, int n_threads,
                       bint heatbath, int8_t[:, :, :] states_out,
                       const double[::1] beta_J_path, const double[::1] beta_h_path,
                       Py_ssize_t transpose_min_sweeps, Py_ssize_t transpose_max_bytes):
    cdef isb_run a
    cdef Py_ssize_t n_chains = states.shape[0], n = states.shape[1], q = h.shape[1], c, i, b, k
    cdef Py_ssize_t rec, nq = n * q, qq = q * q, nqq = n * q * q
    cdef Py_ssize_t failed = 0, sb = q, sk = q * q, c0, gs
    # chains run in groups of G in lockstep (_dense_group); any grouping gives the same results
    cdef Py_ssize_t G = min(_MAX_GROUP, (n_chains + n_threads - 1) // max(n_threads, 1))
    cdef Py_ssize_t n_groups
    cdef float qs = 0.0
    cdef size_t nbytes = <size_t>n * nqq * sizeof(floating)
    cdef const floating *Jr = &J[0, 0, 0, 0]
    cdef floating *Jt = NULL
    cdef const floating *src
    cdef floating *dst
    # the common arguments, checked once for every family (_core.pxd); records may be any
    # strided views (e.g. column slices of wider arrays)
    if not fill_run(&a, states, rng, beta_J, beta_h, n_records, thin, e_coupling, e_field,
                    magnetization, stats, n_threads, states_out, beta_J_path, beta_h_path):
        return
    rec = a.n_records
    if not 2 <= q < MAX_Q:
        raise ValueError(f"q must be in 2..{MAX_Q - 1}, got {q}")
    if h.shape[0] != n or J.shape[0] != n or J.shape[1] != n or J.shape[2] != q or J.shape[3] != q:
        raise ValueError(f"h must have shape ({n}, q) and J ({n}, {n}, q, q)")
    if G < 1:
        G = 1
    n_groups = (n_chains + G - 1) // G
    if floating is float:
        qs = _fixed_scale(Jr, n, q, n_threads)
    if (transpose_max_bytes > 0 and nbytes <= <size_t>transpose_max_bytes
            and n_chains * rec * thin >= transpose_min_sweeps):
        Jt = <floating *>malloc(nbytes)   # on failure: read J in place
    with nogil:
        if Jt != NULL:
            for i in prange(n, num_threads=n_threads, schedule="static"):
                for b in range(q):
                    dst = Jt + i * nqq + b * nq
                    src = Jr + i * nqq + b * q
                    for k in range(n):
                        memcpy(dst + k * q, src + k * qq, q * sizeof(floating))
            Jr = Jt
            sb = nq
            sk = q
        for c in prange(n_groups, num_threads=n_threads, schedule="dynamic"):
            c0 = c * G
            gs = n_chains - c0 if n_chains - c0 < G else G
            if _dense_group(&h[0, 0], Jr, sb, sk, n, q, gs, &states[c0, 0], &rng[c0, 0],
                            beta_J, beta_h, rec, thin, a.rec.ec + c0 * a.rec.ec_sc,
                            a.rec.ef + c0 * a.rec.ef_sc, a.rec.mg + c0 * a.rec.mg_sc,
                            a.rec.ec_sc, a.rec.ef_sc, a.rec.mg_sc, a.rec.ec_sr, a.rec.ef_sr,
                            a.rec.mg_sr, a.rec.so + c0 * a.rec.so_sc if a.rec.so != NULL else NULL,
                            a.rec.so_sc, a.rec.so_sr, &stats[c0, 0], a.stats_stride, heatbath, qs, a.bjp,
                            a.bhp) != 0:
                failed += gs
    free(Jt)
    if failed:
        raise MemoryError(f"could not allocate the local-field cache ({n} x {q} doubles) "
                          f"for {failed} of {n_chains} chains; their states were not updated")


def potts_metropolis(const floating[:, ::1] h, const floating[:, :, :, ::1] J,
                     int8_t[:, ::1] states, uint64_t[:, ::1] rng, double beta_J, double beta_h,
                     Py_ssize_t n_records, Py_ssize_t thin, double[:, :] e_coupling,
                     double[:, :] e_field, double[:, :] magnetization,
                     double[:, ::1] stats, int n_threads, *, int8_t[:, :, :] states_out=None,
                     const double[::1] beta_J_path=None, const double[::1] beta_h_path=None,
                     Py_ssize_t transpose_min_sweeps=64,
                     Py_ssize_t transpose_max_bytes=1 << 30):
    """Metropolis updates on a dense Potts model: propose a uniformly random other state.

    h (N, q) and J (N, N, q, q) share one dtype, float32 or float64. states_out (keyword):
    int8 (n_chains, >= n_records, N) receiving the state at each record, or None.
    beta_J_path, beta_h_path (keyword): float64 (>= n_records,) or None; when given, the
    sweeps before record r run at beta_J_path[r] (beta_h_path[r]) instead of beta_J (beta_h).
    transpose_min_sweeps, transpose_max_bytes (keyword): when the call copies J into the
    transposed layout (chains x records x thin >= min sweeps, 0: always; J at most max bytes,
    0: never). The layout never changes results.
    """
    _dense_run(h, J, states, rng, beta_J, beta_h, n_records, thin, e_coupling, e_field,
               magnetization, stats, n_threads, False, states_out, beta_J_path, beta_h_path,
               transpose_min_sweeps, transpose_max_bytes)


def potts_heatbath(const floating[:, ::1] h, const floating[:, :, :, ::1] J,
                   int8_t[:, ::1] states, uint64_t[:, ::1] rng, double beta_J, double beta_h,
                   Py_ssize_t n_records, Py_ssize_t thin, double[:, :] e_coupling,
                   double[:, :] e_field, double[:, :] magnetization,
                   double[:, ::1] stats, int n_threads, *, int8_t[:, :, :] states_out=None,
                   const double[::1] beta_J_path=None, const double[::1] beta_h_path=None,
                   Py_ssize_t transpose_min_sweeps=64,
                   Py_ssize_t transpose_max_bytes=1 << 30):
    """Heat-bath (Gibbs) updates on a dense Potts model: sample x_i from its conditional.

    h (N, q) and J (N, N, q, q) share one dtype, float32 or float64. states_out (keyword):
    int8 (n_chains, >= n_records, N) receiving the state at each record, or None.
    beta_J_path, beta_h_path (keyword): float64 (>= n_records,) or None; when given, the
    sweeps before record r run at beta_J_path[r] (beta_h_path[r]) instead of beta_J (beta_h).
    transpose_min_sweeps, transpose_max_bytes (keyword): when the call copies J into the
    transposed layout (chains x records x thin >= min sweeps, 0: always; J at most max bytes,
    0: never). The layout never changes results.
    """
    _dense_run(h, J, states, rng, beta_J, beta_h, n_records, thin, e_coupling, e_field,
               magnetization, stats, n_threads, True, states_out, beta_J_path, beta_h_path,
               transpose_min_sweeps, transpose_max_bytes)
