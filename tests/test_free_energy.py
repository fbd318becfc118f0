"""log Z by thermodynamic integration and MBAR against exact values.

The estimators are tested on energies drawn EXACTLY from each rung's law (enumeration of a
small model, independent draws with numpy): that isolates their bias and error bars from any
sampler. Tempering end to end is tested in tests/test_partition.py.
"""

import numpy as np
import pytest

from isingbio import exact
from isingbio.errors import InputError
from isingbio.free_energy import (
    _hermite_cumulative,
    _richardson,
    energy_overlap,
    mbar,
    thermodynamic_integration,
)
from isingbio.models import PottsModel
from isingbio.spin_glass import edwards_anderson, sherrington_kirkpatrick


class ExactLadder:
    """All energies of a small model, to draw independent energies at any beta."""

    def __init__(self, model):
        states, _ = exact.probabilities(model, 0.0)
        self.model = model
        self.energies = np.asarray(model.energy(states), dtype=np.float64)
        self.log_z0 = model.n_sites * np.log(model.q)

    def draw(self, betas, n, rng, n_runs=1):
        out = np.empty((n_runs, len(betas), n))
        for k, b in enumerate(betas):
            lw = -b * self.energies
            p = np.exp(lw - lw.max())
            p /= p.sum()
            out[:, k, :] = self.energies[rng.choice(self.energies.size, size=(n_runs, n), p=p)]
        return out

    def moments(self, beta):
        lw = -beta * self.energies
        p = np.exp(lw - lw.max())
        p /= p.sum()
        m = p @ self.energies
        return m, p @ (self.energies - m) ** 2

    def log_z(self, beta):
        return exact.log_partition(self.model, beta)


@pytest.fixture(scope="module")
def ea():
    return ExactLadder(edwards_anderson((4, 4), couplings="pm_j", seed=5))


@pytest.fixture(scope="module")
def sk():
    return ExactLadder(sherrington_kirkpatrick(12, seed=3))


@pytest.mark.parametrize("which", ["ea", "sk"])
def test_both_estimators_within_their_errors_of_enumeration_at_every_rung(which, request, rng):
    lad = request.getfixturevalue(which)
    betas = np.linspace(0.0, 2.0, 17) if which == "ea" else np.linspace(0.0, 3.0, 13)
    e = lad.draw(betas, 1500, rng, n_runs=2)
    exact_z = np.array([lad.log_z(b) for b in betas])
    ti = thermodynamic_integration(betas, e, log_z0=lad.log_z0)
    mb = mbar(betas, e, log_z0=lad.log_z0)
    for res in (ti, mb):
        assert res.log_z[0] == pytest.approx(lad.log_z0)
        z = (res.log_z[1:] - exact_z[1:]) / res.stderr[1:]
        assert np.all(np.abs(z) < 4.5), (type(res).__name__, z)
        assert np.all(res.stderr[1:] > 0) and res.stderr[-1] < 0.1
    assert np.all(mb.overlap > 0.3)
    assert mb.overlap_matrix.sum(axis=1) == pytest.approx(np.ones(betas.size), rel=1e-6)


def test_error_bars_are_calibrated_over_many_seeds(ea):
    """rms of (estimate - exact) / stderr over 40 independent data sets is about 1 for both."""
    betas = np.linspace(0.0, 1.5, 7)
    exact_z = ea.log_z(betas[-1])
    rng = np.random.default_rng(7)
    zs = {"ti": [], "mbar": []}
    for _ in range(40):
        e = ea.draw(betas, 300, rng)
        ti = thermodynamic_integration(betas, e, log_z0=ea.log_z0)
        mb = mbar(betas, e, log_z0=ea.log_z0)
        zs["ti"].append((ti.log_z[-1] - exact_z) / ti.stderr[-1])
        zs["mbar"].append((mb.log_z[-1] - exact_z) / mb.stderr[-1])
    for name, z in zs.items():
        rms = float(np.sqrt(np.mean(np.square(z))))
        assert 0.6 < rms < 1.5, (name, rms)


def test_target_beta_between_rungs(sk, rng):
    betas = np.linspace(0.0, 2.0, 11)
    e = sk.draw(betas, 2000, rng)
    target = 1.37
    ti = thermodynamic_integration(betas, e, log_z0=sk.log_z0, target_beta=target)
    mb = mbar(betas, e, log_z0=sk.log_z0, target_beta=target)
    truth = sk.log_z(target)
    for res in (ti, mb):
        value, err = res.at(target)
        assert abs(value - truth) < 4.5 * err
        assert res.at(betas[3]) == (res.log_z[3], res.stderr[3])
    with pytest.raises(InputError, match="neither a rung nor the target"):
        ti.at(1.2345)


def test_hermite_rule_is_fourth_order_and_the_quadrature_error_is_of_the_right_size(ea):
    """With exact means and variances (no noise): the Hermite rule beats the trapezoid by far, and
    the Richardson estimate is within a factor of a few of the true quadrature error."""
    beta = 2.0
    truth = ea.log_z0 - ea.log_z(beta)
    for n in (5, 9, 17):
        b = np.linspace(0.0, beta, n)
        m, v = np.array([ea.moments(x) for x in b]).T
        cum = _hermite_cumulative(b, m, v)
        err = abs(cum[-1] - truth)
        trap = abs(np.sum(np.diff(b) * (m[:-1] + m[1:]) / 2) - truth)
        assert err < trap / 5
        est = _richardson(b, m, v, cum)[-1]
        assert err / 4 < est < 10 * err, (n, err, est)


def test_coarse_ladder_reports_a_quadrature_error(ea, rng):
    betas = np.linspace(0.0, 2.0, 5)
    e = ea.draw(betas, 20000, rng)
    ti = thermodynamic_integration(betas, e, log_z0=ea.log_z0)
    truth = ea.log_z(2.0)
    assert ti.quadrature_error[-1] > 0.3 * ti.stderr_statistical[-1]
    assert abs(ti.log_z[-1] - truth) < 4 * ti.stderr[-1]


def test_potts_model_from_enumeration(rng):
    lad = ExactLadder(PottsModel.lattice((3, 3), 3, J=1.0))
    betas = np.linspace(0.0, 1.5, 13)
    e = lad.draw(betas, 1500, rng)
    truth = lad.log_z(1.5)
    assert lad.log_z0 == pytest.approx(9 * np.log(3))
    for res in (thermodynamic_integration(betas, e, log_z0=lad.log_z0), mbar(betas, e, log_z0=lad.log_z0)):
        assert abs(res.log_z[-1] - truth) < 4.5 * res.stderr[-1]


def test_mbar_refuses_a_ladder_whose_histograms_do_not_overlap(ea, rng):
    betas = np.array([0.0, 0.5, 3.0])
    e = ea.draw(betas, 500, rng)
    with pytest.raises(InputError, match="rungs 1 and 2"):
        mbar(betas, e, log_z0=ea.log_z0)
    ti = thermodynamic_integration(betas, e, log_z0=ea.log_z0)  # TI still answers, with its error
    assert np.isfinite(ti.log_z).all()


def test_energy_overlap():
    assert energy_overlap([1, 2, 3], [1, 2, 3]) == pytest.approx(1.0)
    assert energy_overlap([1, 1], [2, 2]) == 0.0
    x = np.random.default_rng(0).normal(size=5000)
    assert 0.5 < energy_overlap(x, x + 1.0) < 0.7  # two unit normals one sigma apart: 0.617


def test_errors_grow_with_autocorrelation(ea, rng):
    """Each record repeated 10 times: no new information, so the errors must stay those of the
    original series (about sqrt(10) times the independent-sample formula)."""
    betas = np.linspace(0.0, 1.0, 5)
    base = ea.draw(betas, 400, rng)
    e = np.repeat(base, 10, axis=2)
    one = mbar(betas, base, log_z0=ea.log_z0)
    res = mbar(betas, e, log_z0=ea.log_z0)
    assert res.log_z[-1] == pytest.approx(one.log_z[-1], abs=1e-9)
    assert res.stderr[-1] == pytest.approx(one.stderr[-1], rel=0.3)
    assert res.stderr[-1] > 2.5 * res.stderr_independent[-1]
    assert one.stderr[-1] == pytest.approx(one.stderr_independent[-1], rel=0.2)  # the same for independent draws
    ti_one = thermodynamic_integration(betas, base, log_z0=ea.log_z0)
    ti = thermodynamic_integration(betas, e, log_z0=ea.log_z0)
    assert ti.stderr[-1] == pytest.approx(ti_one.stderr[-1], rel=0.3)
    assert abs(res.log_z[-1] - ea.log_z(1.0)) < 4.5 * res.stderr[-1]


@pytest.mark.parametrize(
    "betas, energies, match",
    [
        ([0.0], np.zeros((1, 10)), "at least 2"),
        ([0.0, 0.5, 0.4], np.zeros((3, 10)), "increase strictly"),
        ([0.0, np.nan], np.zeros((2, 10)), "finite"),
        ([-1.0, 0.5], np.zeros((2, 10)), ">= 0"),
        ([0.0, 0.5], np.zeros((3, 10)), "n_rungs = 2"),
        ([0.0, 0.5], np.zeros((2, 1)), "at least 2 records"),
        ([0.0, 0.5], np.full((2, 4), np.inf), "finite"),
    ],
)
def test_bad_input(betas, energies, match):
    for fn in (thermodynamic_integration, mbar):
        with pytest.raises(InputError, match=match):
            fn(betas, energies, log_z0=0.0)


def test_bad_target_and_log_z0():
    e = np.random.default_rng(0).normal(size=(2, 50))
    with pytest.raises(InputError, match="outside the ladder"):
        thermodynamic_integration([0.0, 1.0], e, log_z0=0.0, target_beta=2.0)
    with pytest.raises(InputError, match="log_z0"):
        mbar([0.0, 1.0], e, log_z0=float("nan"))


def test_mbar_thins_many_distinct_energies_by_one_stride(monkeypatch, rng):
    import isingbio.free_energy as fe

    model = edwards_anderson((3, 3), couplings="gaussian", seed=4)  # continuous energies
    lad = ExactLadder(model)
    betas = np.linspace(0.0, 1.5, 6)
    e = lad.draw(betas, 2000, rng, n_runs=2)
    full = mbar(betas, e, log_z0=lad.log_z0)
    monkeypatch.setattr(fe, "_MAX_ELEMENTS", 400)  # 256 distinct energies x 6 rungs: a stride of 4
    thin = mbar(betas, e, log_z0=lad.log_z0)
    assert thin.n_samples[0] == 2 * 500 and full.n_samples[0] == 2 * 2000
    assert thin.stderr[-1] > full.stderr[-1]
    truth = lad.log_z(1.5)
    for res in (full, thin):
        assert abs(res.log_z[-1] - truth) < 4.5 * res.stderr[-1]


def test_two_rungs_still_report_a_quadrature_error(ea, rng):
    betas = np.array([0.0, 1.0])
    ti = thermodynamic_integration(betas, ea.draw(betas, 4000, rng), log_z0=ea.log_z0)
    assert ti.quadrature_error[-1] > 0.05  # one interval of width 1 with var(H) changing a lot
    assert abs(ti.log_z[-1] - ea.log_z(1.0)) < 4.5 * ti.stderr[-1]
