"""Swendsen-Wang and Wolff kernels (isingbio._kernels._cluster) against exact enumeration.

Many independent chains with fixed seeds sample tiny models; the histogram of their final
states is compared with the exact Boltzmann distribution by a chi-square test with pooled
bins and a p threshold of 1e-6 (a correct sampler fails about once in a million runs; a
wrong one, such as the same samples judged at a different beta, fails at once).
"""

import functools
import zlib

import numpy as np
import pytest
from scipy import stats as sps

from isingbio import IsingModel, PottsModel
from isingbio._kernels import _cluster
from isingbio._random import chain_rng_states

P_MIN = 1e-6

ISING_KERNELS = {"sw": _cluster.ising_swendsen_wang, "wolff": _cluster.ising_wolff}
POTTS_KERNELS = {"sw": _cluster.potts_swendsen_wang, "wolff": _cluster.potts_wolff}
# "<kind>_lat": the same kernel given the lattice (shape, periodic, J) of a lattice model:
# Wolff grows clusters with implicit neighbours (J >= 0), both record energies from the lattice
KINDS = ["sw", "wolff", "sw_lat", "wolff_lat"]


def lattice_arg(model):
    return (
        np.asarray(model.shape, dtype=np.int64),
        np.asarray(model.periodic, dtype=np.uint8),
        np.ascontiguousarray(model.lattice_J, dtype=np.float64),
    )


def kernel(kind, model):
    """(kernel, model arrays, trailing Wolff arguments' presence) for kind and model."""
    base = kind.split("_")[0]
    indptr, indices, weights = model.csr
    if isinstance(model, IsingModel):
        kern, args = ISING_KERNELS[base], (indptr, indices, weights, model.h)
    else:
        kern = POTTS_KERNELS[base]
        args = (indptr, indices, weights, model.q, np.ascontiguousarray(model.h))
    if kind.endswith("_lat"):
        if model.form != "lattice":
            pytest.skip("not a lattice")
        kern = functools.partial(kern, lattice=lattice_arg(model))
    return kern, args, base == "wolff"


# ------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------
def run(kind, model, states, beta_J, beta_h, n_records=1, thin=1, n_threads=1, seed=0, rng=None, clusters_per_sweep=0):
    """Run one kernel; return (states, e_coupling, e_field, magnetization, stats, rng)."""
    n_chains = states.shape[0]
    states = np.ascontiguousarray(states, dtype=np.int8).copy()
    if rng is None:
        rng = chain_rng_states(np.random.SeedSequence(seed), n_chains)
    e_c, e_f, mag = (np.full((n_chains, n_records), np.nan) for _ in range(3))
    st = np.zeros((n_chains, 4))
    kern, args, wolff = kernel(kind, model)
    extra = (clusters_per_sweep,) if wolff else ()
    kern(*args, states, rng, beta_J, beta_h, n_records, thin, e_c, e_f, mag, st, n_threads, *extra)
    return states, e_c, e_f, mag, st, rng


def random_states(model, n_chains, seed):
    gen = np.random.default_rng(seed)
    if isinstance(model, IsingModel):
        return gen.choice(np.array([-1, 1], dtype=np.int8), size=(n_chains, model.n_sites))
    return gen.integers(0, model.q, size=(n_chains, model.n_sites)).astype(np.int8)


@pytest.fixture
def chi_square_p(all_states, boltzmann):
    """chi_square_p(model, samples, beta_J, beta_h): p-value of the sampled states against
    the exact distribution (bins pooled to >= 5)."""

    def chi_square_p(model, samples, beta_J, beta_h):
        configs, p = all_states(model).astype(np.int64), boltzmann(model, beta_J, beta_h)
        base = 2 if isinstance(model, IsingModel) else model.q
        offset = 1 if isinstance(model, IsingModel) else 0
        weights = base ** np.arange(model.n_sites)[::-1]
        code_cfg = ((configs + offset) // (2 if offset else 1)) @ weights
        code_smp = ((samples.astype(np.int64) + offset) // (2 if offset else 1)) @ weights
        index = np.empty(base**model.n_sites, dtype=np.int64)
        index[code_cfg] = np.arange(len(configs))
        observed = np.bincount(index[code_smp], minlength=len(configs)).astype(float)
        expected = p * len(samples)
        # pool the bins with small expectations (smallest first) until the pool reaches 5
        order = np.argsort(expected)
        cum = np.cumsum(expected[order])
        n_small = int(np.searchsorted(cum, 5.0)) + 1
        pooled = order[:n_small]
        rest = order[n_small:]
        obs = np.concatenate([[observed[pooled].sum()], observed[rest]])
        exp_ = np.concatenate([[expected[pooled].sum()], expected[rest]])
        chi2 = float(((obs - exp_) ** 2 / exp_).sum())
        dof = len(obs) - 1
        return float(sps.chi2.sf(chi2, dof))

    return chi_square_p


def signed_graph(n, seed, p_edge=0.6, signed=True):
    gen = np.random.default_rng(seed)
    J = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            if gen.random() < p_edge:
                w = gen.uniform(0.2, 1.0) * (gen.choice([-1, 1]) if signed else 1)
                J[i, j] = J[j, i] = w
    return J


# ------------------------------------------------------------------------------------------
# models (tiny: exact enumeration)
# ------------------------------------------------------------------------------------------
def ising_cases():
    gen = np.random.default_rng(7)
    J6 = signed_graph(6, 11)
    sparse = np.zeros((5, 5))
    sparse[0, 1] = sparse[1, 0] = 0.8  # sites 2..4: isolated or on a short path
    sparse[2, 3] = sparse[3, 2] = -0.6
    return {
        "lattice3x3": (IsingModel.lattice((3, 3)), 0.4, 0.4),
        "lattice3x3_field": (IsingModel.lattice((3, 3), h=gen.normal(0, 0.5, (3, 3))), 0.45, 0.45),
        "lattice3x3_antiferro": (IsingModel.lattice((3, 3), J=-1.0, h=0.2), 0.5, 0.5),
        "lattice2x4_uniform_field": (IsingModel.lattice((2, 4), J=(0.7, 0.4), h=0.3), 0.5, 0.5),
        # lattice shapes for the implicit-neighbour path: open sides, 1D, 3D, periodic side 2
        # (doubled bonds), side 1, J = 0 along an axis, fields
        "open3x2_field": (
            IsingModel.lattice((3, 2), J=(0.8, 0.5), h=gen.normal(0, 0.5, (3, 2)), periodic=False),
            0.6,
            0.6,
        ),
        "ring5_uniform_field": (IsingModel.lattice((5,), J=0.9, h=-0.3), 0.7, 0.7),
        "chain4_open": (IsingModel.lattice((4,), J=1.1, h=0.2, periodic=False), 0.6, 0.6),
        "cube2x2x2": (IsingModel.lattice((2, 2, 2), J=0.5), 0.5, 0.5),
        "lattice3x1x3_field": (
            IsingModel.lattice(
                (3, 1, 3), J=(0.6, 1.0, 0.45), periodic=(True, False, True), h=gen.normal(0, 0.4, (3, 1, 3))
            ),
            0.6,
            0.6,
        ),
        "lattice2x3x2_mixed": (
            IsingModel.lattice(
                (2, 3, 2), J=(0.3, 0.5, 0.4), periodic=(True, True, False), h=gen.normal(0, 0.3, (2, 3, 2))
            ),
            0.7,
            0.7,
        ),
        "lattice3x3_inner_J0": (IsingModel.lattice((3, 3), J=(0.7, 0.0), h=0.25), 0.6, 0.6),
        "lattice3x3_outer_J0": (IsingModel.lattice((3, 3), J=(0.0, 0.7), h=0.25), 0.6, 0.6),
        "graph6_signed": (IsingModel.from_graph(J6), 0.8, 0.8),
        "graph6_signed_field": (IsingModel.from_graph(J6, h=gen.normal(0, 0.7, 6)), 0.8, 0.8),
        "graph6_betaJ_ne_betah": (IsingModel.from_graph(J6, h=gen.normal(0, 0.7, 6)), 0.3, 1.1),
        "graph5_isolated": (IsingModel.from_graph(sparse, h=[0.5, -0.3, 0.9, 0.0, -1.2]), 0.9, 0.9),
    }


def potts_cases():
    gen = np.random.default_rng(8)
    J6 = signed_graph(6, 12, p_edge=0.7, signed=False)
    return {
        "ring6": (PottsModel.lattice((6,), q=3), 1.0, 1.0),
        "ring6_uniform_field": (PottsModel.lattice((6,), q=3, h=[0.4, 0.0, -0.3]), 0.9, 0.9),
        "lattice2x3": (PottsModel.lattice((2, 3), q=3, J=(1.0, 0.6)), 0.7, 0.7),
        "open2x3_field": (
            PottsModel.lattice((2, 3), q=3, J=(0.8, 0.5), h=gen.normal(0, 0.5, (2, 3, 3)), periodic=False),
            0.9,
            0.9,
        ),
        "cube2x2x2": (PottsModel.lattice((2, 2, 2), q=3, J=0.4), 0.8, 0.8),
        "ring5_q4_field": (PottsModel.lattice((5,), q=4, h=[0.3, -0.2, 0.0, 0.5]), 1.0, 0.8),
        "lattice3x3_beta_ne": (PottsModel.lattice((3, 3), q=3, J=(0.5, 0.9)), 0.6, 1.0),
        "graph6": (PottsModel.from_graph(J6, q=3), 1.2, 1.2),
        "graph6_field": (PottsModel.from_graph(J6, q=3, h=gen.normal(0, 0.6, (6, 3))), 1.2, 1.2),
        "graph6_betaJ_ne_betah": (PottsModel.from_graph(J6, q=3, h=gen.normal(0, 0.6, (6, 3))), 0.5, 1.4),
    }


ISING = ising_cases()
POTTS = potts_cases()
N_CHAINS = 3000
THIN = 25


# ------------------------------------------------------------------------------------------
# distribution
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["sw", "wolff", "wolff_lat"])
@pytest.mark.parametrize("case", sorted(ISING))
def test_ising_matches_enumeration(kind, case, chi_square_p):
    model, beta_J, beta_h = ISING[case]
    x0 = random_states(model, N_CHAINS, seed=1)
    x, *_ = run(kind, model, x0, beta_J, beta_h, n_records=1, thin=THIN, seed=zlib.crc32(case.encode()))
    assert chi_square_p(model, x, beta_J, beta_h) > P_MIN


@pytest.mark.parametrize("kind", ["sw", "wolff", "wolff_lat"])
@pytest.mark.parametrize("case", sorted(POTTS))
def test_potts_matches_enumeration(kind, case, chi_square_p):
    model, beta_J, beta_h = POTTS[case]
    x0 = random_states(model, N_CHAINS, seed=2)
    x, *_ = run(kind, model, x0, beta_J, beta_h, n_records=1, thin=THIN, seed=zlib.crc32(case.encode()) + 1)
    assert chi_square_p(model, x, beta_J, beta_h) > P_MIN


@pytest.mark.parametrize("case", ["lattice3x3_antiferro", "graph6_signed_field", "graph6_field"])
def test_wolff_fixed_clusters_per_sweep(case, chi_square_p):
    """With an explicit number of cluster updates per sweep the chain is exactly invariant."""
    model, beta_J, beta_h = {**ISING, **POTTS}[case]
    x0 = random_states(model, N_CHAINS, seed=10)
    x, *_, st, _ = run("wolff", model, x0, beta_J, beta_h, n_records=1, thin=40, seed=11, clusters_per_sweep=2)
    np.testing.assert_array_equal(st[:, 2], 80)
    assert chi_square_p(model, x, beta_J, beta_h) > P_MIN


@pytest.mark.parametrize("kind", ["sw", "wolff"])
def test_chi_square_detects_wrong_beta(kind, chi_square_p):
    """The test has power: the same samples are rejected against a 30% different beta."""
    model, beta_J, beta_h = ISING["lattice3x3_field"]
    x0 = random_states(model, N_CHAINS, seed=3)
    x, *_ = run(kind, model, x0, beta_J, beta_h, n_records=1, thin=THIN, seed=5)
    assert chi_square_p(model, x, beta_J, beta_h) > P_MIN
    assert chi_square_p(model, x, 1.3 * beta_J, 1.3 * beta_h) < P_MIN
    model, beta_J, beta_h = POTTS["graph6_field"]
    x0 = random_states(model, N_CHAINS, seed=4)
    x, *_ = run(kind, model, x0, beta_J, beta_h, n_records=1, thin=THIN, seed=6)
    assert chi_square_p(model, x, beta_J, 0.5 * beta_h) < P_MIN


# ------------------------------------------------------------------------------------------
# records, chunking, threads, stats
# ------------------------------------------------------------------------------------------
def all_cases():
    out = [
        pytest.param(k, ISING[name], id=f"{k}-{name}")
        for k in KINDS
        for name in sorted(ISING)
        if ISING[name][0].form == "lattice" or not k.endswith("_lat")
    ]
    out += [
        pytest.param(k, POTTS[name], id=f"{k}-potts-{name}")
        for k in KINDS
        for name in sorted(POTTS)
        if POTTS[name][0].form == "lattice" or not k.endswith("_lat")
    ]
    return out


@pytest.mark.parametrize("kind,case", all_cases())
def test_records_match_model_and_chunking(kind, case):
    """Each record equals energy_parts / magnetization of the state at that time, and one
    call of 4 records gives exactly what 4 calls of 1 record give (same random stream; Wolff
    with a fixed number of clusters per sweep, else each call runs its own pilot)."""
    model, beta_J, beta_h = case
    x0 = random_states(model, 6, seed=9)
    x, e_c, e_f, mag, st, _ = run(kind, model, x0, beta_J, beta_h, n_records=4, thin=2, seed=3, clusters_per_sweep=3)
    rng = chain_rng_states(np.random.SeedSequence(3), 6)
    xs = x0.copy()
    for r in range(4):
        xs, c1, f1, m1, _, rng = run(
            kind, model, xs, beta_J, beta_h, n_records=1, thin=2, rng=rng, clusters_per_sweep=3
        )
        ref_c, ref_f = model.energy_parts(xs)
        np.testing.assert_allclose(c1[:, 0], ref_c, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(f1[:, 0], ref_f, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(m1[:, 0], model.magnetization(xs), rtol=1e-12, atol=1e-12)
        np.testing.assert_array_equal(e_c[:, r], c1[:, 0])
        np.testing.assert_array_equal(e_f[:, r], f1[:, 0])
        np.testing.assert_array_equal(mag[:, r], m1[:, 0])
    np.testing.assert_array_equal(xs, x)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("potts", [False, True])
def test_thread_invariance(kind, potts):
    gen = np.random.default_rng(4)
    if potts:
        model = PottsModel.lattice((12, 10), q=3, h=gen.normal(0, 0.3, (12, 10, 3)))
        beta = 1.0
    else:
        model = IsingModel.lattice((12, 10), h=gen.normal(0, 0.3, (12, 10)))
        beta = 0.44
    x0 = random_states(model, 7, seed=5)
    results = [run(kind, model, x0, beta, beta, n_records=3, thin=4, n_threads=t, seed=8) for t in (1, 2, 3)]
    for other in results[1:]:
        for a, b in zip(results[0], other):
            np.testing.assert_array_equal(a, b)
    # chains are independent of each other: chain 2 alone gives the same as in the batch
    alone = run(
        kind,
        model,
        x0[2:3],
        beta,
        beta,
        n_records=3,
        thin=4,
        rng=chain_rng_states(np.random.SeedSequence(8), 7)[2:3].copy(),
    )
    np.testing.assert_array_equal(alone[0][0], results[0][0][2])


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("field", [0.0, 0.3])
def test_stats(kind, field):
    model = IsingModel.lattice((16, 16), h=field)
    n, sweeps = model.n_sites, 10
    x0 = random_states(model, 4, seed=6)
    _, _, _, _, st, _ = run(kind, model, x0, 0.44, 0.44, n_records=2, thin=5, seed=2)
    clusters, sizes = st[:, 2], st[:, 3]
    assert np.all(clusters >= sweeps)
    mean_size = sizes / clusters
    assert np.all((mean_size >= 1) & (mean_size <= n))
    if kind.startswith("sw"):
        np.testing.assert_array_equal(sizes, n * sweeps)
        np.testing.assert_array_equal(st[:, :2], 0)
    else:
        # a pilot building >= N sites fixes K = N / mean size; then K clusters per sweep
        assert np.all(sizes >= n)
        np.testing.assert_array_equal(st[:, 0], clusters)
        assert np.all(st[:, 1] <= st[:, 0])
        if field == 0.0:
            np.testing.assert_array_equal(st[:, 1], st[:, 0])
        else:
            assert np.all(st[:, 1] < st[:, 0])


def test_large_lattice_energy_sw_vs_wolff():
    """Cross-method check on a 32x32 torus at beta = 0.42: mean energy per bond agrees."""
    model = IsingModel.lattice((32, 32))
    n_chains, n_rec = 8, 150
    x0 = np.ones((n_chains, model.n_sites), dtype=np.int8)
    means = {}
    for kind in ("sw", "wolff", "wolff_lat"):
        _, e_c, *_ = run(kind, model, x0, 0.42, 0.42, n_records=n_rec, thin=1, seed=4)
        e = e_c[:, 20:] / (2 * model.n_sites)
        chain_means = e.mean(axis=1)
        means[kind] = (chain_means.mean(), chain_means.std(ddof=1) / np.sqrt(n_chains))
    for other in ("wolff", "wolff_lat"):
        (m1, s1), (m2, s2) = means["sw"], means[other]
        assert abs(m1 - m2) < 5 * np.hypot(s1, s2)


@pytest.mark.parametrize("kind,case", all_cases())
def test_states_out(kind, case):
    """states_out (a slice of a wider array) holds the state at each record, and passing it
    changes nothing else."""
    model, beta_J, beta_h = case
    x0 = random_states(model, 5, seed=12)
    ref = run(kind, model, x0, beta_J, beta_h, n_records=4, thin=2, seed=7, clusters_per_sweep=3)
    n_chains, n = x0.shape
    wide = np.full((n_chains, 7, n), 99, dtype=np.int8)
    states = np.ascontiguousarray(x0, dtype=np.int8).copy()
    rng = chain_rng_states(np.random.SeedSequence(7), n_chains)
    e_c, e_f, mag = (np.zeros((n_chains, 4)) for _ in range(3))
    st = np.zeros((n_chains, 4))
    kern, args, wolff = kernel(kind, model)
    extra = (3,) if wolff else ()
    kern(*args, states, rng, beta_J, beta_h, 4, 2, e_c, e_f, mag, st, 2, *extra, states_out=wide[:, 2:6])
    for a, b in zip((states, e_c, e_f, mag, st, rng), ref):
        np.testing.assert_array_equal(a, b)
    assert np.all(wide[:, :2] == 99) and np.all(wide[:, 6:] == 99)
    np.testing.assert_array_equal(wide[:, 5], states)
    ref_c, ref_f = model.energy_parts(wide[:, 2:6].reshape(-1, n))
    np.testing.assert_allclose(ref_c.reshape(n_chains, 4), e_c, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ref_f.reshape(n_chains, 4), e_f, rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="states_out"):
        kern(
            *args,
            states,
            rng,
            beta_J,
            beta_h,
            4,
            2,
            e_c,
            e_f,
            mag,
            st,
            1,
            *extra,
            states_out=np.zeros((n_chains, 3, n), np.int8),
        )


BETA_PATH = [(0.6, 0.4), (0.6, 0.4), (0.0, 0.0), (0.3, 0.4), (0.3, 0.9), (1.1, 0.0), (1.1, 0.0), (0.5, 0.2)]


@pytest.mark.parametrize("k_sweep", [3, 0])
@pytest.mark.parametrize("kind,case", all_cases())
def test_beta_path_equals_one_record_calls(kind, case, k_sweep):
    """One call along a beta path (repeated betas, beta 0) equals one call per record at
    scalar betas, bit for bit: states, generator states, states_out, records and stats (Wolff
    with a fixed count, or with its own pilot per record when the count is 0); the scalar
    betas are ignored and paths may be longer than n_records."""
    if kind.startswith("sw") and k_sweep == 0:
        pytest.skip("no clusters_per_sweep for Swendsen-Wang")
    model, _, _ = case
    n_chains, n, thin = 5, len(BETA_PATH), 2
    x0 = random_states(model, n_chains, seed=21)
    xs, rng = x0.copy(), chain_rng_states(np.random.SeedSequence(22), n_chains)
    ref, ref_st, ref_seen = [[], [], []], np.zeros((n_chains, 4)), []
    for bj, bh in BETA_PATH:
        xs, c1, f1, m1, st1, rng = run(
            kind, model, xs, bj, bh, n_records=1, thin=thin, rng=rng, clusters_per_sweep=k_sweep
        )
        for acc, v in zip(ref, (c1, f1, m1)):
            acc.append(v[:, 0])
        ref_st += st1
        ref_seen.append(xs.copy())
    kern, args, wolff = kernel(kind, model)
    extra = (k_sweep,) if wolff else ()
    bjp = np.array([b for b, _ in BETA_PATH] + [7.0])
    bhp = np.array([b for _, b in BETA_PATH])
    for threads in (1, 2):
        states = x0.copy()
        r = chain_rng_states(np.random.SeedSequence(22), n_chains)
        recs = [np.full((n_chains, n), np.nan) for _ in range(3)]
        st = np.zeros((n_chains, 4))
        seen = np.full((n_chains, n, model.n_sites), 99, dtype=np.int8)
        kern(
            *args,
            states,
            r,
            5.0,
            5.0,
            n,
            thin,
            *recs,
            st,
            threads,
            *extra,
            states_out=seen,
            beta_J_path=bjp,
            beta_h_path=bhp,
        )
        np.testing.assert_array_equal(states, xs)
        np.testing.assert_array_equal(r, rng)
        np.testing.assert_array_equal(seen, np.stack(ref_seen, axis=1))
        for a, b in zip(recs, ref):
            np.testing.assert_array_equal(a, np.stack(b, axis=1))
        np.testing.assert_array_equal(st, ref_st)
    # a path for beta_J alone: beta_h is the scalar
    xs, rng = x0.copy(), chain_rng_states(np.random.SeedSequence(22), n_chains)
    for bj, _ in BETA_PATH:
        xs, _, _, _, _, rng = run(
            kind, model, xs, bj, 0.35, n_records=1, thin=thin, rng=rng, clusters_per_sweep=k_sweep
        )
    states, r = x0.copy(), chain_rng_states(np.random.SeedSequence(22), n_chains)
    outs = [np.zeros((n_chains, n)) for _ in range(4)]
    kern(*args, states, r, 5.0, 0.35, n, thin, *outs, 1, *extra, beta_J_path=bjp)
    np.testing.assert_array_equal(states, xs)
    np.testing.assert_array_equal(r, rng)


@pytest.mark.parametrize("potts", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_sw_bond_probability_limits(potts, weighted):
    """32-bit bond thresholds are exact at p = 1 (every satisfied bond active: one cluster
    from an aligned start) and p = 0 (w = 0 bonds never active: singletons)."""
    L = 12
    J = np.zeros((L, L))
    for i in range(L):  # a ring; weighted: alternating weights, all huge
        J[i, (i + 1) % L] = J[(i + 1) % L, i] = 1.0 + (i % 2 if weighted else 0)
    model = PottsModel.from_graph(J, 3) if potts else IsingModel.from_graph(J)
    x0 = np.zeros((3, L)) if potts else np.ones((3, L))
    xs, _, _, _, st, _ = run("sw", model, x0, 1e3, 0.0, n_records=2, thin=4, seed=3)
    np.testing.assert_array_equal(st[:, 2], 8)  # one cluster per sweep
    assert np.all(xs == xs[:, :1])
    xs, _, _, _, st, _ = run("sw", model, x0, 0.0, 0.0, n_records=2, thin=4, seed=3)
    np.testing.assert_array_equal(st[:, 2], 8 * L)  # beta_J = 0: p = 0, all singletons
