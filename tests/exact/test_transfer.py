"""Transfer matrix against enumeration (tori, cylinders, strips, fields) and Kaufman."""

import numpy as np
import pytest

from isingbio import InputError, PottsModel, TooLargeError, exact

CASES = [  # q, width, length, periodic_width, periodic_length, J, h
    (3, 3, 4, True, True, 1.0, 0.0),
    (3, 2, 3, True, True, [0.7, 1.3], 0.4),  # side 2 across: doubled bonds
    (3, 3, 2, True, True, 1.0, 0.0),  # side 2 along: doubled bonds
    (3, 3, 3, False, True, 1.0, [0.1, -0.2, 0.3]),  # cylinder, vector field
    (2, 3, 4, True, False, -0.8, 0.5),  # cylinder the other way, antiferro
    (4, 2, 2, True, True, 1.1, 0.0),
    (3, 4, 3, False, False, 0.9, 0.2),  # open strip
    (3, 1, 5, False, True, 1.0, 0.3),  # a ring
    (5, 2, 3, False, True, 0.6, -0.4),
]


def field_vector(q, h):
    if np.ndim(h) == 0:
        v = np.zeros(q)
        v[0] = h
        return v
    return np.asarray(h, dtype=float)


@pytest.mark.parametrize("case", CASES)
def test_against_enumeration(case):
    q, W, Lg, pw, pl, J, h = case
    model = PottsModel.lattice((Lg, W), q, J=J, h=field_vector(q, h), periodic=(pl, pw))
    for beta in (0.0, 0.3, 1.0, 3.0, 10.0):
        th = exact.thermodynamics(model, beta)
        assert exact.potts_transfer_log_partition(q, W, Lg, beta, J, h, pw, pl) == pytest.approx(
            th.log_z, rel=1e-12, abs=1e-12
        )
        tt = exact.potts_transfer_thermodynamics(q, W, Lg, beta, J, h, pw, pl)
        assert tt.log_z == pytest.approx(th.log_z, rel=1e-12, abs=1e-12)
        assert tt.energy == pytest.approx(th.energy, rel=1e-12, abs=1e-12)
        assert tt.specific_heat == pytest.approx(th.specific_heat, rel=1e-10, abs=1e-12)


def test_eigen_and_column_paths_agree(monkeypatch):
    """The trace from eigenvalues (negative ones included: J < 0) equals the column-by-column one."""
    from isingbio.exact import transfer

    for length in (2, 3, 40, 41):
        args = (3, 3, length, 0.8, -0.7, 0.3)
        eig = exact.potts_transfer_log_partition(*args)
        monkeypatch.setattr(transfer, "_EIG_MAX_STATES", 0)
        cols = exact.potts_transfer_log_partition(*args)
        monkeypatch.undo()
        assert eig == pytest.approx(cols, rel=1e-13)
        if length <= 3:
            ref = exact.log_partition(PottsModel.lattice((length, 3), 3, J=-0.7, h=[0.3, 0, 0]), 0.8)
            assert cols == pytest.approx(ref, rel=1e-13)


def test_long_torus_per_site_and_ising_torus():
    """Potts q = 2 with J = 2 J_Ising is the Ising torus times exp(beta J_Ising * bonds)."""
    J_ising, beta, W, L = 1.0, 0.4, 4, 60
    logz = exact.potts_transfer_log_partition(2, W, L, beta, J=2 * J_ising)
    kauf = exact.ising_torus_log_partition(L, W, beta, J_ising)
    assert logz == pytest.approx(kauf + beta * J_ising * 2 * W * L, rel=1e-12)


def test_limits_and_bad_input():
    with pytest.raises(TooLargeError, match="3\\^12"):
        exact.potts_transfer_log_partition(3, 12, 4, 1.0)
    with pytest.raises(InputError):
        exact.potts_transfer_log_partition(3, 1, 4, 1.0, periodic_width=True)
    with pytest.raises(InputError):
        exact.potts_transfer_log_partition(3, 3, 4, 1.0, h=[1.0, 2.0])
    with pytest.raises(InputError):
        exact.potts_transfer_log_partition(1, 3, 4, 1.0)


def test_antiferromagnetic_length_at_low_temperature():
    """exp(beta J) - 1 with J < 0 cancelled (log Z off by 3e-7 at beta = 30), and the
    eigenvalue route cancelled on frustrated odd rings (math domain error)."""
    from itertools import product

    from scipy.special import logsumexp

    for q, W, Lg, pw, pl in [
        (2, 1, 3, False, True),
        (2, 2, 5, True, True),
        (3, 2, 3, False, True),
        (4, 1, 5, False, False),
    ]:
        model = PottsModel.lattice((Lg, W), q, J=-0.8, h=[0.4] + [0.0] * (q - 1), periodic=(pl, pw))
        states = np.array(list(product(range(q), repeat=W * Lg)))
        ref = logsumexp(-30.0 * model.energy(states))
        got = exact.potts_transfer_log_partition(q, W, Lg, 30.0, -0.8, 0.4, periodic_width=pw, periodic_length=pl)
        assert got == pytest.approx(ref, rel=1e-12)


def _exact_levels_reference(q, W, Lg, pw, pl, J, h, beta):
    """Mean energy and specific heat from the exact levels (dyadic J, h: float energies exact)."""
    model = PottsModel.lattice((Lg, W), q, J=J, h=field_vector(q, h), periodic=(pl, pw))
    states = np.indices((q,) * (W * Lg)).reshape(W * Lg, -1).T
    E, cnt = np.unique(model.energy(states), return_counts=True)
    x = E - E[0]
    w = cnt * np.exp(-beta * x)
    m = np.dot(w, x) / w.sum()
    return E[0] + m, beta**2 * np.dot(w, (x - m) ** 2) / w.sum()


LOW_T_CASES = [  # q, width, length, periodic_width, periodic_length, J, h (dyadic)
    (2, 2, 3, True, True, 1.0, [0.5, 0.0]),  # torus, C ~ 7e-36 at beta 30
    (3, 2, 3, False, True, [-0.75, 1.0], [0.25, 0.0, -0.5]),  # old: 0.8% off at beta 30
    (2, 3, 3, True, False, -0.5, 0.25),  # frustrated odd ring across
    (4, 1, 5, False, False, -0.75, [0.25, 0.0, -0.5, 0.125]),  # open chain
    (3, 3, 2, True, True, [0.5, -1.0], 0.0),  # doubled bonds along
]


@pytest.mark.parametrize("case", LOW_T_CASES)
def test_exact_derivatives_at_any_temperature(case):
    """Energy and specific heat are exact derivatives: relative precision at beta up to 50,
    where finite differences gave 0 for a specific heat of 7e-36 (and 2.314e-5 for 2.294e-5)."""
    q, W, Lg, pw, pl, J, h = case
    for beta in (0.0, 0.5, 2.0, 10.0, 30.0, 50.0):
        e_ref, c_ref = _exact_levels_reference(q, W, Lg, pw, pl, J, h, beta)
        tt = exact.potts_transfer_thermodynamics(q, W, Lg, beta, J, h, pw, pl)
        assert tt.energy == pytest.approx(e_ref, rel=1e-12, abs=1e-12)
        assert tt.specific_heat == pytest.approx(c_ref, rel=1e-10, abs=1e-300)
        assert tt.log_z == pytest.approx(
            exact.potts_transfer_log_partition(q, W, Lg, beta, J, h, pw, pl), rel=1e-13, abs=1e-13
        )
    tiny = exact.potts_transfer_thermodynamics(2, 2, 3, 30.0, 1.0, [0.5, 0.0])
    assert 1e-36 < tiny.specific_heat < 1e-35


def test_thermodynamics_of_long_strips_match_differences():
    """Long strips (eigenvalue route of log Z for the torus): derivatives agree with differences."""
    for args in [
        (3, 3, 60, 1.0, 1.0, 0.0, True, True),
        (2, 1, 300, 0.5, -1.0, 0.3, False, True),
        (3, 4, 20, 0.8, [1.0, -0.5], 0.2, False, False),
    ]:
        q, W, L, b, J, h, pw, pl = args
        tt = exact.potts_transfer_thermodynamics(*args)
        st = 1e-4
        f = [exact.potts_transfer_log_partition(q, W, L, b + k * st, J, h, pw, pl) for k in (-2, -1, 0, 1, 2)]
        assert tt.log_z == pytest.approx(f[2], rel=1e-13)
        assert tt.energy == pytest.approx(-(f[0] - 8 * f[1] + 8 * f[3] - f[4]) / (12 * st), rel=1e-8)
        assert tt.specific_heat == pytest.approx(
            b * b * (-f[0] + 16 * f[1] - 30 * f[2] + 16 * f[3] - f[4]) / (12 * st * st), rel=1e-4
        )


def test_long_periodic_strip_by_eigenvalues_matches_kaufman():
    """A strip too long for exact columns (central differences by eigenvalues): q = 2 Potts
    with J = 2 is the Ising model with J = 1, shifted by -J per bond (2 N bonds)."""
    W, L, beta = 6, 2000, 0.44
    tt = exact.potts_transfer_thermodynamics(2, W, L, beta, J=2.0)
    ising = exact.ising_torus_thermodynamics(L, W, beta)
    assert tt.log_z == pytest.approx(ising.log_z + beta * 2 * W * L, rel=1e-12)
    assert tt.energy == pytest.approx(ising.energy - 2 * W * L, rel=1e-9)
    assert tt.specific_heat == pytest.approx(ising.specific_heat, rel=1e-6)
