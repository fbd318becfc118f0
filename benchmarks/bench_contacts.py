"""Contact prediction benchmark on the real families of ../shared/data.

For each family: read the alignment (the prepared one, target first and only the target's
columns; DHFR from the original DHFR.a2m in focus mode, DYR_ECOLI/1-159, as plmc reads it),
weight the sequences (80% identity), fit by pseudo-likelihood (isingbio.fit_plm defaults), score
pairs (APC-corrected Frobenius norms) and report wall time (read + weights + fit + scores), the
fit's share, CPU time, peak memory (ru_maxrss of a fresh subprocess per run), and P@L/5, P@L/2,
P@L and long-range P@L (|i-j| >= 6, resp. >= 24; pairs with a known contact state). The peers'
figures (../shared/data/README.md, same machine type) are printed alongside, and pydca's are
measured in the same run when pydca is installed.

    python benchmarks/bench_contacts.py                 # all families, 1 thread and all cores
    python benchmarks/bench_contacts.py 1atzA DHFR --threads 1
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data"
FAMILIES = ["1atzA", "1a3a", "DHFR", "PF00014", "T0900"]
# alignment file (relative to the family folder) and read_alignment keywords
SOURCES = {"DHFR": ("DHFR.a2m", {"focus": "DYR_ECOLI/1-159"})}
# (tool, threads, wall s, P@L) from ../shared/data/README.md
PEERS = {
    "1atzA": [("CCMpred", 1, 9.6, 0.51), ("plmc", 1, 30.6, 0.53), ("pydca", 1, 35.0, 0.53)],
    "1a3a": [("CCMpred", 1, 20.4, 0.68), ("plmc", 1, 52.7, 0.72), ("pydca", 2, 33.9, 0.73)],
    "DHFR": [("CCMpred", 1, 53.4, 0.66), ("plmc", 2, 85.1, 0.67), ("pydca", 2, 115.2, 0.66)],
    "PF00014": [("CCMpred", 2, 27.1, 0.93)],
    "T0900": [("CCMpred", 2, 82.7, 0.40)],
}


def one(family: str, threads) -> dict:
    """Run one family in this process and return its figures."""
    import numpy as np

    sys.path.insert(0, str(ROOT))
    from isingbio.alignment import read_alignment
    from isingbio.contacts import contact_scores
    from isingbio.evaluation import evaluate_contacts
    from isingbio.plm import fit_plm
    from isingbio.weights import sequence_weights

    prep = DATA / family / "prepared"
    cmap = np.load(prep / f"{family}.contacts.npz")["contact"]
    rel, kwargs = SOURCES.get(family, (f"prepared/{family}.aln", {}))
    t0, c0 = time.perf_counter(), time.process_time()
    aln = read_alignment(DATA / family / rel, **kwargs)
    w, n_eff = sequence_weights(aln, n_threads=threads)
    t1 = time.perf_counter()
    res = fit_plm(aln, weights=w, n_threads=threads)
    t2 = time.perf_counter()
    scores = contact_scores(res.model)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    if cmap.shape != scores.shape:
        raise SystemExit(f"{family}: contact map {cmap.shape} does not match the alignment's L = {aln.L}")
    prec = evaluate_contacts(scores, cmap)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux -> MiB
    return dict(
        family=family,
        L=aln.L,
        N=aln.N,
        n_eff=round(float(n_eff), 1),
        threads=threads,
        wall=wall,
        cpu=cpu,
        read_weights=t1 - t0,
        fit=t2 - t1,
        n_iter=res.n_iter,
        n_eval=res.n_eval,
        peak_mb=rss,
        **{k: prec[k] for k in ("P@L/5", "P@L/2", "P@L", "LR P@L")},
    )


def pydca_run(family: str) -> dict | None:
    """pydca's plmDCA on the same alignment, when pydca is installed."""
    try:
        from pydca.plmdca import plmdca
    except ImportError:
        return None
    import numpy as np

    from isingbio.evaluation import evaluate_contacts

    prep = DATA / family / "prepared"
    cmap = np.load(prep / f"{family}.contacts.npz")["contact"]
    t0 = time.perf_counter()
    inst = plmdca.PlmDCA(
        str(prep / f"{family}.fasta"),
        "protein",
        seqid=0.8,
        lambda_h=1.0,
        lambda_J=20.0,
        num_threads=1,
        max_iterations=500,
    )
    ranked = inst.compute_sorted_FN_APC()
    wall = time.perf_counter() - t0
    L = cmap.shape[0]
    s = np.zeros((L, L))
    for (i, j), v in ranked:
        s[i, j] = s[j, i] = v
    prec = evaluate_contacts(s, cmap)
    return dict(family=family, wall=wall, **{k: prec[k] for k in ("P@L/5", "P@L/2", "P@L", "LR P@L")})


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("families", nargs="*", default=FAMILIES)
    ap.add_argument(
        "--threads",
        type=int,
        action="append",
        default=None,
        help="thread counts to run (repeatable; default: 1 and all cores)",
    )
    ap.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one:
        print(json.dumps(one(args.families[0], args.threads[0] if args.threads else None)))
        return 0
    if not DATA.is_dir():
        print(f"{DATA} is absent: nothing to benchmark")
        return 0
    from isingbio._config import available_cores

    threads = args.threads or [1, available_cores()]
    threads = list(dict.fromkeys(threads))
    from isingbio._kernels._plm import simd_level

    print(f"isingbio contacts benchmark; kernel: {simd_level()}; cores: {available_cores()}")
    print(
        f"{'family':8s} {'L':>4s} {'N':>6s} {'thr':>3s} {'wall s':>7s} {'fit s':>6s} {'cpu s':>7s} "
        f"{'iter':>4s} {'peak MB':>7s} {'P@L/5':>6s} {'P@L/2':>6s} {'P@L':>6s} {'LR P@L':>6s}"
        f"   peers (tool, threads, s, P@L)"
    )
    for fam in args.families:
        if not (DATA / fam / "prepared").is_dir():
            print(f"{fam}: not in {DATA}, skipped")
            continue
        for t in threads:
            out = subprocess.run(
                [sys.executable, __file__, fam, "--one", "--threads", str(t)], capture_output=True, text=True
            )
            if out.returncode:
                print(f"{fam}: failed\n{out.stderr}")
                continue
            r = json.loads(out.stdout.strip().splitlines()[-1])
            peers = "; ".join(f"{n} {th}t {s:g} s {p:.2f}" for n, th, s, p in PEERS.get(fam, []))
            ccm = [s for n, th, s, _ in PEERS.get(fam, []) if n == "CCMpred" and th == 1]
            ratio = f"  ({ccm[0] / r['wall']:.1f}x CCMpred 1t)" if ccm else ""
            print(
                f"{fam:8s} {r['L']:4d} {r['N']:6d} {t:3d} {r['wall']:7.2f} {r['fit']:6.2f} {r['cpu']:7.2f} "
                f"{r['n_iter']:4d} {r['peak_mb']:7.0f} {r['P@L/5']:6.3f} {r['P@L/2']:6.3f} {r['P@L']:6.3f} "
                f"{r['LR P@L']:6.3f}   {peers}{ratio}",
                flush=True,
            )
        try:
            pd = pydca_run(fam)
        except Exception as exc:
            print(f"  pydca {fam}: failed ({type(exc).__name__}: {exc})")
            continue
        if pd is None:
            if fam == args.families[0]:
                print(
                    "  (pydca is not installed: its figures above are those of ../shared/data/README.md, "
                    "measured on a machine of this kind)"
                )
        else:
            print(
                f"  pydca {fam}: {pd['wall']:.1f} s, P@L/5 {pd['P@L/5']:.3f} P@L/2 {pd['P@L/2']:.3f} "
                f"P@L {pd['P@L']:.3f} LR P@L {pd['LR P@L']:.3f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
