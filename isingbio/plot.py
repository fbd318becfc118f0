"""Figures written with matplotlib (Agg backend, files written atomically).

Each function takes results and a path, draws one figure and returns the path.
"""
from __future__ import annotations

import os

import numpy as np

from ._files import atomic_path


def figure(**kwargs):
    """A matplotlib Figure that belongs to no pyplot state (safe in threads and servers)."""
    from matplotlib.figure import Figure
    return Figure(**kwargs)


def save_figure(fig, path, dpi: int = 120) -> str:
    """Write `fig` to `path` atomically; the format follows the extension (default PNG)."""
    ext = os.path.splitext(os.fspath(path))[1].lstrip(".").lower() or "png"
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=ext, dpi=dpi, bbox_inches="tight")
    return os.fspath(path)


def plot_traces(result, path, max_chains: int = 8):
    """Energy per site and magnetisation against sweep number for each chain.

    Parameters
    ----------
    result : SampleResult
    path : str or os.PathLike
        PNG (or any format matplotlib knows from the extension).
    max_chains : int, optional
        Draw at most this many chains.
    """
    fig = figure(figsize=(8, 5.5))
    axes = fig.subplots(2, 1, sharex=True)
    sweeps = result.burn_in + result.thin * np.arange(1, result.n_records + 1)
    for c in range(min(result.n_chains, max_chains)):
        axes[0].plot(sweeps, result.energy[c] / result.n_sites, lw=0.6, alpha=0.8)
        axes[1].plot(sweeps, result.magnetization[c], lw=0.6, alpha=0.8)
    axes[0].set_ylabel("energy per site")
    axes[1].set_ylabel("magnetisation")
    axes[1].set_xlabel("sweep")
    axes[0].set_title(f"{result.method}, beta = {result.beta:.4g}, {result.n_chains} chain(s)")
    for ax in axes:
        ax.grid(alpha=0.3)
    return save_figure(fig, path)


def plot_scan(temperatures, table: dict, path, exact: dict | None = None, title: str = ""):
    """Energy, specific heat, |m| and susceptibility against temperature.

    Parameters
    ----------
    temperatures : array_like, shape (n,)
    table : dict
        Keys "energy", "specific_heat", "abs_magnetization", "susceptibility", each an
        (n, 2) array of (mean, standard error) per site.
    path : str or os.PathLike
    exact : dict, optional
        Curves to overlay: key -> (T array, value array), same keys as `table`.
    title : str, optional
    """
    t = np.asarray(temperatures, dtype=float)
    fig = figure(figsize=(9, 6.5))
    axes = fig.subplots(2, 2, sharex=True)
    panels = [("energy", "energy per site"), ("specific_heat", "specific heat per site"),
              ("abs_magnetization", "|m|"), ("susceptibility", "susceptibility per site")]
    for ax, (key, label) in zip(axes.ravel(), panels):
        values = np.asarray(table[key])
        ax.errorbar(t, values[:, 0], yerr=values[:, 1], fmt="o", ms=4, capsize=2, label="Monte Carlo")
        if exact and key in exact:
            et, ev = exact[key]
            ax.plot(et, ev, "-", lw=1, color="k", alpha=0.7, label=exact.get("label", "exact"))
            ax.legend(fontsize=8)
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    for ax in axes[1]:
        ax.set_xlabel("temperature T")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return save_figure(fig, path)
