"""The real files plmc and CCMpred wrote on PF00014 (../shared/data/interop): read and rescored."""

import numpy as np
import pytest

from isingbio import contact_scores, load_model, mutation_effects, score_sequences
from isingbio.interop import (
    dca_scores,
    detect_format,
    read_ccmpred_mat,
    read_ccmpred_raw,
    read_plmc,
    read_plmc_couplings,
)

EPS32 = np.finfo(np.float32).eps


@pytest.fixture
def interop(shared_data):
    path = shared_data / "interop"
    if not path.is_dir():
        pytest.skip("../shared/data/interop is not present")
    return path


def independent_plmc(path):
    """plmc's parameter file read from the layout in ../shared/data/interop/README.md alone."""
    b = path.read_bytes()
    L, q, nv, ni, _ = np.frombuffer(b, "<i4", 5)
    off = 40
    alphabet = b[off : off + q].decode()
    off += q + 4 * (nv + ni)
    target = b[off : off + L].decode()
    off += L
    offsets = np.frombuffer(b, "<i4", L, off)
    off += 4 * L + 4 * L * q
    h = np.frombuffer(b, "<f4", L * q, off).reshape(L, q)
    off += 4 * L * q
    npairs = L * (L - 1) // 2
    off += 4 * npairs * q * q
    e = np.frombuffer(b, "<f4", npairs * q * q, off).reshape(npairs, q, q)
    assert off + 4 * npairs * q * q == len(b)
    return dict(L=int(L), q=int(q), alphabet=alphabet, target=target, offsets=offsets, h=h, e=e)


def plmc_cn_reference(couplings_file):
    """plmc's CN column as an (L, L) matrix, by residue number."""
    rows = np.loadtxt(couplings_file, usecols=(0, 2, 5))
    L = int(rows[:, 1].max())
    cn = np.zeros((L, L))
    i, j = rows[:, 0].astype(int) - 1, rows[:, 1].astype(int) - 1
    cn[i, j] = cn[j, i] = rows[:, 2]
    return cn, (i, j)


@pytest.mark.parametrize("kind, q_file, modelled", [("q21", 21, True), ("gapless", 20, False)])
def test_plmc_cn_recomputed_equals_plmc_couplings_file(interop, kind, q_file, modelled):
    model = read_plmc(interop / f"PF00014.plmc.{kind}.params")
    assert model.q == 21 and model.alphabet.letters == "-ACDEFGHIKLMNPQRSTVWY"
    assert model.metadata["gaps_modelled"] is modelled
    assert model.metadata["plmc"]["alphabet"] == "-ACDEFGHIKLMNPQRSTVWY"[21 - q_file :]
    fn, cn = dca_scores(model, "plmc")
    ref, (i, j) = plmc_cn_reference(interop / f"PF00014.plmc.{kind}.couplings")
    # plmc prints %f (half a unit in the 6th decimal) of norms of float32 parameters; APC
    # subtracts terms of the size of the norms, so float32 rounding is relative to their scale
    tol = 0.5e-6 + 4 * EPS32 * fn.max()
    assert np.all(np.abs(cn[i, j] - ref[i, j]) <= tol), np.abs(cn[i, j] - ref[i, j]).max()
    # the test has power: isingbio's own convention gives other numbers
    assert np.abs(contact_scores(model)[i, j] - ref[i, j]).max() > 1e-2


@pytest.mark.parametrize("kind", ["q21", "gapless"])
def test_plmc_reader_matches_independent_reader(interop, kind):
    path = interop / f"PF00014.plmc.{kind}.params"
    raw = independent_plmc(path)
    model = read_plmc(path)
    L, q = raw["L"], raw["q"]
    s = slice(21 - q, 21)  # gapless: the gap is state 0 with zero parameters
    np.testing.assert_array_equal(model.h[:, s], raw["h"])
    iu, ju = np.triu_indices(L, 1)
    np.testing.assert_array_equal(model.J[iu, ju][:, s, s], raw["e"])
    np.testing.assert_array_equal(model.J[ju, iu][:, s, s], raw["e"].transpose(0, 2, 1))
    if q == 20:
        assert not model.h[:, 0].any() and not model.J[:, :, 0].any() and not model.J[:, :, :, 0].any()
    np.testing.assert_array_equal(model.positions, raw["offsets"])
    assert "target" not in model.metadata  # plmc ran without a focus sequence: all '-'
    assert set(raw["target"]) == {"-"}


def test_plmc_energies_follow_plmcs_hamiltonian(interop, rng):
    """log p = sum h + sum e (plmc, EVcouplings' hamiltonians) is -H of isingbio, term by term."""
    path = interop / "PF00014.plmc.q21.params"
    raw = independent_plmc(path)
    model = read_plmc(path)
    x = rng.integers(0, 21, size=(20, raw["L"]))
    iu, ju = np.triu_indices(raw["L"], 1)
    k = np.arange(len(iu))
    ev = np.array(
        [
            raw["h"][np.arange(raw["L"]), s].sum(dtype=np.float64) + raw["e"][k, s[iu], s[ju]].sum(dtype=np.float64)
            for s in x
        ]
    )
    np.testing.assert_allclose(-model.energy(x), ev, rtol=1e-9, atol=1e-9)
    # mutation effects: EVcouplings' delta = H_ev(mutant) - H_ev(wt) = -(our Delta E)
    letters = model.alphabet.letters
    wt = "".join(letters[c] for c in x[0])
    d = mutation_effects(model, wt)
    mut = x[0].copy()
    mut[5] = (mut[5] + 3) % 21
    e_wt, e_mut = score_sequences(model, np.array([x[0], mut]))[0]
    assert d[5, mut[5]] == pytest.approx(e_mut - e_wt, abs=1e-9)


def test_ccmpred_apc_reproduces_mat(interop):
    model = read_ccmpred_raw(interop / "PF00014.ccmpred.raw.gz")
    assert model.q == 21 and model.metadata["gaps_modelled"] is True
    mat = read_ccmpred_mat(interop / "PF00014.ccmpred.mat")
    _, cn = dca_scores(model, "ccmpred")
    # CCMpred computes in float32: sums of 441 squares, then APC over L^2 scores
    np.testing.assert_allclose(cn, mat, rtol=0, atol=64 * EPS32 * np.abs(mat).max())
    assert np.abs(dca_scores(model, "plmc")[1] - mat).max() > 1e-2  # the check has power


def test_ccmpred_raw_reorders_to_gap_first(interop):
    import gzip

    with gzip.open(interop / "PF00014.ccmpred.raw.gz", "rt") as fh:
        first = [float(v) for v in fh.readline().split()]
        for line in fh:
            if line.startswith("# 0 1"):
                block = np.array([[float(v) for v in fh.readline().split()] for _ in range(21)])
                break
    model = read_ccmpred_raw(interop / "PF00014.ccmpred.raw.gz")
    ccm = "ARNDCQEGHILKMFPSTWYV-"
    ours = model.alphabet.letters
    for a, letter in enumerate(ccm[:20]):
        assert model.h[0, ours.index(letter)] == first[a]
    assert model.h[0, 0] == 0.0
    for a in (0, 5, 20):
        for b in (1, 14, 20):
            assert model.J[0, 1, ours.index(ccm[a]), ours.index(ccm[b])] == block[a, b]


def test_detection_and_load_model(interop):
    assert detect_format(interop / "PF00014.plmc.q21.params") == ("model", "plmc")
    assert detect_format(interop / "PF00014.plmc.gapless.params") == ("model", "plmc")
    assert detect_format(interop / "PF00014.ccmpred.raw.gz") == ("model", "ccmpred")
    assert detect_format(interop / "PF00014.ccmpred.mat") == ("scores", "ccmpred")
    assert detect_format(interop / "PF00014.plmc.q21.couplings") == ("scores", "plmc")
    m = load_model(interop / "PF00014.plmc.gapless.params")
    assert m.metadata["gaps_modelled"] is False
    m2 = load_model(interop / "PF00014.ccmpred.raw.gz", format="ccmpred-raw")
    assert m2.n_sites == 53
    table = read_plmc_couplings(interop / "PF00014.plmc.q21.couplings")
    assert table.sequence is None and list(table.positions) == list(range(1, 54))


def test_convert_reproduces_plmcs_couplings_file_and_round_trips(interop, tmp_path, rng):
    from isingbio.cli import main

    out = tmp_path / "q21.couplings"
    assert main(["convert", str(interop / "PF00014.plmc.q21.params"), str(out), "-q"]) == 0
    ours = [line.split() for line in out.read_text().splitlines()]
    ref = [line.split() for line in (interop / "PF00014.plmc.q21.couplings").read_text().splitlines()]
    assert [r[:5] for r in ours] == [r[:5] for r in ref]
    assert max(abs(float(a[5]) - float(b[5])) for a, b in zip(ours, ref)) <= 1.01e-6  # one unit of %f
    model = read_plmc(interop / "PF00014.plmc.q21.params")
    x = rng.integers(0, 21, size=(100, 53))
    for name in ("m.raw.gz", "m.params", "m.npz"):
        assert main(["convert", str(interop / "PF00014.plmc.q21.params"), str(tmp_path / name), "-q"]) == 0
        back = load_model(tmp_path / name)
        d = model.energy(x) - back.energy(x)
        assert np.ptp(d) < 1e-9 * np.abs(model.energy(x)).max() * 53
        np.testing.assert_allclose(dca_scores(back, "isingbio")[1], dca_scores(model, "isingbio")[1], atol=1e-6)


def test_plmc_file_written_with_the_alignment_matches_plmcs(interop, shared_data, tmp_path):
    """Frequencies, neighbour counts and N_eff of a file written with the fit's alignment are
    plmc's own (80 % identity weights; plmc ran on the same prepared alignment)."""
    from isingbio import read_alignment
    from isingbio.interop import write_plmc

    fasta = shared_data / "PF00014" / "prepared" / "PF00014.fasta"
    if not fasta.exists():
        pytest.skip("the PF00014 alignment is not present")
    ref_path = interop / "PF00014.plmc.q21.params"
    write_plmc(read_plmc(ref_path), tmp_path / "w.params", alignment=read_alignment(fasta))
    ours, ref = (tmp_path / "w.params").read_bytes(), ref_path.read_bytes()
    assert len(ours) == len(ref)
    L, q, n = 53, 21, 13600
    f32 = lambda b, count, off: np.frombuffer(b, "<f4", count, off).astype(np.float64)  # noqa: E731
    assert f32(ours, 5, 20)[4] == pytest.approx(f32(ref, 5, 20)[4], rel=1e-6)  # N_eff
    np.testing.assert_allclose(f32(ours, n, 61), f32(ref, n, 61), rtol=1e-6)  # neighbours
    off = 61 + 4 * n + L + 4 * L
    np.testing.assert_allclose(f32(ours, L * q, off), f32(ref, L * q, off), atol=1e-6)  # f_i
    off += 8 * L * q
    npq = L * (L - 1) // 2 * q * q
    np.testing.assert_allclose(f32(ours, npq, off), f32(ref, npq, off), atol=1e-6)  # f_ij
    assert ours[off + 4 * npq :] == ref[off + 4 * npq :]  # couplings, bit for bit


@pytest.mark.parametrize("kind", ["q21", "gapless"])
def test_evcouplings_convention_from_the_file_itself(interop, kind):
    """EVcouplings' fn/cn: zero-sum gauge of each block over the file's q states, Frobenius norm,
    APC with means over the other sites (computed here from the raw file, not our reader)."""
    raw = independent_plmc(interop / f"PF00014.plmc.{kind}.params")
    e = raw["e"].astype(np.float64)
    e0 = e - e.mean(axis=1, keepdims=True) - e.mean(axis=2, keepdims=True) + e.mean(axis=(1, 2), keepdims=True)
    L = raw["L"]
    fn = np.zeros((L, L))
    iu, ju = np.triu_indices(L, 1)
    fn[iu, ju] = fn[ju, iu] = np.sqrt((e0**2).sum(axis=(1, 2)))
    col = fn.mean(axis=0) * L / (L - 1)
    cn = fn - np.outer(col, col) / (fn.mean() * L / (L - 1))
    np.fill_diagonal(cn, 0)
    ours_fn, ours_cn = dca_scores(read_plmc(interop / f"PF00014.plmc.{kind}.params"), "evcouplings")
    np.testing.assert_allclose(ours_fn, fn, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ours_cn, cn, rtol=1e-12, atol=1e-12)
