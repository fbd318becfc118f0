"""Pseudo-likelihood fit: objective and gradient against a naive reference and finite
differences (float32 and float64), recovery of known couplings, memory refusal, threads,
a real family above a precision floor."""

import numpy as np
import pytest

from isingbio import exact
from isingbio.errors import InputError, MemoryLimitError
from isingbio.models import PottsModel
from isingbio.plm import (
    _initial_fields,
    _Objective,
    default_lambda_J,
    estimate_plm_memory,
    fit_plm,
    n_parameters,
)

# ---- a naive float64 reference of the objective ------------------------------------------------


def unpack_reference(x, L, q):
    """Parameter vector -> h (L, q), full symmetric J (L, L, q, q)."""
    h = x[: L * q].reshape(L, q)
    J = np.zeros((L, L, q, q))
    k = L * q
    for i in range(L):
        for j in range(i + 1, L):
            J[i, j] = x[k : k + q * q].reshape(q, q)
            J[j, i] = J[i, j].T
            k += q * q
    return h, J


def objective_reference(x, m, w, q, lambda_h, lambda_J, ignore_gaps):
    """-sum_n w_n sum_i log p(x_i | x_-i) + lambda_h |h|^2 + lambda_J sum_{i<j} |J_ij|^2."""
    N, L = m.shape
    h, J = unpack_reference(x, L, q)
    f = 0.0
    states = np.arange(1, q) if ignore_gaps else np.arange(q)
    for n in range(N):
        for i in range(L):
            if ignore_gaps and m[n, i] == 0:
                continue
            logits = h[i].copy()
            for j in range(L):
                if j != i:
                    logits += J[i, j, :, m[n, j]]
            lz = np.logaddexp.reduce(logits[states])
            f += w[n] * (lz - logits[m[n, i]])
    f += lambda_h * np.sum(h**2)
    f += lambda_J * np.sum(x[L * q :] ** 2)
    return f


def gap_parameter_mask(L, q):
    """True for every parameter that involves the gap state 0."""
    mask = np.zeros(n_parameters(L, q), dtype=bool)
    mask[np.arange(L) * q] = True
    blocks = mask[L * q :].reshape(-1, q, q)
    blocks[:, 0, :] = True
    blocks[:, :, 0] = True
    return mask


def small_problem(rng, N=40, L=5, q=4, ignore_gaps=False, scale=0.4):
    m = rng.integers(0, q, size=(N, L)).astype(np.int8)
    w = rng.uniform(0.2, 1.0, size=N)
    x = rng.normal(0.0, scale, size=n_parameters(L, q))
    if ignore_gaps:
        x[gap_parameter_mask(L, q)] = 0.0
    return m, w, x


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("ignore_gaps", [False, True])
@pytest.mark.parametrize("L,q", [(5, 4), (9, 3), (4, 21)])
def test_objective_matches_reference(rng, dtype, ignore_gaps, L, q):
    # 600 sequences: several blocks of the kernel (256), a partial last block, a zero weight
    m, w, x = small_problem(rng, N=600, L=L, q=q, ignore_gaps=ignore_gaps)
    w[5] = 0.0
    obj = _Objective(m, w, q, dtype, 0.03, 0.7, ignore_gaps, n_threads=2)
    f, g = obj(x)
    f0 = objective_reference(x, m, w, q, 0.03, 0.7, ignore_gaps)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    assert f == pytest.approx(f0, rel=rtol)
    assert g.dtype == dtype and g.shape == x.shape


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("ignore_gaps", [False, True])
def test_gradient_finite_differences(rng, dtype, ignore_gaps):
    L, q = 5, 4
    m, w, x = small_problem(rng, N=60, L=L, q=q, ignore_gaps=ignore_gaps)
    lam_h, lam_J = 0.05, 0.8
    obj = _Objective(m, w, q, dtype, lam_h, lam_J, ignore_gaps, n_threads=1)
    _, g = obj(x)

    def ref(v):
        return objective_reference(v, m, w, q, lam_h, lam_J, ignore_gaps)

    gap = gap_parameter_mask(L, q)
    eps = 1e-6
    fd = np.empty_like(x)
    for k in range(x.size):
        e = np.zeros_like(x)
        e[k] = eps
        fd[k] = (ref(x + e) - ref(x - e)) / (2 * eps)
    if ignore_gaps:
        # gap parameters stay fixed at zero: their gradient is reported as 0
        assert np.all(g[gap] == 0.0)
        g, fd = g[~gap], fd[~gap]
    atol = 2e-4 * np.abs(fd).max() if dtype == np.float32 else 1e-7 * np.abs(fd).max()
    np.testing.assert_allclose(g, fd, rtol=0, atol=atol)
    # a wrong gradient (e.g. a lost symmetric half of the coupling term) fails this test
    assert np.abs(fd).max() > 1.0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gradient_finite_differences_of_the_kernel_itself(rng, dtype):
    """Central differences of the compiled objective (not of the reference)."""
    L, q = 6, 3
    m, w, x = small_problem(rng, N=80, L=L, q=q)
    obj = _Objective(m, w, q, dtype, 0.01, 0.2, False, n_threads=1)
    _, g = obj(x)
    eps = 1e-2 if dtype == np.float32 else 1e-6
    idx = rng.choice(x.size, size=40, replace=False)
    for k in idx:
        e = np.zeros_like(x)
        e[k] = eps
        fd = (obj(x + e)[0] - obj(x - e)[0]) / (2 * eps)
        tol = 2e-2 * (1 + abs(fd)) if dtype == np.float32 else 1e-6 * (1 + abs(fd))
        assert g[k] == pytest.approx(fd, abs=tol), k


def test_block_groups(rng):
    from isingbio._kernels._plm import block_groups, block_size

    nb = block_size()
    q = 5
    m = rng.integers(0, q, size=(nb + 37, 6)).astype(np.int8)
    m[:nb, 2] = rng.choice([1, 3], size=nb, p=[0.2, 0.8])  # a conserved column: state 3 the largest
    m[:nb, 4] = 2  # one state only: nothing listed
    perm, gstart = block_groups(m, q)
    assert perm.shape == (2, 6, nb) and gstart.shape == (2, 6, q + 1)
    e = gstart.view(np.uint16)
    for blk in range(2):
        xb = m[blk * nb : (blk + 1) * nb]
        for j in range(6):
            counts = np.bincount(xb[:, j], minlength=q)
            big = int(np.argmax(counts))  # the first state of largest count
            listed = [b for b in range(q) if counts[b] and b != big]
            assert e[blk, j, 0] == len(listed) | (big << 9)
            ends = np.cumsum([counts[b] for b in listed])
            np.testing.assert_array_equal(
                e[blk, j, 1 : 1 + len(listed)], ends.astype(np.int64) | (np.array(listed, dtype=np.int64) << 9)
            )
            # the listed groups in state order, then the largest; stable within a group
            order = np.concatenate([np.flatnonzero(xb[:, j] == b) for b in listed + [big]])
            np.testing.assert_array_equal(perm[blk, j, : len(xb)], order)
    assert e[0, 2, 0] == 1 | (3 << 9) and e[0, 4, 0] == 2 << 9


def test_block_groups_refuses_codes_outside_the_alphabet():
    """A code < 0 or >= q would index the kernel's per-state counters out of bounds."""
    from isingbio._kernels._plm import block_groups

    for bad in (3, -1, 127):
        m = np.zeros((300, 4), dtype=np.int8)
        m[290, 2] = bad
        with pytest.raises(ValueError, match="codes must be in 0..2"):
            block_groups(m, 3)


def test_float32_and_float64_gradients_agree(rng):
    m, w, x = small_problem(rng, N=500, L=12, q=21, ignore_gaps=True, scale=0.1)
    f32, g32 = _Objective(m, w, 21, np.float32, 0.01, 1.0, True, 1)(x)
    f64, g64 = _Objective(m, w, 21, np.float64, 0.01, 1.0, True, 1)(x)
    assert f32 == pytest.approx(f64, rel=1e-5)
    np.testing.assert_allclose(g32, g64, rtol=0, atol=1e-4 * np.abs(g64).max())


def test_result_independent_of_threads(rng):
    m, w, x = small_problem(rng, N=700, L=23, q=21, ignore_gaps=True, scale=0.05)
    f1, g1 = _Objective(m, w, 21, np.float32, 0.01, 1.0, True, 1)(x)
    f2, g2 = _Objective(m, w, 21, np.float32, 0.01, 1.0, True, 2)(x)
    assert f1 == f2
    np.testing.assert_array_equal(g1, g2)
    r1 = fit_plm(m, q=21, weights=w, max_iter=5, n_threads=1)
    r2 = fit_plm(m, q=21, weights=w, max_iter=5, n_threads=2)
    np.testing.assert_array_equal(r1.model.J, r2.model.J)
    assert r1.objective == r2.objective


def test_site_chunks_do_not_change_the_result(rng, monkeypatch):
    # the kernel is called on chunks of sites (Ctrl-C and progress between them); chunks of
    # one site must give the same objective and gradient bit for bit
    import isingbio.plm as plm

    m, w, x = small_problem(rng, N=300, L=17, q=21, ignore_gaps=True, scale=0.05)
    whole = _Objective(m, w, 21, np.float32, 0.01, 1.0, True, 2)
    whole._chunk = 17
    f1, g1 = whole(x)
    monkeypatch.setattr(plm, "_CHUNK_SECONDS", 0.0)  # every call is "too long": chunks shrink
    pieces = _Objective(m, w, 21, np.float32, 0.01, 1.0, True, 1)
    seen = []
    pieces.on_sites = seen.append
    f2, g2 = pieces(x)
    assert seen == list(range(1, 18))  # one site per call
    assert f1 == f2
    np.testing.assert_array_equal(g1, g2)


def test_fit_reports_progress_and_stages(rng, caplog):
    import logging

    m, w, _ = small_problem(rng, N=200, L=9, q=5, ignore_gaps=False, scale=0.1)
    with caplog.at_level(logging.INFO, logger="isingbio"):
        fit_plm(m, q=5, max_iter=3, n_threads=1)
    text = caplog.text
    assert "sequence weights: N = 200" in text and "plm: fitting, about" in text and "plm: 3 iterations" in text


# ---- the fit ------------------------------------------------------------------------------


def zero_sum(J):
    return J - J.mean(axis=2, keepdims=True) - J.mean(axis=3, keepdims=True) + J.mean(axis=(2, 3), keepdims=True)


def test_recovers_known_couplings(rng):
    L, q = 7, 3
    J = np.zeros((L, L, q, q))
    for i in range(L):
        for j in range(i + 1, L):
            J[i, j] = rng.normal(0.0, 0.5, size=(q, q))
            J[j, i] = J[i, j].T
    h = rng.normal(0.0, 0.3, size=(L, q))
    true = PottsModel(h, J)
    configs, p = exact.probabilities(true, 1.0)
    samples = configs[rng.choice(len(p), size=30000, p=p)]
    res = fit_plm(
        samples, q=q, weights="uniform", lambda_J=0.01, lambda_h=0.01, dtype=np.float64, max_iter=500, tol=1e-10
    )
    assert res.converged
    fitted = zero_sum(res.model.J)
    iu, ju = np.triu_indices(L, 1)
    a, b = zero_sum(J)[iu, ju].ravel(), fitted[iu, ju].ravel()
    r = np.corrcoef(a, b)[0, 1]
    assert r > 0.97, r
    assert np.abs(a - b).max() < 0.25
    # fields in the same gauge (zero mean over states, couplings zero-sum) are recovered too
    assert res.model.h.shape == (L, q)


def test_fit_deterministic_and_records(rng):
    m = rng.integers(0, 4, size=(300, 8)).astype(np.int8)
    r1 = fit_plm(m, q=4, max_iter=10, seed=7)
    r2 = fit_plm(m, q=4, max_iter=10, seed=7)
    np.testing.assert_array_equal(r1.model.J, r2.model.J)
    assert r1.model.J.dtype == np.float32
    np.testing.assert_array_equal(r1.model.J, r1.model.J.transpose(1, 0, 3, 2))
    assert np.all(r1.model.J[np.arange(8), np.arange(8)] == 0)
    md = r1.model.metadata
    assert md["seed"] == 7 and md["hyperparameters"]["lambda_J"] == pytest.approx(default_lambda_J(8, 4))
    assert r1.n_iter <= 10 and np.isfinite(r1.objective)
    assert r1.weights.shape == (300,) and r1.n_eff == pytest.approx(r1.weights.sum())


def test_initial_fields_are_the_independent_site_solution(rng):
    m = rng.integers(0, 3, size=(2000, 4)).astype(np.int8)
    h = _initial_fields(m, np.ones(2000), 3, False)
    f = np.stack([(m == a).mean(axis=0) for a in range(3)], axis=1)
    p = np.exp(h) / np.exp(h).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(p, f, atol=2e-3)


def test_bad_input():
    m = np.zeros((5, 4), dtype=np.int8)
    with pytest.raises(InputError, match="q"):
        fit_plm(m)
    with pytest.raises(InputError, match="at least 2 sequences"):
        fit_plm(m[:1], q=2)
    with pytest.raises(InputError, match="0..1"):
        fit_plm(m + 2, q=2)
    with pytest.raises(InputError, match="weights"):
        fit_plm(m, q=2, weights=np.ones(3))
    with pytest.raises(InputError, match="lambda_J"):
        fit_plm(m, q=2, lambda_J=-1.0)
    with pytest.raises(InputError, match="not a path"):
        fit_plm("some/file.fasta")


def test_memory_refused_before_allocating(monkeypatch):
    import isingbio._validation as val

    L, q = 20000, 21
    need = estimate_plm_memory(1000, L, q)
    assert need > 9 * (L * (L - 1) // 2) * q * q * 4  # at least the 9 float32 parameter vectors
    allocations = []
    monkeypatch.setattr("isingbio.plm._Objective", lambda *a, **k: allocations.append(a))
    # a fake alignment of 2 x L columns is cheap; the fit must refuse before allocating
    m = np.zeros((2, L), dtype=np.int8)
    m[1, ::2] = 1
    with pytest.raises(MemoryLimitError) as info:
        fit_plm(m, q=q, weights="uniform")
    msg = str(info.value)
    assert "L=20000" in msg and "GiB" in msg and "float32" in msg
    assert allocations == []
    # the figure in the message is the estimate
    # the figure in the message is the estimate with the smallest L-BFGS history (tried last)
    assert val.format_bytes(estimate_plm_memory(2, L, q, history=1)) in msg
    assert "history 1" in msg


# ---- a real family -------------------------------------------------------------------------


def test_real_family_precision(shared_data):
    from isingbio.alignment import read_alignment
    from isingbio.contacts import contact_scores
    from isingbio.evaluation import evaluate_contacts
    from isingbio.structure import ContactMap

    fam = shared_data / "1atzA" / "prepared"
    aln = read_alignment(fam / "1atzA.fasta")
    res = fit_plm(aln)
    prec = evaluate_contacts(contact_scores(res.model), ContactMap.from_npz(fam / "1atzA.contacts.npz"))
    assert prec["P@L"] >= 0.5, prec
    assert prec["P@L/5"] >= 0.8, prec


def test_float32_and_float64_fits_give_the_same_contacts(shared_data):
    # the float32 fit (parameters, gradient and L-BFGS history all float32) ranks the same top-L
    # pairs as the float64 one, up to near-ties at the end of the list
    from isingbio.alignment import read_alignment
    from isingbio.contacts import contact_scores, top_contacts

    aln = read_alignment(shared_data / "1atzA" / "prepared" / "1atzA.aln")
    top = {}
    for dtype in (np.float32, np.float64):
        s = contact_scores(fit_plm(aln, dtype=dtype, n_threads=2).model)
        top[dtype] = {(int(i), int(j)) for i, j, _ in top_contacts(s, min_separation=6, n=aln.L)}
    common = len(top[np.float32] & top[np.float64])
    assert common >= aln.L - 2, common
