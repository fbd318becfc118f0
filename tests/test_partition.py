"""isingbio.logz: the same LogZResult from AIS and from tempering, against exact values."""

import math

import numpy as np
import pytest

import isingbio
from isingbio import exact
from isingbio.cli.simulate import _tempering_ladder
from isingbio.errors import InputError
from isingbio.partition import LogZResult, default_ladder
from isingbio.spin_glass import edwards_anderson, sherrington_kirkpatrick


def _within(res, truth, k=4.5):
    assert abs(res.log_z - truth) < k * res.stderr, (res.log_z, truth, res.stderr)


@pytest.mark.parametrize(
    "model, beta",
    [
        (edwards_anderson((4, 4), couplings="pm_j", seed=5), 2.0),
        (sherrington_kirkpatrick(12, seed=3), 2.5),
    ],
    ids=["ea-4x4-pmJ-T0.5", "sk-12-T0.4"],
)
def test_tempering_both_estimators_match_enumeration(model, beta):
    res = isingbio.logz(model, beta, method="tempering", seed=1, n_sweeps=2000, n_threads=1)
    truth = exact.log_partition(model, beta)
    assert isinstance(res, LogZResult) and res.method == "tempering" and res.estimator == "mbar"
    _within(res, truth)
    assert res.log_z_ti is not None and res.stderr_ti is not None
    assert abs(res.log_z_ti - truth) < 4.5 * res.stderr_ti
    assert res.stderr < 0.05
    # log Z at every rung, against enumeration at the (adapted) rungs
    assert res.ti is not None and res.mbar is not None
    for k in (len(res.betas) // 3, 2 * len(res.betas) // 3):
        z = exact.log_partition(model, float(res.betas[k]))
        assert abs(res.mbar.log_z[k] - z) < 4.5 * res.mbar.stderr[k]
        assert abs(res.ti.log_z[k] - z) < 4.5 * res.ti.stderr[k]
    assert res.betas[0] == 0.0 and res.betas[-1] == pytest.approx(beta)
    assert res.log_z_base == pytest.approx(model.n_sites * math.log(2))


def test_tempering_matches_kaufman_on_the_torus_at_tc():
    beta = exact.ising_critical_beta()
    model = isingbio.IsingModel.lattice((8, 8))
    res = isingbio.logz(model, beta, method="tempering", seed=2, n_sweeps=3000, n_threads=1)
    _within(res, exact.ising_torus_log_partition(8, 8, beta))
    assert abs(res.log_z_ti - exact.ising_torus_log_partition(8, 8, beta)) < 4.5 * res.stderr_ti


def test_tempering_matches_the_transfer_matrix_for_potts():
    model = isingbio.PottsModel.lattice((6, 4), 3, J=1.0)
    beta = 0.9
    truth = exact.potts_transfer_log_partition(3, 4, 6, beta, periodic_width=True, periodic_length=True)
    res = isingbio.logz(model, beta, method="tempering", seed=3, n_sweeps=2000, n_threads=1)
    _within(res, truth)
    assert res.log_z_base == pytest.approx(24 * math.log(3))


def test_tempering_and_ais_agree_side_by_side():
    model = edwards_anderson((5, 5), couplings="gaussian", seed=8)
    beta = 1.5
    t = isingbio.logz(model, beta, method="tempering", seed=4, n_sweeps=2000, n_threads=1)
    a = isingbio.logz(model, beta, method="ais", seed=4, n_chains=128, n_steps=500, n_threads=1)
    for res in (t, a):
        assert isinstance(res, LogZResult)
        assert res.beta == beta and res.n_sites == 25 and np.isfinite(res.stderr)
    assert a.method == "ais" and a.estimator == "ais" and a.lower is not None and a.upper is not None
    assert a.ais is not None and a.tempering is None and t.tempering is not None and t.ais is None
    assert abs(t.log_z - a.log_z) < 4.5 * math.hypot(t.stderr, a.stderr)
    truth = exact.log_partition(model, beta)
    _within(t, truth)
    _within(a, truth)
    for res in (t, a):
        text = res.summary()
        assert "log Z" in text and f"{res.log_z:.6f}" in text


def test_same_seed_same_result_any_threads():
    model = isingbio.IsingModel.lattice((4, 4))
    a = isingbio.logz(model, 0.4, method="tempering", seed=9, n_sweeps=300, n_threads=1)
    b = isingbio.logz(model, 0.4, method="tempering", seed=9, n_sweeps=300, n_threads=2)
    assert a.log_z == b.log_z and a.seed == 9


def test_ti_estimator_and_geometric_ladder():
    model = isingbio.IsingModel.lattice((4, 4))
    res = isingbio.logz(
        model, 0.5, method="tempering", seed=5, n_sweeps=1500, estimator="ti", ladder="geometric", n_rungs=10
    )
    assert res.estimator == "ti" and res.log_z == res.log_z_ti and res.betas.size == 10
    _within(res, exact.ising_torus_log_partition(4, 4, 0.5))


def test_mbar_refused_on_a_ladder_without_overlap_and_auto_falls_back_to_ti():
    model = isingbio.IsingModel.lattice((8, 8))
    ladder = [0.0, 0.05, 0.6]
    kwargs = dict(method="tempering", seed=6, n_sweeps=300, ladder=ladder, adapt=False, n_threads=1)
    with pytest.raises(InputError, match="overlap"):
        isingbio.logz(model, 0.6, estimator="mbar", **kwargs)
    res = isingbio.logz(model, 0.6, **kwargs)
    assert res.estimator == "ti" and res.mbar is None
    assert any("MBAR skipped" in n for n in res.notes)
    assert "MBAR skipped" in res.summary()


def test_beta_zero_is_exact():
    model = isingbio.PottsModel.lattice((3, 3), 4)
    res = isingbio.logz(model, 0.0, method="tempering")
    assert res.log_z == pytest.approx(9 * math.log(4)) and res.stderr == 0.0


def test_default_ladder():
    model = isingbio.IsingModel.lattice((16, 16))
    b = default_ladder(model, 0.44)
    assert b[0] == 0.0 and b[-1] == pytest.approx(0.44) and 8 <= b.size <= 64
    assert np.all(np.diff(b) > 0)
    g = default_ladder(model, 0.44, 12, "geometric")
    assert g.size == 12 and g[0] == 0 and g[1] == pytest.approx(0.02) and np.all(np.diff(g) > 0)
    with pytest.raises(InputError, match="ladder must be one of"):
        default_ladder(model, 0.44, 12, "cubic")


def test__tempering_ladder():
    b = _tempering_ladder("1.5:3.0:4")
    assert np.all(np.diff(b) > 0) and b[0] == pytest.approx(1 / 3.0) and b[-1] == pytest.approx(1 / 1.5)
    t = 1 / b[::-1]
    assert np.allclose(t[1:] / t[:-1], t[1] / t[0])  # geometric in T
    for bad in ["1.5:3.0", "a:b:c", "3.0:1.5:4", "0:1:4", "1:2:1", "1:inf:3"]:
        with pytest.raises(InputError):
            _tempering_ladder(bad)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(method="bogus"), "ais, tempering"),
        (dict(method="tempering", n_chains=4), "unknown option"),
        (dict(method="tempering", estimator="bar"), "estimator"),
        (dict(method="tempering", ladder=[0.0, 0.2]), "from 0 to beta"),
        (dict(method="tempering", ladder=[0.0, 0.2, 0.1, 0.4]), "increase strictly"),
        (dict(method="tempering", ladder=[0.0, 0.4], n_rungs=3), "not both"),
        (dict(method="ais", method_of_ais="x"), "logz"),
    ],
)
def test_bad_options(kwargs, match):
    model = isingbio.IsingModel.lattice((4, 4))
    with pytest.raises(InputError, match=match):
        isingbio.logz(model, 0.4, **kwargs)


def test_bad_model():
    with pytest.raises(InputError, match="IsingModel or PottsModel"):
        isingbio.logz("model.npz", 0.4)  # type: ignore[arg-type]


@pytest.mark.slow
def test_tempering_error_bars_are_calibrated():
    """rms of (estimate - exact) / stderr over 16 seeds of short runs is about 1 for MBAR and TI
    (errors that ignored the correlations between rungs gave 1.2 and 1.4)."""
    model = edwards_anderson((4, 4), couplings="pm_j", seed=5)
    truth = exact.log_partition(model, 2.0)
    zm, zt = [], []
    for seed in range(16):
        res = isingbio.logz(model, 2.0, method="tempering", seed=100 + seed, n_sweeps=500, n_threads=1)
        zm.append((res.log_z_mbar - truth) / res.stderr_mbar)
        zt.append((res.log_z_ti - truth) / res.stderr_ti)
    for z in (zm, zt):
        rms = float(np.sqrt(np.mean(np.square(z))))
        assert 0.5 < rms < 1.6, rms
