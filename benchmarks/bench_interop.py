"""Reading and writing the peers' files on PF00014 (../shared/data/interop): seconds per call.

    python benchmarks/bench_interop.py [--repeat 5]

Prints min / median / max over the repeats for each reader, writer and score convention, and
the ratio of reading CCMpred's gzipped text to reading plmc's binary file (same model).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import isingbio
from isingbio.interop import (
    CONVENTIONS,
    dca_scores,
    read_ccmpred_raw,
    read_plmc,
    write_ccmpred_raw,
    write_plmc,
)

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def timed(f, repeat):
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t0)
    return min(ts), statistics.median(ts), max(ts)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    d = DATA / "interop"
    if not d.is_dir():
        raise SystemExit(f"{d} is not present")
    model = read_plmc(d / "PF00014.plmc.q21.params")
    aln = isingbio.read_alignment(DATA / "PF00014" / "prepared" / "PF00014.fasta")
    w, _ = isingbio.sequence_weights(aln)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        rows.append(("read_plmc (q = 21)", timed(lambda: read_plmc(d / "PF00014.plmc.q21.params"), args.repeat)))
        rows.append(
            ("read_ccmpred_raw (.gz)", timed(lambda: read_ccmpred_raw(d / "PF00014.ccmpred.raw.gz"), args.repeat))
        )
        for conv in CONVENTIONS:
            rows.append((f"dca_scores {conv}", timed(lambda conv=conv: dca_scores(model, conv), args.repeat)))
        rows.append(("write_plmc (placeholders)", timed(lambda: write_plmc(model, f"{tmp}/a.params"), args.repeat)))
        rows.append(
            (
                f"write_plmc (alignment, N = {aln.N})",
                timed(lambda: write_plmc(model, f"{tmp}/b.params", alignment=aln, weights=w), args.repeat),
            )
        )
        rows.append(("write_ccmpred_raw", timed(lambda: write_ccmpred_raw(model, f"{tmp}/c.raw"), args.repeat)))
        rows.append(
            ("write_ccmpred_raw (.gz)", timed(lambda: write_ccmpred_raw(model, f"{tmp}/c.raw.gz"), args.repeat))
        )
    print(f"PF00014: L = {model.n_sites}, q = {model.q}; seconds, min / median / max of {args.repeat}")
    for name, (lo, med, hi) in rows:
        print(f"  {name:<36s} {lo:8.3f} {med:8.3f} {hi:8.3f}")
    print(f"  read CCMpred .raw.gz / read plmc binary: {rows[1][1][1] / rows[0][1][1]:.0f} x (median)")


if __name__ == "__main__":
    main()
