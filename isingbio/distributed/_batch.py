"""Many families on a Dask cluster: one task per family, outputs written atomically, a
summary table, memory-aware placement, failures that do not sink the batch, resume.

An item is *complete* when its done-marker ``OUTDIR/.done/<family>.json`` exists, parses,
records the same workload and options as this run (``--resume`` after changing
``--max-iter`` or ``--method`` reruns the family), and every output it lists exists with the
size it records. The marker is written
(atomically) only after the outputs have been renamed into place, so a worker killed at
any moment leaves either a complete item or no output at all (at most a hidden temporary,
``OUTDIR/.<family>.*``, which the next attempt deletes).
"""

from __future__ import annotations

import contextlib
import glob
import json
import math
import os
import re
import threading
import time
from collections.abc import Sequence
from typing import Any

from ..errors import InputError, IsingbioError
from ._cluster import MEMORY, connect, require_dask, task_failure, worker_pool

COLUMNS = (
    "family",
    "L",
    "N",
    "N_eff",
    "seconds",
    "peak_memory_mb",
    "memory_estimate_mb",
    "status",
    "message",
    "P@L",
    "output",
)
_EXTENSIONS = (".fasta", ".fas", ".fa", ".a2m", ".a3m", ".sto", ".stockholm", ".aln")
_STRUCTURE_EXT = (".pdb", ".cif", ".mmcif", ".ent", ".pdb.gz", ".cif.gz")
_MB = 1 << 20
_DEFAULTS = dict(
    format=None,
    focus=None,
    max_gap_seq=None,
    max_gap_col=None,
    lambda_h=0.01,
    lambda_j=None,
    max_iter=100,
    min_separation=6,
    float64=False,
    seed=None,
)


def family_name(path: str) -> str:
    """``/x/PF00014.fasta.gz`` -> ``PF00014``."""
    name = os.path.basename(os.fspath(path))
    if name.endswith(".gz"):
        name = name[:-3]
    stem, ext = os.path.splitext(name)
    return stem if ext.lower() in _EXTENSIONS else name


def _find_structure(directory: str | None, family: str) -> str | None:
    if directory is None:
        return None
    for ext in _STRUCTURE_EXT:
        path = os.path.join(directory, family + ext)
        if os.path.exists(path):
            return path
    return None


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        text = exc.strerror + (f": {exc.filename}" if exc.filename else "")
    elif isinstance(exc, MemoryError) and not str(exc):
        text = "out of memory"
    else:
        text = str(exc) or type(exc).__name__
    return " ".join(text.split())[:500]


class _PeakMemory:
    """Peak resident memory of this (worker) process while a task runs, polled by a thread."""

    def __init__(self, interval: float = 0.02) -> None:
        import psutil  # a dependency of distributed

        self._proc = psutil.Process()
        self.peak = self._proc.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, args=(interval,), daemon=True)

    def _poll(self, interval: float) -> None:
        while not self._stop.wait(interval):
            self.peak = max(self.peak, self._proc.memory_info().rss)

    def __enter__(self) -> _PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._proc.memory_info().rss)


# ----------------------------------------------------------------------------------------
# done-markers
# ----------------------------------------------------------------------------------------
def _marker(outdir: str, family: str) -> str:
    return os.path.join(outdir, ".done", family + ".json")


def _settings(kind: str, options: dict) -> dict:
    """What a done-marker records of the run that made its outputs (JSON-comparable)."""
    return json.loads(json.dumps(dict(kind=kind, options=options), sort_keys=True, default=str))


def completed_row(outdir: str, family: str, settings: dict | None = None) -> dict | None:
    """The summary row of a complete item (see the module docstring), else None.

    With `settings` (:func:`_settings`), a marker written with other settings is not complete.
    """
    try:
        with open(_marker(outdir, family)) as fh:
            row = json.load(fh)
        if settings is not None and row.get("_settings") != settings:
            return None
        for path, size in row["_files"].items():
            if os.path.getsize(os.path.join(outdir, path)) != size:
                return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return row


def _clean_stale(outdir: str, family: str) -> None:
    """Delete temporaries a killed attempt left (``.<family>.XXXXXXXX.csv`` from mkstemp),
    and only this family's (``PF1.2`` is another family than ``PF1``)."""
    own = re.compile(rf"\.{re.escape(family)}\.[a-z0-9_]{{8}}\.(csv|npz)")
    for path in glob.glob(os.path.join(glob.escape(outdir), f".{glob.escape(family)}.*")):
        if own.fullmatch(os.path.basename(path)):
            with contextlib.suppress(OSError):
                os.unlink(path)


def _write_marker(outdir: str, row: dict, outputs: Sequence[str], settings: dict | None = None) -> None:
    from .._files import atomic_output

    os.makedirs(os.path.join(outdir, ".done"), exist_ok=True)
    row = dict(row, _files={os.path.basename(p): os.path.getsize(p) for p in outputs}, _settings=settings)
    with atomic_output(_marker(outdir, row["family"])) as fh:
        json.dump(row, fh)


# ----------------------------------------------------------------------------------------
# tasks (run on the workers)
# ----------------------------------------------------------------------------------------
def _estimate_task(path: str, options: dict, threads: int) -> dict:
    """(N, L, q) of a family and the bytes its fit needs, or its one-line error."""
    import numpy as np

    from .._family import read_family
    from ..plm import estimate_plm_memory

    try:
        aln = read_family(
            path,
            format=options["format"],
            focus=options["focus"],
            max_gap_seq=options["max_gap_seq"],
            max_gap_col=options["max_gap_col"],
        )
    except (IsingbioError, OSError, MemoryError, UnicodeDecodeError) as exc:
        return {"error": _one_line(exc)}
    dtype = np.float64 if options["float64"] else np.float32
    need = estimate_plm_memory(aln.N, aln.L, aln.q, dtype=dtype, n_threads=threads)
    need += 2 * aln.N * aln.L + 8 * aln.N  # the alignment's copies and the weights
    return {"N": aln.N, "L": aln.L, "q": aln.q, "bytes": int(need)}


def _family_task(item: dict, options: dict, threads: int, kind: str) -> dict:
    """One family: weights, fit, outputs (atomically), done-marker; returns its summary row."""
    from .._family import fit_family, read_family, write_family_contacts
    from .._files import atomic_path
    from ..contacts import contact_scores
    from ..weights import sequence_weights

    outdir, family, path = item["outdir"], item["family"], item["path"]
    row = dict(item["row"])
    t0 = time.perf_counter()
    outputs: list[str] = []
    try:
        with _PeakMemory() as peak:
            aln = read_family(
                path,
                format=options["format"],
                focus=options["focus"],
                max_gap_seq=options["max_gap_seq"],
                max_gap_col=options["max_gap_col"],
            )
            row.update(L=aln.L, N=aln.N)
            cmap = None
            if item.get("structure"):
                from ..structure import contact_map_from_structure

                cmap = contact_map_from_structure(item["structure"], sequence=aln)
            weights, n_eff = sequence_weights(aln, identity=0.8, n_threads=threads)
            row["N_eff"] = round(float(n_eff), 3)
            fit_options = {k: options[k] for k in ("lambda_h", "lambda_j", "max_iter", "float64", "seed")}
            if kind == "bm":
                model = _fit_bm(aln, weights, options, threads)
            else:
                model = fit_family(aln, weights, threads=threads, **fit_options).model
            scores = contact_scores(model)
            if cmap is not None:
                from ..evaluation import evaluate_contacts

                prec = evaluate_contacts(scores, cmap, min_separation=options["min_separation"])
                row["P@L"] = round(float(prec["P@L"]), 6)
            _clean_stale(outdir, family)
            if kind == "contacts":
                out = os.path.join(outdir, family + ".csv")
                with atomic_path(out) as tmp:
                    write_family_contacts(tmp, aln, scores, options["min_separation"])
            else:
                from ..io import save_model

                out = os.path.join(outdir, family + ".npz")
                with atomic_path(out) as tmp:
                    save_model(model, tmp, seed=options["seed"], alignment=str(path), focus=options["focus"])
            outputs.append(out)
        row.update(status="ok", message="", output=os.path.basename(out))
    except (IsingbioError, OSError, MemoryError, UnicodeDecodeError) as exc:
        row.update(status="failed", message=_one_line(exc))
    row["seconds"] = round(time.perf_counter() - t0, 3)
    row["peak_memory_mb"] = round(peak.peak / _MB, 1) if "peak" in locals() else math.nan
    if row["status"] == "ok":
        _write_marker(outdir, row, outputs, _settings(kind, options))
    return row


def _fit_bm(aln: Any, weights: Any, options: dict, threads: int) -> Any:
    from ..boltzmann import fit_bm

    res = fit_bm(aln, weights=weights, seed=options["seed"], n_threads=threads, **options.get("bm_options", {}))
    return res.model


# ----------------------------------------------------------------------------------------
# the driver
# ----------------------------------------------------------------------------------------
def _table(rows: list[dict]) -> Any:
    """A pandas DataFrame when pandas is installed, else a numpy record array."""
    try:
        import pandas as pd
    except ImportError:
        import numpy as np

        dtypes = [
            ("family", object),
            ("L", np.int64),
            ("N", np.int64),
            ("N_eff", np.float64),
            ("seconds", np.float64),
            ("peak_memory_mb", np.float64),
            ("memory_estimate_mb", np.float64),
            ("status", object),
            ("message", object),
            ("P@L", np.float64),
            ("output", object),
        ]
        return np.rec.array([tuple(r[c] for c in COLUMNS) for r in rows], dtype=dtypes)
    return pd.DataFrame([{c: r[c] for c in COLUMNS} for r in rows], columns=list(COLUMNS))


def write_summary(path: str, rows: list[dict]) -> None:
    """The summary table as CSV (written atomically)."""
    import csv
    import io

    from .._files import atomic_output

    text = io.StringIO()
    w = csv.writer(text, lineterminator="\n")
    w.writerow(COLUMNS)
    for r in rows:
        w.writerow(["" if isinstance(r[c], float) and math.isnan(r[c]) else r[c] for c in COLUMNS])
    with atomic_output(path) as fh:
        fh.write(text.getvalue())


def _new_row(family: str) -> dict:
    return dict(
        family=family,
        L=0,
        N=0,
        N_eff=math.nan,
        seconds=0.0,
        peak_memory_mb=math.nan,
        memory_estimate_mb=math.nan,
        status="pending",
        message="",
        **{"P@L": math.nan},
        output="",
    )


def _check_batch_outputs(kind: str, outdir: str, families: list[str], paths: list[str], summary: str | None) -> None:
    """The output policy (isingbio._files) for every file the batch will write, before any work:
    no output may be an input alignment (by name or through a link), nor a FIFO or device."""
    from .._files import check_not_input, check_output_path

    inputs = [(p, "alignment") for p in paths]
    ext = ".csv" if kind == "contacts" else ".npz"
    outs = [os.path.join(outdir, fam + ext) for fam in families]
    if summary is not None:
        outs.append(os.path.join(outdir, summary))
    for out in outs:
        try:
            check_output_path(out)
        except OSError as exc:
            raise InputError(f"output {out}: {exc.strerror or exc}") from None
        check_not_input(out, inputs, "output")


def _run_batch(
    kind: str,
    alignments: Sequence[str | os.PathLike],
    outdir: str,
    *,
    client: Any,
    structures: str | None,
    resume: bool,
    n_workers: int | None,
    threads: int | None,
    progress: bool,
    summary: str | None,
    options: dict,
    announce: Any = None,
) -> Any:
    from .._progress import progress_bar

    require_dask()  # before anything is created
    unknown = set(options) - set(_DEFAULTS) - {"bm_options"}
    if unknown:
        raise InputError(f"unknown option(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(_DEFAULTS))}")
    options = {**_DEFAULTS, **options}
    paths = [os.fspath(p) for p in alignments]
    if not paths:
        raise InputError("no alignments given")
    families = [family_name(p) for p in paths]
    seen: dict[str, str] = {}
    for fam, p in zip(families, paths):
        if fam in seen:
            raise InputError(f"two alignments would write the same output {fam}: {seen[fam]} and {p}")
        seen[fam] = p
    if structures is not None and not os.path.isdir(structures):
        raise InputError(f"--structures {structures}: not a directory")
    outdir = os.fspath(outdir)
    os.makedirs(outdir, exist_ok=True)
    if not os.access(outdir, os.W_OK | os.X_OK):
        raise InputError(f"output directory {outdir} is not writable")

    _check_batch_outputs(kind, outdir, families, paths, summary)

    rows = {fam: _new_row(fam) for fam in families}
    todo = []
    for fam, p in zip(families, paths):
        done = completed_row(outdir, fam, _settings(kind, options)) if resume else None
        if done is not None:
            done.pop("_files", None)
            done.pop("_settings", None)
            rows[fam].update(done, status="ok", message="resumed: complete from an earlier run")
        elif not os.path.exists(p):
            rows[fam].update(status="failed", message=f"{p}: no such file")
        else:
            todo.append((fam, p))

    with connect(client, n_workers=n_workers, threads=threads) as c:
        pool = worker_pool(c)
        if announce is not None and pool.dashboard:
            announce(f"Dask dashboard: {pool.dashboard}")
        task_threads = threads or 1
        # sizes first (cheap tasks), so the fits are placed by their memory
        sizes = c.map(_estimate_task, [p for _, p in todo], options=options, threads=task_threads, pure=False)
        est = dict(zip([f for f, _ in todo], c.gather(sizes)))
        jobs = []
        for fam, p in todo:
            e, row = est[fam], rows[fam]
            if "error" in e:
                row.update(status="failed", message=e["error"])
                continue
            row.update(L=e["L"], N=e["N"], memory_estimate_mb=round(e["bytes"] / _MB, 1))
            if pool.largest and e["bytes"] > pool.largest:
                row.update(
                    status="refused",
                    message=f"needs about {e['bytes'] / 2**30:.2f} GiB; the largest worker holds "
                    f"{pool.largest / 2**30:.2f} GiB",
                )
                continue
            jobs.append((e["bytes"], fam, p))
        jobs.sort(key=lambda j: -j[0])  # large families first
        futures = {}
        for rank, (need, fam, p) in enumerate(jobs):
            item = dict(outdir=outdir, family=fam, path=p, structure=_find_structure(structures, fam), row=rows[fam])
            futures[
                c.submit(
                    _family_task,
                    item,
                    options,
                    task_threads,
                    kind,
                    key=f"isingbio-{kind}-{fam}-{os.urandom(4).hex()}",
                    priority=len(jobs) - rank,
                    resources={MEMORY: need} if pool.resources else None,
                    pure=False,
                )
            ] = fam
        distributed = __import__("distributed")
        bar = progress_bar(progress, len(futures), "families")
        try:
            for fut in distributed.as_completed(list(futures)):
                fam = futures[fut]
                try:
                    rows[fam].update(fut.result())
                except Exception as exc:  # the task did not come back: a dead worker, a lost connection
                    rows[fam].update(status="failed", message=task_failure(exc))
                bar.update(1)
        finally:
            bar.close()
    ordered = [rows[f] for f in families]
    if summary is not None:
        write_summary(os.path.join(outdir, summary), ordered)
    return _table(ordered)


def map_contacts(
    alignments: Sequence[str | os.PathLike],
    outdir: str | os.PathLike,
    *,
    client: Any = None,
    structures: str | None = None,
    resume: bool = False,
    n_workers: int | None = None,
    threads: int | None = None,
    progress: bool = False,
    summary: str | None = "summary.csv",
    **contact_options: Any,
) -> Any:
    """Predict contacts for many families, one Dask task per family.

    Each family gives ``OUTDIR/<family>.csv``, byte-identical to ``isingbio contacts
    ALIGNMENT -o <family>.csv`` with the same options.

    Parameters
    ----------
    alignments : sequence of path
        Alignment files; the family name is the file name without its extensions.
    outdir : path
        Output directory (created).
    client : None, dask.distributed.Client or str, optional
        None: a LocalCluster on this machine (closed at the end); a Client; or a scheduler
        address such as ``"tcp://10.0.0.1:8786"``.
    structures : str, optional
        Directory with ``<family>.pdb`` (or .cif): the summary gets the precision P@L.
    resume : bool, optional
        Skip families whose outputs are complete (see :mod:`isingbio.distributed`).
    n_workers, threads : int, optional
        LocalCluster workers, and OpenMP threads per task (default 1).
    progress : bool, optional
        A progress bar over families.
    summary : str or None, optional
        Name of the summary CSV in `outdir` (None: not written).
    **contact_options
        As ``isingbio contacts``: format, focus, max_gap_seq, max_gap_col, lambda_h,
        lambda_j, max_iter, min_separation, float64, seed.

    Returns
    -------
    pandas.DataFrame or numpy.recarray
        One row per family: family, L, N, N_eff, seconds, peak_memory_mb,
        memory_estimate_mb, status ("ok", "failed", "refused"), message, P@L, output.
    """
    return _run_batch(
        "contacts",
        alignments,
        os.fspath(outdir),
        client=client,
        structures=structures,
        resume=resume,
        n_workers=n_workers,
        threads=threads,
        progress=progress,
        summary=summary,
        options=contact_options,
    )


def map_fits(
    alignments: Sequence[str | os.PathLike],
    outdir: str | os.PathLike,
    method: str = "plm",
    *,
    client: Any = None,
    structures: str | None = None,
    resume: bool = False,
    n_workers: int | None = None,
    threads: int | None = None,
    progress: bool = False,
    summary: str | None = "summary.csv",
    **fit_options: Any,
) -> Any:
    """Fit a Potts model to many families, one Dask task per family: ``OUTDIR/<family>.npz``
    (:func:`isingbio.io.save_model`), as ``isingbio contacts --save-model`` writes it.

    Parameters
    ----------
    method : {"plm", "bm"}, optional
        Pseudo-likelihood (:func:`isingbio.fit_plm`) or Boltzmann machine learning
        (``isingbio.fit_bm``; extra options go in ``bm_options``, a dict).
    Other parameters and the returned table are as in :func:`map_contacts`.
    """
    if method not in ("plm", "bm"):
        raise InputError(f"method must be 'plm' or 'bm', got {method!r}")
    return _run_batch(
        method,
        alignments,
        os.fspath(outdir),
        client=client,
        structures=structures,
        resume=resume,
        n_workers=n_workers,
        threads=threads,
        progress=progress,
        summary=summary,
        options=fit_options,
    )
