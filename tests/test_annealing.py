"""Annealed importance sampling against exact partition functions.

Every comparison allows a few standard errors plus a small absolute tolerance, with fixed
seeds; the settings are cheap (tens of milliseconds to a second each).
"""

import math
import warnings

import numpy as np
import pytest

import isingbio
from isingbio.annealed_importance import AISResult, ais, base_log_partition
from isingbio.errors import InputError, SamplingWarning
from isingbio.exact import ising_torus_log_partition, potts_transfer_log_partition
from isingbio.likelihood import log_prob
from isingbio.schedules import make_schedule

BETA_C = 0.5 * math.log(1 + math.sqrt(2))


# ------------------------------------------------------------------------------------------
# exact values
# ------------------------------------------------------------------------------------------
def _enumerate_log_z(model, beta):
    """log Z by brute force (q^L configurations, all at once)."""
    n, q = model.n_sites, model.q
    codes = np.arange(q**n)
    x = np.stack([(codes // q**k) % q for k in range(n)], axis=1)
    if isinstance(model, isingbio.IsingModel):
        x = 2 * x - 1
    a = -beta * model.energy(x)
    return float(a.max() + np.log(np.exp(a - a.max()).sum())), x, a


def _kaufman(m, n, beta, J=1.0):
    return float(ising_torus_log_partition(m, n, beta, J))


def _potts_strip(q, width, length, beta, J=1.0):
    """Periodic q-state Potts strip (torus width x length) by a column transfer matrix."""
    return float(potts_transfer_log_partition(q, width, length, beta, J, 0.0, True, True))


def _check(res, exact, sigmas=4.0, tol=0.01, value=None):
    value = res.log_z if value is None else value
    assert abs(value - exact) <= sigmas * res.stderr + tol, (value, exact, res.stderr)


# ------------------------------------------------------------------------------------------
# accuracy
# ------------------------------------------------------------------------------------------
def test_ising_torus_at_tc_against_kaufman():
    model = isingbio.IsingModel.lattice((8, 8))
    exact = _kaufman(8, 8, BETA_C)
    res = ais(model, BETA_C, n_chains=128, n_steps=400, seed=11, bidirectional=True)
    _check(res, exact)
    assert res.stderr < 0.08
    # the forward estimate is a lower bound in expectation, the reverse an upper one
    assert res.log_z_forward <= exact + 4 * res.stderr_forward + 0.01
    assert res.log_z_reverse >= exact - 4 * res.stderr_reverse - 0.01
    assert res.gap == pytest.approx(res.log_z_reverse - res.log_z_forward)
    assert res.log_z_midpoint == pytest.approx(0.5 * (res.log_z_forward + res.log_z_reverse))
    # BAR: between the bounds here (they do not cross), and with a smaller error than the midpoint
    assert res.estimator == "bar"
    assert res.log_z_forward - res.stderr < res.log_z < res.log_z_reverse + res.stderr
    assert res.stderr < res.stderr_midpoint


@pytest.mark.parametrize("method", ["swendsen-wang", "metropolis"])
def test_ising_torus_other_methods(method):
    model = isingbio.IsingModel.lattice((6, 6))
    exact = _kaufman(6, 6, 0.5)
    res = ais(model, 0.5, n_chains=96, n_steps=200, method=method, seed=3)
    _check(res, exact)


def test_potts_q3_strip_against_transfer_matrix():
    beta = math.log(1 + math.sqrt(3))  # the infinite lattice's critical point
    model = isingbio.PottsModel.lattice((3, 8), 3)
    exact = _potts_strip(3, 3, 8, beta)
    res = ais(model, beta, n_chains=128, n_steps=300, seed=5, bidirectional=True)
    _check(res, exact)
    sw = ais(model, beta, n_chains=128, n_steps=300, method="swendsen-wang", seed=6)
    _check(sw, exact)


def test_random_dense_potts_against_enumeration(rng):
    L, q = 6, 3
    h = rng.normal(0, 0.5, size=(L, q))
    J = rng.normal(0, 0.5, size=(L, L, q, q))
    J = 0.5 * (J + J.transpose(1, 0, 3, 2))
    J[np.arange(L), np.arange(L)] = 0
    model = isingbio.PottsModel(h, J)
    exact, _, _ = _enumerate_log_z(model, 1.3)
    for base in ("fields", "uniform"):
        res = ais(model, 1.3, n_chains=128, n_steps=200, base=base, seed=7)
        _check(res, exact)
    res = ais(model, 1.3, n_chains=128, n_steps=200, bidirectional=True, seed=8)
    _check(res, exact)
    assert res.reverse_init.startswith("heatbath")  # dense models have no cluster moves


def test_dense_protein_sized_alphabet_q21(rng):
    L, q = 3, 21
    h = rng.normal(0, 1.0, size=(L, q))
    J = rng.normal(0, 0.5, size=(L, L, q, q))
    J = 0.5 * (J + J.transpose(1, 0, 3, 2))
    J[np.arange(L), np.arange(L)] = 0
    model = isingbio.PottsModel(h.astype(np.float32), J.astype(np.float32))
    exact, _, _ = _enumerate_log_z(model, 1.0)
    res = ais(model, 1.0, n_chains=64, n_steps=100, seed=2)
    _check(res, exact)


def test_spin_glass_graph_with_fields(rng):
    L = 12
    J = np.triu(rng.normal(0, 0.6, size=(L, L)), 1) * (rng.random((L, L)) < 0.4)
    J = J + J.T
    model = isingbio.IsingModel.from_graph(J, h=rng.normal(0, 0.5, size=L))
    exact, _, _ = _enumerate_log_z(model, 1.0)
    res = ais(model, 1.0, n_chains=128, n_steps=200, method="metropolis", seed=9)
    _check(res, exact)
    assert base_log_partition(model, 1.0) == pytest.approx(np.sum(np.log(2 * np.cosh(model.h))))


def test_lattice_with_site_fields_both_bases(rng):
    model = isingbio.IsingModel.lattice((4, 4), J=0.7, h=rng.normal(0, 0.8, size=(4, 4)))
    exact, _, _ = _enumerate_log_z(model, 1.0)
    for base in ("fields", "uniform"):
        res = ais(model, 1.0, n_chains=128, n_steps=150, base=base, seed=4)
        _check(res, exact)
    assert base_log_partition(model, 1.0, "uniform") == pytest.approx(16 * math.log(2))


def test_potts_lattice_field_base():
    model = isingbio.PottsModel.lattice((3, 3), 3, J=0.8, h=[0.5, 0.0, -0.3])
    exact, _, _ = _enumerate_log_z(model, 1.2)
    res = ais(model, 1.2, n_chains=128, n_steps=150, seed=1)
    _check(res, exact)
    per_site = math.log(sum(math.exp(1.2 * v) for v in (0.5, 0.0, -0.3)))
    assert res.log_z_base == pytest.approx(9 * per_site)


def test_auto_method_and_progress(capsys):
    ising = ais(isingbio.IsingModel.lattice((4, 4)), 0.4, n_chains=16, n_steps=60, method="auto", seed=1, progress=True)
    potts = ais(isingbio.PottsModel.lattice((3, 3), 3), 0.8, n_chains=16, n_steps=20, method="auto", seed=1)
    assert ising.method == "metropolis" and potts.method == "heatbath"
    assert "AIS" in capsys.readouterr().err


def test_graph_potts_antiferromagnetic_ring(rng):
    L = 7
    J = np.zeros((L, L))
    for i in range(L):
        J[i, (i + 1) % L] = J[(i + 1) % L, i] = -0.8  # frustrated odd ring
    model = isingbio.PottsModel.from_graph(J, 3, h=rng.normal(0, 0.3, size=(L, 3)))
    exact, _, _ = _enumerate_log_z(model, 1.5)
    res = ais(model, 1.5, n_chains=128, n_steps=100, method="auto", bidirectional=True, seed=2)
    assert res.method == "heatbath" and res.reverse_init.startswith("heatbath")
    _check(res, exact)


def test_beta_zero_and_no_couplings_are_exact():
    model = isingbio.IsingModel.lattice((4, 4), J=0.0, h=0.3)
    res = ais(model, 2.0, n_chains=8, n_steps=5, seed=1)
    assert res.log_z == pytest.approx(16 * math.log(2 * math.cosh(0.6)), abs=1e-9)
    assert res.stderr == pytest.approx(0.0, abs=1e-12)
    res0 = ais(isingbio.IsingModel.lattice((4, 4)), 0.0, n_chains=8, n_steps=5, seed=1)
    assert res0.log_z == pytest.approx(16 * math.log(2), abs=1e-12)


def test_user_reverse_states_give_an_upper_bound():
    model = isingbio.IsingModel.lattice((4, 4))
    beta = 0.5
    exact, x, a = _enumerate_log_z(model, beta)
    p = np.exp(a - a.max())
    p /= p.sum()
    draw = np.random.default_rng(0).choice(len(p), size=128, p=p)
    states = x[draw].reshape(128, 4, 4)
    res = ais(model, beta, n_chains=128, n_steps=100, reverse_states=states, seed=1)
    assert res.bidirectional and res.reverse_init == "128 given states"
    assert res.log_weights_reverse.shape == (128,)
    assert res.log_z_reverse >= exact - 4 * res.stderr_reverse - 0.005
    _check(res, exact)


def test_stderr_is_honest_over_seeds():
    """Coverage of the delta-method error bar: z-scores over independent runs."""
    model = isingbio.IsingModel.lattice((4, 4))
    exact = _kaufman(4, 4, 0.4)
    for bidirectional in (False, True):
        z = []
        for seed in range(40):
            res = ais(
                model, 0.4, n_chains=48, n_steps=30, seed=seed, bidirectional=bidirectional, equilibration_sweeps=20
            )
            z.append((res.log_z - exact) / res.stderr)
        z = np.array(z)
        assert np.mean(np.abs(z) < 2) >= 0.8, z
        assert 0.4 < np.sqrt(np.mean(z**2)) < 1.6, z
        assert abs(np.mean(z)) < 0.8, z


@pytest.mark.filterwarnings("ignore::isingbio.errors.SamplingWarning")
def test_forward_is_a_lower_and_reverse_an_upper_bound_on_average():
    """With too few steps the biases show: E[forward] < log Z < E[reverse] (exact reverse starts)."""
    model = isingbio.IsingModel.lattice((4, 4))
    beta = 0.44
    exact, x, a = _enumerate_log_z(model, beta)
    p = np.exp(a - a.max())
    p /= p.sum()
    draw = np.random.default_rng(1)
    lower, upper = [], []
    for seed in range(60):
        states = x[draw.choice(len(p), size=8, p=p)]
        res = ais(model, beta, n_chains=8, n_steps=2, reverse_states=states, seed=seed)
        lower.append(res.log_z_forward)
        upper.append(res.log_z_reverse)
    lower, upper = np.array(lower), np.array(upper)
    assert lower.mean() + 3 * lower.std() / np.sqrt(60) < exact
    assert upper.mean() - 3 * upper.std() / np.sqrt(60) > exact


def test_bootstrap_agrees_with_delta_method():
    model = isingbio.IsingModel.lattice((6, 6))
    res = ais(model, 0.4, n_chains=128, n_steps=100, seed=2)
    assert res.bootstrap_stderr(500, seed=1) == pytest.approx(res.stderr, rel=0.3)


# ------------------------------------------------------------------------------------------
# schedules
# ------------------------------------------------------------------------------------------
def test_make_schedule_shapes():
    lin = make_schedule("linear", 10)
    assert lin.shape == (11,) and lin[0] == 0 and lin[-1] == 1 and np.allclose(np.diff(lin), 0.1)
    sig = make_schedule("sigmoid", 100)
    assert sig[0] == 0 and sig[-1] == 1 and np.all(np.diff(sig) > 0)
    assert np.diff(sig)[0] < np.diff(sig)[50]  # small steps at the ends
    user = make_schedule([0, 0.5, 0.5, 1])
    assert user.tolist() == [0, 0.5, 0.5, 1]


def test_adaptive_schedule_concentrates_near_the_transition():
    model = isingbio.IsingModel.lattice((8, 8))
    res = ais(model, 0.5, n_chains=64, n_steps=300, schedule="adaptive", method="swendsen-wang", seed=1)
    s = res.schedule
    assert s.shape == (301,) and s[0] == 0 and s[-1] == 1 and np.all(np.diff(s) >= 0)
    steps = np.diff(s)
    near = (s[1:] * 0.5 > 0.38) & (s[1:] * 0.5 < 0.48)
    low = s[1:] * 0.5 < 0.2
    assert steps[near].mean() < 0.8 * steps[low].mean()
    assert res.schedule_name == "adaptive"
    _check(res, _kaufman(8, 8, 0.5))


def test_user_schedule_array():
    model = isingbio.IsingModel.lattice((4, 4))
    s = np.linspace(0, 1, 61) ** 2
    res = ais(model, 0.4, n_chains=64, schedule=s, seed=3)
    assert res.n_steps == 60 and res.schedule_name == "user"
    _check(res, _kaufman(4, 4, 0.4))


# ------------------------------------------------------------------------------------------
# warnings, results, reproducibility
# ------------------------------------------------------------------------------------------
def test_ess_collapse_warns():
    model = isingbio.IsingModel.lattice((8, 8))
    with pytest.warns(SamplingWarning, match="effective sample size"):
        res = ais(model, 0.6, n_chains=64, n_steps=3, seed=1)
    assert res.ess < 6.4


def test_no_warning_for_a_good_run():
    model = isingbio.IsingModel.lattice((4, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("error", SamplingWarning)
        ais(model, 0.3, n_chains=64, n_steps=100, seed=1, bidirectional=True)


def test_bounds_disagreeing_warns():
    """Reverse AIS from states far from equilibrium gives an 'upper bound' below the lower one."""
    model = isingbio.IsingModel.lattice((8, 8))
    ordered = np.ones((64, 8, 8), dtype=np.int8)
    with pytest.warns(SamplingWarning, match="bounds disagree"):
        ais(model, 0.25, n_chains=64, n_steps=50, reverse_states=ordered, seed=1)


def test_result_contents():
    model = isingbio.IsingModel.lattice((4, 4))
    res = ais(model, 0.4, n_chains=32, n_steps=50, seed=1, bidirectional=True)
    assert isinstance(res, AISResult)
    assert res.log_weights.shape == (32,)
    assert res.trace.shape == (51, 32) and res.trace_steps.tolist() == list(range(51))
    assert np.allclose(res.trace[0], res.log_z_base)
    assert np.allclose(res.trace[-1], res.log_weights)
    b, est, se = res.running_estimate()
    assert b[0] == 0 and b[-1] == pytest.approx(0.4)
    assert est[0] == pytest.approx(16 * math.log(2)) and est[-1] == pytest.approx(res.log_z_forward)
    assert 1 <= res.ess <= 32 and 1 <= res.ess_reverse <= 32
    assert res.trace_reverse.shape == (51, 32)
    assert "log Z" in res.summary() and "reverse (upper)" in res.summary()
    assert res.bounds == (res.log_z_forward, res.log_z_reverse)
    assert "AISResult" in repr(res)
    long = ais(model, 0.4, n_chains=4, n_steps=3000, seed=1)
    assert long.trace.shape[0] <= 1001 and long.trace_steps[-1] == 3000


@pytest.mark.filterwarnings("ignore::isingbio.errors.SamplingWarning")
def test_same_seed_same_result_whatever_threads():
    model = isingbio.IsingModel.lattice((8, 8), h=0.1)
    a = ais(model, 0.4, n_chains=64, n_steps=40, seed=123, n_threads=1, bidirectional=True)
    b = ais(model, 0.4, n_chains=64, n_steps=40, seed=123, n_threads=2, bidirectional=True)
    assert a.log_z == b.log_z and np.array_equal(a.log_weights, b.log_weights)
    assert np.array_equal(a.log_weights_reverse, b.log_weights_reverse)
    c = ais(model, 0.4, n_chains=64, n_steps=40, seed=124, n_threads=1)
    assert c.log_z != a.log_z
    assert a.seed == 123
    g1 = ais(model, 0.4, n_chains=16, n_steps=10, seed=np.random.default_rng(5))
    g2 = ais(model, 0.4, n_chains=16, n_steps=10, seed=np.random.default_rng(5))
    assert g1.log_z == g2.log_z
    again = ais(model, 0.4, n_chains=16, n_steps=10, seed=g1.seed)
    assert again.log_z == g1.log_z


# ------------------------------------------------------------------------------------------
# log_prob
# ------------------------------------------------------------------------------------------
def test_log_prob_normalised(rng):
    model = isingbio.PottsModel.lattice((2, 3), 3, J=0.5, h=[0.2, 0.0, -0.1])
    exact, x, _ = _enumerate_log_z(model, 0.9)
    lp = log_prob(model, x, exact, beta=0.9)
    assert lp.shape == (3**6,)
    assert np.exp(lp).sum() == pytest.approx(1.0)
    res = ais(model, 0.9, n_chains=32, n_steps=20, seed=1)
    single = log_prob(model, x[5].reshape(2, 3), res, beta=0.9)
    assert isinstance(single, float)
    assert single == pytest.approx(-0.9 * model.energy(x[5]) - res.log_z)
    with pytest.raises(InputError, match="beta"):
        log_prob(model, x[:2], res, beta=1.0)


# ------------------------------------------------------------------------------------------
# bad input
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(beta=-1.0), "beta"),
        (dict(n_chains=0), "n_chains"),
        (dict(n_steps=0), "n_steps"),
        (dict(sweeps_per_step=0), "sweeps_per_step"),
        (dict(schedule="cubic"), "schedule"),
        (dict(schedule=[0.1, 1.0]), "start at 0"),
        (dict(schedule=[0.0, 0.7, 0.5, 1.0]), "non-decreasing"),
        (dict(schedule=[0.0, np.nan, 1.0]), "non-finite"),
        (dict(schedule=[[0.0, 1.0]]), "1-D"),
        (dict(base="gaussian"), "base"),
        (dict(method="gibbs-sampler"), "method"),
        (dict(reverse_states=np.ones((3, 5))), "reverse_states"),
        (dict(reverse_states=np.full((2, 16), 2)), "spins"),
        (dict(seed="abc"), "seed"),
        (dict(schedule={"a": 1}), "schedule"),
    ],
)
def test_bad_input(kwargs, match):
    model = isingbio.IsingModel.lattice((4, 4))
    args = dict(n_chains=4, n_steps=5)
    args.update(kwargs)
    beta = args.pop("beta", 0.4)
    with pytest.raises(InputError, match=match):
        ais(model, beta, **args)


def test_bad_model_and_method():
    with pytest.raises(InputError, match="IsingModel or PottsModel"):
        ais("not a model")
    dense = isingbio.IsingModel.lattice((2, 2)).to_dense()
    with pytest.raises(InputError, match="does not apply"):
        ais(dense, 1.0, n_chains=2, n_steps=2, method="swendsen-wang")
    with pytest.raises(InputError, match="log_z"):
        log_prob(dense, np.zeros(4, dtype=int), float("nan"))


# ------------------------------------------------------------------------------------------
# regressions
# ------------------------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore::isingbio.errors.SamplingWarning")
def test_wolff_forward_weights_are_unbiased():
    """E[exp(w)] = Z/Z_0 holds only if every move leaves its own p_s invariant. The Wolff
    sampler calibrates its clusters per sweep by moving the chains once, at the target beta,
    on first use; that move used to land on the base draws before the first step (+0.8 nats
    here with 4 steps, where the error bar is 0.04)."""
    model = isingbio.PottsModel.lattice((2, 3), 3, J=0.9, h=[0.3, 0.0, -0.4])
    exact, _, _ = _enumerate_log_z(model, 1.0)
    res = ais(model, 1.0, n_chains=4000, n_steps=4, method="wolff", seed=1)
    _check(res, exact, tol=0.005, value=res.log_z_forward)


def test_log_prob_takes_beta_from_the_ais_result():
    model = isingbio.IsingModel.lattice((3, 3), h=0.2)
    exact, x, _ = _enumerate_log_z(model, 0.6)
    res = ais(model, 0.6, n_chains=32, n_steps=20, seed=1)
    lp = log_prob(model, x, res)  # beta = res.beta, not 1
    assert np.allclose(lp, -0.6 * model.energy(x) - res.log_z)
    assert abs(np.log(np.exp(lp).sum()) + res.log_z - exact) < 4 * res.stderr + 0.01
    assert np.allclose(log_prob(model, x, exact, beta=0.6), -0.6 * model.energy(x) - exact)
    with pytest.raises(InputError, match="beta"):
        log_prob(model, x, res, beta=1.0)
