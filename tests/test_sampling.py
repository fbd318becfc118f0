"""The public sampling API against exact answers.

Distribution-level tests: many independent chains, one record each after enough sweeps,
a chi-square test of the state histogram against the exact Boltzmann distribution from
enumeration (bins with small expected counts pooled, p threshold 1e-6, fixed seeds).
"""

import numpy as np
import pytest

import isingbio
from isingbio import InputError, IsingModel, PottsModel, Sampler, UnsupportedMethodError, exact, sample

METHODS = ["metropolis", "heatbath", "swendsen-wang", "wolff"]


def random_graph(rng, n, density=0.6, signed=True):
    J = np.triu(rng.normal(size=(n, n)) * (rng.random((n, n)) < density), 1)
    if not signed:
        J = np.abs(J)
    return J + J.T


def models_for(method, rng):
    """Small models of every form to which `method` applies."""
    out = [
        ("ising lattice 3x3 torus", IsingModel.lattice((3, 3), J=(0.6, -0.4), h=0.2), 0.9),
        (
            "ising lattice 2x4 torus, site field",
            IsingModel.lattice((2, 4), J=0.5, h=rng.normal(scale=0.4, size=(2, 4))),
            1.0,
        ),
        ("ising graph", IsingModel.from_graph(random_graph(rng, 7), h=rng.normal(scale=0.5, size=7)), 0.8),
        ("potts lattice 3x3 q=3", PottsModel.lattice((3, 3), 3, J=0.7, h=[0.3, 0.0, -0.2]), 1.0),
        (
            "potts graph q=3",
            PottsModel.from_graph(random_graph(rng, 6, signed=False), 3, h=rng.normal(scale=0.5, size=(6, 3))),
            1.0,
        ),
    ]
    if method in ("metropolis", "heatbath"):
        h = rng.normal(scale=0.5, size=(4, 3))
        J = rng.normal(scale=0.5, size=(4, 4, 3, 3))
        J = J + J.transpose(1, 0, 3, 2)
        J[np.arange(4), np.arange(4)] = 0
        out.append(("dense q=3 float64", PottsModel(h, J), 1.0))
        out.append(("dense q=3 float32", PottsModel(h.astype(np.float32), J.astype(np.float32)), 1.0))
    return out


@pytest.mark.parametrize("method", ["metropolis", "heatbath", "swendsen-wang", "wolff"])
def test_samples_follow_the_boltzmann_distribution(method, rng, chi_square):
    for name, model, beta in models_for(method, rng):
        res = sample(model, beta, 1, method=method, n_chains=4000, burn_in=300, seed=7)
        p = chi_square(*exact.probabilities(model, beta), res.final_states)
        assert p > 1e-6, f"{method} on {name}: chi-square p = {p:.2e}"
        # the recorded series are the energies and order parameter of the recorded states
        np.testing.assert_allclose(res.energy[:, -1], model.energy(res.final_states), atol=1e-4)
        np.testing.assert_allclose(res.magnetization[:, -1], model.magnetization(res.final_states), atol=1e-12)


def test_a_wrong_temperature_is_detected(rng, chi_square):
    """The chi-square test has power: samples at beta = 1.0 do not pass for beta = 0.8."""
    model = IsingModel.lattice((3, 3), J=0.6, h=0.2)
    res = sample(model, 1.0, 1, method="heatbath", n_chains=4000, burn_in=300, seed=3)
    assert chi_square(*exact.probabilities(model, 0.8), res.final_states) < 1e-6


def test_mean_energy_matches_enumeration_within_error(rng):
    model = IsingModel.lattice((4, 4))
    beta = 0.44
    exact_e = exact.thermodynamics(model, beta).energy
    for method in ("metropolis", "heatbath", "swendsen-wang", "wolff"):
        res = sample(model, beta, 4000, method=method, n_chains=4, burn_in=200, seed=11)
        est = res.estimate("energy")
        assert abs(est.mean - exact_e) < 5 * est.stderr, f"{method}: {est} vs exact {exact_e}"


def test_same_seed_same_result_whatever_the_threads():
    model = IsingModel.lattice((16, 16))
    for method in ("metropolis", "heatbath", "swendsen-wang", "wolff"):
        a = sample(model, 0.44, 50, method=method, n_chains=5, seed=42, n_threads=1)
        b = sample(model, 0.44, 50, method=method, n_chains=5, seed=42, n_threads=2)
        np.testing.assert_array_equal(a.final_states, b.final_states)
        np.testing.assert_array_equal(a.energy, b.energy)
        assert a.seed == b.seed == 42
    c = sample(model, 0.44, 50, n_chains=5, seed=43)
    assert not np.array_equal(a.final_states, c.final_states)


def test_generator_seed_and_recorded_seed_reproduce():
    model = PottsModel.lattice((8, 8), 3)
    a = sample(model, 1.0, 20, method="heatbath", seed=np.random.default_rng(5))
    b = sample(model, 1.0, 20, method="heatbath", seed=a.seed)
    np.testing.assert_array_equal(a.final_states, b.final_states)


@pytest.mark.parametrize(
    "model",
    [
        IsingModel.lattice((8, 8)),
        IsingModel.lattice((5, 7)),
        PottsModel.lattice((10,), 3),
        PottsModel.lattice((3, 5), 4),
    ],
    ids=["ising 8x8", "ising 5x7", "potts 1D", "potts 3x5"],
)
@pytest.mark.parametrize("method", METHODS)
def test_sampler_continues_its_chains(model, method):
    """Two runs in a row give exactly what one run of the same length gives."""
    one = Sampler(model, 0.4, method=method, n_chains=3, seed=9)
    first = one.run(30)
    second = one.run(20)
    both = Sampler(model, 0.4, method=method, n_chains=3, seed=9).run(50)
    np.testing.assert_array_equal(second.final_states, both.final_states)
    np.testing.assert_array_equal(np.hstack([first.energy, second.energy]), both.energy)
    assert one.n_sweeps_done == 50


def test_sampler_states_and_beta_can_be_set():
    model = IsingModel.lattice((6, 6))
    sampler = Sampler(model, 0.1, n_chains=2, seed=1)
    sampler.states = np.ones((6, 6), dtype=np.int8)
    np.testing.assert_array_equal(sampler.states, np.ones((2, 6, 6)))
    sampler.beta = 5.0  # deep in the ordered phase the all-up state stays put
    res = sampler.run(10)
    assert np.all(res.magnetization > 0.9)
    sampler.beta_coupling = 0.0
    assert sampler.beta_field == 5.0
    with pytest.raises(InputError, match="differ"):
        _ = sampler.beta


def test_thin_and_records():
    model = IsingModel.lattice((8, 8))
    res = sample(model, 0.3, 25, thin=10, n_chains=2, burn_in=5, seed=1, return_states=True)
    assert res.energy.shape == (2, 2)
    assert res.states.shape == (2, 2, 8, 8)
    np.testing.assert_allclose(res.energy, model.energy(res.states))
    assert res.tau_int() >= 0.5 * 10


def test_summary_reports_what_a_physicist_wants():
    model = IsingModel.lattice((8, 8))
    text = sample(model, 0.44, 200, n_chains=2, seed=1).summary()
    for word in (
        "energy per site",
        "magnetization",
        "tau_int",
        "acceptance rate",
        "specific heat",
        "site updates per ns",
    ):
        assert word in text
    text = sample(model, 0.44, 200, method="wolff", seed=1).summary()
    assert "mean cluster size" in text


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(beta=-1.0), InputError, "negative"),
        (dict(beta=float("nan")), InputError, "finite"),
        (dict(n_chains=0), InputError, "n_chains must be >= 1"),
        (dict(method="glauber"), UnsupportedMethodError, "unknown method"),
        (dict(thin=0), InputError, "thin must be >= 1"),
        (dict(init="hot"), InputError, "init must be"),
        (dict(init=np.zeros(16)), InputError, "spins"),
        (dict(seed=-3), ValueError, "non-negative"),
    ],
)
def test_bad_arguments(kwargs, error, message):
    args = dict(model=IsingModel.lattice((4, 4)), beta=0.5, n_sweeps=10)
    args.update(kwargs)
    with pytest.raises(error, match=message):
        sample(**args)


def test_cluster_methods_refuse_what_they_cannot_do(rng):
    h = np.zeros((3, 2))
    dense = PottsModel(h, np.zeros((3, 3, 2, 2)))
    with pytest.raises(UnsupportedMethodError, match="metropolis, heatbath"):
        sample(dense, 1.0, 10, method="swendsen-wang")
    anti = PottsModel.lattice((4, 4), 3, J=-1.0)
    with pytest.raises(UnsupportedMethodError, match="ferromagnetic"):
        sample(anti, 1.0, 10, method="wolff")


def test_top_level_api():
    assert isingbio.__version__
    cfg = isingbio.build_config()
    assert {"openmp", "cython_version", "cores_available"} <= set(cfg)


@pytest.mark.parametrize(
    "model",
    [
        IsingModel.lattice((6, 6), h=0.1),
        PottsModel.lattice((5, 5), 3),
        IsingModel.from_graph(np.eye(5, k=1) + np.eye(5, k=-1)),
        PottsModel(np.zeros((4, 3)), np.zeros((4, 4, 3, 3))),
    ],
    ids=["ising lattice", "potts lattice", "ising graph", "dense"],
)
def test_anneal_equals_one_step_at_a_time(model):
    """Sampler.anneal along a path gives exactly what setting beta and running each step gives."""
    path_J = np.linspace(0.0, 0.6, 7)
    path_h = np.linspace(0.6, 0.3, 7)
    a = Sampler(model, 0.5, method="heatbath", n_chains=3, seed=4)
    e_c, e_f = a.anneal(path_J, path_h, thin=2)
    b = Sampler(model, 0.5, method="heatbath", n_chains=3, seed=4)
    for k, (bj, bh) in enumerate(zip(path_J, path_h)):
        b.beta_coupling, b.beta_field = bj, bh
        res = b.run(2, thin=2)
        np.testing.assert_array_equal(e_c[:, k], res.energy_coupling[:, 0])
        np.testing.assert_array_equal(e_f[:, k], res.energy_field[:, 0])
    np.testing.assert_array_equal(a.states, b.states)
    assert (a.beta_coupling, a.beta_field) == (path_J[-1], path_h[-1])
    assert a.n_sweeps_done == 14


def test_return_states_matches_records():
    model = PottsModel.lattice((5, 4), 3)
    res = sample(model, 0.9, 40, thin=4, n_chains=3, seed=2, return_states=True)
    assert res.states.shape == (3, 10, 5, 4)
    np.testing.assert_allclose(res.energy, model.energy(res.states))
    np.testing.assert_array_equal(res.states[:, -1], res.final_states)


def test_wolff_burn_in_sets_clusters_per_sweep_from_burnt_in_states():
    """From a random start in the ordered phase the first clusters are tiny; burn-in sweeps
    build clusters until N sites, and the count per recorded sweep is calibrated after them
    (not N / (a few sites), which would make every sweep flip the system thousands of times)."""
    from isingbio import IsingModel, Sampler

    sampler = Sampler(IsingModel.lattice((64, 64)), 1 / 2.0, method="wolff", seed=3)
    sampler.burn(50)
    res = sampler.run(20)
    assert sampler._clusters_per_sweep <= 2
    assert res.estimate("abs_magnetization").mean > 0.85
