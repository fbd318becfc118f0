"""Built-in example data: the PF00014 (Kunitz domain) family and its contact map.

See ``README.md`` in this folder for the source (pagnani/ArDCAData, MIT licence) and for how
the contact map was defined.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["example_alignment_path", "example_contacts_path", "example_alignment", "example_contacts"]

_HERE = Path(__file__).resolve().parent


def _data_file(name: str) -> Path:
    path = _HERE / name
    if not path.is_file():
        raise FileNotFoundError(
            f"isingbio example data file {name} is missing from {_HERE} (is the package installed with its data files?)"
        )
    return path


def example_alignment_path() -> Path:
    """Path of the PF00014 alignment (aligned FASTA, gzip; 13600 sequences, L = 53)."""
    return _data_file("PF00014.fasta.gz")


def example_contacts_path() -> Path:
    """Path of the PF00014 reference contact map (.npz: contact, dist, col2res, definition)."""
    return _data_file("PF00014_contacts.npz")


def example_alignment(**kwargs):
    """The PF00014 alignment read with :func:`isingbio.alignment.read_alignment` (kwargs passed on)."""
    from ..alignment import read_alignment

    return read_alignment(example_alignment_path(), **kwargs)


def example_contacts():
    """The PF00014 contact map as an :class:`isingbio.structure.ContactMap` (L = 53).

    Contacts are minimum heavy-atom distances below 8 Angstrom, in alignment numbering.
    """
    from ..structure import ContactMap

    return ContactMap.from_npz(example_contacts_path())
