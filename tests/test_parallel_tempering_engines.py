"""Parallel tempering on the lattice replica engine and with cluster moves (issue 9): per-rung
mean energies within 5 autocorrelation-aware standard errors of exact enumeration, identical
bits for any thread count and any split of a run into calls, and the cluster methods refused
where they do not apply. Fixed seeds: a correct sampler passes, a wrong table or rung fails."""

import importlib

import numpy as np
import pytest
import scipy.sparse as sp

from isingbio import IsingModel, PottsModel, exact
from isingbio.errors import UnsupportedMethodError
from isingbio.parallel_tempering import TemperingSampler, tempering

tempering_module = importlib.import_module("isingbio.parallel_tempering")
REPLICA, CLUSTER = tempering_module._MODE_REPLICA, tempering_module._MODE_CLUSTER


def assert_rungs_exact(res, model, label):
    for k, beta in enumerate(res.betas):
        exact_e = exact.thermodynamics(model, beta).energy
        est = res.estimate("energy", k)
        # a frozen rung (every record in the ground state: stderr 0) is within 1e-3 of it
        tol = 5 * est.stderr if est.stderr > 0 else 1e-3
        assert abs(est.mean - exact_e) < tol, f"{label} rung {k} beta={beta:.3f}: {est} vs {exact_e:.4f}"
        assert est.stderr < 0.05 * max(1.0, abs(exact_e))  # the test has power


def ea_torus(L, seed):
    rng = np.random.default_rng(seed)
    idx = np.arange(L * L).reshape(L, L)
    i = np.concatenate([idx.ravel(), idx.ravel()])
    j = np.concatenate([np.roll(idx, -1, axis=0).ravel(), np.roll(idx, -1, axis=1).ravel()])
    J = sp.coo_matrix((rng.choice([-1.0, 1.0], size=i.size), (i, j)), shape=(L * L, L * L))
    return IsingModel.from_graph((J + J.T).tocsr())


def ferro_potts_graph(n, q, seed):
    rng = np.random.default_rng(seed)
    J = sp.random(n, n, density=0.5, random_state=seed, data_rvs=lambda k: rng.uniform(0.2, 1.0, size=k))
    J = sp.triu(J + J.T, 1)
    return PottsModel.from_graph((J + J.T).tocsr(), q, h=rng.normal(scale=0.3, size=(n, q)))


REPLICA_MODELS = {
    "ising 4x4 anisotropic + field": lambda: IsingModel.lattice((4, 4), J=(1.0, 0.6), h=0.15),
    "ising 3x4 open": lambda: IsingModel.lattice((3, 4), periodic=False),
    "ising 2x2x3": lambda: IsingModel.lattice((2, 2, 3)),
    "ising chain 12": lambda: IsingModel.lattice((12,), h=-0.3),
    "potts q=3 3x3": lambda: PottsModel.lattice((3, 3), 3),
    "potts q=4 2x4 + field": lambda: PottsModel.lattice((2, 4), 4, h=[0.3, 0.0, -0.2, 0.1]),
}


@pytest.mark.parametrize("method", ["metropolis", "heatbath"])
@pytest.mark.parametrize("name", list(REPLICA_MODELS))
def test_replica_engine_rungs_match_enumeration(name, method):
    model = REPLICA_MODELS[name]()
    sampler = TemperingSampler(model, [0.1, 0.35, 0.6, 0.9, 1.3], method=method, n_runs=4, seed=21)
    assert sampler._mode == REPLICA  # the path under test
    res = sampler.run(20000, burn_in=500, adapt=True)
    assert_rungs_exact(res, model, f"{name} {method}")


def test_replica_engine_is_not_used_where_it_does_not_apply():
    per_site = IsingModel.lattice((4, 4), h=np.linspace(-0.5, 0.5, 16))
    assert TemperingSampler(per_site, [0.2, 0.5])._mode == 0  # per-site field: graph form
    res = tempering(per_site, [0.2, 0.5, 0.9], 20000, n_runs=4, burn_in=500, seed=3)
    assert_rungs_exact(res, per_site, "per-site field")


CLUSTER_MODELS = {
    "ising 4x4": lambda: IsingModel.lattice((4, 4), J=(1.0, 0.6)),
    "ising 4x4 + field": lambda: IsingModel.lattice((4, 4), h=0.2),
    "ising EA graph": lambda: ea_torus(4, seed=3),
    "potts q=3 3x3": lambda: PottsModel.lattice((3, 3), 3),
    "potts q=3 graph + fields": lambda: ferro_potts_graph(8, 3, seed=4),
}


@pytest.mark.parametrize("method", ["swendsen-wang", "wolff"])
@pytest.mark.parametrize("name", list(CLUSTER_MODELS))
def test_cluster_rungs_match_enumeration(name, method):
    model = CLUSTER_MODELS[name]()
    sampler = TemperingSampler(model, [0.1, 0.3, 0.5, 0.8, 1.2], method=method, n_runs=4, seed=22)
    assert sampler._mode == CLUSTER
    res = sampler.run(10000, burn_in=400, adapt=True)
    assert_rungs_exact(res, model, f"{name} {method}")
    if method == "wolff":
        assert np.all(sampler._wolff_k >= 1)  # calibrated once, then fixed


def test_energies_and_order_track_the_states():
    for model, method in [
        (IsingModel.lattice((4, 4), h=0.3), "metropolis"),
        (PottsModel.lattice((3, 3), 3, h=[0.2, 0.0, 0.0]), "heatbath"),
        (IsingModel.lattice((4, 4), h=0.3), "wolff"),
        (PottsModel.lattice((3, 3), 3), "swendsen-wang"),
    ]:
        sampler = TemperingSampler(model, [0.1, 0.5, 1.0], method=method, n_runs=2, seed=3)
        res = sampler.run(50, burn_in=20, return_states=True, record_states=True)
        x = res.recorded_states.reshape(-1, model.n_sites)
        np.testing.assert_allclose(res.energy.ravel(), model.energy(x), atol=1e-9)
        flat = res.states.reshape(-1, model.n_sites)
        np.testing.assert_allclose(res.energy[:, :, -1].ravel(), model.energy(flat), atol=1e-9)
        if isinstance(model, IsingModel):
            np.testing.assert_allclose(res.magnetization.ravel(), x.mean(axis=1), atol=1e-12)


def _fingerprint(res):
    return res.energy.tobytes() + res.magnetization.tobytes() + res.states.tobytes() + res.betas.tobytes()


@pytest.mark.parametrize(
    "make, method, n_runs",
    [
        # 7 x 5 = 35 chains: a full block of 32 and a narrow block of 3 (scalar loop)
        (lambda: IsingModel.lattice((4, 4), J=(1.0, 0.5)), "metropolis", 7),
        (lambda: IsingModel.lattice((3, 3, 2), h=0.1), "heatbath", 7),
        (lambda: PottsModel.lattice((3, 4), 3), "metropolis", 8),
        (lambda: PottsModel.lattice((4, 4), 4), "heatbath", 2),
        (lambda: IsingModel.lattice((4, 4), h=0.1), "swendsen-wang", 3),
        (lambda: IsingModel.lattice((4, 4)), "wolff", 3),
        (lambda: PottsModel.lattice((3, 4), 3), "wolff", 3),
        (lambda: ea_torus(4, seed=2), "swendsen-wang", 3),
        (lambda: ferro_potts_graph(8, 3, seed=5), "wolff", 3),
    ],
)
def test_same_bits_for_any_thread_count_and_chunking(make, method, n_runs, monkeypatch):
    model = make()
    kw = dict(method=method, n_runs=n_runs, burn_in=80, seed=5, adapt=True, return_states=True, swap_every=2, thin=3)
    betas = [0.1, 0.3, 0.5, 0.8, 1.2]
    ref = tempering(model, betas, 300, n_threads=1, **kw)
    monkeypatch.setattr(tempering_module, "_WORK_PER_THREAD", 1.0)  # threads even on tiny rounds
    assert _fingerprint(tempering(model, betas, 300, n_threads=2, **kw)) == _fingerprint(ref)
    monkeypatch.setattr(tempering_module, "_CHUNK_WORK", 1.0)  # a call every sweep or so
    again = tempering(model, betas, 300, n_threads=2, **kw)
    assert _fingerprint(again) == _fingerprint(ref)
    assert again.round_trips == ref.round_trips
    np.testing.assert_array_equal(again.swap_acceptance, ref.swap_acceptance)


def test_sampler_continues_between_runs():
    for method in ["metropolis", "wolff"]:
        model = PottsModel.lattice((4, 4), 3)
        one = TemperingSampler(model, [0.3, 0.7, 1.1], method=method, n_runs=2, seed=9, n_threads=1)
        one.burn(100)
        whole = one.run(300)
        two = TemperingSampler(model, [0.3, 0.7, 1.1], method=method, n_runs=2, seed=9, n_threads=1)
        two.burn(100)
        first, second = two.run(120), two.run(180)
        np.testing.assert_array_equal(np.concatenate([first.energy, second.energy], axis=2), whole.energy)
        np.testing.assert_array_equal(two.states, one.states)


@pytest.mark.parametrize(
    "make, method, match",
    [
        (lambda: PottsModel.lattice((3, 3), 3, J=-1.0), "wolff", "ferromagnetic"),
        (lambda: PottsModel.from_graph(sp.csr_matrix(-np.ones((4, 4)) + np.eye(4)), 3), "sw", "ferromagnetic"),
        (lambda: PottsModel(np.zeros((4, 3)), np.zeros((4, 4, 3, 3))), "wolff", "dense"),
        (lambda: IsingModel.lattice((3, 3)), "cluster", "unknown method"),
    ],
)
def test_cluster_methods_refused_where_they_do_not_apply(make, method, match):
    with pytest.raises(UnsupportedMethodError, match=match) as exc:
        tempering(make(), [0.2, 0.5], 10, method=method)
    assert "\n" not in str(exc.value)


def test_cached_tables_give_the_same_bits_as_tables_built_per_call():
    model = PottsModel.lattice((4, 4), 3)
    runs = []
    for cache in (True, False):
        sampler = TemperingSampler(model, [0.2, 0.5, 0.8, 1.1], n_runs=2, seed=4, n_threads=1)
        if not cache:
            sampler._tables = None
        sampler.burn(200, adapt=True)  # moves the inner rungs: their cached tables are rebuilt
        runs.append(sampler.run(300, return_states=True))
    assert _fingerprint(runs[0]) == _fingerprint(runs[1])


@pytest.mark.parametrize("method", ["metropolis", "heatbath", "swendsen-wang", "wolff"])
def test_ising_torus_rungs_match_kaufman(method):
    """8x12 torus (96 sites, beyond enumeration) across T_c: Kaufman's exact energies."""
    model = IsingModel.lattice((8, 12))
    betas = np.linspace(0.3, 0.6, 6)
    res = tempering(model, betas, 6000, method=method, n_runs=4, burn_in=1000, adapt=False, seed=31)
    for k, beta in enumerate(res.betas):
        exact_e = exact.ising_torus_thermodynamics(8, 12, beta).energy
        est = res.estimate("energy", k)
        assert abs(est.mean - exact_e) < 5 * est.stderr, f"{method} rung {k} beta={beta:.3f}: {est} vs {exact_e:.4f}"
        assert est.stderr < 0.01 * abs(exact_e)


@pytest.mark.parametrize("method", ["metropolis", "heatbath", "swendsen-wang", "wolff"])
def test_potts_strip_rungs_match_the_transfer_matrix(method):
    """q = 3 Potts on a 6 x 4 torus across its transition: transfer-matrix energies."""
    model = PottsModel.lattice((6, 4), 3)
    betas = np.linspace(0.6, 1.4, 5)
    res = tempering(model, betas, 8000, method=method, n_runs=4, burn_in=1000, adapt=False, seed=32)
    for k, beta in enumerate(res.betas):
        exact_e = exact.potts_transfer_thermodynamics(3, 4, 6, beta).energy
        est = res.estimate("energy", k)
        assert abs(est.mean - exact_e) < 5 * est.stderr, f"{method} rung {k} beta={beta:.3f}: {est} vs {exact_e:.4f}"
