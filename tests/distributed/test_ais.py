"""Distributed AIS gives the single-process result, bit for bit, for 1, 2 and 3 workers."""

from __future__ import annotations

import numpy as np
import pytest

import isingbio
from isingbio.distributed import ais as dais
from isingbio.distributed._ais import chain_groups

CASES = {
    "ising-bidirectional": (isingbio.IsingModel.lattice((6, 6)), 0.4, dict(method="metropolis", bidirectional=True)),
    "potts-adaptive": (isingbio.PottsModel.lattice((4, 4), 3), 0.9, dict(schedule="adaptive", bidirectional=True)),
}


def _same(a, b):
    assert a.log_z == b.log_z and a.stderr == b.stderr
    np.testing.assert_array_equal(a.log_weights, b.log_weights)
    np.testing.assert_array_equal(a.trace, b.trace)
    if a.bidirectional:
        assert a.log_z_reverse == b.log_z_reverse
        np.testing.assert_array_equal(a.log_weights_reverse, b.log_weights_reverse)


def test_chain_groups():
    assert chain_groups(10, 3) == [(0, 4), (4, 3), (7, 3)]
    assert chain_groups(2, 5) == [(0, 1), (1, 1)]


@pytest.mark.filterwarnings("ignore::UserWarning")  # short runs: ESS and burn-in warnings
def test_ais_same_for_1_2_3_workers():
    import distributed

    refs = {k: isingbio.ais(m, b, n_chains=23, n_steps=80, seed=7, **kw) for k, (m, b, kw) in CASES.items()}
    states = isingbio.sample(CASES["ising-bidirectional"][0], 0.4, 5, n_chains=5, burn_in=100, seed=1)
    given = states.final_states
    ref_given = isingbio.ais(CASES["ising-bidirectional"][0], 0.4, n_chains=9, n_steps=50, reverse_states=given, seed=3)
    with (
        distributed.LocalCluster(n_workers=1, threads_per_worker=1, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        for n in (1, 2, 3):
            cluster.scale(n)
            client.wait_for_workers(n, timeout=60)
            assert len(client.scheduler_info(n_workers=-1)["workers"]) == n
            for key, (m, b, kw) in CASES.items():
                res = dais(m, b, client=client, n_chains=23, n_steps=80, seed=7, **kw)
                _same(res, refs[key])
            res = dais(
                CASES["ising-bidirectional"][0],
                0.4,
                client=client,
                n_chains=9,
                n_steps=50,
                reverse_states=given,
                seed=3,
            )
            _same(res, ref_given)


def test_wolff_refused():
    with pytest.raises(ValueError, match="Wolff"):
        dais(isingbio.IsingModel.lattice((4, 4)), 0.4, method="wolff", n_chains=4, n_steps=5, client="tcp://unused:1")
