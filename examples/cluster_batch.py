"""Contacts for many families on a Dask cluster: this machine, an existing scheduler, or SLURM.

    python examples/cluster_batch.py                              # the built-in family, 2 local workers
    python examples/cluster_batch.py fams/*.a3m --workers 4 -o out/
    python examples/cluster_batch.py fams/*.a3m --scheduler tcp://10.0.0.1:8786 -o out/
    python examples/cluster_batch.py fams/*.a3m --slurm 20 -o out/   # needs dask-jobqueue

Needs `pip install 'isingbio[distributed]'`. Writes OUT/<family>.csv (as `isingbio contacts
-o`) and OUT/summary.csv, and prints the summary; run it again with --resume to finish a
batch that was interrupted.
"""

from __future__ import annotations

import argparse

from isingbio.data import example_alignment_path
from isingbio.distributed import map_contacts


def slurm_client(jobs: int):
    """A Dask client on SLURM jobs of 4 cores and 16 GB each (dask-jobqueue)."""
    from dask.distributed import Client
    from dask_jobqueue import SLURMCluster

    cluster = SLURMCluster(
        cores=4,
        processes=1,
        memory="16GB",
        walltime="04:00:00",
        worker_extra_args=["--resources", "MEMORY=15e9"],  # our tasks are placed by memory
    )
    cluster.adapt(minimum=0, maximum=jobs)
    return Client(cluster)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("alignments", nargs="*", help="alignment files (default: the built-in PF00014)")
    ap.add_argument("-o", "--outdir", default="batch_out")
    where = ap.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, default=2, help="local worker processes (default 2)")
    where.add_argument("--scheduler", default=None, help="address of a running Dask scheduler")
    where.add_argument("--slurm", type=int, default=None, metavar="JOBS", help="SLURM jobs at most")
    ap.add_argument("--threads", type=int, default=1, help="OpenMP threads per family")
    ap.add_argument("--max-iter", type=int, default=100)
    ap.add_argument("--resume", action="store_true")
    args = ap.parse_args()

    paths = args.alignments or [str(example_alignment_path())]
    client = args.scheduler
    if args.slurm:
        client = slurm_client(args.slurm)
    table = map_contacts(
        paths,
        args.outdir,
        client=client,
        n_workers=None if client is not None else args.workers,
        threads=args.threads,
        max_iter=args.max_iter,
        resume=args.resume,
        progress=True,
    )
    for k in range(len(table)):
        print(
            f"{table['family'][k]:>12s}  L={table['L'][k]:<5d} N={table['N'][k]:<7d} "
            f"{table['seconds'][k]:7.1f} s  {table['peak_memory_mb'][k]:7.0f} MB  {table['status'][k]}  "
            f"{table['message'][k]}"
        )


if __name__ == "__main__":
    main()
