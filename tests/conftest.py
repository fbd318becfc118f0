"""Shared fixtures: seeded random generators and the location of ../shared/data."""

from pathlib import Path

import numpy as np
import pytest
from scipy import stats as sps

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


def chi_square_pvalue(configs, p, states, min_expected=5.0):
    """p-value of a chi-square test of sampled states against exact probabilities.

    configs (n_configs, L) and p (n_configs,) are the exact distribution (e.g. from
    isingbio.exact.probabilities); states (n_samples, L) are independent samples. States
    with small expected counts are pooled, rarest first, until every bin expects at least
    `min_expected`.
    """
    configs = np.ascontiguousarray(np.asarray(configs).reshape(len(configs), -1), dtype=np.int8)
    states = np.ascontiguousarray(np.asarray(states).reshape(len(states), -1), dtype=np.int8)
    lookup = {row.tobytes(): k for k, row in enumerate(configs)}
    index = np.fromiter((lookup[row.tobytes()] for row in states), dtype=np.int64, count=len(states))
    observed = np.bincount(index, minlength=len(configs)).astype(float)
    expected = np.asarray(p, dtype=float) * len(states)
    obs_b, exp_b, acc_o, acc_e = [], [], 0.0, 0.0
    for k in np.argsort(expected):
        acc_o += observed[k]
        acc_e += expected[k]
        if acc_e >= min_expected:
            obs_b.append(acc_o)
            exp_b.append(acc_e)
            acc_o = acc_e = 0.0
    if acc_e > 0:
        obs_b[-1] += acc_o
        exp_b[-1] += acc_e
    return float(sps.chisquare(obs_b, exp_b).pvalue)


@pytest.fixture
def chi_square():
    """The chi-square test above, as a fixture: chi_square(configs, p, states) -> p-value."""
    return chi_square_pvalue
