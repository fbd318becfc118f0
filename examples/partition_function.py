"""Estimate log Z by annealed importance sampling and check it against exact answers.

1. The 16 x 16 Ising torus at T_c against Kaufman's formula, with forward (lower) and
   reverse (upper) estimates.
2. A random dense Potts model small enough to enumerate.

    python examples/partition_function.py
"""

import numpy as np

import isingbio
from isingbio import exact


def main():
    beta_c = exact.ising_critical_beta()
    model = isingbio.IsingModel.lattice((16, 16))
    res = isingbio.ais(model, beta=beta_c, n_chains=256, n_steps=5000, bidirectional=True, seed=1)
    print(res.summary())
    print(f"exact (Kaufman): {exact.ising_torus_log_partition(16, 16, beta_c):.6f}\n")

    rng = np.random.default_rng(2)
    L, q = 6, 4
    J = rng.normal(0, 0.5, (L, L, q, q))
    J = (J + J.transpose(1, 0, 3, 2)) / 2
    J[np.arange(L), np.arange(L)] = 0
    dense = isingbio.PottsModel(rng.normal(0, 0.5, (L, q)), J)
    res = isingbio.ais(dense, n_chains=256, n_steps=2000, seed=3)
    print(
        f"dense Potts L={L}, q={q}: AIS {res.log_z:.5f} +/- {res.stderr:.5f}, "
        f"exact {exact.log_partition(dense, 1.0):.5f}"
    )


if __name__ == "__main__":
    main()
