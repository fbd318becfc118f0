"""What the readers and writers of the peers' formats share: byte and line cursors that name
the file and the place of a problem, the protein alphabets and gauge helpers."""

from __future__ import annotations

import contextlib
import gzip
import os
import zlib
from collections.abc import Iterator
from typing import IO, Any

import numpy as np

from .._files import atomic_output
from ..alphabets import PROTEIN, Alphabet, get_alphabet
from ..errors import FormatError, InputError

_ASSUMED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


class BinaryCursor:
    """Reads consecutive fields of a binary file; a short read names the file and the offset."""

    def __init__(self, data: bytes, path: str) -> None:
        self.data, self.path, self.offset = data, path, 0

    def take(self, dtype: str, count: int, what: str) -> np.ndarray:
        size = np.dtype(dtype).itemsize * count
        if count < 0 or self.offset + size > len(self.data):
            raise FormatError(
                f"byte offset {self.offset}: truncated: expected {count} x {np.dtype(dtype).name} ({size} bytes) "
                f"for {what}, but the file has {len(self.data) - self.offset} bytes left",
                path=self.path,
            )
        arr = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.offset)
        self.offset += size
        return arr

    def fail(self, message: str, offset: int | None = None) -> FormatError:
        return FormatError(f"byte offset {self.offset if offset is None else offset}: {message}", path=self.path)


def read_bytes(path: Any) -> tuple[bytes, str]:
    """The file's bytes (gunzipped when it is gzip) and its name."""
    name = os.fspath(path)
    if os.path.isdir(name):
        raise FormatError("is a directory, not a file", path=name)
    with open(name, "rb") as fh:
        data = fh.read()
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, ValueError, zlib.error) as exc:
            raise FormatError(f"damaged gzip file ({exc})", path=name) from None
    return data, name


def read_text_lines(path: Any) -> tuple[list[str], str]:
    """Lines of a text file (gzip allowed); undecodable bytes are a FormatError."""
    data, name = read_bytes(path)
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FormatError(f"not a text file: byte {exc.start} is not ASCII", path=name, line=line) from None
    return text.splitlines(), name


def dense_model(model: Any, what: str) -> Any:
    """The model as a dense PottsModel (lattice, graph and Ising models converted), or an InputError."""
    from ..models import IsingModel, PottsModel

    if isinstance(model, IsingModel):
        return model.to_dense()  # state 0 is s = -1, state 1 is s = +1
    if not isinstance(model, PottsModel):
        raise InputError(f"{what} needs a PottsModel, got {type(model).__name__}")
    if model.J is not None:
        return model
    dense = model.to_dense()
    dense.alphabet, dense.positions, dense.metadata = model.alphabet, model.positions, model.metadata
    return dense


def model_letters(model: Any) -> str:
    """The model's state letters; protein for q = 21 without an alphabet, else A, B, C, ..."""
    alphabet = getattr(model, "alphabet", None)
    if alphabet is not None:
        letters = getattr(alphabet, "letters", alphabet)
        letters = letters if isinstance(letters, str) else "".join(letters)
        if len(letters) == model.q:
            return letters
    if model.q == PROTEIN.q:
        return PROTEIN.letters
    if model.q > len(_ASSUMED):
        raise InputError(f"a model with q = {model.q} states and no alphabet cannot be written with letters")
    return _ASSUMED[: model.q]


def alphabet_for(letters: str) -> Alphabet:
    """The package's named alphabet with these letters, else a new one."""
    for name in ("protein", "protein-gap-last", "rna", "dna"):
        alpha = get_alphabet(name)
        if alpha.letters == letters:
            return alpha
    return Alphabet(letters)


def gap_index(letters: str) -> int | None:
    return letters.index("-") if "-" in letters else None


def gap_parameters_zero(model: Any, gap: int) -> bool:
    """True when the gap state has zero field and couplings (a plmc -g / ignore_gaps fit)."""
    J = model.J
    return bool(np.all(model.h[:, gap] == 0) and np.all(J[:, :, gap, :] == 0) and np.all(J[:, :, :, gap] == 0))


def gaps_modelled(model: Any, gap: int | None) -> bool:
    """Whether the model treats the gap as a state (metadata first, else nonzero gap parameters)."""
    if gap is None:
        return False
    flag = (getattr(model, "metadata", None) or {}).get("gaps_modelled")
    if flag is not None:
        return bool(flag)
    hyper = (getattr(model, "metadata", None) or {}).get("hyperparameters") or {}
    if "ignore_gaps" in hyper:
        return not bool(hyper["ignore_gaps"])
    return not gap_parameters_zero(model, gap)


def zero_state_gauge(h: np.ndarray, J: np.ndarray, state: int) -> tuple[np.ndarray, np.ndarray]:
    """(h, J) in the gauge where `state` has zero field and couplings (energies shift by a constant).

    J'_ij(a, b) = J_ij(a, b) - J_ij(a, g) - J_ij(g, b) + J_ij(g, g) and
    h'_i(a) = h_i(a) - h_i(g) + sum_{j != i} (J_ij(a, g) - J_ij(g, g)).
    """
    h = np.asarray(h, dtype=np.float64)
    J = np.asarray(J, dtype=np.float64)
    Jag = J[:, :, :, state]  # (L, L, q): J_ij(a, g)
    Jgb = J[:, :, state, :]  # (L, L, q): J_ij(g, b)
    Jgg = J[:, :, state, state]
    J2 = J - Jag[:, :, :, None] - Jgb[:, :, None, :] + Jgg[:, :, None, None]
    L = J.shape[0]
    J2[np.arange(L), np.arange(L)] = 0.0
    h2 = h - h[:, state : state + 1] + (Jag - Jgg[:, :, None]).sum(axis=1)
    return h2, J2


def target_sequence(model: Any) -> str | None:
    """The target sequence of the model's metadata when it covers the L sites, else None."""
    target = (getattr(model, "metadata", None) or {}).get("target")
    seq = target.get("sequence") if isinstance(target, dict) else target if isinstance(target, str) else None
    return seq if isinstance(seq, str) and len(seq) == model.n_sites else None


def model_positions(model: Any) -> np.ndarray:
    """Residue numbers of the sites (1..L when unknown)."""
    pos = getattr(model, "positions", None)
    if pos is None or len(pos) != model.n_sites:
        return np.arange(1, model.n_sites + 1, dtype=np.int64)
    return np.asarray(pos, dtype=np.int64)


@contextlib.contextmanager
def text_output(path: Any) -> Iterator[IO[str]]:
    """An open text stream (``sys.stdout``) as it is, else a file written atomically."""
    if hasattr(path, "write"):
        yield path
    else:
        with atomic_output(path) as fh:
            yield fh
