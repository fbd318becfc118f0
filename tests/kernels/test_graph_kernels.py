"""Statistical and bookkeeping tests of the graph kernels (isingbio._kernels._graph).

The samplers are checked against exact enumeration on tiny graphs: the histogram of the final
states of many independent chains against the Boltzmann distribution (chi-square, pooled
bins, p threshold 1e-6, fixed seeds), and the one-sweep transition matrix of a 2-site system
against its exact value. Every test is seeded, so a pass is reproducible.
"""

import numpy as np
import pytest

from isingbio import IsingModel, PottsModel
from isingbio._kernels import _graph

P_MIN = 1e-6
ISING = {"metropolis": _graph.ising_metropolis, "heatbath": _graph.ising_heatbath}
POTTS = {"metropolis": _graph.potts_metropolis, "heatbath": _graph.potts_heatbath}


# -- helpers -----------------------------------------------------------------------------
def random_graph(n, seed, p_edge=0.6, scale_J=0.8, scale_h=0.5):
    """Symmetric mixed-sign couplings on a random graph and random fields."""
    g = np.random.default_rng(seed)
    J = np.triu(g.uniform(-scale_J, scale_J, (n, n)) * (g.random((n, n)) < p_edge), k=1)
    J = J + J.T
    return J, g.uniform(-scale_h, scale_h, n), g


def model_args(model):
    indptr, indices, weights = model.csr
    if isinstance(model, IsingModel):
        return (indptr, indices, weights, model.h)
    return (indptr, indices, weights, model.q, model.h)


Z_MAX = 5.5  # two-sided p ~ 4e-8 per moment


@pytest.fixture
def sample_pvalue(run, kernel_rng, state_index, boltzmann, chi2_pvalue):
    """sample_pvalue(model, kernel, beta_J, beta_h, ...) -> (p-value, run output): final
    states of many chains against the Boltzmann distribution (or `target`)."""

    def sample_pvalue(model, kernel, beta_J, beta_h, n_chains=20000, sweeps=40, seed=1, target=None):
        g = np.random.default_rng(seed)
        x0 = g.integers(0, model.q, size=(n_chains, model.n_sites)).astype(np.int8)
        if isinstance(model, IsingModel):
            x0 = (2 * x0 - 1).astype(np.int8)
        out = run(kernel, model, x0, kernel_rng(n_chains, seed + 100), beta_J, beta_h, 1, sweeps)
        counts = np.bincount(state_index(model, out["states"]), minlength=model.q**model.n_sites)
        probs = boltzmann(model, beta_J, beta_h) if target is None else target
        return chi2_pvalue(counts, probs), out

    return sample_pvalue


def ising_model(n=7, seed=3):
    J, h, _ = random_graph(n, seed)
    return IsingModel.from_graph(J, h)


def potts_model(n=5, q=3, seed=4):
    J, _, g = random_graph(n, seed, scale_J=1.2)
    return PottsModel.from_graph(J, q, g.uniform(-0.7, 0.7, (n, q)))


# -- distribution tests --------------------------------------------------------------------
@pytest.mark.parametrize("method", ["metropolis", "heatbath"])
@pytest.mark.parametrize("betas", [(1.0, 1.0), (0.6, 1.7)])
def test_ising_boltzmann(method, betas, energy_z, sample_pvalue):
    model = ising_model()
    p, out = sample_pvalue(model, ISING[method], *betas)
    assert p > P_MIN, f"ising {method} at beta_J, beta_h = {betas}: chi-square p = {p:.3g}"
    z = energy_z(model, out, *betas)
    assert z < Z_MAX, f"ising {method} at beta_J, beta_h = {betas}: mean energy off by {z:.1f} sigma"


@pytest.mark.parametrize("method", ["metropolis", "heatbath"])
@pytest.mark.parametrize("betas", [(1.0, 1.0), (1.5, 0.5)])
def test_potts_boltzmann(method, betas, energy_z, sample_pvalue):
    model = potts_model()
    p, out = sample_pvalue(model, POTTS[method], *betas)
    assert p > P_MIN, f"potts {method} at beta_J, beta_h = {betas}: chi-square p = {p:.3g}"
    z = energy_z(model, out, *betas)
    assert z < Z_MAX, f"potts {method} at beta_J, beta_h = {betas}: mean energy off by {z:.1f} sigma"


@pytest.mark.parametrize("kind", ["ising", "potts"])
def test_chi_square_detects_a_wrong_distribution(kind, boltzmann, energy_z, sample_pvalue):
    """The statistical test has power: samples at beta_J are rejected as samples at 1.3 beta_J."""
    model = ising_model() if kind == "ising" else potts_model()
    kernel = (ISING if kind == "ising" else POTTS)["heatbath"]
    wrong = boltzmann(model, 1.3, 1.0)
    p, out = sample_pvalue(model, kernel, 1.0, 1.0, target=wrong)
    assert p < P_MIN
    assert energy_z(model, out, 1.05, 1.0) > Z_MAX  # the energy check sees a 5% error


def test_potts_q2_large_q(energy_z, sample_pvalue):
    """q = 2 (single proposal) and a larger q on a 3-site graph."""
    for q in (2, 5):
        model = potts_model(n=3, q=q, seed=9)
        for method, kernel in POTTS.items():
            p, out = sample_pvalue(model, kernel, 1.0, 1.0, n_chains=10000)
            assert p > P_MIN, f"q={q} {method}: p = {p:.3g}"
            assert energy_z(model, out, 1.0, 1.0) < Z_MAX


# -- one-sweep transition matrix on 2 sites ----------------------------------------------
@pytest.mark.parametrize("kind", ["ising", "potts"])
@pytest.mark.parametrize("method", ["metropolis", "heatbath"])
def test_sweep_transition_matrix(kind, method, run, kernel_rng, state_index, boltzmann, chi2_pvalue, sweep_matrix):
    if kind == "ising":
        model = IsingModel.from_graph([[0.0, 0.7], [0.7, 0.0]], [0.3, -0.5])
        kernel = ISING[method]
    else:
        model = PottsModel.from_graph([[0.0, -0.9], [-0.9, 0.0]], 3, [[0.2, -0.4, 0.5], [0.0, 0.3, -0.6]])
        kernel = POTTS[method]
    beta_J, beta_h = 1.1, 0.8
    T, xs = sweep_matrix(model, method, beta_J, beta_h)
    pi = boltzmann(model, beta_J, beta_h)
    np.testing.assert_allclose(pi @ T, pi, atol=1e-12)  # the reference itself is stationary
    n_per_start = 4000
    for k, x in enumerate(xs):
        x0 = np.repeat(x[None, :], n_per_start, axis=0).astype(np.int8)
        out = run(kernel, model, x0, kernel_rng(n_per_start, 1000 + k), beta_J, beta_h, 1, 1)
        counts = np.bincount(state_index(model, out["states"]), minlength=len(xs))
        p = chi2_pvalue(counts, T[k])
        assert p > P_MIN, f"row {k} ({x}): p = {p:.3g}, counts {counts}, expected {T[k] * n_per_start}"


# -- records, stats, threads ---------------------------------------------------------------
@pytest.mark.parametrize("kind", ["ising", "potts"])
@pytest.mark.parametrize("method", ["metropolis", "heatbath"])
def test_records_and_stats(kind, method, run, kernel_rng):
    model = ising_model(8, seed=5) if kind == "ising" else potts_model(6, seed=6)
    kernel = (ISING if kind == "ising" else POTTS)[method]
    n_chains, n_records, thin = 50, 4, 3
    g = np.random.default_rng(7)
    x0 = g.integers(0, model.q, size=(n_chains, model.n_sites)).astype(np.int8)
    if kind == "ising":
        x0 = (2 * x0 - 1).astype(np.int8)
    rng0 = kernel_rng(n_chains, 8)
    full = run(kernel, model, x0.copy(), rng0.copy(), 0.9, 1.2, n_records, thin)
    # the same run cut into one call per record: same states, same records
    x, r = x0.copy(), rng0.copy()
    for k in range(n_records):
        part = run(kernel, model, x, r, 0.9, 1.2, 1, thin)
        np.testing.assert_allclose(full["e_coupling"][:, k], part["e_coupling"][:, 0], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(full["e_field"][:, k], part["e_field"][:, 0], rtol=1e-12, atol=1e-12)
        np.testing.assert_array_equal(full["magnetization"][:, k], part["magnetization"][:, 0])
        e_j, e_h = model.energy_parts(x)
        np.testing.assert_allclose(part["e_coupling"][:, 0], e_j, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(part["e_field"][:, 0], e_h, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(part["magnetization"][:, 0], model.magnetization(x), rtol=1e-14)
    np.testing.assert_array_equal(full["states"], x)
    np.testing.assert_array_equal(full["rng"], r)
    st = full["stats"]
    assert np.all(st[:, 0] == n_records * thin * model.n_sites)
    assert np.all((st[:, 1] > 0) & (st[:, 1] <= st[:, 0]))
    assert np.all(st[:, 2:] == 0)
    # stats accumulate (+=)
    stats = st.copy()
    kernel(
        *model_args(model),
        full["states"],
        full["rng"],
        0.9,
        1.2,
        1,
        1,
        np.zeros((n_chains, 1)),
        np.zeros((n_chains, 1)),
        np.zeros((n_chains, 1)),
        stats,
        1,
    )
    assert np.all(stats[:, 0] == st[:, 0] + model.n_sites)


@pytest.mark.parametrize("kind", ["ising", "potts"])
def test_metropolis_at_beta_zero(kind, run, kernel_rng):
    """beta = 0: Potts (q = 3) accepts every proposal; Ising, whose proposal is forced, accepts
    each tie with probability 1/2 (accepting all would flip every spin at every sweep, a
    deterministic and non-ergodic chain)."""
    model = ising_model() if kind == "ising" else potts_model()
    kernel = (ISING if kind == "ising" else POTTS)["metropolis"]
    x0 = np.ones((10, model.n_sites), dtype=np.int8)
    out = run(kernel, model, x0, kernel_rng(10, 2), 0.0, 0.0, 2, 3)
    if kind == "potts":
        assert np.all(out["stats"][:, 1] == out["stats"][:, 0])
    else:
        n, k = out["stats"][:, 0].sum(), out["stats"][:, 1].sum()
        assert abs(k - n / 2) < 5 * np.sqrt(n / 4)


@pytest.mark.parametrize("kind", ["ising", "potts"])
@pytest.mark.parametrize("method", ["metropolis", "heatbath"])
def test_thread_invariance(kind, method, run, kernel_rng):
    model = ising_model(8, seed=11) if kind == "ising" else potts_model(6, seed=12)
    kernel = (ISING if kind == "ising" else POTTS)[method]
    g = np.random.default_rng(13)
    x0 = g.integers(0, model.q, size=(37, model.n_sites)).astype(np.int8)
    if kind == "ising":
        x0 = (2 * x0 - 1).astype(np.int8)
    rng0 = kernel_rng(37, 14)
    a = run(kernel, model, x0.copy(), rng0.copy(), 1.0, 0.7, 5, 2, n_threads=1)
    b = run(kernel, model, x0.copy(), rng0.copy(), 1.0, 0.7, 5, 2, n_threads=2)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def test_lattice_graph_and_empty_records(run, kernel_rng, sample_pvalue):
    """A model from a lattice's coupling matrix (periodic side 2: doubled bond) and n_records = 0."""
    lat = IsingModel.lattice((2, 3), J=0.4, h=0.1)
    model = IsingModel.from_graph(lat.coupling_matrix, lat.h)
    p, _ = sample_pvalue(model, ISING["metropolis"], 1.0, 1.0, n_chains=10000)
    assert p > P_MIN
    x0 = np.ones((3, model.n_sites), dtype=np.int8)
    out = run(ISING["heatbath"], model, x0, kernel_rng(3, 0), 1.0, 1.0, 0, 1)
    assert np.all(out["states"] == 1) and np.all(out["stats"] == 0)


@pytest.mark.parametrize("kind", ["ising", "potts"])
def test_records_into_column_slices(kind, run, kernel_rng):
    """Outputs may be column slices of wider arrays (rows strided), as the sampler passes them."""
    model = ising_model(6, seed=21) if kind == "ising" else potts_model(5, seed=22)
    kernel = (ISING if kind == "ising" else POTTS)["metropolis"]
    g = np.random.default_rng(23)
    x0 = g.integers(0, model.q, size=(9, model.n_sites)).astype(np.int8)
    if kind == "ising":
        x0 = (2 * x0 - 1).astype(np.int8)
    ref = run(kernel, model, x0.copy(), kernel_rng(9, 24), 1.0, 1.0, 3, 2)
    wide = [np.full((9, 7), -99.0) for _ in range(3)]
    kernel(
        *model_args(model),
        x0.copy(),
        kernel_rng(9, 24),
        1.0,
        1.0,
        3,
        2,
        wide[0][:, 2:],
        wide[1][:, 2:],
        wide[2][:, 2:],
        np.zeros((9, 4)),
        1,
    )
    for arr, key in zip(wide, ("e_coupling", "e_field", "magnetization")):
        np.testing.assert_array_equal(arr[:, 2:5], ref[key], err_msg=key)
        assert np.all(arr[:, :2] == -99.0) and np.all(arr[:, 5:] == -99.0)


# -- uniform weights and fields: the integer-table path ---------------------------------------
def ring_ising(n=6, w=0.7, h=0.3):
    J = np.zeros((n, n))
    for i in range(n):
        J[i, (i + 1) % n] = J[(i + 1) % n, i] = w
    J[0, 3] = J[3, 0] = w  # a chord: degrees 2 and 3
    return IsingModel.from_graph(J, np.full(n, h))


def torus_ising(J=0.35, h=0.15):
    """3 x 3 torus as a graph: every site has 4 neighbours (the kernels' degree-4 loops)."""
    lat = IsingModel.lattice((3, 3), J=J, h=h)
    return IsingModel.from_graph(lat.coupling_matrix, lat.h)


def torus_potts(q=3, J=0.5):
    lat = PottsModel.lattice((3, 3), q, J=J)
    h = np.repeat(np.array([[0.3, -0.2, 0.1, 0.0, 0.2][:q]]), 9, axis=0)
    return PottsModel.from_graph(lat.coupling_matrix, q, h)


def uniform_potts(n=5, q=3, w=0.9, seed=31, complete=False):
    g = np.random.default_rng(seed)
    J = np.triu((g.random((n, n)) < 0.6) * w, k=1) if not complete else np.triu(np.full((n, n), w), k=1)
    J = J + J.T
    return PottsModel.from_graph(J, q, np.repeat(g.uniform(-0.7, 0.7, (1, q)), n, axis=0))


@pytest.mark.parametrize("method", ["metropolis", "heatbath"])
@pytest.mark.parametrize("w,h", [(0.7, 0.3), (-0.9, -0.4), (0.8, 0.0)])
def test_ising_uniform_boltzmann(method, w, h, energy_z, sample_pvalue):
    """Uniform weights and field: the kernels use integer acceptance thresholds."""
    model = ring_ising(w=w, h=h)
    for betas in [(1.0, 1.0), (0.5, 1.6)]:
        p, out = sample_pvalue(model, ISING[method], *betas)
        assert p > P_MIN, f"{method} w={w} h={h} betas={betas}: p = {p:.3g}"
        assert energy_z(model, out, *betas) < Z_MAX


@pytest.mark.parametrize("method", ["metropolis", "heatbath"])
def test_degree4_uniform_boltzmann(method, energy_z, sample_pvalue):
    """Uniform 4-regular graphs (3 x 3 tori): Ising and 3-state Potts."""
    for model, kernels in [(torus_ising(), ISING), (torus_ising(J=-0.4, h=-0.2), ISING), (torus_potts(), POTTS)]:
        p, out = sample_pvalue(model, kernels[method], 1.0, 1.0)
        assert p > P_MIN, f"{method} {model!r}: p = {p:.3g}"
        assert energy_z(model, out, 1.0, 1.0) < Z_MAX


@pytest.mark.parametrize("method", ["metropolis", "heatbath"])
@pytest.mark.parametrize("w,q", [(0.9, 3), (-0.6, 3), (0.4, 5)])
def test_potts_uniform_boltzmann(method, w, q, energy_z, sample_pvalue):
    """q = 3: packed neighbour counts index cumulative thresholds; q = 5 (q * bits > 12):
    the tabulated weights exp(beta_J w0 n_a + beta_h h_a - M)."""
    model = uniform_potts(w=w, q=q, complete=q == 5)  # K5: degree 4, 3 bits x 5 states
    for betas in [(1.0, 1.0), (1.4, 0.5)]:
        p, out = sample_pvalue(model, POTTS[method], *betas)
        assert p > P_MIN, f"{method} w={w} betas={betas}: p = {p:.3g}"
        assert energy_z(model, out, *betas) < Z_MAX


def test_uniform_sweep_transition_matrix(run, kernel_rng, state_index, chi2_pvalue, sweep_matrix):
    """The table path's one-sweep transition matrix on 2 sites (Ising and Potts)."""
    cases = [
        (IsingModel.from_graph([[0.0, 0.7], [0.7, 0.0]], [0.3, 0.3]), ISING),
        (PottsModel.from_graph([[0.0, 0.9], [0.9, 0.0]], 3, [[0.2, -0.4, 0.5]] * 2), POTTS),
    ]
    for model, kernels in cases:
        for method in ("metropolis", "heatbath"):
            T, xs = sweep_matrix(model, method, 1.1, 0.8)
            for k, x in enumerate(xs):
                x0 = np.repeat(x[None, :], 4000, axis=0).astype(np.int8)
                out = run(kernels[method], model, x0, kernel_rng(4000, 2000 + k), 1.1, 0.8, 1, 1)
                counts = np.bincount(state_index(model, out["states"]), minlength=len(xs))
                p = chi2_pvalue(counts, T[k])
                assert p > P_MIN, f"{method} row {k}: p = {p:.3g}"


# -- chunking and states_out, every kernel and path ----------------------------------------
def chunk_cases():
    out = []
    for method in ("metropolis", "heatbath"):
        out.append(pytest.param(ising_model(8, seed=5), ISING[method], id=f"ising-general-{method}"))
        out.append(pytest.param(ring_ising(), ISING[method], id=f"ising-table-{method}"))
        out.append(pytest.param(potts_model(6, seed=6), POTTS[method], id=f"potts-general-{method}"))
        out.append(pytest.param(uniform_potts(), POTTS[method], id=f"potts-table-{method}"))
        out.append(pytest.param(uniform_potts(q=5, complete=True), POTTS[method], id=f"potts-q5-table-{method}"))
        out.append(pytest.param(torus_ising(), ISING[method], id=f"ising-deg4-{method}"))
        out.append(pytest.param(torus_potts(), POTTS[method], id=f"potts-deg4-{method}"))
    return out


def random_start(model, n_chains, seed):
    x0 = np.random.default_rng(seed).integers(0, model.q, size=(n_chains, model.n_sites)).astype(np.int8)
    return (2 * x0 - 1).astype(np.int8) if isinstance(model, IsingModel) else x0


@pytest.mark.parametrize("model,kernel", chunk_cases())
def test_chunking_and_states_out(model, kernel, run, kernel_rng):
    """n calls of one record == one call of n records (states, rng, records), and states_out
    (a slice of a wider array) holds the state at each record, the rest untouched."""
    n_chains, n_records, thin = 11, 5, 2
    x0, rng0 = random_start(model, n_chains, 3), kernel_rng(n_chains, 4)
    ref = run(kernel, model, x0.copy(), rng0.copy(), 0.9, 1.1, n_records, thin)
    wide = np.full((n_chains, n_records + 3, model.n_sites), 99, dtype=np.int8)
    out = dict(
        e_coupling=np.zeros((n_chains, n_records)),
        e_field=np.zeros((n_chains, n_records)),
        magnetization=np.zeros((n_chains, n_records)),
        stats=np.zeros((n_chains, 4)),
    )
    x, r = x0.copy(), rng0.copy()
    kernel(
        *model_args(model),
        x,
        r,
        0.9,
        1.1,
        n_records,
        thin,
        out["e_coupling"],
        out["e_field"],
        out["magnetization"],
        out["stats"],
        2,
        states_out=wide[:, 2 : 2 + n_records],
    )
    for key in ("e_coupling", "e_field", "magnetization", "stats"):
        np.testing.assert_array_equal(out[key], ref[key], err_msg=key)
    np.testing.assert_array_equal(x, ref["states"])
    np.testing.assert_array_equal(r, ref["rng"])
    assert np.all(wide[:, :2] == 99) and np.all(wide[:, 2 + n_records :] == 99)
    xs, rs = x0.copy(), rng0.copy()
    for k in range(n_records):
        part = run(kernel, model, xs, rs, 0.9, 1.1, 1, thin)
        np.testing.assert_array_equal(wide[:, 2 + k], xs)
        np.testing.assert_array_equal(part["magnetization"][:, 0], ref["magnetization"][:, k])
        np.testing.assert_allclose(part["e_coupling"][:, 0], ref["e_coupling"][:, k], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(part["e_field"][:, 0], ref["e_field"][:, k], rtol=1e-12, atol=1e-12)
        e_j, e_h = model.energy_parts(xs)
        np.testing.assert_allclose(part["e_coupling"][:, 0], e_j, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(part["e_field"][:, 0], e_h, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(xs, ref["states"])
    np.testing.assert_array_equal(rs, ref["rng"])


# repeated betas (one segment), beta 0, and a beta large enough to take the Potts heat-bath
# tables off for one record
BETA_PATH = [(0.9, 1.1), (0.9, 1.1), (0.0, 0.0), (0.4, 1.1), (300.0, 0.2), (1.3, 0.0), (1.3, 0.0), (0.7, 0.5)]


@pytest.mark.parametrize("model,kernel", chunk_cases())
def test_beta_path_equals_one_record_calls(model, kernel, run, kernel_rng):
    """One call along a beta path equals one call per record at scalar betas: bit-identical
    states, generator states, states_out, magnetisation and stats, energies to rounding (as
    for any chunking); the scalar betas are ignored and paths may be longer than needed."""
    n_chains, n, thin = 7, len(BETA_PATH), 2
    x0, rng0 = random_start(model, n_chains, 13), kernel_rng(n_chains, 14)
    xs, rs = x0.copy(), rng0.copy()
    ref = {k: [] for k in ("e_coupling", "e_field", "magnetization")}
    ref_stats, ref_seen = np.zeros((n_chains, 4)), []
    for bj, bh in BETA_PATH:
        part = run(kernel, model, xs, rs, bj, bh, 1, thin)
        for k in ref:
            ref[k].append(part[k][:, 0])
        ref_stats += part["stats"]
        ref_seen.append(xs.copy())
    bjp = np.array([b for b, _ in BETA_PATH] + [5.0])
    bhp = np.array([b for _, b in BETA_PATH])
    for threads in (1, 2):
        x, r = x0.copy(), rng0.copy()
        recs = [np.full((n_chains, n), np.nan) for _ in range(3)]
        stats = np.zeros((n_chains, 4))
        seen = np.full((n_chains, n, model.n_sites), 99, dtype=np.int8)
        kernel(
            *model_args(model),
            x,
            r,
            5.0,
            5.0,
            n,
            thin,
            *recs,
            stats,
            threads,
            states_out=seen,
            beta_J_path=bjp,
            beta_h_path=bhp,
        )
        np.testing.assert_array_equal(x, xs)
        np.testing.assert_array_equal(r, rs)
        np.testing.assert_array_equal(seen, np.stack(ref_seen, axis=1))
        np.testing.assert_array_equal(recs[2], np.stack(ref["magnetization"], axis=1))
        for arr, k in zip(recs[:2], ("e_coupling", "e_field")):
            np.testing.assert_allclose(arr, np.stack(ref[k], axis=1), rtol=1e-12, atol=1e-12, err_msg=k)
        np.testing.assert_array_equal(stats, ref_stats)
    # a path for beta_J alone: beta_h is the scalar
    xs, rs = x0.copy(), rng0.copy()
    for bj, _ in BETA_PATH:
        run(kernel, model, xs, rs, bj, 0.35, 1, thin)
    x, r = x0.copy(), rng0.copy()
    outs = [np.zeros((n_chains, n)) for _ in range(4)]
    kernel(*model_args(model), x, r, 5.0, 0.35, n, thin, *outs, 1, beta_J_path=bjp)
    np.testing.assert_array_equal(x, xs)
    np.testing.assert_array_equal(r, rs)


def test_states_out_shape_is_checked(kernel_rng):
    model = ring_ising()
    x0 = random_start(model, 3, 1)
    with pytest.raises(ValueError, match="states_out"):
        ISING["metropolis"](
            *model_args(model),
            x0,
            kernel_rng(3, 0),
            1.0,
            1.0,
            4,
            1,
            np.zeros((3, 4)),
            np.zeros((3, 4)),
            np.zeros((3, 4)),
            np.zeros((3, 4)),
            1,
            states_out=np.zeros((3, 3, model.n_sites), np.int8),
        )
