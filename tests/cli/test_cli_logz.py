import os

import numpy as np
import pytest

from isingbio.cli import main


def test_logz_prints_estimate_bounds_and_exact(tmp_path, capsys):
    out = tmp_path / "logz.npz"
    png = tmp_path / "logz.png"
    code = main(
        [
            "logz",
            "--shape",
            "6x6",
            "--chains",
            "64",
            "--steps",
            "150",
            "--seed",
            "3",
            "--exact",
            "-o",
            str(out),
            "--plot",
            str(png),
            "--quiet",
        ]
    )
    assert code == 0
    text = capsys.readouterr().out
    assert "Ising model on a 6x6 periodic lattice" in text
    for key in ("log Z", "forward (lower)", "reverse (upper)", "gap", "exact", "seed 3"):
        assert key in text
    exact_line = next(line for line in text.splitlines() if line.strip().startswith("exact"))
    value = float(exact_line.split()[1])
    data = np.load(out)
    assert abs(float(data["log_z"]) - value) < 4 * float(data["stderr"]) + 0.02
    assert data["log_weights"].shape == (64,) and data["log_weights_reverse"].shape == (64,)
    assert data["schedule"].shape == (151,)
    assert int(data["seed"]) == 3
    assert png.stat().st_size > 1000
    assert sorted(os.listdir(tmp_path)) == ["logz.npz", "logz.png"]  # no temporary files left


def test_logz_potts_forward_only(capsys):
    code = main(
        [
            "logz",
            "--shape",
            "4x4",
            "--q",
            "3",
            "--temperature",
            "1.5",
            "--chains",
            "32",
            "--steps",
            "50",
            "--schedule",
            "linear",
            "--method",
            "heatbath",
            "--forward-only",
            "--seed",
            "1",
            "--quiet",
        ]
    )
    assert code == 0
    text = capsys.readouterr().out
    assert "3-state Potts" in text and "forward (lower)" in text and "reverse (upper)" not in text


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--shape", "axb"], "--shape"),
        (["--temperature", "-1"], "temperature"),
        (["--shape", "4x4x4"], "--beta"),
        (["--chains", "0"], "n_chains"),
    ],
)
def test_logz_bad_input(argv, message, capsys):
    code = main(["logz", "--steps", "5", "--quiet"] + argv)
    assert code == 2
    assert message in capsys.readouterr().err


def test_logz_model_file(tmp_path, capsys):
    import isingbio
    from isingbio import io

    rng = np.random.default_rng(0)
    h = rng.normal(0, 0.5, size=(5, 3))
    J = rng.normal(0, 0.4, size=(5, 5, 3, 3))
    J = 0.5 * (J + J.transpose(1, 0, 3, 2))
    J[np.arange(5), np.arange(5)] = 0
    model = isingbio.PottsModel(h, J)
    path = tmp_path / "model.npz"
    io.save_model(model, path)
    code = main(["logz", str(path), "--chains", "64", "--steps", "100", "--seed", "2", "--exact", "--quiet"])
    assert code == 0
    text = capsys.readouterr().out
    assert "model from" in text and "exact" in text and "heatbath" in text


def test_logz_exact_for_potts_lattices_by_transfer_matrix(capsys):
    from isingbio.exact import potts_transfer_log_partition

    code = main(
        [
            "logz",
            "--shape",
            "5x4",
            "--q",
            "3",
            "--beta",
            "0.9",
            "--chains",
            "32",
            "--steps",
            "50",
            "--forward-only",
            "--seed",
            "1",
            "--exact",
            "--quiet",
        ]
    )
    assert code == 0
    text = capsys.readouterr().out
    exact_line = next(line for line in text.splitlines() if line.strip().startswith("exact"))
    assert "not available" not in exact_line  # 3^20 configurations: too many to enumerate
    assert float(exact_line.split()[1]) == pytest.approx(potts_transfer_log_partition(3, 4, 5, 0.9), abs=1e-5)


def test_logz_bad_plot_path_leaves_no_output(tmp_path, capsys):
    out = tmp_path / "logz.npz"
    code = main(
        [
            "logz",
            "--shape",
            "4x4",
            "--chains",
            "8",
            "--steps",
            "10",
            "--seed",
            "1",
            "--quiet",
            "-o",
            str(out),
            "--plot",
            str(tmp_path / "missing" / "p.png"),
        ]
    )
    assert code == 2
    assert "output directory does not exist" in capsys.readouterr().err
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("method", ["ais", "tempering"])
def test_logz_at_beta_zero_is_exact_for_both_methods(method, tmp_path, capsys):
    # beta = 0 is the uniform law: isingbio.logz returns N log q exactly; the CLI used to
    # crash (AssertionError, exit 1) with AIS and refuse it with tempering
    out = tmp_path / "z.npz"
    argv = ["logz", "--shape", "3x3", "--q", "3", "--beta", "0", "--method", method, "--seed", "1", "-o", str(out)]
    code = main(argv)
    text = capsys.readouterr().out
    assert code == 0
    assert "exact" in text and f"{9 * np.log(3):.6f}" in text
    with np.load(out) as data:
        assert float(data["log_z"]) == pytest.approx(9 * np.log(3), rel=1e-14)
        assert float(data["stderr"]) == 0.0
    code = main(["logz", "--shape", "3x3", "--beta", "0", "--method", method, "--plot", str(tmp_path / "z.png")])
    assert code == 2 and "beta > 0" in capsys.readouterr().err
    assert not (tmp_path / "z.png").exists()
