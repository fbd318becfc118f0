"""Many replicas of a small lattice: the replica engine against the sublattice engine, and AIS.

For 8x8, 16x16 and 32x32 tori, 64 and 256 chains, Ising and q = 3 Potts, Metropolis and
heat-bath, prints single-thread spin updates per nanosecond of the lattice kernels with the
engine chosen from the model (the replica engine on these sizes) and with the former engine
forced (``engine="sublattice"``), in the same run, and their ratio. Rates use the process's
CPU time (the wall time is also printed): on a shared machine the CPU time is the steadier
figure. Then AIS on the 16x16 Ising torus at T_c, forward and reverse, against Kaufman's
exact log Z (wall and CPU time): Bennett's acceptance ratio (the default estimate) against the
midpoint of the bounds, on all cores and on one thread, and stderr^2 x CPU seconds (the
figure of merit: work for a given error is proportional to it).

    python benchmarks/bench_replicas.py [--repeats 3] [--sweeps 200] [--ais-repeats 3] [--no-ais | --ais-only]

Targets (issue 9): >= 2 flips/ns for 16x16 Ising with >= 64 chains (Metropolis and heat-bath),
>= 1 for q = 3 Potts; AIS at T_c within 0.01 nats in under 1 s on 2 cores with forward and
reverse runs.
"""

from __future__ import annotations

import argparse
import math
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
from isingbio._kernels import _lattice
from isingbio._random import chain_rng_states
from isingbio.annealed_importance import ais
from isingbio.errors import SamplingWarning
from isingbio.exact import ising_torus_log_partition

BETA_C = 0.5 * math.log(1 + math.sqrt(2))
POTTS3_BETA_C = math.log(1 + math.sqrt(3))
KERNELS = {
    ("ising", "metropolis"): _lattice.ising_metropolis,
    ("ising", "heatbath"): _lattice.ising_heatbath,
    ("potts3", "metropolis"): _lattice.potts_metropolis,
    ("potts3", "heatbath"): _lattice.potts_heatbath,
}


def rate(model: str, method: str, L: int, n_chains: int, sweeps: int, engine: str, repeats: int):
    """(best flips/ns by CPU time, wall flips/ns of that repeat) over `repeats` calls."""
    shape = np.array([L, L], dtype=np.int64)
    periodic = np.ones(2, dtype=np.uint8)
    J = np.ones(2)
    n = L * L
    gen = np.random.default_rng(0)
    if model == "ising":
        head: tuple = (shape, periodic, J, 0.0)
        states = np.where(gen.random((n_chains, n)) < 0.5, -1, 1).astype(np.int8)
        beta = BETA_C
    else:
        head = (shape, periodic, J, 3, np.zeros(3))
        states = gen.integers(0, 3, size=(n_chains, n)).astype(np.int8)
        beta = POTTS3_BETA_C
    rng = chain_rng_states(np.random.SeedSequence(1), n_chains)
    out = [np.zeros((n_chains, 1)) for _ in range(3)]
    stats = np.zeros((n_chains, 4))
    kernel = KERNELS[model, method]
    best = (0.0, 0.0)
    for _ in range(repeats):
        c0, w0 = time.process_time(), time.perf_counter()
        kernel(*head, states, rng, beta, beta, 1, sweeps, *out, stats, 1, engine=engine)
        cpu, wall = time.process_time() - c0, time.perf_counter() - w0
        flips = n * n_chains * sweeps
        if flips / cpu / 1e9 > best[0]:
            best = (flips / cpu / 1e9, flips / wall / 1e9)
    return best


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3, help="calls per row; the best CPU rate is shown")
    parser.add_argument("--sweeps", type=int, default=200, help="sweeps per call at 16x16 (scaled by size)")
    parser.add_argument("--ais-repeats", type=int, default=3, help="AIS runs (seeds 1..R)")
    parser.add_argument("--no-ais", action="store_true", help="skip the AIS part")
    parser.add_argument("--ais-only", action="store_true", help="only the AIS part")
    args = parser.parse_args(argv)

    try:
        load = " load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        load = ""
    print(f"{platform.processor() or platform.machine()}, {available_cores()} core(s);{load}")
    print(f"replica engine AVX2: {_lattice.has_avx2()}; one thread; flips/ns by CPU time (wall in brackets)")
    print(f"{'model':<7} {'method':<11} {'L':>3} {'chains':>6} {'replica':>16} {'sublattice':>16} {'ratio':>6}")
    for model in () if args.ais_only else ("ising", "potts3"):
        for method in ("metropolis", "heatbath"):
            for L in (8, 16, 32):
                for n_chains in (64, 256):
                    sweeps = max(4, args.sweeps * 256 // (L * L) * 64 // n_chains)
                    new = rate(model, method, L, n_chains, sweeps, "auto", args.repeats)
                    old = rate(model, method, L, n_chains, max(2, sweeps // 4), "sublattice", args.repeats)
                    print(
                        f"{model:<7} {method:<11} {L:>3} {n_chains:>6} "
                        f"{new[0]:>7.2f} ({new[1]:>5.2f}) {old[0]:>7.2f} ({old[1]:>5.2f}) {new[0] / old[0]:>6.1f}"
                    )
    if args.no_ais:
        return 0

    exact = ising_torus_log_partition(16, 16, BETA_C)
    m = isingbio.IsingModel.lattice((16, 16))
    print(f"\nAIS, 16x16 Ising torus at T_c, exact log Z = {exact:.6f} (Kaufman)")
    print("Metropolis, adaptive schedule, forward + reverse (reverse from the forward states after")
    print("the default Swendsen-Wang sweeps); log Z by BAR (the default) and by the midpoint of the bounds")
    print(
        f"{'chains':>6} {'steps':>6} {'thr':>3} {'seed':>4} {'BAR error':>10} {'stderr':>8} "
        f"{'mid error':>10} {'stderr':>8} {'wall s':>7} {'cpu s':>7} {'stderr^2*cpu':>12}"
    )
    configs = [(256, 5000, None), (256, 5000, 1), (64, 20000, 1), (256, 10000, 1)]
    for chains, steps, threads in configs:
        rows = []
        for seed in range(1, args.ais_repeats + 1):
            c0, w0 = time.process_time(), time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", SamplingWarning)
                res = ais(
                    m, BETA_C, n_chains=chains, n_steps=steps, method="metropolis", schedule="adaptive",
                    bidirectional=True, seed=seed, n_threads=threads,
                )  # fmt: skip
            cpu, wall = time.process_time() - c0, time.perf_counter() - w0
            rows.append((res.log_z - exact, res.stderr, res.log_z_midpoint - exact, res.stderr_midpoint, cpu))
            print(
                f"{chains:>6} {steps:>6} {threads or 'all':>3} {seed:>4} "
                f"{res.log_z - exact:>+10.5f} {res.stderr:>8.5f} "
                f"{res.log_z_midpoint - exact:>+10.5f} {res.stderr_midpoint:>8.5f} {wall:>7.2f} {cpu:>7.2f} "
                f"{res.stderr**2 * cpu:>12.2e}"
            )
        r = np.array(rows)
        print(
            f"{'':>6} rms error BAR {math.sqrt(np.mean(r[:, 0] ** 2)):.5f} (mean stderr {r[:, 1].mean():.5f}), "
            f"midpoint {math.sqrt(np.mean(r[:, 2] ** 2)):.5f} ({r[:, 3].mean():.5f}) over {len(r)} seeds"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
