"""Residue contact maps from PDB / mmCIF structures, numbered like an alignment.

Structures are parsed with gemmi (https://gemmi.readthedocs.io, MPL-2.0), an optional
dependency imported only when a structure is read: ``pip install gemmi`` (or
``pip install isingbio[structure]``). gemmi reads PDB, mmCIF and their gzip-compressed forms
with one call, handles alternative conformations, insertion codes and modified residues,
and is a single compiled wheel without further dependencies.

The structure's chain is aligned to the target sequence of the alignment (gemmi's global
alignment with affine gap costs, :func:`align_sequences`: identity scoring, match +2,
mismatch -1, gap open 5, extend 1) so that row/column ``k`` of the map is position ``k`` of
the alignment.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ._typing import PathLike
from .errors import FormatError, InputError

if TYPE_CHECKING:
    from .alignment import Alignment

__all__ = ["ContactMap", "contact_map_from_structure", "align_sequences"]

logger = logging.getLogger(__name__)

_ATOM_MODES = ("CB", "CA", "heavy")


@dataclass(eq=False)
class ContactMap:
    """A residue contact map in the numbering of an alignment.

    Attributes
    ----------
    contact : ndarray of int8, shape (L, L)
        1 contact, 0 no contact, -1 unknown (residue not in the structure, or not aligned).
    distance : ndarray of float64, shape (L, L)
        Distances in Angstrom, NaN where unknown.
    residue_numbers : ndarray of int64, shape (L,)
        Author residue number of the structure residue at each position (-1 where the
        position has no structure residue: see ``aligned``).
    aligned : ndarray of bool, shape (L,)
        Positions that have a structure residue.
    sequence : str
        The target sequence the map is numbered by ('' if not known).
    structure_sequence : str
        One-letter sequence of the structure residues used.
    cutoff : float
    definition : str
        How the map was made (atoms, cutoff, file, chain, alignment statistics).
    """

    contact: np.ndarray
    distance: np.ndarray | None = None
    residue_numbers: np.ndarray | None = None
    aligned: np.ndarray | None = None
    sequence: str = ""
    structure_sequence: str = ""
    chain: str | None = None
    path: str | None = None
    cutoff: float = 8.0
    definition: str = ""
    n_identical: int = 0
    info: dict = field(default_factory=dict)

    def __post_init__(self):
        c = np.asarray(self.contact)
        if c.ndim != 2 or c.shape[0] != c.shape[1]:
            raise InputError(f"contact map must be square (L, L), got shape {c.shape}")
        if c.size and not np.isin(np.unique(c), (-1, 0, 1)).all():
            raise InputError("contact map values must be 1 (contact), 0 (none) or -1 (unknown)")
        self.contact = np.ascontiguousarray(c, dtype=np.int8)
        L = c.shape[0]
        if self.distance is None:
            self.distance = np.full((L, L), np.nan)
        self.distance = np.asarray(self.distance, dtype=np.float64)
        if self.residue_numbers is None:
            self.residue_numbers = np.arange(1, L + 1, dtype=np.int64)
        self.residue_numbers = np.asarray(self.residue_numbers, dtype=np.int64)
        if self.aligned is None:
            self.aligned = np.ones(L, dtype=bool)
        self.aligned = np.asarray(self.aligned, dtype=bool)

    @property
    def L(self) -> int:
        return self.contact.shape[0]

    def __repr__(self):
        known = self.contact >= 0
        return (
            f"ContactMap(L={self.L}, contacts={int(np.triu(self.contact == 1, 1).sum())}, "
            f"known pairs={int(np.triu(known, 1).sum())}, cutoff={self.cutoff})"
        )

    @classmethod
    def from_npz(cls, path: PathLike) -> ContactMap:
        """Read a map saved by :meth:`save` or a ``prepared/<fam>.contacts.npz`` file
        (``contact``, optional ``dist``/``distance``, ``col2res``, ``definition``)."""
        with np.load(path, allow_pickle=False) as d:
            contact = d["contact"]
            dist = d["distance"] if "distance" in d else (d["dist"] if "dist" in d else None)
            definition = str(d["definition"]) if "definition" in d else ""
            resnum = d["residue_numbers"] if "residue_numbers" in d else None
            aligned = d["aligned"] if "aligned" in d else None
            if aligned is None and "col2res" in d:
                aligned = d["col2res"] >= 0
            cutoff = float(d["cutoff"]) if "cutoff" in d else 8.0
            seq = str(d["sequence"]) if "sequence" in d else ""
        return cls(
            contact, dist, resnum, aligned, sequence=seq, cutoff=cutoff, definition=definition, path=os.fspath(path)
        )

    def save(self, path: PathLike) -> None:
        """Write the map as .npz (contact, distance, residue_numbers, aligned, ...), atomically."""
        from ._files import atomic_output

        with atomic_output(path, "wb", suffix=".npz") as fh:
            np.savez_compressed(
                fh,
                contact=self.contact,
                distance=np.asarray(self.distance),
                residue_numbers=np.asarray(self.residue_numbers),
                aligned=np.asarray(self.aligned),
                sequence=np.str_(self.sequence),
                cutoff=self.cutoff,
                definition=np.str_(self.definition),
            )


def _import_gemmi():
    """gemmi, an optional dependency (the ``structure`` extra); a clear error without it."""
    try:
        import gemmi
    except ImportError as exc:
        raise ImportError(
            "reading structures and aligning sequences to them needs the gemmi "
            "package, which is not installed: pip install gemmi (or pip install "
            f"'isingbio[structure]') [{exc}]"
        ) from None
    return gemmi


def align_sequences(a: str, b: str, match: int = 2, mismatch: int = -1, gap_open: int = 5, gap_extend: int = 1):
    """Global alignment of two strings with affine gap costs, by gemmi.

    A gap of length ``n`` costs ``gap_open + (n - 1) * gap_extend``; identical letters
    score ``match``, different ones ``mismatch`` (case is ignored). The alignment is
    gemmi's :func:`gemmi.align_string_sequences` (needs gemmi, like every structure
    function here).

    Returns
    -------
    pairs : ndarray of int64, shape (len(a),)
        ``pairs[i]`` is the index in ``b`` aligned to ``a[i]``, or -1.

    Examples
    --------
    >>> align_sequences("ACDEFGHIKL", "ACDEFPPPPPGHIKL").tolist()
    [0, 1, 2, 3, 4, 10, 11, 12, 13, 14]
    >>> align_sequences("MMAGRWYCD", "AGKWCD").tolist()
    [-1, -1, 0, 1, 2, 3, -1, 4, 5]
    """
    # gemmi replaced a hand-written Gotoh aligner (free end gaps, 'X' scoring 0). gemmi
    # charges end gaps like inner ones and scores 'X' like any letter, yet the residue
    # mapping was identical on all five structures of ../shared/data (1atzA on both PDB
    # files, DHFR, 1a3a, T0900: 0 of 556 positions differ, prepared maps reproduced
    # exactly) and on every case of tests/test_structure.py; it is also ~30x faster
    # (0.1-0.2 ms against 1.6-7.3 ms per chain). tests/test_structure.py checks both.
    a = a.upper()
    b = b.upper()
    pairs = np.full(len(a), -1, dtype=np.int64)
    if not a or not b:
        return pairs
    gemmi = _import_gemmi()
    scoring = gemmi.AlignmentScoring()
    scoring.match, scoring.mismatch = int(match), int(mismatch)
    # gemmi: a gap of length n costs -(gapo + n * gape)
    scoring.gapo, scoring.gape = -(int(gap_open) - int(gap_extend)), -int(gap_extend)
    result = gemmi.align_string_sequences(list(a), list(b), [], scoring)
    i = j = 0
    for count, op in re.findall(r"(\d+)([MID])", result.cigar_str()):
        n = int(count)
        if op == "M":
            pairs[i : i + n] = np.arange(j, j + n)
            i += n
            j += n
        elif op == "I":  # letters of a only
            i += n
        else:  # "D": letters of b only
            j += n
    return pairs


# Force-field residue names (Amber, CHARMM) found in simulation and minimised structures.
_FORCE_FIELD_NAMES = {
    "HID": "H",
    "HIE": "H",
    "HIP": "H",
    "HSD": "H",
    "HSE": "H",
    "HSP": "H",
    "CYX": "C",
    "CYM": "C",
    "ASH": "D",
    "GLH": "E",
    "LYN": "K",
}


def _tabulated(gemmi, name):
    info = gemmi.find_tabulated_residue(name)
    if info is None or not info.name:
        return None
    return info


def _residue_letter(gemmi, name: str) -> str:
    if name in _FORCE_FIELD_NAMES:
        return _FORCE_FIELD_NAMES[name]
    info = _tabulated(gemmi, name)
    if info is None:
        return "X"
    code = info.one_letter_code
    return code.upper() if code and code.isalpha() else "X"


def _is_amino_acid(gemmi, res) -> bool:
    if res.name in _FORCE_FIELD_NAMES:
        return True
    info = _tabulated(gemmi, res.name)
    if info is not None:
        return bool(info.is_amino_acid())
    # unknown name: a residue with a backbone N and C-alpha
    return res.find_atom("CA", "*") is not None and res.find_atom("N", "*") is not None


def contact_map_from_structure(
    path: PathLike,
    chain: str | None = None,
    sequence: str | Alignment | None = None,
    cutoff: float = 8.0,
    atoms: str = "CB",
    model: int = 0,
) -> ContactMap:
    """Contact map of one chain of a PDB or mmCIF file, numbered like ``sequence``.

    Parameters
    ----------
    path : str or os.PathLike
        PDB or mmCIF file (gzip allowed).
    chain : str, optional
        Chain name (author chain id); default: the first chain with amino acids. ``" "``
        and ``""`` both name a chain without an id.
    sequence : str or Alignment, optional
        Target sequence (gaps '-'/'.' allowed: they get no structure residue), or an
        :class:`~isingbio.alignment.Alignment` (its ``target_sequence``). The chain is
        aligned to it, so position ``k`` of the map is position ``k`` of the alignment.
        Default: the chain's own observed residues in order.
    cutoff : float, default 8.0
        Contact if the distance is below ``cutoff`` Angstrom.
    atoms : {"CB", "CA", "heavy"}
        ``"CB"``: C-beta, C-alpha for glycine (the CCMpred/plmc/CASP convention; a residue
        without the atom is unknown); ``"CA"``: C-alpha; ``"heavy"``: minimum distance
        between heavy atoms.
    model : int, default 0
        Model index (NMR ensembles).

    Returns
    -------
    ContactMap
        ``contact`` is -1 for positions without an aligned structure residue; diagonal
        entries are contacts at distance 0.
    """
    if atoms not in _ATOM_MODES:
        raise InputError(f"atoms must be one of {_ATOM_MODES}, got {atoms!r}")
    try:
        cutoff = float(cutoff)
    except (TypeError, ValueError):
        raise InputError(f"cutoff must be a number, got {cutoff!r}") from None
    if not (cutoff > 0 and np.isfinite(cutoff)):
        raise InputError(f"cutoff must be finite and > 0, got {cutoff}")
    path = os.fspath(path)
    if not os.path.exists(path):
        raise InputError(f"{path}: no such file")
    gemmi = _import_gemmi()
    try:
        st = gemmi.read_structure(path)
    except (RuntimeError, ValueError) as exc:
        raise FormatError(f"could not read structure ({exc})", path) from None
    if len(st) == 0:
        raise FormatError("no models in structure", path)
    if not (0 <= model < len(st)):
        raise InputError(f"model {model} out of range: {path} has {len(st)} models")
    st.remove_alternative_conformations()
    if atoms == "heavy":
        st.remove_hydrogens()
    mdl = st[model]

    chains = list(mdl)
    if chain is None:
        ch = next((c for c in chains if any(_is_amino_acid(gemmi, r) for r in c)), None)
        if ch is None:
            raise FormatError("no chain with amino acids", path)
    else:
        want = chain.strip()
        ch = next((c for c in chains if c.name.strip() == want), None)
        if ch is None:
            names = ", ".join(repr(c.name) for c in chains)
            raise InputError(f"{path}: no chain {chain!r} (chains: {names})")

    residues = [r for r in ch if _is_amino_acid(gemmi, r)]
    if not residues:
        raise FormatError(f"chain {ch.name!r} has no amino-acid residues", path)
    struct_seq = "".join(_residue_letter(gemmi, r.name) for r in residues)
    resnums = np.array([r.seqid.num for r in residues], dtype=np.int64)

    # coordinates: one point per residue (CB / CA) or all heavy atoms
    nres = len(residues)
    if atoms in ("CB", "CA"):
        xyz = np.full((nres, 3), np.nan)
        for k, r in enumerate(residues):
            name = "CA" if atoms == "CA" or r.name == "GLY" else "CB"
            a = r.find_atom(name, "*")
            if a is not None:
                xyz[k] = (a.pos.x, a.pos.y, a.pos.z)
        diff = xyz[:, None, :] - xyz[None, :, :]
        dres = np.sqrt((diff * diff).sum(-1))
    else:
        atom_xyz: list[tuple[float, float, float]] = []
        atom_owner: list[int] = []
        for k, r in enumerate(residues):
            for a in r:
                if a.element.name not in ("H", "D"):
                    atom_xyz.append((a.pos.x, a.pos.y, a.pos.z))
                    atom_owner.append(k)
        coords = np.array(atom_xyz, dtype=np.float64).reshape(-1, 3)
        owner = np.array(atom_owner, dtype=np.int64)
        dres = np.full((nres, nres), np.nan)
        if coords.size:
            order = np.argsort(owner, kind="stable")
            coords, owner = coords[order], owner[order]
            present = np.unique(owner)
            starts = np.searchsorted(owner, present)
            from scipy.spatial.distance import cdist

            ends = np.append(starts[1:], len(owner))
            red = np.empty((len(present), len(present)))
            for k in range(len(present)):
                d = cdist(coords[starts[k] : ends[k]], coords).min(axis=0)
                red[k] = np.minimum.reduceat(d, starts)
            dres[np.ix_(present, present)] = red

    # numbering of the target
    if sequence is None:
        target = struct_seq
        t_res = np.arange(nres, dtype=np.int64)
        pos_to_res = t_res
        n_ident = nres
    else:
        given = sequence if isinstance(sequence, str) else getattr(sequence, "target_sequence", None)
        if not isinstance(given, str):
            raise InputError(f"sequence must be a string or an Alignment, got {type(sequence).__name__}")
        target = given.upper()
        is_res = np.array([c not in "-." for c in target], dtype=bool)
        res_only = "".join(c for c in target if c not in "-.")
        pairs = align_sequences(res_only, struct_seq)
        pos_to_res = np.full(len(target), -1, dtype=np.int64)
        pos_to_res[np.flatnonzero(is_res)] = pairs
        ok = pairs >= 0
        n_ident = int(sum(res_only[i] == struct_seq[pairs[i]] for i in np.flatnonzero(ok)))
        n_al = int(ok.sum())
        if len(res_only) and (n_al < 0.5 * len(res_only) or n_ident < 0.5 * max(n_al, 1)):
            logger.warning(
                "%s chain %r: only %d of %d target residues aligned to the structure "
                "(%d identical); is this the right chain?",
                path,
                ch.name,
                n_al,
                len(res_only),
                n_ident,
            )
    L = len(target)
    mapped = pos_to_res >= 0
    dist = np.full((L, L), np.nan)
    mi = np.flatnonzero(mapped)
    dist[np.ix_(mi, mi)] = dres[np.ix_(pos_to_res[mi], pos_to_res[mi])]
    contact = np.where(np.isnan(dist), -1, (dist < cutoff).astype(np.int8)).astype(np.int8)
    residue_numbers = np.where(mapped, resnums[np.clip(pos_to_res, 0, None)], -1).astype(np.int64)
    atom_text = {"CB": "C-beta (C-alpha for glycine)", "CA": "C-alpha", "heavy": "minimum heavy-atom distance"}[atoms]
    n_al = int(mapped.sum())
    definition = (
        f"{atom_text} < {cutoff:g} A; {os.path.basename(path)} chain {ch.name!r} model "
        f"{model}; {n_al}/{int(sum(c not in '-.' for c in target))} target residues "
        f"aligned, {n_ident} identical; chain has {nres} residues"
    )
    return ContactMap(
        contact,
        dist,
        residue_numbers,
        mapped,
        sequence=target,
        structure_sequence=struct_seq,
        chain=ch.name,
        path=path,
        cutoff=cutoff,
        definition=definition,
        n_identical=n_ident,
        info={"n_aligned": n_al, "n_identical": n_ident, "structure_residues": nres, "atoms": atoms},
    )
