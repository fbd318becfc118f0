"""Shared fixtures: seeded random generators and the location of ../shared/data."""
from pathlib import Path

import numpy as np
import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture
def rng():
    """A seeded generator, so that every test is reproducible."""
    return np.random.default_rng(20261125)


@pytest.fixture
def shared_data():
    """Path to ../shared/data; skips the test when it is absent (a user's fresh clone)."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present")
    return SHARED_DATA
