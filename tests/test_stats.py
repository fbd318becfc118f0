import numpy as np
import pytest

from isingbio import stats


def ar1(rng, phi, n, n_chains=1):
    x = np.zeros((n_chains, n))
    noise = rng.normal(size=(n_chains, n))
    for t in range(1, n):
        x[:, t] = phi * x[:, t - 1] + noise[:, t]
    return x


def test_tau_int_of_ar1_process(rng):
    phi = 0.8  # exact tau_int = (1 + phi) / (2 (1 - phi)) = 4.5
    x = ar1(rng, phi, 50000, n_chains=4)
    assert stats.tau_int(x) == pytest.approx(4.5, rel=0.1)


def test_white_noise_has_tau_one_half(rng):
    assert stats.tau_int(rng.normal(size=20000)) == pytest.approx(0.5, abs=0.05)


def test_error_bar_covers_the_truth_at_the_right_rate(rng):
    phi = 0.9
    hits = 0
    trials = 200
    for _ in range(trials):
        est = stats.mean_and_error(ar1(rng, phi, 2000))
        hits += abs(est.mean) < est.stderr
    # one-sigma coverage should be near 68%; a bar that ignores correlation gives ~25%
    assert 0.55 < hits / trials < 0.82


def test_both_error_methods_match_the_exact_error(rng):
    phi, n = 0.7, 100000
    exact = np.sqrt(2 * (1 + phi) / (2 * (1 - phi)) / (1 - phi**2) / n)
    x = ar1(rng, phi, n)
    assert stats.mean_and_error(x).stderr == pytest.approx(exact, rel=0.15)
    # 64 batches: the error of the error is about 1/sqrt(2*63) = 9%
    assert stats.batch_means_error(x, n_batches=64) == pytest.approx(exact, rel=0.35)


def test_estimate_unpacks():
    mean, err = stats.mean_and_error(np.arange(10.0))
    assert mean == 4.5 and err > 0
