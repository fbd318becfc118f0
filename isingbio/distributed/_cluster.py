"""Dask clients for the distributed layer: an existing client, a scheduler address, or a
LocalCluster sized to this machine (workers x OpenMP threads never more than the cores)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..errors import InputError, IsingbioError

log = logging.getLogger(__name__)

INSTALL_HINT = "pip install 'isingbio[distributed]'"
MEMORY = "MEMORY"  # the Dask worker resource that carries a worker's bytes for our tasks


def require_dask() -> Any:
    """The ``distributed`` module, or a one-line IsingbioError that says what to install."""
    try:
        import distributed
    except ImportError:
        raise IsingbioError(f"the distributed layer needs Dask: {INSTALL_HINT}") from None
    return distributed


def local_cluster_shape(n_workers: int | None = None, threads: int | None = None) -> tuple[int, int]:
    """(workers, OpenMP threads per worker) of a LocalCluster on this machine.

    Default: one thread per worker and as many workers as cores; workers x threads may not
    exceed the cores (the kernels would fight over them).
    """
    from .._config import available_cores

    cores = available_cores()
    for value, name in ((n_workers, "workers"), (threads, "threads")):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise InputError(f"{name} must be a positive integer, got {value!r}")
    threads = threads or 1
    if n_workers is None:
        n_workers = max(1, cores // threads)
    if n_workers * threads > cores:
        raise InputError(
            f"{n_workers} workers x {threads} OpenMP thread(s) = {n_workers * threads} exceeds the {cores} "
            f"cores of this machine; use fewer workers or threads"
        )
    return n_workers, threads


@dataclass
class WorkerPool:
    """What the scheduler knows of its workers, for memory-aware placement.

    ``capacity``: bytes per worker for our tasks (its MEMORY resource, else its memory limit;
    0 when unknown); ``resources``: True when every worker declares MEMORY, so tasks can
    carry their estimate as a Dask resource; ``slots``: worker threads in all.
    """

    capacity: dict[str, int]
    resources: bool
    slots: int
    dashboard: str | None

    @property
    def largest(self) -> int:
        return max(self.capacity.values(), default=0)


def worker_pool(client: Any) -> WorkerPool:
    """Query the scheduler about its workers (waits for at least one)."""
    client.wait_for_workers(1, timeout=120)
    info = client.scheduler_info(n_workers=-1)
    capacity, with_resource, slots = {}, True, 0
    for addr, w in info.get("workers", {}).items():
        res = (w.get("resources") or {}).get(MEMORY)
        with_resource &= res is not None
        capacity[addr] = int(res if res is not None else (w.get("memory_limit") or 0))
        slots += int(w.get("nthreads", 1))
    return WorkerPool(capacity, with_resource and bool(capacity), max(1, slots), _dashboard(client, info))


def _dashboard(client: Any, info: dict) -> str | None:
    """The dashboard's address when something answers there (a scheduler started with
    --no-dashboard still lists the port)."""
    import socket
    from urllib.parse import urlparse

    if "dashboard" not in info.get("services", {}):
        return None
    try:
        link = client.dashboard_link
        url = urlparse(link)
        with socket.create_connection((url.hostname, url.port or 80), timeout=0.5):
            return link
    except Exception:
        return None


@contextlib.contextmanager
def connect(
    client: Any = None,
    *,
    n_workers: int | None = None,
    threads: int | None = None,
    memory_per_worker: int | None = None,
) -> Iterator[Any]:
    """Yield a ``dask.distributed.Client``.

    `client`: None starts a LocalCluster (process workers, one task at a time each, every
    worker declaring its share of the memory as the MEMORY resource) and closes it at the
    end; a Client is used as it is; a string is a scheduler address (``tcp://host:8786``)
    connected to and disconnected from at the end (its workers keep running).
    """
    distributed = require_dask()
    if isinstance(client, distributed.Client):
        yield client
        return
    if isinstance(client, str):
        try:
            c = distributed.Client(client, timeout="20s")
        except OSError as exc:
            raise IsingbioError(f"cannot reach the Dask scheduler at {client}: {exc}") from None
        try:
            yield c
        finally:
            c.close()
        return
    if client is not None:
        raise InputError(f"client must be None, a dask.distributed.Client or a scheduler address, got {client!r}")
    n_workers, threads = local_cluster_shape(n_workers, threads)
    if memory_per_worker is None:
        from .._config import memory_limit

        memory_per_worker = int(0.9 * memory_limit()[0] / n_workers)
    cluster = distributed.LocalCluster(
        n_workers=n_workers,
        threads_per_worker=1,
        processes=True,
        memory_limit=memory_per_worker,
        resources={MEMORY: memory_per_worker},
        dashboard_address=":0",
        silence_logs=logging.ERROR,
        # the workers run our OpenMP kernels with `threads` threads each
        env={"OMP_NUM_THREADS": str(threads)},
    )
    try:
        c = distributed.Client(cluster)
        try:
            yield c
        finally:
            c.close()
    finally:
        cluster.close()


def task_failure(exc: BaseException) -> str:
    """One line for a task that did not come back (a worker that died, a lost connection)."""
    name = type(exc).__name__
    text = " ".join(str(exc).split())
    if name == "KilledWorker":
        return f"the worker died while running it (tried on several workers): {text}"[:300]
    return f"{name}: {text}"[:300]
