"""Boltzmann-machine learning of dense Potts models (bmDCA): :func:`fit_bm`.

The fit is gradient ascent on the (optionally L2-regularised) log-likelihood of the
reweighted alignment. Its gradient is the difference between the data's one- and two-site
frequencies (with a pseudocount) and the model's:

    dL/dh_i(a)     = f_i(a) - p_i(a) - lambda_h h_i(a)
    dL/dJ_ij(a, b) = f_ij(a, b) - p_ij(a, b) - lambda_J J_ij(a, b)

The model's frequencies come from persistent chains (``n_chains`` sequences that are carried
from step to step, ``sweeps_per_step`` heat-bath or Metropolis sweeps per step), counted by a
compiled kernel. The sweeps run on :mod:`isingbio._kernels._bm`: the dense kernels' fixed-point
arithmetic and random numbers (the chains end bit for bit as with
:func:`isingbio._kernels._dense.potts_metropolis`), with the couplings converted to integers
once per step and no energies kept, in calls of a block of chains each (a fraction of a
second, so Ctrl-C acts; each chain's local fields are built once per step). Gaps are a state
like any other (a generative model must emit them). Parameters are kept in float64, the
couplings as one vector of the entries ``J[i, j, a, b]`` with ``i < j``; the kernels get a
float32 copy in which each entry is written to both ``J[i, j, a, b]`` and ``J[j, i, b, a]``,
so the symmetry holds exactly at every step.

Each step records the Pearson correlation and slope (model against data) of the connected
correlations ``C_ij(a, b) = f_ij(a, b) - f_i(a) f_j(b)`` over ``i < j`` and of the one-site
frequencies; the fit stops when the connected Pearson reaches ``target_pearson`` with the slope
within ``slope_tolerance`` of 1.

Equilibration is checked as the fit runs, as adabmDCA does: every ``check_every`` steps the
chains' current sequences are compared with their own sequences at the previous check
(sequence identity) and with other chains' current sequences. When a chain is still
significantly more similar to its own past than to an independent chain, the chains lag
behind the model and ``sweeps_per_step`` is raised by half (up to ``max_sweeps``). The result
says whether the last check found the chains decorrelated (``equilibrated``). Chains that keep
up with a moving model can still sit off its equilibrium (they co-evolve with it), so the
target is confirmed before the fit stops: the chains run a check period's sweeps more with
the model held fixed and must still meet it; if they do not, the sweeps are raised and the fit
goes on from those chains. The final chains are kept with the model (``model.chains``), so
that :func:`isingbio.sample_sequences` starts from samples of it.

Checkpoints: with ``checkpoint=PATH`` the whole state of the fit (parameters, chains, their
random-number states, sweeps, trace) is written atomically to ``PATH`` every
``checkpoint_interval`` seconds, at the end and on Ctrl-C; a later call with the same
alignment, settings and ``checkpoint`` resumes from it and gives the same model, bit for
bit, as an uninterrupted fit. A checkpoint from another alignment or other settings is
refused.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ._config import resolve_threads
from ._files import atomic_output
from ._progress import progress_bar
from ._random import as_seed_sequence, chain_rng_states, seed_entropy
from ._typing import ArrayLike, PathLike, SeedLike
from ._validation import check_memory, check_positive_int
from .errors import FormatError, InputError
from .models import PottsModel

if TYPE_CHECKING:
    from .alignment import Alignment

__all__ = ["fit_bm", "BMResult"]

logger = logging.getLogger(__name__)

_CHECKPOINT_FORMAT = "isingbio-bm-checkpoint"
_CHECKPOINT_VERSION = 1
# chains lag when their identity with their own past exceeds that between chains by more than
# three standard errors plus this (differences of two percent of sites are of no consequence)
_LAG_TOLERANCE = 0.02
# chains x sweeps x L^2 per kernel call and thread: about a tenth of a second, so Ctrl-C acts
_CALL_WORK = 2e8
_TRACE_KEYS = ("step", "pearson", "slope", "pearson_one_site", "slope_one_site", "sweeps", "seconds")


@dataclass
class BMResult:
    """The outcome of :func:`fit_bm`.

    Attributes
    ----------
    model : PottsModel
        Dense float32 model; ``metadata["gaps_modelled"]`` is True.
    trace : dict of ndarray
        One entry per step: ``step``, ``pearson`` and ``slope`` (connected correlations,
        model chains against data), ``pearson_one_site``, ``slope_one_site``, ``sweeps``
        (sweeps per step used), ``seconds`` (wall time since the start, resumed runs
        included).
    converged : bool
        The connected Pearson reached the target, with the chains at equilibrium by the last
        check.
    equilibrated : bool or None
        Whether the last equilibration check found the chains decorrelated (None: no check
        ran, too few steps).
    n_steps : int
    n_chains : int
    sweeps_per_step : int
        Sweeps per step at the end (raised when chains lagged).
    time : float
        Seconds (of all runs of a resumed fit).
    n_eff : float
    weights : ndarray of float64
    hyperparameters : dict
    seed : int
    chains : ndarray of int8, shape (n_chains, L)
        The persistent chains at the end (samples of the final model, up to one step).
    resumed_from : int
        Step of the checkpoint the fit resumed from (0: a fresh fit).
    """

    model: PottsModel
    trace: dict[str, np.ndarray]
    converged: bool
    equilibrated: bool | None
    n_steps: int
    n_chains: int
    sweeps_per_step: int
    time: float
    n_eff: float
    weights: np.ndarray = field(repr=False)
    hyperparameters: dict = field(default_factory=dict)
    seed: int = 0
    chains: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.int8), repr=False)
    resumed_from: int = 0

    @property
    def pearson(self) -> float:
        """Connected-correlation Pearson of the last step (NaN before any step)."""
        p = self.trace["pearson"]
        return float(p[-1]) if p.size else float("nan")

    @property
    def slope(self) -> float:
        """Connected-correlation slope of the last step."""
        s = self.trace["slope"]
        return float(s[-1]) if s.size else float("nan")

    def summary(self) -> str:
        """A few lines: steps, Pearson and slope, equilibration, time."""
        t = self.trace
        lines = [
            f"Boltzmann-machine fit: {self.n_steps} steps, {self.n_chains} chains, "
            f"{self.sweeps_per_step} sweeps per step at the end, {self.time:.1f} s"
            + (f" (resumed at step {self.resumed_from})" if self.resumed_from else "")
        ]
        if t["step"].size:
            lines.append(
                f"  connected correlations  Pearson {self.pearson:.4f}, slope {self.slope:.4f} "
                f"(target {self.hyperparameters.get('target_pearson')}: "
                f"{'reached' if self.converged else 'not reached'})"
            )
            lines.append(
                f"  one-site frequencies    Pearson {float(t['pearson_one_site'][-1]):.4f}, "
                f"slope {float(t['slope_one_site'][-1]):.4f}"
            )
        val = self.model.metadata.get("validation")
        if val:
            lines.append(
                f"  with the model fixed    Pearson {val['pearson']:.4f}, slope {val['slope']:.4f} "
                f"after {val['sweeps']} more sweeps (step {val['step']}: target "
                f"{'held' if val.get('passed') else 'missed'})"
            )
        eq = {True: "yes", False: "NO (chains lag behind the model: raise sweeps_per_step)", None: "not checked"}
        ident = self.model.metadata.get("chain_identity") or {}
        note = ""
        if ident.get("persistent"):
            note = (
                f" (identity with own past {ident['own_past']:.3f} against {ident['between']:.3f} between "
                "chains whatever the sweeps: the chains keep to their subfamilies)"
            )
        lines.append(f"  chains at equilibrium   {eq[self.equilibrated]}{note}")
        return "\n".join(lines)

    def plot(self, path: PathLike) -> str:
        """The training trace; see :func:`isingbio.plot.plot_training`."""
        from .plot import plot_training

        return plot_training(self, path)


def _as_model_init(init: Any, L: int, q: int) -> str | PottsModel:
    if isinstance(init, PottsModel):
        if init.J is None:
            raise InputError("init must be a dense PottsModel (PottsModel(h, J)), 'plm' or 'profile'")
        if init.n_sites != L or init.q != q:
            raise InputError(
                f"the init model (L = {init.n_sites}, q = {init.q}) does not match the alignment (L = {L}, q = {q})"
            )
        return init
    if init not in ("plm", "profile"):
        raise InputError(f"init must be 'plm', 'profile' or a PottsModel, got {init!r}")
    return str(init)


class _Layout:
    """Index arrays of the coupling entries J[i, j, a, b] with i < j (the free parameters).

    Entry k sits at row ``rows[k] = i q + a`` and column ``cols[k] = j q + b`` of the
    (L q, L q) count matrix of :func:`isingbio._kernels._dense.pair_counts` (flat index
    ``flat[k]``), and at flat indices ``jflat[k]`` ((i, j, a, b)) and ``jflat_t[k]``
    ((j, i, b, a)) of the (L, L, q, q) couplings: writing one value to both keeps J exactly
    symmetric.
    """

    def __init__(self, L: int, q: int) -> None:
        self.L, self.q = L, q
        i, j = np.triu_indices(L, 1)
        self.pi, self.pj = i.astype(np.int32), j.astype(np.int32)
        a, b = np.meshgrid(np.arange(q), np.arange(q), indexing="ij")
        ii, jj = i[:, None, None], j[:, None, None]
        self.rows = (ii * q + a[None]).reshape(-1)
        self.cols = (jj * q + b[None]).reshape(-1)
        self.flat = self.rows * (L * q) + self.cols
        self.jflat = (((ii * L + jj) * q + a[None]) * q + b[None]).reshape(-1)
        self.J32 = np.zeros((L, L, q, q), dtype=np.float32)  # diagonal blocks stay zero

    @property
    def size(self) -> int:
        return int(self.flat.size)

    def pairs(self, counts: np.ndarray) -> np.ndarray:
        """The i < j entries of a count matrix, as a vector."""
        return counts.reshape(-1)[self.flat]

    def one_site(self, counts: np.ndarray) -> np.ndarray:
        return np.diag(counts).reshape(self.L, self.q).copy()

    def connected(self, f1: np.ndarray, f2: np.ndarray) -> np.ndarray:
        flat = f1.reshape(-1)
        return f2 - flat[self.rows] * flat[self.cols]

    def from_model(self, J: np.ndarray | None) -> np.ndarray:
        """The i < j entries of (L, L, q, q) couplings (which are assumed symmetric)."""
        assert J is not None, "a dense model has couplings"
        return np.asarray(J, dtype=np.float64).reshape(-1)[self.jflat]

    def couplings(self, Jv: np.ndarray, n_threads: int = 1) -> np.ndarray:
        """float32 (L, L, q, q) couplings of the vector (a buffer reused from call to call)."""
        from ._kernels._bm import couplings_from_pairs

        couplings_from_pairs(Jv, self.pi, self.pj, self.J32, n_threads)
        return self.J32


def _data_statistics(matrix: np.ndarray, w: np.ndarray, lay: _Layout, pseudocount: float, n_threads: int):
    """One-site (L, q) and i < j two-site frequencies (vector), with the pseudocount."""
    from ._kernels._dense import pair_counts

    L, q = lay.L, lay.q
    counts = np.zeros((L * q, L * q))
    pair_counts(matrix, w / w.sum(), counts, n_threads)
    f1 = (1 - pseudocount) * lay.one_site(counts) + pseudocount / q
    f2 = (1 - pseudocount) * lay.pairs(counts) + pseudocount / (q * q)
    return f1, f2


def _r_slope(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    dx = x - x.mean()
    return _r_slope_centered(dx, float(dx @ dx), y)


def _r_slope_centered(dx: np.ndarray, sxx: float, y: np.ndarray) -> tuple[float, float]:
    """Pearson and slope of y against x, given dx = x - mean(x) and sxx = dx . dx."""
    return _r_slope_sums(sxx, np.array([y.sum(), y @ y, dx @ y]), y.size)


def _r_slope_sums(sxx: float, sums: np.ndarray, n: int) -> tuple[float, float]:
    """Pearson and slope from sxx = dx . dx and sums = (sum y, sum y^2, dx . y) over n entries."""
    sy, syy, sxy = (float(v) for v in sums[:3])
    syy -= sy * sy / n
    r = sxy / math.sqrt(sxx * syy) if sxx > 0 and syy > 0 else float("nan")
    return r, (sxy / sxx if sxx > 0 else float("nan"))


def _identity(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Mean and standard error over rows of the fraction of equal sites."""
    s = (a == b).mean(axis=1)
    return float(s.mean()), float(s.std() / math.sqrt(max(len(s) - 1, 1)))


_LR_UP, _LR_DOWN, _LR_MAX, _LR_MIN = 1.2, 0.5, 40.0, 0.01


def _adaptive_steps(
    opt: dict[str, np.ndarray], g1: np.ndarray, g2: np.ndarray | None, lr: float
) -> dict[str, np.ndarray]:
    """Per-parameter step sizes after a step with gradients g1 (fields) and g2 (couplings;
    None: fields only, the couplings' are :func:`isingbio._kernels._bm.coupling_step`).

    New arrays (the old ones are left alone, so that an interrupted step changes nothing).
    """
    out = {}
    for key, g in (("h", g1), ("J", g2)):
        if g is None:
            continue
        sign = np.sign(g).astype(np.int8)
        if "lr_" + key not in opt:
            out["lr_" + key] = np.full(g.shape, lr)
        else:
            agree = sign * opt["sign_" + key]
            step = np.where(agree > 0, _LR_UP, np.where(agree < 0, _LR_DOWN, 1.0))
            out["lr_" + key] = np.clip(opt["lr_" + key] * step, lr * _LR_MIN, lr * _LR_MAX)
        out["sign_" + key] = sign
    return out


def _fingerprint(matrix: np.ndarray, w: np.ndarray, q: int) -> str:
    d = hashlib.sha256()
    d.update(np.asarray(matrix.shape, dtype=np.int64).tobytes())
    d.update(np.ascontiguousarray(matrix).tobytes())
    d.update(np.ascontiguousarray(w, dtype=np.float64).tobytes())
    d.update(str(q).encode())
    return d.hexdigest()


def _save_checkpoint(path: str, state: dict[str, Any]) -> None:
    meta = dict(state["meta"])
    arrays = {k: v for k, v in state.items() if k != "meta"}
    with atomic_output(path, "wb", suffix=".npz") as fh:
        np.savez(fh, format=np.array(_CHECKPOINT_FORMAT), meta=np.array(json.dumps(meta, sort_keys=True)), **arrays)


def _load_checkpoint(path: str, fingerprint: str, settings: dict[str, Any], seed_given: bool) -> dict[str, Any]:
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError, EOFError) as exc:
        raise FormatError(f"not a readable checkpoint ({exc})", path=path) from None
    if str(arrays.get("format", "")) != _CHECKPOINT_FORMAT:
        raise FormatError("not an isingbio Boltzmann-machine checkpoint", path=path)
    meta = json.loads(str(arrays.pop("meta")))
    if meta.get("version") != _CHECKPOINT_VERSION:
        raise FormatError(f"checkpoint version {meta.get('version')} is not {_CHECKPOINT_VERSION}", path=path)
    if meta.get("fingerprint") != fingerprint:
        raise InputError(
            f"checkpoint {path} was written for another alignment (or other weights): "
            "give another --checkpoint file or remove it"
        )
    old = meta.get("settings", {})
    if not seed_given:  # no seed asked for: continue with the checkpoint's
        settings["seed"] = old.get("seed")
    diff = sorted(k for k in set(old) | set(settings) if old.get(k) != settings.get(k))
    if diff:
        what = ", ".join(f"{k} {old.get(k)!r} -> {settings.get(k)!r}" for k in diff)
        raise InputError(f"checkpoint {path} was written with other settings ({what}): use the same settings")
    arrays["meta"] = meta
    return arrays


def fit_bm(
    alignment: Alignment | ArrayLike,
    *,
    q: int | None = None,
    weights: str | ArrayLike | None = None,
    init: str | PottsModel = "plm",
    n_chains: int = 10000,
    sweeps_per_step: int = 10,
    learning_rate: float = 0.05,
    optimizer: str = "adaptive",
    target_pearson: float = 0.95,
    slope_tolerance: float | None = 0.1,
    max_steps: int = 2000,
    max_time: float | None = None,
    lambda_h: float = 0.0,
    lambda_J: float = 0.0,
    pseudocount: float | None = None,
    method: str = "heatbath",
    burn_in: int | None = None,
    check_every: int = 10,
    max_sweeps: int = 1000,
    seed: SeedLike = None,
    n_threads: int | None = None,
    progress: bool = False,
    checkpoint: PathLike | None = None,
    checkpoint_interval: float = 60.0,
) -> BMResult:
    """Fit a dense Potts model to an alignment by Boltzmann-machine learning (bmDCA).

    Parameters
    ----------
    alignment : Alignment or array_like of int, shape (N, L)
        The alignment (gaps are a state), or a matrix of state codes (then `q` is needed).
    q : int, optional
        Number of states, for a plain matrix.
    weights : None, 'uniform' or array_like of float, shape (N,)
        Sequence weights; None: 1/(neighbours at >= 80% identity), as :func:`fit_plm`.
    init : {"plm", "profile"} or PottsModel, optional
        Start: a pseudo-likelihood fit with gaps as a state (default), the independent-site
        model, or a given dense model.
    n_chains : int, optional
        Persistent chains (default 10000, as adabmDCA). The noise of the model's statistics
        falls as ``1 / sqrt(n_chains)`` and caps the Pearson the chains can show: 5000
        independent draws from the PF00014 alignment itself give a connected Pearson of only
        0.94 against it, 10000 draws 0.97, 20000 0.98.
    sweeps_per_step : int, optional
        Sweeps of every chain per gradient step (default 10); raised when chains lag.
    learning_rate : float, optional
        Step size of the plain gradient (default 0.05, as adabmDCA).
    optimizer : {"adaptive", "sgd"}, optional
        ``"sgd"``: every parameter moves by ``learning_rate`` times its gradient.
        ``"adaptive"`` (default): each parameter has its own step size, starting at
        ``learning_rate``, multiplied by 1.2 (up to ``40 * learning_rate``) while its gradient
        keeps its sign and halved (down to ``learning_rate / 100``) when the sign flips:
        parameters far from their value (rare pairs) speed up, those that only jitter in the
        chains' noise slow down, which also damps the noise.
    target_pearson : float, optional
        Stop when the Pearson correlation of the connected correlations reaches it, in (0, 1]
        (and the slope is within `slope_tolerance` of 1), at an equilibration check that finds
        the chains decorrelated, and still does after a check period's sweeps with the model
        held fixed (``metadata["validation"]``). Otherwise the sweeps are raised and the fit
        goes on: chains that lag behind the model, or co-evolved with it off its
        equilibrium, flatter it.
    slope_tolerance : float or None, optional
        The target also needs the slope of the connected correlations (model against data)
        within this distance of 1 (default 0.1: between 0.9 and 1.1); a Pearson of 0.95 with
        the model's correlations too weak is not a converged fit. None: the Pearson alone.
    max_steps : int, optional
        Stop after this many gradient steps (counted over resumed runs).
    max_time : float, optional
        Also stop after this many seconds (of this call). A fit cut short by time is not
        reproducible step for step; resume it with a larger limit from its checkpoint.
    lambda_h, lambda_J : float, optional
        L2 strengths on fields and couplings (default 0: the pseudocount regularises).
    pseudocount : float, optional
        Weight of the uniform distribution mixed into the data frequencies, in [0, 1);
        default ``1 / N_eff``.
    method : {"heatbath", "metropolis"}, optional
        Update of the chains. Heat-bath (default) costs about three times as much per sweep
        but keeps up with the model on every family measured, where Metropolis chains lag.
    burn_in : int, optional
        Sweeps of the chains on the initial model before the first step (default
        ``10 * sweeps_per_step``).
    check_every : int, optional
        Steps between equilibration checks.
    max_sweeps : int, optional
        Upper limit of ``sweeps_per_step`` when it is raised.
    seed : int, numpy Generator or SeedSequence, optional
        The same seed gives the same model, whatever ``n_threads`` is.
    n_threads : int, optional
        OpenMP threads (default: all cores).
    progress : bool, optional
        Progress bar on stderr.
    checkpoint : path, optional
        Checkpoint file: resumed from when it exists, written every
        ``checkpoint_interval`` seconds, at the end and on Ctrl-C.
    checkpoint_interval : float, optional

    Returns
    -------
    BMResult
        ``.model``, ``.trace``, ``.converged``, ``.equilibrated``, ``.summary()``, ``.plot(path)``.

    Raises
    ------
    InputError
        Bad alignment (fewer than 2 sequences), parameters, init model or checkpoint.
    """
    from ._kernels import _bm, _dense
    from .plm import _as_codes, _weights_for

    t_start = time.perf_counter()
    matrix, q, alphabet, positions = _as_codes(alignment, q)
    N, L = matrix.shape
    target_pearson = float(target_pearson)
    if not (0 < target_pearson <= 1):
        raise InputError(f"target_pearson must be in (0, 1], got {target_pearson}")
    if slope_tolerance is not None:
        slope_tolerance = float(slope_tolerance)
        if not (math.isfinite(slope_tolerance) and slope_tolerance > 0):
            raise InputError(f"slope_tolerance must be > 0 or None, got {slope_tolerance}")

    def on_target(r: float, s: float) -> bool:
        return r >= target_pearson and (slope_tolerance is None or abs(s - 1.0) <= slope_tolerance)

    n_chains = check_positive_int(n_chains, "n_chains", minimum=2)
    sweeps = check_positive_int(sweeps_per_step, "sweeps_per_step")
    max_steps = check_positive_int(max_steps, "max_steps", minimum=0)
    check_every = check_positive_int(check_every, "check_every")
    max_sweeps = max(sweeps, check_positive_int(max_sweeps, "max_sweeps"))
    burn_in = 10 * sweeps if burn_in is None else check_positive_int(burn_in, "burn_in", minimum=0)
    learning_rate = float(learning_rate)
    if optimizer not in ("adaptive", "sgd"):
        raise InputError(f"optimizer must be 'adaptive' or 'sgd', got {optimizer!r}")
    lambda_h, lambda_J = float(lambda_h), float(lambda_J)
    for name, val in (("learning_rate", learning_rate), ("lambda_h", lambda_h), ("lambda_J", lambda_J)):
        if not math.isfinite(val) or val < 0 or (name == "learning_rate" and val == 0):
            raise InputError(f"{name} must be finite and {'> 0' if name == 'learning_rate' else '>= 0'}, got {val}")
    method = {"metropolis": "metropolis", "heatbath": "heatbath", "gibbs": "heatbath", "heat-bath": "heatbath"}.get(
        str(method), ""
    )
    if not method:
        raise InputError("method must be 'metropolis' or 'heatbath'")
    init = _as_model_init(init, L, q)
    n_threads = resolve_threads(n_threads)
    check_memory((L * q) ** 2 * 8 * 10, f"Boltzmann-machine learning of {L} sites x {q} states")
    w, weight_kind = _weights_for(alignment, matrix, q, weights, n_threads)
    n_eff = float(w.sum())
    pc = 1.0 / n_eff if pseudocount is None else float(pseudocount)
    if not (0 <= pc < 1):
        why = f" (the default 1 / N_eff, with N_eff = sum of the weights = {n_eff:.4g})" if pseudocount is None else ""
        raise InputError(f"pseudocount must be in [0, 1), got {pc}{why}: give pseudocount=")
    seq = as_seed_sequence(seed)
    seed_used = seed_entropy(seq)
    kernel = _dense.potts_metropolis if method == "metropolis" else _dense.potts_heatbath

    lay = _Layout(L, q)
    f1d, f2d = _data_statistics(matrix, w, lay, pc, n_threads)
    c_data = lay.connected(f1d, f2d)
    dc_data = c_data - c_data.mean()
    sxx_data = float(dc_data @ dc_data)
    settings: dict[str, Any] = dict(
        n_chains=n_chains,
        sweeps_per_step=sweeps,
        learning_rate=learning_rate,
        optimizer=optimizer,
        lambda_h=lambda_h,
        lambda_J=lambda_J,
        pseudocount=pc,
        method=method,
        burn_in=burn_in,
        check_every=check_every,
        max_sweeps=max_sweeps,
        seed=str(seed_used),
        init=init if isinstance(init, str) else "model",
    )
    fingerprint = _fingerprint(matrix, w, q)
    ckpt = os.fspath(checkpoint) if checkpoint is not None else None
    resumed = None
    if ckpt is not None and os.path.exists(ckpt):
        resumed = _load_checkpoint(ckpt, fingerprint, settings, seed is not None)
        seed_used = int(str(settings["seed"]))

    trace: dict[str, list[float]] = {k: [] for k in _TRACE_KEYS}
    if resumed is not None:
        h = resumed["h"].astype(np.float64)
        Jv = resumed["Jv"].astype(np.float64)
        states = np.ascontiguousarray(resumed["states"], dtype=np.int8)
        rng = np.ascontiguousarray(resumed["rng"], dtype=np.uint64)
        last_check = np.ascontiguousarray(resumed["last_check"], dtype=np.int8)
        opt = {k[4:]: resumed[k].copy() for k in resumed if k.startswith("opt_")}
        step0 = int(resumed["meta"]["step"])
        sweeps = int(resumed["meta"]["sweeps"])
        equilibrated = resumed["meta"]["equilibrated"]
        elapsed_before = float(resumed["meta"]["elapsed"])
        for k in _TRACE_KEYS:
            trace[k] = resumed["trace_" + k].tolist()
        logger.info("bm: resumed from %s at step %d", ckpt, step0)
    else:
        step0, equilibrated, elapsed_before = 0, None, 0.0
        if isinstance(init, PottsModel):
            h = init.h.astype(np.float64)
            Jv = lay.from_model(init.J)
        elif init == "plm":
            from .plm import fit_plm

            plm = fit_plm(matrix, q=q, weights=w, ignore_gaps=False, n_threads=n_threads, dtype=np.float64)
            h = plm.model.h.astype(np.float64)
            Jv = lay.from_model(plm.model.J)
        else:
            h = np.log(f1d)
            h -= h.mean(axis=1, keepdims=True)
            Jv = np.zeros(lay.size)
        rng = chain_rng_states(seq, n_chains)
        init_rng = np.random.default_rng(seq.spawn(1)[0])
        states = init_rng.integers(0, q, size=(n_chains, L), dtype=np.int8)
        last_check = states.copy()

    if resumed is None:
        opt = {}

    # Ctrl-C is seen between kernel calls: a call runs a block of chains (or, for long runs,
    # of sweeps) sized by its work; chains are independent and their local fields are a
    # function of their state, so the result is that of one call, whatever the split
    call_work = _CALL_WORK * n_threads

    def run_chains(h_: np.ndarray, Jv_: np.ndarray, x: np.ndarray, r: np.ndarray, n_sweeps: int) -> None:
        hh = np.ascontiguousarray(h_, dtype=np.float32)
        JJ = lay.couplings(Jv_, n_threads)
        Jq, qs = _bm.fixed_couplings(JJ, n_threads)
        per_chain = float(n_sweeps) * L * L
        block = int(min(n_chains, max(4 * n_threads, call_work // per_chain)))
        sweeps_per_call = max(1, int(call_work // (block * L * L)))
        for c0 in range(0, n_chains, block):
            xs, rs = x[c0 : c0 + block], r[c0 : c0 + block]
            left = n_sweeps
            while left > 0:
                now = min(left, sweeps_per_call)
                if Jq is not None:
                    _bm.bm_sweeps(hh, Jq, qs, xs, rs, now, method == "heatbath", n_threads)
                else:  # couplings too large for fixed point: the dense kernels' double caches
                    m = xs.shape[0]
                    scratch = tuple(np.empty((m, 1)) for _ in range(3))
                    kernel(hh, JJ, xs, rs, 1.0, 1.0, 1, now, *scratch, np.zeros((m, 4)), n_threads)
                left -= now

    if resumed is None and burn_in:
        run_chains(h, Jv, states, rng, burn_in)
        last_check = states.copy()

    def snapshot(step: int) -> dict[str, Any]:
        meta = dict(
            version=_CHECKPOINT_VERSION,
            fingerprint=fingerprint,
            settings=settings,
            step=step,
            sweeps=sweeps,
            equilibrated=equilibrated,
            converged=converged,
            validation=validation,
            excess=excess,
            identity=identity,
            elapsed=elapsed_before + time.perf_counter() - t_start,
        )
        out: dict[str, Any] = dict(meta=meta, h=h, Jv=Jv, states=states, rng=rng, last_check=last_check)
        out.update({"opt_" + k: v for k, v in opt.items()})
        for k in _TRACE_KEYS:
            out["trace_" + k] = np.asarray(trace[k], dtype=np.float64)
        return out

    wm = np.full(n_chains, 1.0 / n_chains)
    f1m_buf, f2m = np.empty(L * q), np.empty(lay.size)
    csums = np.empty((lay.pi.size, 3))
    step = step0
    # a checkpoint written at the end of a converged fit resumes as converged
    converged = bool(resumed is not None and resumed["meta"].get("converged", False))
    validation: dict[str, Any] | None = None if resumed is None else resumed["meta"].get("validation")
    identity: dict[str, Any] | None = None if resumed is None else resumed["meta"].get("identity")
    # (sweeps per step, identity excess) at the last check that found the chains lagging
    excess: tuple[int, float] | None = None
    if resumed is not None and resumed["meta"].get("excess") is not None:
        excess = (int(resumed["meta"]["excess"][0]), float(resumed["meta"]["excess"][1]))
    last_save = time.perf_counter()
    bar = progress_bar(progress, max(max_steps - step0, 0), "bm fit")
    try:
        while step < max_steps and not converged:
            if max_time is not None and time.perf_counter() - t_start >= max_time:
                logger.info("bm: time limit of %.0f s reached at step %d", max_time, step)
                break
            # one step on copies, committed at the end, so Ctrl-C leaves a consistent state
            x, r = states.copy(), rng.copy()
            run_chains(h, Jv, x, r, sweeps)
            _bm.site_frequencies(x, wm, q, f1m_buf, n_threads)
            _bm.pair_frequencies(x, wm, lay.pi, lay.pj, q, f2m, n_threads)
            f1m = f1m_buf.reshape(L, q)
            g1 = f1d - f1m - lambda_h * h
            J_new = np.empty_like(Jv)
            if optimizer == "sgd":
                h_new = h + learning_rate * g1
                _bm.coupling_step(f2d, f2m, Jv, lambda_J, learning_rate, J_new, 0, n_threads)
                opt_new = opt
            else:
                opt_new = _adaptive_steps(opt, g1, None, learning_rate)
                h_new = h + opt_new["lr_h"] * g1
                first = "lr_J" not in opt
                lr_J, sign_J = np.empty_like(Jv), np.empty(Jv.shape, np.int8)
                _bm.coupling_step(
                    f2d,
                    f2m,
                    Jv,
                    lambda_J,
                    learning_rate,
                    J_new,
                    1 if first else 2,
                    n_threads,
                    lr_old=opt.get("lr_J"),
                    sign_old=opt.get("sign_J"),
                    lr_new=lr_J,
                    sign_new=sign_J,
                )
                opt_new.update(lr_J=lr_J, sign_J=sign_J)
            _bm.connected_sums(f1m_buf, f2m, dc_data, lay.pi, lay.pj, q, csums, n_threads)
            r2, s2 = _r_slope_sums(sxx_data, csums.sum(axis=0), f2m.size)
            r1, s1 = _r_slope(f1d.ravel(), f1m.ravel())
            new_sweeps, new_eq, new_check, new_excess = sweeps, equilibrated, last_check, excess
            new_identity = identity
            if (step + 1) % check_every == 0:
                self_id, self_se = _identity(x, last_check)
                cross_id, cross_se = _identity(x, np.roll(x, 1, axis=0))
                se = math.hypot(self_se, cross_se)
                lag = self_id - cross_id > 3 * se + _LAG_TOLERANCE
                # an excess of identity with the own past that did not shrink when the sweeps
                # were raised is the model's structure (chains stay in their subfamily or gap
                # pattern for far longer than a step), not a lag that more sweeps would cure;
                # the validation below still tests the statistics with the model held fixed
                base_sweeps, base_excess = excess if excess is not None else (sweeps, math.inf)
                persistent = lag and base_sweeps < sweeps and self_id - cross_id > base_excess - 3 * se
                # the baseline stays that of the first lagging check at fewer sweeps
                new_excess = excess if persistent else (sweeps, self_id - cross_id) if lag else None
                new_eq = not lag or persistent
                new_identity = dict(own_past=self_id, between=cross_id, persistent=bool(persistent))
                if persistent:
                    logger.info(
                        "bm: identity with own past %.3f, between chains %.3f, as at %d sweeps per step: "
                        "persistent structure, sweeps kept at %d",
                        self_id,
                        cross_id,
                        base_sweeps,
                        sweeps,
                    )
                elif lag and sweeps < max_sweeps:
                    new_sweeps = min(max_sweeps, int(math.ceil(sweeps * 1.5)))
                    logger.info(
                        "bm: chains lag (identity with own past %.3f, between chains %.3f): %d sweeps per step",
                        self_id,
                        cross_id,
                        new_sweeps,
                    )
                new_check = x.copy()
            hit, new_validation = False, validation
            if (step + 1) % check_every == 0 and new_eq is True and on_target(r2, s2):
                # chains that kept up with a moving model can still sit off its equilibrium:
                # the target counts only if it holds after a check period's sweeps with the
                # model held fixed (and those chains carry on either way)
                run_chains(h, Jv, x, r, check_every * sweeps)
                _bm.site_frequencies(x, wm, q, f1m_buf, n_threads)
                _bm.pair_frequencies(x, wm, lay.pi, lay.pj, q, f2m, n_threads)
                _bm.connected_sums(f1m_buf, f2m, dc_data, lay.pi, lay.pj, q, csums, n_threads)
                rv, sv = _r_slope_sums(sxx_data, csums.sum(axis=0), f2m.size)
                hit = on_target(rv, sv)
                new_validation = dict(
                    pearson=float(rv), slope=float(sv), sweeps=check_every * sweeps, step=step + 1, passed=hit
                )
                if not hit:
                    new_sweeps = min(max_sweeps, int(math.ceil(sweeps * 1.5)))
                    logger.info(
                        "bm: on target at step %d but Pearson %.4f slope %.4f after %d more sweeps: %d sweeps per step",
                        step + 1,
                        rv,
                        sv,
                        check_every * sweeps,
                        new_sweeps,
                    )
                    new_check = x.copy()
            elapsed = elapsed_before + time.perf_counter() - t_start
            row = (step + 1, r2, s2, r1, s1, sweeps, elapsed)
            # commit (a validated model is kept as it was sampled, without this step's update)
            if not hit:
                h, Jv, opt = h_new, J_new, opt_new
            states, rng, last_check, sweeps, equilibrated, excess = x, r, new_check, new_sweeps, new_eq, new_excess
            identity = new_identity
            validation = new_validation
            for k, v in zip(_TRACE_KEYS, row):
                trace[k].append(float(v))
            step += 1
            converged = hit
            bar.update(1)
            if step % 10 == 0:
                logger.info("bm step %d: Pearson %.4f slope %.4f (one-site %.4f)", step, r2, s2, r1)
            if ckpt is not None and time.perf_counter() - last_save >= checkpoint_interval:
                _save_checkpoint(ckpt, snapshot(step))
                last_save = time.perf_counter()
    except KeyboardInterrupt:
        if ckpt is not None:
            _save_checkpoint(ckpt, snapshot(step))
            logger.warning("bm: interrupted at step %d; checkpoint written to %s", step, ckpt)
        raise
    finally:
        bar.close()
    if ckpt is not None:
        _save_checkpoint(ckpt, snapshot(step))

    model = PottsModel(np.ascontiguousarray(h, dtype=np.float32), lay.couplings(Jv).copy())
    model.alphabet = alphabet
    model.positions = None if positions is None else np.asarray(positions, dtype=np.int64)
    model.chains = states.copy()  # samples of the model: sampling it later starts from them
    hyper = dict(
        settings,
        target_pearson=target_pearson,
        slope_tolerance=slope_tolerance,
        max_steps=max_steps,
        weights=weight_kind,
    )
    hyper["method"] = f"Boltzmann-machine learning, persistent {method} chains"
    total = elapsed_before + time.perf_counter() - t_start
    model.metadata = dict(
        hyperparameters=hyper,
        gaps_modelled=True,
        n_sequences=int(N),
        n_eff=n_eff,
        seed=seed_used,
        n_steps=step,
        converged=converged,
        equilibrated=equilibrated,
        validation=validation,
        chain_identity=identity,
        pearson=trace["pearson"][-1] if trace["pearson"] else None,
        slope=trace["slope"][-1] if trace["slope"] else None,
        time=total,
    )
    aln: Any = alignment
    if getattr(aln, "target_sequence", ""):
        row_idx = aln.focus_index if aln.focus_index is not None else 0
        model.metadata["target"] = dict(id=aln.ids[row_idx], sequence=aln.alphabet.decode(aln.matrix[row_idx]))
    return BMResult(
        model=model,
        trace={k: np.asarray(v, dtype=np.int64 if k in ("step", "sweeps") else np.float64) for k, v in trace.items()},
        converged=converged,
        equilibrated=equilibrated,
        n_steps=step,
        n_chains=n_chains,
        sweeps_per_step=sweeps,
        time=total,
        n_eff=n_eff,
        weights=w,
        hyperparameters=hyper,
        seed=seed_used,
        chains=states.copy(),
        resumed_from=step0,
    )
