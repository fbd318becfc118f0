"""Alphabets: the states of sequence models and the order of their codes.

State order
-----------
An alignment is stored as an ``int8`` matrix of state codes ``0 .. q-1``; code ``k`` is the
letter ``alphabet.letters[k]``. The isingbio protein order puts the gap first, as plmc does::

    PROTEIN          "-ACDEFGHIKLMNPQRSTVWY"   (gap = 0, then the 20 amino acids A..Y)

CCMpred (and PSICOV, GREMLIN) use the "ARND..." order with the gap last::

    PROTEIN_GAP_LAST "ARNDCQEGHILKMFPSTWYV-"   (gap = 20)

:func:`reorder_states` converts codes or model parameters between any two alphabets that
hold the same letters. Nucleic acids: ``RNA = "-ACGU"`` (T is read as U), ``DNA = "-ACGT"``
(U is read as T). A user-defined alphabet is ``Alphabet("-ABC")``.

Non-standard letters (protein: X B Z J U O; nucleic acids: N and the IUPAC ambiguity codes)
are accepted and mapped to the gap state; the alignment reader counts them or, on request,
refuses them (see :mod:`isingbio.alignment`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ._typing import ArrayLike
from .errors import InputError

__all__ = [
    "Alphabet",
    "PROTEIN",
    "PROTEIN_GAP_LAST",
    "RNA",
    "DNA",
    "get_alphabet",
    "reorder_states",
    "state_permutation",
]

_DOT = ord(".")


class Alphabet:
    """An ordered set of ``q`` states, one character each.

    Parameters
    ----------
    letters : str
        The states in code order (``letters[k]`` has code ``k``); ``q = len(letters)``.
    name : str, optional
    gap : str, default "-"
        The gap character; ``gap_index = letters.index(gap)`` or None if absent. ``.`` is
        read as a gap too.
    nonstandard : str, default ""
        Letters that are accepted in input, mapped to the gap state and counted.
    aliases : dict, optional
        Letters read as another letter (e.g. ``{"T": "U"}`` for RNA).
    case_sensitive : bool, default False
        If False, the lower-case form of each letter is read as the letter (unless it is
        itself a letter of the alphabet).
    """

    def __init__(
        self,
        letters: str,
        name: str | None = None,
        gap: str = "-",
        nonstandard: str = "",
        aliases: dict[str, str] | None = None,
        case_sensitive: bool = False,
    ) -> None:
        if not isinstance(letters, str) or len(letters) == 0:
            raise InputError("alphabet letters must be a non-empty string")
        if len(set(letters)) != len(letters):
            raise InputError(f"alphabet letters must be distinct, got {letters!r}")
        if len(letters) > 127:
            raise InputError(f"an alphabet has at most 127 states, got {len(letters)}")
        if any(ord(c) > 255 or c.isspace() for c in letters):
            raise InputError(f"alphabet letters must be printable 8-bit characters, got {letters!r}")
        self.letters = letters
        self.name = name or letters
        self.q = len(letters)
        self.gap = gap
        self.gap_index = letters.index(gap) if gap in letters else None
        self.nonstandard = "".join(c for c in nonstandard if c not in letters)
        self.aliases = dict(aliases or {})
        self.case_sensitive = case_sensitive
        code = np.full(256, -1, dtype=np.int16)
        nonstd = np.zeros(256, dtype=bool)
        for k, c in enumerate(letters):
            code[ord(c)] = k
        if not case_sensitive:
            for k, c in enumerate(letters):
                for v in (c.lower(), c.upper()):
                    if len(v) == 1 and ord(v) < 256 and v not in letters:
                        code[ord(v)] = k
        for a, b in self.aliases.items():
            if b not in letters:
                raise InputError(f"alias target {b!r} is not a letter of {letters!r}")
            forms = {a} if case_sensitive else {a, a.lower(), a.upper()}
            for v in forms:
                if v not in letters:
                    code[ord(v)] = letters.index(b)
        if self.gap_index is not None:
            for c in self.nonstandard:
                forms = {c} if case_sensitive else {c, c.lower(), c.upper()}
                for v in forms:
                    if v not in letters and code[ord(v)] < 0:
                        code[ord(v)] = self.gap_index
                        nonstd[ord(v)] = True
            if "." not in letters:
                code[_DOT] = self.gap_index
        self._code = code
        self._nonstd = nonstd
        self._letters_arr = np.frombuffer(letters.encode("latin-1"), dtype=np.uint8)

    def __repr__(self) -> str:
        return f"Alphabet({self.letters!r}, name={self.name!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Alphabet) and other.letters == self.letters

    def __hash__(self) -> int:
        return hash(self.letters)

    def __len__(self) -> int:
        return self.q

    def encode(self, text: str) -> np.ndarray:
        """Codes (int8, shape (len(text),)) of a string; non-standard letters give the gap code.

        Raises :class:`InputError` naming the first character that is not in the alphabet.
        """
        raw = np.frombuffer(str(text).encode("latin-1", errors="replace"), dtype=np.uint8)
        codes = self._code[raw]
        bad = np.flatnonzero(codes < 0)
        if bad.size:
            k = int(bad[0])
            raise InputError(
                f"character {text[k]!r} at position {k + 1} is not in alphabet {self.name!r} ({self.letters!r})"
            )
        return codes.astype(np.int8)

    def decode(self, codes: ArrayLike) -> str:
        """The string of a sequence of codes (0 .. q-1)."""
        arr = np.asarray(codes)
        if arr.size and (arr.min() < 0 or arr.max() >= self.q):
            raise InputError(f"codes must be in 0..{self.q - 1}")
        return self._letters_arr[arr.astype(np.intp).ravel()].tobytes().decode("latin-1")


PROTEIN = Alphabet("-ACDEFGHIKLMNPQRSTVWY", name="protein", nonstandard="XBZJUO")
PROTEIN_GAP_LAST = Alphabet("ARNDCQEGHILKMFPSTWYV-", name="protein-gap-last", nonstandard="XBZJUO")
RNA = Alphabet("-ACGU", name="rna", nonstandard="NRYKMSWBDHV", aliases={"T": "U"})
DNA = Alphabet("-ACGT", name="dna", nonstandard="NRYKMSWBDHV", aliases={"U": "T"})

_NAMED = {
    "protein": PROTEIN,
    "protein-gap-first": PROTEIN,
    "plmc": PROTEIN,
    "protein-gap-last": PROTEIN_GAP_LAST,
    "ccmpred": PROTEIN_GAP_LAST,
    "rna": RNA,
    "dna": DNA,
}


def get_alphabet(alphabet: Alphabet | str) -> Alphabet:
    """An :class:`Alphabet` from an Alphabet, a name ("protein", "protein-gap-last",
    "ccmpred", "rna", "dna") or a string of letters (a user-defined alphabet)."""
    if isinstance(alphabet, Alphabet):
        return alphabet
    if isinstance(alphabet, str):
        named = _NAMED.get(alphabet.lower())
        if named is not None:
            return named
        return Alphabet(alphabet)
    raise InputError(f"alphabet must be an Alphabet, a name or a string of letters, got {alphabet!r}")


def state_permutation(from_alphabet: Alphabet | str, to_alphabet: Alphabet | str) -> np.ndarray:
    """Index array ``perm`` with ``to_letters[k] == from_letters[perm[k]]``.

    So ``params_to = params_from[..., perm]`` along a state axis, and
    ``codes_to = inverse[codes_from]`` with ``inverse = np.argsort(perm)``.
    """
    a, b = get_alphabet(from_alphabet), get_alphabet(to_alphabet)
    if sorted(a.letters) != sorted(b.letters):
        raise InputError(f"alphabets {a.letters!r} and {b.letters!r} do not hold the same letters")
    return np.array([a.letters.index(c) for c in b.letters], dtype=np.intp)


def reorder_states(
    values: ArrayLike, from_alphabet: Alphabet | str, to_alphabet: Alphabet | str, axes: Sequence[int] | None = None
) -> np.ndarray:
    """Convert codes or parameters from one state order to another.

    Parameters
    ----------
    values : array_like
        Integer arrays are state codes (e.g. an alignment matrix): each code is replaced by
        the code of the same letter in ``to_alphabet``. Floating arrays are parameters
        indexed by state: ``axes`` are permuted. By default ``axes`` is ``(-1,)`` for 1-D
        and 2-D arrays (fields ``h`` of shape (L, q)) and ``(-2, -1)`` for 4-D arrays
        (couplings ``J`` of shape (L, L, q, q)); give it for any other layout.
    from_alphabet, to_alphabet : Alphabet or str
        E.g. ``PROTEIN`` (gap first, plmc) and ``PROTEIN_GAP_LAST`` (gap last, CCMpred).
    axes : sequence of int, optional

    Returns
    -------
    ndarray
        A new array of the same shape and dtype.
    """
    perm = state_permutation(from_alphabet, to_alphabet)
    q = len(perm)
    arr = np.asarray(values)
    if np.issubdtype(arr.dtype, np.integer) and axes is None:
        inverse = np.argsort(perm)
        if arr.size and (arr.min() < 0 or arr.max() >= q):
            raise InputError(f"codes must be in 0..{q - 1}")
        return inverse[arr].astype(arr.dtype)
    if axes is None:
        if arr.ndim in (1, 2):
            axes = (-1,)
        elif arr.ndim == 4:
            axes = (-2, -1)
        else:
            raise InputError(f"give axes= for a parameter array of shape {arr.shape}")
    out = arr
    for ax in axes:
        if arr.shape[ax] != q:
            raise InputError(f"axis {ax} of an array of shape {arr.shape} has size {arr.shape[ax]}, not q = {q}")
        out = np.take(out, perm, axis=ax)
    return np.array(out, copy=True)
