"""Sequences sampled per second by isingbio.sequence_sampling.sample_sequences.

Models: a random dense L = 200, q = 21 float32 model (h ~ N(0, 1), J ~ N(0, 0.03^2)), and the
built-in example (PF00014, L = 53) fitted by pseudo-likelihood (skipped if isingbio.plm is
missing, or with --skip-example). For each model, method (heat-bath, Metropolis) and thread
count (1 and all) it prints sequences per second (burn-in included) and site updates per
nanosecond, next to the throughput of the bare sampler run in one call without recording
states (the cost of recording a state every --thin sweeps is the ratio). For the example it
also prints how well samples reproduce the alignment's statistics (compare_statistics).

    python benchmarks/bench_generative.py [--threads N] [--chains 32] [--n 1600] [--burn-in 100]
                                          [--thin 10] [--skip-example] [--plot stats.png]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np

try:
    import isingbio
except ImportError:  # run from a source checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import isingbio
from isingbio._config import available_cores
from isingbio.errors import SamplingWarning
from isingbio.sampling import Sampler
from isingbio.sequence_sampling import sample_sequences
from isingbio.sequence_statistics import compare_statistics


def random_model(L=200, q=21, seed=0):
    rng = np.random.default_rng(seed)
    h = rng.normal(0, 1.0, (L, q)).astype(np.float32)
    J = np.empty((L, L, q, q), dtype=np.float32)
    for i in range(L):  # row by row: keeps the peak memory at one copy
        J[i] = rng.normal(0, 0.03, (L, q, q)).astype(np.float32)
    for i in range(L):
        for j in range(i):
            J[i, j] = J[j, i].T
        J[i, i] = 0
    return isingbio.PottsModel(h, J)


def bench(model, label, args, threads_list):
    n = args.n
    print(
        f"\n{label}: L = {model.n_sites}, q = {model.q}, {model.dtype}; {n} sequences from {args.chains} chains, "
        f"burn-in {args.burn_in}, thin {args.thin}"
    )
    print(
        f"{'method':<11} {'threads':>7} {'seq/s':>10} {'updates/ns':>10} {'bare seq/s':>11} {'bare upd/ns':>11} "
        f"{'overhead':>8} {'tau_E(sw)':>9} {'accept':>7}"
    )
    records = -(-n // args.chains)
    sweeps = args.burn_in + records * args.thin
    updates = args.chains * sweeps * model.n_sites
    rows = {}
    for method in ("heatbath", "metropolis"):
        for t in threads_list:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", SamplingWarning)
                start = time.perf_counter()
                s = sample_sequences(
                    model,
                    n,
                    n_chains=args.chains,
                    burn_in=args.burn_in,
                    thin=args.thin,
                    method=method,
                    seed=1,
                    n_threads=t,
                )
                wall = time.perf_counter() - start
            sampler = Sampler(model, 1.0, method=method, n_chains=args.chains, seed=1, n_threads=t)
            start = time.perf_counter()
            sampler.run(sweeps, args.thin)
            bare = time.perf_counter() - start
            rows[(method, t)] = n / wall
            print(
                f"{method:<11} {t:>7} {n / wall:>10.1f} {updates / wall / 1e9:>10.4f} {n / bare:>11.1f} "
                f"{updates / bare / 1e9:>11.4f} {wall / bare:>8.2f} {s.diagnostics.tau_int:>9.3g} "
                f"{s.acceptance_rate:>7.3f}"
            )
    if len(threads_list) == 2:
        t1, tn = threads_list
        for method in ("heatbath", "metropolis"):
            print(f"  {method}: {tn} threads / 1 thread = {rows[(method, tn)] / rows[(method, t1)]:.2f}x")
    return rows


def overhead(model, label, threads_list, repeats=3):
    """sample_sequences against one bare kernel run of the same sweeps (best of `repeats`)."""
    print(f"\n{label}: sample_sequences (burn-in 200, 200 records every 10 sweeps) against one bare run")
    L = model.n_sites
    for method in ("metropolis", "heatbath"):
        for t in threads_list:
            chains = 8 * t
            sweeps = 200 + 200 * 10
            best_w = best_b = float("inf")
            for rep in range(repeats):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    start = time.perf_counter()
                    sample_sequences(
                        model, chains * 200, n_chains=chains, burn_in=200, thin=10, method=method, seed=rep, n_threads=t
                    )
                    best_w = min(best_w, time.perf_counter() - start)
                sampler = Sampler(model, 1.0, method=method, n_chains=chains, seed=rep, n_threads=t)
                start = time.perf_counter()
                sampler.run(sweeps, sweeps)
                best_b = min(best_b, time.perf_counter() - start)
            u = chains * sweeps * L / 1e6
            print(
                f"  {method:<10} {t} thread(s), {chains} chains: {u / best_w:.2f} updates/us against "
                f"{u / best_b:.2f} bare: ratio {best_w / best_b:.2f}"
            )


def example(args, threads_list):
    from isingbio.data import example_alignment
    from isingbio.plm import fit_plm

    aln = example_alignment()
    start = time.perf_counter()
    fit = fit_plm(aln, n_threads=max(threads_list))
    print(f"\nfitted the PF00014 example by PLM in {time.perf_counter() - start:.1f} s (N = {aln.N}, L = {aln.L})")
    model = fit.model
    bench(model, "PF00014 (PLM fit)", args, threads_list)
    overhead(model, "PF00014 (PLM fit)", threads_list)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)
        s = sample_sequences(
            model, 10000, n_chains=max(32, args.chains), burn_in=1000, thin=20, seed=2, n_threads=max(threads_list)
        )
    print(s.diagnostics.summary())
    start = time.perf_counter()
    cmp = compare_statistics(s, aln, three_site=True)
    print(f"compare_statistics in {time.perf_counter() - start:.1f} s")
    print(cmp.summary())
    if args.plot:
        cmp.plot(args.plot)
        print(f"wrote {args.plot}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=None, help="all threads (default: all cores)")
    p.add_argument("--chains", type=int, default=32)
    p.add_argument("--n", type=int, default=1600)
    p.add_argument("--burn-in", type=int, default=100)
    p.add_argument("--thin", type=int, default=10)
    p.add_argument("--skip-example", action="store_true")
    p.add_argument("--plot", default=None, help="PNG of the example's statistics against its alignment")
    args = p.parse_args(argv)
    n_all = args.threads or available_cores()
    threads_list = [1, n_all] if n_all > 1 else [1]
    print(
        f"isingbio {isingbio.__version__}, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs ({available_cores()} available), Python {platform.python_version()}"
    )
    start = time.perf_counter()
    model = random_model()
    print(f"random L = 200, q = 21 model built in {time.perf_counter() - start:.1f} s")
    bench(model, "random dense model", args, threads_list)
    if not args.skip_example:
        example(args, threads_list)
    return 0


if __name__ == "__main__":
    sys.exit(main())
