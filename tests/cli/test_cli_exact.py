"""`isingbio exact` end to end through isingbio.cli.main."""

import pytest

from isingbio import IsingModel, exact
from isingbio.cli import main


def parse(out):
    rows = {}
    for line in out.splitlines():
        key, _, value = line.partition("  ")
        rows[key.strip()] = value.strip()
    return rows


def test_torus(capsys):
    assert main(["exact", "--torus", "16x16", "--beta", "0.44"]) == 0
    rows = parse(capsys.readouterr().out)
    t = exact.ising_torus_thermodynamics(16, 16, 0.44)
    assert float(rows["log Z"]) == pytest.approx(t.log_z, rel=1e-14)
    assert float(rows["log Z per site"]) == pytest.approx(t.log_z / 256, rel=1e-14)
    assert float(rows["energy"]) == pytest.approx(t.energy, rel=1e-14)
    assert float(rows["energy per site"]) == pytest.approx(t.energy / 256, rel=1e-14)
    assert float(rows["specific heat"]) == pytest.approx(t.specific_heat, rel=1e-14)


def test_lattice_enumeration_and_temperature(capsys):
    assert main(["exact", "--lattice", "3x3", "--q", "3", "--temperature", "2.0", "--threads", "1"]) == 0
    rows = parse(capsys.readouterr().out)
    from isingbio import PottsModel

    th = exact.thermodynamics(PottsModel.lattice((3, 3), 3), 0.5)
    assert float(rows["log Z"]) == pytest.approx(th.log_z, rel=1e-14)
    assert float(rows["specific heat per site"]) == pytest.approx(th.specific_heat / 9, rel=1e-13)
    assert main(["exact", "--lattice", "4x4", "--beta", "0.3", "--h", "0.2", "--open"]) == 0
    rows = parse(capsys.readouterr().out)
    th = exact.thermodynamics(IsingModel.lattice((4, 4), h=0.2, periodic=False), 0.3)
    assert float(rows["energy"]) == pytest.approx(th.energy, rel=1e-13)
    assert float(rows["<|m|>"]) == pytest.approx(th.abs_magnetization, rel=1e-13)


def test_strip_and_onsager(capsys):
    assert main(["exact", "--potts-strip", "3x10", "--q", "3", "--beta", "1.0", "--open-length"]) == 0
    rows = parse(capsys.readouterr().out)
    assert float(rows["log Z"]) == pytest.approx(
        exact.potts_transfer_log_partition(3, 3, 10, 1.0, periodic_length=False), rel=1e-14
    )
    assert main(["exact", "--onsager", "--beta", "0.5"]) == 0
    rows = parse(capsys.readouterr().out)
    assert float(rows["energy per site"]) == pytest.approx(exact.onsager_energy(0.5), rel=1e-14)


def test_errors(capsys):
    assert main(["exact", "--lattice", "6x6", "--beta", "1"]) == 2
    assert "2^36" in capsys.readouterr().err
    assert main(["exact", "--torus", "16", "--beta", "1"]) == 2
    assert main(["exact", "--torus", "4x4", "--beta", "1", "--h", "0.1"]) == 2
    assert main(["exact", "--torus", "4x4", "--temperature", "0"]) == 2
    with pytest.raises(SystemExit):
        main(["exact", "--beta", "1"])  # nothing to compute: argparse refuses
