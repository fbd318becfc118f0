"""Fit a Potts model to the built-in family, sample new sequences and check what they reproduce.

python examples/generate_sequences.py
"""

import isingbio
from isingbio import data


def main():
    aln = data.example_alignment()
    model = isingbio.fit_plm(aln, seed=1).model
    samples = isingbio.sample_sequences(model, 2000, beta=1.0, n_chains=16, burn_in=500, thin=10, seed=2)
    print(samples.summary())
    print("\n".join(samples.sequences()[:5]))

    comparison = isingbio.compare_statistics(samples, aln, model=model)
    print(comparison.summary())
    comparison.plot("statistics.png")
    print("wrote statistics.png")

    # single-mutant effects on the target sequence (Delta E > 0: less favourable)
    delta = isingbio.mutation_effects(model, aln.target_sequence)
    site, letter = divmod(int(delta.argmin()), delta.shape[1])
    print(
        f"most favourable single mutant of the target: position {aln.positions[site]} -> "
        f"{aln.alphabet.letters[letter]} (Delta E = {delta.min():.3f})"
    )


if __name__ == "__main__":
    main()
