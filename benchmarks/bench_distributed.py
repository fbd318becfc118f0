"""Families per hour through isingbio.distributed against a serial loop, and Dask's overhead.

Three ways over the same families (the prepared alignments of ../shared/data plus the shipped
PF00014, each weighted and fitted as `isingbio contacts --threads 1 --max-iter N` does):

* serial: one process runs the per-family task in a loop (no Dask at all);
* 1 worker, 2 workers: map_contacts on a LocalCluster (process workers, 1 thread each).

It prints wall time, families per hour, the ratio 2 workers / 1 worker, and the per-family
overhead of the batch layer (1 worker's wall time less the serial loop's, per family). Then
the scheduler's overhead per task for tiny (no-op) tasks: N tasks through client.map on the
running cluster, wall time / N.

    python benchmarks/bench_distributed.py                      # --max-iter 30, 2 repeats
    python benchmarks/bench_distributed.py --max-iter 100 --repeat 1

On a shared machine (other jobs on the cores) the 2-worker figure is the noisiest: repeat.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data"


def families() -> list[str]:
    from isingbio.data import example_alignment_path

    fams = [str(example_alignment_path())]
    for name in ("1atzA", "1a3a", "DHFR"):
        path = DATA / name / "prepared" / f"{name}.fasta"
        if path.exists():
            fams.append(str(path))
    return fams


def serial(fams: list[str], options: dict, out: str) -> tuple[float, list[float]]:
    from isingbio.distributed._batch import _DEFAULTS, _family_task, _new_row, family_name

    opts = {**_DEFAULTS, **options}
    t0 = time.perf_counter()
    seconds = []
    for p in fams:
        name = family_name(p)
        row = _family_task(dict(outdir=out, family=name, path=p, row=_new_row(name)), opts, 1, "contacts")
        assert row["status"] == "ok", row
        seconds.append(row["seconds"])
    return time.perf_counter() - t0, seconds


def batch(fams: list[str], options: dict, out: str, client) -> float:
    from isingbio.distributed import map_contacts

    t0 = time.perf_counter()
    table = map_contacts(fams, out, client=client, threads=1, **options)
    assert list(table["status"]) == ["ok"] * len(fams), table
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max-iter", type=int, default=30)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--tiny", type=int, default=500, help="no-op tasks for the overhead figure")
    args = ap.parse_args()

    from isingbio.distributed import connect

    fams = families()
    options = dict(max_iter=args.max_iter, seed=1)
    print(f"{len(fams)} families: {', '.join(Path(f).name for f in fams)}; max_iter {args.max_iter}")
    print(f"cores: {os.cpu_count()}, load average before: {os.getloadavg()[0]:.2f}")
    tmp = tempfile.mkdtemp(prefix="bench_distributed.")
    try:
        for rep in range(args.repeat):
            out = os.path.join(tmp, f"serial{rep}")
            os.makedirs(out)
            t_serial, per_family = serial(fams, options, out)
            walls = {}
            for n in (1, 2):
                with connect(None, n_workers=n, threads=1) as client:
                    walls[n] = batch(fams, options, os.path.join(tmp, f"w{n}r{rep}"), client)
                    if n == 2 and rep == 0:
                        client.gather(client.map(abs, range(20)))  # warm
                        t0 = time.perf_counter()
                        client.gather(client.map(abs, range(args.tiny)))
                        tiny = (time.perf_counter() - t0) / args.tiny
            per = ", ".join(f"{s:.1f}" for s in per_family)
            print(f"repeat {rep + 1}: per-family seconds (serial) {per}")
            for label, wall in (("serial loop", t_serial), ("1 worker", walls[1]), ("2 workers", walls[2])):
                print(f"  {label:12s} {wall:7.1f} s   {3600 * len(fams) / wall:7.0f} families/hour")
            print(f"  2 workers / 1 worker speed-up: {walls[1] / walls[2]:.2f}x")
            print(
                f"  batch overhead per family (1 worker - serial, incl. cluster start): "
                f"{(walls[1] - t_serial) / len(fams):.2f} s"
            )
            if rep == 0:
                print(f"  scheduler overhead per tiny task ({args.tiny} no-op tasks, 2 workers): {1e3 * tiny:.2f} ms")
        print(f"load average after: {os.getloadavg()[0]:.2f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
