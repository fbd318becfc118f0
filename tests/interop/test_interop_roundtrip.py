"""Writers read back by the readers (and plmc's file by an independent reader); round trips keep
energies up to a constant and contact scores."""

import gzip

import numpy as np
import pytest

from isingbio import PROTEIN, PROTEIN_GAP_LAST, PottsModel, contact_scores, load_model, save_model
from isingbio.alphabets import RNA, reorder_states
from isingbio.errors import InputError
from isingbio.interop import (
    ScoreTable,
    dca_scores,
    read_ccmpred_mat,
    read_ccmpred_raw,
    read_evcouplings_csv,
    read_plmc,
    read_plmc_couplings,
    read_scores,
    write_casp_rr,
    write_ccmpred_mat,
    write_ccmpred_raw,
    write_evcouplings_csv,
    write_plmc,
    write_plmc_couplings,
    write_scores,
)

from .test_interop_peer_files import independent_plmc


def random_model(rng, L=7, q=21, alphabet=PROTEIN, zero_gap=False, dtype=np.float64):
    h = rng.normal(size=(L, q))
    J = rng.normal(scale=0.5, size=(L, L, q, q))
    J = J + J.transpose(1, 0, 3, 2)
    J[np.arange(L), np.arange(L)] = 0
    if zero_gap:
        g = alphabet.gap_index
        h[:, g] = 0
        J[:, :, g] = 0
        J[:, :, :, g] = 0
    model = PottsModel(h.astype(dtype), J.astype(dtype))
    model.alphabet = alphabet
    model.positions = np.arange(10, 10 + L, dtype=np.int64)
    return model


def assert_same_up_to_constant(a, b, x, rtol):
    ea, eb = np.asarray(a.energy(x)), np.asarray(b.energy(x))
    d = ea - eb
    scale = np.abs(ea).max()
    assert np.abs(d - d.mean()).max() <= rtol * scale, np.abs(d - d.mean()).max()


@pytest.mark.parametrize("zero_gap", [False, True])
def test_plmc_round_trip(tmp_path, rng, zero_gap):
    model = random_model(rng, zero_gap=zero_gap)
    model.metadata = {"target": {"id": "t", "sequence": "ACDEFGH"}}
    path = tmp_path / "m.params"
    save_model(model, path)  # format from the extension
    back = load_model(path)
    assert back.metadata["gaps_modelled"] is (not zero_gap)
    raw = independent_plmc(path)
    assert raw["q"] == (20 if zero_gap else 21)
    assert raw["target"] == "ACDEFGH" and list(raw["offsets"]) == list(range(10, 17))
    s = slice(21 - raw["q"], 21)
    np.testing.assert_array_equal(raw["h"], model.h[:, s].astype(np.float32))
    iu, ju = np.triu_indices(7, 1)
    np.testing.assert_array_equal(raw["e"], model.J[iu, ju][:, s, s].astype(np.float32))
    x = rng.integers(0, 21, size=(200, 7))
    assert_same_up_to_constant(model, back, x, rtol=1e-6)
    for convention in ("isingbio", "plmc", "evcouplings", "ccmpred"):
        np.testing.assert_allclose(dca_scores(back, convention)[1], dca_scores(model, convention)[1], atol=1e-5)
    assert back.metadata["target"]["sequence"] == "ACDEFGH"
    np.testing.assert_array_equal(back.positions, model.positions)


def test_plmc_drops_a_modelled_gap_through_a_gauge_change(tmp_path, rng):
    model = random_model(rng)
    write_plmc(model, tmp_path / "g.params", gaps=False)
    back = read_plmc(tmp_path / "g.params")
    assert independent_plmc(tmp_path / "g.params")["q"] == 20
    x = rng.integers(0, 21, size=(200, 7))  # gapped sequences included
    assert_same_up_to_constant(model, back, x, rtol=1e-6)


def test_plmc_gap_last_protein_and_rna(tmp_path, rng):
    model = random_model(rng)
    last = PottsModel(
        reorder_states(model.h, PROTEIN, PROTEIN_GAP_LAST), reorder_states(model.J, PROTEIN, PROTEIN_GAP_LAST)
    )
    last.alphabet = PROTEIN_GAP_LAST
    write_plmc(last, tmp_path / "p.params")
    assert independent_plmc(tmp_path / "p.params")["alphabet"] == PROTEIN.letters
    back = read_plmc(tmp_path / "p.params")
    x = rng.integers(0, 21, size=(50, 7))
    assert_same_up_to_constant(model, back, x, rtol=1e-6)
    rna = random_model(rng, L=5, q=5, alphabet=RNA)
    write_plmc(rna, tmp_path / "r.params")
    back = read_plmc(tmp_path / "r.params")
    assert back.alphabet.letters == "-ACGU"
    assert_same_up_to_constant(rna, back, rng.integers(0, 5, size=(50, 5)), rtol=1e-6)


def test_plmc_frequencies_from_the_alignment(tmp_path, rng):
    from isingbio import read_alignment

    seqs = ["".join(rng.choice(list("ACDE-"), size=7)) for _ in range(30)]
    (tmp_path / "a.fasta").write_text("".join(f">s{k}\n{s}\n" for k, s in enumerate(seqs)))
    aln = read_alignment(tmp_path / "a.fasta")
    model = random_model(rng)
    w = rng.uniform(0.5, 1.0, size=30)
    write_plmc(model, tmp_path / "f.params", alignment=aln, weights=w)
    b = (tmp_path / "f.params").read_bytes()
    L, q, nv = np.frombuffer(b, "<i4", 3)
    assert (L, q, nv) == (7, 21, 30)
    n_eff = np.frombuffer(b, "<f4", 5, 20)[4]
    assert n_eff == pytest.approx(w.sum(), rel=1e-6)
    off = 40 + q
    np.testing.assert_allclose(np.frombuffer(b, "<f4", 30, off), 1 / w, rtol=1e-6)  # plmc: neighbours
    off += 4 * 30 + L + 4 * L
    fi = np.frombuffer(b, "<f4", L * q, off).reshape(L, q)
    ref = np.zeros((L, q))
    for s, wk in zip(seqs, w):
        for i, c in enumerate(s):
            ref[i, PROTEIN.letters.index(c)] += wk
    np.testing.assert_allclose(fi, ref / w.sum(), atol=1e-6)
    off += 8 * L * q
    f01 = np.frombuffer(b, "<f4", q * q, off).reshape(q, q)  # pair (0, 1)
    ref01 = np.zeros((q, q))
    for s, wk in zip(seqs, w):
        ref01[PROTEIN.letters.index(s[0]), PROTEIN.letters.index(s[1])] += wk
    np.testing.assert_allclose(f01, ref01 / w.sum(), atol=1e-6)
    with pytest.raises(InputError, match="7 columns but the model has L = 5"):
        write_plmc(random_model(rng, L=5), tmp_path / "x.params", alignment=aln)
    assert not (tmp_path / "x.params").exists()


@pytest.mark.parametrize("name", ["m.raw", "m.raw.gz"])
def test_ccmpred_round_trip(tmp_path, rng, name):
    model = random_model(rng)
    path = tmp_path / name
    save_model(model, path)
    if name.endswith(".gz"):
        assert path.read_bytes()[:2] == b"\x1f\x8b"
        lines = gzip.open(path, "rt").read().splitlines()
    else:
        lines = path.read_text().splitlines()
    assert len(lines) == 7 + 21 * 22 and lines[7] == "# 0 1"
    assert all(len(line.split()) == 20 for line in lines[:7])
    back = load_model(path)
    assert back.alphabet is PROTEIN and back.metadata["gaps_modelled"] is True
    x = rng.integers(0, 21, size=(200, 7))
    assert_same_up_to_constant(model, back, x, rtol=1e-12)
    for convention in ("isingbio", "ccmpred"):
        np.testing.assert_allclose(dca_scores(back, convention)[1], dca_scores(model, convention)[1], atol=1e-10)
    # an independent look at one value: block "# 0 1", row of A (CCMpred 0), column of V (19)
    ccm = PROTEIN_GAP_LAST.letters
    assert float(lines[8 + 0].split()[19]) == pytest.approx(
        model.J[0, 1, PROTEIN.letters.index("A"), PROTEIN.letters.index("V")], rel=1e-15
    )
    assert float(lines[0].split()[ccm.index("W")]) == pytest.approx(
        model.h[0, PROTEIN.letters.index("W")] - model.h[0, 0], rel=1e-14
    )


def test_ccmpred_needs_a_protein_model(tmp_path, rng):
    with pytest.raises(InputError, match="protein"):
        write_ccmpred_raw(random_model(rng, L=4, q=5, alphabet=RNA), tmp_path / "x.raw")
    assert not (tmp_path / "x.raw").exists()


def test_score_files_read_back(tmp_path, rng):
    model = random_model(rng)
    model.metadata = {"target": {"id": "t", "sequence": "ACDEFGH"}}
    fn, cn = dca_scores(model, "evcouplings")
    n = write_evcouplings_csv(tmp_path / "e.csv", fn, cn, model.positions, "ACDEFGH")
    assert n == 21
    lines = (tmp_path / "e.csv").read_text().splitlines()
    assert lines[0] == "i,A_i,j,A_j,fn,cn"
    values = [float(line.split(",")[5]) for line in lines[1:]]
    assert values == sorted(values, reverse=True)
    t = read_evcouplings_csv(tmp_path / "e.csv")
    np.testing.assert_array_equal(t.cn, cn)
    np.testing.assert_array_equal(t.fn, fn)
    assert t.sequence == "ACDEFGH" and list(t.positions) == list(range(10, 17))
    write_plmc_couplings(tmp_path / "p.couplings", cn, model.positions, "ACDEFGH")
    first = (tmp_path / "p.couplings").read_text().splitlines()[0].split()
    assert first[:5] == ["10", "A", "11", "C", "0"]
    t = read_plmc_couplings(tmp_path / "p.couplings")
    np.testing.assert_allclose(t.cn, cn, atol=5e-7)
    write_ccmpred_mat(cn, tmp_path / "c.mat")
    np.testing.assert_array_equal(read_ccmpred_mat(tmp_path / "c.mat"), cn)
    k = write_casp_rr(tmp_path / "c.rr", cn, model.positions, "ACDEFGH", target="T1", min_separation=2)
    text = (tmp_path / "c.rr").read_text().splitlines()
    assert text[:5] == ["PFRMAT RR", "TARGET T1", "AUTHOR isingbio", text[3], "MODEL 1"] and text[5] == "ACDEFGH"
    assert text[-1] == "END" and len(text) == 6 + k + 1 and k == 15
    rows = [line.split() for line in text[6:-1]]
    assert all(int(j) - int(i) >= 2 and d1 == "0" and d2 == "8" for i, j, d1, d2, _ in rows)
    p = [float(r[4]) for r in rows]
    assert p[0] == 1.0 and p == sorted(p, reverse=True) and min(p) >= 0
    write_casp_rr(tmp_path / "gapped.rr", cn, model.positions, "AC-EFGH", min_separation=2)
    assert "AC-EFGH" not in (tmp_path / "gapped.rr").read_text()  # an RR sequence holds residues only
    # through the generic reader / writer
    table = read_scores(tmp_path / "e.csv")
    write_scores(tmp_path / "again.mat", table, "ccmpred-mat")
    np.testing.assert_array_equal(read_ccmpred_mat(tmp_path / "again.mat"), cn)
    with pytest.raises(InputError, match="fn"):
        write_scores(
            tmp_path / "x.csv", ScoreTable(cn=cn, fn=None, positions=model.positions, sequence=None), "evcouplings"
        )


def test_isingbio_convention_is_contact_scores(rng):
    model = random_model(rng)
    np.testing.assert_array_equal(dca_scores(model)[1], contact_scores(model))
    with pytest.raises(InputError, match="convention"):
        dca_scores(model, "gremlin")


def test_ccmpred_mat_of_a_plmc_model_file_read_by_ccmpred_reader(tmp_path, rng):
    model = random_model(rng)
    write_ccmpred_raw(model, tmp_path / "m.raw")
    assert read_ccmpred_raw(tmp_path / "m.raw").n_sites == 7
