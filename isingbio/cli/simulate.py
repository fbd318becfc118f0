"""``isingbio simulate``: Monte Carlo on a lattice, one temperature or a scan."""
from __future__ import annotations

import math

import numpy as np

from ..errors import InputError
from .common import add_common_options, atomic_path, show_progress


def _shape(text: str) -> tuple:
    try:
        shape = tuple(int(s) for s in text.lower().replace("*", "x").split("x"))
    except ValueError:
        raise InputError(f"--shape must look like 64x64 or 16x16x16, got {text!r}") from None
    return shape


def _temperature_range(text: str) -> np.ndarray:
    """'2.0:2.6:13' -> 13 temperatures from 2.0 to 2.6; '2.0,2.2,2.5' -> a list."""
    try:
        if ":" in text:
            lo, hi, n = text.split(":")
            values = np.linspace(float(lo), float(hi), int(n))
        else:
            values = np.array([float(v) for v in text.split(",")])
    except ValueError:
        raise InputError(f"--temperatures must look like 2.0:2.6:13 or 2.0,2.2,2.4, got {text!r}") from None
    if values.size == 0 or not np.all(np.isfinite(values)) or np.any(values <= 0):
        raise InputError(f"--temperatures must be finite and > 0, got {text!r}")
    return values


def register(subparsers):
    p = subparsers.add_parser(
        "simulate", help="Monte Carlo simulation of an Ising or Potts model on a lattice",
        description="Sample an Ising (q = 2) or q-state Potts model on a periodic lattice and print "
                    "energy, magnetisation and specific heat with error bars. With --temperatures, "
                    "scan a range and show the phase transition.")
    p.add_argument("--shape", default="32x32", help="lattice shape, e.g. 64x64 or 16x16x16 (default 32x32)")
    p.add_argument("--q", type=int, default=2, help="number of states: 2 is Ising (spins -1/+1), >2 Potts")
    p.add_argument("--J", type=float, default=1.0, help="coupling (default 1)")
    p.add_argument("--h", type=float, default=0.0,
                   help="uniform field (Ising: on s = +1; Potts: on state 0) (default 0)")
    p.add_argument("--open", action="store_true", help="open boundaries instead of periodic")
    temp = p.add_mutually_exclusive_group()
    temp.add_argument("--beta", type=float, default=None, help="inverse temperature")
    temp.add_argument("--temperature", "-T", type=float, default=None,
                      help="temperature (default: the 2D square-lattice critical point for this q)")
    temp.add_argument("--temperatures", default=None, metavar="LO:HI:N",
                      help="scan temperatures, e.g. 1.8:3.0:13 (or a comma list)")
    p.add_argument("--method", default=None, choices=["metropolis", "heatbath", "swendsen-wang", "wolff"],
                   help="default: metropolis for one temperature, swendsen-wang for a scan")
    p.add_argument("--sweeps", type=int, default=2000, help="sweeps recorded per chain (default 2000)")
    p.add_argument("--burn-in", type=int, default=500, help="sweeps discarded first (default 500)")
    p.add_argument("--thin", type=int, default=1, help="sweeps between records (default 1)")
    p.add_argument("--chains", type=int, default=2, help="independent chains (default 2)")
    p.add_argument("--init", default="random", choices=["random", "ordered"], help="starting states")
    add_common_options(p, output="write an .npz with the recorded series and final states",
                       plot="write a PNG: traces (one temperature) or E, C, |m|, chi against T (scan)")
    p.set_defaults(func=run)
    return p


def _build_model(args):
    from ..models import IsingModel, PottsModel
    shape = _shape(args.shape)
    periodic = not args.open
    if args.q == 2:
        return IsingModel.lattice(shape, J=args.J, h=args.h, periodic=periodic)
    h = np.zeros(args.q)
    h[0] = args.h
    return PottsModel.lattice(shape, args.q, J=args.J, h=h, periodic=periodic)


def _critical_temperature(q: int, J: float) -> float:
    """2D square lattice: Ising T_c = 2J / ln(1 + sqrt 2); Potts T_c = J / ln(1 + sqrt q)."""
    if q == 2:
        return 2 * abs(J) / math.log(1 + math.sqrt(2))
    return abs(J) / math.log(1 + math.sqrt(q))


def run(args) -> int:
    from ..sampling import sample
    model = _build_model(args)
    dims = len(model.shape)
    kind = "Ising" if args.q == 2 else f"{args.q}-state Potts"
    boundary = "open" if args.open else "periodic"
    print(f"{kind} model on a {'x'.join(map(str, model.shape))} {boundary} lattice, J = {args.J:g}, h = {args.h:g}")
    if args.temperatures:
        return _scan(args, model, _temperature_range(args.temperatures))
    if args.beta is not None:
        beta = args.beta
    elif args.temperature is not None:
        if not args.temperature > 0:
            raise InputError(f"--temperature must be > 0, got {args.temperature}")
        beta = 1.0 / args.temperature
    else:
        if dims != 2:
            raise InputError("give --temperature or --beta (the default is the 2D critical point)")
        beta = 1.0 / _critical_temperature(args.q, args.J)
    method = args.method or "metropolis"
    result = sample(model, beta, args.sweeps, method=method, n_chains=args.chains, burn_in=args.burn_in,
                    thin=args.thin, init=args.init, seed=args.seed, n_threads=args.threads,
                    progress=show_progress(args))
    print(result.summary())
    if args.output:
        with atomic_path(args.output) as tmp:
            np.savez_compressed(tmp, energy=result.energy, magnetization=result.magnetization,
                                final_states=result.final_states, seed=result.seed, beta=beta, method=method,
                                shape=np.array(model.shape), q=args.q, J=args.J, h=args.h,
                                burn_in=args.burn_in, thin=args.thin)
        print(f"wrote {args.output}")
    if args.plot:
        from ..plot import plot_traces
        plot_traces(result, args.plot)
        print(f"wrote {args.plot}")
    return 0


def _scan(args, model, temperatures) -> int:
    from .._random import as_seed_sequence, seed_entropy
    from ..sampling import sample
    method = args.method or ("swendsen-wang" if model.is_ferromagnetic else "metropolis")
    seq = as_seed_sequence(args.seed)
    seed = seed_entropy(seq)
    streams = seq.spawn(len(temperatures))
    keys = ("energy", "specific_heat", "abs_magnetization", "susceptibility")
    table = {k: np.zeros((len(temperatures), 2)) for k in keys}
    taus = np.zeros(len(temperatures))
    print(f"{method}, {args.chains} chain(s) x {args.sweeps} sweeps after {args.burn_in} burn-in per temperature, seed {seed}")
    print(f"{'T':>8} {'E/N':>10} {'+/-':>8} {'C/N':>9} {'+/-':>8} {'|m|':>8} {'+/-':>8} {'chi/N':>9} {'+/-':>8} {'tau_E':>7}")
    for k, t in enumerate(temperatures):
        res = sample(model, 1.0 / t, args.sweeps, method=method, n_chains=args.chains, burn_in=args.burn_in,
                     thin=args.thin, init=args.init, seed=streams[k], n_threads=args.threads,
                     progress=show_progress(args))
        e = res.estimate("energy_per_site")
        c = res.specific_heat()
        m = res.estimate("abs_magnetization")
        chi = res.susceptibility()
        for key, est in zip(keys, (e, c, m, chi)):
            table[key][k] = est.mean, est.stderr
        taus[k] = e.tau_int * res.thin
        print(f"{t:8.4f} {e.mean:10.5f} {e.stderr:8.5f} {c.mean:9.4f} {c.stderr:8.4f} {m.mean:8.4f} "
              f"{m.stderr:8.4f} {chi.mean:9.3f} {chi.stderr:8.3f} {taus[k]:7.2f}")
    if args.output:
        with atomic_path(args.output) as tmp:
            np.savez_compressed(tmp, temperatures=temperatures, tau_int=taus, seed=seed, method=method,
                                shape=np.array(model.shape), q=args.q, J=args.J, h=args.h,
                                **{k: v for k, v in table.items()})
        print(f"wrote {args.output}")
    if args.plot:
        from ..plot import plot_scan
        exact = _onsager_curves(args, model, temperatures)
        plot_scan(temperatures, table, args.plot, exact=exact,
                  title=f"{'Ising' if args.q == 2 else f'{args.q}-state Potts'} "
                        f"{'x'.join(map(str, model.shape))}, {method}")
        print(f"wrote {args.plot}")
    return 0


def _onsager_curves(args, model, temperatures):
    """Exact infinite-lattice curves for the 2D Ising model in zero field, if available."""
    if args.q != 2 or len(model.shape) != 2 or args.h != 0 or args.J <= 0:
        return None
    try:
        from ..exact import onsager_energy, onsager_magnetization, onsager_specific_heat
    except ImportError:
        return None
    t = np.linspace(temperatures.min(), temperatures.max(), 400)
    betas = 1.0 / t
    return {"energy": (t, np.array([onsager_energy(b, args.J) for b in betas])),
            "specific_heat": (t, np.array([onsager_specific_heat(b, args.J) for b in betas])),
            "abs_magnetization": (t, np.array([onsager_magnetization(b, args.J) for b in betas])),
            "label": "Onsager (infinite lattice)"}
