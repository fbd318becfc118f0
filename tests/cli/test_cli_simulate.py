import os

import numpy as np
import pytest

from isingbio.cli import main


def test_simulate_prints_a_summary_and_writes_outputs(tmp_path, capsys):
    out = tmp_path / "run.npz"
    png = tmp_path / "traces.png"
    code = main(
        [
            "simulate",
            "--shape",
            "16x16",
            "--sweeps",
            "200",
            "--burn-in",
            "50",
            "--seed",
            "3",
            "-o",
            str(out),
            "--plot",
            str(png),
            "--quiet",
        ]
    )
    assert code == 0
    text = capsys.readouterr().out
    assert "energy per site" in text and "acceptance rate" in text and "seed 3" in text
    data = np.load(out)
    assert data["energy"].shape == (2, 200)
    assert data["final_states"].shape == (2, 16, 16)
    assert int(data["seed"]) == 3
    assert png.stat().st_size > 1000
    assert sorted(os.listdir(tmp_path)) == ["run.npz", "traces.png"]  # no temporary files left


def test_temperature_scan_table(tmp_path, capsys):
    png = tmp_path / "scan.png"
    code = main(
        [
            "simulate",
            "--shape",
            "8x8",
            "--temperatures",
            "2.0:3.0:3",
            "--sweeps",
            "100",
            "--burn-in",
            "20",
            "--seed",
            "1",
            "--plot",
            str(png),
            "--quiet",
        ]
    )
    assert code == 0
    lines = capsys.readouterr().out.splitlines()
    rows = [line for line in lines if line.strip()[:1].isdigit()]
    assert len(rows) == 3
    assert png.exists()


def test_potts_and_wolff(capsys):
    assert (
        main(
            [
                "simulate",
                "--shape",
                "12x12",
                "--q",
                "3",
                "--method",
                "wolff",
                "--sweeps",
                "50",
                "--seed",
                "2",
                "--quiet",
            ]
        )
        == 0
    )
    assert "mean cluster size" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--temperature", "-1"], "--temperature must be finite and > 0"),
        (["--shape", "abc"], "--shape must look like"),
        (["--q", "1"], "q must be between 2"),
        (["--temperatures", "2:1:x"], "--temperatures must look like"),
        (["--beta", "nan"], "beta must be finite"),
    ],
)
def test_bad_input_gives_one_line_and_exit_2(argv, message, capsys, tmp_path):
    out = tmp_path / "never.npz"
    code = main(["simulate", "--sweeps", "10", "-o", str(out), "--quiet"] + argv)
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
    assert not out.exists()


def test_config_and_version(capsys):
    assert main(["config"]) == 0
    assert "openmp" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0


def test_output_without_npz_extension_is_complete(tmp_path, capsys):
    out = tmp_path / "run.dat"
    code = main(
        ["simulate", "--shape", "8x8", "--sweeps", "20", "--burn-in", "0", "--seed", "1", "-o", str(out), "--quiet"]
    )
    assert code == 0
    assert sorted(os.listdir(tmp_path)) == ["run.dat"]  # no stray temporary .npz
    assert np.load(out)["energy"].shape == (2, 20)


def test_bad_seed_and_output_path_fail_fast_with_one_line(tmp_path, capsys):
    assert main(["simulate", "--shape", "8x8", "--seed", "-3", "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert "seed" in err and len(err.splitlines()) == 1
    assert main(["simulate", "--shape", "8x8", "--sweeps", "10", "-o", str(tmp_path / "no" / "x.npz"), "--quiet"]) == 2
    captured = capsys.readouterr()
    assert "does not exist" in captured.err and "energy per site" not in captured.out
