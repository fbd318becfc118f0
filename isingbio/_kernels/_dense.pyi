"""Type stubs of the compiled kernel module _dense (signatures from the .pyx)."""

from typing import Any

from numpy.typing import NDArray

def potts_heatbath(*args: Any, **kwargs: Any) -> Any: ...
def potts_metropolis(*args: Any, **kwargs: Any) -> Any: ...
