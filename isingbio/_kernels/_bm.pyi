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
def connected_sums(
    f1: NDArray[Any],
    f2: NDArray[Any],
    dx: NDArray[Any],
    pi: NDArray[Any],
    pj: NDArray[Any],
    q: int,
    out: NDArray[Any],
    n_threads: int,
) -> Any: ...
def coupling_step(
    f2d: NDArray[Any],
    f2m: NDArray[Any],
    Jv: NDArray[Any],
    lam: float,
    lr: float,
    J_new: NDArray[Any],
    mode: int,
    n_threads: int,
    lr_old: NDArray[Any] | None = ...,
    sign_old: NDArray[Any] | None = ...,
    lr_new: NDArray[Any] | None = ...,
    sign_new: NDArray[Any] | None = ...,
) -> Any: ...
def couplings_from_pairs(
    Jv: NDArray[Any], pi: NDArray[Any], pj: NDArray[Any], J: NDArray[Any], n_threads: int
) -> Any: ...
def fixed_couplings(J: NDArray[Any], n_threads: int) -> Any: ...
def pair_frequencies(
    x: NDArray[Any], w: NDArray[Any], pi: NDArray[Any], pj: NDArray[Any], q: int, f2: NDArray[Any], n_threads: int
) -> Any: ...
def site_frequencies(x: NDArray[Any], w: NDArray[Any], q: int, f1: NDArray[Any], n_threads: int) -> Any: ...
