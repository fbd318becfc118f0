"""Type aliases of the public API (for annotations; nothing here runs at import time)."""

from __future__ import annotations

import os

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["ArrayLike", "NDArray", "PathLike", "SeedLike"]

#: A seed: None (fresh entropy), a non-negative int, a numpy Generator or a SeedSequence.
SeedLike = None | int | np.integer | np.random.Generator | np.random.SeedSequence
#: A file path.
PathLike = str | os.PathLike[str]
