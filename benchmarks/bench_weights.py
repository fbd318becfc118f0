"""Sequence-weight throughput: compiled bit-parallel kernel vs a blocked numpy baseline.

    python benchmarks/bench_weights.py [ALIGNMENT] [--threads 1,2] [--repeat 3]
    python benchmarks/bench_weights.py --scaling [--sizes 10000,20000,40000] [--L 200]

Without an alignment it uses ../shared/data/T0900/T0900.aln (N = 16243, L = 106) when present,
else a random clustered alignment of the same size. Prints N, L, threads, best seconds of
`repeat` runs, pairs compared per second, and the speed-up over the numpy baseline run in the
same process (the baseline is timed on a subset of rows and scaled, since it is O(N^2 L)).

--scaling: a synthetic family of L = 200 columns (400 ancestors, each sequence an ancestor with
5-40% of its positions mutated and 10% exact copies) at growing N; prints the seconds, the
fitted exponent of N and the seconds extrapolated to N = 250,000 (the size of issue 13), next
to the estimate weights.estimate_weights_seconds gives before starting.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

try:
    import isingbio  # noqa: F401
except ImportError:  # run from a source checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from isingbio.alignment import read_alignment
from isingbio.weights import neighbour_threshold, sequence_weights

DEFAULT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "T0900" / "T0900.aln"


def numpy_baseline_seconds(m: np.ndarray, identity: float, rows: int = 400) -> float:
    """Seconds for the numpy version on all N rows, extrapolated from `rows` rows."""
    n, L = m.shape
    rows = min(rows, n)
    k = neighbour_threshold(L, identity)
    t0 = time.perf_counter()
    for s in range(0, rows, 100):
        ids = (m[s : min(s + 100, rows), None, :] == m[None, :, :]).sum(-1, dtype=np.int32)
        (ids >= k).sum(1)
    return (time.perf_counter() - t0) * n / rows


def family(n: int, L: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    anc = rng.integers(0, 21, size=(400, L))
    m = anc[rng.integers(0, 400, size=n)]
    rate = rng.uniform(0.05, 0.4, size=(n, 1))
    mutate = rng.random(m.shape) < rate
    m = np.where(mutate, rng.integers(0, 21, size=m.shape), m)
    copies = rng.random(n) < 0.1
    m[copies] = m[rng.integers(0, n, size=int(copies.sum()))]
    return m.astype(np.int8)


def scaling(sizes: list[int], L: int, threads: list[int], repeat: int) -> None:
    from isingbio.weights import estimate_weights_seconds

    print(f"# synthetic family, L = {L}; {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs")
    print(f"{'threads':>7} {'N':>8} {'seconds':>8} {'Mpairs/s':>9} {'N_eff':>9}")
    for t in threads:
        times = []
        for n in sizes:
            m = family(n, L)
            best = float("inf")
            for _ in range(repeat):
                t0 = time.perf_counter()
                _, neff = sequence_weights(m, n_threads=t)
                best = min(best, time.perf_counter() - t0)
            times.append(best)
            print(f"{t:>7d} {n:>8d} {best:>8.2f} {n * (n - 1) / 2 / best / 1e6:>9.0f} {neff:>9.1f}")
        slope = np.polyfit(np.log(sizes), np.log(times), 1)[0]
        big = 250_000
        extrapolated = times[-1] * (big / sizes[-1]) ** 2
        print(
            f"        N^{slope:.2f}; N = {big:,}: {extrapolated:.0f} s extrapolated as N^2 from the largest, "
            f"estimate before starting {estimate_weights_seconds(big, L, 21, t):.0f} s"
        )


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("alignment", nargs="?")
    p.add_argument("--threads", default="1,2")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--identity", type=float, default=0.8)
    p.add_argument("--scaling", action="store_true", help="time a synthetic family at growing N")
    p.add_argument("--sizes", default="10000,20000,40000")
    p.add_argument("--L", type=int, default=200)
    args = p.parse_args(argv)
    if args.scaling:
        scaling([int(x) for x in args.sizes.split(",")], args.L, [int(x) for x in args.threads.split(",")], args.repeat)
        return 0
    if args.alignment:
        m = read_alignment(args.alignment).matrix
        source = args.alignment
    elif DEFAULT.is_file():
        m = read_alignment(DEFAULT).matrix
        source = str(DEFAULT)
    else:
        rng = np.random.default_rng(0)
        base = rng.integers(0, 21, size=(500, 106))
        m = base[rng.integers(0, 500, size=16243)]
        m = np.where(rng.random(m.shape) < 0.2, rng.integers(0, 21, size=m.shape), m).astype(np.int8)
        source = "random clustered alignment"
    n, L = m.shape
    print(
        f"# {source}: N = {n}, L = {L}; {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, python {sys.version.split()[0]}"
    )
    base = numpy_baseline_seconds(m, args.identity)
    print(f"numpy baseline (extrapolated): {base:.2f} s")
    pairs = n * (n - 1) / 2
    print(f"{'threads':>7} {'seconds':>8} {'Mpairs/s':>9} {'vs numpy':>9} {'N_eff':>10}")
    for t in (int(x) for x in args.threads.split(",")):
        best = float("inf")
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            w, neff = sequence_weights(m, identity=args.identity, n_threads=t)
            best = min(best, time.perf_counter() - t0)
        print(f"{t:>7d} {best:>8.3f} {pairs / best / 1e6:>9.0f} {base / best:>8.0f}x {neff:>10.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
