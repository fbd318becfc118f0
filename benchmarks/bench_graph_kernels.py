"""Graph kernels of issue 9: Potts parallel tempering on graphs, and AIS on graph models.

    python benchmarks/bench_graph_kernels.py [--section tempering|ais|ising|all] [--repeat R]
                                             [--sweeps N] [--steps K]

Section ``tempering``: q = 3 and q = 4 Potts, Metropolis and heat-bath, on a 32 x 32 torus
given as a graph and on a random graph (1024 sites, mean degree 4, J = 1), 16 rungs geometric
in beta from 0.5 to 1.5, one run, one thread, a swap round every sweep. Prints the CPU time per
site update of ``isingbio.tempering`` (a record every sweep, and every 10th) and of the graph
sampler kernel (``_graph``, 16 chains at
beta = 1, the same model, one thread) and their ratio. Run it on two builds (``PYTHONPATH``)
for before and after.

Section ``ais``: ``isingbio.ais`` on graph models (3D +-J Edwards-Anderson L = 6 and the
32 x 32 ferromagnetic Ising torus given as a graph; heat-bath, 256 chains x ``--steps`` steps,
and Swendsen-Wang, 64 chains x ``--steps`` / 4 steps; one sweep per step) with 1 and 2
threads: wall and CPU seconds and the 2-thread speed-up.

Section ``ising``: the graph Ising sampler kernel (``_graph``) on a uniform 128 x 128 torus
given as a graph and on +-J Edwards-Anderson glasses (2D 128 x 128, 3D 24^3), CPU ns per
update, one thread.

CPU time (time.process_time) is the better figure on a shared machine; each case runs
``--repeat`` times and the best is shown.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import warnings

import numpy as np
import scipy.sparse as sp

try:
    import isingbio
except ImportError:  # run from a source checkout without installing
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    import isingbio
from isingbio import IsingModel, PottsModel
from isingbio._kernels import _graph

N_RUNGS = 16
BETAS = np.geomspace(0.5, 1.5, N_RUNGS)


def random_graph(n: int = 1024, degree: float = 4.0, seed: int = 7) -> sp.csr_matrix:
    """Erdos-Renyi graph with unit couplings (symmetric, no self-loops)."""
    g = np.random.default_rng(seed)
    m = int(round(degree * n / 2))
    i, j = g.integers(0, n, m), g.integers(0, n, m)
    keep = i != j
    a = sp.coo_matrix((np.ones(keep.sum()), (i[keep], j[keep])), shape=(n, n)).tocsr()
    a = ((a + a.T) > 0).astype(np.float64)
    return sp.csr_matrix(a)


def models(q: int):
    lat = PottsModel.lattice((32, 32), q)
    yield "32x32 torus (graph)", PottsModel.from_graph(lat.coupling_matrix, q)
    yield "random graph n=1024", PottsModel.from_graph(random_graph(), q)


def time_tempering(model, method: str, sweeps: int, repeat: int, thin: int = 1) -> float:
    """Best CPU seconds per site update of isingbio.tempering (a record every `thin` sweeps)."""
    best = np.inf
    for rep in range(repeat):
        c0 = time.process_time()
        isingbio.tempering(model, BETAS, sweeps, method=method, adapt=False, seed=rep, n_threads=1, thin=thin)
        best = min(best, time.process_time() - c0)
    return best / (sweeps * N_RUNGS * model.n_sites)


def time_sampler(model, method: str, sweeps: int, repeat: int) -> float:
    """Best CPU seconds per site update of the graph kernel, N_RUNGS chains at beta = 1."""
    kern = _graph.potts_heatbath if method == "heatbath" else _graph.potts_metropolis
    ip, ix, w = model.csr
    h = np.ascontiguousarray(model.h, dtype=np.float64)
    best = np.inf
    for rep in range(repeat):
        g = np.random.default_rng(rep)
        x = g.integers(0, model.q, (N_RUNGS, model.n_sites)).astype(np.int8)
        rng = g.integers(0, 2**64, size=(N_RUNGS, 32), dtype=np.uint64)
        rec = [np.zeros((N_RUNGS, 1)) for _ in range(3)]
        stats = np.zeros((N_RUNGS, 4))
        c0 = time.process_time()
        kern(ip, ix, w, model.q, h, x, rng, 1.0, 1.0, 1, sweeps, *rec, stats, 1)
        best = min(best, time.process_time() - c0)
    return best / (sweeps * N_RUNGS * model.n_sites)


def section_tempering(args) -> None:
    print(
        f"Potts tempering on graphs: {N_RUNGS} rungs, beta {BETAS[0]}..{BETAS[-1]}, "
        f"{args.sweeps} sweeps, 1 thread, best of {args.repeat} (CPU ns per site update)"
    )
    print("tempering: records every sweep (thin 1) or every 10th; ratios: tempering / sampler")
    print(
        f"{'model':22s} {'q':>2s} {'method':10s} {'thin 1':>7s} {'thin 10':>7s} {'sampler':>7s} "
        f"{'ratio':>6s} {'ratio':>6s}"
    )
    for q in (3, 4):
        for name, model in models(q):
            for method in ("metropolis", "heatbath"):
                t1 = time_tempering(model, method, args.sweeps, args.repeat) * 1e9
                t10 = time_tempering(model, method, args.sweeps, args.repeat, thin=10) * 1e9
                s = time_sampler(model, method, args.sweeps, args.repeat) * 1e9
                print(
                    f"{name:22s} {q:2d} {method:10s} {t1:7.2f} {t10:7.2f} {s:7.2f} {t1 / s:6.2f} {t10 / s:6.2f}",
                    flush=True,
                )


def ais_cases(steps: int):
    """(name, model, beta, method, chains, steps)"""
    glass = isingbio.edwards_anderson((6, 6, 6), seed=1)
    torus = IsingModel.from_graph(IsingModel.lattice((32, 32)).coupling_matrix)
    yield "3D EA +-J L=6 (graph)", glass, 1.0, "heatbath", 256, steps
    yield "2D 32x32 Ising (graph)", torus, 0.44, "heatbath", 256, steps
    yield "2D 32x32 Ising (graph)", torus, 0.44, "swendsen-wang", 64, steps // 4


def section_ais(args) -> None:
    print(f"AIS on graph models, 1 sweep per step, best of {args.repeat} (seconds)")
    print(
        f"{'model':24s} {'method':14s} {'chains x steps':>14s} {'threads':>7s} {'wall':>7s} {'cpu':>7s} "
        f"{'log Z':>12s} {'speed-up':>8s}"
    )
    for name, model, beta, method, chains, steps in ais_cases(args.steps):
        walls = {}
        for nt in (1, 2):
            best_w, best_c, logz = np.inf, np.inf, np.nan
            for _ in range(args.repeat):
                w0, c0 = time.perf_counter(), time.process_time()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    res = isingbio.ais(model, beta, n_chains=chains, n_steps=steps, method=method, seed=3, n_threads=nt)
                best_w = min(best_w, time.perf_counter() - w0)
                best_c = min(best_c, time.process_time() - c0)
                logz = res.log_z
            walls[nt] = best_w
            sp_up = f"{walls[1] / best_w:8.2f}" if nt == 2 else ""
            size = f"{chains} x {steps}"
            print(
                f"{name:24s} {method:14s} {size:>14s} {nt:7d} {best_w:7.3f} {best_c:7.3f} {logz:12.5f} {sp_up}",
                flush=True,
            )


def section_ising(args) -> None:
    """The graph Ising sampler kernel: uniform couplings and +-J glasses (table paths)."""
    cases = {
        "uniform 2D 128x128": IsingModel.from_graph(IsingModel.lattice((128, 128)).coupling_matrix),
        "+-J 2D 128x128": isingbio.edwards_anderson((128, 128), seed=1),
        "+-J 3D 24^3": isingbio.edwards_anderson((24, 24, 24), seed=1),
    }
    sweeps, chains = 50, 4
    print(f"graph Ising sampler kernel: {chains} chains, {sweeps} sweeps, beta 0.44, 1 thread, best of {args.repeat}")
    print(f"{'model':20s} {'method':10s} {'CPU ns/update':>13s}")
    for name, m in cases.items():
        ip, ix, w = m.csr
        h = np.ascontiguousarray(m.h, dtype=np.float64)
        for method, kern in (("metropolis", _graph.ising_metropolis), ("heatbath", _graph.ising_heatbath)):
            best = np.inf
            for rep in range(args.repeat):
                g = np.random.default_rng(rep)
                x = (2 * g.integers(0, 2, (chains, m.n_sites)) - 1).astype(np.int8)
                rng = g.integers(0, 2**64, size=(chains, 32), dtype=np.uint64)
                rec = [np.zeros((chains, 1)) for _ in range(3)]
                stats = np.zeros((chains, 4))
                c0 = time.process_time()
                kern(ip, ix, w, h, x, rng, 0.44, 0.44, 1, sweeps, *rec, stats, 1)
                best = min(best, time.process_time() - c0)
            print(f"{name:20s} {method:10s} {best / (sweeps * chains * m.n_sites) * 1e9:13.2f}", flush=True)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--section", choices=["tempering", "ais", "ising", "all"], default="all")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--sweeps", type=int, default=300)
    p.add_argument("--steps", type=int, default=2000)
    args = p.parse_args(argv)
    print(
        f"isingbio {isingbio.__file__}; {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs (shared machine: figures are noisy)"
    )
    if args.section in ("tempering", "all"):
        section_tempering(args)
    if args.section in ("ais", "all"):
        section_ais(args)
    if args.section in ("ising", "all"):
        section_ising(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
