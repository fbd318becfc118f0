"""Throughput of the cluster kernels (isingbio._kernels._cluster): ns per site per sweep.

Ising at L = 256 and 1024 near T_c (beta = 0.4407), Potts q = 3 at beta_c = ln(1 + sqrt(3))
at L = 256, single thread; and 2 threads on 4 chains at L = 256. Chains start ordered and
get a few sweeps of burn-in first. Wall time and CPU time (process) are both printed: on a
busy machine the CPU time per thread is the better figure.

    python benchmarks/bench_cluster.py [--sweeps N]
"""

import argparse
import math
import time

import numpy as np

from isingbio import IsingModel, PottsModel
from isingbio._kernels import _cluster
from isingbio._random import chain_rng_states

BETA_ISING = 0.4407
BETA_POTTS3 = math.log(1 + math.sqrt(3))


def bench(kernel, model, beta, n_chains, n_threads, sweeps, potts):
    n = model.n_sites
    indptr, indices, weights = model.csr
    states = (np.zeros if potts else np.ones)((n_chains, n), dtype=np.int8)
    rng = chain_rng_states(np.random.SeedSequence(1), n_chains)
    h = np.ascontiguousarray(model.h)

    def call(n_sweeps):
        out = [np.zeros((n_chains, 1)) for _ in range(3)]
        st = np.zeros((n_chains, 4))
        args = (
            (indptr, indices, weights)
            + ((model.q,) if potts else ())
            + (h, states, rng, beta, beta, 1, n_sweeps, *out, st, n_threads)
        )
        kernel(*args)
        return st

    call(3)  # burn-in (and, for Wolff, the pilot that sets clusters per sweep)
    w0, c0 = time.perf_counter(), time.process_time()
    st = call(sweeps)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    per = 1e9 / (n * sweeps * n_chains)
    mean_cluster = st[:, 3].sum() / max(st[:, 2].sum(), 1)
    return wall * per * n_threads, cpu * per, wall * per, mean_cluster


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sweeps", type=int, default=20)
    args = parser.parse_args(argv)
    rows = []
    cases = [
        ("Ising SW", _cluster.ising_swendsen_wang, "ising", 256, 1, 1, 5),
        ("Ising SW", _cluster.ising_swendsen_wang, "ising", 1024, 1, 1, 1),
        ("Ising Wolff", _cluster.ising_wolff, "ising", 256, 1, 1, 5),
        ("Ising Wolff", _cluster.ising_wolff, "ising", 1024, 1, 1, 1),
        ("Potts3 SW", _cluster.potts_swendsen_wang, "potts", 256, 1, 1, 5),
        ("Potts3 Wolff", _cluster.potts_wolff, "potts", 256, 1, 1, 5),
        ("Ising SW", _cluster.ising_swendsen_wang, "ising", 256, 4, 2, 5),
        ("Ising Wolff", _cluster.ising_wolff, "ising", 256, 4, 2, 5),
    ]
    print(
        f"{'kernel':<13} {'L':>5} {'chains':>6} {'threads':>7} {'ns/site/sweep':>14} "
        f"{'cpu ns/site/sw':>15} {'wall per site':>14} {'mean |C|':>9}"
    )
    for name, kernel, kind, L, n_chains, n_threads, mult in cases:
        if kind == "ising":
            model, beta, potts = IsingModel.lattice((L, L)), BETA_ISING, False
        else:
            model, beta, potts = PottsModel.lattice((L, L), q=3), BETA_POTTS3, True
        thread_ns, cpu_ns, wall_ns, mc = bench(kernel, model, beta, n_chains, n_threads, args.sweeps * mult, potts)
        rows.append((name, L, n_chains, n_threads, thread_ns, cpu_ns, wall_ns, mc))
        print(
            f"{name:<13} {L:>5} {n_chains:>6} {n_threads:>7} {thread_ns:>14.2f} {cpu_ns:>15.2f} "
            f"{wall_ns:>14.2f} {mc:>9.1f}"
        )
    print(
        "ns/site/sweep = wall time x threads / (sites x sweeps x chains); "
        "cpu = process CPU time / (sites x sweeps x chains); wall per site = wall / (...)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
