"""Every figure of the package, drawn with matplotlib (files written atomically).

This is the only module that uses matplotlib, and it imports it inside the functions, so
``import isingbio`` does not load it. Each figure is a :class:`matplotlib.figure.Figure`
that belongs to no pyplot state (safe in threads and servers), written by
:func:`save_figure`; the format follows the file's extension (default PNG). Each ``plot_*``
function takes results and a path, draws one figure and returns the path.

Simulation
    :func:`plot_traces` (energy and magnetisation of each chain), :func:`plot_scan`
    (thermodynamics against temperature), :func:`plot_tempering` (energy and specific heat
    along a tempering ladder, with the swap acceptance of each neighbouring pair)
Partition functions
    :func:`plot_ais` (log-weight traces, running estimate of log Z, effective sample size)
Contacts
    :func:`plot_contacts` (predicted pairs over the true contact map)
Generated sequences
    :func:`plot_mixing` (mixing diagnostics of the chains), :func:`plot_statistics` (sample
    statistics against the alignment's), :func:`plot_mutation_heatmap` (single-mutant
    energy changes), :func:`plot_energy_histogram` (energies of scored sequences)

The package's own modules are imported inside the functions too: several of them
re-export these figures, and importing them here at load time would make import cycles.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import numpy as np

from ._files import atomic_path
from ._typing import ArrayLike, PathLike
from .errors import InputError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from .alphabets import Alphabet
    from .annealed_importance import AISResult
    from .boltzmann import BMResult
    from .sampling import SampleResult
    from .sequence_sampling import MixingDiagnostics
    from .sequence_statistics import StatisticsComparison
    from .structure import ContactMap

__all__ = [
    "figure",
    "save_figure",
    "check_figure_format",
    "plot_traces",
    "plot_scan",
    "plot_ais",
    "plot_contacts",
    "plot_mixing",
    "plot_statistics",
    "plot_mutation_heatmap",
    "plot_energy_histogram",
    "plot_training",
    "plot_tempering",
]


def figure(**kwargs: Any) -> Figure:
    """A matplotlib Figure that belongs to no pyplot state (safe in threads and servers)."""
    from matplotlib.figure import Figure

    return Figure(**kwargs)


def save_figure(fig: Figure, path: PathLike, dpi: int = 120) -> str:
    """Write `fig` to `path` atomically; the format follows the extension (default PNG)."""
    ext = os.path.splitext(os.fspath(path))[1].lstrip(".").lower() or "png"
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=ext, dpi=dpi, bbox_inches="tight")
    return os.fspath(path)


def check_figure_format(path: PathLike | None, option: str = "--plot") -> None:
    """Refuse, early, a file extension matplotlib cannot write (no extension: PNG).

    Uses the formats of matplotlib's base canvas (``matplotlib.backend_bases``), without
    importing pyplot or drawing anything, so a command can check its ``--plot`` before any
    work.
    """
    if path is None:
        return
    ext = os.path.splitext(os.fspath(path))[1].lstrip(".").lower()
    if not ext:
        return
    from matplotlib.backend_bases import FigureCanvasBase

    supported = FigureCanvasBase.get_supported_filetypes()
    if ext not in supported:
        raise InputError(f"{option} {path}: unknown figure format {ext!r} (use one of: {', '.join(sorted(supported))})")


def plot_traces(result: SampleResult, path: PathLike, max_chains: int = 8, max_points: int = 1000) -> str:
    """Energy per site and magnetisation against sweep number for each chain.

    Parameters
    ----------
    result : SampleResult
    path : str or os.PathLike
        PNG (or any format matplotlib knows from the extension).
    max_chains : int, optional
        Draw at most this many chains.
    max_points : int, optional
        Draw at most this many records per chain (every k-th record, said in the title).
    """
    fig = figure(figsize=(8, 5.5))
    axes = fig.subplots(2, 1, sharex=True)
    sweeps = result.burn_in + result.thin * np.arange(1, result.n_records + 1)
    # at most max_points per chain: thousands of records per chain would draw a solid block
    stride = max(1, -(-result.n_records // max_points))
    shown = slice(None, None, stride)
    for c in range(min(result.n_chains, max_chains)):
        axes[0].plot(sweeps[shown], result.energy[c][shown] / result.n_sites, lw=0.7, alpha=0.8)
        axes[1].plot(sweeps[shown], result.magnetization[c][shown], lw=0.7, alpha=0.8)
    axes[0].set_ylabel("energy per site")
    axes[1].set_ylabel("magnetisation")
    axes[1].set_xlabel("sweep")
    every = f", every {stride}th record shown" if stride > 1 else ""
    axes[0].set_title(f"{result.method}, beta = {result.beta:.4g}, {result.n_chains} chain(s){every}")
    for ax in axes:
        ax.grid(alpha=0.3)
    return save_figure(fig, path)


def plot_scan(
    temperatures: ArrayLike, table: dict[str, Any], path: PathLike, exact: dict[str, Any] | None = None, title: str = ""
) -> str:
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
    panels = [
        ("energy", "energy per site"),
        ("specific_heat", "specific heat per site"),
        ("abs_magnetization", "|m|"),
        ("susceptibility", "susceptibility per site"),
    ]
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


def plot_ais(result: AISResult, path: PathLike, max_chains: int = 64, exact: float | None = None) -> str:
    """Log-weight traces, the running estimate of log Z and the effective sample size.

    Top: each chain's log-weight along the path, relative to the log mean exp over chains
    (reverse pass dotted). Middle: the estimate of log Z as chains are added, with a 2-sigma
    band (forward and, if run, reverse). Bottom: the effective sample size along the path.
    Written atomically.

    Parameters
    ----------
    result : AISResult
    path : str or os.PathLike
        PNG (or any format matplotlib knows from the extension).
    max_chains : int, optional
        Draw at most this many chains' traces.
    exact : float, optional
        The exact log Z, drawn as a reference line.

    Returns
    -------
    str
        ``path``.
    """
    from .annealed_importance import _logmeanexp, _running, _weight_stats

    fig = figure(figsize=(8, 9.5))
    axes = fig.subplots(3, 1)
    b = result.schedule[result.trace_steps] * result.beta
    centre = _logmeanexp(result.trace, axis=1)
    for c in range(min(result.n_chains, max_chains)):
        axes[0].plot(b, result.trace[:, c] - centre, lw=0.5, alpha=0.6)
    if result.bidirectional:
        assert result.trace_reverse is not None, "a bidirectional run has a reverse trace"
        br = result.schedule[::-1][result.trace_steps_reverse] * result.beta
        cr = _logmeanexp(result.trace_reverse, axis=1)
        for c in range(min(result.trace_reverse.shape[1], max(1, max_chains // 4))):
            axes[0].plot(
                br,
                result.trace_reverse[:, c] - cr,
                lw=0.6,
                alpha=0.6,
                color="k",
                ls=":",
                label="reverse" if c == 0 else None,
            )
        axes[0].legend(loc="lower left", fontsize=8)
    axes[0].set_ylabel("log-weight relative to the chains' mean")
    axes[0].set_xlabel("inverse temperature along the annealing path")
    axes[0].set_title(
        f"AIS: {result.n_chains} chains x {result.n_steps} steps, {result.schedule_name} schedule, {result.method}"
    )

    n, est, se = _running(result.log_weights)
    axes[1].plot(n, est, color="C0", label="forward (lower)")
    axes[1].fill_between(n[1:], est[1:] - 2 * se[1:], est[1:] + 2 * se[1:], color="C0", alpha=0.25)
    if result.bidirectional:
        assert result.log_weights_reverse is not None, "a bidirectional run has reverse weights"
        n_r, est_r, se_r = _running(result.log_weights_reverse)
        axes[1].plot(n_r, -est_r, color="C3", label="reverse (upper)")
        axes[1].fill_between(n_r[1:], -est_r[1:] - 2 * se_r[1:], -est_r[1:] + 2 * se_r[1:], color="C3", alpha=0.25)
    axes[1].axhline(result.log_z, color="k", lw=0.8, ls="--", label="log Z")
    lo, hi = result.log_z - 8 * result.stderr - 1e-3, result.log_z + 8 * result.stderr + 1e-3
    if exact is not None:
        axes[1].axhline(exact, color="C2", lw=1.2, label="exact")
        lo, hi = min(lo, exact - 1e-3), max(hi, exact + 1e-3)
    axes[1].set_ylim(lo, hi)
    axes[1].set_xlabel("chains used")
    axes[1].set_ylabel("running estimate of log Z")
    axes[1].legend(loc="lower right", fontsize=8)
    txt = f"log Z = {result.log_z:.5f} +/- {result.stderr:.5f}"
    if result.bidirectional:
        lower, upper = result.log_z_forward, result.log_z_reverse
        assert upper is not None, "a bidirectional run has a reverse estimate"
        if lower <= upper:
            txt += f"\nbounds [{lower:.5f}, {upper:.5f}], gap {result.gap:.2g}"
        else:  # stochastic bounds: with too few chains or steps they can cross
            txt += f"\nforward {lower:.5f} above reverse {upper:.5f}: the bounds cross (more chains or steps)"
    axes[1].text(0.02, 0.95, txt, transform=axes[1].transAxes, va="top", fontsize=9)

    ess = np.array([_weight_stats(row)[2] for row in result.trace])
    axes[2].plot(b, ess, color="C1", label="forward")
    if result.bidirectional:
        assert result.trace_reverse is not None
        ess_r = np.array([_weight_stats(row)[2] for row in result.trace_reverse])
        axes[2].plot(br, ess_r, color="C3", label="reverse")
        axes[2].legend(loc="lower left", fontsize=8)
    axes[2].set_ylabel("effective sample size")
    axes[2].set_ylim(0, result.n_chains * 1.05)
    axes[2].set_xlabel("inverse temperature along the annealing path")
    for ax in axes:
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return save_figure(fig, path, dpi=110)


def plot_contacts(
    scores: ArrayLike,
    contact_map: ContactMap | ArrayLike | None,
    path: PathLike,
    top: int | None = None,
    min_separation: int = 6,
    positions: ArrayLike | None = None,
    title: str | None = None,
    dpi: int = 150,
    figsize: tuple[float, float] = (6.0, 6.0),
) -> str:
    """Draw the predicted top pairs over the true contact map and write it to ``path``.

    Lower triangle: true contacts (grey; unknown pairs in light yellow). Upper triangle: the
    ``top`` best-scoring pairs with ``j - i >= min_separation`` (green: contact, red: not a
    contact, blue: unknown). The title reports P@L/5, P@L/2 and P@L.

    Parameters
    ----------
    scores : array_like, shape (L, L)
    contact_map : ContactMap, array_like of int (L, L), or None (predictions only)
    path : str or os.PathLike
        Output file; the format follows the extension (png, pdf, svg). Written to a
        temporary file first and renamed, so no partial file is left on failure.
    top : int, optional
        Number of predicted pairs drawn (default L).
    positions : array_like of int, shape (L,), optional
        Axis labels (e.g. ``alignment.positions``); default 1..L.

    Returns
    -------
    str
        ``path``.
    """
    from .contacts import _score_matrix, ranked_pairs
    from .evaluation import _contact_matrix, evaluate_contacts

    s = _score_matrix(scores)
    L = s.shape[0]
    c = None if contact_map is None else _contact_matrix(contact_map)
    if c is not None and c.shape != s.shape:
        raise InputError(f"scores have shape {s.shape} but the contact map has {c.shape}")
    top = L if top is None else int(top)
    if top < 0:
        raise InputError(f"top must be >= 0, got {top}")
    pos = np.arange(1, L + 1) if positions is None else np.asarray(positions)
    if pos.shape != (L,):
        raise InputError(f"positions must have shape ({L},), got {pos.shape}")

    fig = figure(figsize=figsize)
    ax = fig.add_subplot(1, 1, 1)
    ax.set_xlim(0.5, L + 0.5)
    ax.set_ylim(L + 0.5, 0.5)
    ax.set_aspect("equal")
    ms = max(1.0, min(6.0, 300.0 / max(L, 1)))
    if c is not None:
        ui, uj = np.nonzero(np.tril(c == -1, -1))
        if ui.size:
            ax.scatter(uj + 1, ui + 1, s=ms**2, c="#f3eec8", marker="s", linewidths=0, label="unknown")
        ti, tj = np.nonzero(np.tril(c == 1, -min_separation))
        ax.scatter(tj + 1, ti + 1, s=ms**2, c="0.55", marker="s", linewidths=0, label="true contact")
    i, j, _ = ranked_pairs(s, min_separation)
    i, j = i[:top], j[:top]
    if c is None:
        ax.scatter(j + 1, i + 1, s=ms**2, c="k", marker="o", linewidths=0, label="predicted")
    else:
        state = c[i, j]
        for value, colour, label in (
            (1, "#1a9641", "predicted, contact"),
            (0, "#d7191c", "predicted, no contact"),
            (-1, "#2c7bb6", "predicted, unknown"),
        ):
            m = state == value
            if m.any():
                ax.scatter(j[m] + 1, i[m] + 1, s=ms**2, c=colour, marker="o", linewidths=0, label=label)
    ax.plot([0.5, L + 0.5], [0.5, L + 0.5], color="0.8", linewidth=0.5)
    ticks = np.linspace(1, L, min(L, 6)).round().astype(int)
    ax.set_xticks(ticks)
    ax.set_xticklabels([str(pos[t - 1]) for t in ticks])
    ax.set_yticks(ticks)
    ax.set_yticklabels([str(pos[t - 1]) for t in ticks])
    ax.set_xlabel("residue j")
    ax.set_ylabel("residue i")
    heading = title or "predicted contacts (upper) over true contacts (lower)"
    if c is not None:
        r = evaluate_contacts(s, c, min_separation=min_separation)
        heading += (
            f"\nP@L/5 {r['P@L/5']:.2f}   P@L/2 {r['P@L/2']:.2f}   P@L {r['P@L']:.2f}"
            f"   (top {top} drawn, |i-j| >= {min_separation})"
        )
    ax.set_title(heading, fontsize=9)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.09), ncol=3, fontsize=7, markerscale=1.5, frameon=False)
    return save_figure(fig, path, dpi)


def plot_mixing(diagnostics: MixingDiagnostics, path: PathLike, max_chains: int = 8) -> str:
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
        big = np.argsort(np.abs(x))[-max_points // 10 :]  # always show the largest values
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


def plot_statistics(comparison: StatisticsComparison, path: PathLike) -> str:
    """One-, two- (and three-) site scatter plots against the alignment and energy histograms."""
    c = comparison
    panels = 2 + (c.c3_samples is not None) + (c.energy_samples is not None and c.energy_alignment is not None)
    fig = figure(figsize=(4.2 * panels, 4))
    axes = fig.subplots(1, panels)
    axes = np.atleast_1d(axes)
    _scatter(
        axes[0],
        c.f1_alignment.ravel(),
        c.f1_samples.ravel(),
        c.pearson["one_site"],
        c.slope["one_site"],
        "one-site frequencies",
    )
    if "two_site" in c.pearson:
        _scatter(
            axes[1],
            c.c2_alignment,
            c.c2_samples,
            c.pearson["two_site"],
            c.slope["two_site"],
            "connected two-site correlations",
        )
    k = 2
    if c.c3_samples is not None:
        _scatter(
            axes[k],
            c.c3_alignment,
            c.c3_samples,
            c.pearson["three_site"],
            c.slope["three_site"],
            "connected three-site correlations",
        )
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


def plot_mutation_heatmap(
    delta: ArrayLike,
    path: PathLike,
    sequence: str | ArrayLike | None = None,
    alphabet: Alphabet | str | None = None,
    positions: ArrayLike | None = None,
    title: str = "",
) -> str:
    """Heat map of a Delta E table (letters down, positions across); dots mark the target."""
    from .alphabets import get_alphabet
    from .sequences import encode_sequences

    d = np.asarray(delta, dtype=np.float64)
    L, q = d.shape
    alpha = get_alphabet(alphabet) if alphabet is not None else None
    pos = np.arange(1, L + 1) if positions is None else np.asarray(positions)
    lim = float(np.nanpercentile(np.abs(d), 99)) or 1.0
    fig = figure(figsize=(min(30, 2 + 0.16 * L), 1.5 + 0.22 * q))
    ax = fig.subplots()
    im = ax.imshow(d.T, aspect="auto", cmap="RdBu_r", vmin=-lim, vmax=lim, interpolation="nearest")
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


def plot_energy_histogram(energy: ArrayLike, path: PathLike, title: str = "") -> str:
    """Histogram of the statistical energies H of scored sequences."""
    e = np.asarray(energy, dtype=np.float64)
    fig = figure(figsize=(6, 4))
    ax = fig.subplots()
    ax.hist(e, bins=min(50, max(5, e.size // 5)))
    ax.set_xlabel("energy H")
    ax.set_ylabel("sequences")
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return save_figure(fig, path)


def plot_training(result: BMResult, path: PathLike) -> str:
    """Training trace of :func:`isingbio.fit_bm`: Pearson and slope of the connected
    correlations and one-site frequencies against the step, and the sweeps per step."""
    t = result.trace
    fig = figure(figsize=(8, 6.5))
    axes = fig.subplots(2, 1, sharex=True)
    axes[0].plot(t["step"], t["pearson"], label="Pearson, connected", color="C0")
    axes[0].plot(t["step"], t["pearson_one_site"], label="Pearson, one-site", color="C1", lw=0.8)
    axes[0].plot(t["step"], t["slope"], label="slope, connected", color="C2", ls="--")
    target = result.hyperparameters.get("target_pearson")
    if target is not None:
        axes[0].axhline(float(target), color="grey", ls=":", lw=0.8, label="target")
    axes[0].set_ylabel("model vs data")
    axes[0].legend(fontsize=8, loc="lower right")
    axes[1].plot(t["step"], t["sweeps"], color="k", drawstyle="steps-post")
    axes[1].set_ylabel("sweeps per step")
    axes[1].set_xlabel("gradient step")
    for ax in axes:
        ax.grid(alpha=0.3)
    eq = {True: "chains at equilibrium", False: "chains NOT at equilibrium", None: "equilibrium not checked"}
    axes[0].set_title(
        f"{result.n_steps} steps, {result.n_chains} chains, {result.time:.0f} s: {eq[result.equilibrated]}",
        fontsize=9,
    )
    return save_figure(fig, path)


def plot_tempering(
    temperatures: ArrayLike,
    table: dict[str, Any],
    swap_acceptance: ArrayLike,
    path: PathLike,
    exact: dict[str, Any] | None = None,
    title: str = "",
) -> str:
    """Energy and specific heat against temperature along a tempering ladder, and the swap
    acceptance of each neighbouring pair.

    Parameters
    ----------
    temperatures : array_like, shape (n,)
        The ladder's temperatures (any order; drawn sorted).
    table : dict
        Keys "energy" and "specific_heat", each an (n, 2) array of (mean, standard error)
        per site, in the order of `temperatures`.
    swap_acceptance : array_like, shape (n - 1,)
        Acceptance of swaps between neighbouring temperatures, in the order of `temperatures`.
    path : str or os.PathLike
    exact : dict, optional
        Curves to overlay: key -> (T array, value array), keys as in `table`; "label".
    title : str, optional
    """
    t = np.asarray(temperatures, dtype=float)
    acc = np.asarray(swap_acceptance, dtype=float)
    if acc.shape != (max(t.size - 1, 0),):
        raise InputError(f"swap_acceptance must have {t.size - 1} values (one per neighbouring pair), got {acc.shape}")
    fig = figure(figsize=(7, 8))
    axes = fig.subplots(3, 1, sharex=True)
    for ax, (key, label) in zip(axes[:2], [("energy", "energy per site"), ("specific_heat", "specific heat per site")]):
        values = np.asarray(table[key])
        ax.errorbar(t, values[:, 0], yerr=values[:, 1], fmt="o-", ms=4, lw=0.8, capsize=2, label="tempering")
        if exact and key in exact:
            et, ev = exact[key]
            ax.plot(et, ev, "-", lw=1, color="k", alpha=0.7, label=exact.get("label", "exact"))
        ax.legend(fontsize=8)
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    mid = (t[:-1] + t[1:]) / 2
    axes[2].bar(mid, acc, width=np.abs(np.diff(t)) * 0.8, color="C2", alpha=0.8)
    axes[2].set_ylim(0, 1)
    axes[2].set_ylabel("swap acceptance")
    axes[2].set_xlabel("temperature T")
    axes[2].grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return save_figure(fig, path)
