"""Spin-glass constructors: couplings, geometry, reproducibility, validation."""

import numpy as np
import pytest

from isingbio import IsingModel
from isingbio.errors import InputError
from isingbio.spin_glass import edwards_anderson, sherrington_kirkpatrick


@pytest.mark.parametrize("shape, periodic, n_bonds", [((8,), True, 8), ((4, 4), True, 32), ((3, 3, 3), False, 54)])
def test_edwards_anderson_geometry_and_couplings(shape, periodic, n_bonds):
    model = edwards_anderson(shape, seed=1, periodic=periodic)
    i, j, w = model.edges
    assert model.form == "graph" and model.n_sites == int(np.prod(shape))
    assert len(w) == n_bonds and set(np.abs(w)) == {1.0}
    # the same bonds as the ferromagnetic lattice of that shape
    ferro = IsingModel.lattice(shape, periodic=periodic)
    fi, fj, _ = ferro.edges
    assert set(zip(i.tolist(), j.tolist())) == set(zip(fi.tolist(), fj.tolist()))


def test_energy_follows_the_sign_convention():
    model = edwards_anderson((4, 4), couplings="gaussian", seed=3, field=0.5)
    s = np.random.default_rng(0).choice([-1, 1], size=16)
    i, j, w = model.edges
    assert model.energy(s) == pytest.approx(-np.sum(w * s[i] * s[j]) - 0.5 * s.sum())


def test_pm_j_is_balanced_and_gaussian_is_normal():
    w = edwards_anderson((32, 32), seed=2).edges[2]
    assert abs(w.mean()) < 4 / np.sqrt(w.size)
    g = edwards_anderson((32, 32), couplings="gaussian", seed=2).edges[2]
    assert abs(g.mean()) < 4 / np.sqrt(g.size) and abs(g.std() - 1) < 0.05


def test_same_seed_same_instance_and_seed_recorded():
    a = edwards_anderson((4, 4, 4), couplings="gaussian", seed=11)
    b = edwards_anderson((4, 4, 4), couplings="gaussian", seed=11)
    c = edwards_anderson((4, 4, 4), couplings="gaussian", seed=12)
    assert np.array_equal(a.edges[2], b.edges[2]) and not np.array_equal(a.edges[2], c.edges[2])
    assert a.metadata["seed"] == 11 and a.metadata["spin_glass"] == "edwards_anderson"
    d = edwards_anderson((4, 4, 4), couplings="gaussian")  # fresh entropy, recorded
    e = edwards_anderson((4, 4, 4), couplings="gaussian", seed=d.metadata["seed"])
    assert np.array_equal(d.edges[2], e.edges[2])


def test_periodic_side_of_two_adds_two_bonds():
    model = edwards_anderson((2, 3), couplings="gaussian", seed=2)
    assert len(model.edges[0]) == 9  # 3 doubled vertical pairs + 6 horizontal bonds


def test_sherrington_kirkpatrick():
    model = sherrington_kirkpatrick(64, seed=4)
    i, j, w = model.edges
    assert len(w) == 64 * 63 // 2
    assert abs(np.std(w) * np.sqrt(64) - 1) < 0.1
    pm = sherrington_kirkpatrick(10, couplings="pm_j", seed=4)
    assert np.abs(pm.edges[2]) == pytest.approx(np.full(45, 1 / np.sqrt(10)))
    assert np.array_equal(sherrington_kirkpatrick(10, seed=9).edges[2], sherrington_kirkpatrick(10, seed=9).edges[2])


def test_dense_sk_is_the_same_law():
    from isingbio import exact

    graph = sherrington_kirkpatrick(8, seed=6)
    dense = sherrington_kirkpatrick(8, seed=6, form="dense")
    assert dense.form == "dense" and dense.q == 2 and dense.metadata["seed"] == 6
    assert exact.log_partition(dense, 1.3) == pytest.approx(exact.log_partition(graph, 1.3), rel=1e-12)


def test_saved_instance_keeps_its_recipe(tmp_path):
    from isingbio.io import load_model

    model = edwards_anderson((4, 4), seed=5)
    model.save(tmp_path / "ea.npz")
    back = load_model(tmp_path / "ea.npz")
    assert np.array_equal(back.edges[2], model.edges[2]) and back.metadata["seed"] == 5


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: edwards_anderson((4, 4), couplings="cauchy"), "pm_j, gaussian"),
        (lambda: edwards_anderson((4, 4, 4, 4)), "1, 2 or 3 dimensions"),
        (lambda: edwards_anderson((1, 4)), "side 0 must be >= 2"),
        (lambda: edwards_anderson((1,), periodic=False), "at least 2"),
        (lambda: edwards_anderson("4x4"), "tuple of integers"),
        (lambda: edwards_anderson((4, 4), periodic=(True,)), "one bool per axis"),
        (lambda: edwards_anderson((4, 4), field=float("nan")), "field must be finite"),
        (lambda: sherrington_kirkpatrick(1), ">= 2"),
        (lambda: sherrington_kirkpatrick(4.5), "integer"),
        (lambda: sherrington_kirkpatrick(8, couplings="cauchy"), "pm_j, gaussian"),
        (lambda: sherrington_kirkpatrick(8, form="sparse"), "'graph' or 'dense'"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(InputError, match=match):
        call()
