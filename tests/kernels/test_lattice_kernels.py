"""Lattice single-site kernels (isingbio._kernels._lattice) against exact enumeration.

Every sampler is run on tiny lattices (odd periodic sides, side 2 doubling, open axes, 1D,
2D, 3D) with one ferromagnetic and one antiferromagnetic axis and a field, with many
independent chains, and the histogram of final states is compared with the exact Boltzmann
distribution by a chi-square test (pooled low-count bins, fixed seeds, p threshold 1e-6).
"""
import os

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
    ((3, 3), True, (0.45, -0.35)),             # odd periodic: general engine
    ((2, 4), True, (0.5, -0.4)),               # side 2: doubled bonds (2J)
    ((4, 4), True, (0.3, -0.25)),
    ((5,), True, (-0.6,)),                     # 1D odd
    ((6,), False, (0.7,)),                     # 1D open, split engine
    ((2, 2, 2), True, (0.3, -0.3, 0.2)),       # 3D, everything doubled
    ((3, 2), False, (0.6, -0.5)),              # open, odd leading side: split engine
    ((2, 3), (False, True), (0.5, -0.4)),      # odd periodic last axis: general engine
    ((3, 2, 2), (False, True, True), (0.4, -0.3, 0.35)),
]
ISING_LATTICES = LATTICES
POTTS_LATTICES = [lat for lat in LATTICES if int(np.prod(lat[0])) <= 9]

ISING_KERNELS = ["ising_metropolis", "ising_heatbath"]
POTTS_KERNELS = ["potts_metropolis", "potts_heatbath"]


def _ids(lats):
    return ["x".join(map(str, s)) + ("p" if p is True else "o" if p is False else "m") for s, p, _ in lats]


def enumerate_states(n, q):
    """All q**n configurations as state indices 0..q-1, row i is the base-q digits of i."""
    idx = np.arange(q ** n)
    return np.stack([(idx // q ** (n - 1 - k)) % q for k in range(n)], axis=1)


def exact_probs(model, beta_J, beta_h, values):
    e_coupling, e_field = model.energy_parts(values)
    logp = -(beta_J * e_coupling + beta_h * e_field)
    p = np.exp(logp - logp.max())
    return p / p.sum()


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
    return PottsModel.lattice(shape, q, J=J, h=np.array([0.25, -0.2, 0.0, 0.1, -0.05][:q]),
                              periodic=periodic)


def run(kind, model, states, beta_J, beta_h, n_records=1, thin=SWEEPS, seed=0, n_threads=1,
        rng=None):
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
    fn(*head, states, rng, beta_J, beta_h, n_records, thin, *out, stats, n_threads)
    return out, stats


def random_states(model, n_chains, seed):
    gen = np.random.default_rng(seed)
    if model.q == 2 and isinstance(model, IsingModel):
        return np.where(gen.random((n_chains, model.n_sites)) < 0.5, -1, 1).astype(np.int8)
    return gen.integers(0, model.q, size=(n_chains, model.n_sites)).astype(np.int8)


def state_index(states, q, ising):
    x = (states.astype(np.int64) + 1) // 2 if ising else states.astype(np.int64)
    n = x.shape[1]
    return x @ (q ** np.arange(n - 1, -1, -1, dtype=np.int64))


def sample_pvalue(kind, model, beta_J, beta_h, seed=1, target=None):
    ising = kind.startswith("ising")
    q = 2 if ising else model.q
    states = random_states(model, N_CHAINS, seed)
    run(kind, model, states, beta_J, beta_h, seed=seed)
    values = enumerate_states(model.n_sites, q)
    if ising:
        values = 2 * values - 1
    probs = exact_probs(model, *(target or (beta_J, beta_h)), values)
    counts = np.bincount(state_index(states, q, ising), minlength=q ** model.n_sites)
    return chi2_pvalue(counts, probs)


@pytest.mark.parametrize("kind", ISING_KERNELS)
@pytest.mark.parametrize("shape,periodic,J", ISING_LATTICES, ids=_ids(ISING_LATTICES))
def test_ising_matches_boltzmann(kind, shape, periodic, J):
    model = make_model(kind, shape, periodic, J)
    assert sample_pvalue(kind, model, 0.9, 0.6) > P_MIN


@pytest.mark.parametrize("kind", POTTS_KERNELS)
@pytest.mark.parametrize("shape,periodic,J", POTTS_LATTICES, ids=_ids(POTTS_LATTICES))
def test_potts_matches_boltzmann(kind, shape, periodic, J):
    model = make_model(kind, shape, periodic, [2 * j for j in J])
    assert sample_pvalue(kind, model, 0.9, 0.6) > P_MIN


@pytest.mark.parametrize("kind", ISING_KERNELS + POTTS_KERNELS)
def test_separate_betas(kind):
    """beta_J and beta_h act on H_J and H_h separately."""
    model = make_model(kind, (2, 4) if kind.startswith("ising") else (3, 2), True if kind.startswith("ising") else False,
                       (1.2, -0.9))
    assert sample_pvalue(kind, model, 0.3, 0.7) > P_MIN


@pytest.mark.parametrize("kind", ISING_KERNELS + POTTS_KERNELS)
def test_chi2_detects_wrong_target(kind):
    """Negative control: the same samples against another temperature must fail."""
    model = make_model(kind, (3, 3) if kind.startswith("ising") else (2, 3), True, (0.8, -0.6))
    assert sample_pvalue(kind, model, 0.9, 0.9, target=(0.7, 0.9)) < P_MIN


@pytest.mark.parametrize("kind", POTTS_KERNELS)
@pytest.mark.parametrize("q", [2, 4])
def test_potts_without_tables(kind, q, monkeypatch):
    """The Potts paths used when the threshold tables would be too large (large q)."""
    monkeypatch.setenv("ISINGBIO_LATTICE_NO_TABLES", "1")
    for shape, periodic in [((2, 3), False), ((3, 2), True)]:
        model = make_model(kind, shape, periodic, (0.9, -0.7), q=q)
        assert sample_pvalue(kind, model, 1.0, 0.8) > P_MIN


@pytest.mark.parametrize("kind", ISING_KERNELS + POTTS_KERNELS)
@pytest.mark.parametrize("shape,periodic", [((4, 6), True), ((3, 3), True), ((2, 2, 4), (True, False, True)),
                                            ((7,), False)])
def test_records_and_threads(kind, shape, periodic):
    """Records equal the model's energy parts and magnetisation; n_threads changes nothing."""
    model = make_model(kind, shape, periodic, (0.5, -0.3, 0.2)[:len(shape)])
    start = random_states(model, 6, 5)
    results = []
    for n_threads in (1, 2):
        states = start.copy()
        out, stats = run(kind, model, states, 0.8, 0.5, n_records=4, thin=3, seed=9,
                         n_threads=n_threads)
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
@pytest.mark.parametrize("kind", ISING_KERNELS + ["potts_heatbath"])
@pytest.mark.parametrize("shape,periodic", [((8, 72), True), ((6, 64), (False, True)),
                                            ((4, 6, 64), (True, False, True)), ((130,), False)])
def test_avx2_same_as_portable(kind, shape, periodic, monkeypatch):
    """The AVX2 loops (2D Ising, 2D q = 3 Potts heat-bath) give the portable results."""
    model = make_model(kind, shape, periodic, (0.6, -0.4, 0.3)[:len(shape)])
    start = random_states(model, 3, 2)
    res = []
    for env in (None, "1"):
        if env:
            monkeypatch.setenv("ISINGBIO_NO_AVX2", env)
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
    states = np.full((4, 16), -1, dtype=np.int8)
    run("ising_metropolis", model, states, 0.0, 0.0, thin=1)  # beta = 0: every flip accepted
    assert np.all(states == 1)
