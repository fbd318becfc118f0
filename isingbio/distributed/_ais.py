"""Annealed importance sampling with the chains split into groups over Dask workers."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from .._typing import ArrayLike, SeedLike
from ..errors import InputError


def chain_groups(n: int, groups: int) -> list[tuple[int, int]]:
    """Split chains 0..n-1 into `groups` contiguous (first, count) ranges, sizes differing by <= 1."""
    groups = max(1, min(groups, n))
    base, extra = divmod(n, groups)
    out, first = [], 0
    for g in range(groups):
        count = base + (g < extra)
        out.append((first, count))
        first += count
    return out


def ais(
    model: Any,
    beta: float = 1.0,
    *,
    client: Any = None,
    n_groups: int | None = None,
    n_workers: int | None = None,
    n_chains: int = 256,
    n_steps: int = 1000,
    schedule: str | ArrayLike = "linear",
    sweeps_per_step: int = 1,
    method: str = "heatbath",
    base: str | None = None,
    bidirectional: bool = False,
    reverse_states: ArrayLike | None = None,
    equilibration_method: str | None = None,
    equilibration_sweeps: int | None = None,
    seed: SeedLike = None,
    n_threads: int | None = None,
) -> Any:
    """:func:`isingbio.ais` with its chains split into groups that run on Dask workers.

    Chain c draws from its own random streams whatever group runs it, and the groups'
    log-weights are gathered in chain order and combined as one run combines them: the same
    seed gives the same ``log_z`` (bit for bit) as :func:`isingbio.ais` for any number of
    workers, groups and threads. The adaptive schedule's pilot runs here, before the groups.

    Parameters
    ----------
    model, beta, n_chains, n_steps, schedule, sweeps_per_step, method, base, bidirectional,
    reverse_states, equilibration_method, equilibration_sweeps, seed
        As :func:`isingbio.ais`. The Wolff method is refused: its clusters per sweep are
        calibrated on all chains together.
    client : None, dask.distributed.Client or str, optional
        None: a LocalCluster on this machine; a Client; or a scheduler address.
    n_groups : int, optional
        Groups of chains (default: the workers' threads in all).
    n_workers : int, optional
        LocalCluster workers.
    n_threads : int, optional
        OpenMP threads per group (default 1 on a LocalCluster, else the worker's cores).

    Returns
    -------
    AISResult
    """
    from ..annealed_importance import _combine, _plan, _run_chains, _run_pilot
    from ._cluster import connect, worker_pool

    start = time.perf_counter()
    plan, pilot = _plan(
        model,
        beta,
        n_chains,
        n_steps,
        schedule,
        sweeps_per_step,
        method,
        base,
        bidirectional,
        reverse_states,
        equilibration_method,
        equilibration_sweeps,
        seed,
        n_threads,
    )
    if "wolff" in (plan.method, plan.eq_method if plan.bidirectional else None):
        raise InputError(
            "distributed AIS does not run the Wolff method (its calibration pools all chains); "
            "use swendsen-wang or a single-site method"
        )
    if n_groups is not None and (isinstance(n_groups, bool) or not isinstance(n_groups, int) or n_groups < 1):
        raise InputError(f"n_groups must be a positive integer, got {n_groups!r}")
    if client is None and plan.n_threads is None:
        plan.n_threads = 1
    _run_pilot(plan, pilot, None)
    with connect(client, n_workers=n_workers, threads=plan.n_threads) as c:
        groups = n_groups or worker_pool(c).slots
        fwd = chain_groups(plan.n_chains, groups)
        if plan.bidirectional and plan.x_given is not None:
            rev = chain_groups(plan.n_reverse, len(fwd))
            rev += [(plan.n_reverse, 0)] * (len(fwd) - len(rev))
        elif plan.bidirectional:
            rev = fwd
        else:
            rev = [(0, 0)] * len(fwd)
        futures = [c.submit(_run_chains, plan, a, n, ra, rn, pure=False) for (a, n), (ra, rn) in zip(fwd, rev)]
        parts = c.gather(futures)
    result = _combine(plan, parts, time.perf_counter() - start)
    result.n_threads = int(np.max([p["n_threads"] for p in parts]))
    return result
