"""Helpers shared by the kernel tests, as fixtures that return functions.

Exact enumeration of tiny models (all states, Boltzmann probabilities, one-sweep transition
matrices), the kernels' generator states, a wrapper that runs a record-writing kernel into
freshly allocated outputs, a chi-square test on histograms and energy z-scores.
"""

import itertools

import numpy as np
import pytest
from scipy import stats as sps

from isingbio import IsingModel


def _kernel_rng(n_chains, seed):
    return np.random.default_rng(seed).integers(0, 2**64, size=(n_chains, 32), dtype=np.uint64)


def _run_records(head, kernel, model, states, rng, beta_J, beta_h=None, n_records=1, thin=1, n_threads=1):
    """Call a kernel with freshly allocated outputs; returns them in a dict.

    head(model) gives the kernel's model arguments (those before `states`).
    """
    beta_h = beta_J if beta_h is None else beta_h
    n_chains = states.shape[0]
    out = dict(
        e_coupling=np.full((n_chains, n_records), np.nan),
        e_field=np.full((n_chains, n_records), np.nan),
        magnetization=np.full((n_chains, n_records), np.nan),
        stats=np.zeros((n_chains, 4)),
    )
    kernel(
        *head(model),
        states,
        rng,
        beta_J,
        beta_h,
        n_records,
        thin,
        out["e_coupling"],
        out["e_field"],
        out["magnetization"],
        out["stats"],
        n_threads,
    )
    out["states"], out["rng"] = states, rng
    return out


def _all_states(model):
    """All q**n configurations, in lexicographic order (Ising spins as -1/+1)."""
    x = np.array(list(itertools.product(range(model.q), repeat=model.n_sites)), dtype=np.int8)
    return 2 * x - 1 if isinstance(model, IsingModel) else x


def _state_index(model, states):
    """Row index in _all_states(model) of each state."""
    x = (states + 1) // 2 if isinstance(model, IsingModel) else states
    return x.astype(np.int64) @ (model.q ** np.arange(model.n_sites - 1, -1, -1))


def _boltzmann(model, beta_J, beta_h):
    e_j, e_h = model.energy_parts(_all_states(model))
    logp = -(beta_J * e_j + beta_h * e_h)
    p = np.exp(logp - logp.max())
    return p / p.sum()


def _energy_z(model, out, beta_J, beta_h):
    """z-scores of the recorded mean H_J and H_h against their exact expectations.

    Far more sensitive than the histogram to a slightly wrong temperature.
    """
    p = _boltzmann(model, beta_J, beta_h)
    zs = []
    for exact, key in zip(model.energy_parts(_all_states(model)), ("e_coupling", "e_field")):
        mean = p @ exact
        var = p @ (exact - mean) ** 2
        sample = out[key][:, -1]
        if var <= 1e-300:  # a constant part (e.g. H_h with h = 0): it must be exact
            np.testing.assert_allclose(sample, mean, atol=1e-12)
            continue
        zs.append(abs(sample.mean() - mean) / np.sqrt(var / sample.size))
    return max(zs)


def _chi2_pvalue(counts, probs, min_expected=5.0):
    """Chi-square p-value with the low-expectation bins pooled (in increasing order)."""
    counts = np.asarray(counts, dtype=float)
    expected = np.asarray(probs, dtype=float) * counts.sum()
    assert np.all(counts[expected == 0] == 0), "a state of probability zero was sampled"
    order = np.argsort(expected)
    groups, ge, go = [], 0.0, 0.0
    for ei, oi in zip(expected[order], counts[order]):
        ge += ei
        go += oi
        if ge >= min_expected:
            groups.append((ge, go))
            ge, go = 0.0, 0.0
    if ge > 0:  # left-over small mass: merge into the last group
        groups[-1] = (groups[-1][0] + ge, groups[-1][1] + go)
    ge, go = np.array(groups).T
    if len(ge) < 2:
        return 1.0
    return sps.chisquare(go, ge).pvalue


def _sweep_matrix(model, method, beta_J, beta_h):
    """Exact transition matrix of one sequential sweep (site 0 first)."""
    xs = _all_states(model)
    n, q = model.n_sites, model.q
    e_j, e_h = model.energy_parts(xs)
    E = beta_J * e_j + beta_h * e_h
    values = np.array([-1, 1]) if isinstance(model, IsingModel) else np.arange(q)
    index = {tuple(x): k for k, x in enumerate(xs)}
    T = np.eye(len(xs))
    for i in range(n):
        Ti = np.zeros_like(T)
        for k, x in enumerate(xs):
            others = []
            for v in values:
                y = x.copy()
                y[i] = v
                others.append(index[tuple(y)])
            if method == "heatbath":
                w = np.exp(-(E[others] - E[others].min()))
                Ti[k, others] += w / w.sum()
            else:
                for m in others:
                    if m != k:
                        de = E[m] - E[k]
                        # q = 2 (forced proposal): a tie is accepted with probability 1/2
                        acc = 0.5 if q == 2 and abs(de) <= 1e-9 else min(1.0, np.exp(-de))
                        Ti[k, m] = acc / (q - 1)
                Ti[k, k] = 1.0 - Ti[k].sum()
        T = T @ Ti
    return T, xs


@pytest.fixture
def kernel_rng():
    """kernel_rng(n_chains, seed): seeded (n_chains, 32) uint64 generator states."""
    return _kernel_rng


@pytest.fixture
def run(request):
    """run(kernel, model, states, rng, beta_J, beta_h=None, n_records=1, thin=1, n_threads=1)
    -> dict of records, stats, states and rng. The kernel's model arguments come from the
    test module's model_args(model)."""
    head = request.module.model_args
    return lambda *args, **kw: _run_records(head, *args, **kw)


@pytest.fixture
def all_states():
    """all_states(model): every configuration, lexicographic order."""
    return _all_states


@pytest.fixture
def state_index():
    """state_index(model, states): row of each state in all_states(model)."""
    return _state_index


@pytest.fixture
def boltzmann():
    """boltzmann(model, beta_J, beta_h): exact probabilities of all_states(model)."""
    return _boltzmann


@pytest.fixture
def energy_z():
    """energy_z(model, out, beta_J, beta_h): largest z-score of the recorded mean energies."""
    return _energy_z


@pytest.fixture
def chi2_pvalue():
    """chi2_pvalue(counts, probs, min_expected=5.0): chi-square p-value, bins pooled."""
    return _chi2_pvalue


@pytest.fixture
def sweep_matrix():
    """sweep_matrix(model, method, beta_J, beta_h) -> (T, all_states(model))."""
    return _sweep_matrix
