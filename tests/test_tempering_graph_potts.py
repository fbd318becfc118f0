"""Parallel tempering of graph Potts models on graph_impl.h's table path (issue 9).

Graph Potts models with one coupling and one field row run graph_impl.h's table sweeps with a
table per rung; these tests check the per-rung energies against enumeration (Metropolis and
heat-bath, q = 3 and 4, regular and irregular graphs, with and without a field), that the
table path is the one taken (its bits differ from the general path's), that its energies track
the states, and that threads and calls do not change a bit. Thresholds: 5 autocorrelation-aware
standard errors, fixed seeds.
"""

import importlib

import numpy as np
import pytest
import scipy.sparse as sp

from isingbio import PottsModel, exact
from isingbio._kernels import _tempering
from isingbio.parallel_tempering import tempering

from .kernels.test_tempering_kernel import _arrays

tempering_module = importlib.import_module("isingbio.parallel_tempering")


def torus_graph(q, side=3, J=1.0, h=None):
    """A side x side Potts torus given as a graph (every row of degree 4)."""
    return PottsModel.from_graph(PottsModel.lattice((side, side), q, J=J).coupling_matrix, q, h=h)


def irregular_graph(q, n=8, J=0.9, h=None, seed=4):
    """A connected graph of mixed degrees (a ring plus random chords), one coupling J."""
    rng = np.random.default_rng(seed)
    A = np.zeros((n, n))
    for i in range(n):
        A[i, (i + 1) % n] = 1.0
    for _ in range(n // 2):
        i, j = rng.choice(n, 2, replace=False)
        A[i, j] = 1.0
    A = np.triu(A + A.T, 1) > 0
    A = J * (A + A.T).astype(float)
    return PottsModel.from_graph(sp.csr_matrix(A), q, h=h)


def assert_rungs_exact(res, model, label):
    for k, beta in enumerate(res.betas):
        exact_e = exact.thermodynamics(model, beta).energy
        est = res.estimate("energy", k)
        assert abs(est.mean - exact_e) < 5 * est.stderr, f"{label} rung {k} beta={beta:.3f}: {est} vs {exact_e:.4f}"
        assert est.stderr < 0.05 * max(1.0, abs(exact_e))  # the test has power


@pytest.mark.parametrize("method", ["metropolis", "heatbath"])
@pytest.mark.parametrize("q", [3, 4])
def test_torus_graph_rungs_match_enumeration(method, q):
    model = torus_graph(q)
    res = tempering(model, [0.3, 0.7, 1.1, 1.6], 15000, method=method, n_runs=4, burn_in=500, seed=21 + q, adapt=False)
    assert_rungs_exact(res, model, f"q={q} torus {method}")


@pytest.mark.parametrize("method", ["metropolis", "heatbath"])
@pytest.mark.parametrize("q", [3, 4])
def test_irregular_graph_with_field_rungs_match_enumeration(method, q):
    """Degrees 2..5 (no fixed-degree loop) and a uniform field row (the field energy path)."""
    h = np.tile(np.linspace(-0.4, 0.3, q), (8, 1))
    model = irregular_graph(q, h=h)
    res = tempering(model, [0.2, 0.6, 1.0, 1.5], 15000, method=method, n_runs=4, burn_in=500, seed=31 + q, adapt=False)
    assert_rungs_exact(res, model, f"q={q} irregular graph + field {method}")


KEYS = ("indptr", "indices", "weights", "h", "betas", "states", "rng", "swap_rng", "e_j", "e_h", "cache", "rep_at",
        "direction", "trip_start", "clock", "swaps", "trips", "trip_time", "flow")  # fmt: skip


def _run(model, a, n_sweeps, heatbath, *, fast, init=True):
    R, K = a["rep_at"].shape
    out = dict(energy=np.zeros((R, K, n_sweeps)), magnetization=np.zeros((R, K, n_sweeps)))
    out["states_out"] = np.zeros((R, K, n_sweeps, model.n_sites), dtype=np.int8)
    _tempering.tempering_run(
        1, heatbath, model.q, *(a[k] for k in KEYS), n_sweeps, 1, 1, init=init, n_threads=1, fast=fast, **out
    )
    return out


@pytest.mark.parametrize("heatbath", [False, True])
@pytest.mark.parametrize(
    "make", [lambda: torus_graph(3), lambda: irregular_graph(4, h=np.tile([0.3, 0.0, -0.2, 0.1], (8, 1)))]
)
def test_table_path_is_taken_and_tracks_energies(make, heatbath):
    """Both paths keep the incremental energies equal to a fresh evaluation. Metropolis:
    fast=1 runs the table path, which draws other random words than the general path (fast=0),
    so other bits. Heat-bath: both invert the same conditional distribution with one word per
    update (thresholds against raw words, or a double uniform against cumulative weights), so
    they agree bit for bit except at a threshold tie (probability ~2^-52 per update)."""
    model = make()
    states = {}
    for fast in (0, 1):
        a = _arrays(model, 2, [0.4, 0.9, 1.4], seed=5)
        out = _run(model, a, 300, heatbath, fast=fast)
        np.testing.assert_allclose(a["e_j"] + a["e_h"], model.energy(a["states"]), atol=1e-9)
        np.testing.assert_allclose(out["energy"], model.energy(out["states_out"]), atol=1e-9)
        states[fast] = a["states"].copy()
    if heatbath:
        np.testing.assert_array_equal(states[0], states[1])
    else:
        assert not np.array_equal(states[0], states[1])


@pytest.mark.parametrize("method", ["metropolis", "heatbath"])
def test_same_bits_for_any_thread_count_and_chunking(method, monkeypatch):
    model = irregular_graph(3, n=10, h=np.tile([0.2, -0.1, 0.0], (10, 1)))
    kw = dict(method=method, n_runs=3, burn_in=60, seed=6, adapt=True, return_states=True, swap_every=2, thin=3)
    ladder = [0.2, 0.5, 0.9, 1.4]

    def fingerprint(res):
        return (res.energy.tobytes(), res.magnetization.tobytes(), res.states.tobytes(), res.betas.tobytes())

    ref = tempering(model, ladder, 300, n_threads=1, **kw)
    monkeypatch.setattr(tempering_module, "_WORK_PER_THREAD", 1.0)
    assert fingerprint(tempering(model, ladder, 300, n_threads=2, **kw)) == fingerprint(ref)
    monkeypatch.setattr(tempering_module, "_CHUNK_WORK", 1.0)
    assert fingerprint(tempering(model, ladder, 300, n_threads=2, **kw)) == fingerprint(ref)
