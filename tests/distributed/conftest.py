"""Fixtures for the distributed tests: a small LocalCluster (2 worker processes x 1 thread),
families (the shipped PF00014 and, when ../shared/data is present, two shared ones) and the
serial `isingbio contacts -o` CSVs to compare with."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

pytest.importorskip("distributed")  # the [distributed] extra (part of [test])

from isingbio.cli import main
from isingbio.data import example_alignment_path

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
CONTACT_ARGS = ["--max-iter", "5", "--seed", "1", "--threads", "1"]
REPO = str(Path(__file__).resolve().parents[2])


def worker_env() -> dict:
    """Environment for subprocesses: this checkout first on the path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = REPO + os.pathsep + env.get("PYTHONPATH", "")
    env["DASK_LOGGING__DISTRIBUTED"] = "error"
    return env


@pytest.fixture(scope="session")
def families() -> list[str]:
    fams = [str(example_alignment_path())]
    for name in ("1atzA",):
        path = SHARED / name / "prepared" / f"{name}.fasta"
        if path.exists():
            fams.append(str(path))
    return fams


@pytest.fixture(scope="session")
def malformed(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("bad") / "broken.fasta"
    path.write_text(">a\nACDEF\n>b\nACD\n")
    return str(path)


@pytest.fixture(scope="session")
def serial_csvs(families, tmp_path_factory) -> dict[str, bytes]:
    """family -> bytes of the serial `isingbio contacts ALIGNMENT -o` CSV."""
    from isingbio.distributed._batch import family_name

    out = tmp_path_factory.mktemp("serial")
    csvs = {}
    for path in families:
        name = family_name(path)
        assert main(["contacts", path, "-o", str(out / f"{name}.csv"), "-q", *CONTACT_ARGS]) == 0
        csvs[name] = (out / f"{name}.csv").read_bytes()
    return csvs


@pytest.fixture(scope="session")
def client():
    """A LocalCluster of 2 worker processes x 1 thread, as isingbio.distributed starts one."""
    from isingbio.distributed import connect

    with connect(None, n_workers=2, threads=1) as c:
        yield c


PYTHON = sys.executable
