"""The replica-exchange kernel (_tempering.tempering_run) called directly: its bookkeeping
(replica labels, energies, counters, records), the +-J path against the general path, and
bad shapes."""

import numpy as np
import pytest
import scipy.sparse as sp

from isingbio import IsingModel
from isingbio._kernels import _tempering
from isingbio._random import chain_rng_states


def _ea(L=4, seed=0, h=0.0):
    rng = np.random.default_rng(seed)
    idx = np.arange(L * L).reshape(L, L)
    i = np.concatenate([idx.ravel(), idx.ravel()])
    j = np.concatenate([np.roll(idx, -1, axis=0).ravel(), np.roll(idx, -1, axis=1).ravel()])
    w = rng.choice([-1.0, 1.0], size=i.size)
    J = sp.coo_matrix((w, (i, j)), shape=(L * L, L * L))
    return IsingModel.from_graph((J + J.T).tocsr(), h=np.full(L * L, h))


def _arrays(model, R, betas, seed=1):
    K, n = len(betas), model.n_sites
    C = R * K
    rng = np.random.default_rng(seed)
    indptr, indices, weights = model.csr
    return dict(
        indptr=np.ascontiguousarray(indptr, dtype=np.int64),
        indices=np.ascontiguousarray(indices, dtype=np.int32),
        weights=np.ascontiguousarray(weights, dtype=np.float64),
        h=np.ascontiguousarray(model.h, dtype=np.float64).reshape(-1),
        betas=np.asarray(betas, dtype=np.float64),
        states=(
            rng.integers(0, model.q, size=(C, n)) if model.kind == "potts" else 2 * rng.integers(0, 2, size=(C, n)) - 1
        ).astype(np.int8),
        rng=chain_rng_states(np.random.SeedSequence(seed), C),
        swap_rng=chain_rng_states(np.random.SeedSequence(seed + 1), R),
        e_j=np.zeros(C),
        e_h=np.zeros(C),
        cache=np.zeros((0, 0)),
        rep_at=np.tile(np.arange(K, dtype=np.int64), (R, 1)),
        direction=np.zeros(C, dtype=np.int8),
        trip_start=np.zeros(C, dtype=np.int64),
        clock=np.zeros(2, dtype=np.int64),
        swaps=np.zeros((max(K - 1, 1), 2), dtype=np.int64),
        trips=np.zeros(R, dtype=np.int64),
        trip_time=np.zeros(R),
        flow=np.zeros((K, 2), dtype=np.int64),
    )


def _run(a, n_sweeps, *, swap_every=1, thin=1, records=True, init=True, n_threads=1, fast=2):
    R, K = a["rep_at"].shape
    out = {}
    if records:
        n_rec = n_sweeps // thin
        out = dict(energy=np.zeros((R, K, n_rec)), magnetization=np.zeros((R, K, n_rec)))
        out["states_out"] = np.zeros((R, K, n_rec, a["states"].shape[1]), dtype=np.int8)
    _tempering.tempering_run(
        0, False, 2, *(a[k] for k in ("indptr", "indices", "weights", "h", "betas", "states", "rng", "swap_rng",
                                      "e_j", "e_h", "cache", "rep_at", "direction", "trip_start", "clock",
                                      "swaps", "trips", "trip_time", "flow")),
        n_sweeps, swap_every, thin, init=init, n_threads=n_threads, fast=fast, **out,
    )  # fmt: skip
    return out


@pytest.mark.parametrize("h", [0.0, 0.3])
def test_bookkeeping(h):
    model = _ea(4, seed=1, h=h)
    a = _arrays(model, 2, [0.2, 0.6, 1.0, 1.5])
    out = _run(a, 500, swap_every=3, thin=2)
    R, K = a["rep_at"].shape
    for r in range(R):  # labels stay a permutation
        assert sorted(a["rep_at"][r]) == list(range(K))
    # incremental energies equal a fresh evaluation
    np.testing.assert_allclose(a["e_j"] + a["e_h"], model.energy(a["states"]), atol=1e-9)
    # records are sorted by rung: the recorded states' energies are the recorded energies
    np.testing.assert_allclose(out["energy"], model.energy(out["states_out"]), atol=1e-9)
    np.testing.assert_allclose(out["magnetization"], out["states_out"].mean(axis=-1))
    assert a["clock"][0] == 500 and a["clock"][1] == 500 // 3
    # even pairs on even rounds, odd pairs on odd rounds, each run: attempts per pair
    rounds = 500 // 3
    np.testing.assert_array_equal(a["swaps"][:, 0], R * np.array([(rounds + 1) // 2, rounds // 2, (rounds + 1) // 2]))
    assert np.all(a["swaps"][:, 1] <= a["swaps"][:, 0])
    assert a["flow"].sum() > 0


@pytest.mark.parametrize("h", [0.0, 0.25])
def test_fast_paths_equal_general_path_in_law(h):
    """The +-J path (fast=1), the +-J path across chains (fast=2, no field only) and the general
    path (fast=0) draw different random words (so different bits) but must give the same mean
    energies."""
    model = _ea(4, seed=2, h=h)
    means = []
    for fast in (0, 1, 2):
        a = _arrays(model, 4, [0.3, 0.8, 1.4], seed=3)
        _run(a, 200, records=False, fast=fast)
        out = _run(a, 8000, init=False, fast=fast)
        np.testing.assert_allclose(a["e_j"] + a["e_h"], model.energy(a["states"]), atol=1e-9)
        np.testing.assert_allclose(out["energy"], model.energy(out["states_out"]), atol=1e-9)
        e = out["energy"]
        means.append((e.mean(axis=(0, 2)), e.std(axis=(0, 2)) / np.sqrt(e.shape[0] * e.shape[2] / 20)))
    for m2, s2 in means[1:]:
        m1, s1 = means[0]
        assert np.all(np.abs(m1 - m2) < 5 * np.hypot(s1, s2))


def test_split_calls_equal_one_call():
    model = _ea(4, seed=3)
    one = _arrays(model, 2, [0.2, 0.7, 1.2])
    ref = _run(one, 120, thin=3, swap_every=2)
    two = _arrays(model, 2, [0.2, 0.7, 1.2])
    first = _run(two, 60, thin=3, swap_every=2)
    second = _run(two, 60, thin=3, swap_every=2, init=False)
    np.testing.assert_array_equal(np.concatenate([first["energy"], second["energy"]], axis=2), ref["energy"])
    np.testing.assert_array_equal(two["states"], one["states"])
    np.testing.assert_array_equal(two["rep_at"], one["rep_at"])


def test_bad_shapes_raise():
    model = _ea(4)
    a = _arrays(model, 2, [0.2, 0.7])
    a["betas"] = np.array([0.2, 0.5, 0.7])
    with pytest.raises(ValueError, match="betas"):
        _run(a, 10)
    a = _arrays(model, 2, [0.2, 0.7])
    with pytest.raises(ValueError, match="multiple of thin"):
        _run(a, 10, thin=3)
    a["swaps"] = np.zeros((3, 2), dtype=np.int64)
    with pytest.raises(ValueError, match="swaps"):
        _run(a, 10, records=False)
