"""Throughput of the lattice single-site kernels (isingbio._kernels._lattice).

Prints site updates per nanosecond for Ising Metropolis / heat-bath at T = 2.269 and q = 3
Potts Metropolis / heat-bath at beta_c = ln(1 + sqrt(3)), on 2D periodic L x L lattices
(L = 256 and 1024): one chain on one thread, and 4 chains on 1 and 2 threads; plus a
plain numpy checkerboard Metropolis on the same Ising workload, and the ratio. Then an
annealing block (beta_J_path: one call for 200 one-sweep steps) against one call per step.

    python benchmarks/bench_lattice.py [--sizes 256 1024] [--seconds 1.0] [--threads 2]
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from isingbio._kernels import _lattice
from isingbio._random import chain_rng_states

T_ISING = 2.269
BETA_POTTS = math.log(1.0 + math.sqrt(3.0))


def _args(kind, L, n_chains, n_records, thin, q=3, seed=1):
    shape = np.array([L, L], dtype=np.int64)
    periodic = np.ones(2, dtype=np.uint8)
    J = np.ones(2)
    gen = np.random.default_rng(seed)
    if kind.startswith("ising"):
        states = np.where(gen.random((n_chains, L * L)) < 0.5, -1, 1).astype(np.int8)
        field = 0.0
        beta = 1.0 / T_ISING
    else:
        states = gen.integers(0, q, size=(n_chains, L * L)).astype(np.int8)
        field = np.zeros(q)
        beta = BETA_POTTS
    rng = chain_rng_states(np.random.SeedSequence(seed), n_chains)
    out = [np.zeros((n_chains, n_records)) for _ in range(3)]
    stats = np.zeros((n_chains, 4))
    if kind.startswith("ising"):
        head = (shape, periodic, J, field)
    else:
        head = (shape, periodic, J, q, field)
    return head + (states, rng, beta, beta, n_records, thin) + tuple(out) + (stats,)


def run_kernel(kind, L, n_chains, n_threads, seconds, clock=time.perf_counter):
    """Site updates per ns, timing repeated calls until `seconds` have passed.

    clock=time.thread_time measures the CPU time of this thread (single-thread calls only):
    figures that a busy machine disturbs less than wall-clock ones."""
    fn = getattr(_lattice, kind)
    sweeps = max(1, int(2e7 // (L * L * n_chains)))
    args = _args(kind, L, n_chains, 1, sweeps)
    fn(*args, n_threads)  # warm up (and leave the random start)
    best, spent = math.inf, 0.0
    while spent < seconds:
        t0, c0 = time.perf_counter(), clock()
        fn(*args, n_threads)
        spent += time.perf_counter() - t0
        dt = clock() - c0
        best = min(best, dt)
    return L * L * n_chains * sweeps / best / 1e9


def run_path(kind, L, n_steps, seconds):
    """Annealing block (AIS-like, one sweep per step, beta_J rising): steps per microsecond
    of one call along a beta path (beta_J_path) and of one call per step at scalar betas."""
    fn = getattr(_lattice, kind)
    args = list(_args(kind, L, 1, n_steps, 1))
    beta = args[-8]  # (..., beta_J, beta_h, n_records, thin, 3 records, stats)
    path = np.linspace(0.1 * beta, beta, n_steps)
    one = list(_args(kind, L, 1, 1, 1))

    def block():
        fn(*args, 1, beta_J_path=path)

    def calls():
        for b in path:
            one[-8] = b
            fn(*one, 1)

    rates = []
    for f in (block, calls):
        f()
        best, spent = math.inf, 0.0
        while spent < seconds:
            t0 = time.perf_counter()
            f()
            dt = time.perf_counter() - t0
            spent += dt
            best = min(best, dt)
        rates.append(n_steps / best / 1e6)
    return rates


def numpy_checkerboard_metropolis(spins, beta, rng, sweeps):
    """Reference: vectorised numpy checkerboard Metropolis, periodic L x L, J = 1, h = 0."""
    L = spins.shape[0]
    ii, jj = np.indices((L, L))
    masks = [(ii + jj) % 2 == c for c in (0, 1)]
    for _ in range(sweeps):
        for mask in masks:
            nb = np.roll(spins, 1, 0) + np.roll(spins, -1, 0) + np.roll(spins, 1, 1) + np.roll(spins, -1, 1)
            dE = 2.0 * spins * nb
            flip = mask & (rng.random((L, L)) < np.exp(-beta * dE))
            spins[flip] *= -1
    return spins


def run_numpy(L, seconds):
    gen = np.random.default_rng(1)
    spins = np.where(gen.random((L, L)) < 0.5, -1, 1).astype(np.int8)
    sweeps = max(1, int(2e6 // (L * L)))
    numpy_checkerboard_metropolis(spins, 1.0 / T_ISING, gen, 1)
    best, spent = math.inf, 0.0
    while spent < seconds:
        t0 = time.perf_counter()
        numpy_checkerboard_metropolis(spins, 1.0 / T_ISING, gen, sweeps)
        dt = time.perf_counter() - t0
        spent += dt
        best = min(best, dt)
    return L * L * sweeps / best / 1e9


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[256, 1024])
    ap.add_argument("--seconds", type=float, default=1.0, help="timing budget per figure")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--chains", type=int, default=4, help="chains for the threaded figures")
    args = ap.parse_args(argv)
    kinds = ["ising_metropolis", "ising_heatbath", "potts_metropolis", "potts_heatbath"]
    nt, nc = args.threads, args.chains
    print("site updates per ns (best of repeated calls); 2D periodic, J = 1, h = 0;")
    print(f"Ising at T = {T_ISING}, Potts q = 3 at beta_c = ln(1 + sqrt 3) = {BETA_POTTS:.5f}")
    print(f"AVX2 loops: {'yes' if _lattice.has_avx2() else 'no'}; wall-clock unless marked cpu time")
    head = (
        f"{'kernel':<18} {'L':>5} {'1 chain 1 thr':>14} {'(cpu time)':>10} {f'{nc} ch 1 thr':>12} "
        f"{f'{nc} ch {nt} thr':>12} {'speed-up':>9} {'numpy':>8} {'x numpy':>8}"
    )
    print(head)
    print("-" * len(head))
    for L in args.sizes:
        np_rate = run_numpy(L, args.seconds)
        for kind in kinds:
            one = run_kernel(kind, L, 1, 1, args.seconds)
            cpu = run_kernel(kind, L, 1, 1, args.seconds, clock=time.thread_time)
            many1 = run_kernel(kind, L, nc, 1, args.seconds)
            many = run_kernel(kind, L, nc, nt, args.seconds)
            ref = f"{np_rate:8.4f} {one / np_rate:8.0f}" if kind == "ising_metropolis" else ""
            print(f"{kind:<18} {L:>5} {one:14.3f} {cpu:10.3f} {many1:12.3f} {many:12.3f} {many / many1:8.2f}x {ref}")
    print()
    print("annealing block of 200 steps x 1 sweep, 1 chain: steps per microsecond")
    print(f"{'kernel':<18} {'L':>5} {'beta path':>10} {'1 call/step':>12} {'ratio':>7}")
    for kind in kinds:
        for L in (8, 64):
            path, calls = run_path(kind, L, 200, args.seconds / 2)
            print(f"{kind:<18} {L:>5} {path:10.3f} {calls:12.3f} {path / calls:6.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
