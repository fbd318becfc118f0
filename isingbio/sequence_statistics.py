"""Model checking: statistics of sampled sequences against those of the reweighted alignment.

:func:`compare_statistics` compares one-site frequencies, connected two-site correlations
(and, on request, connected three-site correlations of random triplets) of samples with
those of the alignment the model was fitted to, reweighted as for the fit, and the energy
distributions of both (:class:`StatisticsComparison`). (:mod:`isingbio.stats` is a
different module: autocorrelation times and error bars of Monte Carlo series.)
"""

from __future__ import annotations

import logging
import math
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ._typing import ArrayLike, PathLike
from ._validation import check_memory, check_positive_int
from .errors import InputError, ModelWarning
from .sequences import format_positions, gap_note
from .weights import sequence_weights

if TYPE_CHECKING:
    from .alignment import Alignment
    from .models import PottsModel
    from .sequence_sampling import GeneratedSamples

__all__ = ["compare_statistics", "StatisticsComparison"]

logger = logging.getLogger(__name__)


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
    pearson: dict[str, float]
    slope: dict[str, float]
    weights_alignment: np.ndarray
    n_samples: int
    n_eff_alignment: float
    c3_samples: np.ndarray | None = None
    c3_alignment: np.ndarray | None = None
    triplets: np.ndarray | None = None
    energy_samples: np.ndarray | None = None
    energy_alignment: np.ndarray | None = None

    def energy_histograms(self, bins: int = 50) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
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
        names = {
            "one_site": "one-site frequencies",
            "two_site": "two-site connected corr.",
            "three_site": "three-site connected corr.",
        }
        for key, label in names.items():
            if key in self.pearson:
                lines.append(f"  {label:<28} Pearson r = {self.pearson[key]:.4f}   slope = {self.slope[key]:.4f}")
        if self.energy_samples is not None and self.energy_alignment is not None:
            w = self.weights_alignment
            mean_a = float(np.average(self.energy_alignment, weights=w))
            sd_a = float(np.sqrt(np.average((self.energy_alignment - mean_a) ** 2, weights=w)))
            lines.append(
                f"  energy: samples {self.energy_samples.mean():.3f} (sd {self.energy_samples.std():.3f}), "
                f"natural {mean_a:.3f} (sd {sd_a:.3f})"
            )
        return "\n".join(lines)

    def plot(self, path: PathLike) -> str:
        """Scatter plots and energy histograms; see :func:`isingbio.plot.plot_statistics`."""
        from .plot import plot_statistics

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
    fij = f2r[i, :, j, :]  # (P, q, q)
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


def compare_statistics(
    samples: GeneratedSamples | Alignment | ArrayLike,
    alignment: Alignment | ArrayLike,
    weights: str | ArrayLike | None = None,
    three_site: bool = False,
    *,
    model: PottsModel | None = None,
    identity: float = 0.8,
    n_triplets: int = 10000,
    seed: int = 0,
) -> StatisticsComparison:
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
    note = gap_note(model)
    if note:
        warnings.warn(note, ModelWarning, stacklevel=2)
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
        logger.warning(
            "samples and alignment have different positions (%s vs %s); comparing column by column",
            format_positions(s_pos),
            format_positions(a_pos),
        )
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
    pearson: dict[str, float] = {}
    slope: dict[str, float] = {}
    pearson["one_site"], slope["one_site"] = _r_and_slope(f1a.ravel(), f1s.ravel())
    if c2s.size:
        pearson["two_site"], slope["two_site"] = _r_and_slope(c2a, c2s)
    c3s: np.ndarray | None = None
    c3a: np.ndarray | None = None
    triplets: np.ndarray | None = None
    if three_site:
        n_triplets = check_positive_int(n_triplets, "n_triplets")
        if L < 3:
            raise InputError("three-site correlations need L >= 3")
        rng = np.random.default_rng(seed)
        sites = np.sort(np.argpartition(rng.random((n_triplets, L)), 2, axis=1)[:, :3], axis=1)
        cdf = np.cumsum(f1a, axis=1)
        cdf /= cdf[:, -1:]
        u = rng.random((n_triplets, 3))
        letters = np.stack(
            [np.minimum((cdf[sites[:, k]] < u[:, k : k + 1]).sum(axis=1), q - 1) for k in range(3)], axis=1
        )
        triplets = np.concatenate([sites, letters], axis=1).astype(np.int64)
        c3s = _three_site(s_codes, ws, triplets, f1s, f2s, q)
        c3a = _three_site(a_codes, wn, triplets, f1a, f2a, q)
        pearson["three_site"], slope["three_site"] = _r_and_slope(c3a, c3s)
    del f2s, f2a
    e_s: np.ndarray | None = None
    e_a: np.ndarray | None = None
    if model is not None:
        e_s = getattr(samples, "energy", None)
        if e_s is None or len(e_s) != len(s_codes):
            e_s = np.asarray(model.energy(s_codes), dtype=np.float64).reshape(-1)
        e_a = np.asarray(model.energy(a_codes), dtype=np.float64).reshape(-1)
    return StatisticsComparison(
        f1_samples=f1s,
        f1_alignment=f1a,
        c2_samples=c2s,
        c2_alignment=c2a,
        pairs=pairs,
        pearson=pearson,
        slope=slope,
        weights_alignment=w,
        n_samples=len(s_codes),
        n_eff_alignment=n_eff,
        c3_samples=c3s,
        c3_alignment=c3a,
        triplets=triplets,
        energy_samples=e_s,
        energy_alignment=e_a,
    )
