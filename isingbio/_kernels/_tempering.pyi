"""Type stubs of the compiled kernel module _tempering (signatures from the .pyx)."""

from typing import Any

from numpy.typing import NDArray

def replica_engine_applies(ising: Any, heatbath: Any, shape: NDArray[Any], periodic: NDArray[Any], q: int) -> Any: ...
def replica_table_size(ising: Any, heatbath: Any, d: int, q: int) -> Any: ...
def tempering_run(
    kind: int,
    heatbath: Any,
    q: int,
    indptr: NDArray[Any],
    indices: NDArray[Any],
    weights: NDArray[Any],
    h: NDArray[Any],
    betas: NDArray[Any],
    states: NDArray[Any],
    rng: NDArray[Any],
    swap_rng: NDArray[Any],
    e_j: NDArray[Any],
    e_h: NDArray[Any],
    cache: NDArray[Any],
    rep_at: NDArray[Any],
    direction: NDArray[Any],
    trip_start: NDArray[Any],
    clock: NDArray[Any],
    swaps: NDArray[Any],
    trips: NDArray[Any],
    trip_time: NDArray[Any],
    flow: NDArray[Any],
    n_sweeps: int,
    swap_every: int,
    thin: int,
    *,
    J_double: NDArray[Any] | None = ...,
    J_float: NDArray[Any] | None = ...,
    energy: NDArray[Any] | None = ...,
    magnetization: NDArray[Any] | None = ...,
    overlap: NDArray[Any] | None = ...,
    states_out: NDArray[Any] | None = ...,
    rec_offset: int = ...,
    init: Any = ...,
    n_threads: int = ...,
    fast: int = ...,
    mode: int = ...,
    lat_shape: NDArray[Any] | None = ...,
    lat_periodic: NDArray[Any] | None = ...,
    lat_J: NDArray[Any] | None = ...,
    wolff: Any = ...,
    wolff_k: NDArray[Any] | None = ...,
    tables: NDArray[Any] | None = ...,
    table_betas: NDArray[Any] | None = ...,
) -> Any: ...
