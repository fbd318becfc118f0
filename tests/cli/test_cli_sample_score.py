"""``isingbio sample`` and ``isingbio score`` end to end: sample -> FASTA -> score."""

import csv
import io as _io
import os

import numpy as np
import pytest

from isingbio import PottsModel
from isingbio.alignment import read_alignment
from isingbio.alphabets import PROTEIN
from isingbio.cli import main
from isingbio.io import save_model

POSITIONS = np.arange(10, 18)  # residue numbers 10..17
L, Q = len(POSITIONS), 21


def _model():
    rng = np.random.default_rng(5)
    h = rng.normal(0, 1.0, (L, Q))
    J = rng.normal(0, 0.2, (L, L, Q, Q))
    J = (J + J.transpose(1, 0, 3, 2)) / 2
    J[np.arange(L), np.arange(L)] = 0
    model = PottsModel(h.astype(np.float32), J.astype(np.float32))
    model.alphabet = PROTEIN
    model.positions = POSITIONS
    return model


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    """A model file as isingbio.io writes it."""
    path = tmp_path_factory.mktemp("model") / "model.npz"
    save_model(_model(), path)
    return str(path)


def _read_csv(text):
    return list(csv.DictReader(_io.StringIO(text)))


def test_sample_then_score(tmp_path, model_file, capsys):
    out = tmp_path / "samples.fasta"
    png = tmp_path / "mixing.png"
    start = "ACDEFGHI"
    code = main(
        [
            "sample",
            model_file,
            "-n",
            "200",
            "--chains",
            "4",
            "--burn-in",
            "100",
            "--thin",
            "5",
            "--start",
            start,
            "--fix",
            "12=K",
            "--fix",
            "17=W",
            "--seed",
            "3",
            "--threads",
            "1",
            "-o",
            str(out),
            "--plot",
            str(png),
            "--quiet",
        ]
    )
    assert code == 0
    text = capsys.readouterr().out
    for key in (
        "L = 8, q = 21",
        "positions 10-17",
        "fixed: 12=K,17=W",
        "seed 3",
        "mixing diagnostics",
        "R-hat",
        "started every chain from ACDEFGHI",
        "wrote 200 sequences",
    ):
        assert key in text
    aln = read_alignment(out)
    assert aln.N == 200 and aln.L == L
    assert all(s[2] == "K" and s[7] == "W" for s in aln.sequences())
    header = out.read_text().splitlines()[0]
    assert header.startswith(">sample_000001 chain=0 sweep=105 energy=") and header.endswith("positions=10-17")
    assert png.stat().st_size > 1000
    assert sorted(os.listdir(tmp_path)) == ["mixing.png", "samples.fasta"]  # no temporary files left

    # score the samples: energies agree with the headers and with the model
    code = main(["score", model_file, str(out), "--log-z", "12.5"])
    assert code == 0
    rows = _read_csv(capsys.readouterr().out)
    assert len(rows) == 200 and rows[0]["id"] == "sample_000001"
    model = _model()
    e = model.energy(aln.matrix)
    np.testing.assert_allclose([float(r["energy"]) for r in rows], e, atol=1e-4)
    np.testing.assert_allclose([float(r["log_prob"]) for r in rows], -e - 12.5, atol=1e-4)
    head_e = float(header.split("energy=")[1].split()[0])
    assert head_e == pytest.approx(e[0], abs=1e-3)


def test_same_seed_same_fasta(tmp_path, model_file):
    a, b = tmp_path / "a.fasta", tmp_path / "b.fasta"
    for path, threads in ((a, "1"), (b, "2")):
        assert (
            main(
                [
                    "sample",
                    model_file,
                    "-n",
                    "30",
                    "--chains",
                    "3",
                    "--burn-in",
                    "10",
                    "--seed",
                    "8",
                    "--threads",
                    threads,
                    "-o",
                    str(path),
                    "--quiet",
                ]
            )
            == 0
        )
    assert a.read_text() == b.read_text()


def _local_minimum(model, seq):
    """Steepest descent by single mutations from `seq`."""
    from isingbio.scoring import mutation_effects

    x = PROTEIN.encode(seq).astype(np.int64)
    while True:
        delta = mutation_effects(model, x)
        i, b = np.unravel_index(np.argmin(delta), delta.shape)
        if delta[i, b] >= 0:
            return PROTEIN.decode(x), float(np.sort(delta.ravel())[L])  # smallest non-zero change
        x[i] = b


def test_sample_to_stdout_from_fasta_start(tmp_path, model_file, capsys):
    wt, gap = _local_minimum(_model(), "MKLVWYAC")
    assert gap > 0.05
    start = tmp_path / "start.fasta"
    start.write_text(f">wt some description\n{wt}\n>other\nAAAAAAAA\n")
    # a local minimum at low temperature: the chains stay at their start, so it was used
    code = main(
        [
            "sample",
            model_file,
            "-n",
            "16",
            "--chains",
            "4",
            "--burn-in",
            "0",
            "--thin",
            "1",
            "--beta",
            "200",
            "--method",
            "metropolis",
            "--start",
            str(start),
            "--seed",
            "1",
            "--quiet",
        ]
    )
    assert code == 0
    captured = capsys.readouterr()
    assert captured.out.startswith(">sample_000001")
    seqs = captured.out.splitlines()[1::2]
    assert len(seqs) == 16
    assert "mixing diagnostics" in captured.err  # the report goes to stderr when FASTA goes to stdout
    assert all(s == wt for s in seqs)
    # from random starts the chains end elsewhere
    assert (
        main(
            [
                "sample",
                model_file,
                "-n",
                "16",
                "--chains",
                "4",
                "--burn-in",
                "0",
                "--thin",
                "1",
                "--beta",
                "200",
                "--method",
                "metropolis",
                "--seed",
                "1",
                "--quiet",
            ]
        )
        == 0
    )
    assert any(s != wt for s in capsys.readouterr().out.splitlines()[1::2])


def test_mutation_table_and_heatmap(tmp_path, model_file, capsys):
    seqs = tmp_path / "seqs.fasta"
    seqs.write_text(">wt\nMKLVWYAC\n>m2\nMKLVWYAA\n")
    out = tmp_path / "mut.csv"
    png = tmp_path / "heat.png"
    code = main(["score", model_file, str(seqs), "--mutations", "wt", "-o", str(out), "--plot", str(png)])
    assert code == 0
    text = capsys.readouterr().out
    assert "single mutants of wt" in text
    rows = _read_csv(out.read_text())
    assert len(rows) == L * 20
    model = _model()
    wt = PROTEIN.encode("MKLVWYAC")
    row = next(r for r in rows if r["mutant"] == "C17A")
    mt = wt.copy()
    mt[7] = PROTEIN.letters.index("A")
    assert float(row["delta_e"]) == pytest.approx(model.energy(mt) - model.energy(wt), abs=1e-4)
    assert row["position"] == "17" and row["wt"] == "C" and row["mt"] == "A"
    assert png.stat().st_size > 1000
    # a literal target, printed to stdout
    assert main(["score", model_file, "--mutations", "MKLVWYAC"]) == 0
    rows2 = _read_csv(capsys.readouterr().out)
    assert [r["delta_e"] for r in rows2] == [r["delta_e"] for r in rows]


def test_mutations_default_to_the_fitted_target(tmp_path, capsys):
    """A model fitted by PLM records its target; --mutations without a value scans it."""
    from isingbio import fit_plm, save_model

    aln_path = tmp_path / "aln.fasta"
    rng = np.random.default_rng(0)
    seqs = ["".join(rng.choice(list("ACDEFG"), 8)) for _ in range(40)]
    aln_path.write_text("".join(f">s{k}\n{s}\n" for k, s in enumerate(seqs)))
    model = fit_plm(read_alignment(aln_path), n_threads=1).model
    assert model.metadata["target"] == {"id": "s0", "sequence": seqs[0]}
    path = tmp_path / "fit.npz"
    save_model(model, path)
    assert main(["score", str(path), "--mutations"]) == 0
    default = capsys.readouterr().out
    assert main(["score", str(path), "--mutations", seqs[0]]) == 0
    assert capsys.readouterr().out == default
    bare = tmp_path / "bare.npz"
    save_model(_model(), bare)
    assert main(["score", str(bare), "--mutations"]) == 2
    assert "records no target sequence" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["sample", "{model}", "--fix", "99=K"], "position 99 is not a position of the model (positions 10-17)"),
        (["sample", "{model}", "--fix", "12=B"], "letter 'B' at position 12 is not in the model's alphabet"),
        (["sample", "{model}", "--fix", "12K"], "POSITION=LETTER"),
        (["sample", "{model}", "--start", "ACD"], "--start: sequences have length 3 but the model has L = 8"),
        (["sample", "{model}", "--start", "ACDEFGH@"], "--start: sequence 1: character '@'"),
        (["sample", "{model}", "--start", "missing.fasta"], "--start: no such file: missing.fasta"),
        (["sample", "{model}", "-n", "0"], "-n must be >= 1"),
        (["sample", "{model}", "--thin", "0"], "thin must be >= 1"),
        (["sample", "{model}", "--beta", "-1"], "beta must be >= 0"),
        (["score", "{model}"], "give SEQUENCES.fasta to score, or --mutations TARGET"),
        (["score", "{model}", "--mutations", "MKL"], "--mutations: sequences have length 3"),
        (["score", "{model}", "{seqs}", "--log-z", "abc"], "--log-z must be a number or 'ais'"),
        (["score", "{model}", "{short}"], "sequences have 3 columns but the model has L = 8"),
    ],
)
def test_bad_input_is_a_one_line_error(tmp_path, model_file, capsys, argv, message):
    seqs = tmp_path / "seqs.fasta"
    seqs.write_text(">a\nMKLVWYAC\n")
    short = tmp_path / "short.fasta"
    short.write_text(">a\nMKL\n")
    argv = [a.format(model=model_file, seqs=seqs, short=short) for a in argv]
    out = tmp_path / "never.fasta"
    if argv[0] == "sample":
        argv += ["-o", str(out), "--quiet"]
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert err.count("\n") == 1
    assert not out.exists()


def test_missing_model_file(tmp_path, capsys):
    assert main(["sample", str(tmp_path / "none.npz"), "-n", "5"]) == 2
    assert "none.npz" in capsys.readouterr().err


def test_score_energy_histogram_plot(tmp_path, model_file, capsys):
    seqs = tmp_path / "seqs.fasta"
    seqs.write_text(">a\nMKLVWYAC\n>b\nMKLVWYAA\n>c\nAKLVWYAA\n")
    out, png = tmp_path / "scores.csv", tmp_path / "hist.png"
    assert main(["score", model_file, str(seqs), "-o", str(out), "--plot", str(png)]) == 0
    assert png.stat().st_size > 1000
    assert len(_read_csv(out.read_text())) == 3
    assert sorted(os.listdir(tmp_path)) == ["hist.png", "scores.csv", "seqs.fasta"]


@pytest.mark.parametrize("command", ["sample", "score", "mutations"])
def test_bad_plot_path_leaves_no_output(tmp_path, model_file, capsys, command):
    seqs = tmp_path / "seqs.fasta"
    seqs.write_text(">a\nMKLVWYAC\n")
    out = tmp_path / "out.txt"
    argv = {
        "sample": ["sample", model_file, "-n", "4", "--burn-in", "1", "--quiet"],
        "score": ["score", model_file, str(seqs)],
        "mutations": ["score", model_file, "--mutations", "MKLVWYAC"],
    }[command]
    code = main(argv + ["-o", str(out), "--plot", str(tmp_path / "missing" / "p.png")])
    err = capsys.readouterr().err
    assert code == 2 and "output directory does not exist" in err and err.count("\n") == 1
    assert os.listdir(tmp_path) == ["seqs.fasta"]


def test_score_negative_beta_is_an_error_before_any_output(tmp_path, model_file, capsys):
    seqs = tmp_path / "seqs.fasta"
    seqs.write_text(">a\nMKLVWYAC\n")
    assert main(["score", model_file, str(seqs), "--beta", "-1", "--log-z", "3"]) == 2
    captured = capsys.readouterr()
    assert "beta must be >= 0" in captured.err and captured.err.count("\n") == 1 and captured.out == ""


def test_lattice_models_saved_in_their_form_are_sampled_dense(tmp_path):
    lattice = PottsModel.lattice((3, 4), 3, J=0.7)
    save_model(lattice, tmp_path / "lat.npz")
    save_model(lattice.to_dense(), tmp_path / "dense.npz")
    for name in ("lat", "dense"):
        argv = ["sample", str(tmp_path / f"{name}.npz"), "-n", "4", "--burn-in", "5", "--chains", "2"]
        assert main([*argv, "--seed", "1", "-q", "-o", str(tmp_path / f"{name}.fa")]) == 0
    assert (tmp_path / "lat.fa").read_text() == (tmp_path / "dense.fa").read_text()
