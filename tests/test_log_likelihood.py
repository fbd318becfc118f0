"""log_likelihood (normalised, with error bars), Alignment.split and the gaps_modelled notes."""

import itertools
import warnings

import numpy as np
import pytest

import isingbio
from isingbio.alignment import Alignment
from isingbio.errors import InputError, ModelWarning
from isingbio.exact import log_partition
from isingbio.likelihood import exact_log_z, log_likelihood
from isingbio.models import PottsModel
from isingbio.sequences import gaps_modelled


def random_model(rng, L, q, coupling=0.5):
    h = rng.normal(0, 1, (L, q))
    J = rng.normal(0, coupling, (L, L, q, q))
    J = (J + J.transpose(1, 0, 3, 2)) / 2
    J[np.arange(L), np.arange(L)] = 0
    return PottsModel(h, J)


def test_profile_model_is_exact(rng):
    L, q = 7, 4
    model = random_model(rng, L, q, coupling=0.0)
    x = rng.integers(0, q, (50, L)).astype(np.int8)
    res = log_likelihood(model, x)
    assert res.log_z_exact and res.log_z_stderr == 0
    # independent sites: log p(x) = sum_i log softmax(h_i)[x_i]
    logp = model.h - np.log(np.exp(model.h).sum(axis=1, keepdims=True))
    expect = logp[np.arange(L), x].sum(axis=1)
    assert res.mean == pytest.approx(expect.mean(), abs=1e-12)
    assert res.stderr == pytest.approx(expect.std(ddof=1) / np.sqrt(len(x)), rel=1e-9)
    assert res.log_z == pytest.approx(log_partition(model, 1.0), abs=1e-9)


def test_enumerable_model_exact_and_weights(rng):
    L, q = 5, 3
    model = random_model(rng, L, q)
    X = np.array(list(itertools.product(range(q), repeat=L)), dtype=np.int8)
    logz = log_partition(model, 1.0)
    exact = -model.energy(X) - logz
    w = rng.random(len(X))
    res = log_likelihood(model, X, weights=w)
    assert res.mean == pytest.approx(float(w @ exact / w.sum()), abs=1e-9)
    assert exact_log_z(model) == pytest.approx(logz, abs=1e-9)


def test_ais_log_z_within_its_error(rng):
    L, q = 6, 3
    model = random_model(rng, L, q)
    X = rng.integers(0, q, (200, L)).astype(np.int8)
    truth = float(np.mean(-model.energy(X) - log_partition(model, 1.0)))
    est = isingbio.ais(model, n_chains=64, n_steps=200, seed=5)
    res = log_likelihood(model, X, log_z=est)
    assert res.log_z_stderr == est.stderr > 0
    assert abs(res.mean - truth) < 4 * res.log_z_stderr + 1e-9
    assert res.stderr >= res.log_z_stderr


def test_log_likelihood_bad_input(rng):
    model = random_model(rng, 30, 21, coupling=0.1)
    x = rng.integers(0, 21, (5, 30)).astype(np.int8)
    with pytest.raises(InputError, match="not known exactly"):
        log_likelihood(model, x)
    with pytest.raises(InputError, match="matrix of state codes"):
        log_likelihood(model, x[:, :10], log_z=1.0)
    with pytest.raises(InputError, match="weights"):
        log_likelihood(model, x, log_z=1.0, weights=[1, 2])


def test_split(rng):
    aln = Alignment.from_sequences(["ACDE", "ACDF", "AC-E", "GCDE", "ACKE", "ACDD", "WCDE", "ACDY", "ACQE", "MCDE"])
    train, test = aln.split(0.3, seed=1)
    assert (train.N, test.N) == (7, 3)
    rows = sorted(train.sequences() + test.sequences())
    assert rows == sorted(aln.sequences())
    assert aln.split(0.3, seed=1)[1].sequences() == test.sequences()
    for bad in (0, 1, 1.5, "x"):
        with pytest.raises(InputError, match="test_fraction"):
            aln.split(bad)
    with pytest.raises(InputError, match="cannot split"):
        aln.subset(rows=[0]).split(0.5)


def test_gaps_modelled_and_notes(tmp_path):
    from isingbio.data import example_alignment_path

    aln = isingbio.read_alignment(example_alignment_path()).subset(rows=slice(0, 300), columns=range(8))
    missing = isingbio.fit_plm(aln, max_iter=5).model
    as_state = isingbio.fit_plm(aln, max_iter=5, ignore_gaps=False).model
    assert gaps_modelled(missing) is False and gaps_modelled(as_state) is True
    assert gaps_modelled(PottsModel(np.zeros((2, 3)), np.zeros((2, 2, 3, 3)))) is None
    path = tmp_path / "m.npz"
    isingbio.save_model(missing, path)
    loaded = isingbio.load_model(path)
    assert loaded.metadata["gaps_modelled"] is False
    with pytest.warns(ModelWarning, match="gaps as missing data") as rec:
        isingbio.sample_sequences(loaded, 4, n_chains=2, burn_in=2, thin=1, seed=1, warn=False)
    assert "\n" not in str(rec[0].message)
    with pytest.warns(ModelWarning):
        isingbio.score_sequences(loaded, aln.matrix[:3])
    with pytest.warns(ModelWarning):
        isingbio.compare_statistics(aln.matrix[:20], aln, model=loaded)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ModelWarning)
        isingbio.score_sequences(as_state, aln.matrix[:3])
