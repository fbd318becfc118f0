"""The replica engine of the lattice kernels (replica_impl.h) and per-chain betas.

Each chain may run at its own inverse temperature (`chain_beta`): the final states of the chains
at each beta are compared with that beta's exact distribution (chi-square, p threshold 1e-6).
A chain's result may depend on nothing but its own state, generator row and betas: not on the
other chains of the call (groups of chains, as the distributed AIS splits them), not on the
thread count, not on how a run is split into calls, not on the SIMD path.
"""

import numpy as np
import pytest

from isingbio._kernels import _lattice
from isingbio._random import chain_rng_states

from .test_lattice_kernels import (
    ISING_KERNELS,
    P_MIN,
    POTTS_KERNELS,
    chi2_pvalue,
    make_model,
    random_states,
    run,
)

KINDS = ISING_KERNELS + POTTS_KERNELS
KIND_CODE = {"ising_metropolis": 0, "ising_heatbath": 1, "potts_metropolis": 2, "potts_heatbath": 3}
BETAS = np.array([0.25, 0.7, 1.3])


def _run_chain_beta(kind, model, n_per_beta, engine, seed=3, sweeps=30):
    """Chains interleaved over BETAS (chain c at BETAS[c % 3]); their final states."""
    n_chains = n_per_beta * len(BETAS)
    factors = np.ascontiguousarray(BETAS[np.arange(n_chains) % len(BETAS)])
    states = random_states(model, n_chains, seed)
    run(kind, model, states, 1.0, 0.8, thin=sweeps, seed=seed, chain_beta=factors, engine=engine)
    return states


@pytest.mark.parametrize("engine", ["replica", "sublattice"])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "shape,periodic", [((2, 4), True), ((3, 3), True), ((2, 3), (False, True))], ids=["2x4p", "3x3p", "2x3m"]
)
def test_chain_beta_matches_each_betas_distribution(kind, shape, periodic, engine, state_index, boltzmann):
    """Each chain samples exp(-chain_beta[c] (beta_J H_J + beta_h H_h)): the chains of each beta
    against that beta's distribution, and (negative control) against a neighbouring beta's."""
    if kind.startswith("potts"):  # few enough states for 2000 chains per beta
        shape = {(2, 4): (2, 2), (3, 3): (3,), (2, 3): (2, 2)}[shape]
        periodic = periodic if len(shape) == 2 else True
    model = make_model(kind, shape, periodic, (0.7, -0.5)[: len(shape)])
    states = _run_chain_beta(kind, model, 2000, engine)
    n_states = model.q**model.n_sites
    for k, b in enumerate(BETAS):
        counts = np.bincount(state_index(model, states[k :: len(BETAS)]), minlength=n_states)
        assert chi2_pvalue(counts, boltzmann(model, b * 1.0, b * 0.8)) > P_MIN, b
    counts = np.bincount(state_index(model, states[1 :: len(BETAS)]), minlength=n_states)
    assert chi2_pvalue(counts, boltzmann(model, BETAS[2] * 1.0, BETAS[2] * 0.8)) < P_MIN


def _call(kind, model, states, rng, factors, **kw):
    out, stats = run(kind, model, states, 0.9, 0.6, rng=rng, chain_beta=factors, **kw)
    return out, stats


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("shape,periodic", [((4, 4), True), ((3, 5), (True, False)), ((2, 2, 3), True), ((9,), True)])
def test_chains_independent_of_groups_threads_and_calls(kind, shape, periodic):
    """70 chains (blocks of 32 and a partial one) at their own betas: one call, the chains split
    into uneven groups (separate calls), 1-3 threads, and the run cut into one-record calls give
    the same states, generators, records and counts, bit for bit."""
    model = make_model(kind, shape, periodic, (0.5, -0.3, 0.2)[: len(shape)])
    n = 70
    start = random_states(model, n, 1)
    rng0 = chain_rng_states(np.random.SeedSequence(2), n)
    factors = np.random.default_rng(4).uniform(0.2, 1.5, n)
    factors[10:40] = 0.8  # a run of chains sharing one table
    n_records, thin = 4, 3

    def whole(n_threads):
        states, rng = start.copy(), rng0.copy()
        seen = np.zeros((n, n_records, model.n_sites), dtype=np.int8)
        out, stats = _call(
            kind, model, states, rng, factors, n_records=n_records, thin=thin, n_threads=n_threads, states_out=seen
        )
        return [states, rng, seen, stats, *out]

    ref = whole(1)
    for n_threads in (2, 3):
        for a, b in zip(ref, whole(n_threads)):
            np.testing.assert_array_equal(a, b)

    # groups of chains in separate calls
    states, rng = start.copy(), rng0.copy()
    parts = [[], [], [], []]
    for lo, hi in [(0, 5), (5, 38), (38, 39), (39, 70)]:
        s, r = states[lo:hi].copy(), rng[lo:hi].copy()
        out, stats = _call(kind, model, s, r, factors[lo:hi].copy(), n_records=n_records, thin=thin)
        states[lo:hi], rng[lo:hi] = s, r
        parts[0].append(stats)
        for k in range(3):
            parts[k + 1].append(out[k])
    np.testing.assert_array_equal(states, ref[0])
    np.testing.assert_array_equal(rng, ref[1])
    np.testing.assert_array_equal(np.concatenate(parts[0]), ref[3])
    for k in range(3):
        np.testing.assert_array_equal(np.concatenate(parts[k + 1]), ref[4 + k])

    # one record per call
    states, rng = start.copy(), rng0.copy()
    recs = [[], [], []]
    total = np.zeros((n, 4))
    for _ in range(n_records):
        out, stats = _call(kind, model, states, rng, factors, thin=thin)
        total += stats
        for k in range(3):
            recs[k].append(out[k][:, 0])
    np.testing.assert_array_equal(states, ref[0])
    np.testing.assert_array_equal(rng, ref[1])
    np.testing.assert_array_equal(total, ref[3])
    for k in range(3):
        np.testing.assert_array_equal(np.stack(recs[k], axis=1), ref[4 + k])


@pytest.mark.skipif(not _lattice.has_avx2(), reason="no AVX2 on this CPU")
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("shared", [True, False], ids=["one-table", "per-chain-tables"])
@pytest.mark.parametrize("shape,periodic", [((16, 16), True), ((8,), False), ((4, 4, 4), True), ((5, 7), True)])
def test_simd_paths_same_bits(kind, shape, periodic, shared):
    """The AVX-512, AVX2 and portable loops give the same bits (one table for all chains: the
    pshufb lookups of 1D/2D Ising; per-chain betas: gathers), over enough updates that the
    pshufb path meets its exact fallback (top 16 bits of r and threshold equal)."""
    model = make_model(kind, shape, periodic, (0.6, -0.4, 0.3)[: len(shape)])
    n = 40
    start = random_states(model, n, 2)
    factors = None if shared else np.random.default_rng(1).uniform(0.3, 1.2, n)
    sweeps = max(1, 400_000 // (n * model.n_sites))
    res = []
    for simd in (1, 2, 0):
        states, rng = start.copy(), chain_rng_states(np.random.SeedSequence(8), n)
        out, stats = run(
            kind, model, states, 0.44, 0.44, n_records=2, thin=sweeps, rng=rng, chain_beta=factors, simd=simd
        )
        res.append([states, rng, stats, *out])
    for other in res[1:]:
        for a, b in zip(res[0], other):
            np.testing.assert_array_equal(a, b)


def test_engine_chosen_from_the_model():
    """The replica engine takes lattices of at most 4096 sites whose last side is below 64 or
    that the sublattice engine cannot take, for the kinds with a tuple table; never depending
    on the number of chains or threads."""

    def uses(kind, shape, periodic=True, q=3):
        d = len(shape)
        return _lattice.uses_replicas(
            KIND_CODE[kind], np.array(shape, dtype=np.int64), np.full(d, periodic, dtype=np.uint8), q
        )

    assert uses("ising_metropolis", (16, 16)) and uses("ising_heatbath", (32, 32))
    assert uses("ising_metropolis", (16, 16, 16)) and uses("ising_metropolis", (62,))
    assert not uses("ising_heatbath", (64, 64))  # rows of 32: the sublattice engine's AVX2 rows
    assert not uses("ising_metropolis", (128, 128)) and not uses("ising_metropolis", (8, 8, 128))
    assert uses("ising_metropolis", (63, 63))  # odd periodic sides: no sublattice engine
    assert not uses("ising_metropolis", (101, 101))  # too large
    assert uses("potts_metropolis", (16, 16)) and uses("potts_heatbath", (8, 8, 8), q=3)
    assert not uses("potts_metropolis", (16, 16), q=6)  # no tuple table
    assert not uses("potts_heatbath", (4, 4, 4), q=5)
    assert uses("potts_heatbath", (16, 16), q=5)


def test_chain_beta_checks_length_and_engine_name():
    model = make_model("ising_metropolis", (4, 4), True, (0.5, 0.5))
    states = random_states(model, 3, 0)
    with pytest.raises(ValueError, match="chain_beta"):
        run("ising_metropolis", model, states, 0.5, 0.5, chain_beta=np.ones(2))
    with pytest.raises(ValueError, match="engine"):
        run("ising_metropolis", model, states, 0.5, 0.5, engine="fast")


@pytest.mark.parametrize("kind", KINDS)
def test_chain_beta_ones_is_the_plain_call(kind):
    """chain_beta of ones changes nothing (both engines); a chain at factor 0 samples beta = 0."""
    model = make_model(kind, (6, 6), True, (0.5, -0.3))
    start = random_states(model, 35, 3)
    for engine in ("replica", "sublattice"):
        res = []
        for factors in (None, np.ones(35)):
            states, rng = start.copy(), chain_rng_states(np.random.SeedSequence(1), 35)
            out, stats = run(
                kind, model, states, 0.7, 0.4, n_records=2, thin=3, rng=rng, chain_beta=factors, engine=engine
            )
            res.append([states, rng, stats, *out])
        for a, b in zip(*res):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("kind", KINDS)
def test_c_driver_entry_point_equals_the_kernel(kind):
    """lat_advance (the C drivers' entry point, through the _advance hook) on chains [c0, c1) at
    their own betas equals a kernel call with chain_beta on those chains, and leaves the other
    chains alone; its energies are H_J + H_h of the final states."""
    model = make_model(kind, (8, 8), True, (0.5, -0.3))
    n, c0, c1 = 50, 7, 45
    start = random_states(model, n, 1)
    rng0 = chain_rng_states(np.random.SeedSequence(6), n)
    beta = np.random.default_rng(2).uniform(0.2, 1.2, n)
    states, rng, stats = start.copy(), rng0.copy(), np.zeros((n, 4))
    energy = np.zeros(c1 - c0)
    q = 2 if kind.startswith("ising") else model.q
    h = np.atleast_1d(np.asarray(model.uniform_field, dtype=np.float64))
    _lattice._advance(
        KIND_CODE[kind],
        np.asarray(model.shape, dtype=np.int64),
        np.asarray(model.periodic, dtype=np.uint8),
        np.ascontiguousarray(model.lattice_J, dtype=np.float64),
        q,
        np.ascontiguousarray(h),
        states,
        rng,
        stats,
        c0,
        c1,
        5,
        beta,
        energy,
        2,
    )
    ref_states, ref_rng = start[c0:c1].copy(), rng0[c0:c1].copy()
    out, ref_stats = run(kind, model, ref_states, 1.0, 1.0, thin=5, rng=ref_rng, chain_beta=beta[c0:c1].copy())
    np.testing.assert_array_equal(states[c0:c1], ref_states)
    np.testing.assert_array_equal(rng[c0:c1], ref_rng)
    np.testing.assert_array_equal(stats[c0:c1], ref_stats)
    np.testing.assert_array_equal(energy, out[0][:, 0] + out[1][:, 0])
    np.testing.assert_allclose(energy, model.energy(states[c0:c1]), atol=1e-9)
    for sl in (slice(0, c0), slice(c1, n)):
        np.testing.assert_array_equal(states[sl], start[sl])
        np.testing.assert_array_equal(rng[sl], rng0[sl])
        assert np.all(stats[sl] == 0)
