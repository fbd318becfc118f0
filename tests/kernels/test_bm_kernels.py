"""The Boltzmann-learning sweeps (_bm.bm_sweeps) against the dense kernels, bit for bit."""

import numpy as np
import pytest

from isingbio._kernels import _bm, _dense
from isingbio._random import as_seed_sequence, chain_rng_states


def _model(L, q, scale, seed):
    rng = np.random.default_rng(seed)
    h = rng.normal(0, 1, (L, q)).astype(np.float32)
    J = rng.normal(0, scale, (L, L, q, q))
    J = (J + J.transpose(1, 0, 3, 2)) / 2
    J[np.arange(L), np.arange(L)] = 0
    return h, np.ascontiguousarray(J, dtype=np.float32)


@pytest.mark.parametrize("heatbath", [False, True])
@pytest.mark.parametrize(("L", "q"), [(7, 3), (12, 21), (5, 2)])
def test_bm_sweeps_equal_dense_kernels_for_any_split(L, q, heatbath):
    h, J = _model(L, q, 0.3, L + q)
    M = 37
    x0 = np.random.default_rng(1).integers(0, q, (M, L), dtype=np.int8)
    r0 = chain_rng_states(as_seed_sequence(2), M)
    x, r = x0.copy(), r0.copy()
    kernel = _dense.potts_heatbath if heatbath else _dense.potts_metropolis
    scratch = tuple(np.empty((M, 1)) for _ in range(3))
    kernel(h, J, x, r, 1.0, 1.0, 1, 9, *scratch, np.zeros((M, 4)), 1)
    Jq, qs = _bm.fixed_couplings(J, 2)
    assert Jq is not None and Jq.shape == (L, q, L, q) and qs > 0
    # one call, two threads, groups of 5 chains in lockstep
    y, s = x0.copy(), r0.copy()
    _bm.bm_sweeps(h, Jq, qs, y, s, 9, heatbath, 2, 5)
    assert np.array_equal(x, y) and np.array_equal(r, s)
    assert not np.array_equal(x, x0)
    # split by chains and by sweeps
    y, s = x0.copy(), r0.copy()
    for c0, c1 in ((0, 10), (10, 11), (11, M)):
        for n in (4, 5):
            _bm.bm_sweeps(h, Jq, qs, y[c0:c1], s[c0:c1], n, heatbath, 1)
    assert np.array_equal(x, y) and np.array_equal(r, s)


def test_fixed_couplings_refuses_imprecise_scale():
    h, J = _model(6, 3, 0.3, 0)
    J[0, 1, 0, 0] = J[1, 0, 0, 0] = 3e38
    assert _bm.fixed_couplings(J, 1) == (None, 0.0)
    with pytest.raises(ValueError):
        _bm.bm_sweeps(
            h,
            np.zeros((6, 3, 6, 3), np.uint32),
            0.0,
            np.zeros((2, 6), np.int8),
            np.zeros((2, 32), np.uint64),
            1,
            False,
            1,
        )


def test_step_statistics_and_update_equal_numpy():
    from isingbio.boltzmann import _adaptive_steps, _Layout

    L, q, M = 6, 4, 300
    lay = _Layout(L, q)
    rng = np.random.default_rng(3)
    x = rng.integers(0, q, (M, L), dtype=np.int8)
    w = rng.random(M)
    counts = np.zeros((L * q, L * q))
    _dense.pair_counts(x, w, counts, 1)
    f1, f2 = np.empty(L * q), np.empty(lay.size)
    _bm.site_frequencies(x, w, q, f1, 2)
    _bm.pair_frequencies(x, w, lay.pi, lay.pj, q, f2, 2)
    assert np.array_equal(f1, lay.one_site(counts).ravel()) and np.array_equal(f2, lay.pairs(counts))
    # connected-correlation sums per pair
    dx = rng.normal(size=lay.size)
    y = lay.connected(f1.reshape(L, q), f2)
    out = np.empty((lay.pi.size, 3))
    _bm.connected_sums(f1, f2, dx, lay.pi, lay.pj, q, out, 2)
    np.testing.assert_allclose(out.sum(axis=0), [y.sum(), y @ y, dx @ y], rtol=1e-12, atol=1e-15)
    # coupling steps: the numpy arithmetic, bit for bit
    f2d, Jv = rng.random(lay.size), rng.normal(size=lay.size)
    g = (f2d - f2) - 0.1 * Jv
    opt = _adaptive_steps({}, np.zeros(1), g, 0.05)
    J1, lr1, s1 = np.empty(lay.size), np.empty(lay.size), np.empty(lay.size, np.int8)
    _bm.coupling_step(f2d, f2, Jv, 0.1, 0.05, J1, 1, 2, lr_new=lr1, sign_new=s1)
    assert np.array_equal(lr1, opt["lr_J"]) and np.array_equal(s1, opt["sign_J"])
    assert np.array_equal(J1, Jv + opt["lr_J"] * g)
    f2b = rng.random(lay.size)
    g2 = (f2d - f2b) - 0.1 * J1
    opt2 = _adaptive_steps(opt, np.zeros(1), g2, 0.05)
    J2, lr2, s2 = np.empty(lay.size), np.empty(lay.size), np.empty(lay.size, np.int8)
    _bm.coupling_step(f2d, f2b, J1, 0.1, 0.05, J2, 2, 1, lr_old=lr1, sign_old=s1, lr_new=lr2, sign_new=s2)
    assert np.array_equal(lr2, opt2["lr_J"]) and np.array_equal(s2, opt2["sign_J"])
    assert np.array_equal(J2, J1 + opt2["lr_J"] * g2)
    J0 = np.empty(lay.size)
    _bm.coupling_step(f2d, f2b, J1, 0.0, 0.05, J0, 0, 1)
    assert np.array_equal(J0, J1 + 0.05 * (f2d - f2b))
    # symmetric float32 couplings
    J32 = np.zeros((L, L, q, q), np.float32)
    _bm.couplings_from_pairs(J2, lay.pi, lay.pj, J32, 2)
    assert np.array_equal(J32, J32.transpose(1, 0, 3, 2))
    assert np.array_equal(lay.from_model(J32), J2.astype(np.float32).astype(np.float64))
