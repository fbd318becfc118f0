"""The graph Ising kernels' table path with signs: every |J_ij| equal (+-J glasses).

Such models run integer signed neighbour sums and threshold tables (graph_impl.h, ``pm``)
instead of double local fields. Checked here: final states of many chains against the
Boltzmann distribution (chi-square) and the mean energy (z-score), on mixed degrees and on the
degree-4 and degree-6 loops, with and without a field; records equal to a fresh evaluation of the recorded
states; a beta path equal to one call per record, bit for bit, for any number of threads.
"""

import numpy as np
import pytest

from isingbio import IsingModel
from isingbio._kernels import _graph

P_MIN = 1e-6
Z_MAX = 5.5
ISING = {"metropolis": _graph.ising_metropolis, "heatbath": _graph.ising_heatbath}


def model_args(model):
    """The kernels' model arguments (used by the `run` fixture)."""
    indptr, indices, weights = model.csr
    return (indptr, indices, weights, np.ascontiguousarray(model.h, dtype=np.float64))


def pm_ring(n=6, w=0.7, h=0.3, seed=2):
    """A ring with a chord (degrees 2 and 3), couplings +-w (frustrated: 200 sweeps from random
    starts to equilibrate at w = 1.1)."""
    g = np.random.default_rng(seed)
    J = np.zeros((n, n))
    for i in range(n):
        J[i, (i + 1) % n] = J[(i + 1) % n, i] = w * g.choice([-1.0, 1.0])
    J[0, 3] = J[3, 0] = -w
    return IsingModel.from_graph(J, np.full(n, h))


def pm_torus(L=3, w=0.5, h=0.0, seed=3):
    """L x L torus with +-w couplings (every row of degree 4)."""
    g = np.random.default_rng(seed)
    idx = np.arange(L * L).reshape(L, L)
    J = np.zeros((L * L, L * L))
    for a in (0, 1):
        i, j = idx.ravel(), np.roll(idx, -1, axis=a).ravel()
        s = w * g.choice([-1.0, 1.0], size=i.size)
        J[i, j] = s
        J[j, i] = s
    return IsingModel.from_graph(J, np.full(L * L, h))


def six_regular(w=0.4, h=0.1, signed=True, seed=4):
    """The complete graph on 8 sites without a perfect matching: every row has 6 entries (the
    kernels' degree-6 loop of 3D lattices), couplings +-w or w."""
    g = np.random.default_rng(seed)
    n = 8
    J = np.triu(np.full((n, n), w), 1)
    for i in range(0, n, 2):
        J[i, i + 1] = 0.0
    if signed:
        J *= g.choice([-1.0, 1.0], size=(n, n))
    J = J + J.T
    return IsingModel.from_graph(J, np.full(n, h))


@pytest.fixture
def sample_pvalue(run, kernel_rng, state_index, boltzmann, chi2_pvalue):
    def sample_pvalue(model, kernel, beta_J, beta_h, n_chains=20000, sweeps=200, seed=1):
        g = np.random.default_rng(seed)
        x0 = (2 * g.integers(0, 2, size=(n_chains, model.n_sites)) - 1).astype(np.int8)
        out = run(kernel, model, x0, kernel_rng(n_chains, seed + 100), beta_J, beta_h, 1, sweeps)
        counts = np.bincount(state_index(model, out["states"]), minlength=2**model.n_sites)
        return chi2_pvalue(counts, boltzmann(model, beta_J, beta_h)), out

    return sample_pvalue


@pytest.mark.parametrize("method", ["metropolis", "heatbath"])
@pytest.mark.parametrize(
    "make",
    [
        lambda: pm_ring(),
        lambda: pm_ring(w=1.1, h=-0.4, seed=5),
        lambda: pm_torus(),
        lambda: pm_torus(h=0.25),
        lambda: six_regular(),
        lambda: six_regular(w=-0.3, h=0.2, signed=False),
    ],
)
def test_pm_boltzmann(make, method, energy_z, sample_pvalue):
    """+-J on mixed degrees and on the degree-4 and degree-6 loops; the last case has one
    coupling (the unsigned table path) on the degree-6 loop."""
    model = make()
    w = np.abs(model.csr[2])
    assert np.all(w == w[0])  # a table path applies
    for betas in [(1.0, 1.0), (0.6, 1.5)]:
        p, out = sample_pvalue(model, ISING[method], *betas)
        assert p > P_MIN, f"{method} betas={betas}: p = {p:.3g}"
        assert energy_z(model, out, *betas) < Z_MAX
        i, j, wij = model.couplings.edges
        s = out["states"].astype(float)
        np.testing.assert_allclose(out["e_coupling"][:, 0], -(s[:, i] * s[:, j]) @ wij, atol=1e-12)
        np.testing.assert_allclose(out["e_field"][:, 0], -s @ model.h, atol=1e-12)


@pytest.mark.parametrize("method", ["metropolis", "heatbath"])
@pytest.mark.parametrize("make", [lambda: pm_ring(h=0.2), lambda: pm_torus(L=4, h=-0.1)])
def test_pm_beta_path_equals_one_record_calls(make, method, kernel_rng):
    model = make()
    head = model_args(model)
    n_chains, thin = 5, 2
    bjp = np.array([0.2, 0.2, 0.9, 1.3, 1.3, 1.3, 0.0, 0.7])
    bhp = np.array([0.5, 0.5, 0.5, 0.1, 0.1, 0.8, 0.8, 0.8])
    n_rec = bjp.size
    g = np.random.default_rng(4)
    x0 = (2 * g.integers(0, 2, size=(n_chains, model.n_sites)) - 1).astype(np.int8)
    xs, rs = x0.copy(), kernel_rng(n_chains, 9)
    ref = [np.zeros((n_chains, n_rec)) for _ in range(3)]
    ref_st = np.zeros((n_chains, 4))
    for r in range(n_rec):
        rec = [np.zeros((n_chains, 1)) for _ in range(3)]
        ISING[method](*head, xs, rs, bjp[r], bhp[r], 1, thin, *rec, ref_st, 1)
        for a, b in zip(ref, rec):
            a[:, r] = b[:, 0]
    for n_threads in (1, 2, 3):
        x, r_ = x0.copy(), kernel_rng(n_chains, 9)
        rec = [np.zeros((n_chains, n_rec)) for _ in range(3)]
        st = np.zeros((n_chains, 4))
        ISING[method](*head, x, r_, 5.0, 5.0, n_rec, thin, *rec, st, n_threads, beta_J_path=bjp, beta_h_path=bhp)
        np.testing.assert_array_equal(x, xs)
        np.testing.assert_array_equal(r_, rs)
        for a, b in zip(rec, ref):
            np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(st, ref_st)
