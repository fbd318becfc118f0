"""Parallel tempering against exact enumeration: per-rung energies, the joint law of a ladder,
a trap that plain Metropolis cannot leave, and bit-identical results for any thread count and
any split of a run into calls. Thresholds are 5 autocorrelation-aware standard errors with
fixed seeds, so a correct sampler passes and a wrong swap rule fails."""

import importlib
import inspect
import os
import signal
import threading
import time

import numpy as np
import pytest
import scipy.sparse as sp

import isingbio
from isingbio import IsingModel, PottsModel, exact
from isingbio.errors import InputError, UnsupportedMethodError
from isingbio.ladders import geometric_ladder
from isingbio.parallel_tempering import TemperingSampler, tempering

tempering_module = importlib.import_module("isingbio.parallel_tempering")


def ea_torus(L, seed):
    """+-J Edwards-Anderson glass on an L x L torus, as a graph model."""
    rng = np.random.default_rng(seed)
    idx = np.arange(L * L).reshape(L, L)
    i = np.concatenate([idx.ravel(), idx.ravel()])
    j = np.concatenate([np.roll(idx, -1, axis=0).ravel(), np.roll(idx, -1, axis=1).ravel()])
    w = rng.choice([-1.0, 1.0], size=i.size)
    J = sp.coo_matrix((w, (i, j)), shape=(L * L, L * L))
    return IsingModel.from_graph((J + J.T).tocsr())


def sk_model(n, seed, h=None):
    """Sherrington-Kirkpatrick: Gaussian J_ij / sqrt(n) on the complete graph."""
    rng = np.random.default_rng(seed)
    J = np.triu(rng.normal(size=(n, n)) / np.sqrt(n), 1)
    return IsingModel.from_graph(sp.csr_matrix(J + J.T), h=h)


def dense_potts(n, q, seed, dtype=np.float64):
    rng = np.random.default_rng(seed)
    J = rng.normal(scale=0.6, size=(n, n, q, q))
    J = 0.5 * (J + J.transpose(1, 0, 3, 2))
    J[np.arange(n), np.arange(n)] = 0.0
    h = rng.normal(scale=0.3, size=(n, q))
    return PottsModel(h.astype(dtype), J.astype(dtype))


def assert_rungs_exact(res, model, label):
    for k, beta in enumerate(res.betas):
        exact_e = exact.thermodynamics(model, beta).energy
        est = res.estimate("energy", k)
        assert abs(est.mean - exact_e) < 5 * est.stderr, f"{label} rung {k} beta={beta:.3f}: {est} vs {exact_e:.4f}"
        assert est.stderr < 0.05 * max(1.0, abs(exact_e))  # the test has power


@pytest.mark.parametrize("method", ["metropolis", "heatbath"])
def test_ea_torus_every_rung_matches_enumeration(method):
    model = ea_torus(4, seed=3)
    res = tempering(
        model, geometric_ladder(0.2, 2.5, 8), 20000, method=method, n_runs=4, burn_in=1000, seed=11, adapt=False
    )
    assert res.energy.shape == (4, 8, 20000)
    assert np.all(np.diff(res.betas) > 0)
    assert np.all(res.swap_acceptance > 0.05)
    assert res.round_trips > 10
    assert_rungs_exact(res, model, f"EA {method}")


def test_sk_low_temperature_every_rung_matches_enumeration():
    model = sk_model(12, seed=5)
    res = tempering(model, geometric_ladder(0.3, 3.0, 10), 20000, n_runs=4, burn_in=2000, seed=12)
    assert_rungs_exact(res, model, "SK")


def test_sk_with_field_and_beta_zero_rung():
    model = sk_model(10, seed=6, h=np.linspace(-0.5, 0.5, 10))
    res = tempering(model, [0.0, 0.5, 1.0, 2.0], 20000, n_runs=4, burn_in=1000, seed=13, adapt=False)
    assert res.betas[0] == 0.0
    assert_rungs_exact(res, model, "SK + field")


@pytest.mark.parametrize("method", ["metropolis", "heatbath"])
def test_potts_graph_and_lattice_rungs_match_enumeration(method):
    lattice = PottsModel.lattice((3, 3), 3)
    res = tempering(lattice, [0.3, 0.7, 1.1, 1.5], 20000, method=method, n_runs=4, burn_in=500, seed=14)
    assert_rungs_exact(res, lattice, f"Potts lattice {method}")
    rng = np.random.default_rng(2)
    J = sp.random(8, 8, density=0.5, random_state=3, data_rvs=lambda k: rng.normal(size=k))
    graph = PottsModel.from_graph(sp.triu(J + J.T, 1) + sp.triu(J + J.T, 1).T, 3, h=rng.normal(size=(8, 3)))
    res = tempering(graph, [0.2, 0.8, 1.6], 20000, method=method, n_runs=4, burn_in=500, seed=15)
    assert_rungs_exact(res, graph, f"Potts graph {method}")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("method", ["metropolis", "heatbath"])
def test_dense_potts_rungs_match_enumeration(method, dtype):
    model = dense_potts(6, 3, seed=4, dtype=dtype)
    res = tempering(model, [0.25, 0.6, 1.0, 1.6], 15000, method=method, n_runs=4, burn_in=500, seed=16)
    assert_rungs_exact(res, model, f"dense {method} {np.dtype(dtype).name}")


def test_tempering_escapes_a_trap_plain_metropolis_does_not():
    """A 4x4 ferromagnet in a weak field, started against the field at low temperature: plain
    Metropolis stays in the metastable state (its mean energy misses the exact value by many
    errors), the lowest rung of a ladder with the same budget of site updates does not."""
    model = IsingModel.lattice((4, 4), h=-0.1)
    betas = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.7, 1.0, 1.4, 2.0])
    exact_e = exact.thermodynamics(model, betas[-1]).energy
    n_sweeps, n_runs = 4000, 4
    # same budget: the ladder's chains x sweeps, all spent at the lowest temperature
    plain = isingbio.sample(
        model, betas[-1], n_sweeps, n_chains=n_runs * betas.size, init="ordered", seed=21, n_threads=1
    )
    # the ladder started ordered too
    sampler = TemperingSampler(model, betas, n_runs=n_runs, seed=21, init="ordered", n_threads=1)
    res = sampler.run(n_sweeps, burn_in=200)
    plain_est, pt_est = plain.estimate("energy"), res.estimate("energy", -1)
    assert abs(plain_est.mean - exact_e) > 10 * max(plain_est.stderr, 0.01), f"plain {plain_est} vs {exact_e}"
    assert abs(pt_est.mean - exact_e) < 5 * pt_est.stderr, f"tempering {pt_est} vs {exact_e}"


def test_swaps_keep_the_joint_law_of_a_two_rung_ladder(chi_square):
    """Chi-square of the joint (rung 0, rung 1) configurations against the product of the exact
    laws, on a frustrated triangle with a field; thinned so records are nearly independent."""
    J = np.array([[0, -1.0, 0.7], [-1.0, 0, 1.2], [0.7, 1.2, 0]])
    model = IsingModel.from_graph(J, h=[0.3, -0.2, 0.1])
    betas = np.array([0.4, 1.3])
    configs, p0 = exact.probabilities(model, betas[0])
    _, p1 = exact.probabilities(model, betas[1])
    joint_configs = np.concatenate(
        [np.repeat(configs, len(configs), axis=0), np.tile(configs, (len(configs), 1))], axis=1
    )
    joint_p = np.outer(p0, p1).ravel()
    sampler = TemperingSampler(model, betas, n_runs=4, seed=31, n_threads=1)
    res = sampler.run(40000, burn_in=100, thin=4, record_states=True)
    assert res.swap_acceptance[0] > 0.2
    x = res.recorded_states  # (runs, rungs, records, n)
    samples = np.concatenate([x[:, 0], x[:, 1]], axis=2).reshape(-1, 6)
    assert chi_square(joint_configs, joint_p, samples) > 1e-3


def _fingerprint(res):
    return res.energy.tobytes() + res.magnetization.tobytes() + res.states.tobytes()


@pytest.mark.parametrize(
    "make",
    [
        lambda: ea_torus(4, seed=1),
        lambda: sk_model(9, seed=2),
        lambda: IsingModel.lattice((4, 4), J=(1.0, 0.5)),
        lambda: PottsModel.lattice((3, 4), 3),
        lambda: dense_potts(5, 3, seed=3),
        lambda: dense_potts(5, 3, seed=3, dtype=np.float32),
    ],
)
def test_same_bits_for_any_thread_count_and_chunking(make, monkeypatch):
    model = make()
    kw = dict(n_runs=3, burn_in=60, seed=5, adapt=True, return_states=True, swap_every=2, thin=3)
    ref = tempering(model, [0.2, 0.5, 0.9, 1.4], 300, n_threads=1, **kw)
    # threads: also the threaded path (swap rounds long enough to share)
    monkeypatch.setattr(tempering_module, "_WORK_PER_THREAD", 1.0)
    assert _fingerprint(tempering(model, [0.2, 0.5, 0.9, 1.4], 300, n_threads=2, **kw)) == _fingerprint(ref)
    # chunking: a call every few sweeps
    monkeypatch.setattr(tempering_module, "_CHUNK_WORK", 1.0)
    again = tempering(model, [0.2, 0.5, 0.9, 1.4], 300, n_threads=2, **kw)
    assert _fingerprint(again) == _fingerprint(ref)
    np.testing.assert_array_equal(again.betas, ref.betas)
    assert again.round_trips == ref.round_trips
    np.testing.assert_array_equal(again.swap_acceptance, ref.swap_acceptance)


def test_same_bits_with_many_lane_blocks(monkeypatch):
    """The +-J path across chains with more chains than one block of SIMD lanes (10 x 4 = 40),
    blocks split among 2 threads, against one thread and one call."""
    model = ea_torus(4, seed=7)
    kw = dict(n_runs=10, burn_in=20, seed=8, adapt=False, return_states=True)
    ref = tempering(model, [0.2, 0.6, 1.0, 1.5], 200, n_threads=1, **kw)
    monkeypatch.setattr(tempering_module, "_WORK_PER_THREAD", 1.0)
    monkeypatch.setattr(tempering_module, "_CHUNK_WORK", 1.0)
    assert _fingerprint(tempering(model, [0.2, 0.6, 1.0, 1.5], 200, n_threads=2, **kw)) == _fingerprint(ref)
    assert np.all(ref.overlap_samples.shape == (45, 4, 200))


def test_ctrl_c_stops_a_long_run_promptly():
    """Python sees Ctrl-C between kernel calls, each a fraction of a second of work."""
    model = sk_model(150, seed=1)
    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    start = time.perf_counter()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        tempering(model, geometric_ladder(0.2, 2.0, 16), 200_000, seed=1, n_threads=1)  # a minute of work
    timer.cancel()
    assert time.perf_counter() - start < 10


def test_sampler_continues_between_runs():
    model = ea_torus(4, seed=2)
    betas = geometric_ladder(0.3, 2.0, 5)
    one = TemperingSampler(model, betas, n_runs=2, seed=9, n_threads=1)
    whole = one.run(400)
    two = TemperingSampler(model, betas, n_runs=2, seed=9, n_threads=1)
    first, second = two.run(150), two.run(250)
    np.testing.assert_array_equal(np.concatenate([first.energy, second.energy], axis=2), whole.energy)
    np.testing.assert_array_equal(two.states, one.states)
    assert two.n_sweeps_done == 400


def test_energies_track_the_states():
    model = sk_model(10, seed=8, h=np.full(10, 0.2))
    sampler = TemperingSampler(model, [0.1, 0.5, 1.0], n_runs=2, seed=3)
    res = sampler.run(200, return_states=True, record_states=True)
    np.testing.assert_allclose(res.energy[:, :, -1], model.energy(res.states), atol=1e-9)
    np.testing.assert_allclose(res.energy, model.energy(res.recorded_states), atol=1e-9)
    np.testing.assert_allclose(res.magnetization, res.recorded_states.mean(axis=-1), atol=1e-12)


def test_overlap_between_runs():
    model = ea_torus(4, seed=4)
    res = tempering(model, [0.3, 1.0, 2.0], 500, n_runs=3, seed=1, return_states=True)
    q = res.overlap(2)
    assert q.shape == (3, 500)
    assert np.all(np.abs(q) <= 1)
    # the last record's overlap from the final states
    s = res.states[:, 2].astype(float)
    np.testing.assert_allclose(q[:, -1], [s[0] @ s[1] / 16, s[0] @ s[2] / 16, s[1] @ s[2] / 16])
    density, edges = res.overlap_distribution(2)
    assert np.isclose((density * np.diff(edges)).sum(), 1.0)
    single = tempering(model, [0.3, 1.0], 10, seed=1)
    with pytest.raises(InputError, match="n_runs >= 2"):
        single.overlap(0)


def test_adaptive_ladder_is_frozen_after_burn_in_and_evens_acceptance():
    model = ea_torus(4, seed=5)
    betas = np.linspace(0.1, 3.0, 8)  # linear: acceptance far from even
    res0 = tempering(model, betas, 3000, burn_in=0, seed=2, adapt=True)
    np.testing.assert_array_equal(res0.betas, betas)  # no burn-in: nothing to adapt
    res = tempering(model, betas, 3000, burn_in=4000, seed=2, adapt=True, n_runs=2)
    assert res.betas[0] == betas[0] and res.betas[-1] == betas[-1]
    assert np.std(res.swap_acceptance) < np.std(res0.swap_acceptance)
    fb = tempering(model, betas, 1000, burn_in=4000, seed=2, adapt="feedback", n_runs=2)
    assert np.all(np.diff(fb.betas) > 0)


def test_result_summary_and_estimates():
    res = tempering(IsingModel.lattice((4, 4)), [0.2, 0.4], 300, seed=1, n_runs=2)
    text = res.summary()
    assert "round trips" in text and "rung" in text
    assert len(res.estimates("magnetization2")) == 2
    assert res.specific_heat(1) > 0
    assert res.temperatures[0] == pytest.approx(5.0)
    with pytest.raises(InputError, match="observable"):
        res.estimate("nope", 0)
    with pytest.raises(InputError, match="rung"):
        res.estimate("energy", 5)
    for bad in (1.7, "1", True):  # not silently truncated or converted
        with pytest.raises(InputError, match="rung"):
            res.estimate("energy", bad)
    assert res.estimate("energy", np.int64(1)).mean == res.estimate("energy", 1).mean


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(betas=[0.5, 0.2]), InputError, "increasing"),
        (dict(betas=[-0.1, 0.2]), InputError, ">= 0"),
        (dict(betas=[]), InputError, "at least one"),
        (dict(method="nope"), UnsupportedMethodError, "unknown method"),
        (dict(adapt="sometimes"), InputError, "adapt"),
        (dict(n_runs=0), InputError, "n_runs"),
    ],
)
def test_bad_inputs_are_one_line_errors(kwargs, exc, match):
    args = dict(betas=[0.2, 0.5], burn_in=10)
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        tempering(IsingModel.lattice((3, 3)), n_sweeps=10, **args)


def test_exported_from_the_package():
    assert isingbio.tempering is tempering
    assert "betas" in inspect.signature(isingbio.tempering).parameters
    res = isingbio.tempering(IsingModel.lattice((3, 3)), [0.2, 0.5], 5, seed=1)
    assert isinstance(res, isingbio.TemperingResult)
    assert isingbio.TemperingSampler is TemperingSampler
    assert isingbio.TemperingResult.__name__ == "TemperingResult"
