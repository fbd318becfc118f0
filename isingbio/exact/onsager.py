"""Infinite-lattice results: Onsager's solution of the 2D Ising model, Potts critical points.

Conventions are those of :mod:`isingbio.models`: square lattice, H = -J sum_<ij> s_i s_j
(Ising, spins -1/+1) or H = -J sum_<ij> delta(x_i, x_j) (Potts), p ~ exp(-beta H),
K = beta J. Quantities are per site, in the thermodynamic limit; the specific heat is in
units of k_B. For J < 0 (antiferromagnet, bipartite lattice) log Z, the energy and the
specific heat equal those of ``|J|`` and :func:`onsager_magnetization` gives the staggered
magnetisation.

Formulas (Onsager 1944, Yang 1952; k = 2 sinh 2K / cosh^2 2K, k' = 2 tanh^2 2K - 1,
K1, E1 complete elliptic integrals of modulus k):

    log Z / N = log(2 cosh 2K) + (1/pi) int_0^{pi/2} log[(1 + sqrt(1 - k^2 sin^2 t)) / 2] dt
    u = <H> / N = -J coth 2K [1 + (2/pi) k' K1(k)]
    ``c = -K^2 d(u / |J|)/dK``    (analytic derivative of u; diverges at T_c; for K >= 1.5 the
                               low-temperature series in e^{-4K}, which keeps relative precision)
    m = (1 - sinh(2K)^-4)^(1/8) for K > K_c, 0 otherwise;  K_c = ln(1 + sqrt 2) / 2.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import integrate, special

from .._validation import check_beta
from ..errors import InputError

__all__ = [
    "ISING_CRITICAL_COUPLING",
    "ising_critical_beta",
    "ising_critical_temperature",
    "potts_critical_beta",
    "onsager_log_partition_per_site",
    "onsager_free_energy",
    "onsager_energy",
    "onsager_specific_heat",
    "onsager_magnetization",
    "ISING_LOG_Z_AT_CRITICAL",
]

ISING_CRITICAL_COUPLING = 0.5 * math.log1p(math.sqrt(2.0))  # K_c = beta_c J = 0.4406867935...
CATALAN = 0.91596559417721901505
#: log Z / N of the infinite square-lattice Ising model at T_c: ln(2)/2 + 2G/pi.
ISING_LOG_Z_AT_CRITICAL = 0.5 * math.log(2.0) + 2.0 * CATALAN / math.pi


def _coupling(J) -> float:
    try:
        J = float(J)
    except (TypeError, ValueError):
        raise InputError(f"J must be a number, got {J!r}") from None
    if not math.isfinite(J) or J == 0:
        raise InputError(f"J must be finite and non-zero, got {J}")
    return J


def ising_critical_beta(J: float = 1.0) -> float:
    """``beta_c = ln(1 + sqrt 2) / (2 |J|)`` of the square-lattice Ising model (H = -J sum s s)."""
    return ISING_CRITICAL_COUPLING / abs(_coupling(J))


def ising_critical_temperature(J: float = 1.0) -> float:
    """``T_c = 2 |J| / ln(1 + sqrt 2) = 2.269185... |J|`` (k_B = 1)."""
    return 1.0 / ising_critical_beta(J)


def potts_critical_beta(q: int, J: float = 1.0) -> float:
    """beta_c = ln(1 + sqrt q) / J of the ferromagnetic square-lattice q-state Potts model.

    H = -J sum_<ij> delta(x_i, x_j), J > 0. (q = 2 is the Ising model with J_Ising = J / 2.)
    The transition is continuous for q <= 4 and first order for q > 4.
    """
    if isinstance(q, bool) or not isinstance(q, (int, np.integer)) or q < 1:
        raise InputError(f"q must be a positive integer, got {q!r}")
    J = _coupling(J)
    if J < 0:
        raise InputError(f"the self-dual Potts critical point is for a ferromagnet (J > 0), got J = {J}")
    return math.log1p(math.sqrt(q)) / J


def _k(beta, J):
    beta = check_beta(beta)
    J = _coupling(J)
    return beta, J, beta * abs(J)


def onsager_log_partition_per_site(beta: float, J: float = 1.0) -> float:
    """log Z / N of the infinite square-lattice Ising model (zero field), ~1e-15 precise."""
    beta, J, K = _k(beta, J)
    if K == 0:
        return math.log(2.0)
    m1 = (2 * math.tanh(2 * K) ** 2 - 1) ** 2  # k'^2 = 1 - k^2, accurate near T_c
    # 1 - k^2 sin^2 t written as cos^2 t + k'^2 sin^2 t: no cancellation near t = pi/2 at T_c
    f = lambda t: math.log1p(math.sqrt(math.cos(t) ** 2 + m1 * math.sin(t) ** 2)) - math.log(2.0)  # noqa: E731
    val, _ = integrate.quad(f, 0.0, 0.5 * math.pi, epsabs=1e-14, epsrel=1e-13, limit=200)
    return 2 * K + math.log1p(math.exp(-4 * K)) + val / math.pi  # log(2 cosh 2K), no overflow


def onsager_free_energy(beta: float, J: float = 1.0) -> float:
    """Free energy per site f = -log Z / (N beta) (beta > 0)."""
    beta = check_beta(beta)
    if beta == 0:
        raise InputError("the free energy -log Z / beta needs beta > 0")
    return -onsager_log_partition_per_site(beta, J) / beta


def _elliptic(K):
    """(k'(K), K1(k), E1(k)) with k' = 2 tanh^2 2K - 1 (K1 = inf at T_c)."""
    kp = 2 * math.tanh(2 * K) ** 2 - 1
    m1 = kp * kp  # 1 - k^2, accurate near T_c
    K1 = special.ellipkm1(m1) if m1 > 0 else math.inf
    E1 = special.ellipe(1.0 - m1)
    return kp, K1, E1


def onsager_energy(beta: float, J: float = 1.0) -> float:
    """Mean energy per site <H>/N (finite and continuous at T_c: ``-sqrt(2) |J|``)."""
    beta, J, K = _k(beta, J)
    if K == 0:
        return 0.0
    kp, K1, _ = _elliptic(K)
    term = 0.0 if kp == 0 else (2 / math.pi) * kp * K1
    return -abs(J) / math.tanh(2 * K) * (1 + term)


def onsager_specific_heat(beta: float, J: float = 1.0) -> float:
    """Specific heat per site c = beta^2 var(H)/N in units of k_B (inf at T_c).

    Computed as ``c = -K^2 d(u/|J|)/dK`` from the analytic derivative of the energy.
    """
    beta, J, K = _k(beta, J)
    if K == 0:
        return 0.0
    if K >= _LOW_T_SERIES_K:
        # The closed form below loses relative precision as e^{4K} at low temperature (terms of
        # order e^{-4K} cancel to leave e^{-8K}); the low-temperature series does not.
        u = math.exp(-4 * K)
        return K * K * sum(a * (4 * j) ** 2 * u**j for j, a in _LOW_T_SERIES)
    kp, K1, E1 = _elliptic(K)
    if math.isinf(K1):
        return math.inf
    s2, c2 = math.sinh(2 * K), math.cosh(2 * K)
    k = 2 * s2 / c2**2
    m1 = kp * kp  # k'^2 = 1 - k^2
    dk = 4 * (1 - s2 * s2) / c2**3  # dk/dK
    dkp = 8 * math.tanh(2 * K) / c2**2  # dk'/dK
    dK1 = E1 / (k * m1) - K1 / k  # dK1/dk
    a = 1 + (2 / math.pi) * kp * K1
    da = (2 / math.pi) * (dkp * K1 + kp * dK1 * dk)
    coth = c2 / s2
    return K * K * (-2 / s2**2 * a + coth * da)


#: log Z / N - 2K = sum_j a_j u^j, u = e^{-4K} (square-lattice low-temperature series; the
#: coefficients were checked against 120-digit quadrature of Onsager's integral).
_LOW_T_SERIES = (
    (2, 1.0),
    (3, 2.0),
    (4, 4.5),
    (5, 12.0),
    (6, 112 / 3),
    (7, 130.0),
    (8, 1961 / 4),
    (9, 5876 / 3),
    (10, 40871 / 5),
    (11, 35302.0),
)
_LOW_T_SERIES_K = 1.5  # truncation error below 1e-20 relative from here on


def onsager_magnetization(beta: float, J: float = 1.0) -> float:
    """Spontaneous magnetisation per site (Yang): (1 - sinh(2K)^-4)^(1/8) below T_c, else 0.

    For J < 0 this is the staggered magnetisation.
    """
    beta, J, K = _k(beta, J)
    if K <= ISING_CRITICAL_COUPLING:
        return 0.0
    inv_s2 = 2 * math.exp(-2 * K) / -math.expm1(-4 * K)  # 1 / sinh 2K without overflow
    return (1.0 - inv_s2**4) ** 0.125
