"""Type stubs of the compiled kernel module _buildinfo (signatures from the .pyx)."""

from typing import Any

def build_info() -> Any: ...
