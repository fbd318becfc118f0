"""One family's contact prediction, shared by ``isingbio contacts`` and the batch layer
(:func:`isingbio.distributed.map_contacts`), so that both write byte-identical CSV files."""

from __future__ import annotations

import numpy as np

from .errors import InputError


def read_family(path, *, format=None, focus=None, max_gap_seq=None, max_gap_col=None):
    """Read and filter an alignment; at least 2 sequences and 2 columns, else InputError."""
    from .alignment import read_alignment

    aln = read_alignment(
        path,
        format=format,
        focus=focus,
        max_gap_fraction_seq=max_gap_seq,
        max_gap_fraction_col=max_gap_col,
    )
    if aln.N < 2:
        raise InputError(f"{path}: the alignment has {aln.N} sequence(s); at least 2 are needed")
    if aln.L < 2:
        raise InputError(f"{path}: the alignment has {aln.L} column(s); at least 2 are needed")
    return aln


def fit_family(
    aln, weights, *, lambda_h=0.01, lambda_j=None, max_iter=100, float64=False, threads=None, seed=None, progress=False
):
    """The pseudo-likelihood fit ``isingbio contacts`` makes (a :class:`~isingbio.plm.PLMResult`)."""
    from .plm import fit_plm

    return fit_plm(
        aln,
        weights=weights,
        lambda_h=lambda_h,
        lambda_J=lambda_j,
        max_iter=max_iter,
        dtype=np.float64 if float64 else np.float32,
        n_threads=threads,
        progress=progress,
        seed=seed,
    )


def family_numbering(aln) -> tuple[np.ndarray, str | None]:
    """(1-based residue numbers of the columns, the target's residues or None)."""
    positions = np.asarray(aln.positions, dtype=np.int64)
    seq = aln.target_sequence if len(aln.target_sequence or "") == aln.L else None
    return positions, seq


def write_family_contacts(path, aln, scores, min_separation: int = 6) -> int:
    """Write the ranked pairs as ``isingbio contacts -o`` does; returns the number of pairs."""
    from .contacts import write_contacts_csv

    positions, seq = family_numbering(aln)
    return write_contacts_csv(path, scores, min_separation=min_separation, positions=positions, sequence=seq)
