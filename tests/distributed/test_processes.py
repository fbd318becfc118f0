"""Dask processes started as a user starts them (``dask scheduler``, ``dask worker``), a
worker killed mid-task, and a batch killed outright then resumed."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

from isingbio.cli import main
from isingbio.distributed import map_contacts
from isingbio.distributed._batch import family_name

from .conftest import CONTACT_ARGS, worker_env

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _no_temporaries(out) -> bool:
    return not [f for f in os.listdir(out) if f.startswith(".") and f != ".done"]


def test_scheduler_and_worker_processes(tmp_path, families, serial_csvs, capsys):
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = worker_env()
    sched = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", str(port)]
        + ["--no-dashboard"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    worker = None
    try:
        worker = subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1", "--nworkers", "1"]
            + ["--resources", "MEMORY=2e9", "--no-dashboard", "--memory-limit", "0"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        out = tmp_path / "out"
        rc = main(["batch", "contacts", *families, "-o", str(out), "--scheduler", address, *CONTACT_ARGS])
        batch_out = capsys.readouterr().out
        assert rc == 0, batch_out
        for name, data in serial_csvs.items():
            assert (out / f"{name}.csv").read_bytes() == data
        # the same scheduler for AIS: the same log Z as one process
        assert main(["logz", "--shape", "4x4", "--chains", "8", "--steps", "30", "--seed", "2"]) == 0
        serial = capsys.readouterr().out
        assert (
            main(["logz", "--shape", "4x4", "--chains", "8", "--steps", "30", "--seed", "2", "--scheduler", address])
            == 0
        )
        lines = [ln for ln in capsys.readouterr().out.splitlines() if "time" not in ln]
        assert lines == [ln for ln in serial.splitlines() if "time" not in ln]
    finally:
        if worker is not None:
            _stop(worker)
        _stop(sched)


def test_worker_killed_mid_task(tmp_path, client, families):
    """SIGKILL the worker running a fit: the scheduler retries it elsewhere (or marks it
    failed); no partial output remains; a resumed run completes the batch."""
    out = tmp_path / "out"
    path = families[0]
    name = family_name(path)
    result: dict = {}
    runner = threading.Thread(
        target=lambda: result.update(
            table=map_contacts([path], out, client=client, max_iter=30, seed=1, threads=1, min_separation=6)
        )
    )
    runner.start()
    victim = None
    deadline = time.time() + 60
    while victim is None and time.time() < deadline:
        for addr, keys in client.processing().items():
            if any(str(k).startswith("isingbio-contacts-") for k in keys):
                victim = addr
        time.sleep(0.05)
    assert victim is not None, "the fit never started"
    time.sleep(0.5)  # inside the fit
    pid = client.run(os.getpid, workers=[victim])[victim]
    os.kill(pid, signal.SIGKILL)
    runner.join(240)
    assert not runner.is_alive()
    table = result["table"]
    assert table["status"][0] in ("ok", "failed")
    if table["status"][0] == "failed":
        assert "worker" in table["message"][0]
        assert not (out / f"{name}.csv").exists()
    assert _no_temporaries(out)
    again = map_contacts([path], out, client=client, max_iter=30, seed=1, threads=1, resume=True)
    assert again["status"][0] == "ok"
    assert (out / f"{name}.csv").exists()
    assert _no_temporaries(out)


def test_killed_batch_resumes(tmp_path, families, malformed, serial_csvs):
    """Kill a whole `isingbio batch` (driver and workers) after its first family: outputs are
    whole or absent, and --resume finishes the rest, byte-identical to serial runs."""
    if len(families) < 2:
        pytest.skip("needs the shared families")
    out = tmp_path / "out"
    argv = [sys.executable, "-m", "isingbio", "batch", "contacts", *families, "-o", str(out), "--workers", "1"]
    proc = subprocess.Popen(
        [*argv, *CONTACT_ARGS],
        env=worker_env(),
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 120
        while time.time() < deadline and proc.poll() is None:
            if (out / ".done").is_dir() and os.listdir(out / ".done"):
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the batch finished before it could be killed"
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    for f in os.listdir(out):
        if f.endswith(".csv"):  # whatever was renamed into place is whole
            assert (out / f).read_bytes() == serial_csvs[f[:-4]]
    rc = subprocess.run([*argv, *CONTACT_ARGS, "--resume"], env=worker_env(), capture_output=True, text=True)
    assert rc.returncode == 0, rc.stderr
    assert "resumed" in (out / "summary.csv").read_text()
    for name, data in serial_csvs.items():
        assert (out / f"{name}.csv").read_bytes() == data
    assert _no_temporaries(out)
