"""The model file format: constants and the writer (the reader is :mod:`isingbio.io`).

The writer needs nothing of :mod:`isingbio.models` but the attributes every model has, so
models can save themselves without importing the reader (which builds models).
"""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np

from ._files import atomic_output
from ._version import __version__
from .errors import InputError

FORMAT = "isingbio.model"
FORMAT_VERSION = 2
LEGACY_FORMAT = "isingbio.potts-dense"  # version 1: dense Potts models only
COUPLINGS_PREFIX = "couplings_"


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.dtype):
        return obj.name
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    return str(obj)


def _alphabet_fields(alphabet: Any) -> tuple[str, str]:
    if alphabet is None:
        return "", ""
    letters = getattr(alphabet, "letters", alphabet)
    if not isinstance(letters, str):
        letters = "".join(letters)
    return letters, str(getattr(alphabet, "name", "") or "")


def write_model(model: Any, path: Any, metadata: dict) -> None:
    """Write `model` (an IsingModel or PottsModel) to `path` atomically; see :mod:`isingbio.io`."""
    L, q = model.n_sites, model.q
    letters, name = _alphabet_fields(getattr(model, "alphabet", None))
    if letters and len(letters) != q:
        raise InputError(f"model alphabet has {len(letters)} letters but the model has q = {q} states")
    positions = getattr(model, "positions", None)
    # unknown positions (1..L) are written as an empty array: a large lattice stays small
    positions = np.zeros(0, dtype=np.int64) if positions is None else np.asarray(positions, dtype=np.int64)
    if positions.shape not in ((L,), (0,)):
        raise InputError(f"model positions must have shape ({L},), got {positions.shape}")
    meta = dict(getattr(model, "metadata", None) or {})
    meta.update(metadata)
    hyper = meta.get("hyperparameters")
    if "gaps_modelled" not in meta and isinstance(hyper, dict) and isinstance(hyper.get("ignore_gaps"), bool):
        meta["gaps_modelled"] = not hyper["ignore_gaps"]  # a fit records whether the gap was a state
    try:
        meta_text = json.dumps(meta, default=_json_default, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise InputError(f"model metadata cannot be written as JSON: {exc}") from None
    h = model.h
    if L > 1 and np.all(h == h[0]):  # a uniform field is stored once (large lattices)
        h = h[:1]
    arrays = {COUPLINGS_PREFIX + key: value for key, value in model.couplings.to_arrays().items()}
    chains = getattr(model, "chains", None)
    if chains is not None:
        chains = np.asarray(chains)
        if chains.ndim != 2 or chains.shape[1] != L or chains.dtype.kind not in "iu":
            raise InputError(
                f"model chains must be integer states of shape (n, {L}), got {chains.dtype} {chains.shape}"
            )
        arrays["chains"] = chains.astype(np.int8)
    with atomic_output(path, "wb", suffix=".npz") as fh:
        np.savez(
            fh,
            format=np.array(FORMAT),
            format_version=np.array(FORMAT_VERSION),
            kind=np.array(model.kind),
            form=np.array(model.couplings.form),
            n_sites=np.array(L, dtype=np.int64),
            q=np.array(q, dtype=np.int64),
            h=h,
            alphabet=np.array(letters),
            alphabet_name=np.array(name),
            positions=positions,
            metadata=np.array(meta_text),
            isingbio_version=np.array(__version__),
            **arrays,
        )
