"""Mean energies against exact finite-size results (Kaufman's torus, Potts transfer matrices).

Each check is mean +/- an autocorrelation-aware standard error; a 5-sigma threshold with
fixed seeds, so a correct sampler passes and a biased one (e.g. a wrong acceptance rule,
which shifts energies by many sigma at these run lengths) fails.
"""

import numpy as np
import pytest

from isingbio import IsingModel, PottsModel, exact, sample

METHODS = ["metropolis", "heatbath", "swendsen-wang", "wolff"]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("shape, temperature", [((8, 8), 2.269185314213022), ((5, 7), 2.0), ((12, 6), 3.0)])
def test_ising_torus_energy_matches_kaufman(method, shape, temperature):
    m, n = shape
    beta = 1 / temperature
    exact_e = exact.ising_torus_thermodynamics(m, n, beta).energy
    model = IsingModel.lattice(shape)
    # ordered start below T_c: single-flip chains from random starts can sit in stripe states
    init = "ordered" if temperature < 2.269 else "random"
    res = sample(model, beta, 6000, method=method, n_chains=4, burn_in=500, init=init, seed=2024)
    est = res.estimate("energy")
    assert abs(est.mean - exact_e) < 5 * est.stderr, f"{method} {shape} T={temperature}: {est} vs {exact_e:.4f}"
    assert est.stderr < 0.01 * abs(exact_e)  # the test has power


@pytest.mark.parametrize("method", METHODS)
def test_potts_q3_torus_energy_matches_transfer_matrix(method):
    width, length, beta = 4, 6, np.log(1 + np.sqrt(3))
    exact_e = exact.potts_transfer_thermodynamics(3, width, length, beta).energy
    model = PottsModel.lattice((length, width), 3)
    res = sample(model, beta, 6000, method=method, n_chains=4, burn_in=500, seed=7)
    est = res.estimate("energy")
    assert abs(est.mean - exact_e) < 5 * est.stderr, f"{method}: {est} vs {exact_e:.4f}"


@pytest.mark.parametrize("method", ["metropolis", "heatbath"])
def test_potts_strip_with_field_matches_transfer_matrix(method):
    h = np.array([0.3, 0.0, -0.1])
    exact_e = exact.potts_transfer_thermodynamics(3, 3, 5, 0.8, J=1.0, h=h, periodic_width=False).energy
    model = PottsModel.lattice((5, 3), 3, h=h, periodic=(True, False))
    res = sample(model, 0.8, 6000, method=method, n_chains=4, burn_in=500, seed=5)
    est = res.estimate("energy")
    assert abs(est.mean - exact_e) < 5 * est.stderr, f"{method}: {est} vs {exact_e:.4f}"


def test_methods_agree_on_a_larger_torus():
    """Cross-method agreement where enumeration is impossible (32 x 32 near T_c)."""
    model = IsingModel.lattice((32, 32))
    beta = 0.42
    exact_e = exact.ising_torus_thermodynamics(32, 32, beta).energy
    for method in ["swendsen-wang", "wolff", "metropolis"]:
        res = sample(model, beta, 3000, method=method, n_chains=2, burn_in=300, seed=1)
        est = res.estimate("energy")
        assert abs(est.mean - exact_e) < 5 * est.stderr, f"{method}: {est} vs {exact_e:.3f}"


def _final_state_pvalue(model, beta, method, n_chains=4000, burn_in=30, seed=5):
    """Chi-square p-value of the final states of many independent chains against enumeration."""
    import scipy.stats as sps

    states, p = exact.probabilities(model, beta)
    res = sample(model, beta, 1, method=method, n_chains=n_chains, burn_in=burn_in, seed=seed)
    x = res.final_states.reshape(n_chains, -1).astype(np.int64)
    if isinstance(model, IsingModel):
        x = (x + 1) // 2
    index = np.ravel_multi_index(x.T, (model.q,) * model.n_sites)
    counts = np.bincount(index, minlength=p.size)
    expected = p * n_chains
    big = expected >= 5
    obs = np.append(counts[big], counts[~big].sum())
    exp_ = np.append(expected[big], expected[~big].sum())
    keep = exp_ > 0
    return sps.chisquare(obs[keep], exp_[keep]).pvalue


def _ring(n):
    return IsingModel.lattice((n,)).coupling_matrix.toarray()


@pytest.mark.parametrize(
    "name, model",
    [
        ("lattice ring 4", IsingModel.lattice((4,))),  # split engine
        ("lattice ring 5", IsingModel.lattice((5,))),  # general engine (odd side)
        ("lattice 3x3", IsingModel.lattice((3, 3))),
        ("graph ring 5", IsingModel.from_graph(_ring(5))),
        ("dense ring 5", IsingModel.from_graph(_ring(5)).to_dense()),
        ("potts q=2 ring 6", PottsModel.lattice((6,), 2)),
        ("potts q=2 graph ring 5", PottsModel.from_graph(_ring(5), 2)),
    ],
)
@pytest.mark.parametrize("beta", [0.0, 1.0])
def test_metropolis_is_ergodic_on_zero_field_rings(name, model, beta):
    """Zero-field rings have configurations (+ + - - on a ring of 4, every state at beta = 0)
    in which every site sits at a tie; if ties were always accepted, a fixed visiting order
    would cycle them deterministically for ever and many chains would never equilibrate."""
    assert _final_state_pvalue(model, beta, "metropolis") > 1e-6


@pytest.mark.parametrize(
    "model",
    [PottsModel.lattice((2, 3), 3, J=0.9, h=[0.3, 0.0, -0.4]), IsingModel.lattice((3, 3), J=0.6, h=0.2)],
    ids=["potts", "ising"],
)
def test_first_wolff_sweep_keeps_the_distribution(model):
    """Chains drawn from p stay distributed as p after the first sweep (which calibrates K)."""
    from isingbio import Sampler

    x, p = exact.probabilities(model, 1.0)
    energies = model.energy(x)
    rng = np.random.default_rng(11)
    n = 40000
    start = x[rng.choice(p.size, size=n, p=p)]
    sampler = Sampler(model, 1.0, method="wolff", n_chains=n, init=start, seed=12)
    e = np.asarray(sampler.run(1).energy).ravel()
    mean = float(p @ energies)
    sd = float(np.sqrt(p @ (energies - mean) ** 2))
    assert abs(e.mean() - mean) < 5 * sd / np.sqrt(n)
