"""Kaufman's torus solution against enumeration, 50-digit arithmetic and Onsager's limit."""

import math

import pytest

from isingbio import InputError, IsingModel, exact

KC = exact.ISING_CRITICAL_COUPLING
BETAS = [0.0, 0.05, 0.3, KC, 0.6, 1.5, 5.0, 30.0]
SIZES = [(2, 2), (2, 3), (3, 2), (3, 3), (3, 4), (4, 4), (2, 5), (3, 5), (4, 5), (5, 4)]


@pytest.mark.parametrize("m, n", SIZES)
def test_against_enumeration(m, n):
    """Our conventions, doubled bonds on sides of 2 included, to 1e-10."""
    for J in (1.0, 0.37) if m * n < 20 else (2.5,):
        model = IsingModel.lattice((m, n), J=J)
        for beta in BETAS:
            th = exact.thermodynamics(model, beta)
            tk = exact.ising_torus_thermodynamics(m, n, beta, J)
            assert tk.log_z == pytest.approx(th.log_z, rel=1e-12, abs=1e-12)
            assert exact.ising_torus_log_partition(m, n, beta, J) == tk.log_z
            assert tk.energy == pytest.approx(th.energy, rel=1e-10, abs=1e-12)
            assert tk.specific_heat == pytest.approx(th.specific_heat, rel=1e-10, abs=1e-12)


def test_antiferromagnet():
    for m, n in [(2, 2), (4, 4), (2, 4)]:
        model = IsingModel.lattice((m, n), J=-0.8)
        th = exact.thermodynamics(model, 0.9)
        tk = exact.ising_torus_thermodynamics(m, n, 0.9, J=-0.8)
        assert tk.log_z == pytest.approx(th.log_z, rel=1e-12)
        assert tk.energy == pytest.approx(th.energy, rel=1e-10)
        assert tk.specific_heat == pytest.approx(th.specific_heat, rel=1e-10)
    with pytest.raises(InputError, match="frustrated"):
        exact.ising_torus_log_partition(3, 4, 0.5, J=-1.0)


def test_bad_sides():
    with pytest.raises(InputError):
        exact.ising_torus_log_partition(1, 4, 0.5)
    with pytest.raises(InputError):
        exact.ising_torus_log_partition(4, 4, -0.5)


mpmath = pytest.importorskip("mpmath")


def kaufman_mp(m, n, K, dps):
    """The textbook formula in multiple precision (no rescaling, no stable rewriting)."""
    mp = mpmath.mp
    with mp.workdps(dps):
        K = mp.mpf(K)
        c = mp.cosh(2 * K) * mp.coth(2 * K)

        def g(k):
            return 2 * K + mp.log(mp.tanh(K)) if k == 0 else mp.acosh(c - mp.cos(mp.pi * k / n))

        go = [g(2 * r + 1) for r in range(n)]
        ge = [g(2 * r) for r in range(n)]
        z = (
            mp.fprod(2 * mp.cosh(m * x / 2) for x in go)
            + mp.fprod(2 * mp.sinh(m * x / 2) for x in go)
            + mp.fprod(2 * mp.cosh(m * x / 2) for x in ge)
            + mp.fprod(2 * mp.sinh(m * x / 2) for x in ge)
        )
        return mp.log(z) - mp.log(2) + (m * n / mp.mpf(2)) * mp.log(2 * mp.sinh(2 * K))


def test_1024_at_critical_point():
    """log Z of a 1024 x 1024 torus at T_c to better than 1e-9 relative (measured ~1e-16)."""
    kc_mp = mpmath.log(1 + mpmath.sqrt(2)) / 2
    ref = kaufman_mp(1024, 1024, kc_mp, 40)
    got = exact.ising_torus_log_partition(1024, 1024, KC)
    assert abs(float((got - ref) / ref)) < 1e-13
    got = exact.ising_torus_log_partition(1024, 1000, KC)
    ref = kaufman_mp(1024, 1000, kc_mp, 40)
    assert abs(float((got - ref) / ref)) < 1e-13


@pytest.mark.parametrize("m, n, K", [(16, 16, KC), (7, 12, 0.3), (9, 5, 1.2), (64, 33, 0.45), (6, 6, 4.0)])
def test_derivatives_against_mpmath(m, n, K):
    mp = mpmath.mp
    with mp.workdps(60):
        Kmp = mp.mpf(K)
        h = mp.mpf(10) ** -15
        f = [kaufman_mp(m, n, Kmp + k * h, 80) for k in (-1, 0, 1)]
        d1 = (f[2] - f[0]) / (2 * h)
        d2 = (f[2] - 2 * f[1] + f[0]) / h**2
    t = exact.ising_torus_thermodynamics(m, n, K)
    assert t.log_z == pytest.approx(float(f[1]), rel=1e-14)
    assert t.energy == pytest.approx(-float(d1), rel=1e-13)
    assert t.specific_heat == pytest.approx(K * K * float(d2), rel=1e-11)


def test_approaches_onsager():
    """log Z / N at T_c -> ln2/2 + 2G/pi (finite-size correction ~ 1/N); energies away from T_c."""
    prev = None
    for L in (16, 64, 256, 1024):
        err = abs(exact.ising_torus_log_partition(L, L, KC) / L**2 - exact.ISING_LOG_Z_AT_CRITICAL)
        if prev is not None:
            assert err < prev / 10
        prev = err
    assert prev < 1e-6
    for beta, degeneracy in ((0.3, 1), (0.6, 2)):  # two ordered states below T_c
        t = exact.ising_torus_thermodynamics(256, 256, beta)
        assert isinstance(t.log_z, float)
        per_site = (t.log_z - math.log(degeneracy)) / t.n_sites
        assert per_site == pytest.approx(exact.onsager_log_partition_per_site(beta), rel=1e-12)
        assert t.energy_per_site == pytest.approx(exact.onsager_energy(beta), rel=1e-12)
        assert t.specific_heat_per_site == pytest.approx(exact.onsager_specific_heat(beta), rel=1e-9)


def test_very_low_temperature_no_overflow():
    """K = 50, 300, 500 used to overflow (sinh 2K, cosh 2K squared); the specific heat at
    K = 10..60 is e^{-8K} small and must keep its relative precision."""
    import numpy as np

    for (m, n), d in [((2, 2), 6), ((2, 5), 20), ((4, 2), 14), ((3, 4), 12), ((5, 5), 25)]:
        for K in (12.0, 50.0, 500.0):
            t = exact.ising_torus_thermodynamics(m, n, K)
            x = d * math.exp(-8 * K)  # lowest excitations, counted by enumeration
            assert t.log_z == pytest.approx(math.log(2) + 2 * m * n * K + math.log1p(x), rel=1e-15)
            assert t.energy == pytest.approx(-2 * m * n + 8 * x, rel=1e-15)
            assert t.specific_heat == pytest.approx(K * K * 64 * x, rel=1e-12)
            assert np.isfinite(exact.ising_torus_log_partition(m, n, K, J=-1.0 if m % 2 == n % 2 == 0 else 1.0))
    th = exact.thermodynamics(IsingModel.lattice((3, 4)), 12.0)
    tk = exact.ising_torus_thermodynamics(3, 4, 12.0)
    assert tk.specific_heat == pytest.approx(th.specific_heat, rel=1e-10)
