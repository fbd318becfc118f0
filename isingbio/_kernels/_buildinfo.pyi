"""Type stubs of the compiled kernel module _buildinfo (signatures from the .pyx)."""

from typing import Any

from numpy.typing import NDArray

def build_info() -> Any: ...
