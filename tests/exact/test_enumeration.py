"""Exact enumeration against brute-force numpy sums, for every model form."""

import itertools
import math

import numpy as np
import pytest
from scipy.special import logsumexp

from isingbio import InputError, IsingModel, PottsModel, TooLargeError, exact


def brute(model, beta, beta_h=None):
    """Every configuration, its log weight and energy parts, with the models' own energies."""
    beta_h = beta if beta_h is None else beta_h
    st = np.array(list(itertools.product(range(model.q), repeat=model.n_sites)))
    if isinstance(model, IsingModel):
        st = 2 * st - 1
    ej, eh = model.energy_parts(st)
    lw = -(beta * ej + beta_h * eh)
    lz = logsumexp(lw)
    return lz, st, np.exp(lw - lz), ej, eh


def random_dense(rng, L, q):
    h = rng.normal(size=(L, q))
    J = rng.normal(size=(L, L, q, q))
    J = J + J.transpose(1, 0, 3, 2)
    J[np.arange(L), np.arange(L)] = 0
    return PottsModel(h, J)


def models(rng):
    g = rng.normal(size=(6, 6)) * (rng.random((6, 6)) < 0.6)
    g = np.triu(g, 1)
    g = g + g.T
    return [
        IsingModel.lattice((3, 4), J=0.7, h=0.3),
        IsingModel.lattice((2, 3), J=[1.0, -0.5], h=rng.normal(size=(2, 3)), periodic=(True, False)),
        IsingModel.lattice(7, J=1.0, periodic=False),
        IsingModel.lattice((2, 2, 2), J=0.4),
        IsingModel.from_graph(g, h=rng.normal(size=6)),
        PottsModel.lattice((2, 3), 3, J=[0.5, 1.2], h=[0.1, 0, -0.3], periodic=(True, False)),
        PottsModel.lattice((3, 3), 3, J=-0.6),
        PottsModel.from_graph(g, 3, h=rng.normal(size=(6, 3))),
        random_dense(rng, 5, 4),
        random_dense(rng, 3, 21),
        IsingModel.lattice((3, 3), J=1.0).to_dense(),
    ]


@pytest.mark.parametrize("beta, beta_h", [(0.0, None), (0.4, None), (1.3, 0.2), (5.0, None)])
def test_against_brute_force(rng, beta, beta_h):
    for model in models(rng):
        lz, st, p, ej, eh = brute(model, beta, beta_h)
        assert exact.log_partition(model, beta, beta_h) == pytest.approx(lz, rel=1e-13, abs=1e-13)
        th = exact.thermodynamics(model, beta, beta_h)
        bh = beta if beta_h is None else beta_h
        e = ej + eh
        assert th.log_z == pytest.approx(lz, rel=1e-13, abs=1e-13)
        assert th.energy == pytest.approx(p @ e, rel=1e-11, abs=1e-11)
        assert th.energy_coupling == pytest.approx(p @ ej, rel=1e-11, abs=1e-11)
        assert th.energy_field == pytest.approx(p @ eh, rel=1e-11, abs=1e-11)
        var = p @ (e - p @ e) ** 2
        assert th.energy_variance == pytest.approx(var, rel=1e-9, abs=1e-11)
        red = beta * ej + bh * eh
        assert th.specific_heat == pytest.approx(p @ (red - p @ red) ** 2, rel=1e-9, abs=1e-11)
        mag = model.magnetization(st)
        assert th.magnetization == pytest.approx(p @ mag, rel=1e-10, abs=1e-12)
        assert th.abs_magnetization == pytest.approx(p @ np.abs(mag), rel=1e-10, abs=1e-12)
        assert th.magnetization_squared == pytest.approx(p @ mag**2, rel=1e-10, abs=1e-12)

        single, pair = exact.marginals(model, beta, beta_h)
        X = np.eye(model.q)[st if not isinstance(model, IsingModel) else (st + 1) // 2]
        np.testing.assert_allclose(single, np.einsum("n,nia->ia", p, X), atol=1e-13)
        np.testing.assert_allclose(pair, np.einsum("n,nia,njb->ijab", p, X, X), atol=1e-13)

        states, prob = exact.probabilities(model, beta, beta_h)
        np.testing.assert_array_equal(states, st)
        assert states.dtype == np.int8
        np.testing.assert_allclose(prob, p, rtol=1e-12, atol=1e-300)


def test_thread_count_does_not_change_results():
    model = PottsModel.lattice((3, 4), 3, J=0.8, h=[0.2, 0.0, -0.1])
    a = exact.thermodynamics(model, 0.7, n_threads=1)
    b = exact.thermodynamics(model, 0.7, n_threads=2)
    assert a == b
    s1, p1 = exact.marginals(model, 0.7, n_threads=1)
    s2, p2 = exact.marginals(model, 0.7, n_threads=3)
    np.testing.assert_array_equal(s1, s2)
    np.testing.assert_array_equal(p1, p2)


def test_low_temperature_stable():
    """No overflow: log Z -> -beta E_ground + log(degeneracy); the variance stays >= 0 and tiny."""
    model = IsingModel.lattice((4, 4), J=1.0)
    for beta in (50.0, 500.0):
        th = exact.thermodynamics(model, beta)
        assert th.log_z == pytest.approx(32 * beta + math.log(2), rel=1e-15)
        assert th.energy == pytest.approx(-32.0, abs=1e-12)
        assert 0.0 <= th.specific_heat < 1e-30


def test_potts_q2_is_ising():
    """delta(a, b) = (1 + s s') / 2: Potts(J) = Ising(J/2) up to exp(beta J n_bonds / 2)."""
    J, beta = 1.3, 0.7
    ising = IsingModel.lattice((3, 4), J=J / 2, h=0.25)
    potts = PottsModel.lattice((3, 4), 2, J=J, h=[-0.25, 0.25])
    n_bonds = len(potts.edges[0])
    assert exact.log_partition(potts, beta) == pytest.approx(
        exact.log_partition(ising, beta) + beta * J * n_bonds / 2, rel=1e-14
    )


def test_large_enumeration():
    """2^24 configurations (a 4 x 6 torus) agree with Kaufman to 1e-14."""
    model = IsingModel.lattice((4, 6), J=1.0)
    lz = exact.log_partition(model, 0.44)
    assert lz == pytest.approx(exact.ising_torus_log_partition(4, 6, 0.44), rel=1e-14)


def test_too_large_names_the_count():
    with pytest.raises(TooLargeError, match=r"2\^40 = 1\.1e\+12 configurations"):
        exact.log_partition(IsingModel.lattice((5, 8)), 0.3)
    with pytest.raises(TooLargeError, match=r"3\^9 = 1\.968e\+04"):
        exact.log_partition(PottsModel.lattice((3, 3), 3), 0.3, max_configurations=1000)
    with pytest.raises(TooLargeError):
        exact.probabilities(IsingModel.lattice((5, 5)), 0.3)


def test_bad_input():
    with pytest.raises(InputError):
        exact.log_partition("not a model", 1.0)
    with pytest.raises(InputError):
        exact.log_partition(IsingModel.lattice(4), -1.0)
    with pytest.raises(InputError):
        exact.log_partition(IsingModel.lattice(4), 1.0, beta_h=float("nan"))


def test_too_large_message_for_huge_models():
    """q^L past 1e308 used to raise OverflowError while formatting the message."""
    with pytest.raises(TooLargeError, match=r"2\^1600 = about 10\^482 configurations"):
        exact.log_partition(IsingModel.lattice((40, 40)), 0.4)


def test_calls_of_a_few_chunks_give_the_same_results(monkeypatch):
    # the chunks go to the kernel in calls of a fraction of a second (Ctrl-C between them):
    # calls of a single chunk must give the same numbers bit for bit
    import isingbio.exact.enumeration as en
    from isingbio.exact import marginals, probabilities, thermodynamics

    rng = np.random.default_rng(3)
    J = rng.normal(0, 0.4, size=(14, 14, 3, 3))
    J = 0.5 * (J + J.transpose(1, 0, 3, 2))
    J[np.arange(14), np.arange(14)] = 0.0
    model = PottsModel(rng.normal(0, 0.3, size=(14, 3)), J)
    small = PottsModel(model.h[:12], model.J[:12, :12])
    expected = thermodynamics(model, 0.7, n_threads=2)
    single, pair = marginals(small, 0.7, n_threads=2)
    configs, p = probabilities(small, 0.7, n_threads=2)
    monkeypatch.setattr(en, "_CALL_SECONDS", 0.0)  # every call too long: one chunk (thread) each
    calls = []
    real = en._in_calls
    monkeypatch.setattr(
        en,
        "_in_calls",
        lambda n, t, run, limit=None: real(n, t, lambda a, b: (calls.append(b - a), run(a, b))[1], limit),
    )
    got = thermodynamics(model, 0.7, n_threads=1)
    assert max(calls) <= 4 and len(calls) > 10
    assert (got.log_z, got.energy, got.specific_heat) == (expected.log_z, expected.energy, expected.specific_heat)
    s2, p2 = marginals(small, 0.7, n_threads=1)
    np.testing.assert_array_equal(s2, single)
    np.testing.assert_array_equal(p2, pair)
    c2, pp2 = probabilities(small, 0.7, n_threads=1)
    np.testing.assert_array_equal(pp2, p)
