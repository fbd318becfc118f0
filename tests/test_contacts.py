"""Contact scores (zero-sum gauge Frobenius norms, APC), ranking and the CSV writer."""

import os

import numpy as np
import pytest

from isingbio import InputError, PottsModel
from isingbio.contacts import apc_correction, contact_scores, top_contacts, write_contacts_csv


def random_model(rng, L=8, q=5, alphabet=None):
    J = np.zeros((L, L, q, q))
    for i in range(L):
        for j in range(i + 1, L):
            b = rng.normal(size=(q, q))
            J[i, j], J[j, i] = b, b.T
    model = PottsModel(rng.normal(size=(L, q)), J)
    model.alphabet = alphabet
    return model


def test_scores_symmetric_and_gauge_invariant(rng):
    model = random_model(rng)
    s = contact_scores(model, apc=False)
    assert s.shape == (8, 8) and s.dtype == np.float64
    np.testing.assert_array_equal(s, s.T)
    assert np.all(np.diag(s) == 0)
    # adding u_ij(a) + v_ij(b) to a block (a gauge change, with fields left aside) changes nothing
    J = model.J.copy()
    u, v = rng.normal(size=5), rng.normal(size=5)
    J[2, 5] += u[:, None] + v[None, :]
    J[5, 2] = J[2, 5].T
    s2 = contact_scores(PottsModel(model.h, J), apc=False)
    np.testing.assert_allclose(s2, s, rtol=1e-12, atol=1e-12)
    # the value is the Frobenius norm of the zero-sum block
    b = model.J[1, 4]
    b0 = b - b.mean(0) - b.mean(1)[:, None] + b.mean()
    assert s[1, 4] == pytest.approx(np.sqrt((b0**2).sum()))


def test_gap_state_left_out(rng):
    model = random_model(rng, q=4, alphabet="-ACG")
    s = contact_scores(model, apc=False)
    b = model.J[0, 3]
    b0 = b - b.mean(0) - b.mean(1)[:, None] + b.mean()
    assert s[0, 3] == pytest.approx(np.sqrt((b0[1:, 1:] ** 2).sum()))
    s_all = contact_scores(model, apc=False, exclude_gap=False)
    assert s_all[0, 3] == pytest.approx(np.sqrt((b0**2).sum()))
    with pytest.raises(InputError, match="no gap"):
        contact_scores(random_model(rng, q=4), exclude_gap=True)


def test_apc(rng):
    s = np.abs(rng.normal(size=(6, 6)))
    s = s + s.T
    np.fill_diagonal(s, 0)
    a = apc_correction(s)
    L = 6
    row = s.sum(1) / (L - 1)
    mean = s.sum() / (L * (L - 1))
    assert a[1, 4] == pytest.approx(s[1, 4] - row[1] * row[4] / mean)
    np.testing.assert_allclose(a, a.T)
    model = random_model(rng)
    np.testing.assert_allclose(contact_scores(model), apc_correction(contact_scores(model, apc=False)))


def test_top_contacts(rng):
    s = rng.random((10, 10))
    s = s + s.T
    top = top_contacts(s, min_separation=3)
    assert top.dtype.names == ("i", "j", "score")
    assert np.all(top["j"] - top["i"] >= 3)
    assert np.all(np.diff(top["score"]) <= 0)
    assert len(top) == sum(1 for i in range(10) for j in range(i + 3, 10))
    assert top["score"][0] == max(s[i, j] for i in range(10) for j in range(i + 3, 10))
    five = top_contacts(s, min_separation=3, n=5, positions=np.arange(101, 111))
    np.testing.assert_array_equal(five["i"], top["i"][:5] + 101)
    with pytest.raises(InputError):
        top_contacts(s, positions=np.arange(3))


def test_csv(tmp_path, rng):
    s = rng.random((8, 8))
    s = s + s.T
    path = tmp_path / "c.csv"
    n = write_contacts_csv(path, s, positions=np.arange(11, 19), sequence="ACDEFGHI")
    lines = path.read_text().splitlines()
    assert lines[0] == "i,j,score,res_i,res_j"
    assert len(lines) == n + 1 == 1 + 3  # pairs with j - i >= 6 among 8 columns
    i, j, v, ri, rj = lines[1].split(",")
    top = top_contacts(s, n=1)[0]
    assert (int(i), int(j)) == (top["i"] + 11, top["j"] + 11)
    assert ri == "ACDEFGHI"[top["i"]] and rj == "ACDEFGHI"[top["j"]]
    write_contacts_csv(path, s)
    assert path.read_text().splitlines()[0] == "i,j,score"
    with pytest.raises(InputError):
        write_contacts_csv(tmp_path / "bad.csv", s, sequence="ACD")
    assert sorted(os.listdir(tmp_path)) == ["c.csv"]  # no partial or temporary file left


def test_needs_dense_model():
    with pytest.raises(InputError, match="dense"):
        contact_scores(PottsModel.lattice((4,), 3))


def test_csv_default_positions_are_one_based(tmp_path):
    s = np.zeros((9, 9))
    s[0, 8] = s[8, 0] = 2.0  # the best pair is columns 0 and 8
    path = tmp_path / "c.csv"
    write_contacts_csv(path, s, n=1)
    assert path.read_text().splitlines() == ["i,j,score", "1,9,2"]


def test_csv_atomic_on_failure(tmp_path, rng, monkeypatch):
    """A failure while writing leaves an existing file untouched and no temporary file."""
    import isingbio.contacts as contacts_mod

    s = rng.random((10, 10))
    s = s + s.T
    path = tmp_path / "c.csv"
    path.write_text("old contents\n")

    real = contacts_mod.top_contacts

    def failing(*args, **kwargs):
        ranked = real(*args, **kwargs)

        def rows():
            yield from ranked[:3]
            raise OSError("disk full")

        return rows()

    monkeypatch.setattr(contacts_mod, "top_contacts", failing)
    with pytest.raises(OSError, match="disk full"):
        write_contacts_csv(path, s, min_separation=1)
    assert path.read_text() == "old contents\n"
    assert os.listdir(tmp_path) == ["c.csv"]


def test_scores_of_a_planted_coupling(rng):
    """The one strong coupling of a model is its top pair, before and after APC."""
    L, q = 12, 4
    J = np.zeros((L, L, q, q))
    for i in range(L):
        for j in range(i + 1, L):
            b = 0.05 * rng.normal(size=(q, q))
            J[i, j], J[j, i] = b, b.T
    J[2, 9] = 2.0 * np.eye(q)
    J[9, 2] = J[2, 9].T
    model = PottsModel(np.zeros((L, q)), J)
    for apc in (False, True):
        top = top_contacts(contact_scores(model, apc=apc), n=1)[0]
        assert (top["i"], top["j"]) == (2, 9)
