"""Type stubs of the compiled kernel module _weights (signatures from the .pyx)."""

from typing import Any

from numpy.typing import NDArray

def neighbour_counts(
    planes: NDArray[Any],
    nwords: int,
    nbits: int,
    max_mismatch: int,
    counts: NDArray[Any],
    n_threads: int,
    row_start: int = ...,
    row_stop: int = ...,
    mult: NDArray[Any] | None = ...,
) -> Any: ...
def openmp_enabled() -> Any: ...
