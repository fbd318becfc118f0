"""Type stubs of the compiled kernel module _enumerate (signatures from the .pyx)."""

from typing import Any

from numpy.typing import NDArray

def enumerate_energies(
    q: int,
    n_prefix: int,
    indptr: NDArray[Any],
    nbr: NDArray[Any],
    tables: NDArray[Any],
    h: NDArray[Any],
    out_j: NDArray[Any],
    out_h: NDArray[Any],
    ibuf: NDArray[Any],
    dbuf: NDArray[Any],
    n_threads: int,
    first_chunk: Any = ...,
    stop_chunk: Any = ...,
) -> Any: ...
def enumerate_max(
    q: int,
    n_prefix: int,
    indptr: NDArray[Any],
    nbr: NDArray[Any],
    tables: NDArray[Any],
    h: NDArray[Any],
    beta_J: float,
    beta_h: float,
    out: NDArray[Any],
    ibuf: NDArray[Any],
    dbuf: NDArray[Any],
    n_threads: int,
    first_chunk: Any = ...,
) -> Any: ...
def enumerate_sums(
    q: int,
    n_prefix: int,
    indptr: NDArray[Any],
    nbr: NDArray[Any],
    tables: NDArray[Any],
    h: NDArray[Any],
    beta_J: float,
    beta_h: float,
    mag_mode: int,
    ref: float,
    e0_j: float,
    e0_h: float,
    first_chunk: Any,
    sums: NDArray[Any],
    single: NDArray[Any],
    pair: NDArray[Any],
    marginals: Any,
    ibuf: NDArray[Any],
    dbuf: NDArray[Any],
    n_threads: int,
) -> Any: ...
def scratch_buffers(n_threads: int, L: int, q: int, marginals: Any) -> Any: ...
