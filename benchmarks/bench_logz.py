"""log Z by AIS and by parallel tempering side by side: error per second (isingbio.logz).

Two systems with exact answers: the 16 x 16 Ising torus at T_c (Kaufman) and a 5 x 5
Gaussian Edwards-Anderson glass at beta = 1.5 (enumeration, 2^25 states). For each budget
and seed it prints the estimate's error against the exact value, the reported standard
error, the error in standard errors, the wall time, and the figure of merit
stderr^2 x seconds (smaller is better: the variance a second of work buys; it does not
depend on the budget when errors scale as 1/sqrt(time)). All runs on one thread.

A last section times the SK model in graph form against the same model as a dense q = 2
Potts model (why ``sherrington_kirkpatrick`` offers ``form="dense"``).

    python benchmarks/bench_logz.py [--repeats 3] [--systems torus glass sk]
"""

from __future__ import annotations

import argparse
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
from isingbio import exact
from isingbio.errors import SamplingWarning
from isingbio.spin_glass import edwards_anderson, sherrington_kirkpatrick

# name: (method, options)
BUDGETS = {
    "ais-256x1000": ("ais", dict(n_chains=256, n_steps=1000, schedule="adaptive", sampling_method="metropolis")),
    "pt-linear": ("tempering", dict(n_sweeps=4000, ladder="linear")),
    "pt-geometric": ("tempering", dict(n_sweeps=4000, ladder="geometric")),
    "pt-linear-fixed": ("tempering", dict(n_sweeps=4000, ladder="linear", adapt=False)),
}


def systems(names):
    if "torus" in names:
        beta = exact.ising_critical_beta()
        yield (
            "16x16 torus at T_c",
            isingbio.IsingModel.lattice((16, 16)),
            beta,
            exact.ising_torus_log_partition(16, 16, beta),
        )
    if "glass" in names:
        glass = edwards_anderson((5, 5), couplings="gaussian", seed=3)
        t = time.perf_counter()
        value = exact.log_partition(glass, 1.5)
        print(f"(enumeration of the 5x5 glass: {time.perf_counter() - t:.1f} s)")
        yield "5x5 Gaussian EA glass, beta 1.5", glass, 1.5, value


def run_logz(args):
    print(f"{'system / budget':<44} {'seed':>4} {'error':>9} {'stderr':>8} {'err/se':>7} {'time s':>7} {'se^2 s':>9}")
    for label, model, beta, truth in systems(args.systems):
        for name, (method, options) in BUDGETS.items():
            merits = []
            for seed in range(args.repeats):
                t = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", SamplingWarning)
                    res = isingbio.logz(model, beta, method=method, seed=seed, n_threads=1, **options)
                elapsed = time.perf_counter() - t
                err = res.log_z - truth
                merit = res.stderr**2 * elapsed
                merits.append(merit)
                extra = f" {res.estimator}" if method == "tempering" else ""
                if method == "tempering":
                    extra += f", {res.betas.size} rungs"
                print(
                    f"{label[:22] + ' / ' + name:<44} {seed:>4} {err:+9.4f} {res.stderr:8.4f} "
                    f"{err / res.stderr:+7.2f} {elapsed:7.2f} {merit:9.2e}{extra}"
                )
            print(f"{'':<44} median se^2 x s = {np.median(merits):.2e} (spread {min(merits):.2e}..{max(merits):.2e})")


def run_sk(args):
    print("\nSK model, Metropolis, 16 chains, one thread: site updates per ns (3 repeats)")
    for n in (64, 256):
        graph = sherrington_kirkpatrick(n, seed=1)
        dense = sherrington_kirkpatrick(n, seed=1, form="dense")
        rates = {}
        for name, model in (("graph", graph), ("dense", dense)):
            sweeps = 2_000_000 // n
            vals = []
            for rep in range(3):
                t = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", SamplingWarning)
                    isingbio.sample(
                        model, 1.0, sweeps, n_chains=16, method="metropolis", seed=rep, n_threads=1, thin=sweeps
                    )
                vals.append(16 * sweeps * n / (time.perf_counter() - t) / 1e9)
            rates[name] = vals
            print(f"  N = {n:4d} {name:<6} " + " ".join(f"{v:.4f}" for v in vals))
        print(f"  N = {n:4d} dense / graph = {np.median(rates['dense']) / np.median(rates['graph']):.2f}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--systems", nargs="+", default=["torus", "glass", "sk"], choices=["torus", "glass", "sk"])
    args = parser.parse_args(argv)
    cpu = platform.processor() or platform.machine()
    print(f"isingbio {isingbio.__version__}, {cpu}, python {platform.python_version()}")
    if set(args.systems) & {"torus", "glass"}:
        run_logz(args)
    if "sk" in args.systems:
        run_sk(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
