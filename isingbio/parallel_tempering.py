"""Parallel tempering (replica exchange) for lattice, graph and dense models, Ising and Potts.

K replicas of the model, one per rung of a ladder of inverse temperatures betas[0] < ... <
betas[K-1], each sampled by single-site sweeps at its rung's beta (applied to couplings and
fields, as :class:`~isingbio.Sampler`); every ``swap_every`` sweeps neighbouring rungs try to
exchange their configurations with the Metropolis criterion

    min(1, exp((beta_{k+1} - beta_k) (H(x_{k+1}) - H(x_k)))),

on even pairs (0,1), (2,3), ... and odd pairs (1,2), (3,4), ... in alternate rounds. This keeps
the product of the K laws exp(-beta_k H) / Z(beta_k) invariant, while hot replicas carry
configurations across the barriers of rough landscapes (spin glasses, frustrated graphs,
protein models at low temperature). ``n_runs`` independent runs give error bars and the replica
overlap of spin glasses.

The whole replica-exchange loop runs in the compiled kernel (``isingbio._kernels._tempering``),
one OpenMP region per call, parallel over the chains; the swap decisions come from a separate
random stream per run, so results are identical for any thread count and any split of a run
into calls. Lattice models with a uniform field run their single-site sweeps on the lattice
kernels' replica engine (32 chains per SIMD block, each reading the threshold table of its
rung); other lattices (per-site fields, Potts with large q) run in their graph form.

Cluster methods ("swendsen-wang", "wolff") apply where :class:`~isingbio.Sampler` takes them
(lattice and graph forms; Potts with couplings >= 0): each rung is updated by the cluster move
at its beta between swap rounds. A Wolff sweep is a number of single-cluster updates fixed per
rung: L / the mean cluster size of a pilot on that rung, calibrated when the ladder is set or
moved (so it is the same move in every call and for any split of a run).

:func:`tempering` is the one-call form; :class:`TemperingSampler` keeps its chains between
calls. Ladders: :mod:`isingbio.ladders`.
"""

from __future__ import annotations

import time

import numpy as np
from numpy.typing import ArrayLike

from . import ladders
from ._config import resolve_threads
from ._kernels import _tempering  # compiled, typed by its .pyi stub
from ._progress import progress_bar
from ._random import as_seed_sequence, chain_rng_states, seed_entropy
from ._typing import SeedLike
from ._validation import check_memory, check_positive_int
from .couplings import CLUSTER_METHODS, METHOD_ALIASES, DenseCouplings, LatticeCouplings
from .errors import InputError, UnsupportedMethodError
from .models import IsingModel, PottsModel
from .tempering_result import TemperingResult

__all__ = ["TemperingSampler", "tempering", "TEMPERING_METHODS"]

TEMPERING_METHODS = ("metropolis", "heatbath", "swendsen-wang", "wolff")
# work per kernel call, in site updates plus neighbours read (dense: plus L q / 8 per update
# for the cache updates): about 0.1 s or less, so Ctrl-C is prompt (Python checks for it
# between calls); the split never changes results
_CHUNK_WORK = 5e7
# adaptive burn-in: the first half of burn-in adapts the ladder in at most this many stages
_MAX_STAGES = 10
_FEEDBACK_STAGES = 4
_MIN_STAGE = 20  # sweeps per stage at least
_LOW_ACCEPTANCE = 0.05
_KIND_GRAPH_ISING, _KIND_GRAPH_POTTS, _KIND_DENSE = 0, 1, 2  # tempering_impl.h: TP_*
_MODE_SITE, _MODE_REPLICA, _MODE_CLUSTER = 0, 1, 2  # tempering_ext.h: TP_MODE_*
# threads join at a barrier every swap round: below this much work per round (per thread, in
# the units of _CHUNK_WORK) one thread is faster (results do not depend on the number of threads)
_WORK_PER_THREAD = 5e5


def _method(method: str, model: IsingModel | PottsModel) -> str:
    key = str(method).lower().strip()
    if key not in METHOD_ALIASES:
        raise UnsupportedMethodError(f"unknown method {method!r}; choose one of {', '.join(TEMPERING_METHODS)}")
    name = METHOD_ALIASES[key]
    if name in CLUSTER_METHODS:
        if isinstance(model.couplings, DenseCouplings):
            raise UnsupportedMethodError(
                f"method {name!r} does not apply to dense models (cluster moves need scalar couplings "
                "on edges: lattice or graph form); use metropolis or heatbath"
            )
        model.couplings.check_method(name, ising=isinstance(model, IsingModel))
    return name


def _adapt_mode(adapt: bool | str) -> str | None:
    if adapt is False or adapt is None:
        return None
    if adapt is True:
        return "acceptance"
    mode = str(adapt).lower().strip()
    if mode not in ladders.ADAPT_MODES:
        raise InputError(f"adapt must be True, False or one of {', '.join(ladders.ADAPT_MODES)}, got {adapt!r}")
    return mode


class TemperingSampler:
    """Parallel tempering chains that keep their states, ladder and streams between runs.

    Parameters
    ----------
    model : IsingModel or PottsModel
        Lattice, graph or dense form.
    betas : array_like
        The ladder, strictly increasing, >= 0 (see :mod:`isingbio.ladders`).
    method : {"metropolis", "heatbath", "swendsen-wang", "wolff"}, optional
        Update of every replica between swap rounds: single-site sweeps, or cluster moves
        (lattice and graph forms; Potts only with couplings >= 0).
    n_runs : int, optional
        Independent tempering runs (each a full ladder), for error bars and overlaps.
    swap_every : int, optional
        Sweeps between swap rounds.
    seed : int, numpy Generator or SeedSequence, optional
        The same seed gives the same results whatever ``n_threads`` is.
    n_threads : int, optional
        OpenMP threads over the n_runs x n_rungs chains (default: all available cores).
    init : {"random", "ordered"} or array_like, optional
        Starting states: random, ordered (Ising +1, Potts 0), or states of shape (L,) or
        (n_runs, n_rungs, L) (given per rung).

    Attributes
    ----------
    seed : int
        Reproduces this sampler's streams when passed back as ``seed``.
    n_sweeps_done : int
    """

    def __init__(
        self,
        model: IsingModel | PottsModel,
        betas: ArrayLike,
        *,
        method: str = "metropolis",
        n_runs: int = 1,
        swap_every: int = 1,
        seed: SeedLike = None,
        n_threads: int | None = None,
        init: str | ArrayLike = "random",
    ) -> None:
        if not isinstance(model, (IsingModel, PottsModel)):
            raise InputError(f"model must be an IsingModel or PottsModel, got {type(model).__name__}")
        self.model = model
        self.method = _method(method, model)
        self._betas = ladders.check_ladder(betas)
        self.n_runs = check_positive_int(n_runs, "n_runs")
        self.swap_every = check_positive_int(swap_every, "swap_every")
        self.n_threads = resolve_threads(n_threads)
        R, K, n = self.n_runs, self._betas.size, model.n_sites
        C = R * K
        check_memory(C * n * 2, f"states of {R} runs x {K} rungs x {n} sites")
        seq = as_seed_sequence(seed)
        self.seed = seed_entropy(seq)
        self._rng = chain_rng_states(seq, C)
        self._swap_rng = chain_rng_states(seq, R)
        self._init_rng = np.random.default_rng(seq.spawn(1)[0])
        self._prepare_model()
        self._states = self._initial_states(init)
        self._e_j = np.zeros(C)
        self._e_h = np.zeros(C)
        dense = self._kind == _KIND_DENSE
        if dense:
            check_memory(C * n * model.q * 8, f"local-field caches of {C} chains")
        self._cache = np.zeros((C, n * model.q) if dense else (0, 0))
        self._rep_at = np.tile(np.arange(K, dtype=np.int64), (R, 1))
        self._wolff_k = np.zeros(K, dtype=np.int64)  # Wolff updates per sweep per rung (0: calibrate)
        self._dir = np.zeros(C, dtype=np.int8)
        self._trip_start = np.zeros(C, dtype=np.int64)
        self._clock = np.zeros(2, dtype=np.int64)
        self._reset_counters()
        self._need_init = True
        self.n_sweeps_done = 0

    # -- model ---------------------------------------------------------------------------
    def _prepare_model(self) -> None:
        model = self.model
        empty_d, empty_i32, empty_i64 = np.zeros(0), np.zeros(0, dtype=np.int32), np.zeros(1, dtype=np.int64)
        self._J_double: np.ndarray | None = None
        self._J_float: np.ndarray | None = None
        self._tables: np.ndarray | None = None
        self._table_betas: np.ndarray | None = None
        if isinstance(model.couplings, DenseCouplings):
            self._kind = _KIND_DENSE
            J = model.couplings.J
            if J.dtype == np.float32:
                self._J_float = J.reshape(-1)
            else:
                self._J_double = np.ascontiguousarray(J, dtype=np.float64).reshape(-1)
            self._graph = (empty_i64, empty_i32, empty_d)
        else:
            indptr, indices, weights = model.csr
            self._graph = (
                np.ascontiguousarray(indptr, dtype=np.int64),
                np.ascontiguousarray(indices, dtype=np.int32),
                np.ascontiguousarray(weights, dtype=np.float64),
            )
            self._kind = _KIND_GRAPH_ISING if isinstance(model, IsingModel) else _KIND_GRAPH_POTTS
        self._h = np.ascontiguousarray(model.h, dtype=np.float64).reshape(-1)
        self._mode = _MODE_CLUSTER if self.method in CLUSTER_METHODS else _MODE_SITE
        self._lattice: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        couplings = model.couplings
        if isinstance(couplings, LatticeCouplings) and 1 <= len(couplings.shape) <= 3:
            shape, periodic, J = couplings._kernel_geometry
            self._lattice = (shape, periodic, J)
            h = np.asarray(model.h, dtype=np.float64)
            uniform = bool(np.all(h == h[0]))
            if (
                self._mode == _MODE_SITE
                and uniform
                and _tempering.replica_engine_applies(
                    self._kind == _KIND_GRAPH_ISING, self.method == "heatbath", shape, periodic, model.q
                )
            ):
                self._mode = _MODE_REPLICA
                size = _tempering.replica_table_size(
                    self._kind == _KIND_GRAPH_ISING, self.method == "heatbath", len(couplings.shape), model.q
                )
                K = self._betas.size
                check_memory(K * size * 4, f"threshold tables of {K} rungs")
                self._tables = np.zeros(K * size, dtype=np.uint32)  # kept between calls, per rung
                self._table_betas = np.full(K, np.nan)

    def _initial_states(self, init: str | ArrayLike) -> np.ndarray:
        R, K, n, q = self.n_runs, self._betas.size, self.model.n_sites, self.model.q
        ising = isinstance(self.model, IsingModel)
        if isinstance(init, str):
            if init == "random":
                x = self._init_rng.integers(0, q, size=(R * K, n), dtype=np.int8)
                return np.ascontiguousarray((2 * x - 1).astype(np.int8) if ising else x)
            if init in ("ordered", "up"):
                return np.full((R * K, n), 1 if ising else 0, dtype=np.int8)
            raise InputError(f"init must be 'random', 'ordered' or an array of states, got {init!r}")
        return self._convert_states(init)

    def _convert_states(self, states: ArrayLike) -> np.ndarray:
        R, K, n = self.n_runs, self._betas.size, self.model.n_sites
        arr = np.asarray(states)
        if arr.ndim >= 2 and arr.shape[:2] == (R, K):
            flat, _ = self.model.flat_states(arr.reshape(R * K, -1))
        else:
            flat, batch = self.model.flat_states(arr)
            if len(batch) != 0:
                raise InputError(f"states must have shape (L,) or ({R}, {K}, L), got {arr.shape}")
            flat = np.repeat(flat, R * K, axis=0)
        return np.ascontiguousarray(flat.reshape(R * K, n), dtype=np.int8)

    def _reset_counters(self) -> None:
        K, R = self._betas.size, self.n_runs
        self._swaps = np.zeros((max(K - 1, 1), 2), dtype=np.int64)
        self._trips = np.zeros(R, dtype=np.int64)
        self._trip_time = np.zeros(R)
        self._flow = np.zeros((K, 2), dtype=np.int64)

    # -- state ---------------------------------------------------------------------------
    @property
    def betas(self) -> np.ndarray:
        """The ladder (a copy); set it to move the rungs (same number of rungs)."""
        return self._betas.copy()

    @betas.setter
    def betas(self, value: ArrayLike) -> None:
        new = ladders.check_ladder(value)
        if new.size != self._betas.size:
            raise InputError(f"the ladder must keep its {self._betas.size} rungs, got {new.size}")
        self._set_ladder(new)

    def _set_ladder(self, new: np.ndarray) -> None:
        self._betas = new
        self._wolff_k[:] = 0  # Wolff: recalibrated on the new rungs at the next call

    @property
    def states(self) -> np.ndarray:
        """Current states per rung, shape (n_runs, n_rungs, L), int8 (a copy)."""
        R, K, n = self.n_runs, self._betas.size, self.model.n_sites
        x = self._states.reshape(R, K, n)
        return x[np.arange(R)[:, None], self._rep_at].copy()

    @states.setter
    def states(self, value: ArrayLike) -> None:
        self._states = self._convert_states(value)
        self._rep_at = np.tile(np.arange(self._betas.size, dtype=np.int64), (self.n_runs, 1))
        self._dir[:] = 0
        self._need_init = True

    # -- running -------------------------------------------------------------------------
    def _work_per_sweep(self) -> float:
        """Work of one sweep of every chain (site updates plus neighbours read)."""
        n = self.model.n_sites
        if self._kind == _KIND_DENSE:
            per_chain = n * (1.0 + n * self.model.q / 8)
        else:
            per_chain = n + float(self._graph[0][-1])  # sites + CSR entries
        return self._states.shape[0] * per_chain

    def _chunk(self, thin: int = 1) -> int:
        """Sweeps per kernel call (a multiple of thin); depends only on the sizes."""
        sweeps = max(1, int(_CHUNK_WORK / self._work_per_sweep()))
        return max(thin, sweeps - sweeps % thin)

    def _threads(self) -> int:
        """Threads of a call: n_threads, fewer when a swap round is too short to share."""
        per_round = self._work_per_sweep() * self.swap_every
        return max(1, min(self.n_threads, int(per_round / _WORK_PER_THREAD)))

    def _call(self, n_sweeps: int, thin: int, out: tuple | None, offset: int) -> None:
        energy, mag, overlap, states_out = out if out is not None else (None, None, None, None)
        indptr, indices, weights = self._graph
        lattice = self._lattice if self._mode != _MODE_SITE else None
        _tempering.tempering_run(
            self._kind,
            self.method == "heatbath",
            self.model.q,
            indptr,
            indices,
            weights,
            self._h,
            self._betas,
            self._states,
            self._rng,
            self._swap_rng,
            self._e_j,
            self._e_h,
            self._cache,
            self._rep_at,
            self._dir,
            self._trip_start,
            self._clock,
            self._swaps,
            self._trips,
            self._trip_time,
            self._flow,
            n_sweeps,
            self.swap_every,
            thin,
            J_double=self._J_double,
            J_float=self._J_float,
            energy=energy,
            magnetization=mag,
            overlap=overlap,
            states_out=states_out,
            rec_offset=offset,
            init=self._need_init,
            n_threads=self._threads(),
            mode=self._mode,
            lat_shape=lattice[0] if lattice else None,
            lat_periodic=lattice[1] if lattice else None,
            lat_J=lattice[2] if lattice else None,
            wolff=self.method == "wolff",
            wolff_k=self._wolff_k,
            tables=self._tables,
            table_betas=self._table_betas,
        )
        self._need_init = False
        self.n_sweeps_done += n_sweeps

    def _sweeps(self, n_sweeps: int, bar) -> None:
        step = self._chunk()
        for done in range(0, n_sweeps, step):
            k = min(step, n_sweeps - done)
            self._call(k, 1, None, 0)
            bar.update(k)

    def burn(self, n_sweeps: int, *, adapt: bool | str = False, progress: bool = False) -> None:
        """Advance the chains by `n_sweeps` without recording.

        With ``adapt`` (True or "acceptance": equal swap acceptance; "feedback": Katzgraber
        et al. 2006) the first half of the sweeps moves the inner rungs in stages (equal ones;
        for "feedback" 4 stages doubling in length; :mod:`isingbio.ladders`); the ladder is then
        frozen for the second half. Wolff: sweeps of the first three quarters build clusters
        until L sites; the updates per sweep of each rung are then fixed from a pilot.
        """
        n_sweeps = check_positive_int(n_sweeps, "n_sweeps", minimum=0)
        mode = _adapt_mode(adapt)
        bar = progress_bar(progress, n_sweeps, "burn-in")
        K = self._betas.size
        adapt_sweeps = n_sweeps // 2 if (mode is not None and K >= 3) else 0
        n_stages = min(_MAX_STAGES if mode == "acceptance" else _FEEDBACK_STAGES, adapt_sweeps // _MIN_STAGE)
        # Wolff: the first three quarters build clusters until L sites in every sweep (-1: fast
        # from a disordered start, it follows the cluster sizes as the chains relax); the count
        # of each rung is then calibrated (0) on the relaxed states for the last quarter
        loose = (3 * n_sweeps) // 4 if self.method == "wolff" else 0
        if loose:
            self._wolff_k[:] = -1
        done = 0
        if n_stages >= 1:
            # acceptance: equal stages; feedback: stages doubling in length (f needs round trips)
            weights = np.ones(n_stages) if mode == "acceptance" else 2.0 ** np.arange(n_stages)
            ends = np.rint(np.cumsum(weights) / weights.sum() * adapt_sweeps).astype(int)
            for end in ends:
                length = int(end) - done
                self._reset_counters()
                self._sweeps(length, bar)
                done += length
                if mode == "feedback":
                    self._set_ladder(ladders.feedback_ladder(self._betas, self._flow[:, 0], self._flow[:, 1]))
                else:
                    self._set_ladder(ladders.equal_acceptance_ladder(self._betas, self._acceptance()))
                if done < loose:
                    self._wolff_k[:] = -1
        if loose > done:
            self._sweeps(loose - done, bar)
            done = loose
        if loose:
            self._wolff_k[:] = 0
        self._sweeps(n_sweeps - done, bar)
        bar.close()
        self._reset_counters()

    def _acceptance(self) -> np.ndarray:
        K = self._betas.size
        if K < 2:
            return np.zeros(0)
        att, acc = self._swaps[: K - 1, 0], self._swaps[: K - 1, 1]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(att > 0, acc / np.maximum(att, 1), np.nan)

    def run(
        self,
        n_sweeps: int,
        burn_in: int = 0,
        thin: int = 1,
        *,
        adapt: bool | str = False,
        return_states: bool = False,
        record_states: bool = False,
        progress: bool = False,
    ) -> TemperingResult:
        """Run `burn_in` sweeps (adapting the ladder if asked), then `n_sweeps` recorded ones.

        Parameters
        ----------
        n_sweeps : int
            Production sweeps; ``n_sweeps // thin`` records are taken at every rung.
        burn_in : int, optional
            Sweeps before recording (see :meth:`burn` for ``adapt``).
        thin : int, optional
            Sweeps between records.
        adapt : bool or {"acceptance", "feedback"}, optional
            Adapt the ladder during the first half of the burn-in, then freeze it.
        return_states : bool, optional
            Also return the final configuration of every rung.
        record_states : bool, optional
            Also return the configuration of every rung at every record
            (``recorded_states``, n_runs x n_rungs x n_records x L bytes).
        progress : bool, optional
            Show a progress bar on stderr.

        Returns
        -------
        TemperingResult
        """
        n_sweeps = check_positive_int(n_sweeps, "n_sweeps", minimum=0)
        burn_in = check_positive_int(burn_in, "burn_in", minimum=0)
        thin = check_positive_int(thin, "thin")
        R, K = self.n_runs, self._betas.size
        n_records = n_sweeps // thin
        n_pairs = R * (R - 1) // 2
        check_memory((2 * R + n_pairs) * K * n_records * 8, f"series of {R} runs x {K} rungs x {n_records} records")
        start = time.perf_counter()
        initial = self._betas.copy()
        if burn_in:
            self.burn(burn_in, adapt=adapt, progress=progress)
        self._reset_counters()
        energy = np.zeros((R, K, n_records))
        mag = np.zeros((R, K, n_records))
        overlap = np.zeros((n_pairs, K, n_records)) if n_pairs else None
        recorded = None
        if record_states:
            n = self.model.n_sites
            check_memory(R * K * n_records * n, f"states of {R} x {K} rungs x {n_records} records")
            recorded = np.zeros((R, K, n_records, n), dtype=np.int8)
        bar = progress_bar(progress, n_sweeps, "tempering")
        step = self._chunk(thin)
        total = n_records * thin
        for done in range(0, total, step):
            k = min(step, total - done)
            self._call(k, thin, (energy, mag, overlap, recorded), done // thin)
            bar.update(k)
        if n_sweeps > total:
            self._sweeps(n_sweeps - total, bar)
        bar.close()
        acceptance = self._acceptance()
        trips = int(self._trips.sum())
        trip_time = float(self._trip_time.sum() / trips) if trips else float("nan")
        tot = self._flow.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            flow = np.where(tot > 0, self._flow[:, 0] / np.maximum(tot, 1), np.nan)
        warnings = []
        low = np.nonzero(acceptance < _LOW_ACCEPTANCE)[0]
        if low.size:
            warnings.append(
                f"swap acceptance below {_LOW_ACCEPTANCE} between rungs {', '.join(f'{k}-{k + 1}' for k in low[:5])}: "
                "add rungs there or adapt the ladder"
            )
        if K >= 2 and n_sweeps >= 1000 and trips == 0:
            warnings.append("no replica made a round trip through the ladder: the runs may not be equilibrated")
        return TemperingResult(
            betas=self._betas.copy(),
            energy=energy,
            magnetization=mag,
            swap_acceptance=acceptance,
            round_trips=trips,
            round_trip_time=trip_time,
            n_sites=self.model.n_sites,
            q=self.model.q,
            model=self.model,
            method=self.method,
            seed=self.seed,
            n_sweeps=n_sweeps,
            burn_in=burn_in,
            thin=thin,
            swap_every=self.swap_every,
            n_threads=self.n_threads,
            elapsed=time.perf_counter() - start,
            states=self.states if return_states else None,
            initial_betas=initial,
            flow_fraction=flow,
            overlap_samples=overlap,
            recorded_states=recorded,
            swap_attempts=self._swaps[: max(K - 1, 0), 0].copy(),
            warnings=warnings,
        )

    def __repr__(self) -> str:
        return (
            f"TemperingSampler({self.model!r}, {self._betas.size} rungs, method={self.method!r}, "
            f"n_runs={self.n_runs}, swap_every={self.swap_every})"
        )


def tempering(
    model: IsingModel | PottsModel,
    betas: ArrayLike,
    n_sweeps: int,
    *,
    method: str = "metropolis",
    swap_every: int = 1,
    n_runs: int = 1,
    burn_in: int = 0,
    thin: int = 1,
    adapt: bool | str = True,
    seed: SeedLike = None,
    n_threads: int | None = None,
    progress: bool = False,
    return_states: bool = False,
) -> TemperingResult:
    """Parallel tempering (replica exchange) of a model over a ladder of inverse temperatures.

    Parameters
    ----------
    model : IsingModel or PottsModel
        Lattice, graph or dense form, Ising or Potts.
    betas : array_like
        Strictly increasing inverse temperatures, >= 0 (a rung may be beta = 0).
        :func:`isingbio.ladders.geometric_ladder` makes the usual one.
    n_sweeps : int
        Recorded sweeps after burn-in.
    method : {"metropolis", "heatbath", "swendsen-wang", "wolff"}, optional
        Single-site sweeps, or cluster moves at each rung's beta (lattice and graph forms;
        Potts only with couplings >= 0).
    swap_every : int, optional
        Sweeps between swap rounds (even and odd neighbour pairs in alternate rounds).
    n_runs : int, optional
        Independent tempering runs: error bars, and the replica overlap with n_runs >= 2.
    burn_in : int, optional
        Sweeps before recording.
    thin : int, optional
        Sweeps between records.
    adapt : bool or {"acceptance", "feedback"}, optional
        Move the inner rungs during the first half of the burn-in towards equal swap
        acceptance (True, "acceptance") or the feedback-optimised ladder of Katzgraber et al.
        2006 ("feedback"), then freeze them. Nothing changes without burn-in.
    seed : int, numpy Generator or SeedSequence, optional
        The same seed gives the same results for any ``n_threads``.
    n_threads : int, optional
        OpenMP threads (default: all available cores).
    progress : bool, optional
        Progress bar on stderr.
    return_states : bool, optional
        Keep the final configuration of every rung.

    Returns
    -------
    TemperingResult
        Per-rung energy and magnetisation series, swap acceptance, round trips; see
        :class:`~isingbio.tempering_result.TemperingResult`.

    Examples
    --------
    >>> import isingbio
    >>> model = isingbio.IsingModel.lattice((4, 4))
    >>> res = isingbio.tempering(model, [0.2, 0.3, 0.45], 200, burn_in=50, seed=1)
    >>> res.energy.shape
    (1, 3, 200)
    """
    sampler = TemperingSampler(
        model, betas, method=method, n_runs=n_runs, swap_every=swap_every, seed=seed, n_threads=n_threads
    )
    return sampler.run(n_sweeps, burn_in, thin, adapt=adapt, return_states=return_states, progress=progress)
