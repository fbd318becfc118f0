"""Type stubs of the compiled kernel module _plm (signatures from the .pyx)."""

from typing import Any

from numpy.typing import NDArray

def block_groups(x: NDArray[Any], q: int) -> Any: ...
def block_size() -> Any: ...
def pack(*args: Any, **kwargs: Any) -> Any: ...
def simd_level() -> Any: ...
def site_terms(*args: Any, **kwargs: Any) -> Any: ...
def unpack(*args: Any, **kwargs: Any) -> Any: ...
def vdot(*args: Any, **kwargs: Any) -> Any: ...
def vfused(
    d: NDArray[Any],
    init: NDArray[Any],
    init_scale: float,
    alpha: float,
    xv: NDArray[Any],
    post_scale: float,
    dot32: NDArray[Any],
    dot64: NDArray[Any],
    n_threads: int,
) -> Any: ...
def vstep(x: NDArray[Any], alpha: float, d: NDArray[Any], out: NDArray[Any], n_threads: int) -> Any: ...
def vupdate(
    x_new: NDArray[Any],
    x: NDArray[Any],
    g_new: NDArray[Any],
    g: NDArray[Any],
    s_out: NDArray[Any],
    y_out: NDArray[Any],
    n_threads: int,
) -> Any: ...
