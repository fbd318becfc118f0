"""Sequences as model states: alphabets and positions of a model, encoding, decoding, FASTA.

A sequence of length ``L`` is a row of ``int8`` state codes ``0 .. q-1``; code ``k`` is
``alphabet.letters[k]``. The alphabet and the residue numbers ("positions") of a model are
the ``alphabet`` and ``positions`` attributes set by the PLM fit and by
:func:`isingbio.io.load_model`; without them (a model built by hand) :func:`model_alphabet`
uses the protein alphabet for q = 21 and the first q of ``0-9A-Z...`` otherwise, and
:func:`model_positions` numbers the sites 1..L.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Sequence
from typing import IO, Any, cast

import numpy as np

from ._files import atomic_output
from ._typing import ArrayLike, PathLike
from .alphabets import PROTEIN, Alphabet, get_alphabet
from .couplings import DenseCouplings
from .errors import InputError
from .models import PottsModel

__all__ = ["model_alphabet", "model_positions", "format_positions", "encode_sequences", "decode_states", "write_fasta"]

_GENERIC_LETTERS = string.digits + string.ascii_uppercase + string.ascii_lowercase


def _check_dense(model: Any) -> PottsModel:
    """The model, if it is a dense PottsModel (what sampling and scoring of sequences need)."""
    if not isinstance(model, PottsModel) or not isinstance(model.couplings, DenseCouplings):
        raise InputError(f"a dense PottsModel(h, J) is needed here, got {model!r}")
    return model


def model_alphabet(model: Any) -> Alphabet:
    """The :class:`~isingbio.alphabets.Alphabet` of a model's states.

    ``model.alphabet`` when the model has one (fitted or loaded models); otherwise the
    protein alphabet ``-ACDEFGHIKLMNPQRSTVWY`` for q = 21 and the first q characters of
    ``0-9A-Za-z`` for other q.
    """
    alpha = getattr(model, "alphabet", None)
    if alpha is not None:
        alpha = get_alphabet(alpha)
        if alpha.q != model.q:
            raise InputError(
                f"the model's alphabet {alpha.letters!r} has {alpha.q} letters but the model has q = {model.q}"
            )
        return alpha
    if model.q == PROTEIN.q:
        return PROTEIN
    if model.q > len(_GENERIC_LETTERS):
        raise InputError(f"give the model an alphabet (model.alphabet): q = {model.q} states have no default letters")
    return Alphabet(_GENERIC_LETTERS[: model.q], name=f"generic-{model.q}", case_sensitive=True)


def model_positions(model: Any) -> np.ndarray:
    """Residue numbers of the model's sites (``model.positions``, else 1..L), int64 (L,)."""
    pos = getattr(model, "positions", None)
    if pos is None:
        return np.arange(1, model.n_sites + 1, dtype=np.int64)
    pos = np.asarray(pos, dtype=np.int64)
    if pos.shape != (model.n_sites,):
        raise InputError(f"model.positions has shape {pos.shape}, expected ({model.n_sites},)")
    return pos


def format_positions(positions: ArrayLike) -> str:
    """Compact text of residue numbers: ``[1, 2, 3, 7, 8]`` -> ``"1-3,7-8"``."""
    pos = np.asarray(positions, dtype=np.int64)
    if pos.size == 0:
        return ""
    parts = []
    start = prev = int(pos[0])
    for p in pos[1:].tolist() + [None]:
        if p is not None and p == prev + 1:
            prev = p
            continue
        parts.append(str(start) if start == prev else f"{start}-{prev}")
        if p is not None:
            start = prev = p
    return ",".join(parts)


def encode_sequences(
    sequences: str | Sequence[str] | ArrayLike, alphabet: Alphabet | str, length: int | None = None
) -> np.ndarray:
    """State codes of sequences.

    Parameters
    ----------
    sequences : str, list of str, or array_like of int
        Aligned sequences (letters of `alphabet`; ``.`` is a gap) or codes already.
    alphabet : Alphabet or str
    length : int, optional
        Required length L (the model's number of sites).

    Returns
    -------
    ndarray of int8, shape (N, L)
    """
    alpha = get_alphabet(alphabet)
    if isinstance(sequences, str):
        sequences = [sequences]
    if isinstance(sequences, np.ndarray) and sequences.dtype.kind in "iu":
        codes = np.atleast_2d(sequences)
        if codes.size and (codes.min() < 0 or codes.max() >= alpha.q):
            raise InputError(f"state codes must be in 0..{alpha.q - 1}")
        codes = codes.astype(np.int8)
    else:
        rows = []
        for k, seq in enumerate(cast(Iterable[Any], sequences)):
            if not isinstance(seq, str):
                arr = np.asarray(seq)
                if arr.dtype.kind not in "iu" or arr.ndim != 1:
                    raise InputError(f"sequence {k + 1} must be a string or a 1-D array of codes")
                if arr.size and (arr.min() < 0 or arr.max() >= alpha.q):
                    raise InputError(f"sequence {k + 1}: state codes must be in 0..{alpha.q - 1}")
                rows.append(arr.astype(np.int8))
                continue
            seq = "".join(seq.split())
            try:
                rows.append(alpha.encode(seq))
            except InputError as exc:
                raise InputError(f"sequence {k + 1}: {exc}") from None
        lengths = {len(r) for r in rows}
        if len(lengths) > 1:
            first = len(rows[0])
            k = next(i for i, r in enumerate(rows) if len(r) != first)
            raise InputError(
                f"sequence {k + 1} has length {len(rows[k])}, sequence 1 has {first}: "
                f"sequences must be aligned to the same columns"
            )
        codes = np.array(rows, dtype=np.int8).reshape(len(rows), -1)
    if length is not None and codes.shape[1] != length:
        raise InputError(
            f"sequences have length {codes.shape[1]} but the model has L = {length} sites "
            f"(sequences must be aligned to the model's columns)"
        )
    return np.ascontiguousarray(codes)


def decode_states(states: ArrayLike, alphabet: Alphabet | str) -> list[str]:
    """Sequences (strings) of state codes of shape (L,) or (N, L)."""
    alpha = get_alphabet(alphabet)
    arr = np.asarray(states)
    if arr.ndim == 1:
        return [alpha.decode(arr)]
    if arr.ndim != 2:
        raise InputError(f"states must have shape (L,) or (N, L), got {arr.shape}")
    if arr.size and (arr.min() < 0 or arr.max() >= alpha.q):
        raise InputError(f"state codes must be in 0..{alpha.q - 1}")
    table = np.frombuffer(alpha.letters.encode("latin-1"), dtype=np.uint8)
    chars = table[arr.astype(np.intp)]
    return [row.tobytes().decode("latin-1") for row in chars]


def write_fasta(path: PathLike | IO[str], sequences: Sequence[str], headers: Sequence[str]) -> None:
    """Write sequences to a FASTA file atomically (one line per sequence).

    ``path`` may also be an open text file (e.g. ``sys.stdout``).
    """
    if len(sequences) != len(headers):
        raise InputError(f"{len(headers)} headers for {len(sequences)} sequences")

    def _write(fh: IO[str]) -> None:
        for head, seq in zip(headers, sequences):
            fh.write(f">{head}\n{seq}\n")

    if hasattr(path, "write"):
        _write(cast(IO[str], path))
        return
    with atomic_output(path) as fh:
        _write(fh)


def gaps_modelled(model: Any) -> bool | None:
    """Whether a fitted model treats the gap as a state (True) or as missing data (False).

    Read from ``model.metadata["gaps_modelled"]`` (written by :func:`isingbio.fit_bm`,
    :func:`isingbio.fit_plm` fits saved with :func:`isingbio.save_model`, and ``isingbio
    fit``/``contacts --save-model``), else from the ``ignore_gaps`` hyperparameter of a PLM
    fit; None when unknown (a model built by hand, or a file from before 0.3.0 that does not
    say): unknown models are used without comment.
    """
    meta = getattr(model, "metadata", None) or {}
    value = meta.get("gaps_modelled")
    if isinstance(value, bool):
        return value
    hyper = meta.get("hyperparameters")
    if isinstance(hyper, dict) and isinstance(hyper.get("ignore_gaps"), bool):
        return not hyper["ignore_gaps"]
    return None


GAPS_AS_MISSING_NOTE = (
    "this model was fitted with gaps as missing data (the contacts default): its samples carry "
    "too few gaps and it does not reproduce the alignment's statistics; for generation and "
    "scoring fit with gaps as a state (isingbio fit, fit_bm, or fit_plm(ignore_gaps=False))"
)


def gap_note(model: Any) -> str | None:
    """The one-line note for a model fitted with gaps as missing data, else None."""
    return GAPS_AS_MISSING_NOTE if gaps_modelled(model) is False else None
