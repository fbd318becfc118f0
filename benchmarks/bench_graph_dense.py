"""Throughput of the graph and dense single-site kernels (isingbio._kernels._graph / _dense).

    python benchmarks/bench_graph_dense.py [--quick] [--repeats N]

Graph kernels: a 256 x 256 periodic square lattice passed as a general graph (CSR), Ising at
beta = 0.44 and 3-state Potts at beta = 1.0, in site updates per nanosecond.
Dense kernels: random protein-like Potts models (q = 21, L = 100 and 200, float32 and
float64: broad fields, weak couplings with a few strong "contacts"), in site updates per
microsecond. Each case runs 4 chains with 1 and with 2 threads; the best of `repeats` runs is
shown, with the fraction of updates that changed the state ("acc"). Timings include
everything a kernel call does (for dense models: building the local-field caches and the
transposed copy of J).

A last table compares two ways of recording every state of a dense heat-bath run (L = 100,
float32, 4 chains, 1 thread, 200 records of 1 sweep): one kernel call per record (what the
sampler did before `states_out`: each call rebuilds the caches) and one call with
`states_out`.
"""

import argparse
import os
import platform
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from isingbio import IsingModel, PottsModel
from isingbio._kernels import _dense, _graph

N_CHAINS = 4


def kernel_rng(n_chains, seed):
    return np.random.default_rng(seed).integers(0, 2**64, size=(n_chains, 32), dtype=np.uint64)


def time_kernel(call, states, n_sweeps, n_threads, repeats):
    """Best wall and CPU times of `repeats` calls of n_sweeps sweeps, and the acceptance."""
    n_chains = states.shape[0]
    best, best_cpu, acc = np.inf, np.inf, np.nan
    for rep in range(repeats):
        x = states.copy()
        rng = kernel_rng(n_chains, rep)
        rec = [np.zeros((n_chains, 1)) for _ in range(3)]
        stats = np.zeros((n_chains, 4))
        t0, c0 = time.perf_counter(), time.process_time()
        call(x, rng, 1, n_sweeps, *rec, stats, n_threads)
        best = min(best, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
        acc = stats[:, 1].sum() / stats[:, 0].sum()
    return best, best_cpu, acc


def protein_like(L, q, dtype, seed=0):
    g = np.random.default_rng(seed)
    h = g.normal(0.0, 1.5, (L, q))
    J = g.normal(0.0, 0.05, (L, L, q, q))
    contacts = np.triu(g.random((L, L)) < 0.03, k=1)
    J[contacts] += g.normal(0.0, 0.5, (int(contacts.sum()), q, q))
    J = 0.5 * (J + J.transpose(1, 0, 3, 2))
    J[np.arange(L), np.arange(L)] = 0.0
    return PottsModel(h.astype(dtype), J.astype(dtype))


def graph_cases(quick):
    side = 128 if quick else 256
    lat = IsingModel.lattice((side, side), J=1.0)
    ising = IsingModel.from_graph(lat.coupling_matrix)
    potts = PottsModel.from_graph(lat.coupling_matrix, 3)
    n = ising.n_sites
    g = np.random.default_rng(1)
    s0 = np.where(g.random((N_CHAINS, n)) < 0.5, -1, 1).astype(np.int8)
    x0 = g.integers(0, 3, (N_CHAINS, n)).astype(np.int8)
    ip, ix, w = ising.csr
    pp, px, pw = potts.csr
    for name, kern in [("metropolis", _graph.ising_metropolis), ("heatbath", _graph.ising_heatbath)]:
        yield (
            f"graph Ising {side}x{side} {name}",
            n,
            s0,
            lambda x, r, nr, th, *rest, k=kern: k(ip, ix, w, ising.h, x, r, 0.44, 0.44, nr, th, *rest),
        )
    for name, kern in [("metropolis", _graph.potts_metropolis), ("heatbath", _graph.potts_heatbath)]:
        yield (
            f"graph Potts q=3 {side}x{side} {name}",
            n,
            x0,
            lambda x, r, nr, th, *rest, k=kern: k(pp, px, pw, 3, potts.h, x, r, 1.0, 1.0, nr, th, *rest),
        )


def dense_cases(quick):
    for L in (100,) if quick else (100, 200):
        for dtype in (np.float32, np.float64):
            model = protein_like(L, 21, dtype)
            x0 = np.random.default_rng(2).integers(0, 21, (N_CHAINS, L)).astype(np.int8)
            for name, kern in [("metropolis", _dense.potts_metropolis), ("heatbath", _dense.potts_heatbath)]:
                yield (
                    f"dense L={L} q=21 {np.dtype(dtype).name} {name}",
                    L,
                    x0,
                    lambda x, r, nr, th, *rest, k=kern, m=model: k(m.h, m.J, x, r, 1.0, 1.0, nr, th, *rest),
                )


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller systems, fewer sweeps")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    print(
        f"# {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, numpy {np.__version__}, "
        f"{N_CHAINS} chains, best of {args.repeats}"
    )
    print("# '1 thread (cpu)' divides by process CPU time instead of wall time: the single-thread")
    print("# speed with the machine's other load taken out (memory contention stays in).")
    print(f"{'case':42s} {'acc':>6s} {'1 thread':>10s} {'(cpu)':>8s} {'2 threads':>10s}  unit")
    for title, cases, sweeps, unit, scale in [
        ("graph", graph_cases(args.quick), 10 if args.quick else 20, "updates/ns", 1e9),
        ("dense", dense_cases(args.quick), 200 if args.quick else 500, "updates/us", 1e6),
    ]:
        for name, n, x0, call in cases:
            n_sweeps = sweeps if title == "graph" else max(50, sweeps * 100 // n)
            rates = []
            work = N_CHAINS * n_sweeps * n / scale
            for n_threads in (1, 2):
                call(
                    x0.copy(),
                    kernel_rng(N_CHAINS, 99),
                    1,
                    2,
                    *[np.zeros((N_CHAINS, 1))] * 3,
                    np.zeros((N_CHAINS, 4)),
                    n_threads,
                )  # warm-up
                dt, cpu, acc = time_kernel(call, x0, n_sweeps, n_threads, args.repeats)
                rates.append(work / dt)
                if n_threads == 1:
                    rates.append(work / cpu)
            print(f"{name:42s} {acc:6.3f} {rates[0]:10.3f} {rates[1]:8.3f} {rates[2]:10.3f}  {unit}", flush=True)
    record_every_sweep(args.repeats)
    return 0


def record_every_sweep(repeats, n_records=200):
    model = protein_like(100, 21, np.float32)
    x0 = np.random.default_rng(2).integers(0, 21, (N_CHAINS, 100)).astype(np.int8)
    kern = _dense.potts_heatbath

    def per_record(x, rng):
        out = np.empty((N_CHAINS, n_records, 100), np.int8)
        rec = [np.zeros((N_CHAINS, 1)) for _ in range(3)]
        for r in range(n_records):
            kern(model.h, model.J, x, rng, 1.0, 1.0, 1, 1, *rec, np.zeros((N_CHAINS, 4)), 1)
            out[:, r] = x
        return out

    def one_call(x, rng):
        out = np.empty((N_CHAINS, n_records, 100), np.int8)
        rec = [np.zeros((N_CHAINS, n_records)) for _ in range(3)]
        kern(model.h, model.J, x, rng, 1.0, 1.0, n_records, 1, *rec, np.zeros((N_CHAINS, 4)), 1, states_out=out)
        return out

    print(f"\n{'record every sweep (dense L=100 heat-bath)':42s} {'wall':>10s} {'(cpu)':>8s}  updates/us")
    results = []
    for name, fn in [("one call per record", per_record), ("one call, states_out", one_call)]:
        best, best_cpu = np.inf, np.inf
        for rep in range(repeats):
            x, rng = x0.copy(), kernel_rng(N_CHAINS, rep)
            t0, c0 = time.perf_counter(), time.process_time()
            out = fn(x, rng)
            best = min(best, time.perf_counter() - t0)
            best_cpu = min(best_cpu, time.process_time() - c0)
        results.append(out)
        work = N_CHAINS * n_records * 100 / 1e6
        print(f"{name:42s} {work / best:10.3f} {work / best_cpu:8.3f}", flush=True)
    assert np.array_equal(results[0], results[1]), "states_out must record the same states"


if __name__ == "__main__":
    sys.exit(main())
