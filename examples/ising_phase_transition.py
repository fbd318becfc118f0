"""Magnetisation and specific heat of the 2D Ising model through its phase transition.

Runs Swendsen-Wang on an n x n torus at a few temperatures around T_c = 2.269 and compares
the measured energy per site with Kaufman's exact finite-torus solution.

    python examples/ising_phase_transition.py [--size 32] [--sweeps 2000]
"""

import argparse

import numpy as np

import isingbio
from isingbio import exact


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--sweeps", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    n = args.size
    model = isingbio.IsingModel.lattice((n, n), J=1.0)
    seeds = np.random.SeedSequence(args.seed).spawn(9)
    print(f"{'T':>6} {'E/N':>10} {'+/-':>8} {'exact':>10} {'C/N':>7} {'|m|':>7}")
    for t, seed in zip(np.linspace(1.8, 3.0, 9), seeds):
        res = isingbio.sample(
            model, beta=1 / t, n_sweeps=args.sweeps, burn_in=200, method="swendsen-wang", n_chains=4, seed=seed
        )
        e = res.estimate("energy_per_site")
        m = res.estimate("abs_magnetization")
        c = res.specific_heat()
        e_exact = exact.ising_torus_thermodynamics(n, n, 1 / t).energy_per_site
        print(f"{t:6.3f} {e.mean:10.5f} {e.stderr:8.5f} {e_exact:10.5f} {c.mean:7.3f} {m.mean:7.3f}")


if __name__ == "__main__":
    main()
