"""Transfer matrix against enumeration (tori, cylinders, strips, fields) and Kaufman."""
import numpy as np
import pytest

from isingbio import InputError, PottsModel, TooLargeError
from isingbio import exact

CASES = [  # q, width, length, periodic_width, periodic_length, J, h
    (3, 3, 4, True, True, 1.0, 0.0),
    (3, 2, 3, True, True, [0.7, 1.3], 0.4),        # side 2 across: doubled bonds
    (3, 3, 2, True, True, 1.0, 0.0),               # side 2 along: doubled bonds
    (3, 3, 3, False, True, 1.0, [0.1, -0.2, 0.3]),  # cylinder, vector field
    (2, 3, 4, True, False, -0.8, 0.5),             # cylinder the other way, antiferro
    (4, 2, 2, True, True, 1.1, 0.0),
    (3, 4, 3, False, False, 0.9, 0.2),             # open strip
    (3, 1, 5, False, True, 1.0, 0.3),              # a ring
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
    for beta in (0.0, 0.3, 1.0, 3.0):
        th = exact.thermodynamics(model, beta)
        assert exact.potts_transfer_log_partition(q, W, Lg, beta, J, h, pw, pl) == pytest.approx(
            th.log_z, rel=1e-12, abs=1e-12)
        tt = exact.potts_transfer_thermodynamics(q, W, Lg, beta, J, h, pw, pl)
        assert tt.log_z == pytest.approx(th.log_z, rel=1e-12, abs=1e-12)
        assert tt.energy == pytest.approx(th.energy, rel=1e-8, abs=1e-9)
        assert tt.specific_heat == pytest.approx(th.specific_heat, rel=1e-6, abs=1e-8)


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
    for q, W, Lg, pw, pl in [(2, 1, 3, False, True), (2, 2, 5, True, True), (3, 2, 3, False, True),
                             (4, 1, 5, False, False)]:
        model = PottsModel.lattice((Lg, W), q, J=-0.8, h=[0.4] + [0.0] * (q - 1), periodic=(pl, pw))
        states = np.array(list(product(range(q), repeat=W * Lg)))
        ref = logsumexp(-30.0 * model.energy(states))
        got = exact.potts_transfer_log_partition(q, W, Lg, 30.0, -0.8, 0.4, periodic_width=pw,
                                                 periodic_length=pl)
        assert got == pytest.approx(ref, rel=1e-12)
