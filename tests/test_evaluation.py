"""Contact precision on toy cases with known answers, and the contact-map plot."""

from pathlib import Path

import numpy as np
import pytest

from isingbio.contacts import ranked_pairs
from isingbio.errors import InputError
from isingbio.evaluation import evaluate_contacts
from isingbio.plot import plot_contacts
from isingbio.structure import ContactMap

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def toy(L=30):
    """Contacts on pairs (i, i+6) for even i; the scores rank known pairs in a set order."""
    contact = np.zeros((L, L), dtype=np.int8)
    for i in range(0, L - 6, 2):
        contact[i, i + 6] = contact[i + 6, i] = 1
    return contact


def test_perfect_and_inverted_predictions():
    L = 30
    c = toy(L)
    perfect = c.astype(float)
    r = evaluate_contacts(perfect, c)
    # 12 contacts with separation 6; top L/5 = 6 and L/2 = 15 and L = 30 pairs
    assert r["P@L/5"] == 1.0
    assert r["P@L/2"] == pytest.approx(12 / 15)
    assert r["P@L"] == pytest.approx(12 / 30)
    assert r["n@L/5"] == 6 and r["n@L/2"] == 15 and r["n@L"] == 30
    assert r["n_contacts"] == 12 and r["L"] == 30
    assert r["n_candidates"] == (L - 6) * (L - 5) // 2
    assert r["LR P@L"] == 0.0 and r["LR n_contacts"] == 0
    r = evaluate_contacts(-perfect, c)
    assert r["P@L/5"] == 0.0 and r["P@L"] == 0.0


def test_known_ranking_with_unknowns_and_short_range():
    L = 10
    c = np.zeros((L, L), dtype=np.int8)
    s = np.zeros((L, L))
    # best score: a short-range pair (ignored), then an unknown pair (ignored),
    # then a contact, then a non-contact
    s[0, 1] = 10.0
    s[0, 7] = 9.0
    c[0, 7] = c[7, 0] = -1
    s[1, 8] = 8.0
    c[1, 8] = c[8, 1] = 1
    s[2, 9] = 7.0
    r = evaluate_contacts(s + s.T, c)  # L/5 = 2 pairs
    assert r["P@L/5"] == 0.5 and r["n@L/5"] == 2
    # ContactMap input and min_separation
    r2 = evaluate_contacts(s, ContactMap(c), min_separation=8)
    assert r2["n_candidates"] == 3  # (0, 8), (0, 9), (1, 9)
    assert r2["P@L/5"] == 0.0 and r2["n_contacts"] == 0


def test_lr_figures():
    L = 60
    c = np.zeros((L, L), dtype=np.int8)
    s = np.zeros((L, L))
    for k, (i, j) in enumerate([(0, 30), (1, 40), (2, 50), (3, 59)]):
        c[i, j] = c[j, i] = 1
        s[i, j] = 100 - k
    r = evaluate_contacts(s, c)
    assert r["LR P@L/5"] == pytest.approx(4 / 12)
    assert r["P@L/5"] == pytest.approx(4 / 12)
    assert r["LR n_contacts"] == 4


def test_ties_and_nan_are_deterministic():
    L = 12
    s = np.ones((L, L))
    s[0, 11] = np.nan
    i, j, v = ranked_pairs(s, 6)
    assert (i[0], j[0]) == (0, 6)  # ties broken by position
    assert (i[-1], j[-1]) == (0, 11)  # NaN last
    assert np.isnan(v[-1])


def test_bad_shapes():
    with pytest.raises(InputError):
        evaluate_contacts(np.zeros((5, 5)), np.zeros((6, 6), dtype=np.int8))
    with pytest.raises(InputError):
        evaluate_contacts(np.zeros((5, 4)), np.zeros((5, 5), dtype=np.int8))
    with pytest.raises(InputError):
        evaluate_contacts(np.zeros((5, 5)), np.full((5, 5), 2))


def test_example_data_precision_floor():
    """Contact frequency of the example family itself ranks true contacts well above chance."""
    from isingbio.data import example_alignment, example_contacts

    aln = example_alignment()
    cm = example_contacts()
    assert aln.L == cm.L == 53 and len(aln) == 13600
    # a crude co-variation score: mutual information of the columns
    m = aln.matrix.astype(np.int64)
    q = aln.q
    L = aln.L
    f1 = np.stack([np.bincount(m[:, i], minlength=q) for i in range(L)]) / len(m)
    mi = np.zeros((L, L))
    for i in range(L):
        for j in range(i + 1, L):
            f2 = np.bincount(m[:, i] * q + m[:, j], minlength=q * q).reshape(q, q) / len(m)
            nz = f2 > 0
            mi[i, j] = mi[j, i] = (f2[nz] * np.log(f2[nz] / np.outer(f1[i], f1[j])[nz])).sum()
    r = evaluate_contacts(mi, cm)
    base = r["n_contacts"] / r["n_candidates"]
    assert 0.35 < base < 0.45  # the README's 39% for this family
    assert r["P@L/5"] >= 0.6


@pytest.mark.parametrize("ext", ["png", "svg"])
def test_plot_contacts_writes_file_atomically(tmp_path, ext):
    L = 30
    c = toy(L)
    c[0, :] = c[:, 0] = -1
    rng = np.random.default_rng(3)
    s = c.astype(float) + rng.random((L, L))
    out = tmp_path / f"map.{ext}"
    assert plot_contacts(s, ContactMap(c), out, positions=np.arange(101, 131)) == str(out)
    assert out.stat().st_size > 1000
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no temporary left behind
    plot_contacts(s, None, tmp_path / "pred_only.png", top=10)


def test_plot_failure_leaves_no_file(tmp_path):
    out = tmp_path / "map.png"
    with pytest.raises(InputError):
        plot_contacts(np.zeros((5, 5)), np.zeros((6, 6), dtype=np.int8), out)
    with pytest.raises(ValueError):
        plot_contacts(np.zeros((5, 5)), np.zeros((5, 5), dtype=np.int8), tmp_path / "map.notaformat")
    assert list(tmp_path.iterdir()) == []
