"""Pseudo-likelihood fitting of dense Potts models to alignments (plmDCA class).

The objective minimised by :func:`fit_plm` is the regularised negative symmetric
pseudo-log-likelihood

    f(h, J) = - sum_n w_n sum_i log p(x_i^n | x_{-i}^n)
              + lambda_h sum_i ||h_i||^2 + lambda_J sum_{i<j} ||J_ij||^2,

    p(x_i = a | x_{-i}) = exp(h_i(a) + sum_{j != i} J_ij(a, x_j)) / Z_i,

with the model conventions of :mod:`isingbio.models` (p(x) ~ exp(-H), H = -sum_{i<j} J_ij(x_i, x_j)
- sum_i h_i(x_i)), so the fitted (h, J) is a :class:`~isingbio.models.PottsModel` as it is.
J_ij and J_ji are one parameter (only i < j is optimised). The sum over sequences is not
normalised (as in plmc and CCMpred), so the regularisation strengths are on their scale:

* ``lambda_h = 0.01`` (plmc, CCMpred, plmDCA);
* ``lambda_J = 0.01 * (s - 1) * (L - 1)`` by default, with s the number of modelled states
  (q - 1 = 20 for proteins with gaps ignored, q otherwise). This is the plmc setting EVcouplings
  uses (``-g -le 0.01*(s-1)*(L-1)``, i.e. 0.19 (L-1) for proteins); CCMpred's default is nearly
  the same, 0.2 (L-1) on sum_{i<j}. The (L - 1) factor balances the L - 1 couplings every site
  term sees against its single field; the (s - 1) factor does the same for the free states of
  a block.

Gaps: for an alignment whose alphabet has a gap, gaps are treated as missing data by default
(``ignore_gaps=True``, plmc ``-g`` as EVcouplings runs it): a gap at site i removes the term i of
that sequence, conditionals are normalised over the residue states, and every gap parameter
stays zero. On the families of ../shared/data this gives higher contact precision than modelling
the gap as a 21st state (CCMpred's choice, ``ignore_gaps=False``): P@L 1a3a 0.724 against 0.703,
DHFR 0.660 against 0.654, 1atzA 0.533 both (prepared alignments, default settings). A plain
matrix has no gap state unless ``ignore_gaps=True`` is asked for (then state 0 is the gap).

Memory: the packed parameter vector (L q + L (L-1)/2 q^2 numbers of the fit's dtype, float32 by
default) is the only copy of the parameters. The site kernel copies the L coupling blocks of its
site into per-thread scratch rows and adds its share of the gradient into the packed gradient
(each pair's block under a spin lock, the two halves in either order: a + b == b + a, so the
result does not depend on the thread count). L-BFGS keeps 3 correction pairs (fewer, down to 1,
when the memory limit would refuse the fit otherwise: long proteins), so a fit holds 2 m + 3 = 9
parameter vectors: 36 bytes a parameter in float32 (L = 1000, q = 21: 7.4 GiB; with m = 2,
5.8 GiB; L = 1500 with m = 2: 13 GiB). :func:`estimate_plm_memory` is that sum (measured peaks
within 1%), checked against the memory limit before anything is allocated.

Speed: the objective and its gradient are computed site by site (one thread per site, results
independent of the thread count) by a C kernel (isingbio/_kernels/_plm_core.h) whose inner
loops run over the q states of contiguous coupling rows in 256-bit vectors; sequences are
taken in blocks whose coupling gradient rows are summed in registers per state (the block's
sequences grouped by their state at each column once per fit), identical sequences are merged
(their weights summed), and sequences with a gap at site i are skipped for that site's term.
The line search evaluates x + step d without forming it (the kernel reads both), and each
two-loop step is one fused, vectorised pass. Figures against CCMpred and plmc, measured side by
side: benchmarks/README.md (benchmarks/bench_contacts.py).
"""

from __future__ import annotations

import logging
import math
import time
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from ._validation import check_memory, check_positive_int, format_bytes
from .errors import ConvergenceWarning, InputError

if TYPE_CHECKING:
    from .alignment import Alignment
    from .models import PottsModel  # imported when the model is built (it brings scipy.sparse)

__all__ = ["fit_plm", "PLMResult", "default_lambda_J", "estimate_plm_memory", "estimate_plm_seconds"]

log = logging.getLogger(__name__)

_LBFGS_HISTORY = 3  # L-BFGS corrections kept (memory: 2 * m parameter vectors)
_MIN_HISTORY = 1  # fewer pairs when memory is short (long proteins), down to this
_CHUNK_SECONDS = 0.2  # site-kernel work per call: Ctrl-C and progress act between calls
# multiply-adds per second and thread of the site kernel (sequences x L x L x q per evaluation,
# float32; float64 half of it): the development machine, benchmarks/bench_contacts.py
_SITE_RATE = 5e9


def default_lambda_J(L: int, q: int, ignore_gaps: bool = False) -> float:
    """Default coupling regularisation 0.01 * (s - 1) * (L - 1), s = q - 1 with gaps ignored, else q.

    Examples
    --------
    >>> round(default_lambda_J(100, 21, ignore_gaps=True), 6)  # plmc -le 0.19 * (L - 1)
    18.81
    """
    s = q - 1 if ignore_gaps else q
    return 0.01 * (s - 1) * (L - 1)


@dataclass
class PLMResult:
    """What :func:`fit_plm` returns.

    Attributes
    ----------
    model : PottsModel
        The fitted dense model (dtype as requested) with ``alphabet``, ``positions`` and
        ``metadata`` attributes set.
    converged : bool
        True if the optimiser met its tolerance before ``max_iter``.
    n_iter : int
        L-BFGS iterations done.
    n_eval : int
        Objective and gradient evaluations.
    objective : float
        Final value of the regularised negative pseudo-log-likelihood.
    message : str
        The optimiser's message.
    time : float
        Wall-clock seconds of the whole fit.
    weights : ndarray of float64, shape (N,)
        The sequence weights used; ``n_eff`` is their sum.
    hyperparameters : dict
        lambda_h, lambda_J, max_iter, tol, dtype, ignore_gaps, L-BFGS history.
    """

    model: PottsModel
    converged: bool
    n_iter: int
    n_eval: int
    objective: float
    message: str
    time: float
    weights: np.ndarray
    n_eff: float
    hyperparameters: dict = field(default_factory=dict)
    seed: object = None

    def __repr__(self):
        return (
            f"PLMResult(L={self.model.n_sites}, q={self.model.q}, converged={self.converged}, "
            f"n_iter={self.n_iter}, objective={self.objective:.6g}, time={self.time:.2f} s)"
        )


def _qp(q: int) -> int:
    return ((q + 7) // 8) * 8


def n_parameters(L: int, q: int) -> int:
    """Free parameters: L*q fields and q*q couplings per pair i < j."""
    return L * q + L * (L - 1) // 2 * q * q


def estimate_plm_memory(
    N: int, L: int, q: int, dtype: DTypeLike = np.float32, n_threads: int = 1, history: int | None = None
) -> int:
    """Bytes :func:`fit_plm` needs for an alignment of N sequences, L columns and q states
    (beyond what the process holds before the fit).

    The optimiser keeps 2 * history + 3 packed parameter vectors of `dtype` (iterate, gradient,
    search direction and the L-BFGS pairs); there is no other copy of the parameters. Besides
    them: per-thread scratch (2 L q qp numbers, qp = q rounded up to a multiple of 8), the
    alignment (a few copies of N L bytes), its per-block grouping by state and the weights.
    After the fit the returned model holds L^2 q^2 numbers (the optimiser's vectors are freed
    by then but for the iterate).

    Examples
    --------
    >>> estimate_plm_memory(1000, 1000, 21) < 8 * 2**30  # L = 1000 fits in 8 GB
    True
    """
    itemsize = np.dtype(dtype).itemsize
    history = _LBFGS_HISTORY if history is None else int(history)
    n_par = n_parameters(L, q)
    nb = _block_size()
    n_blocks = -(-N // nb)
    qp = _qp(q)
    vectors = (2 * history + 3) * n_par * itemsize
    scratch = n_threads * (2 * L * q * qp + 2 * qp + nb * qp + 16) * itemsize
    pairs = L * (L - 1)  # two bytes per pair
    data = 4 * N * L + n_blocks * L * (nb + 2 * (q + 1)) + N * (24 + itemsize)
    model = (L * L * q * q + n_par) * itemsize
    return int(max(vectors + scratch + pairs, model) + data)


def estimate_plm_seconds(
    N: int, L: int, q: int, n_threads: int = 1, n_iter: int = 35, dtype: DTypeLike = np.float32
) -> float:
    """A rough estimate of the seconds :func:`fit_plm` takes for ``n_iter`` L-BFGS iterations
    of N distinct sequences, L columns and q states: about 1.25 evaluations per iteration of
    N L^2 q multiply-adds each, at the development machine's rate (float64 half as fast)."""
    per_eval = N * L * L * q / (_SITE_RATE * max(1, n_threads))
    if np.dtype(dtype) == np.float64:
        per_eval *= 2
    return 1.25 * n_iter * per_eval


def _history_for(N: int, L: int, q: int, dtype, n_threads: int) -> int:
    """L-BFGS pairs kept: _LBFGS_HISTORY, or fewer (down to _MIN_HISTORY) when the fit would not
    fit in memory otherwise (each pair is two parameter vectors)."""
    from ._config import memory_limit

    avail, which = memory_limit()
    history = _LBFGS_HISTORY
    while history > _MIN_HISTORY and estimate_plm_memory(N, L, q, dtype, n_threads, history) > 0.9 * avail:
        history -= 1
    if history < _LBFGS_HISTORY and estimate_plm_memory(N, L, q, dtype, n_threads, history) <= 0.9 * avail:
        log.warning(
            "plm: memory is short (%s available, limit: %s): L-BFGS keeps %d correction pair(s) instead of %d",
            format_bytes(avail),
            which,
            history,
            _LBFGS_HISTORY,
        )
    return history


def _format_seconds(seconds: float) -> str:
    from .weights import _format_seconds as fmt

    return fmt(seconds)


def _block_size() -> int:
    # our own kernel: it imports or the build is broken (no fallback)
    from ._kernels._plm import block_size

    return int(block_size())


def _as_codes(alignment, q):
    """(matrix int8 (N, L), q, alphabet or None, positions or None, source object)."""
    matrix = getattr(alignment, "matrix", None)
    if matrix is not None:
        aq = getattr(alignment, "q", None)
        if q is not None and aq is not None and int(q) != int(aq):
            raise InputError(f"q={q} does not match the alignment's alphabet (q={aq})")
        q = aq if aq is not None else q
        alphabet = getattr(alignment, "alphabet", None)
        positions = getattr(alignment, "positions", None)
    else:
        matrix = alignment
        alphabet = positions = None
        if isinstance(alignment, (str, bytes)) or hasattr(alignment, "__fspath__"):
            raise InputError(
                "fit_plm takes an Alignment (see isingbio.read_alignment) or a matrix "
                f"of state codes, not a path: {alignment!r}"
            )
    try:
        matrix = np.asarray(matrix)
    except Exception as exc:
        raise InputError(f"alignment must be an Alignment or an (N, L) integer matrix: {exc}") from None
    if matrix.ndim != 2:
        raise InputError(f"alignment matrix must have shape (N, L), got {matrix.shape}")
    if matrix.dtype.kind not in "iu":
        raise InputError(f"alignment matrix must hold integer state codes, got dtype {matrix.dtype}")
    N, L = matrix.shape
    if N < 2:
        raise InputError(f"need at least 2 sequences to fit couplings, got {N}")
    if L < 2:
        raise InputError(f"need at least 2 columns to fit couplings, got {L}")
    if q is None:
        raise InputError("q (the number of states) is needed when the alignment is a plain matrix")
    q = check_positive_int(q, "q", minimum=2)
    if q > 127:
        raise InputError(f"q must be at most 127, got {q}")
    lo, hi = int(matrix.min()), int(matrix.max())
    if lo < 0 or hi >= q:
        bad = np.argwhere((matrix < 0) | (matrix >= q))[0]
        raise InputError(
            f"alignment codes must be in 0..{q - 1}, got {matrix[tuple(bad)]} "
            f"in sequence {int(bad[0])}, column {int(bad[1])}"
        )
    return np.ascontiguousarray(matrix, dtype=np.int8), int(q), alphabet, positions


def _weights_for(alignment, matrix, q, weights, n_threads, progress=False):
    N = matrix.shape[0]
    if weights is None:
        from .weights import sequence_weights

        src = alignment if getattr(alignment, "matrix", None) is not None else matrix
        w, _ = sequence_weights(src, identity=0.8, n_threads=n_threads, progress=progress)
        return np.asarray(w, dtype=np.float64), "1/neighbours at >= 80% identity"
    if isinstance(weights, str):
        if weights == "uniform" or weights == "none":
            return np.ones(N), "uniform"
        raise InputError(f"weights must be an array, None or 'uniform', got {weights!r}")
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (N,):
        raise InputError(f"weights must have shape ({N},) (one per sequence), got {w.shape}")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        k = int(np.flatnonzero(~np.isfinite(w) | (w < 0))[0])
        raise InputError(f"weights must be finite and >= 0, got {w[k]} for sequence {k}")
    if w.sum() <= 0:
        raise InputError("weights sum to zero")
    return w, "user-supplied"


def _merge_duplicates(matrix, w):
    """Identical sequences become one with the sum of their weights (same objective, less work)."""
    uniq, inverse = np.unique(matrix, axis=0, return_inverse=True)
    inverse = np.asarray(inverse).reshape(-1)
    if len(uniq) == len(matrix):
        return matrix, w
    wsum = np.bincount(inverse, weights=w, minlength=len(uniq))
    keep = wsum > 0
    return np.ascontiguousarray(uniq[keep]), wsum[keep]


def _initial_fields(matrix, w, q, ignore_gaps, pseudocount=1.0):
    """Independent-site solution: h_i(a) = log(f_i(a) + pc / q), centred (gap 0 with ignore_gaps)."""
    N, L = matrix.shape
    counts = np.zeros((L, q))
    cols = np.arange(L)
    for n0 in range(0, N, 4096):
        block = matrix[n0 : n0 + 4096].astype(np.int64)
        np.add.at(counts, (np.broadcast_to(cols, block.shape), block), w[n0 : n0 + 4096, None])
    if ignore_gaps:
        counts[:, 0] = 0.0
        states = slice(1, q)
    else:
        states = slice(0, q)
    c = counts[:, states]
    tot = c.sum(axis=1, keepdims=True)
    freq = (c + pseudocount / c.shape[1]) / (tot + pseudocount)
    hs = np.log(freq)
    hs -= hs.mean(axis=1, keepdims=True)
    h = np.zeros((L, q))
    h[:, states] = hs
    return h


class _Objective:
    """f and gradient of the packed parameter vector (float32 or float64, the fit's dtype).

    The kernel reads the parameters straight from the optimiser's vector (no internal copy of
    the couplings) and adds each site's share of the gradient into the packed gradient; all it
    keeps besides the data are per-thread scratch rows (2 L q qp numbers a thread) and two bytes
    per pair. Everything is allocated here, once per fit.
    """

    def __init__(self, matrix, w, q, dtype, lambda_h, lambda_J, ignore_gaps, n_threads):
        from ._kernels import _plm

        self._plm = _plm
        N, L = matrix.shape
        self.L, self.q, self.dtype = L, q, np.dtype(dtype)
        self.x_t = np.ascontiguousarray(matrix.T)
        self.perm, self.gstart = _plm.block_groups(np.ascontiguousarray(matrix, dtype=np.int8), q)
        self.w = np.ascontiguousarray(w, dtype=dtype)
        npairs = L * (L - 1) // 2
        self.cnt = np.zeros(npairs, dtype=np.uint8)
        self.lock = np.zeros(npairs, dtype=np.uint8)
        self.n_threads = int(n_threads)
        self.scratch = np.zeros((self.n_threads, _plm.scratch_size(L, q)), dtype=dtype)
        self.f_site = np.zeros(L)
        self.reg_site = np.zeros(L)
        self.lambda_h, self.lambda_J = float(lambda_h), float(lambda_J)
        self.ignore_gaps = bool(ignore_gaps)
        self.n_eval = 0
        self.on_sites = None  # callback(sites done in this evaluation) between chunks
        self._chunk = max(1, self.n_threads)  # sites per kernel call, tuned to _CHUNK_SECONDS
        self._empty = np.empty(0, dtype=dtype)

    def evaluate(self, x, d, step, g):
        """f at x + step * d (d None: at x); its gradient is written into g (packed, x's dtype)."""
        p = self._plm
        d = self._empty if d is None else d
        self.cnt.fill(0)
        # sites in chunks of about _CHUNK_SECONDS (each site's term is computed alone, so the
        # chunks do not change the result): Ctrl-C and the progress bar act between them
        start = 0
        while start < self.L:
            stop = min(self.L, start + self._chunk)
            t = time.perf_counter()
            p.site_terms(
                x,
                d,
                float(step),
                self.x_t,
                self.perm,
                self.gstart,
                self.w,
                g,
                self.f_site,
                self.reg_site,
                self.cnt,
                self.lock,
                self.scratch,
                self.lambda_h,
                self.lambda_J,
                self.ignore_gaps,
                self.n_threads,
                start,
                stop,
            )
            took = time.perf_counter() - t
            if took < 0.5 * _CHUNK_SECONDS:
                self._chunk = min(self.L, 2 * self._chunk)
            elif took > 2 * _CHUNK_SECONDS and self._chunk > self.n_threads:
                self._chunk = max(self.n_threads, self._chunk // 2)
            start = stop
            if self.on_sites is not None:
                self.on_sites(stop)
        self.n_eval += 1
        return math.fsum(self.f_site) + math.fsum(self.reg_site)

    def release(self) -> None:
        """Free the scratch and the data arrays (the objective cannot be evaluated afterwards)."""
        self.scratch = self.x_t = self.perm = self.gstart = self.cnt = self.lock = None

    def __call__(self, x):
        """(f, gradient) at x (converted to the objective's dtype); for tests."""
        x = np.ascontiguousarray(x, dtype=self.dtype)
        g = np.empty_like(x)
        return self.evaluate(x, None, 0.0, g), g

    def to_model_arrays(self, x, dtype):
        return _model_arrays(x, self.L, self.q, dtype)


def _model_arrays(x, L, q, dtype, perm=None):
    """Packed vector -> h (L, q) and the full symmetric J (L, L, q, q), without temporaries of
    the size of J; `perm` reorders the states (h[:, perm], J[..., perm, perm])."""
    h = np.array(x[: L * q].reshape(L, q), dtype=dtype)
    if perm is not None:
        h = np.ascontiguousarray(h[:, perm])
    J = np.zeros((L, L, q, q), dtype=dtype)
    k = L * q
    for i in range(L - 1):
        n = L - 1 - i
        blocks = x[k : k + n * q * q].reshape(n, q, q)
        if perm is not None:
            blocks = blocks[:, perm][:, :, perm]
        J[i, i + 1 :] = blocks
        J[i + 1 :, i] = blocks.transpose(0, 2, 1)
        k += n * q * q
    return h, J


def fit_plm(
    alignment: Alignment | ArrayLike,
    *,
    q: int | None = None,
    weights: str | ArrayLike | None = None,
    lambda_h: float = 0.01,
    lambda_J: float | None = None,
    max_iter: int = 100,
    tol: float = 1e-4,
    dtype: DTypeLike = np.float32,
    ignore_gaps: bool | None = None,
    n_threads: int | None = None,
    progress: bool = False,
    seed: int | None = None,
) -> PLMResult:
    """Fit a dense Potts model to an alignment by symmetric pseudo-likelihood with L2 penalties.

    Parameters
    ----------
    alignment : Alignment or array_like of int, shape (N, L)
        An :class:`isingbio.alignment.Alignment` (its ``matrix``, ``q``, ``alphabet`` and
        ``positions`` are used) or a matrix of state codes 0..q-1 (then `q` is required).
    q : int, optional
        Number of states, for a plain matrix.
    weights : None, 'uniform' or array_like of float, shape (N,)
        Sequence weights; None computes the usual 1/(neighbours at >= 80% identity)
        (:func:`isingbio.sequence_weights`).
    lambda_h : float
        L2 strength on the fields (default 0.01).
    lambda_J : float, optional
        L2 strength on the couplings, on sum_{i<j} ||J_ij||^2; default
        ``0.01 * (s - 1) * (L - 1)``, s the number of modelled states (see the module docstring).
    max_iter : int
        Maximum L-BFGS iterations (default 100, as EVcouplings runs plmc).
    tol : float
        Stop when the relative decrease of the objective over one iteration is at most `tol`
        (``f_k - f_{k+1} <= tol * max(|f_{k+1}|, 1)``, L-BFGS-B's ``ftol``) or the gradient
        vanishes (``||g|| <= 1e-12 * max(|f|, 1)``).
    dtype : numpy float type
        float32 (default: half the memory, SIMD twice as wide) or float64 for the parameters, the
        optimiser's vectors and the returned model (objective sums are float64 either way).
    ignore_gaps : bool, optional
        Treat gaps as missing data (plmc ``-g``). Default: True when the alignment's alphabet
        has a gap state, False for a plain matrix (where True means state 0 is the gap).
    n_threads : int, optional
        OpenMP threads (default: all available cores). The result does not depend on it.
    progress : bool
        Show progress bars on stderr (the weights, then the fit). Either way the kernel works
        in chunks of about 0.2 s, so Ctrl-C (KeyboardInterrupt) stops the fit promptly.
    seed : int, optional
        The fit is deterministic; the seed is only recorded in the result and the model's
        metadata (for pipelines that pass one seed everywhere).

    Returns
    -------
    PLMResult
        ``.model`` (dense PottsModel), ``.converged``, ``.n_iter``, ``.objective``,
        ``.message``, ``.time`` and the weights and hyperparameters used.

    Raises
    ------
    InputError
        Bad alignment, weights or parameters.
    MemoryLimitError
        The fit would not fit in memory (the message says how much it needs).
    """
    from ._config import resolve_threads
    from ._progress import progress_bar

    t0 = time.perf_counter()
    matrix, q, alphabet, positions = _as_codes(alignment, q)
    N, L = matrix.shape
    gap = getattr(alphabet, "gap_index", None) if alphabet is not None else None
    if ignore_gaps is None:
        ignore_gaps = gap is not None
    ignore_gaps = bool(ignore_gaps)
    if gap is None:
        gap = 0
    perm = None
    if ignore_gaps and gap != 0:  # the kernel's gap is state 0: swap states gap <-> 0
        perm = np.arange(q)
        perm[0], perm[gap] = gap, 0
        matrix = perm.astype(np.int8)[matrix]
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise InputError(f"dtype must be float32 or float64, got {dtype}")
    n_threads = resolve_threads(n_threads)
    max_iter = check_positive_int(max_iter, "max_iter")
    lambda_h = float(lambda_h)
    lambda_J = default_lambda_J(L, q, ignore_gaps) if lambda_J is None else float(lambda_J)
    for name, val in (("lambda_h", lambda_h), ("lambda_J", lambda_J), ("tol", float(tol))):
        if not math.isfinite(val) or val < 0:
            raise InputError(f"{name} must be finite and >= 0, got {val}")
    history = _history_for(N, L, q, dtype, n_threads)
    need = estimate_plm_memory(N, L, q, dtype, n_threads, history)
    check_memory(
        need,
        f"a pseudo-likelihood fit of L={L} columns, q={q} states, N={N} sequences "
        f"({n_parameters(L, q):,} parameters, {dtype.name}, L-BFGS history {history})",
        "memory grows as L^2 q^2: "
        + (
            "use dtype=np.float32 (half the size; on the command line, leave out --float64), or "
            if dtype != np.float32
            else ""
        )
        + "fit fewer columns (crop the alignment to a domain, drop gappy columns with read_alignment's "
        "max_gap_fraction_col / --max-gap-col, or keep a focus sequence's columns with focus= / --focus), "
        "or use fewer states (a reduced alphabet)",
    )

    w, weight_kind = _weights_for(alignment, matrix, q, weights, n_threads, progress)
    n_eff = float(w.sum())
    m_fit, w_fit = _merge_duplicates(matrix, w)
    log.info(
        "plm: N=%d (%d distinct), L=%d, q=%d, N_eff=%.1f, lambda_J=%.4g, %d parameters, ~%s",
        N,
        len(m_fit),
        L,
        q,
        n_eff,
        lambda_J,
        n_parameters(L, q),
        format_bytes(need),
    )

    obj = _Objective(m_fit, w_fit, q, dtype, lambda_h, lambda_J, ignore_gaps, n_threads)
    x0 = np.zeros(n_parameters(L, q), dtype=dtype)
    x0[: L * q] = _initial_fields(m_fit, w_fit, q, ignore_gaps).ravel()

    log.info(
        "plm: fitting, about %s per iteration on %d thread(s), at most %d iterations (fits usually stop after 25-40)",
        _format_seconds(estimate_plm_seconds(len(m_fit), L, q, n_threads, 1, dtype)),
        n_threads,
        max_iter,
    )
    bar = progress_bar(progress, max_iter, "plm fit")
    shown = [0.0, 0]  # bar position, iterations done

    def _advance(to: float) -> None:
        if to > shown[0]:
            bar.update(to - shown[0])
            shown[0] = to

    def _on_iteration(k: int, f: float) -> None:
        shown[1] = k
        _advance(float(k))
        log.debug("plm: iteration %d, objective %.8g, %d evaluations", k, f, obj.n_eval)

    # within an iteration the bar moves with the sites of its evaluations (up to 0.9 of a step)
    obj.on_sites = lambda done: _advance(shown[1] + 0.9 * done / L)
    try:
        opt = _lbfgs(
            obj,
            x0,
            m=history,
            max_iter=max_iter,
            tol=float(tol),
            n_threads=n_threads,
            callback=_on_iteration,
        )
    finally:
        obj.on_sites = None
        bar.close()
    log.info("plm: %d iterations, %s, %.1f s", opt["n_iter"], opt["message"], time.perf_counter() - t0)
    x, message, converged = opt["x"], opt["message"], opt["converged"]
    if opt["failed"]:
        warnings.warn(
            f"pseudo-likelihood fit stopped after {opt['n_iter']} iterations: {message}",
            ConvergenceWarning,
            stacklevel=2,
        )
    n_eval = obj.n_eval
    obj.release()  # the kernel's scratch and data go before the model is built
    del opt["x"], x0
    h, J = _model_arrays(x, L, q, dtype, perm)
    del x
    from .models import PottsModel

    model = PottsModel(h, J)
    hyper = dict(
        lambda_h=lambda_h,
        lambda_J=lambda_J,
        max_iter=max_iter,
        tol=float(tol),
        dtype=dtype.name,
        ignore_gaps=bool(ignore_gaps),
        lbfgs_history=history,
        weights=weight_kind,
        method="symmetric pseudo-likelihood, L-BFGS",
    )
    elapsed = time.perf_counter() - t0
    model.alphabet = alphabet
    model.positions = None if positions is None else np.asarray(positions, dtype=np.int64)
    model.metadata = dict(
        hyperparameters=hyper,
        n_sequences=int(N),
        n_distinct=int(len(m_fit)),
        n_eff=n_eff,
        weights_summary=_weights_summary(w),
        seed=seed,
        objective=opt["f"],
        n_iter=opt["n_iter"],
        converged=converged,
        time=elapsed,
    )
    aln = cast("Alignment", alignment)  # duck-typed: only an Alignment has a target sequence
    if getattr(aln, "target_sequence", ""):  # the reference for mutation scans
        row = aln.focus_index if aln.focus_index is not None else 0
        model.metadata["target"] = dict(id=aln.ids[row], sequence=aln.alphabet.decode(aln.matrix[row]))
    return PLMResult(
        model=model,
        converged=converged,
        n_iter=opt["n_iter"],
        n_eval=n_eval,
        objective=opt["f"],
        message=message,
        time=elapsed,
        weights=w,
        n_eff=n_eff,
        hyperparameters=hyper,
        seed=seed,
    )


def _weights_summary(w) -> dict:
    w = np.asarray(w, dtype=np.float64)
    return dict(n=int(w.size), n_eff=float(w.sum()), min=float(w.min()), max=float(w.max()), mean=float(w.mean()))


# Why an own L-BFGS and not scipy.optimize.minimize(method="L-BFGS-B"): measured 2026-12-03 on
# the 2-core development machine (loaded: load average about 3), default fit_plm settings,
# benchmarks/bench_contacts.py with scipy 1.17.1 swapped in for _lbfgs (jac=True, maxcor=5,
# ftol=tol, gtol=0, maxls=20), one thread, fit seconds / iterations / peak RSS of the process
# (imports and alignment: 85 MB) / P@L:
#   1atzA (L=75,  1.2M parameters): own 2.9 s / 29 / 200 MB / 0.533; scipy 6.3 s / 31 / 354 MB / 0.533
#   1a3a  (L=145, 4.6M parameters): own 5.7 s / 28 / 537 MB / 0.724; scipy 14.8-17.0 s / 26 / 1034 MB / 0.724
#   DHFR  (L=159, 5.5M parameters): own 11.6 s / 28 / 592 MB / 0.660; scipy 55.3 s / 42 / 1232 MB / 0.673
# (P@L/5 equal on all three; P@L/2 DHFR 0.810 against 0.785.) Both give bit-identical parameters
# with 1 and 2 threads. So: 2-5x faster, half the peak memory, same precision, and only this
# one can keep its history in float32 (scipy's is float64), which the goal of a PLM peak below
# CCMpred's (219 MB on 1a3a) needs.
def _lbfgs(obj, x, *, m, max_iter, tol, n_threads, callback=None, c1=1e-4, max_ls=20):
    """Minimise obj (an :class:`_Objective`) with L-BFGS from x (changed in place: it becomes the
    iterate): two-loop recursion, backtracking Armijo line search.

    Every vector (iterate, gradient, direction, the m pairs s, y) has the dtype of x, and there
    are 2 m + 3 of them, allocated here once: the line search evaluates the trial point
    x + step d without forming it (the kernel reads x and d), the trial gradient goes straight
    into the slot of the pair it will become (the oldest pair, no longer needed once the
    direction is computed), and accepting a step updates x, s, y and g in one pass. The
    objective is convex, so curvature pairs are almost always usable (pairs with s.y <= 0 are
    skipped). Each step of the two-loop recursion is one fused pass (kernels._plm.vfused) that
    also takes the dot product the next step needs; sums run over fixed blocks in a fixed
    order, so the path does not depend on n_threads.

    Stops when the relative decrease of f over one iteration is at most `tol`
    ((f_k - f_{k+1}) <= tol * max(|f_{k+1}|, 1), L-BFGS-B's ftol), when the gradient vanishes,
    or after max_iter iterations.
    """
    from ._kernels._plm import vaccept, vfused

    n = x.size
    g = np.empty_like(x)
    f = obj.evaluate(x, None, 0.0, g)
    d = np.empty_like(x)
    S = np.empty((m, n), dtype=x.dtype)
    Y = np.empty((m, n), dtype=x.dtype)
    rho = np.zeros(m)
    yy = np.zeros(m)
    alpha = np.zeros(m)
    e = np.empty(0, dtype=x.dtype)
    count, newest = 0, -1
    n_iter, failed, converged = 0, False, False
    message = f"reached max_iter = {max_iter} iterations"
    gnorm = math.sqrt(vfused(d, g, 1.0, 0.0, e, 1.0, g, n_threads))
    if gnorm == 0.0:
        return dict(x=x, f=float(f), n_iter=0, converged=True, failed=False, message="gradient is zero at the start")
    while n_iter < max_iter:
        # search direction d = -H g by the two-loop recursion, one fused pass per history pair
        # and loop (each pass also takes the dot product the next one needs)
        if count:
            order = [(newest - k) % m for k in range(count)]  # newest first
            gamma = 1.0 / (rho[newest] * yy[newest])
            acc = vfused(d, g, 1.0, 0.0, e, 1.0, S[order[0]], n_threads)
            for idx, k in enumerate(order):
                alpha[k] = rho[k] * acc
                if idx + 1 < count:
                    acc = vfused(d, e, 1.0, -alpha[k], Y[k], 1.0, S[order[idx + 1]], n_threads)
                else:  # scale by the initial Hessian gamma, then start the second loop
                    acc = vfused(d, e, 1.0, -alpha[k], Y[k], gamma, Y[order[-1]], n_threads)
            back = order[::-1]  # oldest first
            for idx, k in enumerate(back):
                beta = rho[k] * acc
                if idx + 1 < count:
                    acc = vfused(d, e, 1.0, alpha[k] - beta, S[k], 1.0, Y[back[idx + 1]], n_threads)
                else:  # d = -H g, and g.d
                    gd = vfused(d, e, 1.0, alpha[k] - beta, S[k], -1.0, g, n_threads)
        else:
            gd = vfused(d, g, -1.0 / gnorm, 0.0, e, 1.0, g, n_threads)  # first step: unit length
        if not gd < 0:  # not a descent direction (numerical trouble): restart from steepest descent
            count = 0
            gd = vfused(d, g, -1.0 / gnorm, 0.0, e, 1.0, g, n_threads)
        slot = (newest + 1) % m
        if count == m:  # the oldest pair's slot receives the trial gradients: drop that pair
            count = m - 1
        # backtracking line search (Armijo), quadratic interpolation
        step = 1.0
        for _ in range(max_ls):
            f_new = obj.evaluate(x, d, step, Y[slot])
            if math.isfinite(f_new) and f_new <= f + c1 * step * gd:
                break
            if math.isfinite(f_new):
                denom = 2.0 * (f_new - f - step * gd)
                trial = -gd * step * step / denom if denom > 0 else 0.5 * step
            else:
                trial = 0.1 * step
            step = min(0.5 * step, max(0.1 * step, trial))
        else:
            failed = True
            message = f"line search failed after {max_ls} trials"
            break
        n_iter += 1
        sy, yy_new, gg = vaccept(x, d, step, S[slot], Y[slot], g, n_threads)
        if sy > 1e-10 * max(yy_new, 1e-300):
            rho[slot] = 1.0 / sy
            yy[slot] = yy_new
            newest = slot
            count = min(count + 1, m)
        f_old, f = f, f_new
        gnorm = math.sqrt(gg)
        if callback is not None:
            callback(n_iter, f)
        if f_old - f <= tol * max(abs(f), 1.0):
            converged = True
            message = f"relative decrease of the objective below tol = {tol:g}"
            break
        if gnorm <= 1e-12 * max(abs(f), 1.0):
            converged = True
            message = "gradient vanished"
            break
    return dict(x=x, f=float(f), n_iter=n_iter, converged=converged, failed=failed, message=message)
