"""Generative use of dense Potts models against exact answers.

Sampling tests compare sampled sequences with the exact Boltzmann distribution from
enumeration (L = 5, q = 3): chi-square of the joint histogram (rare states pooled, p threshold
1e-6, fixed seeds) and one- and two-site marginals within 5 Monte Carlo standard errors.
"""

import itertools
import warnings

import numpy as np
import pytest

from isingbio import InputError, PottsModel, SamplingWarning
from isingbio.alignment import read_alignment
from isingbio.alphabets import PROTEIN
from isingbio.plot import plot_mutation_heatmap
from isingbio.scoring import mutation_effects, mutation_table, score_sequences, write_mutation_table
from isingbio.sequence_sampling import condition_model, parse_fixed, sample_sequences
from isingbio.sequence_statistics import compare_statistics
from isingbio.sequences import encode_sequences, format_positions, model_alphabet


def random_dense(rng, L, q, coupling=0.5, field=1.0, dtype=np.float64):
    h = rng.normal(0, field, (L, q))
    J = rng.normal(0, coupling, (L, L, q, q))
    J = (J + J.transpose(1, 0, 3, 2)) / 2
    J[np.arange(L), np.arange(L)] = 0
    return PottsModel(h.astype(dtype), J.astype(dtype))


def ferro_dense(L, q, J=2.0, h0=0.0):
    """All-to-all Potts ferromagnet in dense form; field h0 on state 0."""
    Jm = np.zeros((L, L, q, q))
    Jm[:, :] = J * np.eye(q)
    Jm[np.arange(L), np.arange(L)] = 0
    h = np.zeros((L, q))
    h[:, 0] = h0
    return PottsModel(h, Jm)


def enumerate_model(model, beta=1.0):
    configs = np.array(list(itertools.product(range(model.q), repeat=model.n_sites)), dtype=np.int8)
    lw = -beta * model.energy(configs)
    p = np.exp(lw - lw.max())
    return configs, p / p.sum()


@pytest.fixture(scope="module")
def small_model():
    return random_dense(np.random.default_rng(7), 5, 3, coupling=0.6, field=0.8)


@pytest.fixture(scope="module")
def small_samples(small_model):
    with warnings.catch_warnings():
        warnings.simplefilter("error", SamplingWarning)
        return sample_sequences(small_model, 20000, beta=1.0, n_chains=100, burn_in=50, thin=5, seed=11, n_threads=1)


# -- exact distribution ----------------------------------------------------------------------
def test_samples_follow_the_exact_distribution(small_model, small_samples, chi_square):
    configs, p = enumerate_model(small_model)
    assert chi_square(configs, p, small_samples.states) > 1e-6


def test_one_and_two_site_marginals_match_enumeration(small_model, small_samples):
    configs, p = enumerate_model(small_model)
    L, q = small_model.n_sites, small_model.q
    x = small_samples.states
    tau = max(1.0, 2 * small_samples.diagnostics.tau_int / small_samples.thin)  # in records, conservative
    n_eff = len(x) / tau
    for i in range(L):
        for a in range(q):
            exact = p[configs[:, i] == a].sum()
            est = (x[:, i] == a).mean()
            assert abs(est - exact) < 5 * np.sqrt(exact * (1 - exact) / n_eff) + 1e-12
    for i, j in itertools.combinations(range(L), 2):
        for a, b in itertools.product(range(q), repeat=2):
            exact = p[(configs[:, i] == a) & (configs[:, j] == b)].sum()
            est = ((x[:, i] == a) & (x[:, j] == b)).mean()
            assert abs(est - exact) < 5 * np.sqrt(exact * (1 - exact) / n_eff) + 1e-12


def test_energies_and_metadata(small_model, small_samples):
    s = small_samples
    assert s.states.shape == (20000, 5) and s.states.dtype == np.int8
    np.testing.assert_allclose(s.energy, small_model.energy(s.states), atol=1e-9)
    assert np.all(np.bincount(s.chain) == 200)
    assert s.sweep.min() == 55 and s.sweep.max() == 50 + 5 * 200
    assert s.diagnostics.decorrelated and s.diagnostics.r_hat < 1.05
    assert s.seed == 11


def test_beta_changes_the_distribution(small_model, chi_square):
    s = sample_sequences(small_model, 8000, beta=0.5, n_chains=100, burn_in=50, thin=5, seed=3, n_threads=1)
    configs, p = enumerate_model(small_model, beta=0.5)
    assert chi_square(configs, p, s.states) > 1e-6


@pytest.mark.parametrize("method", ["metropolis", "gibbs"])
def test_fixed_positions_give_the_exact_conditional(small_model, method, chi_square):
    fixed = {2: 1, 5: 0}  # residue numbers 1..L (model without positions)
    s = sample_sequences(
        small_model, 10000, fixed=fixed, method=method, n_chains=100, burn_in=50, thin=5, seed=5, n_threads=1
    )
    assert np.all(s.states[:, 1] == 1) and np.all(s.states[:, 4] == 0)
    assert s.fixed == {2: "1", 5: "0"}
    configs, p = enumerate_model(small_model)
    keep = (configs[:, 1] == 1) & (configs[:, 4] == 0)
    free = [0, 2, 3]
    pc = p[keep] / p[keep].sum()
    assert chi_square(configs[keep][:, free], pc, s.states[:, free]) > 1e-6
    np.testing.assert_allclose(s.energy, small_model.energy(s.states), atol=1e-9)


def test_condition_model_energy_offset(rng):
    model = random_dense(rng, 7, 4)
    fixed = {1: 3, 4: 0, 6: 2}
    cond, free, const = condition_model(model, fixed)
    assert cond.n_sites == 4 and list(free) == [0, 2, 3, 5]
    x = rng.integers(0, 4, (50, 7))
    for i, a in fixed.items():
        x[:, i] = a
    np.testing.assert_allclose(model.energy(x), cond.energy(x[:, free]) + const, atol=1e-10)


def test_condition_model_keeps_float32(rng):
    model = random_dense(rng, 6, 3, dtype=np.float32)
    cond, _, _ = condition_model(model, {0: 1})
    assert cond.dtype == np.float32


def test_every_site_fixed(small_model):
    s = sample_sequences(small_model, 5, fixed="1=0,2=1,3=2,4=0,5=1", seed=1)
    assert np.all(s.states == [0, 1, 2, 0, 1])
    np.testing.assert_allclose(s.energy, small_model.energy(s.states))


# -- start sequence ------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["heatbath", "metropolis"])
def test_start_sequence_is_used(method):
    model = ferro_dense(6, 3, J=2.0)  # three ground states, flipping one site costs 10
    start = "222222"
    s = sample_sequences(
        model,
        300,
        beta=2.0,
        start=start,
        n_chains=30,
        burn_in=20,
        thin=2,
        seed=1,
        method=method,
        n_threads=1,
        warn=False,
    )
    assert np.all(s.start == 2)
    assert np.all(s.states == 2)
    assert np.all(s.diagnostics.hamming_from_start == 0)
    # without a start the chains end in different ground states
    r = sample_sequences(
        model, 300, beta=2.0, n_chains=30, burn_in=20, thin=2, seed=1, method=method, n_threads=1, warn=False
    )
    assert len(np.unique(r.states[:, 0])) >= 2


def test_start_per_chain_and_fixed_override():
    model = ferro_dense(4, 3, J=2.0)
    s = sample_sequences(
        model, 6, beta=3.0, start=["0000", "1111", "2222"], n_chains=3, burn_in=0, thin=1, seed=2, warn=False
    )
    assert [row[0] for row in s.start.tolist()] == [0, 1, 2]
    assert np.array_equal(s.states[s.chain == 1], np.ones((2, 4)))
    # a fixed letter replaces the start's letter there
    t = sample_sequences(model, 4, start="1111", fixed="2=0", n_chains=2, burn_in=0, thin=1, seed=2, warn=False)
    assert np.all(t.start[:, 1] == 0) and np.all(t.states[:, 1] == 0)
    with pytest.raises(InputError, match="length 3"):
        sample_sequences(model, 4, start="111")
    with pytest.raises(InputError, match="one per chain"):
        sample_sequences(model, 4, start=["0000", "1111"], n_chains=3)


# -- diagnostics -----------------------------------------------------------------------------
def test_warning_when_chains_are_stuck():
    # field on state 0 makes "all 0" the ground state; chains that fell into "all 1" or
    # "all 2" stay there at this beta, so the chains disagree on the energy
    model = ferro_dense(8, 3, J=1.0, h0=0.5)
    with pytest.warns(SamplingWarning, match="R-hat"):
        s = sample_sequences(model, 400, beta=3.0, n_chains=20, burn_in=10, thin=1, seed=4, n_threads=1)
    assert not s.diagnostics.decorrelated
    assert s.diagnostics.r_hat > 1.1


def test_warning_when_chains_still_move_apart():
    # weak model, a common start and a run far too short to forget it
    rng = np.random.default_rng(1)
    model = random_dense(rng, 40, 4, coupling=0.05, field=0.1)
    with pytest.warns(SamplingWarning):
        s = sample_sequences(
            model,
            200,
            beta=1.0,
            start="0" * 40,
            n_chains=20,
            burn_in=0,
            thin=1,
            method="metropolis",
            seed=1,
            n_threads=1,
        )
    d = s.diagnostics
    assert d.common_start
    assert d.hamming_between[0] == 0 and d.hamming_from_start[:, 0].max() == 0
    assert d.hamming_from_start[:, -1].mean() > 0.3


def test_same_seed_same_sequences_whatever_threads(small_model):
    a = sample_sequences(small_model, 300, n_chains=6, burn_in=5, thin=2, seed=9, n_threads=1)
    b = sample_sequences(small_model, 300, n_chains=6, burn_in=5, thin=2, seed=9, n_threads=2)
    assert np.array_equal(a.states, b.states)


def test_n_not_a_multiple_of_chains(small_model):
    s = sample_sequences(small_model, 23, n_chains=5, burn_in=2, thin=1, seed=1, warn=False)
    assert len(s) == 23
    assert np.bincount(s.chain).tolist() == [5, 5, 5, 4, 4]
    assert list(s.chain) == sorted(s.chain)
    t = sample_sequences(small_model, 3, n_chains=8, burn_in=2, thin=1, seed=1, warn=False)
    assert t.n_chains == 3 and len(t) == 3


def test_refuses_non_dense_models():
    with pytest.raises(InputError, match="dense"):
        sample_sequences(PottsModel.lattice((4,), 3), 10)


# -- fixed positions: parsing ----------------------------------------------------------------
def test_parse_fixed_uses_positions_and_letters(rng):
    model = random_dense(rng, 5, 21)
    model.alphabet = PROTEIN
    model.positions = np.array([10, 11, 12, 14, 15])
    assert parse_fixed("12=K,15=a", model) == {2: PROTEIN.letters.index("K"), 4: 1}
    assert parse_fixed({10: "W", 14: 0}, model) == {0: PROTEIN.letters.index("W"), 3: 0}
    assert parse_fixed([(11, "-")], model) == {1: 0}
    with pytest.raises(InputError, match="position 13 is not a position of the model .positions 10-12,14-15"):
        parse_fixed("13=K", model)
    with pytest.raises(InputError, match="letter 'B' at position 12 is not in the model's alphabet"):
        parse_fixed("12=B", model)
    with pytest.raises(InputError, match="POSITION=LETTER"):
        parse_fixed("12K", model)
    with pytest.raises(InputError, match="fixed twice"):
        parse_fixed("12=K,12=A", model)
    with pytest.raises(InputError, match="state code 21"):
        parse_fixed({12: 21}, model)


# -- encoding, FASTA -------------------------------------------------------------------------
def test_encode_decode_and_fasta_roundtrip(tmp_path, rng):
    model = random_dense(rng, 6, 21, coupling=0.1)
    model.alphabet = PROTEIN
    model.positions = np.arange(101, 107)
    s = sample_sequences(model, 12, n_chains=4, burn_in=10, thin=2, seed=3, warn=False)
    seqs = s.sequences()
    assert np.array_equal(encode_sequences(seqs, PROTEIN, 6), s.states)
    path = tmp_path / "s.fasta"
    s.write_fasta(path)
    aln = read_alignment(path)
    assert np.array_equal(aln.matrix, s.states)
    assert aln.ids[0] == "sample_000001"
    assert "positions=101-106" in path.read_text().splitlines()[0]
    with pytest.raises(InputError, match="sequence 2 has length 5"):
        encode_sequences(["ACDEFG", "ACDEF"], PROTEIN)
    with pytest.raises(InputError, match="sequence 1: character '@'"):
        encode_sequences(["ACDEF@"], PROTEIN)


def test_default_alphabets(rng):
    assert model_alphabet(random_dense(rng, 3, 21)).letters == PROTEIN.letters
    assert model_alphabet(random_dense(rng, 3, 4)).letters == "0123"
    assert format_positions([1, 2, 3, 7, 9, 10]) == "1-3,7,9-10"


# -- scoring ---------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_mutation_effects_are_energy_differences(rng, dtype):
    model = random_dense(rng, 7, 4, dtype=dtype)
    x = rng.integers(0, 4, 7)
    delta = mutation_effects(model, x)
    assert delta.shape == (7, 4) and delta.dtype == np.float64
    e0 = model.energy(x)
    for i in range(7):
        for b in range(4):
            y = x.copy()
            y[i] = b
            tol = 1e-9 if dtype == np.float64 else 1e-4
            assert delta[i, b] == pytest.approx(model.energy(y) - e0, abs=tol)
    assert np.all(delta[np.arange(7), x] == 0)


def test_mutation_table_rows(tmp_path, rng):
    model = random_dense(rng, 3, 21)
    model.positions = np.array([5, 6, 7])
    delta = mutation_effects(model, "AC-")
    rows = mutation_table(delta, "AC-", PROTEIN, model.positions)
    assert len(rows) == 3 * 20
    assert rows[0][:4] == ("A5-", 5, "A", "-")
    path = tmp_path / "m.csv"
    write_mutation_table(path, delta, "AC-", PROTEIN, model.positions)
    lines = path.read_text().splitlines()
    assert lines[0] == "mutant,position,wt,mt,delta_e" and len(lines) == 61
    mut = next(line for line in lines if line.startswith("C6K,"))
    assert float(mut.split(",")[-1]) == pytest.approx(delta[1, PROTEIN.letters.index("K")], rel=1e-5)


def test_log_prob_is_normalised(small_model):
    configs, p = enumerate_model(small_model, beta=1.3)
    lw = -1.3 * small_model.energy(configs)
    log_z = float(np.log(np.exp(lw - lw.max()).sum()) + lw.max())
    energy, log_p = score_sequences(small_model, configs, log_z=log_z, beta=1.3)
    np.testing.assert_allclose(np.exp(log_p), p, rtol=1e-10)
    np.testing.assert_allclose(energy, small_model.energy(configs))
    assert score_sequences(small_model, configs[:2])[1] is None
    with pytest.raises(InputError, match="finite"):
        score_sequences(small_model, configs[:2], log_z=float("nan"))


def test_score_sequences_takes_beta_from_the_ais_result(small_model):
    import isingbio

    res = isingbio.ais(small_model, 0.7, n_chains=16, n_steps=10, seed=1)
    codes = np.array([[0, 1, 2, 0, 1], [2, 2, 1, 0, 0]], dtype=np.int8)  # L = 5, q = 3
    energy, log_p = score_sequences(small_model, codes, log_z=res)  # beta = res.beta, not 1
    np.testing.assert_allclose(log_p, -0.7 * energy - res.log_z)
    with pytest.raises(InputError, match="beta"):
        score_sequences(small_model, np.zeros((1, small_model.n_sites), dtype=np.int8), log_z=res, beta=1.0)


# -- model checking --------------------------------------------------------------------------
def test_compare_statistics_on_samples_of_the_model(tmp_path):
    model = random_dense(np.random.default_rng(3), 8, 4, coupling=0.4, field=0.8)
    a = sample_sequences(model, 6000, n_chains=60, burn_in=50, thin=5, seed=1, n_threads=1)
    b = sample_sequences(model, 6000, n_chains=60, burn_in=50, thin=5, seed=2, n_threads=1)
    cmp = compare_statistics(a, b.states, weights="uniform", three_site=True, n_triplets=2000)
    assert cmp.pearson["one_site"] > 0.995 and abs(cmp.slope["one_site"] - 1) < 0.02
    assert cmp.pearson["two_site"] > 0.95 and abs(cmp.slope["two_site"] - 1) < 0.1
    assert cmp.pearson["three_site"] > 0.3  # small values, noisy at 6000 samples
    assert cmp.c2_samples.shape == (28 * 16,) and cmp.pairs.shape == (28, 2)
    assert cmp.energy_samples is not None and cmp.energy_alignment.shape == (6000,)
    edges, hs, ha = cmp.energy_histograms()
    assert hs.shape == ha.shape == (len(edges) - 1,)
    assert "Pearson r" in cmp.summary()
    # reweighting: the default computes sequence weights
    w = compare_statistics(a.states[:500], b.states[:500])
    assert w.n_eff_alignment <= 500
    cmp.plot(tmp_path / "stats.png")
    a.diagnostics.plot(tmp_path / "mix.png")
    plot_mutation_heatmap(
        mutation_effects(model, a.states[0]), tmp_path / "heat.png", a.states[0], model_alphabet(model)
    )
    for name in ("stats.png", "mix.png", "heat.png"):
        assert (tmp_path / name).stat().st_size > 1000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["heat.png", "mix.png", "stats.png"]


def test_compare_statistics_exact_frequencies():
    x = np.array([[0, 1], [0, 0], [1, 1], [1, 1]], dtype=np.int8)
    w = np.array([1.0, 1.0, 0.5, 0.5])
    cmp = compare_statistics(x, x, weights=w)
    np.testing.assert_allclose(cmp.f1_alignment, [[2 / 3, 1 / 3], [1 / 3, 2 / 3]])
    f11 = 1 / 3  # weight of x = (1, 1)
    assert cmp.c2_alignment[3] == pytest.approx(f11 - (1 / 3) * (2 / 3))
    with pytest.raises(InputError, match="weights must have shape"):
        compare_statistics(x, x, weights=[1.0])
    with pytest.raises(InputError, match="columns"):
        compare_statistics(x, x[:, :1])
