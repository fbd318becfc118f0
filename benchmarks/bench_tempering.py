"""Parallel tempering throughput: sweeps per second per replica on a 3D +-J Edwards-Anderson
glass, L = 8 (512 spins), 32 temperatures geometric in T from 0.5 to 3.0, Metropolis, one
thread, a swap round after every sweep; round trips of replicas through the ladder; and the
same instance and ladder through peapods' parallel tempering (``Ising(..., couplings=<array>)``,
``sample(n, "metropolis", pt_interval=1, sequential=True)``) in the same run, with the ratio.

peapods runs in this process when importable, else in a subprocess of ``--peapods-python``
(a Python with peapods installed), with RAYON_NUM_THREADS=1. Wall time and CPU time are both
printed: on a busy machine the CPU time is the better figure. Each side runs ``--repeat``
times, alternating; the best of each is compared.

    python benchmarks/bench_tempering.py [--sweeps N] [--repeat R] [--peapods-python PATH]

``--lattice``: lattice models instead, each through the replica engine (the default for
lattices) and through its graph form (the path before the replica engine: the +-J path across
chains for Ising ferromagnets, the per-chain graph path for Potts) in the same run, with the
ratio: 2D Ising 32x32, 3D Ising 8^3 and q = 3 Potts 16x16 ferromagnets, 32 rungs geometric in T
around the critical point, Metropolis, one thread, a swap round after every sweep; and the
cluster methods (Swendsen-Wang, Wolff) on the same models for comparison (sweeps/s per replica:
a Wolff sweep is L / mean cluster size single-cluster updates).

    python benchmarks/bench_tempering.py --lattice [--sweeps N] [--repeat R]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import scipy.sparse as sp

L = 8
N_TEMPS = 32
T_MIN, T_MAX = 0.5, 3.0

PEAPODS_SCRIPT = r"""
import json, sys, time
import numpy as np
from peapods import Ising
couplings = np.load(sys.argv[1])
temps = np.geomspace(float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]))
sweeps = int(sys.argv[5])
m = Ising(couplings.shape[:-1], couplings=couplings, temperatures=temps, n_replicas=1)
m.sample(200, "metropolis", pt_interval=1, sequential=True)
w0, c0 = time.perf_counter(), time.process_time()
m.sample(sweeps, "metropolis", pt_interval=1, sequential=True)
print(json.dumps({"wall": time.perf_counter() - w0, "cpu": time.process_time() - c0}))
"""


def ea_instance(seed: int = 2026) -> tuple[np.ndarray, sp.csr_matrix]:
    """+-J couplings of the L^3 torus: (L, L, L, 3) array (bond to the +1 neighbour along each
    axis, peapods' layout) and the symmetric sparse matrix of the same bonds."""
    rng = np.random.default_rng(seed)
    bonds = rng.choice([-1.0, 1.0], size=(L, L, L, 3))
    idx = np.arange(L**3).reshape(L, L, L)
    i = np.concatenate([idx.ravel()] * 3)
    j = np.concatenate([np.roll(idx, -1, axis=a).ravel() for a in range(3)])
    w = np.concatenate([bonds[..., a].ravel() for a in range(3)])
    J = sp.coo_matrix((w, (i, j)), shape=(L**3, L**3))
    return bonds, (J + J.T).tocsr()


def run_isingbio(J: sp.csr_matrix, sweeps: int) -> dict:
    from isingbio import IsingModel, TemperingSampler
    from isingbio.ladders import temperature_ladder

    model = IsingModel.from_graph(J)
    sampler = TemperingSampler(model, temperature_ladder(T_MIN, T_MAX, N_TEMPS), seed=1, n_threads=1)
    sampler.run(200)
    w0, c0 = time.perf_counter(), time.process_time()
    res = sampler.run(sweeps)
    return {
        "wall": time.perf_counter() - w0,
        "cpu": time.process_time() - c0,
        "round_trips": res.round_trips,
        "round_trip_time": res.round_trip_time,
        "acceptance": (float(np.nanmin(res.swap_acceptance)), float(np.nanmax(res.swap_acceptance))),
    }


def run_peapods(bonds: np.ndarray, sweeps: int, python: str | None) -> dict | None:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "couplings.npy")
        np.save(path, bonds)
        args = [path, str(T_MIN), str(T_MAX), str(N_TEMPS), str(sweeps)]
        env = dict(os.environ, RAYON_NUM_THREADS="1")
        try:
            import peapods  # noqa: F401

            exe = sys.executable
        except ImportError:
            if not python:
                return None
            exe = python
        out = subprocess.run([exe, "-c", PEAPODS_SCRIPT, *args], env=env, capture_output=True, text=True)
        if out.returncode != 0:
            print(f"peapods failed: {out.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
            return None
        return json.loads(out.stdout.strip().splitlines()[-1])


LATTICE_CASES = [  # name, model maker, T_min, T_max
    ("2D Ising 32x32", lambda: __import__("isingbio").IsingModel.lattice((32, 32)), 1.8, 3.0),
    ("3D Ising 8^3", lambda: __import__("isingbio").IsingModel.lattice((8, 8, 8)), 3.8, 5.5),
    ("Potts q=3 16x16", lambda: __import__("isingbio").PottsModel.lattice((16, 16), 3), 0.8, 1.3),
]


def run_lattice(model, method: str, t_min: float, t_max: float, sweeps: int, graph: bool) -> dict:
    from isingbio import TemperingSampler
    from isingbio.ladders import temperature_ladder

    sampler = TemperingSampler(model, temperature_ladder(t_min, t_max, N_TEMPS), method=method, seed=1, n_threads=1)
    if graph:
        sampler._mode = 0  # the graph form, as before the replica engine
    sampler.burn(max(40, sweeps // 10))
    w0, c0 = time.perf_counter(), time.process_time()
    sampler.run(sweeps)
    return {"wall": time.perf_counter() - w0, "cpu": time.process_time() - c0}


def main_lattice(sweeps: int, repeat: int) -> None:
    print(
        f"lattice ferromagnets, {N_TEMPS} rungs geometric in T, 1 thread, swaps every sweep, {sweeps} sweeps "
        f"(cluster methods: {sweeps // 5}); load average {os.getloadavg()[0]:.1f}; "
        f"best of {repeat}, sweeps/s per replica"
    )
    for name, make, t_min, t_max in LATTICE_CASES:
        model = make()
        rows = {}
        for _ in range(repeat):  # alternate the paths
            for key, method, graph, n in [
                ("replica engine", "metropolis", False, sweeps),
                ("graph form", "metropolis", True, sweeps),
                ("swendsen-wang", "swendsen-wang", False, sweeps // 5),
                ("wolff", "wolff", False, sweeps // 5),
            ]:
                r = run_lattice(model, method, t_min, t_max, n, graph)
                rows.setdefault(key, []).append((n / r["wall"], n / r["cpu"]))
        print(f"{name} (T {t_min}..{t_max}):")
        for key, vals in rows.items():
            wall, cpu = max(v[0] for v in vals), max(v[1] for v in vals)
            runs = " / ".join(f"{v[1]:.0f}" for v in vals)
            print(f"  {key:>15}: {wall:9.0f} wall, {cpu:9.0f} CPU (CPU runs {runs})")
        ratio = max(v[1] for v in rows["replica engine"]) / max(v[1] for v in rows["graph form"])
        print(f"  replica engine / graph form (CPU): {ratio:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sweeps", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--peapods-python", default=None, help="a Python with peapods installed")
    parser.add_argument("--lattice", action="store_true", help="lattice ferromagnets: replica engine vs graph form")
    opts = parser.parse_args()
    if opts.lattice:
        main_lattice(opts.sweeps, opts.repeat)
        return
    bonds, J = ea_instance()
    n, s = L**3, opts.sweeps
    print(f"3D +-J EA glass L = {L} ({n} spins), {N_TEMPS} temperatures geometric {T_MIN}..{T_MAX}, ", end="")
    print(f"Metropolis, swaps every sweep, 1 thread, {s} sweeps; load average {os.getloadavg()[0]:.1f}")
    ours, theirs = [], []
    for _ in range(opts.repeat):
        ours.append(run_isingbio(J, s))
        pp = run_peapods(bonds, s, opts.peapods_python)
        if pp is not None:
            theirs.append(pp)

    def rate(r: dict, key: str) -> float:
        return s / r[key]

    def show(name: str, runs: list[dict]) -> tuple[float, float]:
        wall = max(rate(r, "wall") for r in runs)
        cpu = max(rate(r, "cpu") for r in runs)
        all_wall = " / ".join(f"{rate(r, 'wall'):.0f}" for r in runs)
        print(
            f"{name:>9}: {wall:9.0f} sweeps/s per replica wall (runs {all_wall}), {cpu:9.0f} by CPU time; "
            f"{wall * n * N_TEMPS / 1e9:.3f} flips/ns"
        )
        return wall, cpu

    w_ours, c_ours = show("isingbio", ours)
    best = max(ours, key=lambda r: rate(r, "wall"))
    print(
        f"           round trips {best['round_trips']} in {s} sweeps, mean {best['round_trip_time']:.4g} sweeps; "
        f"swap acceptance {best['acceptance'][0]:.2f}..{best['acceptance'][1]:.2f}"
    )
    if theirs:
        w_pp, c_pp = show("peapods", theirs)
        print(f"ratio isingbio / peapods: {w_ours / w_pp:.2f} (wall), {c_ours / c_pp:.2f} (CPU time); target >= 5")
    else:
        print("peapods: not importable (pass --peapods-python /path/to/python with peapods installed)")


if __name__ == "__main__":
    main()
