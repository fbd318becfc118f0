"""Single-site Metropolis throughput with and without other jobs on the machine (issue 13, defect 9).

Runs the 2D Ising Metropolis at T = 2.269 on a 1024 x 1024 torus three ways: isingbio with one
chain on one thread, isingbio with the defaults of ``isingbio simulate`` (2 chains, all cores),
and a plain C reference (checkerboard sweeps, xorshift64*, an acceptance table; compiled here
with the system C compiler, -O2), first alone and then next to ``--load`` busy processes
(default: one per core). Prints site updates per ns and the loaded / alone ratio of each.

    python benchmarks/bench_load.py [--L 1024] [--seconds 2] [--load N] [--repeat 3]

The machine of the figures in benchmarks/README.md is shared with other people's jobs: the
"alone" column is only as quiet as the machine was; repeat and look at the spread.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

try:
    import isingbio
except ImportError:  # run from a source checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import isingbio
from isingbio._config import available_cores

C_SOURCE = r"""
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static uint64_t s = 88172645463325252ULL;
static inline uint32_t rnd(void) { s ^= s >> 12; s ^= s << 25; s ^= s >> 27;
    return (uint32_t)((s * 2685821657736338717ULL) >> 32); }
int main(int argc, char **argv) {
    int L = atoi(argv[1]); double seconds = atof(argv[2]); double beta = 1.0 / 2.269;
    int8_t *x = malloc((size_t)L * L); uint32_t thr[5];
    for (int k = 0; k < 5; k++) { double p = exp(-2.0 * beta * (2 * k - 4)); /* dE = 2 s sum */
        thr[k] = p >= 1.0 ? 0xFFFFFFFFu : (uint32_t)(p * 4294967296.0); }
    for (long i = 0; i < (long)L * L; i++) x[i] = (rnd() & 1) ? 1 : -1;
    struct timespec t0, t1; clock_gettime(CLOCK_MONOTONIC, &t0); long sweeps = 0; double el = 0;
    while (el < seconds) {
        for (int par = 0; par < 2; par++)
            for (int i = 0; i < L; i++) {
                int up = (i + L - 1) % L, dn = (i + 1) % L;
                for (int j = (i + par) & 1; j < L; j += 2) {
                    int sum = x[up * L + j] + x[dn * L + j] + x[i * L + (j + L - 1) % L] + x[i * L + (j + 1) % L];
                    int k = (x[i * L + j] * sum + 4) / 2;   /* 0..4 */
                    if (rnd() < thr[k]) x[i * L + j] = -x[i * L + j];
                }
            }
        sweeps++;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        el = (t1.tv_sec - t0.tv_sec) + 1e-9 * (t1.tv_nsec - t0.tv_nsec);
    }
    printf("%.6f\n", (double)sweeps * L * L / el / 1e9);
    return 0;
}
"""


def _busy(stop_at: float) -> None:
    x = 0
    while time.perf_counter() < stop_at:
        for _ in range(10000):
            x += 1


def c_reference(exe: str, L: int, seconds: float) -> float:
    return float(subprocess.run([exe, str(L), str(seconds)], capture_output=True, text=True, check=True).stdout)


def isingbio_rate(L: int, seconds: float, n_chains: int, n_threads: int | None) -> float:
    model = isingbio.IsingModel.lattice((L, L))
    s = isingbio.Sampler(model, 1 / 2.269, n_chains=n_chains, seed=1, n_threads=n_threads)
    s.burn(2)
    sweeps, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        s.burn(5)
        sweeps += 5
    return sweeps * n_chains * L * L / (time.perf_counter() - t0) / 1e9


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--L", type=int, default=1024)
    p.add_argument("--seconds", type=float, default=2.0)
    p.add_argument("--load", type=int, default=None, help="busy processes (default: one per core)")
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args(argv)
    n_load = available_cores() if args.load is None else args.load
    cc = shutil.which("cc") or shutil.which("gcc")
    exe = None
    if cc:
        tmp = tempfile.mkdtemp()
        src = os.path.join(tmp, "ref.c")
        Path(src).write_text(C_SOURCE)
        exe = os.path.join(tmp, "ref")
        subprocess.run([cc, "-O2", "-o", exe, src, "-lm"], check=True)
    print(
        f"# {args.L}x{args.L} Ising Metropolis at T = 2.269; {available_cores()} cores; load average "
        f"{os.getloadavg()[0]:.2f}; loaded = {n_load} busy processes; site updates per ns, best of {args.repeat}"
    )
    cases = [
        ("isingbio, 1 chain, 1 thread", lambda: isingbio_rate(args.L, args.seconds, 1, 1)),
        ("isingbio, 2 chains, default threads", lambda: isingbio_rate(args.L, args.seconds, 2, None)),
    ]
    if exe:
        cases.append(("plain C reference, 1 thread", lambda: c_reference(exe, args.L, args.seconds)))
    print(f"{'case':<38} {'alone':>8} {'loaded':>8} {'ratio':>7}")
    for name, fn in cases:
        alone = max(fn() for _ in range(args.repeat))
        loaded = []
        for _ in range(args.repeat):
            stop = time.perf_counter() + args.seconds + 1.5
            procs = [mp.Process(target=_busy, args=(stop,)) for _ in range(n_load)]
            for pr in procs:
                pr.start()
            time.sleep(0.3)
            loaded.append(fn())
            for pr in procs:
                pr.join()
        best = max(loaded)
        print(f"{name:<38} {alone:>8.3f} {best:>8.3f} {best / alone:>7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
