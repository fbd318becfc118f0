"""Boltzmann-machine learning (isingbio.fit_bm) on real families: speed and quality.

For each family of ../shared/data (prepared/<fam>.fasta; PF00014 by default) the alignment is
split 80/20 (seed 0). On the training part it fits PLM (gaps as a state) and BM (from the
PLM model, --chains chains, --sweeps sweeps per step at the start, fit_bm's defaults otherwise:
heat-bath chains, adaptive steps), then prints:

* seconds per gradient step (median), steps and seconds to connected Pearson 0.95 (chains
  against the reweighted training alignment, as the fit measures it);
* Pearson and slope (connected and one-site) of 10,000 fresh samples of the BM and PLM
  models against the reweighted training alignment (10,000 chains, 1000 Metropolis sweeps,
  one sample each; BM chains start from the states kept with the model, as `isingbio sample`
  does, and again from random sequences);
* the test log-likelihood per sequence (with error, AIS log Z) of the profile, PLM and BM
  models on the held-out 20%.

With --speed FAMILY, it measures instead the time per gradient step at adabmDCA's defaults
(10,000 chains, 10 Metropolis sweeps per step, fixed; from the profile model, as adabmDCA
starts) for fit_bm and, side by side in the same run, for adabmDCA 2 (its CLI as a
subprocess, `adabmDCA train` with its defaults and --max-gradient-steps; its seconds per step
from its history.csv), when --adabmdca names its executable (install it in a separate
virtual environment: python -m venv /tmp/adabm && /tmp/adabm/bin/pip install torch adabmDCA).

    python benchmarks/bench_generative_fit.py [--families PF00014 DHFR] [--chains 10000]
        [--sweeps 10] [--max-minutes 30] [--threads N] [--plot-dir DIR]
    python benchmarks/bench_generative_fit.py --speed 1atzA [--steps 6]
        [--adabmdca /tmp/adabm/bin/adabmDCA] [--adabm-steps 3]
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

try:
    import isingbio
except ImportError:  # run from a source checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import isingbio
from isingbio.boltzmann import fit_bm
from isingbio.cli.evaluate import profile_model
from isingbio.likelihood import log_likelihood
from isingbio.plm import fit_plm
from isingbio.sequence_sampling import sample_sequences
from isingbio.sequence_statistics import compare_statistics
from isingbio.weights import sequence_weights

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def fresh_samples(model, n, threads, seed, random_start=False):
    """n samples, one per chain after 1000 burn-in sweeps (records of one chain are correlated,
    which lowers the Pearson); a BM model's chains start from the states kept with it (as
    `isingbio sample` does) unless random_start."""
    kept = model.chains
    if random_start:
        model.chains = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return sample_sequences(
                model, n, n_chains=n, burn_in=1000, thin=1, method="metropolis", seed=seed, n_threads=threads
            )
    finally:
        model.chains = kept


def family(name, args):
    path = DATA / name / "prepared" / f"{name}.fasta"
    aln = isingbio.read_alignment(path)
    train, test = aln.split(0.2, seed=0)
    w_train, neff = sequence_weights(train, n_threads=args.threads)
    w_test, _ = sequence_weights(test, n_threads=args.threads)
    print(f"\n{name}: L = {aln.L}, N = {aln.N} (train {train.N}, N_eff {neff:.0f}; test {test.N})")
    t = time.perf_counter()
    plm = fit_plm(train, weights=w_train, ignore_gaps=False, n_threads=args.threads).model
    print(f"  PLM (gaps as a state): {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    bm = fit_bm(
        train,
        weights=w_train,
        init=plm,
        n_chains=args.chains,
        sweeps_per_step=args.sweeps,
        max_steps=100000,
        max_time=args.max_minutes * 60,
        seed=1,
        n_threads=args.threads,
    )
    wall = time.perf_counter() - t
    tr = bm.trace
    per_step = float(np.median(np.diff(np.concatenate([[0.0], tr["seconds"]]))))
    hit = np.flatnonzero(tr["pearson"] >= 0.95)
    to_target = f"step {int(tr['step'][hit[0]])}, {tr['seconds'][hit[0]]:.0f} s" if hit.size else "not reached"
    print(
        f"  BM: {bm.n_steps} steps in {wall:.0f} s, {per_step:.3f} s per step (median; {args.chains} chains, "
        f"{args.sweeps} sweeps at the start, {bm.sweeps_per_step} at the end); Pearson 0.95: {to_target}"
    )
    print("  " + bm.summary().replace("\n", "\n  "))
    if args.plot_dir:
        bm.plot(os.path.join(args.plot_dir, f"bm_{name}.png"))
    rows = []
    for label, model in (("profile", profile_model(train, w_train)), ("PLM", plm), ("BM", bm.model)):
        log_z = None
        if label != "profile":
            log_z = isingbio.ais(model, n_chains=64, n_steps=4000, seed=2, n_threads=args.threads)
        ll = log_likelihood(model, test, log_z=log_z, weights=w_test)
        stats = ""
        for random_start in (False, True) if label == "BM" else (False,) if label == "PLM" else ():
            s = fresh_samples(model, 10000, args.threads, seed=3, random_start=random_start)
            cmp = compare_statistics(s, train, weights=w_train, model=model)
            stats += (
                f"{'random start: ' if random_start else ''}connected r {cmp.pearson['two_site']:.4f} "
                f"slope {cmp.slope['two_site']:.3f}; one-site r {cmp.pearson['one_site']:.4f} "
                f"slope {cmp.slope['one_site']:.3f}  "
            )
        rows.append(f"  {label:<8} test log-lik/seq {ll.mean:9.3f} +- {ll.stderr:.3f} (log Z {ll.log_z:.3f})  {stats}")
    print("  10,000 fresh samples against the reweighted training alignment; held-out log-likelihood:")
    print("\n".join(rows))


def speed(name, args):
    """Seconds per step at adabmDCA's defaults: fit_bm, then adabmDCA in a subprocess."""
    path = DATA / name / "prepared" / f"{name}.fasta"
    aln = isingbio.read_alignment(path)
    print(f"\n{name}: L = {aln.L}, N = {aln.N}; 10000 chains, 10 Metropolis sweeps per step, from the profile model")
    c0 = time.process_time()
    res = fit_bm(
        aln,
        init="profile",
        n_chains=10000,
        sweeps_per_step=10,
        method="metropolis",  # adabmDCA's default update, for the same work per step
        max_steps=args.steps,
        check_every=10**6,
        target_pearson=1.0,
        burn_in=0,
        seed=1,
        n_threads=args.threads,
    )
    cpu = time.process_time() - c0
    d = np.diff(res.trace["seconds"])  # the first step also carries the set-up
    ours, ours_cpu = float(np.median(d)), cpu / args.steps
    print(
        f"  isingbio fit_bm: {ours:.3f} s per step (median of {d.size}; {np.min(d):.3f}-{np.max(d):.3f}); "
        f"whole call {res.time:.1f} s wall, {cpu:.1f} s CPU = {ours_cpu:.2f} CPU s per step (set-up included); "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    if not args.adabmdca:
        print("  adabmDCA: not run (give --adabmdca EXECUTABLE)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [args.adabmdca, "train", "-d", str(path), "-o", tmp, "--max-gradient-steps", str(args.adabm_steps)]
        cmd += ["--no-progress", "--device", "cpu", "--checkpoint-interval", "100000"]
        env = dict(os.environ)
        if args.threads:
            env["OMP_NUM_THREADS"] = str(args.threads)
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
        wall = time.perf_counter() - t0
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode != 0:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            print(f"  adabmDCA failed (exit {proc.returncode}): {' | '.join(tail)}")
            return
        with open(os.path.join(tmp, "history.csv")) as fh:
            times = [float(row["Time"]) for row in csv.DictReader(fh)]
    steps = np.diff(times)  # its first step carries its set-up
    theirs = float(np.median(steps)) if steps.size else float("nan")
    cpu_a = (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)
    theirs_cpu = cpu_a / len(times)
    print(
        f"  adabmDCA: {theirs:.2f} s per step (median of {steps.size}; {np.min(steps):.2f}-{np.max(steps):.2f}); "
        f"whole run {wall:.0f} s wall, {cpu_a:.0f} s CPU = {theirs_cpu:.1f} CPU s per step (set-up included); "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"  adabmDCA / isingbio time per step: {theirs / ours:.1f}x wall (loads may differ between the two runs), "
        f"{theirs_cpu / ours_cpu:.1f}x CPU"
    )


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--families", nargs="+", default=["PF00014"])
    p.add_argument("--chains", type=int, default=10000)
    p.add_argument("--sweeps", type=int, default=10)
    p.add_argument("--max-minutes", type=float, default=30.0)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--plot-dir", default=None)
    p.add_argument("--speed", metavar="FAMILY", default=None, help="time per step against adabmDCA only")
    p.add_argument("--steps", type=int, default=6, help="--speed: fit_bm steps")
    p.add_argument("--adabmdca", default=None, help="--speed: the adabmDCA executable")
    p.add_argument("--adabm-steps", type=int, default=3, help="--speed: adabmDCA gradient steps")
    args = p.parse_args(argv)
    print(
        f"isingbio {isingbio.__version__}, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}; load average {os.getloadavg()[0]:.1f}"
    )
    if not DATA.is_dir():
        print(f"{DATA} not found: nothing to do")
        return 0
    if args.speed:
        speed(args.speed, args)
        return 0
    for name in args.families:
        family(name, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
