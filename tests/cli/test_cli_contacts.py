"""`isingbio contacts` end to end through isingbio.cli.main."""

import os

import numpy as np
import pytest

from isingbio.cli import main


def write_fasta(path, seqs):
    path.write_text("".join(f">s{k}\n{s}\n" for k, s in enumerate(seqs)))
    return path


@pytest.fixture
def small_alignment(tmp_path, rng):
    letters = list("ACDEFGHIKLMNPQRSTVWY")
    base = rng.choice(letters, size=14)
    seqs = []
    for _ in range(80):
        s = base.copy()
        flip = rng.random(14) < 0.4
        s[flip] = rng.choice(letters + ["-"], size=flip.sum())
        s[3] = s[10] = rng.choice(["A", "W"])  # columns 4 and 11 covary
        seqs.append("".join(s))
    return write_fasta(tmp_path / "aln.fasta", seqs)


def test_end_to_end(tmp_path, small_alignment, capsys):
    out = tmp_path / "contacts.csv"
    model = tmp_path / "model.npz"
    plot = tmp_path / "map.png"
    rc = main(
        [
            "contacts",
            str(small_alignment),
            "-o",
            str(out),
            "--save-model",
            str(model),
            "--plot",
            str(plot),
            "--threads",
            "1",
            "--seed",
            "5",
            "--quiet",
        ]
    )
    assert rc == 0
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"  # predictions only (no structure)
    assert sorted(os.listdir(tmp_path)) == ["aln.fasta", "contacts.csv", "map.png", "model.npz"]
    text = capsys.readouterr().out
    assert "80 read" in text and "L = 14" in text and "effective number of sequences" in text
    assert "pseudo-likelihood fit" in text and "top 10 pairs" in text
    lines = out.read_text().splitlines()
    assert lines[0] == "i,j,score,res_i,res_j"
    i, j = map(int, lines[1].split(",")[:2])
    assert (i, j) == (4, 11)  # the planted pair ranks first, with 1-based positions
    assert len(lines) - 1 == sum(1 for a in range(14) for b in range(a + 6, 14))
    from isingbio.io import load_model

    m = load_model(model)
    assert m.n_sites == 14 and m.metadata["seed"] == 5
    assert m.alphabet.letters == "-ACDEFGHIKLMNPQRSTVWY"
    np.testing.assert_array_equal(m.positions, np.arange(1, 15))
    # the CSV is the model's ranking: same scores as contact_scores of the saved model
    from isingbio.contacts import contact_scores

    s = contact_scores(m)
    i, j, v = lines[1].split(",")[:3]
    assert float(v) == pytest.approx(s[int(i) - 1, int(j) - 1], rel=1e-5)


@pytest.mark.slow
def test_example(tmp_path, capsys):
    out = tmp_path / "pf00014.csv"
    rc = main(["contacts", "--example", "-o", str(out), "--quiet"])
    assert rc == 0
    text = capsys.readouterr().out
    assert "PF00014" in text
    line = next(x for x in text.splitlines() if x.startswith("precision"))
    p_at_l = float(line.rsplit("P@L", 1)[1])
    assert p_at_l >= 0.8  # CCMpred 0.93 on the same map (39% of its pairs are contacts)
    assert out.read_text().startswith("i,j,score")


def test_focus_positions(tmp_path, capsys):
    seqs = ["xxACDEFGHIKLMNPQ", "--ACDEFGHIKLMNPQ", "--ACDQFGHIKLMNPE", "--ACDEFGWIKLMNPQ"]
    path = tmp_path / "f.fasta"
    path.write_text(
        ">t/5-18\n" + seqs[0].replace("x", "-") + "\n" + "".join(f">s{k}\n{s}\n" for k, s in enumerate(seqs[1:]))
    )
    out = tmp_path / "c.csv"
    assert main(["contacts", str(path), "--focus", "t/5-18", "-o", str(out), "--quiet", "--max-iter", "5"]) == 0
    rows = [list(map(int, line.split(",")[:2])) for line in out.read_text().splitlines()[1:]]
    assert min(r[0] for r in rows) == 5 and max(r[1] for r in rows) == 18


@pytest.mark.parametrize(
    "content, match",
    [
        ("", "empty|no sequences"),
        ("\n\n", "empty|no sequences"),
        (">a\nACDEFGHIK\n", "at least 2"),
        (">a\nACDEFGHIK\n>b\nACDEF\n", "length|columns"),
        (">a\nACDEFGHIK\n>b\nACDEF1HIK\n", "bad.fasta.*line 4.*column 6"),
        (">a\nACDEFGHIK\n>b\nACDEF?HIK\n", "'\\?'|unknown|character"),
    ],
)
def test_bad_input_no_output(tmp_path, capsys, content, match):
    path = tmp_path / "bad.fasta"
    path.write_text(content)
    out = tmp_path / "c.csv"
    rc = main(
        [
            "contacts",
            str(path),
            "-o",
            str(out),
            "--save-model",
            str(tmp_path / "m.npz"),
            "--plot",
            str(tmp_path / "p.png"),
            "--quiet",
        ]
    )
    assert rc == 2
    err = capsys.readouterr().err
    assert err.startswith("isingbio contacts: error:") and len(err.strip().splitlines()) == 1
    import re

    assert re.search(match, err)
    assert os.listdir(tmp_path) == ["bad.fasta"]


def test_memory_refusal(tmp_path, capsys, monkeypatch, small_alignment):
    import isingbio._config as cfg

    monkeypatch.setattr(cfg, "memory_limit", lambda: (1 << 20, "RLIMIT_AS (ulimit -v) of 1.0 MiB"))
    out = tmp_path / "c.csv"
    rc = main(["contacts", str(small_alignment), "-o", str(out), "--quiet"])
    assert rc == 1
    err = capsys.readouterr().err
    assert "needs" in err and "float32" in err and "limit: RLIMIT_AS (ulimit -v) of 1.0 MiB" in err
    assert not out.exists()


def test_missing_file_and_options(tmp_path, capsys):
    assert main(["contacts", str(tmp_path / "nope.fasta")]) == 2
    assert main(["contacts", str(tmp_path / "nope.fasta"), "--example"]) == 2
    assert "not both" in capsys.readouterr().err
    assert main(["contacts", "--example", "--chain", "A"]) == 2
    assert "--chain needs --structure" in capsys.readouterr().err


def test_structure_precision_and_plot(tmp_path, capsys, shared_data):
    fam = shared_data / "1atzA"
    plot = tmp_path / "map.png"
    rc = main(
        [
            "contacts",
            str(fam / "prepared" / "1atzA.aln"),
            "--structure",
            str(fam / "1atzA.pdb"),
            "--plot",
            str(plot),
            "--quiet",
        ]
    )
    assert rc == 0
    text = capsys.readouterr().out
    line = next(x for x in text.splitlines() if x.startswith("precision"))
    p_at_l = float(line.rsplit("P@L", 1)[1])
    assert p_at_l >= 0.5
    assert plot.stat().st_size > 1000


# ---- outputs: checked before the fit, written all together or not at all ---------------------


def _no_fit(monkeypatch):
    def fail(*a, **k):
        raise AssertionError("the fit must not start")

    monkeypatch.setattr("isingbio.plm.fit_plm", fail)


@pytest.mark.parametrize(
    "extra, match",
    [
        (["--plot", "{d}/map.notaformat"], "unknown figure format"),
        (["-o", "{d}/sub"], "is a directory"),
        (["-o", "{d}/sub/"], "is a directory"),
        (["--save-model", "{d}/nodir/m.npz"], "does not exist"),
        (["-o", "{d}/x.csv", "--save-model", "{d}/x.csv"], "different files"),
        (["-o", "{aln}"], "would be overwritten"),
        (["--min-separation", "0"], "min-separation"),
    ],
)
def test_bad_outputs_refused_before_fitting(tmp_path, capsys, monkeypatch, small_alignment, extra, match):
    (tmp_path / "sub").mkdir()
    _no_fit(monkeypatch)
    argv = [a.format(d=tmp_path, aln=small_alignment) for a in extra]
    rc = main(["contacts", str(small_alignment), "--quiet"] + argv)
    assert rc == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and match in err
    assert sorted(os.listdir(tmp_path)) == ["aln.fasta", "sub"]


def test_bad_structure_refused_before_fitting(tmp_path, capsys, monkeypatch, small_alignment):
    pytest.importorskip("gemmi")
    (tmp_path / "s.pdb").write_text("not a structure\n")
    _no_fit(monkeypatch)
    rc = main(
        [
            "contacts",
            str(small_alignment),
            "--structure",
            str(tmp_path / "s.pdb"),
            "-o",
            str(tmp_path / "c.csv"),
            "--quiet",
        ]
    )
    assert rc == 2
    assert "s.pdb" in capsys.readouterr().err
    assert not (tmp_path / "c.csv").exists()


def test_late_write_failure_leaves_no_output(tmp_path, capsys, monkeypatch, small_alignment):
    def broken(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("isingbio.io.save_model", broken)
    rc = main(
        [
            "contacts",
            str(small_alignment),
            "-o",
            str(tmp_path / "c.csv"),
            "--plot",
            str(tmp_path / "p.png"),
            "--save-model",
            str(tmp_path / "m.npz"),
            "--max-iter",
            "3",
            "--quiet",
        ]
    )
    assert rc == 1
    err = capsys.readouterr().err
    assert "No space left on device" in err and len(err.strip().splitlines()) == 1
    assert os.listdir(tmp_path) == ["aln.fasta"]  # not the CSV or plot written before it


def test_plot_without_extension_is_png(tmp_path, small_alignment):
    plot = tmp_path / "map"
    assert main(["contacts", str(small_alignment), "--plot", str(plot), "--max-iter", "3", "--quiet"]) == 0
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(os.listdir(tmp_path)) == ["aln.fasta", "map"]


@pytest.mark.parametrize("name", ["m.csv", "m.couplings", "m.mat", "m.rr"])
def test_save_model_under_a_score_file_name_is_refused_before_work(tmp_path, capsys, name):
    rc = main(["contacts", "--example", "--save-model", str(tmp_path / name), "-q"])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and "--save-model" in err and "score file" in err, err
    assert os.listdir(tmp_path) == []
