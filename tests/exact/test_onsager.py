"""Infinite-lattice formulas: known values and internal consistency."""

import math

import pytest

from isingbio import InputError, exact

KC = exact.ISING_CRITICAL_COUPLING


def test_critical_points():
    assert exact.ising_critical_beta() == pytest.approx(0.44068679350977151, rel=1e-15)
    assert exact.ising_critical_temperature(2.0) == pytest.approx(2 * 2.269185314213022, rel=1e-14)
    assert exact.potts_critical_beta(3) == pytest.approx(math.log(1 + math.sqrt(3)), rel=1e-15)
    assert exact.potts_critical_beta(2) == pytest.approx(2 * exact.ising_critical_beta(), rel=1e-15)
    with pytest.raises(InputError):
        exact.potts_critical_beta(3, J=-1.0)


def test_known_values():
    assert exact.onsager_log_partition_per_site(KC) == pytest.approx(exact.ISING_LOG_Z_AT_CRITICAL, rel=1e-13)
    assert exact.onsager_energy(KC) == pytest.approx(-math.sqrt(2), rel=1e-12)
    assert exact.onsager_specific_heat(KC) > 10  # log divergence: float K_c is a hair off
    assert exact.onsager_specific_heat(0.5 * math.log1p(2**0.5), J=1.0) > 10
    assert exact.onsager_magnetization(KC) == 0.0
    assert exact.onsager_magnetization(0.3) == 0.0
    assert exact.onsager_magnetization(5.0) == pytest.approx(1.0, abs=1e-15)
    assert exact.onsager_log_partition_per_site(0.0) == math.log(2)
    # high temperature series: log Z/N = ln 2 + 2 ln cosh K + K^4 tanh terms; check to O(K^4)
    K = 1e-3
    assert exact.onsager_log_partition_per_site(K) == pytest.approx(math.log(2) + 2 * math.log(math.cosh(K)), abs=1e-11)


@pytest.mark.parametrize("beta", [0.1, 0.3, 0.6, 1.0])
def test_energy_and_heat_are_derivatives(beta):
    h = 1e-4
    f = exact.onsager_log_partition_per_site
    assert -(f(beta + h) - f(beta - h)) / (2 * h) == pytest.approx(exact.onsager_energy(beta), rel=1e-7)
    u = exact.onsager_energy
    assert -(beta**2) * (u(beta + h) - u(beta - h)) / (2 * h) == pytest.approx(
        exact.onsager_specific_heat(beta), rel=1e-6
    )


def test_antiferromagnet_and_free_energy():
    assert exact.onsager_log_partition_per_site(0.7, J=-1.0) == exact.onsager_log_partition_per_site(0.7)
    assert exact.onsager_free_energy(0.5) == pytest.approx(-exact.onsager_log_partition_per_site(0.5) / 0.5)
    with pytest.raises(InputError):
        exact.onsager_free_energy(0.0)


@pytest.mark.parametrize("beta", [0.2, 0.42, KC, 0.46, 0.8])
def test_against_mpmath(beta):
    """Onsager's integral and its derivatives in 30-digit arithmetic (1e-14 measured)."""
    mpmath = pytest.importorskip("mpmath")
    mp = mpmath.mp

    def log_z(K):
        k = 2 * mp.sinh(2 * K) / mp.cosh(2 * K) ** 2
        return (
            mp.log(2 * mp.cosh(2 * K))
            + mp.quad(lambda t: mp.log((1 + mp.sqrt(1 - k**2 * mp.sin(t) ** 2)) / 2), [0, mp.pi / 2]) / mp.pi
        )

    with mp.workdps(30):
        K = mp.mpf(beta)
        ref = log_z(K)
        energy = -mp.diff(log_z, K)
        heat = K**2 * mp.diff(log_z, K, 2) if beta != KC else None
    assert exact.onsager_log_partition_per_site(beta) == pytest.approx(float(ref), rel=1e-14)
    assert exact.onsager_energy(beta) == pytest.approx(float(energy), rel=1e-12)
    if heat is not None:
        assert exact.onsager_specific_heat(beta) == pytest.approx(float(heat), rel=1e-9)


def test_low_temperature_specific_heat_and_no_overflow():
    """The closed form lost relative precision as e^{4K} (K = 15 gave 3e-23 for 1.1e-48)."""
    import math

    for K in (1.5, 3.0, 15.0):
        u = math.exp(-4 * K)
        series = K * K * (64 * u**2 + 288 * u**3 + 1152 * u**4 + 4800 * u**5)
        assert exact.onsager_specific_heat(K) == pytest.approx(series, rel=1e-7 if K == 1.5 else 1e-14)
    assert exact.onsager_specific_heat(1.4999) == pytest.approx(exact.onsager_specific_heat(1.5), rel=2e-3)
    assert exact.onsager_log_partition_per_site(500.0) == 1000.0
    assert exact.onsager_magnetization(500.0) == 1.0
    assert exact.onsager_specific_heat(500.0) == 0.0
