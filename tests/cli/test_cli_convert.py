"""`isingbio convert` and `isingbio contacts --format` end to end through isingbio.cli.main."""

import os

import numpy as np
import pytest

from isingbio import load_model, save_model
from isingbio.cli import main
from isingbio.interop import dca_scores, read_ccmpred_mat, read_evcouplings_csv, read_plmc_couplings

from ..interop.test_interop_roundtrip import random_model


@pytest.fixture
def model_file(tmp_path, rng):
    model = random_model(rng, L=8)
    model.metadata = {"target": {"id": "T1", "sequence": "ACDEFGHI"}}
    path = tmp_path / "m.npz"
    save_model(model, path)
    return path


def test_model_to_every_format_and_back(tmp_path, model_file, capsys):
    model = load_model(model_file)
    x = np.random.default_rng(5).integers(0, 21, size=(100, 8))
    for out in ("m.params", "m.raw", "m.raw.gz"):
        assert main(["convert", str(model_file), str(tmp_path / out)]) == 0
        back = load_model(tmp_path / out)
        d = model.energy(x) - back.energy(x)
        assert np.ptp(d) < 1e-4
        assert main(["convert", str(tmp_path / out), str(tmp_path / (out + ".npz"))]) == 0
    assert "read isingbio model (L = 8, q = 21)" in capsys.readouterr().out


def test_model_to_score_files(tmp_path, model_file):
    model = load_model(model_file)
    assert main(["convert", str(model_file), str(tmp_path / "s.couplings")]) == 0
    t = read_plmc_couplings(tmp_path / "s.couplings")
    np.testing.assert_allclose(t.cn, dca_scores(model, "plmc")[1], atol=5e-7)
    assert t.sequence == "ACDEFGHI"
    assert main(["convert", str(model_file), str(tmp_path / "ev.csv"), "--to", "evcouplings"]) == 0
    t = read_evcouplings_csv(tmp_path / "ev.csv")
    np.testing.assert_allclose(t.cn, dca_scores(model, "evcouplings")[1], rtol=1e-15)
    assert main(["convert", str(model_file), str(tmp_path / "s.mat"), "--scores", "isingbio"]) == 0
    np.testing.assert_allclose(read_ccmpred_mat(tmp_path / "s.mat"), dca_scores(model)[1], rtol=1e-15)
    assert main(["convert", str(model_file), str(tmp_path / "s.rr"), "--min-separation", "3"]) == 0
    text = (tmp_path / "s.rr").read_text()
    assert "TARGET T1\n" in text and text.endswith("END\n")
    # score file -> score file: the EVcouplings CSV as a CCMpred .mat and a CASP list
    assert main(["convert", str(tmp_path / "ev.csv"), str(tmp_path / "ev.mat")]) == 0
    np.testing.assert_allclose(read_ccmpred_mat(tmp_path / "ev.mat"), dca_scores(model, "evcouplings")[1], rtol=1e-15)
    assert main(["convert", str(tmp_path / "s.couplings"), str(tmp_path / "c.txt"), "--to", "casp"]) == 0


@pytest.mark.parametrize(
    "args, message",
    [
        (["{d}/nothing", "{d}/o.npz"], "no such file"),
        (["{m}", "{m}"], "it would be overwritten"),
        (["{m}", "-", "--to", "plmc-params"], "cannot go to standard output"),
        (["{m}", "{d}/o.unknown"], "give --to"),
        (["{m}", "{d}/o.x", "--to", "gremlin"], "unknown format 'gremlin'"),
        (["{d}/s.mat", "{d}/o.npz"], "cannot be turned into a model"),
        (["{d}/s.mat", "{d}/o.csv", "--scores", "plmc"], "--scores applies"),
        (["{d}/bad.params", "{d}/o.npz", "--from", "plmc"], "truncated"),
        (["{m}", "{d}/nodir/o.params"], "OUT"),
        (["{d}/s.mat", "{d}/o.csv", "--to", "evcouplings"], "fn scores"),
    ],
)
def test_bad_input_exit_2_one_line_no_output(tmp_path, model_file, capsys, args, message):
    (tmp_path / "s.mat").write_text("0\t1\t2\n1\t0\t3\n2\t3\t0\n")
    (tmp_path / "bad.params").write_bytes(np.array([5, 21, 0, 0, 0], "<i4").tobytes() + b"\0" * 30)
    before = set(os.listdir(tmp_path))
    rc = main(["convert", *[a.format(d=tmp_path, m=model_file) for a in args]])
    err = capsys.readouterr().err
    assert rc == 2, err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert set(os.listdir(tmp_path)) == before


def write_fasta(path, rng):
    letters = list("ACDEFGHIKLMNPQRSTVWY")
    base = rng.choice(letters, size=12)
    seqs = []
    for _ in range(60):
        s = base.copy()
        flip = rng.random(12) < 0.4
        s[flip] = rng.choice(letters + ["-"], size=flip.sum())
        seqs.append("".join(s))
    path.write_text("".join(f">s{k}\n{s}\n" for k, s in enumerate(seqs)))
    return path


@pytest.mark.parametrize(
    "fmt, name", [("plmc", "c.txt"), ("evcouplings", "c.csv"), ("ccmpred", "c.txt"), ("casp", "c.txt"), (None, "c.mat")]
)
def test_contacts_format(tmp_path, rng, fmt, name):
    aln = write_fasta(tmp_path / "a.fasta", rng)
    out = tmp_path / name
    argv = [
        "contacts",
        str(aln),
        "-o",
        str(out),
        "--max-iter",
        "5",
        "--seed",
        "1",
        "-q",
        "--save-model",
        str(tmp_path / "m.npz"),
    ]
    if fmt:
        argv += ["--format", fmt]
    assert main(argv) == 0
    from isingbio import contact_scores

    scores = contact_scores(load_model(tmp_path / "m.npz"))
    if fmt in ("ccmpred", None):
        np.testing.assert_allclose(read_ccmpred_mat(out), scores, rtol=1e-15)
    elif fmt == "plmc":
        np.testing.assert_allclose(read_plmc_couplings(out).cn, scores, atol=5e-7)
    elif fmt == "evcouplings":
        np.testing.assert_allclose(read_evcouplings_csv(out).cn, scores, rtol=1e-15)
    else:
        assert out.read_text().startswith("PFRMAT RR\nTARGET a\n")


def test_contacts_format_still_takes_an_alignment_format(tmp_path, rng):
    aln = write_fasta(tmp_path / "a.txt", rng)
    assert (
        main(["contacts", str(aln), "--format", "fasta", "--max-iter", "3", "-q", "-o", str(tmp_path / "c.csv")]) == 0
    )
    assert (tmp_path / "c.csv").read_text().startswith("i,j,score")
    assert main(["contacts", str(aln), "--alignment-format", "fasta", "--max-iter", "3", "-q"]) == 0


@pytest.mark.parametrize("name", ["m.params", "m.raw.gz", "m.raw"])
def test_contacts_save_model_in_a_peer_format(tmp_path, rng, name):
    aln = write_fasta(tmp_path / "a.fasta", rng)
    argv = ["contacts", str(aln), "--max-iter", "3", "--seed", "1", "-q", "--save-model", str(tmp_path / "m.npz")]
    assert main(argv) == 0
    assert main([*argv[:-1], str(tmp_path / name)]) == 0
    ours, peer = load_model(tmp_path / "m.npz"), load_model(tmp_path / name)
    x = np.random.default_rng(2).integers(0, 21, size=(50, 12))
    assert np.ptp(ours.energy(x) - peer.energy(x)) < 1e-4
    if name.endswith(".gz"):
        assert (tmp_path / name).read_bytes()[:2] == b"\x1f\x8b"
    if name.endswith(".params"):  # the fit's alignment: 60 sequences' neighbour counts
        assert np.frombuffer((tmp_path / name).read_bytes(), "<i4", 3)[2] == 60


def test_scores_to_standard_output(tmp_path, model_file, capsys):
    assert main(["convert", str(model_file), "-", "--to", "plmc-couplings"]) == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines()[0].split()[:5] == ["10", "A", "11", "C", "0"]  # positions 10..17
    assert "wrote plmc scores" in captured.err


def test_contacts_scores_to_standard_output_in_a_peer_format(tmp_path, rng, capsys):
    aln = write_fasta(tmp_path / "a.fasta", rng)
    assert main(["contacts", str(aln), "--max-iter", "3", "--seed", "1", "-q", "-o", "-", "--format", "casp"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("PFRMAT RR\nTARGET a\n") and out.endswith("END\n")
