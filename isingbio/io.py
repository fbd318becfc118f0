"""Saving and loading dense Potts models as self-describing ``.npz`` files.

File layout (``numpy.savez``, no pickled objects, read with ``allow_pickle=False``):

=================  ======================================================================
``format``         ``"isingbio.potts-dense"``
``format_version`` 1
``h``              (L, q) fields, float32 or float64
``J``              (L, L, q, q) couplings, J[i, j, a, b] == J[j, i, b, a], zero diagonal blocks
``alphabet``       the state letters in code order ('' when the model has no alphabet)
``alphabet_name``  the alphabet's name ('' when unknown)
``positions``      (L,) int64 residue numbers of the columns (1..L when unknown)
``metadata``       JSON text: hyperparameters, weights summary, seed, fit convergence, ...
``isingbio_version``  the package version that wrote the file
=================  ======================================================================

The energy convention is that of :mod:`isingbio.models`: H = -sum_{i<j} J_ij(x_i, x_j) -
sum_i h_i(x_i), p ~ exp(-H).
"""
from __future__ import annotations

import json
import os

import numpy as np

from ._version import __version__
from .errors import FormatError, InputError
from .models import PottsModel

__all__ = ["save_model", "load_model", "FORMAT", "FORMAT_VERSION"]

FORMAT = "isingbio.potts-dense"
FORMAT_VERSION = 1


def _json_default(obj):
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


def _alphabet_fields(alphabet):
    if alphabet is None:
        return "", ""
    letters = getattr(alphabet, "letters", alphabet)
    if not isinstance(letters, str):
        letters = "".join(letters)
    return letters, str(getattr(alphabet, "name", "") or "")


def save_model(model, path, **metadata) -> None:
    """Write a dense Potts model to ``path`` (.npz), atomically.

    Parameters
    ----------
    model : PottsModel
        A dense model (``model.J`` of shape (L, L, q, q)); lattice and graph models are
        converted with :meth:`~isingbio.models.PottsModel.to_dense`. Its optional
        ``alphabet``, ``positions`` and ``metadata`` attributes are saved too.
    path : str or os.PathLike
        Output file. It is written to a temporary file beside it and renamed on success, so
        an interrupted save never leaves a truncated file.
    **metadata
        Extra JSON-serialisable items, merged over ``model.metadata`` (e.g. ``seed=1``).
    """
    from ._files import atomic_output

    if not isinstance(model, PottsModel):
        raise InputError(f"save_model needs a PottsModel, got {type(model).__name__}")
    if getattr(model, "form", "dense") != "dense":
        model = model.to_dense()
    L, q = model.n_sites, model.q
    letters, name = _alphabet_fields(getattr(model, "alphabet", None))
    if letters and len(letters) != q:
        raise InputError(f"model alphabet has {len(letters)} letters but the model has q = {q} states")
    positions = getattr(model, "positions", None)
    positions = np.arange(1, L + 1, dtype=np.int64) if positions is None else np.asarray(positions, dtype=np.int64)
    if positions.shape != (L,):
        raise InputError(f"model positions must have shape ({L},), got {positions.shape}")
    meta = dict(getattr(model, "metadata", None) or {})
    meta.update(metadata)
    try:
        meta_text = json.dumps(meta, default=_json_default, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise InputError(f"model metadata cannot be written as JSON: {exc}") from None
    with atomic_output(path, "wb", suffix=".npz") as fh:
        np.savez(fh, format=np.array(FORMAT), format_version=np.array(FORMAT_VERSION),
                 h=model.h, J=model.J, alphabet=np.array(letters), alphabet_name=np.array(name),
                 positions=positions, metadata=np.array(meta_text),
                 isingbio_version=np.array(__version__))


def load_model(path) -> PottsModel:
    """Read a model written by :func:`save_model` (``model.save``).

    Returns
    -------
    PottsModel
        Dense model with ``alphabet`` (an :class:`isingbio.alignment.Alphabet`, or None),
        ``positions`` (int64, (L,)) and ``metadata`` (dict, with ``isingbio_version`` the
        version that wrote the file) attributes.

    Raises
    ------
    FormatError
        Not an isingbio model file, or a damaged one (the message names the file).
    """
    path = os.fspath(path)
    try:
        with open(path, "rb") as fh:
            magic = fh.read(4)
    except IsADirectoryError:
        raise FormatError("is a directory, not a model file", path=path) from None
    if magic[:2] != b"PK":  # np.load would try to unpickle it and say so
        raise FormatError("not an isingbio model file (model files are .npz archives written "
                          "by model.save / isingbio.save_model)", path=path)
    try:
        data = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise
    except (OSError, ValueError) as exc:
        raise FormatError(f"not a readable .npz file ({exc})", path=path) from None
    with data:
        keys = set(data.files)
        if "format" not in keys or str(data["format"]) != FORMAT:
            raise FormatError(f"not an isingbio model file (no format = {FORMAT!r})", path=path)
        version = int(data["format_version"]) if "format_version" in keys else 1
        if version > FORMAT_VERSION:
            raise FormatError(f"model file format version {version} is newer than this isingbio "
                              f"({__version__}) reads ({FORMAT_VERSION})", path=path)
        missing = {"h", "J"} - keys
        if missing:
            raise FormatError(f"model file lacks {', '.join(sorted(missing))}", path=path)
        h, J = data["h"], data["J"]
        letters = str(data["alphabet"]) if "alphabet" in keys else ""
        name = str(data["alphabet_name"]) if "alphabet_name" in keys else ""
        positions = data["positions"].astype(np.int64) if "positions" in keys else None
        meta_text = str(data["metadata"]) if "metadata" in keys else "{}"
        written_by = str(data["isingbio_version"]) if "isingbio_version" in keys else "unknown"
    try:
        model = PottsModel(h, J)
    except InputError as exc:
        raise FormatError(f"invalid model arrays: {exc}", path=path) from None
    try:
        metadata = json.loads(meta_text)
    except ValueError as exc:
        raise FormatError(f"metadata is not valid JSON ({exc})", path=path) from None
    metadata["isingbio_version"] = written_by
    model.alphabet = _make_alphabet(letters, name) if letters else None
    model.positions = positions
    model.metadata = metadata
    return model


def _make_alphabet(letters: str, name: str):
    """The package's Alphabet for these letters (a named one when it matches), else the letters."""
    from .alphabets import Alphabet, get_alphabet
    if name:
        try:
            alpha = get_alphabet(name)
            if alpha.letters == letters:
                return alpha
        except Exception:  # noqa: BLE001 - unknown name: fall back to the letters
            pass
    try:
        return Alphabet(letters, name=name or None)
    except InputError:
        return letters
