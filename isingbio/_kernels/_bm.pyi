"""Type stubs of the compiled kernel module _bm (signatures from the .pyx)."""

from typing import Any

from numpy.typing import NDArray

def bm_sweeps(
    h: NDArray[Any],
    Jq: NDArray[Any],
    qs: float,
    states: NDArray[Any],
    rng: NDArray[Any],
    n_sweeps: int,
    heatbath: Any,
    n_threads: int,
    group: int = ...,
) -> Any: ...
def fixed_couplings(J: NDArray[Any], n_threads: int) -> Any: ...
