"""Ctrl-C: every long-running command stops within two seconds of SIGINT, says "interrupted",
exits with code 130 and leaves no output file (partial or temporary) behind.

Each command runs in a subprocess on a workload of ten seconds or more. SIGINT is sent one
second after the command has printed its first line or used a second of CPU time (so the
signal lands in the work, not in Python's start-up, which on a loaded machine can itself
take a second).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

ROOT = Path(__file__).resolve().parents[2]


def _interrupt(args: list[str], cwd: Path, delay: float = 1.0) -> tuple[int, str, float]:
    env = dict(os.environ, PYTHONUNBUFFERED="1", PYTHONPATH=os.pathsep.join([str(ROOT), *sys.path]))
    proc = subprocess.Popen(
        [sys.executable, "-m", "isingbio", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    started = threading.Event()
    chunks: dict[str, list[str]] = {"out": [], "err": []}

    def pump(stream, key):
        for line in iter(stream.readline, ""):
            chunks[key].append(line)
            started.set()

    threads = [
        threading.Thread(target=pump, args=(proc.stdout, "out"), daemon=True),
        threading.Thread(target=pump, args=(proc.stderr, "err"), daemon=True),
    ]
    for t in threads:
        t.start()
    try:
        deadline = time.monotonic() + 60
        while not started.wait(0.05):  # the first line, or 1 s of CPU time (past the imports)
            assert time.monotonic() < deadline, "the command did not start within 60 s"
            if _cpu_seconds(proc.pid) >= 1.0:
                break
        time.sleep(delay)
        assert proc.poll() is None, "the workload finished before the signal: make it larger\n" + "".join(
            chunks["out"] + chunks["err"]
        )
        sent = time.perf_counter()
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            pytest.fail("the command did not stop within 10 s of SIGINT")
        took = time.perf_counter() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    for t in threads:
        t.join(5)
    return proc.returncode, "".join(chunks["err"]), took


def _cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def _check(tmp_path: Path, args: list[str], outputs: list[str], delay: float = 1.0) -> None:
    before = set(os.listdir(tmp_path))
    code, err, took = _interrupt(args, tmp_path, delay)
    assert code == 130, err
    assert "interrupted" in err and "Traceback" not in err, err
    assert took < 2.0, f"stopped {took:.2f} s after SIGINT"
    for name in outputs:
        assert not (tmp_path / name).exists()
    assert set(os.listdir(tmp_path)) == before  # no temporary files either


@pytest.fixture(scope="module")
def wide_alignment(tmp_path_factory) -> Path:
    """8000 sequences of 150 residues: weights under a second, a fit of tens of seconds."""
    rng = np.random.default_rng(5)
    letters = np.array(list("ACDEFGHIKLMNPQRSTVWY-"))
    base = rng.integers(0, 21, size=(1500, 150))
    m = base[rng.integers(0, 1500, size=8000)]
    mutate = rng.random(m.shape) < 0.25
    m[mutate] = rng.integers(0, 21, size=int(mutate.sum()))
    path = tmp_path_factory.mktemp("aln") / "wide.fasta"
    with open(path, "w") as fh:
        for k, row in enumerate(m):
            fh.write(f">s{k}\n{''.join(letters[row])}\n")
    return path


def test_contacts_interrupted_in_the_fit(tmp_path, wide_alignment):
    args = [
        "contacts",
        str(wide_alignment),
        "--threads",
        "1",
        "-o",
        "pairs.csv",
        "--save-model",
        "model.npz",
    ]
    _check(tmp_path, args, ["pairs.csv", "model.npz"])


def test_contacts_interrupted_in_the_weights(tmp_path):
    # 60,000 distinct sequences: 1.8e9 pairs, seconds of weighting before the fit starts
    rng = np.random.default_rng(6)
    letters = np.array(list("ACDEFGHIKLMNPQRSTVWY-"))
    path = tmp_path / "many.fasta"
    with open(path, "w") as fh:
        for k, row in enumerate(rng.integers(0, 21, size=(60000, 40))):
            fh.write(f">s{k}\n{''.join(letters[row])}\n")
    args = ["contacts", str(path), "--threads", "1", "-v", "-o", "pairs.csv"]
    # the weights start right after the first (-v) line
    _check(tmp_path, args, ["pairs.csv"], delay=0.5)


def test_exact_enumeration_interrupted(tmp_path):
    _check(tmp_path, ["exact", "--lattice", "5x6", "--beta", "0.4", "--threads", "1"], [])


def test_exact_transfer_matrix_interrupted(tmp_path):
    args = ["exact", "--potts-strip", "9x400", "--q", "3", "--temperature", "1.0", "--threads", "1"]
    _check(tmp_path, args, [])


def test_simulate_interrupted(tmp_path):
    args = ["simulate", "--shape", "512x512", "--sweeps", "100000", "--threads", "1", "-o", "run.npz"]
    _check(tmp_path, args, ["run.npz"])


def test_logz_interrupted(tmp_path):
    args = ["logz", "--shape", "128x128", "--steps", "20000", "--chains", "8", "--threads", "1", "-o", "logz.json"]
    _check(tmp_path, args, ["logz.json"])


def test_sample_interrupted(tmp_path):
    import isingbio

    rng = np.random.default_rng(7)
    L, q = 100, 21
    J = rng.normal(0, 0.05, size=(L, L, q, q))
    J = 0.5 * (J + J.transpose(1, 0, 3, 2))
    J[np.arange(L), np.arange(L)] = 0.0
    isingbio.save_model(isingbio.PottsModel(rng.normal(0, 0.3, size=(L, q)), J.astype(np.float32)), tmp_path / "m.npz")
    args = ["sample", "m.npz", "-n", "400000", "--seed", "1", "--threads", "1", "-o", "s.fasta"]
    _check(tmp_path, args, ["s.fasta"])


def test_fit_interrupted_in_the_boltzmann_learning(tmp_path):
    """Ctrl-C in the Boltzmann stage (no PLM start): exit 130, no model, no checkpoint left
    half-written (an interrupted fit writes its checkpoint whole, or none is asked for)."""
    from isingbio.data import example_alignment_path

    args = ["fit", str(example_alignment_path()), "-o", "model.npz", "--init", "profile"]
    args += ["--chains", "20000", "--max-steps", "100000", "--threads", "1", "--seed", "1"]
    _check(tmp_path, args, ["model.npz"])


def test_batch_interrupted(tmp_path, wide_alignment):
    """Ctrl-C in `batch contacts` on a LocalCluster, mid-fit: exit 130, no file in OUTDIR (no
    partial output, no temporary, no summary)."""
    pytest.importorskip("distributed")
    args = ["batch", "contacts", str(wide_alignment), "-o", "out", "--workers", "1", "--threads", "1"]
    code, err, took = _interrupt(args, tmp_path, delay=3.0)
    assert code == 130 and "interrupted" in err and "Traceback" not in err, err
    assert took < 5.0, f"stopped {took:.2f} s after SIGINT"  # the cluster's shutdown included
    assert not [p for p in (tmp_path / "out").rglob("*") if p.is_file()]
