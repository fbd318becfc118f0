"""Ladders of inverse temperatures: geometric ones, checks, and one step of each adaptive rule."""

import numpy as np
import pytest

from isingbio.errors import InputError
from isingbio.ladders import (
    check_ladder,
    equal_acceptance_ladder,
    feedback_ladder,
    geometric_ladder,
    temperature_ladder,
)


def test_geometric_and_temperature_ladders():
    b = geometric_ladder(0.1, 1.6, 5)
    np.testing.assert_allclose(b, [0.1, 0.2, 0.4, 0.8, 1.6])
    assert b[0] == 0.1 and b[-1] == 1.6
    t = temperature_ladder(0.5, 3.0, 32)
    assert t.size == 32 and np.all(np.diff(t) > 0)
    np.testing.assert_allclose(1 / t[::-1], np.geomspace(0.5, 3.0, 32))
    assert geometric_ladder(0.3, 2.0, 1).tolist() == [2.0]


@pytest.mark.parametrize(
    "args, match",
    [((0.0, 1.0, 3), "0 < beta_min"), ((2.0, 1.0, 3), "beta_min <= beta_max"), ((0.1, 1.0, 0), "at least 1")],
)
def test_geometric_ladder_errors(args, match):
    with pytest.raises(InputError, match=match):
        geometric_ladder(*args)


@pytest.mark.parametrize(
    "bad", [[1.0, 0.5], [0.2, 0.2], [-1.0, 1.0], [np.nan, 1.0], [], "abc", [[0.1, 0.2], [0.3, 0.4]], True]
)
def test_check_ladder_refuses(bad):
    with pytest.raises(InputError):
        check_ladder(bad)


def test_equal_acceptance_moves_rungs_towards_the_hard_gap():
    betas = np.array([0.0, 1.0, 2.0, 3.0])
    new = equal_acceptance_ladder(betas, np.array([0.9, 0.9, 0.05]), damping=0.0)
    assert new[0] == 0.0 and new[-1] == 3.0
    assert np.all(np.diff(new) > 0)
    assert new[-1] - new[-2] < 1.0  # the gap with low acceptance shrinks
    # even acceptance: the ladder stays
    np.testing.assert_allclose(equal_acceptance_ladder(betas, np.full(3, 0.4), damping=0.0), betas)
    # nothing measured: unchanged
    np.testing.assert_array_equal(equal_acceptance_ladder(betas, np.array([0.5, np.nan, 0.5])), betas)


def test_feedback_ladder_puts_rungs_where_the_flow_drops():
    betas = np.linspace(0.0, 4.0, 5)
    up = np.array([100, 95, 50, 5, 0])  # f falls between rungs 1 and 3
    down = 100 - up
    new = feedback_ladder(betas, up, down, damping=0.0)
    assert new[0] == 0.0 and new[-1] == 4.0 and np.all(np.diff(new) > 0)
    assert new[2] - new[1] < 1.0 and new[3] - new[2] < 1.0
    # a rung never visited: unchanged
    np.testing.assert_array_equal(feedback_ladder(betas, up, np.array([0, 5, 50, 95, 0])), betas)
