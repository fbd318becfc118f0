"""Scoring sequences with a dense Potts model: energies, log-probabilities, single-mutant effects.

* :func:`score_sequences` gives the statistical energy ``H(x)`` of sequences and, with a
  ``log Z`` (from :func:`isingbio.ais`), their normalised log-probability.
* :func:`mutation_effects` gives the single-mutant table ``Delta E = H(mutant) - H(target)``;
  :func:`mutation_table` and :func:`write_mutation_table` name its rows (``K12A``) and write
  them as CSV. (The CSV writer lives here, with the table it writes, rather than with the
  FASTA writer in :mod:`isingbio.sequences`, which this module imports.)
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING, cast

import numpy as np

from ._files import atomic_output
from ._typing import ArrayLike, PathLike
from .alphabets import Alphabet, get_alphabet
from .errors import InputError, ModelWarning
from .likelihood import default_beta, resolve_log_z
from .sequences import _check_dense, encode_sequences, gap_note, model_alphabet

if TYPE_CHECKING:
    from .alignment import Alignment
    from .annealed_importance import AISResult
    from .models import PottsModel

__all__ = ["score_sequences", "mutation_effects", "mutation_table", "write_mutation_table"]


def score_sequences(
    model: PottsModel,
    sequences: str | Sequence[str] | ArrayLike | Alignment,
    log_z: float | AISResult | None = None,
    beta: float | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Statistical energies and (given log Z) normalised log-probabilities.

    Parameters
    ----------
    model : PottsModel (dense)
    sequences : str, list of str, array_like of int (N, L), or Alignment
        Aligned to the model's columns.
    log_z : float or AISResult, optional
        ``log Z(beta)``, e.g. ``isingbio.ais(model, beta)`` or its ``.log_z``.
    beta : float, optional
        Default: the AISResult's beta when `log_z` is one, else 1.

    Returns
    -------
    energy : ndarray of float64, shape (N,)
        H(x) (not multiplied by beta); lower is more probable.
    log_prob : ndarray of float64, shape (N,), or None
        ``-beta H(x) - log Z`` (natural log), None without `log_z`.
    """
    _check_dense(model)
    note = gap_note(model)
    if note:
        warnings.warn(note, ModelWarning, stacklevel=2)
    beta = default_beta(log_z, beta)
    codes = getattr(sequences, "matrix", None)
    if codes is None:
        seqs = cast("str | Sequence[str] | ArrayLike", sequences)  # not an Alignment: no .matrix
        codes = encode_sequences(seqs, model_alphabet(model), model.n_sites)
    elif codes.shape[1] != model.n_sites:
        raise InputError(f"sequences have length {codes.shape[1]} but the model has L = {model.n_sites} sites")
    energy = np.asarray(model.energy(codes), dtype=np.float64).reshape(-1)
    if log_z is None:
        return energy, None
    return energy, -beta * energy - resolve_log_z(log_z, beta)


def mutation_effects(model: PottsModel, sequence: str | ArrayLike) -> np.ndarray:
    """Single-mutant energy changes ``Delta E[i, b] = H(x with x_i = b) - H(x)``.

    Parameters
    ----------
    model : PottsModel (dense)
    sequence : str or array_like of int, shape (L,)
        The target (wild-type) sequence, aligned to the model's columns.

    Returns
    -------
    ndarray of float64, shape (L, q)
        Zero at the target's own letters. Positive values are destabilising: the mutant is
        ``exp(-beta Delta E)`` times as probable as the target.
    """
    _check_dense(model)
    J = model.J
    assert J is not None, "a dense model has J (checked above)"
    x = encode_sequences(
        [sequence] if isinstance(sequence, str) else [np.asarray(sequence)], model_alphabet(model), model.n_sites
    )[0].astype(np.intp)
    L = model.n_sites
    sites = np.arange(L)
    # local field u_i(b) = h_i(b) + sum_j J[i, j, b, x_j]  (J[i, i] = 0)
    u = model.h.astype(np.float64).copy()
    for i in range(L):
        u[i] += J[i, sites, :, x].sum(axis=0, dtype=np.float64)
    delta = -(u - u[sites, x][:, None])
    delta[sites, x] = 0.0
    return delta


def mutation_table(
    delta: ArrayLike, sequence: str | ArrayLike, alphabet: Alphabet | str, positions: ArrayLike
) -> list[tuple[str, int, str, str, float]]:
    """Rows ``(mutant, position, wt, mt, delta_e)`` of a Delta E table, e.g. ``("K12A", 12, "K", "A", 0.83)``."""
    alpha = get_alphabet(alphabet)
    d = np.asarray(delta)
    x = encode_sequences([sequence] if isinstance(sequence, str) else [np.asarray(sequence)], alpha, d.shape[0])[0]
    rows: list[tuple[str, int, str, str, float]] = []
    for i, (pos, wt) in enumerate(zip(np.asarray(positions).tolist(), x.tolist())):
        for b in range(alpha.q):
            if b == wt:
                continue
            rows.append(
                (
                    f"{alpha.letters[wt]}{pos}{alpha.letters[b]}",
                    int(pos),
                    alpha.letters[wt],
                    alpha.letters[b],
                    float(d[i, b]),
                )
            )
    return rows


def write_mutation_table(
    path: PathLike | IO[str],
    delta: ArrayLike,
    sequence: str | ArrayLike,
    alphabet: Alphabet | str,
    positions: ArrayLike,
) -> None:
    """CSV ``mutant,position,wt,mt,delta_e`` (one row per single mutant), written atomically.

    ``path`` may be an open text file (e.g. ``sys.stdout``).
    """
    rows = mutation_table(delta, sequence, alphabet, positions)

    def _write(fh: IO[str]) -> None:
        fh.write("mutant,position,wt,mt,delta_e\n")
        for m, p, w, t, d in rows:
            fh.write(f"{m},{p},{w},{t},{d:.6g}\n")

    if hasattr(path, "write"):
        _write(cast(IO[str], path))
    else:
        with atomic_output(path) as fh:
            _write(fh)
