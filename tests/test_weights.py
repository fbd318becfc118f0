"""Sequence weights: compiled kernel against a naive implementation, rules, threads, real data."""

import numpy as np
import pytest

from isingbio.alignment import Alignment, read_alignment
from isingbio.errors import InputError
from isingbio.weights import neighbour_threshold, sequence_weights


def naive_weights(matrix, identity=0.8, rule="plmc"):
    m = np.asarray(matrix)
    L = m.shape[1]
    ids = (m[:, None, :] == m[None, :, :]).sum(-1)
    if rule == "plmc":
        neighbours = ids >= identity * L - 1e-9
    else:  # CCMpred, src/reweighting.c
        neighbours = ids > np.ceil(identity * L)
        np.fill_diagonal(neighbours, True)
    w = 1.0 / neighbours.sum(axis=1)
    return w, w.sum()


def clustered(rng, n, L, q=21, n_clusters=20, mutation=0.15):
    base = rng.integers(0, q, size=(n_clusters, L))
    m = base[rng.integers(0, n_clusters, size=n)]
    mut = rng.random(m.shape) < mutation
    return np.where(mut, rng.integers(0, q, size=m.shape), m).astype(np.int8)


@pytest.mark.parametrize("L", [1, 7, 63, 64, 65, 106, 128, 200, 517])
@pytest.mark.parametrize("rule", ["plmc", "ccmpred"])
def test_matches_naive(rng, L, rule):
    m = clustered(rng, 300, L)
    for identity in (0.0, 0.5, 0.8, 1.0):
        w, neff = sequence_weights(m, identity=identity, n_threads=2, rule=rule)
        w0, neff0 = naive_weights(m, identity, rule)
        np.testing.assert_array_equal(w, w0)
        assert neff == pytest.approx(neff0, rel=1e-12)
        assert w.dtype == np.float64 and w.shape == (300,)


@pytest.mark.parametrize("q", [2, 3, 5, 21, 33, 120])
def test_any_number_of_states(rng, q):
    m = clustered(rng, 120, 40, q=q, mutation=0.1)
    np.testing.assert_array_equal(sequence_weights(m, n_threads=1)[0], naive_weights(m)[0])


def test_threshold_boundary():
    # L = 10: plmc needs >= 8 identical positions, CCMpred > 8
    a = np.zeros((1, 10), dtype=np.int8)
    b = a.copy()
    b[0, :2] = 1  # 8 identical
    m = np.vstack([a, b])
    assert sequence_weights(m, rule="plmc")[0].tolist() == [0.5, 0.5]
    assert sequence_weights(m, rule="ccmpred")[0].tolist() == [1.0, 1.0]
    assert neighbour_threshold(75, 0.8) == 60  # not 61 from 0.8 * 75 rounding up
    assert neighbour_threshold(75, 0.8, "ccmpred") == 61


def test_duplicates_and_uniform():
    m = np.array([[1, 2, 3]] * 4 + [[4, 5, 6]], dtype=np.int8)
    w, neff = sequence_weights(m)
    np.testing.assert_allclose(w, [0.25] * 4 + [1.0])
    assert neff == pytest.approx(2.0)
    w, neff = sequence_weights(m, identity=None)
    assert w.tolist() == [1.0] * 5 and neff == 5.0


def test_thread_count_does_not_change_result(rng):
    m = clustered(rng, 2000, 90)
    ref = sequence_weights(m, n_threads=1)[0]
    for t in (2, 3, 8):
        np.testing.assert_array_equal(sequence_weights(m, n_threads=t)[0], ref)


def test_accepts_alignment_and_edge_shapes():
    aln = Alignment.from_sequences(["ACDE", "ACDE", "WWWW"])
    w, neff = sequence_weights(aln)
    np.testing.assert_allclose(w, [0.5, 0.5, 1.0])
    assert sequence_weights(np.zeros((0, 5), dtype=np.int8))[1] == 0.0
    assert sequence_weights(np.zeros((1, 5), dtype=np.int8))[0].tolist() == [1.0]


def test_bad_input():
    m = np.zeros((3, 4), dtype=np.int8)
    with pytest.raises(InputError):
        sequence_weights(m, identity=1.5)
    with pytest.raises(InputError):
        sequence_weights(m, rule="hhblits")
    with pytest.raises(InputError):
        sequence_weights(np.zeros(4, dtype=np.int8))
    with pytest.raises(InputError):
        sequence_weights(np.zeros((3, 4)))  # float matrix
    with pytest.raises(InputError):
        sequence_weights(m, n_threads=0)


def test_real_family_against_naive(shared_data):
    aln = read_alignment(shared_data / "1atzA" / "1atzA.aln")
    w, neff = sequence_weights(aln, n_threads=2)
    # naive in blocks of rows to keep memory small
    m = aln.matrix
    L = aln.L
    counts = np.zeros(len(m))
    for s in range(0, len(m), 500):
        ids = (m[s : s + 500, None, :] == m[None, :, :]).sum(-1)
        counts[s : s + 500] = (ids >= 0.8 * L - 1e-9).sum(1)
    np.testing.assert_array_equal(w, 1.0 / counts)
    assert neff == pytest.approx(1149.4, abs=0.1)


def test_large_family(shared_data):
    """N_eff of T0900 (16243 sequences) as plmc's rule gives it (speed: benchmarks/bench_weights.py)."""
    aln = read_alignment(shared_data / "T0900" / "T0900.aln")
    assert aln.matrix.shape == (16243, 106)
    w, neff = sequence_weights(aln, n_threads=2)
    assert neff == pytest.approx(4768.47, abs=0.01)


@pytest.mark.parametrize("rule", ["plmc", "ccmpred"])
def test_many_duplicates_match_naive(rng, rule):
    # distinct sequences are compared once and count their copies: same weights as comparing all
    base = rng.integers(0, 5, size=(40, 30))
    base[20:] = base[:20]
    base[20:, :4] = rng.integers(0, 5, size=(20, 4))  # near-copies (86% identical)
    x = base[rng.integers(0, 40, size=300)]
    for identity in (0.8, 0.9, 1.0):
        w, n_eff = sequence_weights(x, identity=identity, rule=rule)
        w_ref, _ = naive_weights(x, identity, rule)
        np.testing.assert_array_equal(w, w_ref)
        assert n_eff == pytest.approx(w_ref.sum())


def test_chunked_rows_and_threads_give_the_same_counts(rng, monkeypatch):
    import isingbio.weights as wmod

    x = rng.integers(0, 3, size=(700, 20))
    x[::3] = x[0]
    expected, _ = sequence_weights(x, n_threads=1)
    monkeypatch.setattr(wmod, "_CHUNK_SECONDS", 1e-7)
    assert len(wmod._row_chunks(700, 2, 2)) > 500  # about one row per kernel call
    for threads in (1, 2, 3):
        w, _ = sequence_weights(x, n_threads=threads)
        np.testing.assert_array_equal(w, expected)
