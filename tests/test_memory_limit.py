"""The memory check uses the tightest limit (ulimit -v, cgroup, available memory) and names it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from isingbio._config import memory_limit

resource = pytest.importorskip("resource")

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc and cgroup files")


def _run(code: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=600, env=env
    )


def test_memory_limit_is_positive_and_named():
    avail, which = memory_limit()
    assert avail > 0
    assert which


def test_rlimit_as_applies_and_is_named():
    out = _run(
        """
        import resource
        from isingbio._config import memory_limit
        resource.setrlimit(resource.RLIMIT_AS, (3 << 30, resource.RLIM_INFINITY))
        avail, which = memory_limit()
        print(avail, which, sep="|")
        """
    )
    assert out.returncode == 0, out.stderr
    avail, which = out.stdout.strip().split("|")
    assert 0 < int(avail) < 3 << 30
    assert "RLIMIT_AS" in which and "3.0 GiB" in which


def test_fit_refused_before_allocation_under_rlimit_as():
    # L = 800, q = 21: about 5 GiB for the fit (2.8 GiB with the smallest L-BFGS history); under
    # a 2 GiB address-space limit the check must refuse it (MemoryLimitError naming RLIMIT_AS)
    # before anything big is allocated
    out = _run(
        """
        import resource
        import numpy as np
        import isingbio
        from isingbio.errors import MemoryLimitError
        x = np.random.default_rng(0).integers(0, 21, size=(20, 800)).astype(np.int8)
        need = isingbio.plm.estimate_plm_memory(20, 800, 21, history=1)
        assert need > 5 << 29, need
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, resource.RLIM_INFINITY))
        try:
            isingbio.fit_plm(x, q=21, weights="uniform", n_threads=1)
        except MemoryLimitError as exc:
            print("refused:", exc)
        else:
            print("not refused")
        """
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("refused:"), out.stdout
    assert "RLIMIT_AS (ulimit -v) of 2.0 GiB" in out.stdout
    assert "L=800" in out.stdout and "--max-gap-col" in out.stdout and "domain" in out.stdout
    assert "fewer states" in out.stdout
    assert "\n" not in out.stdout.strip()  # one line


_MEASURE = """
    import resource, sys, warnings
    import numpy as np
    import isingbio, isingbio.models
    from isingbio.plm import estimate_plm_memory, fit_plm

    def rss():
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024

    N, L = {N}, {L}
    x = np.random.default_rng(1).integers(0, 21, size=(N, L)).astype(np.int8)
    {setup}
    before = rss()
    warnings.simplefilter("ignore")
    res = fit_plm(x, q=21, weights="uniform", n_threads=1, max_iter={max_iter}, tol=0.0)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before
    history = res.hyperparameters["lbfgs_history"]
    print(peak, estimate_plm_memory(N, L, 21, history=history), res.n_iter, history)
"""


@pytest.mark.parametrize("L", [200, 280, 360])
def test_memory_estimate_matches_the_measured_peak(L):
    # enough iterations for every L-BFGS slot to be written (history + 1), so that the
    # measured peak is the fit's whole working set; sizes of 0.3-1 GB, so that pages of shared
    # libraries evicted and read back on a busy machine stay well inside the 10%
    out = _run(_MEASURE.format(N=40, L=L, max_iter=6, setup=""))
    assert out.returncode == 0, out.stderr
    peak, est, n_iter, history = map(int, out.stdout.split())
    assert n_iter >= history + 1, out.stdout
    assert abs(peak - est) <= 0.10 * est, (peak, est)


def _mem_available() -> int:
    with open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return 0


@pytest.mark.slow
@pytest.mark.skipif(sys.platform.startswith("linux") and _mem_available() < 10 << 30, reason="needs 10 GiB free")
def test_long_protein_fits_in_8_gib():
    # L = 1000, q = 21 (220 million parameters): the fit runs to completion under an
    # address-space limit of 8 GiB above what the process already maps
    setup = """
    with open("/proc/self/status") as fh:
        vm = [int(line.split()[1]) * 1024 for line in fh if line.startswith("VmSize:")][0]
    resource.setrlimit(resource.RLIMIT_AS, (vm + (8 << 30), resource.RLIM_INFINITY))
    """
    out = _run(_MEASURE.format(N=12, L=1000, max_iter=2, setup=textwrap.dedent(setup).strip().replace("\n", "\n    ")))
    assert out.returncode == 0, out.stderr
    peak, est, n_iter, history = map(int, out.stdout.split())
    assert n_iter >= 1 and history >= 1
    assert peak < 8 << 30 and est < 8 << 30


def test_cli_refusal_names_the_limit(tmp_path):
    # the contacts command on an alignment too wide for a 2 GiB address space: exit 1, one line
    rng = __import__("numpy").random.default_rng(1)
    letters = "ACDEFGHIKLMNPQRSTVWY"
    fasta = tmp_path / "wide.fasta"
    with open(fasta, "w") as fh:
        for n in range(20):
            fh.write(f">s{n}\n" + "".join(rng.choice(list(letters), size=800)) + "\n")
    out = _run(
        f"""
        import resource, sys
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, resource.RLIM_INFINITY))
        from isingbio.cli import main
        sys.exit(main(["contacts", {str(fasta)!r}, "--threads", "1", "-q"]))
        """
    )
    assert out.returncode == 1, out.stderr
    err = out.stderr.strip().splitlines()
    assert len(err) == 1 and "RLIMIT_AS" in err[0] and "Traceback" not in out.stderr


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_cgroup_v2_limit_of_the_process_and_its_parents(tmp_path):
    from isingbio._config import _cgroup_limits

    _write(tmp_path / "user.slice" / "job" / "memory.max", "max\n")
    _write(tmp_path / "user.slice" / "job" / "memory.current", "1000\n")
    _write(tmp_path / "user.slice" / "memory.max", str(8 << 30) + "\n")  # the parent binds
    _write(tmp_path / "user.slice" / "memory.current", str(1 << 30) + "\n")
    found = _cgroup_limits("0::/user.slice/job\n", str(tmp_path))
    assert len(found) == 1
    room, which = found[0]
    assert room == 7 << 30
    assert "cgroup v2 memory.max limit of 8.0 GiB" in which


def test_cgroup_v1_limit(tmp_path):
    from isingbio._config import _cgroup_limits

    base = tmp_path / "memory" / "docker" / "abc"
    _write(base / "memory.limit_in_bytes", str(2 << 30))
    _write(base / "memory.usage_in_bytes", str(1 << 29))
    _write(tmp_path / "memory" / "memory.limit_in_bytes", "9223372036854771712")  # no limit
    found = _cgroup_limits("12:cpu,cpuacct:/docker/abc\n4:memory:/docker/abc\n", str(tmp_path))
    assert [room for room, _ in found] == [(2 << 30) - (1 << 29)]
    assert "cgroup v1 memory.limit_in_bytes limit of 2.0 GiB" in found[0][1]


def test_check_memory_names_a_cgroup_limit(monkeypatch):
    import isingbio._config as cfg
    from isingbio._validation import check_memory
    from isingbio.errors import MemoryLimitError

    monkeypatch.setattr(cfg, "_cgroup_limits", lambda: [(1 << 30, "the cgroup v2 memory.max limit of 1.0 GiB")])
    with pytest.raises(MemoryLimitError, match="limit: the cgroup v2 memory.max limit of 1.0 GiB"):
        check_memory(2 << 30, "a test allocation")
    check_memory(1 << 20, "a small allocation")  # fits
