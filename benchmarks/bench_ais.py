"""Accuracy and wall time of AIS (isingbio.ais) on the 16 x 16 Ising torus at T_c.

For a few budgets (transition kernel, chains, steps, one or both directions) prints the
estimate of log Z, its error against Kaufman's exact value, the reported standard error,
the error in standard errors, the effective sample size and the wall time; with
``--repeats R`` each budget runs with R seeds and the root-mean-square error is shown.

    python benchmarks/bench_ais.py [--size 16] [--repeats 1] [--threads N] [--budgets NAME ...]

Target (issue 5): within 0.02 nats in under 5 s on a 2-core machine; forward + reverse
with 256 chains and ~10^4 steps within 0.01 nats.
"""

from __future__ import annotations

import argparse
import math
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
from isingbio.annealed_importance import ais
from isingbio.errors import SamplingWarning
from isingbio.exact import ising_torus_log_partition

BETA_C = 0.5 * math.log(1 + math.sqrt(2))

# name: (method, chains, steps, bidirectional, schedule)
BUDGETS = {
    "hb-2k": ("heatbath", 256, 2000, False, "adaptive"),
    "sw-2k": ("swendsen-wang", 256, 2000, False, "adaptive"),
    "metro-2k-linear": ("metropolis", 256, 2000, False, "linear"),
    "metro-2k": ("metropolis", 256, 2000, False, "adaptive"),
    "metro-5k": ("metropolis", 256, 5000, False, "adaptive"),
    "metro-2500-bidir": ("metropolis", 256, 2500, True, "adaptive"),
    "metro-10k-bidir": ("metropolis", 256, 10000, True, "adaptive"),
    "sw-10k-bidir": ("swendsen-wang", 256, 10000, True, "adaptive"),
}
DEFAULT = ["hb-2k", "sw-2k", "metro-2k-linear", "metro-2k", "metro-5k", "metro-2500-bidir", "metro-10k-bidir"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=16, help="L of the L x L torus (default 16)")
    parser.add_argument("--repeats", type=int, default=1, help="seeds per budget (default 1)")
    parser.add_argument("--threads", type=int, default=None, help="OpenMP threads (default: all cores)")
    parser.add_argument(
        "--budgets",
        nargs="+",
        default=DEFAULT,
        choices=sorted(BUDGETS),
        help=f"budgets to run (default: {' '.join(DEFAULT)})",
    )
    parser.add_argument("--seed", type=int, default=1, help="first seed (default 1)")
    args = parser.parse_args(argv)

    L = args.size
    model = isingbio.IsingModel.lattice((L, L))
    exact = ising_torus_log_partition(L, L, BETA_C)
    cores = available_cores()
    print(f"AIS on the {L}x{L} Ising torus at T_c (beta = {BETA_C:.7f}); exact log Z = {exact:.6f} (Kaufman)")
    print(f"{platform.processor() or platform.machine()}, {cores} core(s) available, threads = {args.threads or 'all'}")
    print(
        f"{'budget':<16} {'method':<14} {'chains':>6} {'steps':>6} {'dir':>5} {'log Z':>12} {'error':>9} "
        f"{'stderr':>8} {'err/se':>7} {'ESS':>6} {'gap':>8} {'time s':>7}"
    )
    for name in args.budgets:
        method, chains, steps, bidir, schedule = BUDGETS[name]
        errors, times = [], []
        for r in range(args.repeats):
            seed = args.seed + r
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", SamplingWarning)
                res = ais(
                    model,
                    BETA_C,
                    n_chains=chains,
                    n_steps=steps,
                    method=method,
                    schedule=schedule,
                    bidirectional=bidir,
                    seed=seed,
                    n_threads=args.threads,
                )
            elapsed = time.perf_counter() - start
            err = res.log_z - exact
            errors.append(err)
            times.append(elapsed)
            print(
                f"{name:<16} {method:<14} {chains:>6} {steps:>6} {'f+r' if bidir else 'f':>5} {res.log_z:12.5f} "
                f"{err:+9.5f} {res.stderr:8.5f} {err / res.stderr:+7.2f} {res.ess:6.1f} "
                f"{'-' if res.gap is None else format(res.gap, '+8.4f'):>8} {elapsed:7.2f}",
                flush=True,
            )
        if args.repeats > 1:
            errors = np.array(errors)
            print(
                f"{'':<16} rms error {np.sqrt(np.mean(errors**2)):.5f} over {args.repeats} seeds, "
                f"mean time {np.mean(times):.2f} s"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
