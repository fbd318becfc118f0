"""Generative use of dense Potts models: sample sequences, score them, check the model.

A fitted protein model ``p(x) = exp(-beta H(x)) / Z`` (see :mod:`isingbio.models` for the
conventions) is used here in four ways:

* :func:`sample_sequences` draws sequences by Markov chain Monte Carlo (heat-bath/Gibbs or
  Metropolis, many chains in parallel), optionally from a given start sequence and with some
  positions held fixed, and returns them with mixing diagnostics (:class:`MixingDiagnostics`).
* :func:`score_sequences` gives the statistical energy ``H(x)`` of sequences and, with a
  ``log Z`` (from :func:`isingbio.ais`), their normalised log-probability.
* :func:`mutation_effects` gives the single-mutant table ``Delta E = H(mutant) - H(target)``.
* :func:`compare_statistics` compares one-, two- and three-site statistics of samples with
  those of the (reweighted) alignment the model was fitted to.

States and sequences
--------------------
A sequence of length ``L`` is a row of ``int8`` state codes ``0 .. q-1``; code ``k`` is
``alphabet.letters[k]``. The alphabet and the residue numbers ("positions") of a model are
the ``alphabet`` and ``positions`` attributes set by the PLM fit and by
:func:`isingbio.io.load_model`; without them (a model built by hand) :func:`model_alphabet`
uses the protein alphabet for q = 21 and the first q of ``0-9A-Z...`` otherwise, and
:func:`model_positions` numbers the sites 1..L.

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
import string
import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from . import stats
from ._files import atomic_output
from .plot import figure, save_figure
from ._progress import progress_bar
from ._validation import check_beta, check_memory, check_positive_int
from .errors import InputError, SamplingWarning
from .models import PottsModel

__all__ = [
    "model_alphabet", "model_positions", "encode_sequences", "decode_states", "parse_fixed",
    "condition_model", "sample_sequences", "GeneratedSamples", "MixingDiagnostics",
    "score_sequences", "mutation_effects", "mutation_table", "write_mutation_table",
    "compare_statistics", "StatisticsComparison", "write_fasta", "format_positions",
    "plot_mixing", "plot_statistics", "plot_mutation_heatmap",
]

logger = logging.getLogger(__name__)

_GENERIC_LETTERS = string.digits + string.ascii_uppercase + string.ascii_lowercase


# --------------------------------------------------------------------------------------------
# Alphabet, positions, encoding
# --------------------------------------------------------------------------------------------
def _check_dense(model) -> PottsModel:
    if not isinstance(model, PottsModel) or model.form != "dense":
        raise InputError(f"a dense PottsModel(h, J) is needed here, got {model!r}")
    return model


def model_alphabet(model):
    """The :class:`~isingbio.alignment.Alphabet` of a model's states.

    ``model.alphabet`` when the model has one (fitted or loaded models); otherwise the
    protein alphabet ``-ACDEFGHIKLMNPQRSTVWY`` for q = 21 and the first q characters of
    ``0-9A-Za-z`` for other q.
    """
    from .alignment import PROTEIN, Alphabet, get_alphabet
    alpha = getattr(model, "alphabet", None)
    if alpha is not None:
        alpha = get_alphabet(alpha)
        if alpha.q != model.q:
            raise InputError(f"the model's alphabet {alpha.letters!r} has {alpha.q} letters but the model has q = {model.q}")
        return alpha
    if model.q == PROTEIN.q:
        return PROTEIN
    if model.q > len(_GENERIC_LETTERS):
        raise InputError(f"give the model an alphabet (model.alphabet): q = {model.q} states have no default letters")
    return Alphabet(_GENERIC_LETTERS[:model.q], name=f"generic-{model.q}", case_sensitive=True)


def model_positions(model) -> np.ndarray:
    """Residue numbers of the model's sites (``model.positions``, else 1..L), int64 (L,)."""
    pos = getattr(model, "positions", None)
    if pos is None:
        return np.arange(1, model.n_sites + 1, dtype=np.int64)
    pos = np.asarray(pos, dtype=np.int64)
    if pos.shape != (model.n_sites,):
        raise InputError(f"model.positions has shape {pos.shape}, expected ({model.n_sites},)")
    return pos


def format_positions(positions) -> str:
    """Compact text of residue numbers: ``[1, 2, 3, 7, 8]`` -> ``"1-3,7-8"``."""
    pos = np.asarray(positions, dtype=np.int64)
    if pos.size == 0:
        return ""
    parts = []
    start = prev = int(pos[0])
    for p in pos[1:].tolist() + [None]:
        if p is not None and p == prev + 1:
            prev = p
            continue
        parts.append(str(start) if start == prev else f"{start}-{prev}")
        if p is not None:
            start = prev = p
    return ",".join(parts)


def encode_sequences(sequences, alphabet, length: int | None = None) -> np.ndarray:
    """State codes of sequences.

    Parameters
    ----------
    sequences : str, list of str, or array_like of int
        Aligned sequences (letters of `alphabet`; ``.`` is a gap) or codes already.
    alphabet : Alphabet or str
    length : int, optional
        Required length L (the model's number of sites).

    Returns
    -------
    ndarray of int8, shape (N, L)
    """
    from .alignment import get_alphabet
    alpha = get_alphabet(alphabet)
    if isinstance(sequences, str):
        sequences = [sequences]
    if isinstance(sequences, np.ndarray) and sequences.dtype.kind in "iu":
        codes = np.atleast_2d(sequences)
        if codes.size and (codes.min() < 0 or codes.max() >= alpha.q):
            raise InputError(f"state codes must be in 0..{alpha.q - 1}")
        codes = codes.astype(np.int8)
    else:
        rows = []
        for k, seq in enumerate(sequences):
            if not isinstance(seq, str):
                arr = np.asarray(seq)
                if arr.dtype.kind not in "iu" or arr.ndim != 1:
                    raise InputError(f"sequence {k + 1} must be a string or a 1-D array of codes")
                if arr.size and (arr.min() < 0 or arr.max() >= alpha.q):
                    raise InputError(f"sequence {k + 1}: state codes must be in 0..{alpha.q - 1}")
                rows.append(arr.astype(np.int8))
                continue
            seq = "".join(seq.split())
            try:
                rows.append(alpha.encode(seq))
            except InputError as exc:
                raise InputError(f"sequence {k + 1}: {exc}") from None
        lengths = {len(r) for r in rows}
        if len(lengths) > 1:
            first = len(rows[0])
            k = next(i for i, r in enumerate(rows) if len(r) != first)
            raise InputError(f"sequence {k + 1} has length {len(rows[k])}, sequence 1 has {first}: "
                             f"sequences must be aligned to the same columns")
        codes = np.array(rows, dtype=np.int8).reshape(len(rows), -1)
    if length is not None and codes.shape[1] != length:
        raise InputError(f"sequences have length {codes.shape[1]} but the model has L = {length} sites "
                         f"(sequences must be aligned to the model's columns)")
    return np.ascontiguousarray(codes)


def decode_states(states, alphabet) -> list:
    """Sequences (strings) of state codes of shape (L,) or (N, L)."""
    from .alignment import get_alphabet
    alpha = get_alphabet(alphabet)
    arr = np.asarray(states)
    if arr.ndim == 1:
        return [alpha.decode(arr)]
    if arr.ndim != 2:
        raise InputError(f"states must have shape (L,) or (N, L), got {arr.shape}")
    if arr.size and (arr.min() < 0 or arr.max() >= alpha.q):
        raise InputError(f"state codes must be in 0..{alpha.q - 1}")
    table = np.frombuffer(alpha.letters.encode("latin-1"), dtype=np.uint8)
    chars = table[arr.astype(np.intp)]
    return [row.tobytes().decode("latin-1") for row in chars]


def write_fasta(path, sequences, headers) -> None:
    """Write sequences to a FASTA file atomically (one line per sequence).

    ``path`` may also be an open text file (e.g. ``sys.stdout``).
    """
    if len(sequences) != len(headers):
        raise InputError(f"{len(headers)} headers for {len(sequences)} sequences")

    def _write(fh):
        for head, seq in zip(headers, sequences):
            fh.write(f">{head}\n{seq}\n")

    if hasattr(path, "write"):
        _write(path)
        return
    with atomic_output(path) as fh:
        _write(fh)


# --------------------------------------------------------------------------------------------
# Fixed positions and conditioning
# --------------------------------------------------------------------------------------------
_FIX_ITEM = re.compile(r"^\s*([+-]?\d+)\s*[=:]\s*(\S+)\s*$")


def parse_fixed(fixed, model) -> dict:
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
    if isinstance(fixed, str):
        items = []
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
    out = {}
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
                raise InputError(f"letter {value!r} at position {pos} is not in the model's alphabet "
                                 f"{alpha.letters!r}")
            code = int(alpha.encode(value)[0])
        site = index_of[pos]
        if site in out and out[site] != code:
            raise InputError(f"position {pos} is fixed twice, to {alpha.letters[out[site]]!r} and "
                             f"{alpha.letters[code]!r}")
        out[site] = code
    return dict(sorted(out.items()))


def condition_model(model, fixed_sites: dict):
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
    L, q = model.n_sites, model.q
    fixed_idx = np.array(sorted(fixed_sites), dtype=np.int64)
    codes = np.array([fixed_sites[i] for i in fixed_idx.tolist()], dtype=np.int64)
    free = np.setdiff1d(np.arange(L, dtype=np.int64), fixed_idx)
    h64 = model.h.astype(np.float64)
    const = -float(h64[fixed_idx, codes].sum())
    if fixed_idx.size > 1:
        block = model.J[fixed_idx[:, None], fixed_idx[None, :], codes[:, None], codes[None, :]]
        const -= 0.5 * float(block.sum(dtype=np.float64))
    if free.size == 0:
        return None, free, const
    if fixed_idx.size == 0:
        return model, free, 0.0
    check_memory(free.size ** 2 * q * q * model.J.itemsize, f"the conditioned model of {free.size} free sites")
    # J[free[j], fixed[k], :, codes[k]] -> shape (n_free, n_fixed, q)
    extra = model.J[free[:, None], fixed_idx[None, :], :, codes[None, :]].sum(axis=1, dtype=np.float64)
    h_free = (h64[free] + extra).astype(model.dtype)
    J_free = model.J[np.ix_(free, free)]
    cond = PottsModel(h_free, J_free)
    return cond, free, const


# --------------------------------------------------------------------------------------------
# Sampling
# --------------------------------------------------------------------------------------------
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
    problems: list = field(default_factory=list)

    @property
    def decorrelated(self) -> bool:
        """True when no problem was found."""
        return not self.problems

    def summary(self) -> str:
        rec = self.sweeps > self.burn_in
        lines = ["mixing diagnostics"]
        lines.append(f"  energy tau_int       {self.tau_int:.3g} sweeps "
                     f"(records every {self.thin}: about {self.n_effective:.0f} independent records)")
        if not math.isnan(self.r_hat):
            lines.append(f"  R-hat (energy)       {self.r_hat:.3f}")
        lines.append(f"  energy drift         {self.energy_drift:+.2f} standard errors (last vs first quarter)")
        if rec.any():
            d_start = float(self.hamming_from_start[:, rec][:, -1].mean())
            lines.append(f"  distance from start  {d_start:.3f} of free sites at the end")
            if np.isfinite(self.hamming_between[rec]).any():
                lines.append(f"  distance between     {float(np.nanmean(self.hamming_between[rec])):.3f} "
                             f"of free sites (mean over records and pairs of chains)")
        if self.problems:
            for p in self.problems:
                lines.append(f"  WARNING: {p}")
        else:
            lines.append("  chains look decorrelated")
        return "\n".join(lines)

    def plot(self, path):
        """Energy and Hamming-distance traces; see :func:`plot_mixing`."""
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
    alphabet: object
    positions: np.ndarray
    fixed: dict
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
    model: object = field(default=None, repr=False)

    def __len__(self) -> int:
        return self.states.shape[0]

    def sequences(self) -> list:
        """The sequences as strings."""
        return decode_states(self.states, self.alphabet)

    def headers(self) -> list:
        """FASTA headers: ``sample_000001 chain=0 sweep=1010 energy=-12.3456 positions=1-58``."""
        span = format_positions(self.positions)
        width = max(6, len(str(len(self))))
        return [f"sample_{k + 1:0{width}d} chain={c} sweep={s} energy={e:.4f} positions={span}"
                for k, (c, s, e) in enumerate(zip(self.chain.tolist(), self.sweep.tolist(), self.energy.tolist()))]

    def write_fasta(self, path) -> None:
        """Write the sequences as FASTA (atomically); headers carry chain, sweep, energy, positions."""
        write_fasta(path, self.sequences(), self.headers())

    def summary(self) -> str:
        n_free = self.states.shape[1] - len(self.fixed)
        lines = [f"{len(self)} sequences of length {self.states.shape[1]} ({n_free} free) from "
                 f"{self.n_chains} chain(s): {self.method}, beta = {self.beta:.6g}, burn-in {self.burn_in} "
                 f"sweeps, a record every {self.thin} sweeps, seed {self.seed}"]
        if self.fixed:
            lines.append("  fixed: " + ",".join(f"{p}={a}" for p, a in self.fixed.items()))
        if len(self):
            lines.append(f"  energy             {self.energy.mean():.4f} (sd {self.energy.std():.4f}, "
                         f"min {self.energy.min():.4f})")
        if self.acceptance_rate is not None:
            lines.append(f"  acceptance rate    {self.acceptance_rate:.4f}")
        lines.append(f"  time               {self.elapsed:.3f} s on {self.n_threads} thread(s), "
                     f"{len(self) / self.elapsed if self.elapsed > 0 else float('inf'):.4g} sequences per second")
        text = "\n".join(lines)
        if self.diagnostics is not None:
            text += "\n" + self.diagnostics.summary()
        return text


def _start_states(start, model, alpha, n_chains: int) -> np.ndarray | None:
    """(n_chains, L) int8 start states, or None for random starts."""
    if start is None:
        return None
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
            problems.append(f"the energy autocorrelation time ({tau_rec * thin:.3g} sweeps) is long compared "
                            f"with the run ({n_rec * thin} sweeps after burn-in): run longer or thin more")
        if not math.isnan(r_hat) and r_hat > 1.1:
            problems.append(f"chains disagree on the energy (R-hat = {r_hat:.2f} > 1.1): they sample different "
                            f"regions; use a longer burn-in or more sweeps")
        if abs(drift) > 4:
            problems.append(f"the energy still drifts ({drift:+.1f} standard errors between the first and last "
                            f"quarter of the records): use a longer burn-in")
        if ddrift > 0.02:
            problems.append(f"chains started from the same sequence are still moving apart (distance between "
                            f"chains grew by {ddrift:.3f} of the free sites over the records): use a longer "
                            f"burn-in")
    return MixingDiagnostics(sweeps=sweeps, energy=energy, hamming_from_start=hamming_start,
                             hamming_between=hamming_between, burn_in=burn_in, thin=thin,
                             tau_int=tau_rec * thin, n_effective=n_eff, r_hat=r_hat, energy_drift=drift,
                             distance_drift=ddrift, common_start=common_start, problems=problems)


def sample_sequences(model, n, beta=1.0, *, start=None, fixed=None, n_chains=8, burn_in=1000, thin=10,
                     method="heatbath", seed=None, n_threads=None, progress=False, warn=True) -> GeneratedSamples:
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
        Default: uniformly random. Fixed positions override the start's letters there.
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
    from .sampling import Sampler, _normalise_method

    _check_dense(model)
    n = check_positive_int(n, "n")
    beta = check_beta(beta)
    n_chains = min(check_positive_int(n_chains, "n_chains"), n)
    burn_in = check_positive_int(burn_in, "burn_in", minimum=0)
    thin = check_positive_int(thin, "thin")
    method = _normalise_method(method, model)
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
        try:
            seed_used = seed_entropy(as_seed_sequence(seed))
        except (TypeError, ValueError) as exc:
            raise InputError(str(exc)) from None
        energy[:] = const
        initial = np.repeat(fixed_codes[None, :], n_chains, axis=0)
        n_threads_used = 1
        diag = None
    else:
        init = "random" if start_states is None else start_states[:, free]
        sampler = Sampler(cond, beta, method=method, n_chains=n_chains, init=init, seed=seed,
                          n_threads=n_threads)
        seed_used = sampler.seed
        n_threads_used = sampler.n_threads
        initial = np.empty((n_chains, L), dtype=np.int8)
        if fixed_idx.size:
            initial[:, fixed_idx] = fixed_codes
        x0 = sampler.states
        initial[:, free] = x0
        bar = progress_bar(progress, burn_in + records * thin, "sampling")
        # burn-in in up to 16 blocks, recording diagnostics at each checkpoint
        n_blocks = min(16, burn_in)
        edges = np.linspace(0, burn_in, n_blocks + 1).astype(np.int64) if n_blocks else np.zeros(1, np.int64)
        b_energy, b_states = [cond.energy(x0) + const], [x0]
        for k in range(n_blocks):
            step = int(edges[k + 1] - edges[k])
            res = sampler.run(step, step)
            b_energy.append(res.energy[:, 0] + const)
            b_states.append(res.final_states)
            bar.update(step)
        bsweeps = edges.astype(np.int64)
        n_accept = n_tried = 0.0
        for r in range(records):
            res = sampler.run(thin, thin)
            full[:, r, free] = res.final_states
            energy[:, r] = res.energy[:, 0] + const
            if res.acceptance_rate is not None:
                n_tried += 1.0
                n_accept += res.acceptance_rate
            bar.update(thin)
        bar.close()
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
        keep[n_chains - surplus:, records - 1] = False
    chain_idx = np.broadcast_to(np.arange(n_chains)[:, None], keep.shape)[keep]
    sweep_idx = np.broadcast_to(burn_in + thin * np.arange(1, records + 1)[None, :], keep.shape)[keep]
    result = GeneratedSamples(
        states=np.ascontiguousarray(full[keep]), chain=chain_idx.astype(np.int64),
        sweep=sweep_idx.astype(np.int64), energy=energy[keep], alphabet=alpha, positions=positions,
        fixed=fixed_letters, start=initial, seed=seed_used, beta=beta, method=method, n_chains=n_chains,
        burn_in=burn_in, thin=thin, n_threads=n_threads_used, elapsed=elapsed, acceptance_rate=accept,
        diagnostics=diag, model=model)
    if warn and diag is not None and diag.problems:
        warnings.warn("chains may not have decorrelated: " + "; ".join(diag.problems), SamplingWarning,
                      stacklevel=2)
    return result


# --------------------------------------------------------------------------------------------
# Scoring
# --------------------------------------------------------------------------------------------
def score_sequences(model, sequences, log_z: float | None = None, beta: float | None = None):
    """Statistical energies and (given log Z) normalised log-probabilities.

    Parameters
    ----------
    model : PottsModel (dense)
    sequences : str, list of str, array_like of int (N, L), or Alignment
        Aligned to the model's columns.
    log_z : float or AISResult, optional
        ``log Z(beta)``, e.g. ``isingbio.ais(model, beta)`` or its ``.log_z``.
    beta : float, optional
        Default: the AISResult's beta when `log_z` is one, else 1.

    Returns
    -------
    energy : ndarray of float64, shape (N,)
        H(x) (not multiplied by beta); lower is more probable.
    log_prob : ndarray of float64, shape (N,), or None
        ``-beta H(x) - log Z`` (natural log), None without `log_z`.
    """
    from .annealing import default_beta
    _check_dense(model)
    beta = default_beta(log_z, beta)
    codes = getattr(sequences, "matrix", None)
    if codes is None:
        codes = encode_sequences(sequences, model_alphabet(model), model.n_sites)
    elif codes.shape[1] != model.n_sites:
        raise InputError(f"sequences have length {codes.shape[1]} but the model has L = {model.n_sites} sites")
    energy = np.asarray(model.energy(codes), dtype=np.float64).reshape(-1)
    if log_z is None:
        return energy, None
    from .annealing import resolve_log_z
    return energy, -beta * energy - resolve_log_z(log_z, beta)


def mutation_effects(model, sequence) -> np.ndarray:
    """Single-mutant energy changes ``Delta E[i, b] = H(x with x_i = b) - H(x)``.

    Parameters
    ----------
    model : PottsModel (dense)
    sequence : str or array_like of int, shape (L,)
        The target (wild-type) sequence, aligned to the model's columns.

    Returns
    -------
    ndarray of float64, shape (L, q)
        Zero at the target's own letters. Positive values are destabilising: the mutant is
        ``exp(-beta Delta E)`` times as probable as the target.
    """
    _check_dense(model)
    x = encode_sequences([sequence] if isinstance(sequence, str) else [np.asarray(sequence)],
                         model_alphabet(model), model.n_sites)[0].astype(np.intp)
    L = model.n_sites
    sites = np.arange(L)
    # local field u_i(b) = h_i(b) + sum_j J[i, j, b, x_j]  (J[i, i] = 0)
    u = model.h.astype(np.float64).copy()
    for i in range(L):
        u[i] += model.J[i, sites, :, x].sum(axis=0, dtype=np.float64)
    delta = -(u - u[sites, x][:, None])
    delta[sites, x] = 0.0
    return delta


def mutation_table(delta, sequence, alphabet, positions) -> list:
    """Rows ``(mutant, position, wt, mt, delta_e)`` of a Delta E table, e.g. ``("K12A", 12, "K", "A", 0.83)``."""
    from .alignment import get_alphabet
    alpha = get_alphabet(alphabet)
    delta = np.asarray(delta)
    x = encode_sequences([sequence] if isinstance(sequence, str) else [np.asarray(sequence)], alpha,
                         delta.shape[0])[0]
    rows = []
    for i, (pos, wt) in enumerate(zip(np.asarray(positions).tolist(), x.tolist())):
        for b in range(alpha.q):
            if b == wt:
                continue
            rows.append((f"{alpha.letters[wt]}{pos}{alpha.letters[b]}", int(pos), alpha.letters[wt],
                         alpha.letters[b], float(delta[i, b])))
    return rows


def write_mutation_table(path, delta, sequence, alphabet, positions) -> None:
    """CSV ``mutant,position,wt,mt,delta_e`` (one row per single mutant), written atomically.

    ``path`` may be an open text file (e.g. ``sys.stdout``).
    """
    rows = mutation_table(delta, sequence, alphabet, positions)

    def _write(fh):
        fh.write("mutant,position,wt,mt,delta_e\n")
        for m, p, w, t, d in rows:
            fh.write(f"{m},{p},{w},{t},{d:.6g}\n")

    if hasattr(path, "write"):
        _write(path)
    else:
        with atomic_output(path) as fh:
            _write(fh)


# --------------------------------------------------------------------------------------------
# Model checking
# --------------------------------------------------------------------------------------------
@dataclass
class StatisticsComparison:
    """Statistics of samples against those of the reweighted alignment.

    Attributes
    ----------
    f1_samples, f1_alignment : ndarray of float64, shape (L, q)
        One-site frequencies f_i(a).
    c2_samples, c2_alignment : ndarray of float64, shape (L (L-1) / 2 * q * q,)
        Connected correlations f_ij(a, b) - f_i(a) f_j(b) for i < j, all a, b (pair-major:
        pairs in ``pairs`` order, then a, then b).
    pairs : ndarray of int64, shape (L (L-1) / 2, 2)
    c3_samples, c3_alignment : ndarray of float64, shape (n_triplets,) or None
        Connected three-site correlations of the triplets in ``triplets``.
    triplets : ndarray of int64, shape (n_triplets, 6) or None
        Columns i, j, k, a, b, c.
    pearson, slope : dict
        ``"one_site"``, ``"two_site"`` (and ``"three_site"``): Pearson r and the least-squares
        slope of the samples' values against the alignment's.
    energy_samples, energy_alignment : ndarray of float64 or None
        Energies of the samples and of the natural sequences (with a model).
    weights_alignment : ndarray of float64
    n_samples, n_eff_alignment : float
    """

    f1_samples: np.ndarray
    f1_alignment: np.ndarray
    c2_samples: np.ndarray
    c2_alignment: np.ndarray
    pairs: np.ndarray
    pearson: dict
    slope: dict
    weights_alignment: np.ndarray
    n_samples: int
    n_eff_alignment: float
    c3_samples: np.ndarray | None = None
    c3_alignment: np.ndarray | None = None
    triplets: np.ndarray | None = None
    energy_samples: np.ndarray | None = None
    energy_alignment: np.ndarray | None = None

    def energy_histograms(self, bins: int = 50):
        """(edges, density of samples, weighted density of natural sequences), or None."""
        if self.energy_samples is None or self.energy_alignment is None:
            return None
        both = np.concatenate([self.energy_samples, self.energy_alignment])
        edges = np.histogram_bin_edges(both, bins=bins)
        hs, _ = np.histogram(self.energy_samples, bins=edges, density=True)
        ha, _ = np.histogram(self.energy_alignment, bins=edges, weights=self.weights_alignment, density=True)
        return edges, hs, ha

    def summary(self) -> str:
        lines = [f"model check: {self.n_samples} samples against the alignment (N_eff = {self.n_eff_alignment:.1f})"]
        names = {"one_site": "one-site frequencies", "two_site": "two-site connected corr.",
                 "three_site": "three-site connected corr."}
        for key, label in names.items():
            if key in self.pearson:
                lines.append(f"  {label:<28} Pearson r = {self.pearson[key]:.4f}   slope = {self.slope[key]:.4f}")
        if self.energy_samples is not None and self.energy_alignment is not None:
            w = self.weights_alignment
            mean_a = float(np.average(self.energy_alignment, weights=w))
            sd_a = float(np.sqrt(np.average((self.energy_alignment - mean_a) ** 2, weights=w)))
            lines.append(f"  energy: samples {self.energy_samples.mean():.3f} (sd {self.energy_samples.std():.3f}), "
                         f"natural {mean_a:.3f} (sd {sd_a:.3f})")
        return "\n".join(lines)

    def plot(self, path):
        """Scatter plots and energy histograms; see :func:`plot_statistics`."""
        return plot_statistics(self, path)


def _r_and_slope(x, y):
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    dx, dy = x - x.mean(), y - y.mean()
    sxx, syy, sxy = float(dx @ dx), float(dy @ dy), float(dx @ dy)
    r = sxy / math.sqrt(sxx * syy) if sxx > 0 and syy > 0 else float("nan")
    slope = sxy / sxx if sxx > 0 else float("nan")
    return r, slope


def _one_hot(codes: np.ndarray, q: int, values=None):
    """Sparse (N, L q) one-hot matrix of codes (CSR), entries 1 or `values` per row."""
    import scipy.sparse as sp
    N, L = codes.shape
    rows = np.repeat(np.arange(N, dtype=np.int64), L)
    cols = (codes.astype(np.int64) + (np.arange(L, dtype=np.int64) * q)[None, :]).ravel()
    data = np.ones(rows.size) if values is None else np.asarray(values, dtype=np.float64)[rows]
    return sp.csr_matrix((data, (rows, cols)), shape=(N, L * q))


def _pair_stats(codes: np.ndarray, w: np.ndarray, q: int):
    """One-site frequencies (L, q) and pair frequencies (L q, L q), weighted (w sums to 1).

    A sparse one-hot product: O(N L^2) work instead of O(N (L q)^2).
    """
    L = codes.shape[1]
    check_memory((L * q) ** 2 * 8 * 3, f"pair statistics of {L} sites x {q} states")
    f2 = (_one_hot(codes, q).T @ _one_hot(codes, q, w)).toarray()
    f1 = np.diag(f2).reshape(L, q).copy()
    return f1, f2


def _connected_pairs(f1, f2, L, q):
    i, j = np.triu_indices(L, 1)
    f2r = f2.reshape(L, q, L, q)
    fij = f2r[i, :, j, :]          # (P, q, q)
    c = fij - f1[i][:, :, None] * f1[j][:, None, :]
    return c.reshape(-1), np.stack([i, j], axis=1).astype(np.int64)


def _three_site(codes, w, triplets, f1, f2, q):
    """Connected three-site correlations for rows (i, j, k, a, b, c) of `triplets`.

    f_ijk(a, b, c) is summed over the sequences holding the rarest of the three letters
    (index lists cached per site and letter); one- and two-site terms come from f1, f2.
    """
    cT = np.ascontiguousarray(codes.T)  # (L, N)
    cache = {}
    fabc = np.empty(len(triplets))
    for t, (i, j, k, a, b, c) in enumerate(triplets.tolist()):
        three = sorted(((f1[i, a], i, a), (f1[j, b], j, b), (f1[k, c], k, c)))
        _, s0, l0 = three[0]
        idx = cache.get((s0, l0))
        if idx is None:
            idx = cache[(s0, l0)] = np.flatnonzero(cT[s0] == l0)
        (_, s1, l1), (_, s2, l2) = three[1], three[2]
        hit = (cT[s1, idx] == l1) & (cT[s2, idx] == l2)
        fabc[t] = float(w[idx[hit]].sum())
    i, j, k, a, b, c = (triplets[:, m] for m in range(6))
    ca, cb, cc = i * q + a, j * q + b, k * q + c
    fa, fb, fc = f1[i, a], f1[j, b], f1[k, c]
    fab, fac, fbc = f2[ca, cb], f2[ca, cc], f2[cb, cc]
    return fabc - fab * fc - fac * fb - fbc * fa + 2 * fa * fb * fc


def compare_statistics(samples, alignment, weights=None, three_site: bool = False, *, model=None,
                       identity: float = 0.8, n_triplets: int = 10000, seed: int = 0) -> StatisticsComparison:
    """Compare the statistics of sampled sequences with those of the reweighted alignment.

    Parameters
    ----------
    samples : GeneratedSamples, Alignment or array_like of int, shape (M, L)
        Sequences sampled from the model (uniform weights).
    alignment : Alignment or array_like of int, shape (N, L)
        The natural sequences (e.g. the alignment the model was fitted to).
    weights : None, "uniform" or array_like of float, shape (N,), optional
        Weights of the natural sequences. None: :func:`isingbio.weights.sequence_weights` at
        ``identity`` (0.8, plmc's default); "uniform": no reweighting.
    three_site : bool, optional
        Also compare connected three-site correlations of ``n_triplets`` random
        (i < j < k, a, b, c): sites uniformly, letters drawn from the alignment's one-site
        frequencies at those sites (so common letters are chosen more often).
    model : PottsModel, optional
        For the energy histograms (default: the model the samples came from, if known).
    identity : float, optional
    n_triplets : int, optional
    seed : int, optional
        Seed of the triplet choice.

    Returns
    -------
    StatisticsComparison
        Frequencies, connected correlations, Pearson r and slope per order (``.pearson``,
        ``.slope``), energies; ``.summary()``, ``.plot(path)``, ``.energy_histograms()``.
    """
    if model is None:
        model = getattr(samples, "model", None)
    s_codes = getattr(samples, "states", None)
    if s_codes is None:
        s_codes = getattr(samples, "matrix", samples)
    s_codes = np.ascontiguousarray(np.asarray(s_codes), dtype=np.int8)
    a_codes = np.ascontiguousarray(np.asarray(getattr(alignment, "matrix", alignment)), dtype=np.int8)
    if s_codes.ndim != 2 or a_codes.ndim != 2:
        raise InputError("samples and alignment must be (N, L) arrays of state codes (or Alignment objects)")
    if s_codes.shape[1] != a_codes.shape[1]:
        raise InputError(f"samples have L = {s_codes.shape[1]} columns but the alignment has {a_codes.shape[1]}")
    if len(s_codes) == 0 or len(a_codes) == 0:
        raise InputError("samples and alignment must hold at least one sequence each")
    L = s_codes.shape[1]
    a_alpha = getattr(alignment, "alphabet", None)
    s_alpha = getattr(samples, "alphabet", None)
    if a_alpha is not None and s_alpha is not None and a_alpha.letters != s_alpha.letters:
        raise InputError(f"samples use alphabet {s_alpha.letters!r} but the alignment uses {a_alpha.letters!r}")
    a_pos, s_pos = getattr(alignment, "positions", None), getattr(samples, "positions", None)
    if a_pos is not None and s_pos is not None and not np.array_equal(np.asarray(a_pos), np.asarray(s_pos)):
        logger.warning("samples and alignment have different positions (%s vs %s); comparing column by column",
                       format_positions(s_pos), format_positions(a_pos))
    if a_alpha is not None:
        q = a_alpha.q
    elif s_alpha is not None:
        q = s_alpha.q
    elif model is not None:
        q = model.q
    else:
        q = int(max(s_codes.max(), a_codes.max())) + 1
    if s_codes.min() < 0 or a_codes.min() < 0 or s_codes.max() >= q or a_codes.max() >= q:
        raise InputError(f"state codes must be in 0..{q - 1}")
    if model is not None and (model.q != q or model.n_sites != L):
        raise InputError(f"the model (L = {model.n_sites}, q = {model.q}) does not match the data (L = {L}, q = {q})")

    if isinstance(weights, str):
        if weights != "uniform":
            raise InputError(f"weights must be None, 'uniform' or an array, got {weights!r}")
        w = np.ones(len(a_codes))
    elif weights is None:
        from .weights import sequence_weights
        w, _ = sequence_weights(a_codes, identity=identity)
    else:
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != (len(a_codes),):
            raise InputError(f"weights must have shape ({len(a_codes)},), got {w.shape}")
        if not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise InputError("weights must be finite, non-negative and not all zero")
    w = np.asarray(w, dtype=np.float64)
    n_eff = float(w.sum())
    wn = w / n_eff
    ws = np.full(len(s_codes), 1.0 / len(s_codes))

    f1s, f2s = _pair_stats(s_codes, ws, q)
    c2s, pairs = _connected_pairs(f1s, f2s, L, q)
    f1a, f2a = _pair_stats(a_codes, wn, q)
    c2a, _ = _connected_pairs(f1a, f2a, L, q)
    pearson, slope = {}, {}
    pearson["one_site"], slope["one_site"] = _r_and_slope(f1a.ravel(), f1s.ravel())
    if c2s.size:
        pearson["two_site"], slope["two_site"] = _r_and_slope(c2a, c2s)
    c3s = c3a = triplets = None
    if three_site:
        n_triplets = check_positive_int(n_triplets, "n_triplets")
        if L < 3:
            raise InputError("three-site correlations need L >= 3")
        rng = np.random.default_rng(seed)
        sites = np.sort(np.argpartition(rng.random((n_triplets, L)), 2, axis=1)[:, :3], axis=1)
        cdf = np.cumsum(f1a, axis=1)
        cdf /= cdf[:, -1:]
        u = rng.random((n_triplets, 3))
        letters = np.stack([np.minimum((cdf[sites[:, k]] < u[:, k:k + 1]).sum(axis=1), q - 1) for k in range(3)],
                           axis=1)
        triplets = np.concatenate([sites, letters], axis=1).astype(np.int64)
        c3s = _three_site(s_codes, ws, triplets, f1s, f2s, q)
        c3a = _three_site(a_codes, wn, triplets, f1a, f2a, q)
        pearson["three_site"], slope["three_site"] = _r_and_slope(c3a, c3s)
    del f2s, f2a
    e_s = e_a = None
    if model is not None:
        e_s = getattr(samples, "energy", None)
        if e_s is None or len(e_s) != len(s_codes):
            e_s = np.asarray(model.energy(s_codes), dtype=np.float64).reshape(-1)
        e_a = np.asarray(model.energy(a_codes), dtype=np.float64).reshape(-1)
    return StatisticsComparison(f1_samples=f1s, f1_alignment=f1a, c2_samples=c2s, c2_alignment=c2a, pairs=pairs,
                                pearson=pearson, slope=slope, weights_alignment=w, n_samples=len(s_codes),
                                n_eff_alignment=n_eff, c3_samples=c3s, c3_alignment=c3a, triplets=triplets,
                                energy_samples=e_s, energy_alignment=e_a)


# --------------------------------------------------------------------------------------------
# Figures (matplotlib Agg, written atomically)
# --------------------------------------------------------------------------------------------
def plot_mixing(diagnostics: MixingDiagnostics, path, max_chains: int = 8):
    """Energy per chain, Hamming distance from the start and between chains, against sweeps."""
    d = diagnostics
    fig = figure(figsize=(8, 7.5))
    axes = fig.subplots(3, 1, sharex=True)
    for c in range(min(d.energy.shape[0], max_chains)):
        axes[0].plot(d.sweeps, d.energy[c], lw=0.7, alpha=0.8)
        axes[1].plot(d.sweeps, d.hamming_from_start[c], lw=0.7, alpha=0.8)
    axes[2].plot(d.sweeps, d.hamming_between, lw=1.0, color="k")
    axes[0].set_ylabel("energy H")
    axes[1].set_ylabel("distance from start")
    axes[2].set_ylabel("distance between chains")
    axes[2].set_xlabel("sweep")
    for ax in axes:
        ax.axvline(d.burn_in, color="grey", ls="--", lw=0.8)
        ax.grid(alpha=0.3)
    status = "decorrelated" if d.decorrelated else "NOT decorrelated: " + d.problems[0][:60] + "..."
    axes[0].set_title(f"tau_int {d.tau_int:.3g} sweeps, R-hat {d.r_hat:.3f}: {status}", fontsize=9)
    return save_figure(fig, path)


def _scatter(ax, x, y, r, slope, title, max_points=200000, seed=0):
    x, y = np.asarray(x), np.asarray(y)
    if x.size > max_points:
        rng = np.random.default_rng(seed)
        keep = rng.choice(x.size, max_points, replace=False)
        big = np.argsort(np.abs(x))[-max_points // 10:]  # always show the largest values
        keep = np.union1d(keep, big)
        x, y = x[keep], y[keep]
    ax.scatter(x, y, s=3, alpha=0.4, rasterized=True, lw=0)
    lo = float(min(x.min(), y.min())) if x.size else 0.0
    hi = float(max(x.max(), y.max())) if x.size else 1.0
    ax.plot([lo, hi], [lo, hi], "k--", lw=0.8, zorder=0)
    ax.set_title(f"{title}\nr = {r:.3f}, slope = {slope:.3f}", fontsize=9)
    ax.set_xlabel("alignment (reweighted)")
    ax.set_ylabel("samples")
    ax.grid(alpha=0.3)


def plot_statistics(comparison: StatisticsComparison, path):
    """One-, two- (and three-) site scatter plots against the alignment and energy histograms."""
    c = comparison
    panels = 2 + (c.c3_samples is not None) + (c.energy_samples is not None and c.energy_alignment is not None)
    fig = figure(figsize=(4.2 * panels, 4))
    axes = fig.subplots(1, panels)
    axes = np.atleast_1d(axes)
    _scatter(axes[0], c.f1_alignment.ravel(), c.f1_samples.ravel(), c.pearson["one_site"], c.slope["one_site"],
             "one-site frequencies")
    if "two_site" in c.pearson:
        _scatter(axes[1], c.c2_alignment, c.c2_samples, c.pearson["two_site"], c.slope["two_site"],
                 "connected two-site correlations")
    k = 2
    if c.c3_samples is not None:
        _scatter(axes[k], c.c3_alignment, c.c3_samples, c.pearson["three_site"], c.slope["three_site"],
                 "connected three-site correlations")
        k += 1
    hist = c.energy_histograms()
    if hist is not None:
        edges, hs, ha = hist
        axes[k].stairs(hs, edges, label="samples", lw=1.2)
        axes[k].stairs(ha, edges, label="natural (reweighted)", lw=1.2)
        axes[k].set_xlabel("energy H")
        axes[k].set_ylabel("density")
        axes[k].legend(fontsize=8)
        axes[k].set_title("energies", fontsize=9)
        axes[k].grid(alpha=0.3)
    fig.tight_layout()
    return save_figure(fig, path)


def plot_mutation_heatmap(delta, path, sequence=None, alphabet=None, positions=None, title: str = ""):
    """Heat map of a Delta E table (letters down, positions across); dots mark the target."""
    from .alignment import get_alphabet
    delta = np.asarray(delta, dtype=np.float64)
    L, q = delta.shape
    alpha = get_alphabet(alphabet) if alphabet is not None else None
    pos = np.arange(1, L + 1) if positions is None else np.asarray(positions)
    lim = float(np.nanpercentile(np.abs(delta), 99)) or 1.0
    fig = figure(figsize=(min(30, 2 + 0.16 * L), 1.5 + 0.22 * q))
    ax = fig.subplots()
    im = ax.imshow(delta.T, aspect="auto", cmap="RdBu_r", vmin=-lim, vmax=lim, interpolation="nearest")
    if sequence is not None and alpha is not None:
        x = encode_sequences([sequence] if isinstance(sequence, str) else [np.asarray(sequence)], alpha, L)[0]
        ax.plot(np.arange(L), x, "k.", ms=3)
    if alpha is not None:
        ax.set_yticks(range(q))
        ax.set_yticklabels(list(alpha.letters), fontsize=7)
    step = max(1, L // 40)
    ax.set_xticks(range(0, L, step))
    ax.set_xticklabels([str(p) for p in pos[::step]], fontsize=7, rotation=90)
    ax.set_xlabel("position")
    ax.set_ylabel("mutant letter")
    fig.colorbar(im, ax=ax, label="Delta E = H(mutant) - H(target)  (> 0: destabilising)")
    ax.set_title(title or "single-mutant energy changes", fontsize=10)
    fig.tight_layout()
    return save_figure(fig, path)
