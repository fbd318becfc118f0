"""Lattice single-site kernels (isingbio._kernels._lattice) against exact enumeration.

Every sampler is run on tiny lattices (odd periodic sides, side 2 doubling, open axes, 1D,
2D, 3D) with one ferromagnetic and one antiferromagnetic axis and a field, with many
independent chains, and the histogram of final states is compared with the exact Boltzmann
distribution by a chi-square test (pooled low-count bins, fixed seeds, p threshold 1e-6).
Every test runs with each engine (fixture `engine`); tests/kernels/test_replicas.py has the
replica engine's own contract (per-chain betas, groups of chains).
"""

import numpy as np
import pytest
from scipy import stats as sps

from isingbio import IsingModel, PottsModel
from isingbio._kernels import _lattice
from isingbio._random import chain_rng_states

P_MIN = 1e-6
N_CHAINS = 3000
SWEEPS = 25

# (shape, periodic, J): odd periodic sides use the general engine, the rest the split one
LATTICES = [
    ((3, 3), True, (0.45, -0.35)),  # odd periodic: general engine
    ((2, 4), True, (0.5, -0.4)),  # side 2: doubled bonds (2J)
    ((4, 4), True, (0.3, -0.25)),
    ((5,), True, (-0.6,)),  # 1D odd
    ((6,), False, (0.7,)),  # 1D open, split engine
    ((2, 2, 2), True, (0.3, -0.3, 0.2)),  # 3D, everything doubled
    ((3, 2), False, (0.6, -0.5)),  # open, odd leading side: split engine
    ((2, 3), (False, True), (0.5, -0.4)),  # odd periodic last axis: general engine
    ((3, 2, 2), (False, True, True), (0.4, -0.3, 0.35)),
]
ISING_LATTICES = LATTICES
POTTS_LATTICES = [lat for lat in LATTICES if int(np.prod(lat[0])) <= 9]

ISING_KERNELS = ["ising_metropolis", "ising_heatbath"]
POTTS_KERNELS = ["potts_metropolis", "potts_heatbath"]


def _ids(lats):
    return ["x".join(map(str, s)) + ("p" if p is True else "o" if p is False else "m") for s, p, _ in lats]


def chi2_pvalue(counts, probs):
    """Chi-square goodness of fit; bins with expected count < 5 are pooled (smallest first)."""
    n = counts.sum()
    expected = probs * n
    order = np.argsort(expected)
    e, c = expected[order], counts[order]
    cut = np.searchsorted(np.cumsum(e), 5.0) + 1  # pool the smallest bins into >= 5 expected
    small = e < 5.0
    cut = max(cut, int(small.sum()))
    e = np.concatenate([[e[:cut].sum()], e[cut:]]) if cut else e
    c = np.concatenate([[c[:cut].sum()], c[cut:]]) if cut else c
    stat = ((c - e) ** 2 / e).sum()
    return sps.chi2.sf(stat, len(e) - 1)


def make_model(kind, shape, periodic, J, q=3):
    if kind.startswith("ising"):
        return IsingModel.lattice(shape, J=J, h=0.3, periodic=periodic)
    return PottsModel.lattice(shape, q, J=J, h=np.array([0.25, -0.2, 0.0, 0.1, -0.05][:q]), periodic=periodic)


# Keywords every run() passes to the kernel (tests set them with monkeypatch.setitem): the
# development switches simd=False (portable loops) and tables=0 / 1 (Potts paths without
# tables / with only the Metropolis threshold table); TABLES maps the tests' knob names.
KERNEL_KW = {}
TABLES = {"1": 0, "2": 1}


@pytest.fixture(autouse=True, params=["auto", "sublattice", "replica"])
def engine(request, monkeypatch):
    """Every test runs three times: with the engine chosen from the model (the replica engine
    on these small lattices), with the sublattice / general engine forced, and with the replica
    engine forced wherever it applies (large lattices too)."""
    monkeypatch.setitem(KERNEL_KW, "engine", request.param)
    return request.param


def run(kind, model, states, beta_J, beta_h, n_records=1, thin=SWEEPS, seed=0, n_threads=1, rng=None, **kw):
    n_chains = len(states)
    shape = np.asarray(model.shape, dtype=np.int64)
    periodic = np.asarray(model.periodic, dtype=np.uint8)
    J = np.ascontiguousarray(model.lattice_J, dtype=np.float64)
    if rng is None:
        rng = chain_rng_states(np.random.SeedSequence(seed), n_chains)
    out = [np.zeros((n_chains, n_records)) for _ in range(3)]
    stats = np.zeros((n_chains, 4))
    fn = getattr(_lattice, kind)
    if kind.startswith("ising"):
        head = (shape, periodic, J, float(model.uniform_field))
    else:
        head = (shape, periodic, J, model.q, np.ascontiguousarray(model.uniform_field))
    fn(*head, states, rng, beta_J, beta_h, n_records, thin, *out, stats, n_threads, **{**KERNEL_KW, **kw})
    return out, stats


def random_states(model, n_chains, seed):
    gen = np.random.default_rng(seed)
    if model.q == 2 and isinstance(model, IsingModel):
        return np.where(gen.random((n_chains, model.n_sites)) < 0.5, -1, 1).astype(np.int8)
    return gen.integers(0, model.q, size=(n_chains, model.n_sites)).astype(np.int8)


@pytest.fixture
def sample_pvalue(state_index, boltzmann):
    """sample_pvalue(kind, model, beta_J, beta_h, seed=1, target=None): chi-square p-value of
    the final states of N_CHAINS chains against the exact distribution (at `target` betas)."""

    def sample_pvalue(kind, model, beta_J, beta_h, seed=1, target=None):
        states = random_states(model, N_CHAINS, seed)
        run(kind, model, states, beta_J, beta_h, seed=seed)
        probs = boltzmann(model, *(target or (beta_J, beta_h)))
        counts = np.bincount(state_index(model, states), minlength=model.q**model.n_sites)
        return chi2_pvalue(counts, probs)

    return sample_pvalue


@pytest.mark.parametrize("kind", ISING_KERNELS)
@pytest.mark.parametrize("shape,periodic,J", ISING_LATTICES, ids=_ids(ISING_LATTICES))
def test_ising_matches_boltzmann(kind, shape, periodic, J, sample_pvalue):
    model = make_model(kind, shape, periodic, J)
    assert sample_pvalue(kind, model, 0.9, 0.6) > P_MIN


@pytest.mark.parametrize("kind", POTTS_KERNELS)
@pytest.mark.parametrize("shape,periodic,J", POTTS_LATTICES, ids=_ids(POTTS_LATTICES))
def test_potts_matches_boltzmann(kind, shape, periodic, J, sample_pvalue):
    model = make_model(kind, shape, periodic, [2 * j for j in J])
    assert sample_pvalue(kind, model, 0.9, 0.6) > P_MIN


@pytest.mark.parametrize("kind", ISING_KERNELS + POTTS_KERNELS)
def test_separate_betas(kind, sample_pvalue):
    """beta_J and beta_h act on H_J and H_h separately."""
    model = make_model(
        kind, (2, 4) if kind.startswith("ising") else (3, 2), True if kind.startswith("ising") else False, (1.2, -0.9)
    )
    assert sample_pvalue(kind, model, 0.3, 0.7) > P_MIN


@pytest.mark.parametrize("kind", ISING_KERNELS + POTTS_KERNELS)
def test_chi2_detects_wrong_target(kind, sample_pvalue):
    """Negative control: the same samples against another temperature must fail."""
    model = make_model(kind, (3, 3) if kind.startswith("ising") else (2, 3), True, (0.8, -0.6))
    assert sample_pvalue(kind, model, 0.9, 0.9, target=(0.7, 0.9)) < P_MIN


@pytest.mark.parametrize("kind", POTTS_KERNELS)
@pytest.mark.parametrize("q", [2, 4])
@pytest.mark.parametrize("knob", ["1", "2"])
def test_potts_without_tables(kind, q, knob, monkeypatch, sample_pvalue):
    """The Potts paths used when the tuple tables would be too large (large q): knob "2"
    keeps Potts Metropolis its [dJ, a, b] threshold table, "1" removes every table."""
    if knob == "2" and kind == "potts_heatbath":
        pytest.skip("heat-bath has no intermediate table")
    monkeypatch.setitem(KERNEL_KW, "tables", TABLES[knob])
    for shape, periodic in [((2, 3), False), ((3, 2), True)]:
        model = make_model(kind, shape, periodic, (0.9, -0.7), q=q)
        assert sample_pvalue(kind, model, 1.0, 0.8) > P_MIN


@pytest.mark.parametrize("kind", ISING_KERNELS + POTTS_KERNELS)
@pytest.mark.parametrize(
    "shape,periodic", [((4, 6), True), ((3, 3), True), ((2, 2, 4), (True, False, True)), ((7,), False)]
)
def test_records_and_threads(kind, shape, periodic):
    """Records equal the model's energy parts and magnetisation; n_threads changes nothing."""
    model = make_model(kind, shape, periodic, (0.5, -0.3, 0.2)[: len(shape)])
    start = random_states(model, 6, 5)
    results = []
    for n_threads in (1, 2):
        states = start.copy()
        out, stats = run(kind, model, states, 0.8, 0.5, n_records=4, thin=3, seed=9, n_threads=n_threads)
        results.append((states, out, stats))
    (s1, o1, st1), (s2, o2, st2) = results
    np.testing.assert_array_equal(s1, s2)
    for a, b in zip(o1, o2):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(st1, st2)
    ec, ef = model.energy_parts(s1)
    np.testing.assert_allclose(o1[0][:, -1], ec, atol=1e-9)
    np.testing.assert_allclose(o1[1][:, -1], ef, atol=1e-9)
    np.testing.assert_allclose(o1[2][:, -1], model.magnetization(s1), atol=1e-12)
    assert np.all(st1[:, 0] == 4 * 3 * model.n_sites)
    assert np.all((st1[:, 1] > 0) & (st1[:, 1] <= st1[:, 0]))
    assert np.all(st1[:, 2:] == 0)
    if kind.startswith("ising"):
        assert set(np.unique(s1)) <= {-1, 1}
    else:
        assert s1.min() >= 0 and s1.max() < model.q


# split engine (portable rows, AVX2 rows of 32), general engine, 3D, 1D
CHUNK_LATTICES = [((4, 6), True), ((4, 70), True), ((3, 3), True), ((2, 2, 4), (True, False, True)), ((7,), False)]
PATH = [(0.3, 0.5), (0.3, 0.5), (0.55, 0.5), (0.8, 0.2), (0.8, 0.2), (1e3, 0.4), (0.0, 0.0), (0.8, 0.2)]


def _one_record_calls(kind, model, start, rng, path, thin):
    """Reference: one call per record at that record's scalar betas."""
    states, rng = start.copy(), rng.copy()
    seen, recs = [], [[], [], []]
    stats = np.zeros((len(start), 4))
    for bj, bh in path:
        out, st = run(kind, model, states, bj, bh, thin=thin, rng=rng)
        stats += st
        seen.append(states.copy())
        for r, o in zip(recs, out):
            r.append(o[:, 0])
    return states, rng, np.stack(seen, axis=1), [np.stack(r, axis=1) for r in recs], stats


@pytest.mark.parametrize("no_tables", [None, "1"])
@pytest.mark.parametrize("kind", ISING_KERNELS + POTTS_KERNELS)
@pytest.mark.parametrize("shape,periodic", CHUNK_LATTICES, ids=_ids([(s, p, None) for s, p in CHUNK_LATTICES]))
def test_states_out_and_beta_path_equal_one_record_calls(kind, shape, periodic, no_tables, monkeypatch):
    """states_out holds the state at each record, and one call along a beta path (with
    repeated betas: segments sharing tables) equals one call per record at scalar betas:
    bit-identical states, generator states, records and counts, for both engines (and with
    two threads)."""
    if no_tables:
        if kind.startswith("ising"):
            pytest.skip("no Potts tables to remove")
        monkeypatch.setitem(KERNEL_KW, "tables", TABLES[no_tables])
    model = make_model(kind, shape, periodic, (0.5, -0.3, 0.2)[: len(shape)])
    start = random_states(model, 5, 7)
    rng0 = chain_rng_states(np.random.SeedSequence(11), len(start))
    n, thin = len(PATH), 2
    ref_states, ref_rng, ref_seen, ref_recs, ref_stats = _one_record_calls(kind, model, start, rng0, PATH, thin)

    states, rng = start.copy(), rng0.copy()
    seen = np.full((len(start), n + 2, model.n_sites), 99, dtype=np.int8)  # >= n_records rows
    bj = np.array([b for b, _ in PATH] + [9.0])  # length >= n_records
    bh = np.array([b for _, b in PATH])
    out, stats = run(
        kind,
        model,
        states,
        5.0,
        5.0,
        n_records=n,
        thin=thin,
        rng=rng,
        n_threads=2,
        states_out=seen,
        beta_J_path=bj,
        beta_h_path=bh,
    )
    np.testing.assert_array_equal(states, ref_states)
    np.testing.assert_array_equal(rng, ref_rng)
    np.testing.assert_array_equal(seen[:, :n], ref_seen)
    assert np.all(seen[:, n:] == 99)
    for a, b in zip(out, ref_recs):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(stats, ref_stats)

    # states_out alone (scalar betas) and a path for beta_J only
    states, rng = start.copy(), rng0.copy()
    seen = np.zeros((len(start), n, model.n_sites), dtype=np.int8)
    run(kind, model, states, 0.8, 0.2, n_records=n, thin=thin, rng=rng, states_out=seen)
    ref = _one_record_calls(kind, model, start, rng0, [(0.8, 0.2)] * n, thin)
    np.testing.assert_array_equal(seen, ref[2])
    np.testing.assert_array_equal(rng, ref[1])
    states, rng = start.copy(), rng0.copy()
    out, _ = run(kind, model, states, 0.8, 0.35, n_records=n, thin=thin, rng=rng, beta_J_path=bj)
    ref = _one_record_calls(kind, model, start, rng0, [(b, 0.35) for b, _ in PATH], thin)
    np.testing.assert_array_equal(states, ref[0])
    np.testing.assert_array_equal(out[0], ref[3][0])


@pytest.mark.parametrize("kind", ISING_KERNELS + POTTS_KERNELS)
@pytest.mark.parametrize("shape,periodic", [((4, 6), True), ((3, 3), True)], ids=["4x6p", "3x3p"])
def test_beta_path_any_thread_count(kind, shape, periodic):
    """One parallel region per call, each thread a block of chains with its own tables walking
    the whole path: any n_threads (fewer, as many or more threads than chains, uneven blocks)
    gives the one-thread result bit for bit."""
    model = make_model(kind, shape, periodic, (0.5, -0.3))
    bj = np.array([b for b, _ in PATH])
    bh = np.array([b for _, b in PATH])
    for n_chains in (1, 3, 4, 7):
        start = random_states(model, n_chains, 3)
        results = []
        for n_threads in (1, 2, 3, 8):
            states = start.copy()
            rng = chain_rng_states(np.random.SeedSequence(5), n_chains)
            seen = np.zeros((n_chains, len(PATH), model.n_sites), dtype=np.int8)
            out, stats = run(
                kind,
                model,
                states,
                0.1,
                0.1,
                n_records=len(PATH),
                thin=2,
                rng=rng,
                n_threads=n_threads,
                states_out=seen,
                beta_J_path=bj,
                beta_h_path=bh,
            )
            results.append([states, rng, seen, stats, *out])
        for other in results[1:]:
            for a, b in zip(results[0], other):
                np.testing.assert_array_equal(a, b)


def test_rng_fill_matches_rng_h():
    """The kernels' vectorised generator gives the stream of isb_next8 (rng.h)."""
    w0 = chain_rng_states(np.random.SeedSequence(3), 1)[0]
    ref_w, ref = w0.copy(), np.zeros(8 * 40, dtype=np.uint64)
    assert _lattice._fill_check(ref_w, ref, 40, 0)
    for which in (1, 2):
        w, out = w0.copy(), np.zeros_like(ref)
        if not _lattice._fill_check(w, out, 40, which):
            continue
        np.testing.assert_array_equal(out, ref)
        np.testing.assert_array_equal(w, ref_w)


@pytest.mark.skipif(not _lattice.has_avx2(), reason="no AVX2 on this CPU")
@pytest.mark.parametrize("kind", ISING_KERNELS + POTTS_KERNELS)
@pytest.mark.parametrize(
    "shape,periodic",
    [
        ((8, 72), True),
        ((6, 64), (False, True)),
        ((4, 6, 64), (True, False, True)),
        ((130,), False),
        ((256, 256), True),
        ((1 << 16,), True),
    ],
)
def test_avx2_same_as_portable(kind, shape, periodic, monkeypatch):
    """The AVX2 loops (1D-3D Ising, 2D q = 3 Potts heat-bath) give the portable results. The
    large lattices (2.4 million updates) make the 1D/2D Ising loops meet blocks where the top
    16 bits of a random number equal those of its threshold (2^-16 per site), decided exactly
    by the slow path."""
    model = make_model(kind, shape, periodic, (0.6, -0.4, 0.3)[: len(shape)])
    start = random_states(model, 3, 2)
    res = []
    for env in (None, "1"):
        if env:
            monkeypatch.setitem(KERNEL_KW, "simd", False)
        states = start.copy()
        out, stats = run(kind, model, states, 0.44, 0.44, n_records=3, thin=4, seed=4)
        res.append((states, out, stats))
    np.testing.assert_array_equal(res[0][0], res[1][0])
    np.testing.assert_array_equal(res[0][2], res[1][2])
    for a, b in zip(res[0][1], res[1][1]):
        np.testing.assert_array_equal(a, b)


def test_large_beta_extremes():
    """p = 1 moves are always taken: at a huge beta, aligned Ising spins never flip."""
    model = IsingModel.lattice((4, 4), J=1.0, h=0.0, periodic=True)
    states = np.ones((4, 16), dtype=np.int8)
    for kind in ISING_KERNELS:
        run(kind, model, states, 1e3, 1e3, thin=50)
        assert np.all(states == 1)
    # beta = 0: every move is a tie, accepted with probability 1/2 (not 1: all spins would
    # flip at every sweep, a deterministic chain), so one sweep gives uniform spins
    states = np.full((200, 16), -1, dtype=np.int8)
    run("ising_metropolis", model, states, 0.0, 0.0, thin=1)
    k, n = int((states == 1).sum()), states.size
    assert abs(k - n / 2) < 5 * np.sqrt(n / 4)


# both engines, every d: split (2D portable and AVX2-width rows, 3D, 1D), general (odd sides)
SPLIT_CALL_LATTICES = [
    ((6, 8), True),
    ((4, 64), (False, True)),
    ((2, 4, 6), True),
    ((10,), False),
    ((5, 7), True),
    ((3, 3, 2), (True, False, False)),
    ((5,), True),
]


@pytest.mark.parametrize("kind", ISING_KERNELS + POTTS_KERNELS)
@pytest.mark.parametrize(
    "shape,periodic", SPLIT_CALL_LATTICES, ids=_ids([(s, p, None) for s, p in SPLIT_CALL_LATTICES])
)
@pytest.mark.parametrize("no_tables", [None, "1", "2"])
def test_one_call_equals_one_record_calls(kind, shape, periodic, no_tables, monkeypatch):
    """1 call x n records == n calls x 1 record (states, generator, records, counts), with
    thin > 1, large q (q = 5, 1D: tuple tables; knobs: the table-free paths); states_out."""
    if no_tables and kind.startswith("ising"):
        pytest.skip("Ising has no table-free path")
    if no_tables == "2" and kind == "potts_heatbath":
        pytest.skip("heat-bath has no intermediate table")
    if no_tables:
        monkeypatch.setitem(KERNEL_KW, "tables", TABLES[no_tables])
    model = make_model(kind, shape, periodic, (0.5, -0.3, 0.2)[: len(shape)], q=5 if no_tables else 3)
    n_rec, thin, n_ch = 5, 3, 3
    start = random_states(model, n_ch, 7)
    rng0 = chain_rng_states(np.random.SeedSequence(11), n_ch)
    one_states, one_rng = start.copy(), rng0.copy()
    sout = np.full((n_ch, n_rec, model.n_sites), 99, dtype=np.int8)
    one_out, one_stats = run(
        kind, model, one_states, 0.7, 0.4, n_records=n_rec, thin=thin, rng=one_rng, states_out=sout
    )
    states, rng = start.copy(), rng0.copy()
    recs, stats = [[], [], []], np.zeros((n_ch, 4))
    for i in range(n_rec):
        out, st = run(kind, model, states, 0.7, 0.4, n_records=1, thin=thin, rng=rng)
        stats += st
        for r, o in zip(recs, out):
            r.append(o[:, 0])
        np.testing.assert_array_equal(sout[:, i], states)
    np.testing.assert_array_equal(one_states, states)
    np.testing.assert_array_equal(one_rng, rng)
    for a, r in zip(one_out, recs):
        np.testing.assert_array_equal(a, np.stack(r, axis=1))
    np.testing.assert_array_equal(one_stats, stats)
    np.testing.assert_allclose(one_out[0][:, -1], model.energy_parts(states)[0], atol=1e-9)


def test_states_out_is_keyword_only():
    model = make_model("ising_metropolis", (4, 4), True, (0.5, 0.5))
    with pytest.raises(TypeError):
        _lattice.ising_metropolis(
            np.array([4, 4]),
            np.ones(2, np.uint8),
            np.ones(2),
            0.0,
            random_states(model, 1, 1),
            chain_rng_states(np.random.SeedSequence(1), 1),
            0.5,
            0.5,
            1,
            1,
            *[np.zeros((1, 1)) for _ in range(3)],
            np.zeros((1, 4)),
            1,
            np.zeros((1, 1, 16), np.int8),
        )


@pytest.mark.parametrize("kind", POTTS_KERNELS)
@pytest.mark.parametrize("knob", [None, "1", "2"])
def test_potts_one_step_law(kind, knob, monkeypatch):
    """One sweep of independent sites (J = 0, field only) from state a: every site follows
    the heat-bath law w_b / sum w, or the Metropolis law min(1, w_b / w_a) / (q - 1) for
    b != a (the rest: stay)."""
    if knob:
        monkeypatch.setitem(KERNEL_KW, "tables", TABLES[knob])
    q, h, beta = 4, np.array([0.4, -0.3, 0.0, 0.9]), 1.3
    model = PottsModel.lattice((20_000,), q, J=0.0, h=h, periodic=False)
    w = np.exp(beta * h)
    for a in range(q):
        states = np.full((5, model.n_sites), a, dtype=np.int8)
        run(kind, model, states, beta, beta, thin=1, seed=a)
        counts = np.bincount(states.ravel(), minlength=q)
        if kind == "potts_heatbath":
            probs = w / w.sum()
        else:
            probs = np.minimum(1.0, w / w[a]) / (q - 1)
            probs[a] = 0.0
            probs[a] = 1.0 - probs.sum()
        assert chi2_pvalue(counts, probs) > P_MIN


def _xoshiro_reference(w, nblk):
    """Plain xoshiro256** (with the multiplies) on each of the 8 lanes, in Python integers."""
    M = (1 << 64) - 1
    rotl = lambda x, k: ((x << k) | (x >> (64 - k))) & M  # noqa: E731
    st = [[int(w[8 * j + k]) for j in range(4)] for k in range(8)]
    out = np.zeros(8 * nblk, dtype=np.uint64)
    for b in range(nblk):
        for k, (s0, s1, s2, s3) in enumerate(st):
            out[8 * b + k] = rotl(s1 * 5 & M, 7) * 9 & M
            t = s1 << 17 & M
            s2 ^= s0
            s3 ^= s1
            s1 ^= s2
            s0 ^= s3
            s2 ^= t
            st[k] = [s0, s1, s2, rotl(s3, 45)]
    return out, np.array([st[k][j] for j in range(4) for k in range(8)], dtype=np.uint64)


def test_rng_stream_known_answer():
    """isb_next8 / isb_fill8 (shifts and adds, vector code) give xoshiro256** with multiplies."""
    w0 = chain_rng_states(np.random.SeedSequence(5), 1)[0]
    ref, ref_w = _xoshiro_reference(w0, 7)
    for which in (0, 1, 2):
        w, out = w0.copy(), np.zeros_like(ref)
        if _lattice._fill_check(w, out, 7, which):
            np.testing.assert_array_equal(out, ref)
            np.testing.assert_array_equal(w, ref_w)
