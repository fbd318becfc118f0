"""AIS on graph models, whose kernel runs a whole annealing path in one OpenMP region (issue 9).

The graph kernels (isingbio._kernels._graph) take a path of inverse temperatures per call and
split the chains among the threads once for the whole path; these tests check log Z against
exact values on graph models that take each kernel path (Ising integer tables, with signs for
+-J, Ising double fields, Potts tables), the same bits for any number of threads (also with
more threads than chains and uneven splits), and that the sampler treats the graph kernels as
one region per call.
"""

import math

import numpy as np
import pytest
import scipy.sparse as sp

import isingbio
from isingbio import IsingModel, PottsModel
from isingbio._kernels import _graph
from isingbio.annealed_importance import ais
from isingbio.exact import ising_torus_log_partition

from .test_tempering import ea_torus

BETA_C = 0.5 * math.log(1 + math.sqrt(2))


def _enumerate_log_z(model, beta):
    n, q = model.n_sites, model.q
    codes = np.arange(q**n)
    x = np.stack([(codes // q**k) % q for k in range(n)], axis=1)
    if isinstance(model, IsingModel):
        x = 2 * x - 1
    a = -beta * model.energy(x)
    return float(a.max() + np.log(np.exp(a - a.max()).sum()))


def _gauss_graph(L, seed):
    """The same torus with Gaussian couplings."""
    pm = ea_torus(L, seed).coupling_matrix.tocoo()
    g = np.random.default_rng(seed)
    keep = pm.row < pm.col
    i, j = pm.row[keep], pm.col[keep]
    J = sp.coo_matrix((g.normal(size=i.size), (i, j)), shape=pm.shape)
    return IsingModel.from_graph((J + J.T).tocsr())


def _check(res, exact, sigmas=4.0, tol=0.01):
    assert abs(res.log_z - exact) <= sigmas * res.stderr + tol, (res.log_z, exact, res.stderr)


@pytest.mark.parametrize("method", ["metropolis", "heatbath"])
def test_ising_torus_graph_against_kaufman(method):
    """Uniform couplings: the integer-table path, one table per step of the path."""
    model = IsingModel.from_graph(IsingModel.lattice((4, 4)).coupling_matrix)
    assert model.couplings.form == "graph"
    res = ais(model, BETA_C, n_chains=128, n_steps=300, method=method, seed=3, n_threads=2)
    _check(res, float(ising_torus_log_partition(4, 4, BETA_C, 1.0)))


@pytest.mark.parametrize("gaussian", [False, True])
def test_glass_graph_against_enumeration(gaussian):
    """+-J couplings: the signed integer-table path; Gaussian couplings: the double-field path."""
    model = _gauss_graph(4, seed=2) if gaussian else ea_torus(4, seed=2)
    res = ais(model, 1.2, n_chains=128, n_steps=400, method="metropolis", seed=4, n_threads=2)
    _check(res, _enumerate_log_z(model, 1.2))


@pytest.mark.parametrize("method", ["metropolis", "heatbath"])
def test_potts_graph_against_enumeration(method):
    """q = 3 Potts torus as a graph: the Potts table path, each thread building its own table
    at every step."""
    model = PottsModel.from_graph(PottsModel.lattice((3, 3), 3).coupling_matrix, 3)
    res = ais(model, 1.1, n_chains=128, n_steps=300, method=method, seed=5, n_threads=2)
    _check(res, _enumerate_log_z(model, 1.1))


@pytest.mark.parametrize(
    "model",
    [
        IsingModel.from_graph(IsingModel.lattice((4, 4)).coupling_matrix),
        ea_torus(4, seed=1),
        _gauss_graph(4, seed=1),
        PottsModel.from_graph(PottsModel.lattice((3, 3), 4).coupling_matrix, 4),
    ],
    ids=["ising-table", "ising-pm-table", "ising-general", "potts-table"],
)
def test_ais_same_bits_for_one_and_two_threads(model):
    a = ais(model, 0.9, n_chains=24, n_steps=60, seed=7, n_threads=1, bidirectional=True)
    b = ais(model, 0.9, n_chains=24, n_steps=60, seed=7, n_threads=2, bidirectional=True)
    assert np.array_equal(a.log_weights, b.log_weights)
    assert np.array_equal(a.log_weights_reverse, b.log_weights_reverse)


def _kernel_path_run(kernel, head, q, n_threads, n_chains=7, n_rec=25, seed=0):
    """A kernel call along a path with repeated betas (segments of 1..3 records)."""
    g = np.random.default_rng(seed)
    n = head[0].size - 1
    x = g.integers(0, q, (n_chains, n)).astype(np.int8)
    if q == 1:
        x = (2 * g.integers(0, 2, (n_chains, n)) - 1).astype(np.int8)
    rng = g.integers(0, 2**64, size=(n_chains, 32), dtype=np.uint64)
    bj = np.repeat(np.linspace(0.1, 1.2, 12), 3)[:n_rec].copy()
    bh = np.full(n_rec, 0.7)
    rec = [np.zeros((n_chains, n_rec)) for _ in range(3)]
    stats = np.zeros((n_chains, 4))
    states_out = np.zeros((n_chains, n_rec, n), dtype=np.int8)
    kernel(*head, x, rng, 1.0, 1.0, n_rec, 2, *rec, stats, n_threads,
           states_out=states_out, beta_J_path=bj, beta_h_path=bh)  # fmt: skip
    return [x, rng, *rec, stats, states_out]


def _kernel_cases():
    torus = IsingModel.from_graph(IsingModel.lattice((4, 4)).coupling_matrix, h=np.full(16, 0.2))
    glass = ea_torus(4, seed=3)
    gauss = _gauss_graph(4, seed=3)
    potts = PottsModel.from_graph(PottsModel.lattice((4, 4), 3).coupling_matrix, 3)
    potts_h = PottsModel.from_graph(glass.coupling_matrix, 3, h=np.tile([0.1, -0.2, 0.0], (16, 1)))

    def ising(m):
        return tuple(np.ascontiguousarray(a) for a in m.csr) + (np.ascontiguousarray(m.h, dtype=np.float64),)

    def potts_head(m):
        return tuple(np.ascontiguousarray(a) for a in m.csr) + (m.q, np.ascontiguousarray(m.h, dtype=np.float64))

    for name, m in [("ising-table", torus), ("ising-pm-table", glass), ("ising-general", gauss)]:
        yield name + "-metropolis", _graph.ising_metropolis, ising(m), 1
        yield name + "-heatbath", _graph.ising_heatbath, ising(m), 1
    for name, m in [("potts-table", potts), ("potts-general", potts_h)]:
        yield name + "-metropolis", _graph.potts_metropolis, potts_head(m), 3
        yield name + "-heatbath", _graph.potts_heatbath, potts_head(m), 3


@pytest.mark.parametrize("name, kernel, head, q", list(_kernel_cases()), ids=[c[0] for c in _kernel_cases()])
def test_path_kernel_same_bits_for_any_thread_count(name, kernel, head, q):
    """Chains split 7 = 4 + 3, 3 + 2 + 2, and more threads than chains."""
    ref = _kernel_path_run(kernel, head, q, 1)
    assert np.all(np.isfinite(ref[2]))
    for n_threads in (2, 3, 9):
        got = _kernel_path_run(kernel, head, q, n_threads)
        for r, o in zip(ref, got):
            np.testing.assert_array_equal(r, o)


def test_graph_kernels_open_one_region_per_call():
    model = IsingModel.from_graph(IsingModel.lattice((4, 4)).coupling_matrix)
    smp = isingbio.Sampler(model, 0.4, n_chains=4, seed=0)
    assert smp.kernel.region_per_call


@pytest.mark.parametrize(
    "model",
    [
        IsingModel.lattice((4, 4)),
        PottsModel.lattice((3, 3), 3, h=np.linspace(0, 1, 27).reshape(9, 3)),
        IsingModel.from_graph(IsingModel.lattice((3, 3)).coupling_matrix),
        PottsModel.lattice((3, 3), 3).to_dense(),
    ],
    ids=["ising lattice", "potts lattice per-site field", "ising graph", "potts dense"],
)
def test_every_kernel_opens_one_region_per_call(model):
    """AIS runs every kernel with the plan's threads (its one-thread fallback for kernels that
    open a region per step of a path is gone): no kernel may open one per step."""
    methods = ["metropolis", "heatbath"] + (["swendsen-wang", "wolff"] if model.form != "dense" else [])
    for method in methods:
        assert model.kernel(method).region_per_call, (model.form, method)


@pytest.mark.parametrize("method", ["swendsen-wang", "wolff"])
def test_cluster_kernels_on_a_graph_against_kaufman_and_thread_count(method):
    """Cluster kernels (one region per call, a graph copy per thread): log Z of the 4 x 4 torus
    given as a graph, and the same log-weights for 1, 2 and 3 threads (16 chains: uneven
    splits)."""
    model = IsingModel.from_graph(IsingModel.lattice((4, 4)).coupling_matrix)
    res = ais(model, BETA_C, n_chains=128, n_steps=200, method=method, seed=8, n_threads=2)
    _check(res, float(ising_torus_log_partition(4, 4, BETA_C, 1.0)))
    ref = ais(model, 0.6, n_chains=16, n_steps=40, method=method, seed=9, n_threads=1)
    for n_threads in (2, 3):
        got = ais(model, 0.6, n_chains=16, n_steps=40, method=method, seed=9, n_threads=n_threads)
        assert np.array_equal(got.log_weights, ref.log_weights)
    smp = isingbio.Sampler(model, 0.4, method=method, n_chains=4, seed=0)
    assert smp.kernel.region_per_call
