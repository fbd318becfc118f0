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
