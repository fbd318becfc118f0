"""Statistical and bookkeeping tests of the dense Potts kernels (isingbio._kernels._dense).

Samplers are checked against exact enumeration on tiny random models (float32 and float64):
the histogram of the final states of many independent chains against the Boltzmann
distribution (chi-square, pooled bins, p threshold 1e-6, fixed seeds), and the one-sweep
transition matrix of a 2-site model against its exact value.
"""

import functools

import numpy as np
import pytest

from isingbio import PottsModel
from isingbio._kernels import _dense

P_MIN = 1e-6
KERNELS = {"metropolis": _dense.potts_metropolis, "heatbath": _dense.potts_heatbath}
DTYPES = [np.float32, np.float64]


# -- helpers -----------------------------------------------------------------------------
def dense_model(L, q, dtype, seed, scale_h=0.7, scale_J=0.6):
    """Random fields and couplings with J[i,j,a,b] == J[j,i,b,a] and zero diagonal blocks."""
    g = np.random.default_rng(seed)
    J = g.normal(0.0, scale_J, (L, L, q, q))
    J = 0.5 * (J + J.transpose(1, 0, 3, 2))
    J[np.arange(L), np.arange(L)] = 0.0
    return PottsModel(g.normal(0.0, scale_h, (L, q)).astype(dtype), J.astype(dtype))


Z_MAX = 5.5  # two-sided p ~ 4e-8 per moment


def model_args(model):
    """The dense kernels' model arguments (for the `run` fixture)."""
    return (model.h, model.J)


@pytest.fixture
def sample(run, kernel_rng):
    """sample(model, kernel, beta_J, beta_h, ...): many chains from random starts."""

    def sample(model, kernel, beta_J, beta_h, n_chains=20000, sweeps=40, seed=1, n_threads=1):
        x0 = np.random.default_rng(seed).integers(0, model.q, size=(n_chains, model.n_sites)).astype(np.int8)
        return run(kernel, model, x0, kernel_rng(n_chains, seed + 100), beta_J, beta_h, 1, sweeps, n_threads=n_threads)

    return sample


@pytest.fixture
def sample_pvalue(state_index, boltzmann, chi2_pvalue):
    """sample_pvalue(model, out, beta_J, beta_h, target=None): chi-square p-value of the
    final states against the Boltzmann distribution (or `target`)."""

    def sample_pvalue(model, out, beta_J, beta_h, target=None):
        counts = np.bincount(state_index(model, out["states"]), minlength=model.q**model.n_sites)
        return chi2_pvalue(counts, boltzmann(model, beta_J, beta_h) if target is None else target)

    return sample_pvalue


@pytest.fixture(params=["strided", "transposed"])
def layout(request, monkeypatch):
    """Run with J read in place or through the kernels' transposed copy (same results)."""
    for method, kernel in list(KERNELS.items()):
        monkeypatch.setitem(
            KERNELS,
            method,
            functools.partial(
                kernel, transpose_min_sweeps=0, transpose_max_bytes=0 if request.param == "strided" else 1 << 40
            ),
        )
    yield request.param


# -- distribution tests --------------------------------------------------------------------
@pytest.mark.parametrize("method", ["metropolis", "heatbath"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("L,q", [(4, 3), (3, 4)])
def test_boltzmann(method, dtype, L, q, layout, energy_z, sample_pvalue, sample):
    model = dense_model(L, q, dtype, seed=10 * L + q)
    out = sample(model, KERNELS[method], 1.0, 1.0)
    p = sample_pvalue(model, out, 1.0, 1.0)
    assert p > P_MIN, f"{method} L={L} q={q} {np.dtype(dtype).name} {layout}: p = {p:.3g}"
    z = energy_z(model, out, 1.0, 1.0)
    assert z < Z_MAX, f"{method} L={L} q={q} {np.dtype(dtype).name} {layout}: mean energy off by {z:.1f} sigma"


@pytest.mark.parametrize("method", ["metropolis", "heatbath"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_boltzmann_split_betas(method, dtype, energy_z, sample_pvalue, sample):
    model = dense_model(4, 3, dtype, seed=5)
    for beta_J, beta_h in [(0.4, 1.3), (1.6, 0.5)]:
        out = sample(model, KERNELS[method], beta_J, beta_h, seed=3)
        p = sample_pvalue(model, out, beta_J, beta_h)
        assert p > P_MIN, f"{method} beta_J={beta_J} beta_h={beta_h}: p = {p:.3g}"
        z = energy_z(model, out, beta_J, beta_h)
        assert z < Z_MAX, f"{method} beta_J={beta_J} beta_h={beta_h}: mean energy off by {z:.1f} sigma"


def test_chi_square_detects_a_wrong_distribution(boltzmann, energy_z, sample_pvalue, sample):
    """The statistical test has power: samples at beta_J are rejected as samples at 1.3 beta_J."""
    model = dense_model(4, 3, np.float64, seed=43)
    out = sample(model, KERNELS["metropolis"], 1.0, 1.0)
    assert sample_pvalue(model, out, 1.0, 1.0) > P_MIN
    assert sample_pvalue(model, out, 1.0, 1.0, target=boltzmann(model, 1.3, 1.0)) < P_MIN
    assert energy_z(model, out, 1.0, 1.0) < Z_MAX
    assert energy_z(model, out, 1.05, 1.0) > Z_MAX  # the energy check sees a 5% error


def test_q2_and_ising_equivalence(energy_z, sample_pvalue, sample):
    """q = 2: Metropolis always proposes the other state; an Ising model through to_dense."""
    from isingbio import IsingModel

    J = np.array([[0, 0.8, -0.5], [0.8, 0, 0.3], [-0.5, 0.3, 0]])
    model = IsingModel.from_graph(J, [0.2, -0.4, 0.1]).to_dense()
    for method, kernel in KERNELS.items():
        out = sample(model, kernel, 1.0, 1.0, n_chains=10000)
        p = sample_pvalue(model, out, 1.0, 1.0)
        assert p > P_MIN, f"{method}: p = {p:.3g}"
        assert energy_z(model, out, 1.0, 1.0) < Z_MAX


# -- one-sweep transition matrix on 2 sites ----------------------------------------------
@pytest.mark.parametrize("method", ["metropolis", "heatbath"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_sweep_transition_matrix(method, dtype, run, kernel_rng, state_index, boltzmann, chi2_pvalue, sweep_matrix):
    model = dense_model(2, 3, dtype, seed=21, scale_h=1.0, scale_J=1.0)
    beta_J, beta_h = 0.9, 1.2
    T, xs = sweep_matrix(model, method, beta_J, beta_h)
    pi = boltzmann(model, beta_J, beta_h)
    np.testing.assert_allclose(pi @ T, pi, atol=1e-12)  # the reference itself is stationary
    n_per_start = 4000
    for k, x in enumerate(xs):
        x0 = np.repeat(x[None, :], n_per_start, axis=0)
        out = run(KERNELS[method], model, x0, kernel_rng(n_per_start, 500 + k), beta_J, beta_h, 1, 1)
        counts = np.bincount(state_index(model, out["states"]), minlength=len(xs))
        p = chi2_pvalue(counts, T[k])
        assert p > P_MIN, f"row {k} ({x}): p = {p:.3g}, counts {counts}, expected {T[k] * n_per_start}"


# -- records, stats, threads, layouts ------------------------------------------------------
@pytest.mark.parametrize("method", ["metropolis", "heatbath"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_records_and_stats(method, dtype, layout, run, kernel_rng):
    model = dense_model(7, 5, dtype, seed=31)
    kernel = KERNELS[method]
    n_chains, n_records, thin = 40, 4, 3
    x0 = np.random.default_rng(2).integers(0, model.q, size=(n_chains, model.n_sites)).astype(np.int8)
    rng0 = kernel_rng(n_chains, 3)
    full = run(kernel, model, x0.copy(), rng0.copy(), 0.8, 1.1, n_records, thin)
    # the same run cut into one call per record: same states, same records
    x, r = x0.copy(), rng0.copy()
    for k in range(n_records):
        part = run(kernel, model, x, r, 0.8, 1.1, 1, thin)
        e_j, e_h = model.energy_parts(x)
        for key, ref in [("e_coupling", e_j), ("e_field", e_h), ("magnetization", model.magnetization(x))]:
            np.testing.assert_allclose(part[key][:, 0], ref, rtol=1e-10, atol=1e-10, err_msg=key)
            np.testing.assert_allclose(full[key][:, k], ref, rtol=1e-10, atol=1e-10, err_msg=key)
    np.testing.assert_array_equal(full["states"], x)
    np.testing.assert_array_equal(full["rng"], r)
    st = full["stats"]
    assert np.all(st[:, 0] == n_records * thin * model.n_sites)
    assert np.all((st[:, 1] > 0) & (st[:, 1] <= st[:, 0]))
    assert np.all(st[:, 2:] == 0)
    stats = st.copy()  # accumulated with +=
    kernel(
        model.h,
        model.J,
        full["states"],
        full["rng"],
        0.8,
        1.1,
        1,
        1,
        np.zeros((n_chains, 1)),
        np.zeros((n_chains, 1)),
        np.zeros((n_chains, 1)),
        stats,
        1,
    )
    assert np.all(stats[:, 0] == st[:, 0] + model.n_sites)


def test_metropolis_accepts_everything_at_beta_zero(run, kernel_rng):
    model = dense_model(5, 4, np.float64, seed=1)
    out = run(KERNELS["metropolis"], model, np.zeros((8, 5), np.int8), kernel_rng(8, 0), 0.0, 0.0, 2, 3)
    assert np.all(out["stats"][:, 1] == out["stats"][:, 0])


@pytest.mark.parametrize("method", ["metropolis", "heatbath"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_thread_and_layout_invariance(method, dtype, run, kernel_rng):
    model = dense_model(9, 6, dtype, seed=17, scale_J=0.3)
    x0 = np.random.default_rng(4).integers(0, model.q, size=(23, model.n_sites)).astype(np.int8)
    rng0 = kernel_rng(23, 5)
    results = []
    for min_sweeps, max_bytes in [(0, 0), (0, 1 << 40)]:
        kernel = functools.partial(KERNELS[method], transpose_min_sweeps=min_sweeps, transpose_max_bytes=max_bytes)
        for n_threads in (1, 2):
            results.append(run(kernel, model, x0.copy(), rng0.copy(), 1.0, 0.6, 5, 2, n_threads=n_threads))
    for other in results[1:]:
        for key in results[0]:
            np.testing.assert_array_equal(results[0][key], other[key], err_msg=key)


def test_empty_records_leave_states(run, kernel_rng):
    model = dense_model(3, 3, np.float32, seed=2)
    x0 = np.zeros((2, 3), np.int8)
    out = run(KERNELS["heatbath"], model, x0, kernel_rng(2, 0), 1.0, 1.0, 0, 1)
    assert np.all(out["states"] == 0) and np.all(out["stats"] == 0)


def test_records_into_column_slices(run, kernel_rng):
    """Outputs may be column slices of wider arrays (rows strided), as the sampler passes them."""
    model = dense_model(5, 4, np.float32, seed=8)
    x0 = np.random.default_rng(9).integers(0, model.q, size=(9, model.n_sites)).astype(np.int8)
    ref = run(KERNELS["metropolis"], model, x0.copy(), kernel_rng(9, 24), 1.0, 1.0, 3, 2)
    wide = [np.full((9, 7), -99.0) for _ in range(3)]
    KERNELS["metropolis"](
        model.h,
        model.J,
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


# -- states_out, chunking, the fixed-point cache ---------------------------------------------
@pytest.mark.parametrize("method", ["metropolis", "heatbath"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_chunking_and_states_out(method, dtype, layout, run, kernel_rng):
    """n calls of one record == one call of n records (bit for bit: states, rng, records),
    and states_out (a slice of a wider array) holds the state at each record."""
    model = dense_model(8, 5, dtype, seed=41)
    kernel = KERNELS[method]
    n_chains, n_records, thin = 9, 6, 2
    x0 = np.random.default_rng(5).integers(0, model.q, size=(n_chains, model.n_sites)).astype(np.int8)
    rng0 = kernel_rng(n_chains, 6)
    ref = run(kernel, model, x0.copy(), rng0.copy(), 0.9, 1.2, n_records, thin)
    wide = np.full((n_chains, n_records + 3, model.n_sites), 99, dtype=np.int8)
    recs = [np.zeros((n_chains, n_records)) for _ in range(3)]
    stats = np.zeros((n_chains, 4))
    x, r = x0.copy(), rng0.copy()
    kernel(model.h, model.J, x, r, 0.9, 1.2, n_records, thin, *recs, stats, 2, states_out=wide[:, 1 : 1 + n_records])
    for arr, key in zip(recs + [stats], ("e_coupling", "e_field", "magnetization", "stats")):
        np.testing.assert_array_equal(arr, ref[key], err_msg=key)
    np.testing.assert_array_equal(x, ref["states"])
    np.testing.assert_array_equal(r, ref["rng"])
    assert np.all(wide[:, :1] == 99) and np.all(wide[:, 1 + n_records :] == 99)
    xs, rs = x0.copy(), rng0.copy()
    for k in range(n_records):
        part = run(kernel, model, xs, rs, 0.9, 1.2, 1, thin)
        np.testing.assert_array_equal(wide[:, 1 + k], xs)
        e_j, e_h = model.energy_parts(xs)
        np.testing.assert_allclose(part["e_coupling"][:, 0], e_j, rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(ref["e_coupling"][:, k], e_j, rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(ref["e_field"][:, k], e_h, rtol=1e-10, atol=1e-10)
        np.testing.assert_array_equal(part["magnetization"][:, 0], ref["magnetization"][:, k])
    np.testing.assert_array_equal(xs, ref["states"])
    np.testing.assert_array_equal(rs, ref["rng"])


BETA_PATH = [(0.9, 1.2), (0.9, 1.2), (0.0, 0.0), (0.4, 1.2), (1.3, 0.0), (1.3, 0.0), (0.7, 0.5)]


@pytest.mark.parametrize("method", ["metropolis", "heatbath"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_beta_path_equals_one_record_calls(method, dtype, layout, run, kernel_rng):
    """One call along a beta path (repeated betas, beta 0) equals one call per record at
    scalar betas: bit-identical states, generator states, states_out, magnetisation and
    stats (energies too with the fixed-point cache; with the double cache they agree to
    rounding, as for any chunking); the scalar betas are ignored, paths may be longer."""
    model = dense_model(7, 4, dtype, seed=43)
    kernel = KERNELS[method]
    n_chains, n, thin = 5, len(BETA_PATH), 2
    x0 = np.random.default_rng(8).integers(0, model.q, size=(n_chains, model.n_sites)).astype(np.int8)
    rng0 = kernel_rng(n_chains, 9)
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
            model.h,
            model.J,
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
        for arr, k in zip(recs, ref):
            if k == "magnetization" or dtype == np.float32:  # fixed-point cache: exact sums
                np.testing.assert_array_equal(arr, np.stack(ref[k], axis=1), err_msg=k)
            else:  # double cache: energies are summed in another order (as with chunking)
                np.testing.assert_allclose(arr, np.stack(ref[k], axis=1), rtol=1e-10, atol=1e-10, err_msg=k)
        np.testing.assert_array_equal(stats, ref_stats)
    # a path for beta_J alone: beta_h is the scalar
    xs, rs = x0.copy(), rng0.copy()
    for bj, _ in BETA_PATH:
        run(kernel, model, xs, rs, bj, 0.35, 1, thin)
    x, r = x0.copy(), rng0.copy()
    run_out = [np.zeros((n_chains, n)) for _ in range(4)]
    kernel(model.h, model.J, x, r, 5.0, 0.35, n, thin, *run_out, 1, beta_J_path=bjp)
    np.testing.assert_array_equal(x, xs)
    np.testing.assert_array_equal(r, rs)


def test_states_out_is_checked(kernel_rng):
    model = dense_model(3, 3, np.float64, seed=2)
    x0 = np.zeros((2, 3), np.int8)
    args = (
        model.h,
        model.J,
        x0,
        kernel_rng(2, 0),
        1.0,
        1.0,
        4,
        1,
        np.zeros((2, 4)),
        np.zeros((2, 4)),
        np.zeros((2, 4)),
        np.zeros((2, 4)),
        1,
    )
    with pytest.raises(ValueError, match="states_out"):
        KERNELS["heatbath"](*args, states_out=np.zeros((2, 3, 3), np.int8))
    with pytest.raises(ValueError, match="states_out"):
        KERNELS["heatbath"](*args, states_out=np.zeros((2, 4, 6), np.int8)[:, :, ::2])


@pytest.mark.parametrize("method", ["metropolis", "heatbath"])
def test_float32_falls_back_to_double_cache(method, run, kernel_rng):
    """float32 couplings too large for the fixed-point cache to be within 2^-16 use the double
    cache: then a float32 model samples exactly like the same numbers in float64."""
    g = np.random.default_rng(3)
    L, q = 5, 4
    J = g.normal(0.0, 1.0, (L, L, q, q))
    J = 0.5 * (J + J.transpose(1, 0, 3, 2))
    J[np.arange(L), np.arange(L)] = 0.0
    J = (J * 3000.0).astype(np.float32)  # |F| ~ 1e4: S ~ 2^17, N / S > 2^-16
    h = g.normal(0.0, 1.0, (L, q)).astype(np.float32)
    m32 = PottsModel(h, J)
    m64 = PottsModel(h.astype(np.float64), J.astype(np.float64))
    x0 = g.integers(0, q, size=(6, L)).astype(np.int8)
    a = run(KERNELS[method], m32, x0.copy(), kernel_rng(6, 1), 1e-3, 1.0, 4, 3)
    b = run(KERNELS[method], m64, x0.copy(), kernel_rng(6, 1), 1e-3, 1.0, 4, 3)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
