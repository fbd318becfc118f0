"""The record contract shared by every sampler family (isingbio/_kernels/README.md).

Record outputs may be strided views along the chain and record axes (contiguous only along
the sites of states_out): slices out[:, i:i + n] of wider arrays, or every other row, give
exactly what fresh contiguous arrays give; a states_out that is not contiguous along the
sites, or too small, is refused with a ValueError.
"""

import numpy as np
import pytest

from isingbio._kernels import _cluster, _dense, _graph, _lattice

N_CHAINS, N_REC, THIN = 4, 3, 2
SHAPE, PER, JL = np.array([4, 6], np.int64), np.array([1, 1], np.uint8), np.array([0.6, 0.4])


def _csr():
    L0, L1 = SHAPE
    rows = []
    for i in range(L0):
        for j in range(L1):
            rows.append(
                sorted(
                    [
                        ((i + 1) % L0 * L1 + j, JL[0]),
                        ((i - 1) % L0 * L1 + j, JL[0]),
                        (i * L1 + (j + 1) % L1, JL[1]),
                        (i * L1 + (j - 1) % L1, JL[1]),
                    ]
                )
            )
    indptr = np.array([0] + list(np.cumsum([len(r) for r in rows])), np.int64)
    indices = np.array([c for r in rows for c, _ in r], np.int32)
    weights = np.array([w for r in rows for _, w in r])
    return indptr, indices, weights


def _dense_model():
    g = np.random.default_rng(2)
    L, q = 5, 3
    J = g.normal(scale=0.3, size=(L, L, q, q))
    J = (J + J.transpose(1, 0, 3, 2)) / 2
    for i in range(L):
        J[i, i] = 0
    return g.normal(size=(L, q)), J


def _cases():
    n = int(np.prod(SHAPE))
    indptr, indices, weights = _csr()
    h_dense, J_dense = _dense_model()
    hq = np.tile([0.1, -0.2, 0.05], (n, 1))
    return {
        "lattice_ising": (_lattice.ising_metropolis, (SHAPE, PER, JL, 0.1), n, 2, (), {}),
        "lattice_potts": (_lattice.potts_heatbath, (SHAPE, PER, JL, 3, np.array([0.1, -0.2, 0.05])), n, 3, (), {}),
        "graph_ising": (_graph.ising_heatbath, (indptr, indices, weights, np.full(n, 0.1)), n, 2, (), {}),
        "graph_potts": (_graph.potts_metropolis, (indptr, indices, weights, 3, hq), n, 3, (), {}),
        "cluster_sw": (_cluster.ising_swendsen_wang, (indptr, indices, weights, np.full(n, 0.1)), n, 2, (), {}),
        "cluster_wolff": (
            _cluster.potts_wolff,
            (indptr, indices, weights, 3, hq),
            n,
            3,
            (2,),
            {"lattice": (SHAPE, PER, JL)},
        ),
        "dense": (_dense.potts_heatbath, (h_dense, J_dense), 5, 3, (), {}),
    }


CASES = _cases()


def _start(n, q):
    g = np.random.default_rng(5)
    x = g.integers(0, q, size=(N_CHAINS, n)).astype(np.int8)
    return 2 * x - 1 if q == 2 else x


def _rng():
    return np.random.default_rng(9).integers(0, 2**64, size=(N_CHAINS, 32), dtype=np.uint64)


def _call(case, recs, states_out):
    kernel, head, n, q, tail, kw = CASES[case]
    states, rng, stats = _start(n, q), _rng(), np.zeros((N_CHAINS, 4))
    kernel(*head, states, rng, 0.4, 0.3, N_REC, THIN, *recs, stats, 2, *tail, states_out=states_out, **kw)
    return states, rng, stats


@pytest.mark.parametrize("case", sorted(CASES))
def test_strided_record_views(case):
    n = CASES[case][2]
    ref_recs = [np.zeros((N_CHAINS, N_REC)) for _ in range(3)]
    ref_so = np.zeros((N_CHAINS, N_REC, n), np.int8)
    ref = _call(case, ref_recs, ref_so)

    # column slices of wider arrays (the sampler's out[:, offset:offset + n])
    wide = [np.full((N_CHAINS, N_REC + 5), -7.0) for _ in range(3)]
    wide_so = np.full((N_CHAINS, N_REC + 3, n), 99, np.int8)
    got = _call(case, [w[:, 2 : 2 + N_REC] for w in wide], wide_so[:, 1 : 1 + N_REC])
    for a, b in zip(
        ref + tuple(ref_recs) + (ref_so,), got + tuple(w[:, 2 : 2 + N_REC] for w in wide) + (wide_so[:, 1 : 1 + N_REC],)
    ):
        np.testing.assert_array_equal(a, b)
    for w in wide:  # nothing written outside the view
        assert np.all(w[:, :2] == -7.0) and np.all(w[:, 2 + N_REC :] == -7.0)
    assert np.all(wide_so[:, 0] == 99) and np.all(wide_so[:, 1 + N_REC :] == 99)

    # strided along the chain axis too (every other row), records transposed (F order)
    rows = [np.zeros((2 * N_CHAINS, N_REC)) for _ in range(2)] + [np.zeros((N_REC, N_CHAINS)).T]
    rows_so = np.zeros((2 * N_CHAINS, N_REC, n), np.int8)
    got = _call(case, [rows[0][::2], rows[1][::2], rows[2]], rows_so[::2])
    for a, b in zip(ref + tuple(ref_recs) + (ref_so,), got + (rows[0][::2], rows[1][::2], rows[2], rows_so[::2])):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_record_outputs_refused(case):
    n = CASES[case][2]
    recs = [np.zeros((N_CHAINS, N_REC)) for _ in range(3)]
    with pytest.raises(ValueError, match="contiguous"):
        _call(case, recs, np.zeros((N_CHAINS, N_REC, 2 * n), np.int8)[:, :, ::2])
    with pytest.raises(ValueError, match="states_out"):
        _call(case, recs, np.zeros((N_CHAINS, N_REC - 1, n), np.int8))
    with pytest.raises(ValueError, match="e_field"):
        _call(case, [recs[0], np.zeros((N_CHAINS, N_REC - 1)), recs[2]], None)
