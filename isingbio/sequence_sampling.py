"""Sequences drawn from a dense Potts model by Markov chain Monte Carlo, with mixing diagnostics.

:func:`sample_sequences` runs many chains in parallel (heat-bath/Gibbs or Metropolis, through
:class:`isingbio.Sampler`), optionally from a given start sequence and with some positions
held fixed, and returns the sequences (:class:`GeneratedSamples`) with diagnostics of how
well the chains mixed (:class:`MixingDiagnostics`).

Fixed positions
---------------
Holding site ``i`` at state ``a`` is exact conditioning: the free sites follow a Potts model
with fields ``h'_j(b) = h_j(b) + sum_{i fixed} J[j, i, b, a_i]`` and the couplings among
themselves (:func:`condition_model`). That model is sampled and the fixed letters are put
back, so fixed sites never move and the free sites have exactly the conditional distribution.
"""

from __future__ import annotations

import logging
import math
import re
import time
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

import numpy as np

from . import stats
from ._progress import progress_bar
from ._typing import ArrayLike, PathLike, SeedLike
from ._validation import check_beta, check_memory, check_positive_int
from .alphabets import Alphabet
from .errors import InputError, ModelWarning, SamplingWarning
from .models import PottsModel
from .sequences import (
    _check_dense,
    decode_states,
    encode_sequences,
    format_positions,
    gap_note,
    model_alphabet,
    model_positions,
    write_fasta,
)

__all__ = ["parse_fixed", "condition_model", "sample_sequences", "GeneratedSamples", "MixingDiagnostics"]

logger = logging.getLogger(__name__)

_FIX_ITEM = re.compile(r"^\s*([+-]?\d+)\s*[=:]\s*(\S+)\s*$")


def parse_fixed(
    fixed: str | dict[int, str | int] | Iterable[tuple[int, str | int]] | None, model: PottsModel
) -> dict[int, int]:
    """Positions to hold fixed, as ``{site index: state code}``.

    Parameters
    ----------
    fixed : None, str, dict or iterable of pairs
        ``"12=K,40=A"`` (the model's residue numbers and letters of its alphabet), a dict
        ``{12: "K", 40: "A"}``, or pairs; a value may also be an integer state code.
        Keys are residue numbers (``model.positions``; 1..L without them), not 0-based
        indices.
    model : PottsModel

    Returns
    -------
    dict
        0-based site index -> state code, sorted by site.
    """
    if fixed is None:
        return {}
    alpha = model_alphabet(model)
    positions = model_positions(model)
    index_of = {int(p): k for k, p in enumerate(positions.tolist())}
    items: list[tuple[Any, Any]] = []
    if isinstance(fixed, str):
        for part in re.split(r"[,\s]+", fixed.strip()):
            if not part:
                continue
            m = _FIX_ITEM.match(part)
            if not m:
                raise InputError(f"cannot read fixed position {part!r}: write POSITION=LETTER, e.g. 12=K")
            items.append((int(m.group(1)), m.group(2)))
    elif isinstance(fixed, dict):
        items = list(fixed.items())
    else:
        try:
            items = [(p, v) for p, v in fixed]
        except (TypeError, ValueError):
            raise InputError(f"fixed must be a string like '12=K,40=A', a dict or pairs, got {fixed!r}") from None
    out: dict[int, int] = {}
    span = format_positions(positions)
    for pos, value in items:
        if isinstance(pos, bool) or not isinstance(pos, (int, np.integer)):
            raise InputError(f"fixed position {pos!r} must be an integer residue number")
        pos = int(pos)
        if pos not in index_of:
            raise InputError(f"position {pos} is not a position of the model (positions {span})")
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            code = int(value)
            if not 0 <= code < model.q:
                raise InputError(f"state code {code} at position {pos} is not in 0..{model.q - 1}")
        else:
            value = str(value)
            if len(value) != 1 or value not in alpha.letters and value.upper() not in alpha.letters:
                raise InputError(f"letter {value!r} at position {pos} is not in the model's alphabet {alpha.letters!r}")
            code = int(alpha.encode(value)[0])
        site = index_of[pos]
        if site in out and out[site] != code:
            raise InputError(
                f"position {pos} is fixed twice, to {alpha.letters[out[site]]!r} and {alpha.letters[code]!r}"
            )
        out[site] = code
    return dict(sorted(out.items()))


def condition_model(model: PottsModel, fixed_sites: Mapping[int, int]) -> tuple[PottsModel | None, np.ndarray, float]:
    """The model of the free sites given fixed states at the others (exact conditioning).

    Parameters
    ----------
    model : PottsModel (dense)
    fixed_sites : dict
        0-based site index -> state code (see :func:`parse_fixed`).

    Returns
    -------
    conditioned : PottsModel or None
        Dense model over the free sites (same dtype): ``h'_j(b) = h_j(b) +
        sum_i J[j, i, b, a_i]``, couplings ``J[free][:, free]``. None if every site is fixed.
    free : ndarray of int64
        Indices of the free sites in the full model.
    constant : float
        ``H(x) - H'(x_free)`` for every x agreeing with the fixed states: the energy of the
        fixed sites among themselves (fields and couplings).
    """
    _check_dense(model)
    J = model.J
    assert J is not None, "a dense model has J (checked above)"
    L, q = model.n_sites, model.q
    fixed_idx = np.array(sorted(fixed_sites), dtype=np.int64)
    codes = np.array([fixed_sites[i] for i in fixed_idx.tolist()], dtype=np.int64)
    free = np.setdiff1d(np.arange(L, dtype=np.int64), fixed_idx)
    h64 = model.h.astype(np.float64)
    const = -float(h64[fixed_idx, codes].sum())
    if fixed_idx.size > 1:
        block = J[fixed_idx[:, None], fixed_idx[None, :], codes[:, None], codes[None, :]]
        const -= 0.5 * float(block.sum(dtype=np.float64))
    if free.size == 0:
        return None, free, const
    if fixed_idx.size == 0:
        return model, free, 0.0
    check_memory(free.size**2 * q * q * J.itemsize, f"the conditioned model of {free.size} free sites")
    # J[free[j], fixed[k], :, codes[k]] -> shape (n_free, n_fixed, q)
    extra = J[free[:, None], fixed_idx[None, :], :, codes[None, :]].sum(axis=1, dtype=np.float64)
    h_free = (h64[free] + extra).astype(model.dtype)
    J_free = J[np.ix_(free, free)]
    cond = PottsModel(h_free, J_free)
    return cond, free, const


@dataclass
class MixingDiagnostics:
    """How well the chains of :func:`sample_sequences` mixed.

    The traces cover burn-in (a few checkpoints) and every record after it.

    Attributes
    ----------
    sweeps : ndarray of int64, shape (T,)
        Sweep number of each trace point (0 is the start).
    energy : ndarray of float64, shape (n_chains, T)
        Energy H of each chain at each trace point (full model, fixed sites included).
    hamming_from_start : ndarray of float64, shape (n_chains, T)
        Fraction of free sites at which each chain differs from its own start.
    hamming_between : ndarray of float64, shape (T,)
        Mean fraction of free sites at which two chains differ (over pairs of at most 32
        chains); NaN with one chain.
    burn_in : int
        Sweeps before the first record; trace points with ``sweeps > burn_in`` are records.
    tau_int : float
        Integrated autocorrelation time of the energy over the records, in sweeps.
    n_effective : float
        Records / (2 tau_int in records), over all chains: about how many independent
        sequences the sample is worth.
    r_hat : float
        Gelman-Rubin potential scale reduction of the energy over chains (NaN with one
        chain); near 1 when the chains agree.
    energy_drift : float
        (mean energy of the last quarter of records - first quarter) / its standard error.
    distance_drift : float
        Change of ``hamming_between`` from the first to the last quarter of the records (only
        meaningful with a common start).
    problems : list of str
        Why the chains may not have decorrelated; empty when they look fine.
    """

    sweeps: np.ndarray
    energy: np.ndarray
    hamming_from_start: np.ndarray
    hamming_between: np.ndarray
    burn_in: int
    thin: int
    tau_int: float
    n_effective: float
    r_hat: float
    energy_drift: float
    distance_drift: float
    common_start: bool
    problems: list[str] = field(default_factory=list)

    @property
    def decorrelated(self) -> bool:
        """True when no problem was found."""
        return not self.problems

    def summary(self) -> str:
        rec = self.sweeps > self.burn_in
        lines = ["mixing diagnostics"]
        lines.append(
            f"  energy tau_int       {self.tau_int:.3g} sweeps "
            f"(records every {self.thin}: about {self.n_effective:.0f} independent records)"
        )
        if not math.isnan(self.r_hat):
            lines.append(f"  R-hat (energy)       {self.r_hat:.3f}")
        lines.append(f"  energy drift         {self.energy_drift:+.2f} standard errors (last vs first quarter)")
        if rec.any():
            d_start = float(self.hamming_from_start[:, rec][:, -1].mean())
            lines.append(f"  distance from start  {d_start:.3f} of free sites at the end")
            if np.isfinite(self.hamming_between[rec]).any():
                lines.append(
                    f"  distance between     {float(np.nanmean(self.hamming_between[rec])):.3f} "
                    f"of free sites (mean over records and pairs of chains)"
                )
        if self.problems:
            for p in self.problems:
                lines.append(f"  WARNING: {p}")
        else:
            lines.append("  chains look decorrelated")
        return "\n".join(lines)

    def plot(self, path: PathLike) -> str:
        """Energy and Hamming-distance traces; see :func:`isingbio.plot.plot_mixing`."""
        from .plot import plot_mixing

        return plot_mixing(self, path)


@dataclass
class GeneratedSamples:
    """Sequences drawn by :func:`sample_sequences`.

    Attributes
    ----------
    states : ndarray of int8, shape (n, L)
        The sequences as state codes, chain by chain (all records of chain 0 first).
    chain : ndarray of int64, shape (n,)
        Chain of each sequence.
    sweep : ndarray of int64, shape (n,)
        Sweep number (burn-in included) at which each sequence was recorded.
    energy : ndarray of float64, shape (n,)
        Statistical energy H of each sequence (not multiplied by beta).
    alphabet : Alphabet
    positions : ndarray of int64, shape (L,)
    fixed : dict
        Residue number -> letter of the positions held fixed.
    start : ndarray of int8, shape (n_chains, L)
        The state each chain started from.
    seed : int
        Reproduces the run when passed back as ``seed``.
    beta, method, n_chains, burn_in, thin, n_threads, elapsed
    acceptance_rate : float or None
    diagnostics : MixingDiagnostics or None
    """

    states: np.ndarray
    chain: np.ndarray
    sweep: np.ndarray
    energy: np.ndarray
    alphabet: Alphabet
    positions: np.ndarray
    fixed: dict[int, str]
    start: np.ndarray
    seed: int
    beta: float
    method: str
    n_chains: int
    burn_in: int
    thin: int
    n_threads: int
    elapsed: float
    acceptance_rate: float | None = None
    diagnostics: MixingDiagnostics | None = None
    model: PottsModel | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return self.states.shape[0]

    def sequences(self) -> list[str]:
        """The sequences as strings."""
        return decode_states(self.states, self.alphabet)

    def headers(self) -> list[str]:
        """FASTA headers: ``sample_000001 chain=0 sweep=1010 energy=-12.3456 positions=1-58``."""
        span = format_positions(self.positions)
        width = max(6, len(str(len(self))))
        return [
            f"sample_{k + 1:0{width}d} chain={c} sweep={s} energy={e:.4f} positions={span}"
            for k, (c, s, e) in enumerate(zip(self.chain.tolist(), self.sweep.tolist(), self.energy.tolist()))
        ]

    def write_fasta(self, path: PathLike | IO[str]) -> None:
        """Write the sequences as FASTA (atomically); headers carry chain, sweep, energy, positions."""
        write_fasta(path, self.sequences(), self.headers())

    def summary(self) -> str:
        n_free = self.states.shape[1] - len(self.fixed)
        lines = [
            f"{len(self)} sequences of length {self.states.shape[1]} ({n_free} free) from "
            f"{self.n_chains} chain(s): {self.method}, beta = {self.beta:.6g}, burn-in {self.burn_in} "
            f"sweeps, a record every {self.thin} sweeps, seed {self.seed}"
        ]
        if self.fixed:
            lines.append("  fixed: " + ",".join(f"{p}={a}" for p, a in self.fixed.items()))
        if len(self):
            lines.append(
                f"  energy             {self.energy.mean():.4f} (sd {self.energy.std():.4f}, "
                f"min {self.energy.min():.4f})"
            )
        if self.acceptance_rate is not None:
            lines.append(f"  acceptance rate    {self.acceptance_rate:.4f}")
        lines.append(
            f"  time               {self.elapsed:.3f} s on {self.n_threads} thread(s), "
            f"{len(self) / self.elapsed if self.elapsed > 0 else float('inf'):.4g} sequences per second"
        )
        text = "\n".join(lines)
        if self.diagnostics is not None:
            text += "\n" + self.diagnostics.summary()
        return text


def _start_states(start, model, alpha, n_chains: int) -> np.ndarray | None:
    """(n_chains, L) int8 start states, or None for random starts."""
    if start is None:
        kept = getattr(model, "chains", None)
        if kept is None or len(kept) == 0:
            return None
        # spread over the kept states (cycling when there are more chains than states)
        rows = np.arange(n_chains) * len(kept) // n_chains if n_chains <= len(kept) else np.arange(n_chains) % len(kept)
        return np.ascontiguousarray(kept[rows], dtype=np.int8)
    L = model.n_sites
    if isinstance(start, str):
        codes = encode_sequences([start], alpha, L)
    elif isinstance(start, np.ndarray) and start.dtype.kind in "iu":
        codes = encode_sequences(np.atleast_2d(start), alpha, L)
    else:
        codes = encode_sequences(list(start), alpha, L)
    if codes.shape[0] == 1:
        codes = np.repeat(codes, n_chains, axis=0)
    elif codes.shape[0] != n_chains:
        raise InputError(f"give one start sequence or one per chain ({n_chains}), got {codes.shape[0]}")
    return np.ascontiguousarray(codes, dtype=np.int8)


def _hamming_between(states: np.ndarray, max_chains: int = 32) -> float:
    """Mean fraction of differing sites over pairs of rows of (c, L) states."""
    x = states[:max_chains]
    c = x.shape[0]
    if c < 2 or x.shape[1] == 0:
        return float("nan")
    diff = (x[:, None, :] != x[None, :, :]).mean(axis=2)
    return float(diff[np.triu_indices(c, 1)].mean())


def _r_hat(series: np.ndarray) -> float:
    """Gelman-Rubin potential scale reduction over chains (rows)."""
    m, n = series.shape
    if m < 2 or n < 2:
        return float("nan")
    w = float(series.var(axis=1, ddof=1).mean())
    b = n * float(series.mean(axis=1).var(ddof=1))
    if w <= 0:
        return 1.0 if b <= 1e-300 else float("inf")
    var_hat = (n - 1) / n * w + b / n
    return float(math.sqrt(var_hat / w))


def _diagnose(sweeps, energy, hamming_start, hamming_between, burn_in, thin, common_start) -> MixingDiagnostics:
    rec = sweeps > burn_in
    e = energy[:, rec]
    n_chains, n_rec = e.shape
    problems = []
    tau_rec, r_hat, drift, ddrift = 0.5, float("nan"), 0.0, 0.0
    if n_rec >= 2:
        tau_rec = stats.tau_int(e)
        r_hat = _r_hat(e)
    n_eff = n_chains * n_rec / (2 * tau_rec) if n_rec else 0.0
    if n_rec >= 8:
        k = n_rec // 4
        first, last = stats.mean_and_error(e[:, :k]), stats.mean_and_error(e[:, -k:])
        err = math.hypot(first.stderr, last.stderr)
        diff = last.mean - first.mean
        drift = diff / err if err > 0 else (0.0 if abs(diff) < 1e-9 * max(1.0, abs(first.mean)) else math.inf)
        hb = hamming_between[rec]
        if common_start and n_chains >= 2 and np.isfinite(hb).all():
            ddrift = float(hb[-k:].mean() - hb[:k].mean())
    if n_rec < 8:
        problems.append(f"only {n_rec} record(s) per chain: too few to judge mixing")
    else:
        if n_rec < 20 * tau_rec:
            problems.append(
                f"the energy autocorrelation time ({tau_rec * thin:.3g} sweeps) is long compared "
                f"with the run ({n_rec * thin} sweeps after burn-in): run longer or thin more"
            )
        if not math.isnan(r_hat) and r_hat > 1.1:
            problems.append(
                f"chains disagree on the energy (R-hat = {r_hat:.2f} > 1.1): they sample different "
                f"regions; use a longer burn-in or more sweeps"
            )
        if abs(drift) > 4:
            problems.append(
                f"the energy still drifts ({drift:+.1f} standard errors between the first and last "
                f"quarter of the records): use a longer burn-in"
            )
        if ddrift > 0.02:
            problems.append(
                f"chains started from the same sequence are still moving apart (distance between "
                f"chains grew by {ddrift:.3f} of the free sites over the records): use a longer "
                f"burn-in"
            )
    return MixingDiagnostics(
        sweeps=sweeps,
        energy=energy,
        hamming_from_start=hamming_start,
        hamming_between=hamming_between,
        burn_in=burn_in,
        thin=thin,
        tau_int=tau_rec * thin,
        n_effective=n_eff,
        r_hat=r_hat,
        energy_drift=drift,
        distance_drift=ddrift,
        common_start=common_start,
        problems=problems,
    )


def sample_sequences(
    model: PottsModel,
    n: int,
    beta: float = 1.0,
    *,
    start: str | Sequence[str] | ArrayLike | None = None,
    fixed: str | dict[int, str | int] | Iterable[tuple[int, str | int]] | None = None,
    n_chains: int = 8,
    burn_in: int = 1000,
    thin: int = 10,
    method: str = "heatbath",
    seed: SeedLike = None,
    n_threads: int | None = None,
    progress: bool = False,
    warn: bool = True,
) -> GeneratedSamples:
    """Draw sequences from a dense Potts model by Markov chain Monte Carlo.

    ``n_chains`` independent chains run in parallel; each does ``burn_in`` sweeps, then
    records its state every ``thin`` sweeps, ``ceil(n / n_chains)`` times. When ``n`` is not
    a multiple of ``n_chains`` the last chains give one record fewer, so that exactly ``n``
    sequences come back (chain 0's records first). One sweep is one update attempt per
    free site.

    Parameters
    ----------
    model : PottsModel
        Dense model (``PottsModel(h, J)``), e.g. ``fit_plm(...).model`` or
        :func:`isingbio.io.load_model`.
    n : int
        Number of sequences.
    beta : float, optional
        Inverse temperature: ``p(x) ~ exp(-beta H(x))``; above 1 concentrates on low
        energies, below 1 flattens the distribution.
    start : str, list of str or array_like of int, optional
        Start sequence of every chain (or one per chain), aligned to the model's columns.
        Default: states of the model's own ``chains`` when it has them (a Boltzmann-machine
        fit keeps its persistent chains, which are samples of the model), else uniformly
        random. Fixed positions override the start's letters there.
    fixed : str, dict or pairs, optional
        Positions held fixed, e.g. ``"12=K,40=A"`` or ``{12: "K"}`` (residue numbers and
        letters; see :func:`parse_fixed`). Sampled exactly by conditioning.
    n_chains : int, optional
        Independent chains (reduced to ``n`` if larger). Use at least as many as threads.
    burn_in : int, optional
        Sweeps discarded at the start of each chain.
    thin : int, optional
        Sweeps between records.
    method : {"heatbath", "gibbs", "metropolis"}, optional
        Heat-bath (Gibbs) draws each site from its conditional distribution; Metropolis
        proposes a uniformly random other letter.
    seed : int, numpy Generator or SeedSequence, optional
        The same seed gives the same sequences whatever ``n_threads`` is.
    n_threads : int, optional
        OpenMP threads (default: all cores).
    progress : bool, optional
        Progress bar on stderr.
    warn : bool, optional
        Issue a :class:`~isingbio.errors.SamplingWarning` when the diagnostics find that the
        chains have not decorrelated.

    Returns
    -------
    GeneratedSamples
        ``.states`` (n, L) int8, ``.sequences()``, ``.energy``, ``.write_fasta(path)``,
        ``.diagnostics`` (:class:`MixingDiagnostics`), ``.seed``.

    Examples
    --------
    >>> samples = sample_sequences(model, 1000, beta=1.0, fixed="12=K", seed=1)  # doctest: +SKIP
    >>> samples.write_fasta("samples.fasta")                                      # doctest: +SKIP
    """
    from .sampling import Sampler, normalise_method

    _check_dense(model)
    note = gap_note(model)
    if note:  # also with warn=False, which is about the mixing diagnostics
        warnings.warn(note, ModelWarning, stacklevel=2)
    n = check_positive_int(n, "n")
    beta = check_beta(beta)
    n_chains = min(check_positive_int(n_chains, "n_chains"), n)
    burn_in = check_positive_int(burn_in, "burn_in", minimum=0)
    thin = check_positive_int(thin, "thin")
    method = normalise_method(method, model)
    alpha = model_alphabet(model)
    positions = model_positions(model)
    L = model.n_sites
    fixed_sites = parse_fixed(fixed, model)
    start_states = _start_states(start, model, alpha, n_chains)
    cond, free, const = condition_model(model, fixed_sites)
    fixed_idx = np.array(list(fixed_sites), dtype=np.int64)
    fixed_codes = np.array(list(fixed_sites.values()), dtype=np.int8)
    fixed_letters = {int(positions[i]): alpha.letters[a] for i, a in fixed_sites.items()}
    if start_states is not None and fixed_idx.size:
        changed = int((start_states[0, fixed_idx] != fixed_codes).sum())
        if changed:
            logger.info("start sequence: %d fixed position(s) set to their fixed letters", changed)
        start_states[:, fixed_idx] = fixed_codes
    records = -(-n // n_chains)
    check_memory(n_chains * records * L, f"{n_chains * records} sequences of length {L}")

    full = np.empty((n_chains, records, L), dtype=np.int8)
    if fixed_idx.size:
        full[:, :, fixed_idx] = fixed_codes
    energy = np.empty((n_chains, records))
    start_time = time.perf_counter()
    accept = None
    if cond is None:  # every site fixed: nothing to sample
        from ._random import as_seed_sequence, seed_entropy

        full[:] = fixed_codes
        seed_used = seed_entropy(as_seed_sequence(seed))
        energy[:] = const
        initial = np.repeat(fixed_codes[None, :], n_chains, axis=0)
        n_threads_used = 1
        diag = None
    else:
        init = "random" if start_states is None else start_states[:, free]
        sampler = Sampler(cond, beta, method=method, n_chains=n_chains, init=init, seed=seed, n_threads=n_threads)
        seed_used = sampler.seed
        n_threads_used = sampler.n_threads
        initial = np.empty((n_chains, L), dtype=np.int8)
        if fixed_idx.size:
            initial[:, fixed_idx] = fixed_codes
        x0 = sampler.states
        initial[:, free] = x0
        # one kernel run for the burn-in (its states at up to 16 checkpoints recorded inside
        # the kernel, for the diagnostics) and one for the records: the per-call setup
        # (transposed couplings, local fields) is paid once, not once per record
        n_blocks = min(16, burn_in)
        block = burn_in // n_blocks if n_blocks else 0
        rest = burn_in - n_blocks * block
        b_energy, b_states = [cond.energy(x0) + const], [x0]
        edges = [0]
        bar = progress_bar(progress, burn_in + records * thin, "sampling")
        for n_sweeps, every in ((n_blocks * block, block), (rest, rest)):
            if n_sweeps == 0:
                continue
            res = sampler.run(n_sweeps, every, return_states=True)
            assert res.states is not None
            for k in range(res.n_records):
                b_energy.append(res.energy[:, k] + const)
                b_states.append(res.states[:, k])
                edges.append(edges[-1] + every)
            bar.update(n_sweeps)
        bsweeps = np.asarray(edges, dtype=np.int64)
        res = sampler.run(records * thin, thin, return_states=True)
        assert res.states is not None
        full[:, :, free] = res.states.reshape(n_chains, records, -1)
        energy[:] = res.energy + const
        bar.update(records * thin)
        bar.close()
        n_tried = 1.0 if res.acceptance_rate is not None else 0.0
        n_accept = res.acceptance_rate or 0.0
        accept = n_accept / n_tried if n_tried else None
        # diagnostics over the free sites
        sweeps = np.concatenate([bsweeps, burn_in + thin * np.arange(1, records + 1, dtype=np.int64)])
        trace_e = np.concatenate([np.array(b_energy).T, energy], axis=1)
        x0f = x0.reshape(n_chains, -1)
        trace_states = [s.reshape(n_chains, -1) for s in b_states] + [full[:, r, free] for r in range(records)]
        h_start = np.stack([(s != x0f).mean(axis=1) for s in trace_states], axis=1)
        n_points = len(trace_states)
        pick = np.unique(np.linspace(0, n_points - 1, min(n_points, 400)).astype(np.int64))
        h_between = np.full(n_points, np.nan)
        for t in pick.tolist():
            h_between[t] = _hamming_between(trace_states[t])
        if n_points > len(pick):  # fill the gaps for plotting
            good = np.isfinite(h_between)
            if good.sum() >= 2:
                h_between = np.interp(np.arange(n_points), np.flatnonzero(good), h_between[good])
        common = start_states is not None and bool((start_states == start_states[0]).all())
        diag = _diagnose(sweeps, trace_e, h_start, h_between, burn_in, thin, common)
    elapsed = time.perf_counter() - start_time

    # keep exactly n: the last (n_chains * records - n) chains drop their final record
    keep = np.ones((n_chains, records), dtype=bool)
    surplus = n_chains * records - n
    if surplus:
        keep[n_chains - surplus :, records - 1] = False
    chain_idx = np.broadcast_to(np.arange(n_chains)[:, None], keep.shape)[keep]
    sweep_idx = np.broadcast_to(burn_in + thin * np.arange(1, records + 1)[None, :], keep.shape)[keep]
    result = GeneratedSamples(
        states=np.ascontiguousarray(full[keep]),
        chain=chain_idx.astype(np.int64),
        sweep=sweep_idx.astype(np.int64),
        energy=energy[keep],
        alphabet=alpha,
        positions=positions,
        fixed=fixed_letters,
        start=initial,
        seed=seed_used,
        beta=beta,
        method=method,
        n_chains=n_chains,
        burn_in=burn_in,
        thin=thin,
        n_threads=n_threads_used,
        elapsed=elapsed,
        acceptance_rate=accept,
        diagnostics=diag,
        model=model,
    )
    if warn and diag is not None and diag.problems:
        warnings.warn("chains may not have decorrelated: " + "; ".join(diag.problems), SamplingWarning, stacklevel=2)
    return result
