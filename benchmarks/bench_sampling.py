"""Throughput of isingbio.sample for every method and model form, through the public API.

Prints site updates per ns (dense models: per microsecond) with one thread on one chain and
with all threads on 4 chains, and, in the same run, a plain numpy checkerboard Metropolis on
the 2D Ising workload as the baseline ratio. Cluster methods also print ns per site per sweep.

    python benchmarks/bench_sampling.py            # about two minutes
    python benchmarks/bench_sampling.py --quick    # smaller sizes, a few seconds each
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_lattice import numpy_checkerboard_metropolis

import isingbio

T_ISING = 2 / math.log(1 + math.sqrt(2))
BETA_POTTS3 = math.log(1 + math.sqrt(3))


def rate(model, beta, method, n_chains, n_threads, seconds):
    """Site updates per second of a run that lasts about `seconds`."""
    sampler = isingbio.Sampler(
        model, beta, method=method, n_chains=n_chains, n_threads=n_threads, init="ordered", seed=1
    )
    sampler.run(2)  # warm up (and calibrate Wolff)
    sweeps, elapsed = 1, 0.0
    while elapsed < seconds / 4:  # find the run length, then time one run of the full length
        sweeps *= 2
        start = time.perf_counter()
        sampler.run(sweeps, thin=sweeps)
        elapsed = time.perf_counter() - start
    sweeps = max(1, int(sweeps * seconds / elapsed))
    start = time.perf_counter()
    sampler.run(sweeps, thin=sweeps)
    return n_chains * sweeps * model.n_sites / (time.perf_counter() - start)


def numpy_rate(L, seconds):
    gen = np.random.default_rng(0)
    spins = gen.choice(np.array([-1, 1], dtype=np.int8), size=(L, L))
    numpy_checkerboard_metropolis(spins, 1 / T_ISING, gen, 1)
    sweeps, elapsed = 1, 0.0
    while elapsed < seconds:
        start = time.perf_counter()
        numpy_checkerboard_metropolis(spins, 1 / T_ISING, gen, sweeps)
        elapsed = time.perf_counter() - start
        sweeps *= 2
    return (sweeps // 2) * L * L / elapsed


def dense_model(L, q=21, dtype=np.float32, seed=0):
    """A protein-like random model: weak couplings, a few strong contacts."""
    gen = np.random.default_rng(seed)
    h = gen.normal(0, 1.5, size=(L, q))
    J = gen.normal(0, 0.05, size=(L, L, q, q))
    strong = np.triu(gen.random((L, L)) < 0.03, 1)
    J[strong] += gen.normal(0, 0.5, size=(int(strong.sum()), q, q))
    J = np.triu(np.ones((L, L)), 1)[:, :, None, None] * J
    J = J + J.transpose(1, 0, 3, 2)
    return isingbio.PottsModel(h.astype(dtype), J.astype(dtype))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller systems and shorter timings")
    parser.add_argument("--seconds", type=float, default=None, help="target time per measurement")
    args = parser.parse_args(argv)
    seconds = args.seconds or (0.3 if args.quick else 1.0)
    sizes = (128,) if args.quick else (256, 1024)
    threads = isingbio.build_config()["cores_available"]
    print(
        f"isingbio {isingbio.__version__}; {threads} cores; OpenMP {isingbio.build_config()['openmp']}; "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    header = (
        f"{'workload':<40} {'method':<14} {'unit':<11} {'1 thread':>9} {f'{threads} thr 4 ch':>11} "
        f"{'speed-up':>9} {'ns/site/sweep':>14} {'x numpy':>8}"
    )
    print(header)
    print("-" * len(header))

    def report(name, model, beta, method, unit=1e-9, unit_name="updates/ns", baseline=None):
        one = rate(model, beta, method, 1, 1, seconds)
        many = rate(model, beta, method, 4, threads, seconds)
        ratio = f"{one / baseline:8.1f}" if baseline else f"{'':>8}"
        per_site = f"{1e9 / one:14.2f}" if method in ("swendsen-wang", "wolff") else f"{'':>14}"
        print(
            f"{name:<40} {method:<14} {unit_name:<11} {one * unit:>9.3f} {many * unit:>11.3f} "
            f"{many / one:>8.2f}x {per_site} {ratio}"
        )

    for L in sizes:
        base = numpy_rate(L, seconds)
        print(
            f"{f'numpy checkerboard Metropolis {L}x{L}':<40} {'(baseline)':<14} {'updates/ns':<11} {base * 1e-9:>9.3f}"
        )
        model = isingbio.IsingModel.lattice((L, L))
        for method in isingbio.METHODS:
            report(f"Ising lattice {L}x{L}, T = 2.269", model, 1 / T_ISING, method, baseline=base)
    L = sizes[0]
    potts = isingbio.PottsModel.lattice((L, L), 3)
    for method in isingbio.METHODS:
        report(f"Potts q=3 lattice {L}x{L}, beta_c", potts, BETA_POTTS3, method)
    lattice = isingbio.IsingModel.lattice((L, L))
    graph = isingbio.IsingModel.from_graph(lattice.coupling_matrix)
    for method in isingbio.METHODS:
        report(f"Ising graph ({L}x{L} torus as CSR)", graph, 1 / T_ISING, method)
    pgraph = isingbio.PottsModel.from_graph(lattice.coupling_matrix, 3)
    for method in ("metropolis", "heatbath"):
        report(f"Potts q=3 graph ({L}x{L} torus as CSR)", pgraph, BETA_POTTS3, method)
    for n_sites in (100,) if args.quick else (100, 200):
        dense = dense_model(n_sites)
        for method in ("metropolis", "heatbath"):
            report(f"dense Potts L={n_sites} q=21 float32", dense, 1.0, method, unit=1e-6, unit_name="updates/us")
    return 0


if __name__ == "__main__":
    sys.exit(main())
