"""Temperature scans on a Dask cluster: one task per temperature (or block of temperatures),
the same table as ``isingbio simulate --temperatures``, the same numbers for any workers."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._typing import SeedLike
from ..errors import InputError, SamplingWarning

KEYS = ("energy", "specific_heat", "abs_magnetization", "susceptibility")


def scan_point(
    model: Any,
    temperature: float,
    seed: SeedLike,
    *,
    n_sweeps: int,
    method: str,
    n_chains: int = 2,
    burn_in: int = 500,
    thin: int = 1,
    init: str = "random",
    n_threads: int | None = None,
    progress: bool = False,
) -> dict:
    """One row of a scan: (mean, stderr) of E/N, C/N, |m| and chi/N, tau_E and the warnings."""
    from ..sampling import sample

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SamplingWarning)
        res = sample(
            model,
            1.0 / temperature,
            n_sweeps,
            method=method,
            n_chains=n_chains,
            burn_in=burn_in,
            thin=thin,
            init=init,
            seed=seed,
            n_threads=n_threads,
            progress=progress,
        )
    e = res.estimate("energy_per_site")
    ests = (e, res.specific_heat(), res.estimate("abs_magnetization"), res.susceptibility())
    row: dict = {k: (est.mean, est.stderr) for k, est in zip(KEYS, ests)}
    row["tau_int"] = e.tau_int * res.thin
    row["warnings"] = [str(w.message) for w in caught if issubclass(w.category, SamplingWarning)]
    return row


def _check_scan(model: Any, method: str, n_sweeps: int, n_chains: int, burn_in: int, thin: int) -> None:
    """The checks :func:`isingbio.sample` makes, here before any task is sent (a bad argument
    is a one-line error, not a failed task per temperature logged by every worker)."""
    from .._validation import check_positive_int
    from ..sampling import normalise_method

    normalise_method(method, model)
    check_positive_int(n_chains, "n_chains")
    check_positive_int(burn_in, "burn_in", minimum=0)
    if check_positive_int(n_sweeps, "n_sweeps", minimum=0) < check_positive_int(thin, "thin"):
        raise InputError("no records: run with n_sweeps >= thin")


def _block_task(model: Any, temps: list[float], seeds: list, kwargs: dict) -> list[dict]:
    return [scan_point(model, t, s, **kwargs) for t, s in zip(temps, seeds)]


def temperature_scan(
    model: Any,
    temperatures: Sequence[float] | np.ndarray,
    n_sweeps: int,
    *,
    method: str | None = None,
    n_chains: int = 2,
    burn_in: int = 500,
    thin: int = 1,
    init: str = "random",
    seed: SeedLike = None,
    client: Any = None,
    n_workers: int | None = None,
    threads: int | None = None,
    block: int = 1,
) -> dict:
    """Sample `model` at each temperature, one Dask task per block of `block` temperatures.

    Temperature k draws from child k of the seed (as ``isingbio simulate --temperatures``),
    so the table does not depend on the workers, the blocks or the threads.

    Parameters
    ----------
    model : IsingModel or PottsModel
    temperatures : sequence of float, shape (n,)
        Temperatures (> 0); beta = 1 / T.
    n_sweeps : int
        Sweeps recorded per chain.
    method : str, optional
        Default: "swendsen-wang" for a ferromagnet, else "metropolis".
    n_chains, burn_in, thin, init
        As :func:`isingbio.sample`.
    seed : int, numpy Generator or SeedSequence, optional
    client : None, dask.distributed.Client or str, optional
        None: a LocalCluster on this machine; a Client; or a scheduler address.
    n_workers, threads : int, optional
        LocalCluster workers, and OpenMP threads per task.
    block : int, optional
        Temperatures per task (fewer, longer tasks for short runs).

    Returns
    -------
    dict
        ``temperatures`` (n,); ``energy``, ``specific_heat``, ``abs_magnetization``,
        ``susceptibility``: (n, 2) arrays of (mean, stderr) per site; ``tau_int`` (n,);
        ``warnings``: list of (temperature, message); ``seed`` and ``method``.
    """
    from .._random import as_seed_sequence, chain_seed_sequences, seed_entropy
    from ._cluster import connect

    temps = np.asarray(temperatures, dtype=np.float64).ravel()
    if temps.size == 0 or not np.all(np.isfinite(temps)) or np.any(temps <= 0):
        raise InputError("temperatures must be a non-empty list of finite values > 0")
    if isinstance(block, bool) or not isinstance(block, int) or block < 1:
        raise InputError(f"block must be a positive integer, got {block!r}")
    method = method or ("swendsen-wang" if model.is_ferromagnetic else "metropolis")
    _check_scan(model, method, n_sweeps, n_chains, burn_in, thin)
    seq = as_seed_sequence(seed)
    streams = chain_seed_sequences(seq, temps.size)  # children 0.. of the seed, even if it was spawned
    kwargs = dict(n_sweeps=n_sweeps, method=method, n_chains=n_chains, burn_in=burn_in, thin=thin, init=init)
    kwargs["n_threads"] = threads or (1 if client is None else None)
    with connect(client, n_workers=n_workers, threads=threads) as c:
        futures = [
            c.submit(_block_task, model, list(temps[i : i + block]), streams[i : i + block], kwargs, pure=False)
            for i in range(0, temps.size, block)
        ]
        rows = [r for part in c.gather(futures) for r in part]
    table: dict = {"temperatures": temps, "seed": seed_entropy(seq), "method": method}
    for k in KEYS:
        table[k] = np.array([r[k] for r in rows], dtype=np.float64)
    table["tau_int"] = np.array([r["tau_int"] for r in rows])
    table["warnings"] = [(float(t), w) for t, r in zip(temps, rows) for w in r["warnings"]]
    return table
