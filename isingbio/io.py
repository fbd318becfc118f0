"""Saving and loading models as self-describing ``.npz`` files, in their own storage form.

File layout (``numpy.savez``, no pickled objects, read with ``allow_pickle=False``):

=====================  ==================================================================
``format``             ``"isingbio.model"``
``format_version``     2
``kind``               ``"ising"`` or ``"potts"``
``form``               ``"lattice"``, ``"graph"`` or ``"dense"`` (see :mod:`isingbio.couplings`)
``n_sites``, ``q``     L and the number of states
``h``                  fields: Ising (L,), Potts (L, q); a single row when every site has
                       the same field
``couplings_*``        the couplings' own arrays: lattice ``shape``, ``periodic``, ``J``
                       (one per axis); graph ``n_sites``, ``i``, ``j``, ``w`` (edges
                       i < j); dense ``J`` (L, L, q, q), J[i, j, a, b] == J[j, i, b, a]
``alphabet``           the state letters in code order ('' when the model has no alphabet)
``alphabet_name``      the alphabet's name ('' when unknown)
``positions``          (L,) int64 residue numbers of the sites (empty when unknown: 1..L)
``metadata``           JSON text: hyperparameters, weights summary, seed, fit convergence, ...
``isingbio_version``   the package version that wrote the file
``chains``             optional (n, L) int8 states drawn from the model (the persistent
                       chains of a Boltzmann-machine fit); sampling starts from them
=====================  ==================================================================

A lattice Ising model is stored in a few bytes plus its field, not as L^2 q^2 dense
couplings. Version 1 files (``"isingbio.potts-dense"``: ``h``, ``J`` and the same extras)
are still read. The energy convention is that of :mod:`isingbio.models`: H = -sum_{i<j}
J_ij(x_i, x_j) - sum_i h_i(x_i), p ~ exp(-H).
"""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np

from ._files import read_npz
from ._model_file import COUPLINGS_PREFIX, FORMAT, FORMAT_VERSION, LEGACY_FORMAT
from ._version import __version__
from .alphabets import Alphabet, get_alphabet
from .couplings import couplings_from_arrays
from .errors import FormatError, InputError
from .models import IsingModel, PottsModel

__all__ = ["save_model", "load_model", "FORMAT", "FORMAT_VERSION"]


def save_model(
    model: IsingModel | PottsModel, path: str | os.PathLike, format: str | None = None, **metadata: Any
) -> None:
    """Write a model to ``path`` in isingbio's .npz format or a peer's (plmc, CCMpred), atomically.

    Parameters
    ----------
    model : IsingModel or PottsModel
        Any model: lattice, graph or dense. Its optional ``alphabet`` and ``positions``
        attributes and its ``metadata`` are saved too.
    path : str or os.PathLike
        Output file, written under exactly this name. It is written to a temporary file
        beside it and renamed on success, so an interrupted save never leaves a truncated
        file.
    format : {"isingbio", "plmc", "ccmpred"}, optional
        ``isingbio``: the self-describing .npz file (every model form); ``plmc``: plmc's
        binary parameter file (:func:`isingbio.interop.write_plmc`); ``ccmpred``: CCMpred's
        raw parameters (:func:`isingbio.interop.write_ccmpred_raw`, protein models). Also
        ``plmc-params``, ``ccmpred-raw``. Default: from the extension (``.params`` plmc,
        ``.raw`` / ``.raw.gz`` CCMpred), else isingbio's .npz; the extension of a score
        file (``.csv``, ``.couplings``, ``.mat``, ``.rr``) is refused (InputError).
    **metadata
        Extra JSON-serialisable items, merged over ``model.metadata`` (e.g. ``seed=1``;
        isingbio's format only).
    """
    if not isinstance(model, (IsingModel, PottsModel)):
        raise InputError(f"save_model needs an IsingModel or a PottsModel, got {type(model).__name__}")
    if format is not None or not os.fspath(path).lower().endswith(".npz"):
        from .interop import save_model_file

        if save_model_file(model, path, format):
            return
    model.save(path, **metadata)


def load_model(path: str | os.PathLike, format: str | None = None) -> IsingModel | PottsModel:
    """Read a model written by :func:`save_model` (``model.save``), plmc or CCMpred.

    Parameters
    ----------
    path : str or os.PathLike
    format : {"isingbio", "plmc", "ccmpred"}, optional
        isingbio's .npz, plmc's binary parameter file (:func:`isingbio.interop.read_plmc`)
        or CCMpred's raw parameters (:func:`isingbio.interop.read_ccmpred_raw`; also
        ``plmc-params``, ``ccmpred-raw``). Default: detected from the content, then the
        extension.

    Returns
    -------
    IsingModel or PottsModel
        The model in the form it was saved in, with ``alphabet`` (an
        :class:`isingbio.alignment.Alphabet`, or None), ``positions`` (int64, (L,)) and
        ``metadata`` (dict, with ``isingbio_version`` the version that wrote the file).

    Raises
    ------
    FormatError
        Not a model file, or a damaged one (the message names the file and, for peers'
        files, the byte offset or line and what was expected).
    """
    path = os.fspath(path)
    if format is not None or os.path.isfile(path):
        from .interop import load_model_file

        peer = load_model_file(path, format)
        if peer is not None:
            return peer
    try:
        with open(path, "rb") as fh:
            magic = fh.read(4)
    except IsADirectoryError:
        raise FormatError("is a directory, not a model file", path=path) from None
    if magic[:2] != b"PK":  # np.load would try to unpickle it and say so
        raise FormatError(
            "not an isingbio model file (model files are .npz archives written by model.save / "
            "isingbio.save_model; plmc parameter files and CCMpred raw parameters are read too)",
            path=path,
        )
    arrays = read_npz(path)  # every damage of the archive: FormatError with the file
    file_format = str(arrays["format"]) if "format" in arrays else ""
    if file_format not in (FORMAT, LEGACY_FORMAT):
        raise FormatError(f"not an isingbio model file (no format = {FORMAT!r})", path=path)
    try:
        version = int(arrays["format_version"]) if "format_version" in arrays else 1
    except (ValueError, TypeError) as exc:
        raise FormatError(f"format_version is not a number ({exc})", path=path) from None
    if version > FORMAT_VERSION:
        raise FormatError(
            f"model file format version {version} is newer than this isingbio ({__version__}) reads ({FORMAT_VERSION})",
            path=path,
        )
    try:
        model = _build_model(arrays, legacy=file_format == LEGACY_FORMAT)
    except KeyError as exc:
        raise FormatError(f"model file lacks {exc.args[0]}", path=path) from None
    except (ValueError, TypeError, IndexError, OverflowError) as exc:  # InputError included
        raise FormatError(f"invalid model arrays: {exc}", path=path) from None
    try:
        metadata = json.loads(str(arrays.get("metadata", "{}")))
    except ValueError as exc:
        raise FormatError(f"metadata is not valid JSON ({exc})", path=path) from None
    if not isinstance(metadata, dict):
        raise FormatError("metadata is not a JSON object", path=path)
    metadata["isingbio_version"] = str(arrays.get("isingbio_version", "unknown"))
    letters = str(arrays.get("alphabet", ""))
    model.alphabet = _make_alphabet(letters, str(arrays.get("alphabet_name", ""))) if letters else None
    positions = arrays["positions"].astype(np.int64) if "positions" in arrays else np.zeros(0, np.int64)
    if positions.ndim != 1 or positions.size not in (0, model.n_sites):
        raise FormatError(f"positions has shape {positions.shape} but the model has {model.n_sites} sites", path=path)
    model.positions = positions if positions.size else np.arange(1, model.n_sites + 1, dtype=np.int64)
    model.metadata = metadata
    if "chains" in arrays and isinstance(model, PottsModel):
        chains = arrays["chains"]
        if chains.ndim != 2 or chains.shape[1] != model.n_sites or chains.dtype != np.int8:
            raise FormatError(
                f"chains has shape {chains.shape} ({chains.dtype}); expected int8 (n, {model.n_sites})", path=path
            )
        if chains.size and (chains.min() < 0 or chains.max() >= model.q):
            raise FormatError(f"chains hold states outside 0..{model.q - 1}", path=path)
        model.chains = np.ascontiguousarray(chains)
    return model


def _build_model(arrays: dict[str, np.ndarray], legacy: bool) -> IsingModel | PottsModel:
    if legacy:
        return PottsModel(arrays["h"], arrays["J"])
    kind, form = str(arrays["kind"]), str(arrays["form"])
    n = int(arrays["n_sites"])
    found = {key[len(COUPLINGS_PREFIX) :]: value for key, value in arrays.items() if key.startswith(COUPLINGS_PREFIX)}
    couplings = couplings_from_arrays(form, found)
    if couplings.n_sites != n:
        raise InputError(f"the couplings have {couplings.n_sites} sites but the file says {n}")
    h = arrays["h"]
    if h.shape[:1] == (1,) and n > 1:
        h = np.repeat(h, n, axis=0)
    if kind == "ising":
        return IsingModel(couplings, h)  # type: ignore[arg-type]
    if kind != "potts":
        raise InputError(f"unknown model kind {kind!r}; expected 'ising' or 'potts'")
    return PottsModel(h, couplings)


def _make_alphabet(letters: str, name: str) -> Alphabet | str:
    """The package's Alphabet for these letters (a named one when it matches), else the letters."""
    if name:
        try:
            alpha = get_alphabet(name)
            if alpha.letters == letters:
                return alpha
        except InputError:  # unknown name: fall back to the letters
            pass
    try:
        return Alphabet(letters, name=name or None)
    except InputError:
        return letters
