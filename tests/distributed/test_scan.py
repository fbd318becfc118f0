"""Temperature scans on Dask: the same table as one process, for any block size."""

from __future__ import annotations

import numpy as np
import pytest

import isingbio
from isingbio.distributed import temperature_scan
from isingbio.distributed._scan import scan_point


def test_scan_matches_serial_points(client):
    model = isingbio.IsingModel.lattice((8, 8))
    temps = [1.8, 2.3, 2.8]
    seq = np.random.SeedSequence(5)
    streams = np.random.SeedSequence(5).spawn(3)
    serial = [
        scan_point(model, t, s, n_sweeps=300, method="swendsen-wang", burn_in=50, n_threads=1)
        for t, s in zip(temps, streams)
    ]
    for block in (1, 2):
        table = temperature_scan(model, temps, 300, burn_in=50, seed=seq, client=client, block=block)
        assert table["method"] == "swendsen-wang" and table["seed"] == 5
        for k in range(3):
            assert tuple(table["energy"][k]) == serial[k]["energy"]
            assert tuple(table["specific_heat"][k]) == serial[k]["specific_heat"]
            assert table["tau_int"][k] == serial[k]["tau_int"]
    # the energy per site falls with the temperature (an ordered 8x8 torus near -2 at T = 1.8)
    assert table["energy"][0, 0] < table["energy"][1, 0] < table["energy"][2, 0]
    assert -2.0 <= table["energy"][0, 0] < -1.7


def test_simulate_cli_workers_same_output(capsys):
    from isingbio.cli import main

    argv = [
        "simulate",
        "--shape",
        "6x6",
        "--temperatures",
        "2:3:2",
        "--sweeps",
        "100",
        "--burn-in",
        "20",
        "--seed",
        "3",
    ]
    assert main(argv) == 0
    serial = capsys.readouterr().out
    assert main([*argv, "--workers", "2", "--threads", "1"]) == 0
    assert capsys.readouterr().out == serial


def test_simulate_cluster_options_need_a_scan(capsys):
    from isingbio.cli import main

    assert main(["simulate", "--shape", "4x4", "--workers", "2"]) == 2
    assert "apply to a scan" in capsys.readouterr().err


def test_scan_arguments_checked_before_any_task():
    """A bad argument is refused here, before the cluster is even reached."""
    import isingbio
    from isingbio.distributed import temperature_scan
    from isingbio.errors import InputError

    model = isingbio.IsingModel.lattice((4, 4))
    nowhere = "tcp://127.0.0.1:1"  # no scheduler: reaching it would fail after a timeout
    for kwargs, match in (
        (dict(n_sweeps=0), "no records"),
        (dict(n_sweeps=10, thin=20), "no records"),
        (dict(n_sweeps=10, n_chains=0), "n_chains"),
        (dict(n_sweeps=10, method="bogus"), "bogus"),
    ):
        with pytest.raises(InputError, match=match):
            temperature_scan(model, [1.0, 2.0], client=nowhere, **kwargs)
