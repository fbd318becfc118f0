"""``isingbio simulate --tempering`` and ``isingbio logz --method tempering``."""

import os

import numpy as np
import pytest

from isingbio import exact
from isingbio.cli import main
from isingbio.spin_glass import edwards_anderson


def _rows(text):
    return [line.split() for line in text.splitlines() if line.strip()[:1].isdigit()]


def test_simulate_tempering_table_swaps_outputs(tmp_path, capsys):
    out, png = tmp_path / "pt.npz", tmp_path / "pt.png"
    args = ["simulate", "--shape", "8x8", "--tempering", "1.5:3.5:6", "--sweeps", "600", "--burn-in", "100"]
    code = main([*args, "--runs", "3", "--swap-every", "2", "--seed", "4", "-o", str(out), "--plot", str(png), "-q"])
    assert code == 0
    text = capsys.readouterr().out
    assert "parallel tempering" in text and "round trips" in text and "swap acceptance" in text
    assert "3 run(s)" in text and "swaps every 2" in text and "seed 4" in text
    rows = _rows(text)
    assert len(rows) == 6
    temps = [float(r[0]) for r in rows]
    assert temps[0] == pytest.approx(1.5) and temps[-1] == pytest.approx(3.5) and temps == sorted(temps)
    for r in rows:  # E/N within 5 errors of the exact value of the same torus (Kaufman)
        t, e, se = float(r[0]), float(r[1]), float(r[2])
        assert abs(e - exact.ising_torus_thermodynamics(8, 8, 1 / t).energy_per_site) < 5 * se + 1e-3
    data = np.load(out)
    assert data["energy"].shape == (3, 6, 600) and data["swap_acceptance"].shape == (5,)
    assert data["energy_per_site"].shape == (6, 2) and int(data["seed"]) == 4
    assert png.stat().st_size > 1000
    assert sorted(os.listdir(tmp_path)) == ["pt.npz", "pt.png"]


def test_simulate_tempering_on_a_model_file(tmp_path, capsys):
    path = tmp_path / "ea.npz"
    edwards_anderson((4, 4), seed=5).save(path)
    code = main(["simulate", str(path), "--tempering", "0.5:2.0:5", "--sweeps", "300", "--seed", "1", "-q"])
    assert code == 0
    text = capsys.readouterr().out
    assert f"model from {path}" in text and len(_rows(text)) == 5


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--tempering", "1.5:3.0"], "T_min:T_max:n"),
        (["--tempering", "3.0:1.5:8"], "0 < T_min < T_max"),
        (["--tempering", "1.5:3.0:1"], "n >= 2"),
        (["--tempering", "a:b:c"], "T_min:T_max:n"),
        (["--tempering", "1:2:4", "--chains", "3"], "--chains"),
        (["--tempering", "1:2:4", "--init", "ordered"], "--init"),
        (["--tempering", "1:2:4", "--runs", "0"], "--runs must be >= 1"),
        (["--tempering", "1:2:4", "--swap-every", "0"], "--swap-every must be >= 1"),
        (["--runs", "2"], "apply only with --tempering"),
        (["--adapt"], "apply only with --tempering"),
    ],
)
def test_simulate_tempering_bad_input(extra, message, capsys):
    assert main(["simulate", "--shape", "4x4", "--sweeps", "10", *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_simulate_tempering_and_temperature_are_exclusive(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["simulate", "--tempering", "1:2:4", "--temperature", "2.0"])
    assert exc.value.code == 2


def test_logz_tempering_matches_kaufman(tmp_path, capsys):
    out, png = tmp_path / "lz.npz", tmp_path / "lz.png"
    args = ["logz", "--shape", "8x8", "--method", "tempering", "--sweeps", "2000", "--seed", "2", "--exact"]
    assert main([*args, "-o", str(out), "--plot", str(png), "-q"]) == 0
    text = capsys.readouterr().out
    for key in ("log Z by tempering (mbar)", "MBAR", "TI", "swap acceptance", "exact", "seed 2"):
        assert key in text
    data = np.load(out)
    truth = exact.ising_torus_log_partition(8, 8, exact.ising_critical_beta())
    assert abs(float(data["log_z"]) - truth) < 4.5 * float(data["stderr"])
    assert data["betas"][0] == 0.0 and data["log_z_ti"].shape == data["betas"].shape
    assert data["log_z_mbar"].shape == data["betas"].shape
    assert png.stat().st_size > 1000 and sorted(os.listdir(tmp_path)) == ["lz.npz", "lz.png"]


def test_logz_tempering_options(capsys):
    args = ["logz", "--shape", "4x4", "--method", "tempering", "--rungs", "9", "--sweeps", "300", "--runs", "3"]
    assert main([*args, "--ladder", "geometric", "--estimator", "ti", "--sampler", "heatbath", "-q"]) == 0
    text = capsys.readouterr().out
    assert "log Z by tempering (ti)" in text and "9 rungs" in text and "3 run(s)" in text and "heatbath" in text


def test_logz_kernel_name_still_means_ais(capsys):
    assert main(["logz", "--shape", "4x4", "--method", "heatbath", "--chains", "16", "--steps", "20", "-q"]) == 0
    text = capsys.readouterr().out
    assert "AIS" in text and "heatbath" in text


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--method", "tempering", "--chains", "8"], "--chains do(es) not apply to --method tempering"),
        (["--method", "tempering", "--forward-only"], "--forward-only"),
        (["--method", "ais", "--rungs", "8"], "--rungs do(es) not apply to --method ais"),
        (["--rungs", "8", "--sweeps", "10"], "--rungs, --sweeps"),
        (["--method", "metropolis", "--sampler", "heatbath"], "--sampler says heatbath"),
        (["--method", "tempering", "--rungs", "1"], "--rungs must be >= 2"),
        (["--method", "tempering", "--beta", "-1"], "beta must be >= 0"),
        (["--method", "tempering", "--beta", "0", "--plot", "z.png"], "--plot needs beta > 0"),
    ],
)
def test_logz_bad_input(extra, message, capsys):
    assert main(["logz", "--shape", "4x4", *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_simulate_tempering_with_cluster_methods(capsys):
    for method in ["wolff", "swendsen-wang"]:
        code = main(
            ["simulate", "--shape", "6x6", "--tempering", "1.8:3.0:4", "--method", method]
            + ["--sweeps", "300", "--burn-in", "100", "--seed", "2", "--quiet"]
        )
        assert code == 0
        text = capsys.readouterr().out
        assert f"parallel tempering, {method}, 4 temperatures" in text and "round trips" in text


def test_simulate_tempering_refuses_a_cluster_method_before_printing(capsys):
    code = main(
        ["simulate", "--shape", "4x4", "--q", "3", "--J=-1", "--tempering", "0.5:2:4", "--method", "wolff"]
        + ["--sweeps", "10", "--quiet"]
    )
    assert code == 2
    out, err = capsys.readouterr()
    assert out == ""  # not even the model line
    assert "ferromagnetic" in err and len(err.strip().splitlines()) == 1
