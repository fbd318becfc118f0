"""Boltzmann-machine learning (isingbio.boltzmann.fit_bm) against exact statistics."""

import itertools

import numpy as np
import pytest

import isingbio
from isingbio import boltzmann
from isingbio.boltzmann import fit_bm
from isingbio.errors import FormatError, InputError
from isingbio.models import PottsModel

L, Q = 5, 3


def zero_sum(h, J):
    """Fields and couplings in the zero-sum (Ising) gauge, H unchanged."""
    h, J = np.asarray(h, dtype=float), np.asarray(J, dtype=float)
    Jz = J - J.mean(axis=2, keepdims=True) - J.mean(axis=3, keepdims=True) + J.mean(axis=(2, 3), keepdims=True)
    hz = h + (J.mean(axis=3) - J.mean(axis=(2, 3))[:, :, None]).sum(axis=1)
    return hz - hz.mean(axis=1, keepdims=True), Jz


@pytest.fixture(scope="module")
def exact_case():
    rng = np.random.default_rng(3)
    h = rng.normal(0, 0.5, (L, Q))
    J = rng.normal(0, 0.5, (L, L, Q, Q))
    J = (J + J.transpose(1, 0, 3, 2)) / 2
    for i in range(L):
        J[i, i] = 0
    model = PottsModel(h, J)
    X = np.array(list(itertools.product(range(Q), repeat=L)), dtype=np.int8)
    E = model.energy(X)
    p = np.exp(-(E - E.min()))
    return model, X, p / p.sum()


def frequencies(X, p):
    """Exact one- and two-site frequencies (L q, L q) of the distribution p over rows of X."""
    oh = np.zeros((len(X), L * Q))
    oh[np.repeat(np.arange(len(X)), L), (X + np.arange(L) * Q).ravel()] = 1
    return oh.T @ (oh * p[:, None])


def exact_p(model, X):
    E = model.energy(X)
    p = np.exp(-(E - E.min()))
    return p / p.sum()


N_CHAINS = 4000


@pytest.fixture(scope="module")
def fitted(exact_case):
    model, X, p = exact_case
    return fit_bm(
        X,
        q=Q,
        weights=p,
        pseudocount=0,
        init="profile",
        n_chains=N_CHAINS,
        sweeps_per_step=5,
        learning_rate=1.0,
        target_pearson=1.0,  # not reachable with noisy chains: run all steps
        max_steps=300,
        seed=1,
        n_threads=1,
    )


def test_fit_recovers_statistics_and_parameters(exact_case, fitted):
    model, X, p = exact_case
    res = fitted
    assert not res.converged and res.n_steps == 300 and res.trace["pearson"][-50:].min() >= 0.95
    # the fitted model's exact statistics match the data's within the chains' sampling error:
    # a frequency from n chains has standard error <= sqrt(1/4n); the final model fluctuates
    # about the fixed point by about that much
    sigma = np.sqrt(0.25 / N_CHAINS)
    F, Ff = frequencies(X, p), frequencies(X, exact_p(res.model, X))
    assert np.abs(F - Ff).max() < 5 * sigma
    # parameters (zero-sum gauge): a statistics error of 5 sigma moves a parameter by at
    # most about 5 sigma / min variance of a letter (here > 0.1), i.e. about 0.4
    h0, J0 = zero_sum(model.h, model.J)
    h1, J1 = zero_sum(res.model.h, res.model.J)
    assert np.abs(J1 - J0).max() < 0.25
    assert np.abs(h1 - h0).max() < 0.25
    # and is far closer to the truth than the profile model it started from
    assert np.abs(J1 - J0).max() < 0.5 * np.abs(J0).max()


def test_stops_at_the_target(exact_case):
    _, X, p = exact_case
    res = fit_bm(
        X, q=Q, weights=p, pseudocount=0, init="profile", n_chains=2000, sweeps_per_step=5, learning_rate=1.0, seed=3
    )
    assert res.converged and res.pearson >= 0.95 and abs(res.slope - 1) <= 0.1 and res.equilibrated is True
    # the target counts only at an equilibration check (every 10 steps) and after the check
    # period's sweeps with the model fixed
    assert res.n_steps % 10 == 0 and res.n_steps < 2000
    val = res.model.metadata["validation"]
    assert val["passed"] and val["step"] == res.n_steps and val["pearson"] >= 0.95 and abs(val["slope"] - 1) <= 0.1
    assert "with the model fixed" in res.summary()
    # the validated model is the one the chains sampled, and it reproduces the data exactly
    # within the chains' noise
    F, Ff = frequencies(X, p), frequencies(X, exact_p(res.model, X))
    assert np.abs(F - Ff).max() < 5 * np.sqrt(0.25 / 2000)


def test_target_needs_the_slope(exact_case):
    _, X, p = exact_case
    kw = dict(q=Q, weights=p, pseudocount=0, init="profile", n_chains=2000, sweeps_per_step=5, seed=3, max_steps=40)
    # a slope tolerance nothing meets: the fit runs all its steps
    res = fit_bm(X, learning_rate=1.0, slope_tolerance=1e-9, **kw)
    assert not res.converged and res.n_steps == 40
    with pytest.raises(InputError, match="slope_tolerance"):
        fit_bm(X, slope_tolerance=0, **kw)


def test_model_keeps_its_chains_and_sampling_starts_there(fitted, tmp_path):
    from isingbio.io import load_model, save_model
    from isingbio.sequence_sampling import sample_sequences

    m = fitted.model
    assert m.chains.shape == (N_CHAINS, L) and m.chains.dtype == np.int8
    assert np.array_equal(m.chains, fitted.chains)
    path = tmp_path / "bm.npz"
    save_model(m, path)
    back = load_model(path)
    assert np.array_equal(back.chains, m.chains)
    s = sample_sequences(back, 40, n_chains=8, burn_in=0, thin=1, seed=1, n_threads=1, warn=False)
    assert np.array_equal(s.start, m.chains[np.arange(8) * N_CHAINS // 8])
    s = sample_sequences(back, 40, n_chains=8, burn_in=0, thin=1, seed=1, n_threads=1, start=m.chains[:1], warn=False)
    assert np.array_equal(s.start, np.repeat(m.chains[:1], 8, axis=0))


def test_model_file_with_bad_chains_is_refused(fitted, tmp_path):
    from isingbio.io import load_model, save_model

    path = tmp_path / "bm.npz"
    save_model(fitted.model, path)
    arrays = dict(np.load(path))
    arrays["chains"] = arrays["chains"].copy()
    arrays["chains"][0, 0] = Q  # a state the model does not have
    np.savez(path, **arrays)
    with pytest.raises(FormatError, match="chains"):
        load_model(path)


def test_couplings_exactly_symmetric_and_metadata(fitted):
    J = fitted.model.J
    assert np.array_equal(J, J.transpose(1, 0, 3, 2))
    assert not np.any(J[np.arange(L), np.arange(L)])
    assert fitted.model.metadata["gaps_modelled"] is True
    t = fitted.trace
    assert len(t["step"]) == fitted.n_steps and np.all(np.diff(t["seconds"]) >= 0)
    assert "Pearson" in fitted.summary()


def test_resume_from_checkpoint_is_bit_identical(exact_case, tmp_path, monkeypatch):
    _, X, p = exact_case
    kw = dict(
        q=Q, weights=p, pseudocount=0.01, init="profile", n_chains=200, sweeps_per_step=2, learning_rate=0.5, seed=7
    )
    kw.update(target_pearson=1.0, check_every=3, n_threads=1)
    full = fit_bm(X, max_steps=20, **kw)
    ck = tmp_path / "fit.ckpt.npz"
    part = fit_bm(X, max_steps=8, checkpoint=ck, **kw)
    assert part.n_steps == 8 and ck.exists()
    # an interrupt (Ctrl-C) in the middle of a step leaves the checkpoint at the last whole step
    calls = {"n": 0}
    real = boltzmann._r_slope

    def interrupt(x, y):
        calls["n"] += 1
        if calls["n"] == 5:  # the one-site statistic of step 13 (one call per step)
            raise KeyboardInterrupt
        return real(x, y)

    monkeypatch.setattr(boltzmann, "_r_slope", interrupt)
    with pytest.raises(KeyboardInterrupt):
        fit_bm(X, max_steps=20, checkpoint=ck, **kw)
    monkeypatch.setattr(boltzmann, "_r_slope", real)
    resumed = fit_bm(X, max_steps=20, checkpoint=ck, **kw)
    assert resumed.resumed_from == 12
    assert np.array_equal(resumed.model.J, full.model.J)
    assert np.array_equal(resumed.model.h, full.model.h)
    assert np.array_equal(resumed.chains, full.chains)
    for key in ("pearson", "slope", "sweeps"):
        assert np.array_equal(resumed.trace[key], full.trace[key])


def test_checkpoint_from_another_alignment_or_settings(exact_case, tmp_path):
    _, X, p = exact_case
    ck = tmp_path / "c.npz"
    kw = dict(q=Q, pseudocount=0.01, init="profile", n_chains=50, sweeps_per_step=1, max_steps=2, seed=1, checkpoint=ck)
    fit_bm(X, weights=p, **kw)
    with pytest.raises(InputError, match="another alignment") as err:
        fit_bm(X[::-1], weights=p[::-1], **kw)
    assert "\n" not in str(err.value)
    with pytest.raises(InputError, match="other settings.*learning_rate"):
        fit_bm(X, weights=p, learning_rate=0.2, **kw)
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(FormatError):
        fit_bm(X, weights=p, **dict(kw, checkpoint=bad))


def test_bad_input(exact_case):
    _, X, p = exact_case
    with pytest.raises(InputError, match="at least 2 sequences"):
        fit_bm(X[:1], q=Q)
    for target in (0, 1.5, -0.1):
        with pytest.raises(InputError, match="target_pearson"):
            fit_bm(X, q=Q, target_pearson=target)
    other = PottsModel(np.zeros((L + 1, Q)), np.zeros((L + 1, L + 1, Q, Q)))
    with pytest.raises(InputError, match="does not match the alignment"):
        fit_bm(X, q=Q, init=other)
    with pytest.raises(InputError, match="init"):
        fit_bm(X, q=Q, init="nonsense")
    with pytest.raises(InputError, match="learning_rate"):
        fit_bm(X, q=Q, learning_rate=0)


def test_plm_init_and_plot(exact_case, tmp_path):
    pytest.importorskip("matplotlib")
    _, X, p = exact_case
    res = isingbio.fit_bm(X, q=Q, weights=p * len(p), init="plm", n_chains=100, max_steps=3, seed=2)
    assert res.n_steps == 3 and res.trace["pearson"].shape == (3,)
    out = res.plot(tmp_path / "training.png")
    assert (tmp_path / "training.png").stat().st_size > 0 and out.endswith("training.png")


def test_burn_in_runs_in_short_kernel_calls(exact_case, monkeypatch):
    """Ctrl-C is only seen between kernel calls: a long burn-in must not be one call, and
    splitting it (by chains and by sweeps) must not change the fit."""
    from isingbio._kernels import _bm, _dense

    _, X, p = exact_case
    kw = dict(q=Q, weights=p, pseudocount=0.01, init="profile", n_chains=100, sweeps_per_step=3, max_steps=4)
    kw.update(burn_in=50, seed=5, n_threads=1, target_pearson=1.0, method="metropolis")
    real = _bm.bm_sweeps
    calls = []

    def counting(h, Jq, qs, x, r, n_sweeps, *args, **kwargs):
        calls.append((x.shape[0], n_sweeps))
        return real(h, Jq, qs, x, r, n_sweeps, *args, **kwargs)

    monkeypatch.setattr(_bm, "bm_sweeps", counting)
    # a budget of 24 chain-sweeps (x L^2) per call: the burn-in in blocks of 4 chains (the
    # least per thread) and pieces of 6 sweeps; each step's 3 sweeps in blocks of 8 chains
    monkeypatch.setattr(boltzmann, "_CALL_WORK", 24.0 * L * L)
    res = fit_bm(X, **kw)
    assert sum(m * s for m, s in calls) == 100 * (50 + 4 * 3)
    assert calls[0] == (4, 6) and calls[-1] == (4, 3) and (8, 3) in calls
    assert all(m * s <= 24 for m, s in calls)
    # the same chains as one uninterrupted run of 50 sweeps of the dense kernel on the
    # initial (profile) model
    monkeypatch.setattr(_bm, "bm_sweeps", real)
    one = fit_bm(X, **dict(kw, max_steps=0))
    model = PottsModel(one.model.h, one.model.J)
    seq = boltzmann.as_seed_sequence(5)  # as fit_bm draws its chains' streams and start
    rng_states = boltzmann.chain_rng_states(seq, 100)
    x = np.random.default_rng(seq.spawn(1)[0]).integers(0, Q, size=(100, L), dtype=np.int8)
    scratch = tuple(np.empty((100, 1)) for _ in range(3))
    _dense.potts_metropolis(model.h, model.J, x, rng_states, 1.0, 1.0, 1, 50, *scratch, np.zeros((100, 4)), 1)
    assert np.array_equal(one.chains, x) and res.n_steps == 4


def test_identity_that_more_sweeps_do_not_reduce_is_structure_not_lag():
    """Two basins no chain leaves (all sites 0 or all 1): each chain stays far more similar to
    its own past than to other chains whatever the sweeps. The first lagging check raises the
    sweeps; when the excess does not shrink, the next keeps them and counts the chains as at
    equilibrium (the structure is the model's), which the summary says."""
    n, q = 6, 3
    J = np.zeros((n, n, q, q))
    for a in (0, 1):
        J[:, :, a, a] = 3.0
    J[np.arange(n), np.arange(n)] = 0
    model = PottsModel(np.zeros((n, q)), J)
    X = np.repeat(np.array([[0] * n, [1] * n], dtype=np.int8), 50, axis=0)
    res = fit_bm(
        X,
        q=q,
        weights="uniform",
        init=model,
        n_chains=200,
        sweeps_per_step=4,
        learning_rate=1e-6,
        check_every=2,
        max_steps=6,
        target_pearson=1.0,
        burn_in=20,
        seed=2,
        n_threads=1,
    )
    assert list(res.trace["sweeps"]) == [4, 4, 6, 6, 6, 6]
    assert res.equilibrated is True and res.sweeps_per_step == 6
    ident = res.model.metadata["chain_identity"]
    assert ident["persistent"] and ident["own_past"] > ident["between"] + 0.3
    assert "keep to their subfamilies" in res.summary()
