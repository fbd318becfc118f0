"""Contact prediction benchmark: isingbio against CCMpred and plmc, side by side, same run.

For each family of ../shared/data: the prepared alignment (target first, only its columns; the
same file for every tool: ``prepared/<fam>.aln`` for isingbio and CCMpred, ``.fasta`` for plmc),
each tool in a fresh process: wall and CPU seconds (read, weights, fit, scores), peak memory
(ru_maxrss of that process) and P@L/5, P@L/2, P@L and long-range P@L (|i-j| >= 6, resp.
>= 24; pairs with a known contact state) of its APC-corrected scores. Settings:

- isingbio: ``fit_plm`` defaults, ``n_threads`` as asked;
- CCMpred: ``ccmpred -t 1 ALN OUT`` (its defaults);
- plmc: the settings EVcouplings passes, ``-g -m 100 -t 0.2 -lh 0.01 -le 0.19 (L-1) -n THREADS``.

Peers are found through $ISINGBIO_CCMPRED / $ISINGBIO_PLMC, then PATH, then ../shared/peers.
Ratios (peer / isingbio for time and memory, so > 1 means isingbio is faster or smaller) are
taken within one repeat, so a busy machine slows both sides of a ratio alike; with --repeat R
every family runs R times and the summary gives the median and the spread (min-max) of each
ratio and the geometric mean over the families. A last row fits a synthetic alignment of
L = 1000 columns (random sequences, q = 21, --synthetic-iter iterations): seconds and peak.

    python benchmarks/bench_contacts.py                          # all families, 1 thread, peers
    python benchmarks/bench_contacts.py 1atzA DHFR --repeat 3 --no-plmc
    python benchmarks/bench_contacts.py DHFR --threads 1 --threads 2 --no-peers   # OpenMP speed-up
    python benchmarks/bench_contacts.py none --synthetic-iter 3                   # only the L = 1000 row

With --objective-vs OTHER.so (another build of isingbio/_kernels/_plm, e.g. main's, copied
aside): the objective and gradient alone, this build's and the other one's loaded side by side
in one process at the same point (fields of the independent-site fit, couplings N(0, 0.05),
seed 1; the fit's weights, duplicates merged; float32), evaluated alternately --repeat times
(at least 9): min milliseconds of each, the speed-up (min over min, and the median over the
pairs of runs) and how far f and the gradient are apart. The other build's scratch is put at
--scratch-offset bytes from a 64-byte boundary (numpy gives 0 or 16; this build aligns its own):

    python benchmarks/bench_contacts.py 1atzA PF00014 --objective-vs /tmp/main_plm.so --repeat 9
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data"
PEERS = ROOT.parent / "shared" / "peers"
FAMILIES = ["1atzA", "PF00014", "T0900", "1a3a", "DHFR"]
KEYS = ("P@L/5", "P@L/2", "P@L", "LR P@L")


def _precision(scores, family: str) -> dict:
    import numpy as np

    from isingbio.evaluation import evaluate_contacts

    cmap = np.load(DATA / family / "prepared" / f"{family}.contacts.npz")["contact"]
    prec = evaluate_contacts(scores, cmap)
    return {k: float(prec[k]) for k in KEYS}


def one(family: str, threads: int) -> dict:
    """isingbio on one family, in this (fresh) process."""
    import resource

    from isingbio.alignment import read_alignment
    from isingbio.contacts import contact_scores
    from isingbio.plm import fit_plm

    t0, c0 = time.perf_counter(), time.process_time()
    aln = read_alignment(DATA / family / "prepared" / f"{family}.aln")
    res = fit_plm(aln, n_threads=threads)
    scores = contact_scores(res.model)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux -> MiB
    return dict(wall=wall, cpu=cpu, mb=rss, n_iter=res.n_iter, L=aln.L, N=aln.N, **_precision(scores, family))


def synthetic(L: int, n_iter: int, threads: int) -> dict:
    """A random alignment of 200 sequences and L columns (q = 21), n_iter L-BFGS iterations."""
    import resource
    import warnings

    import numpy as np

    from isingbio.plm import estimate_plm_memory, fit_plm

    x = np.random.default_rng(0).integers(0, 21, size=(200, L)).astype(np.int8)
    t0, c0 = time.perf_counter(), time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = fit_plm(x, q=21, weights="uniform", n_threads=threads, max_iter=n_iter, tol=0.0)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    est = estimate_plm_memory(200, L, 21, n_threads=threads, history=res.hyperparameters["lbfgs_history"])
    return dict(wall=wall, cpu=cpu, mb=rss, est_mb=est / 2**20, n_iter=res.n_iter)


def objective_vs(families: list[str], other_so: str, repeat: int, offset: int) -> None:
    """The objective and gradient of this build and another one, side by side (see the top)."""
    import importlib.util

    import numpy as np

    from isingbio import plm as P
    from isingbio._kernels import _plm as this
    from isingbio.alignment import read_alignment
    from isingbio.weights import sequence_weights

    spec = importlib.util.spec_from_file_location("other_build._plm", other_so)
    other = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(other)

    def objective(mod, m, w, q, lj, off):
        o = P._Objective(m, w, q, np.float32, 0.01, lj, False, 1)
        o._plm, o._chunk = mod, m.shape[1]
        o.perm, o.gstart = mod.block_groups(np.ascontiguousarray(m, dtype=np.int8), q)
        n = mod.scratch_size(m.shape[1], q)
        raw = np.zeros(n + 64, dtype=np.float32)
        k = ((offset if off else 0) - raw.ctypes.data) % 64 // 4
        o.scratch = raw[k : k + n].reshape(1, n)
        return o

    print(f"objective + gradient, float32, 1 thread: this build against {other_so} (scratch at +{offset} B)")
    for fam in families:
        aln = read_alignment(DATA / fam / "prepared" / f"{fam}.aln")
        w, _ = sequence_weights(aln.matrix, identity=0.8, n_threads=1)
        m, wf = P._merge_duplicates(aln.matrix, w)
        N, L = m.shape
        q = aln.q
        x = np.zeros(P.n_parameters(L, q), dtype=np.float32)
        x[: L * q] = P._initial_fields(m, wf, q, False).ravel()
        x[L * q :] = np.random.default_rng(1).normal(0, 0.05, x.size - L * q)
        lj = P.default_lambda_J(L, q)
        objs = [objective(this, m, wf, q, lj, False), objective(other, m, wf, q, lj, True)]
        gs = [np.empty_like(x), np.empty_like(x)]
        fs, ts = [0.0, 0.0], [[], []]
        for _ in range(max(repeat, 9)):
            for k in (1, 0):
                c = time.process_time()
                fs[k] = objs[k].evaluate(x, None, 0.0, gs[k])
                ts[k].append(time.process_time() - c)
        pairs = sorted(b / a for a, b in zip(ts[0], ts[1]))
        print(
            f"{fam:8s} N {N:6d} L {L:4d}: other {min(ts[1]) * 1e3:7.1f} ms, this {min(ts[0]) * 1e3:7.1f} ms, "
            f"speed-up {min(ts[1]) / min(ts[0]):.3f}x (median of pairs {statistics.median(pairs):.3f}x); "
            f"f apart {abs(fs[0] - fs[1]) / abs(fs[1]):.1e}, gradient apart "
            f"{np.abs(gs[0] - gs[1]).max() / np.abs(gs[1]).max():.1e} (of its max)",
            flush=True,
        )


def _find(name: str, env: str) -> str | None:
    path = os.environ.get(env) or shutil.which(name)
    if path:
        return path
    local = PEERS / name
    return str(local) if local.is_file() and os.access(local, os.X_OK) else None


def _timed(cmd: list[str]) -> dict:
    """Run cmd; wall and CPU seconds and peak MB of that process (os.wait4)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, ru = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if status:
        raise RuntimeError(f"{cmd[0]} failed ({status}): {err[-500:]}")
    return dict(wall=wall, cpu=ru.ru_utime + ru.ru_stime, mb=ru.ru_maxrss / 1024)


def ccmpred(exe: str, family: str, tmp: Path) -> dict:
    import numpy as np

    out = tmp / f"{family}.mat"
    r = _timed([exe, "-t", "1", str(DATA / family / "prepared" / f"{family}.aln"), str(out)])
    r.update(_precision(np.loadtxt(out), family))
    return r


def plmc(exe: str, family: str, L: int, threads: int, tmp: Path) -> dict:
    import numpy as np

    out = tmp / f"{family}.couplings"
    le = 0.01 * (20 - 1) * (L - 1)
    cmd = [exe, "-c", str(out), "-le", f"{le:g}", "-lh", "0.01", "-m", "100", "-t", "0.2", "-g"]
    cmd += ["-n", str(threads), str(DATA / family / "prepared" / f"{family}.fasta")]
    r = _timed(cmd)
    s = np.zeros((L, L))
    for line in out.read_text().splitlines():  # i A_i j A_j 0 score (1-based, APC-corrected)
        f = line.split()
        i, j = int(f[0]) - 1, int(f[2]) - 1
        s[i, j] = s[j, i] = float(f[5])
    r.update(_precision(s, family))
    return r


def _row(tool: str, fam: str, thr: int, r: dict, ref: dict | None) -> str:
    ratio = ""
    if ref is not None and tool != "isingbio":
        ratio = (
            f"  {tool}/isingbio: wall {r['wall'] / ref['wall']:.2f}x, CPU {r['cpu'] / ref['cpu']:.2f}x, "
            f"peak memory {r['mb'] / ref['mb']:.2f}x"
        )
    return (
        f"{fam:8s} {tool:9s} {thr:3d} {r['wall']:8.2f} {r['cpu']:8.2f} {r['mb']:8.0f} "
        + " ".join(f"{r[k]:6.3f}" for k in KEYS)
        + ratio
    )


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("families", nargs="*", default=FAMILIES)
    ap.add_argument("--threads", type=int, action="append", default=None, help="isingbio threads (repeatable; 1)")
    ap.add_argument("--repeat", type=int, default=1, help="runs per family and tool (default 1)")
    ap.add_argument("--no-peers", action="store_true", help="isingbio only")
    ap.add_argument("--no-plmc", action="store_true", help="leave out plmc (the slowest)")
    ap.add_argument("--synthetic-L", type=int, default=1000, help="columns of the synthetic row (0: none)")
    ap.add_argument("--synthetic-iter", type=int, default=10, help="iterations of the synthetic fit")
    ap.add_argument("--objective-vs", metavar="SO", help="time the objective against another _plm build")
    ap.add_argument("--scratch-offset", type=int, default=0, help="the other build's scratch alignment (bytes)")
    ap.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--synthetic", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    threads = list(dict.fromkeys(args.threads or [1]))
    if args.one:
        print(json.dumps(one(args.families[0], threads[0])))
        return 0
    if args.synthetic:
        print(json.dumps(synthetic(args.synthetic_L, args.synthetic_iter, threads[0])))
        return 0
    if args.objective_vs:
        objective_vs(
            [f for f in args.families if (DATA / f / "prepared").is_dir()],
            args.objective_vs,
            args.repeat,
            args.scratch_offset,
        )
        return 0
    from isingbio._config import available_cores
    from isingbio._kernels._plm import simd_level

    ccm = None if args.no_peers else _find("ccmpred", "ISINGBIO_CCMPRED")
    pl = None if (args.no_peers or args.no_plmc) else _find("plmc", "ISINGBIO_PLMC")
    print(f"isingbio contacts benchmark; kernel: {simd_level()}; cores: {available_cores()}; ", end="")
    print(f"load average {os.getloadavg()[0]:.1f}; CCMpred: {ccm or 'not found'}; plmc: {pl or 'not found'}")
    print(
        f"{'family':8s} {'tool':9s} {'thr':>3s} {'wall s':>8s} {'cpu s':>8s} {'peak MB':>8s} "
        + " ".join(f"{k:>6s}" for k in KEYS)
    )
    ratios: dict[str, dict[str, list[float]]] = {}
    fams = [f for f in args.families if (DATA / f / "prepared").is_dir()]
    if not fams and args.families != ["none"]:
        print(f"no family found in {DATA}")
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        for fam in fams:
            for _ in range(args.repeat):
                mine = {}
                for t in threads:
                    out = subprocess.run(
                        [sys.executable, __file__, fam, "--one", "--threads", str(t)], capture_output=True, text=True
                    )
                    if out.returncode:
                        print(f"{fam}: isingbio failed\n{out.stderr[-2000:]}")
                        break
                    mine[t] = json.loads(out.stdout.strip().splitlines()[-1])
                    print(_row("isingbio", fam, t, mine[t], None), flush=True)
                if 1 not in mine:
                    continue
                if len(mine) > 1:
                    for t in mine:
                        if t != 1:
                            sp = mine[1]["wall"] / mine[t]["wall"]
                            print(f"{fam:8s} isingbio {t} threads: {sp:.2f}x the 1-thread wall time")
                            ratios.setdefault(f"{t}-thread speed-up", {}).setdefault(fam, []).append(sp)
                ref = mine[1]
                peers = [("CCMpred", ccm), ("plmc", pl)]
                for name, exe in peers:
                    if exe is None:
                        continue
                    try:
                        r = ccmpred(exe, fam, tmp) if name == "CCMpred" else plmc(exe, fam, ref["L"], 1, tmp)
                    except Exception as exc:
                        print(f"{fam:8s} {name}: failed ({exc})")
                        continue
                    print(_row(name, fam, 1, r, ref), flush=True)
                    for what, key in (("wall", "wall"), ("CPU", "cpu"), ("memory", "mb")):
                        ratios.setdefault(f"{name}/isingbio {what}", {}).setdefault(fam, []).append(r[key] / ref[key])
                    ratios.setdefault(f"P@L isingbio - {name}", {}).setdefault(fam, []).append(ref["P@L"] - r["P@L"])
        if ratios:
            print("\nsummary: median (min-max) over repeats; geometric mean of the medians over families")
            for name, per in ratios.items():
                cells = "; ".join(f"{f} {_spread(v)}" for f, v in per.items())
                meds = [statistics.median(v) for v in per.values()]
                gm = (
                    f"  [geometric mean {math.exp(sum(math.log(m) for m in meds) / len(meds)):.2f}]"
                    if all(m > 0 for m in meds) and not name.startswith("P@L")
                    else ""
                )
                print(f"  {name}: {cells}{gm}")
    if args.synthetic_L:
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--synthetic",
                "--synthetic-L",
                str(args.synthetic_L),
                "--synthetic-iter",
                str(args.synthetic_iter),
                "--threads",
                str(threads[0]),
            ],
            capture_output=True,
            text=True,
        )
        if out.returncode:
            print(f"synthetic L = {args.synthetic_L}: failed\n{out.stderr[-2000:]}")
        else:
            r = json.loads(out.stdout.strip().splitlines()[-1])
            print(
                f"synthetic L = {args.synthetic_L}, N = 200, q = 21, {threads[0]} thread(s): {r['n_iter']} iterations, "
                f"{r['wall']:.1f} s wall, {r['cpu']:.1f} s CPU ({r['cpu'] / max(r['n_iter'], 1):.2f} s an iteration), "
                f"peak {r['mb']:.0f} MB (estimate {r['est_mb']:.0f} MB + interpreter)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
