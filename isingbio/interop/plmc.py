"""plmc's binary parameter file (the ``-o`` output EVcouplings' ``CouplingsModel`` reads).

Layout (plmc ``OutputParametersFull``; little-endian on every machine plmc runs on, no padding):

* int32 ``L, q, N_valid, N_invalid, n_iter``: sites, states, sequences used and skipped,
  iterations;
* float32 ``theta, lambda_h, lambda_e, lambda_group, N_eff``: identity threshold
  (1 - identity), regularisation strengths, effective number of sequences;
* int8 ``alphabet[q]``: ``-ACDEFGHIKLMNPQRSTVWY`` (gap modelled, q = 21) or
  ``ACDEFGHIKLMNPQRSTVWY`` (``-g``, q = 20);
* float32 ``weights[N_valid + N_invalid]``: what plmc writes there is each sequence's number
  of neighbours (self included), 1 / weight, and 0 for skipped sequences;
* int8 ``target[L]``: the focus sequence (all ``-`` without a focus);
* int32 ``offsets[L]``: residue numbers of the sites;
* float32 ``f_i[L][q]``, then ``h_i[L][q]``: site frequencies and fields;
* float32 ``f_ij[q][q]`` for each pair i < j in row order, then ``e_ij[q][q]`` for each pair:
  pair frequencies and couplings.

plmc's model is log p(x) = sum_i h_i(x_i) + sum_{i<j} e_ij(x_i, x_j) - log Z, the
same distribution as isingbio's p(x) = exp(-H(x)) / Z with H = -sum h - sum J: the fields
and couplings are read and written as they are (J = e, in plmc's gauge), so energies,
mutation effects and scores mean the same thing on both sides.

A ``-g`` file (q = 20, gaps treated as missing data) is read as a q = 21 model whose gap
state (code 0, plmc's order) has zero field and zero couplings, with
``metadata["gaps_modelled"] = False``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import numpy as np

from .._files import atomic_output
from ..alphabets import PROTEIN, state_permutation
from ..errors import FormatError, InputError
from ._common import (
    BinaryCursor,
    alphabet_for,
    dense_model,
    gap_index,
    gaps_modelled,
    model_letters,
    model_positions,
    read_bytes,
    target_sequence,
    zero_state_gauge,
)

if TYPE_CHECKING:
    from ..alignment import Alignment
    from ..models import IsingModel, PottsModel

__all__ = ["read_plmc", "write_plmc", "plmc_file_size"]

_HEADER = 40


def plmc_file_size(L: int, q: int, n_sequences: int) -> int:
    """Bytes of a plmc parameter file with L sites, q states and `n_sequences` weights."""
    pairs = L * (L - 1) // 2
    return _HEADER + q + 4 * n_sequences + L + 4 * L + 8 * L * q + 8 * pairs * q * q


def read_plmc(path: str | os.PathLike) -> PottsModel:
    """Read plmc's binary parameter file (``plmc -o FILE``) into a dense PottsModel.

    Parameters
    ----------
    path : str or os.PathLike
        The parameter file (gzip allowed).

    Returns
    -------
    PottsModel
        float32 fields (L, q) and couplings (L, L, q, q), q = 21 with the gap first
        (a ``-g`` file's gap state has zero parameters), ``alphabet`` (PROTEIN for protein
        files), ``positions`` (plmc's residue numbers) and ``metadata`` with
        ``gaps_modelled``, ``target`` (``{"id": None, "sequence": ...}`` when the file has a
        focus sequence), ``n_eff``, ``plmc`` (the header values) and ``source``.

    Raises
    ------
    FormatError
        Truncated file, a size that does not match L and q, bad alphabet or non-finite values:
        the message names the file, the byte offset and what was expected.
    """
    from ..models import PottsModel

    data, name = read_bytes(path)
    cur = BinaryCursor(data, name)
    L, q, n_valid, n_invalid, n_iter = (
        int(v) for v in cur.take("<i4", 5, "the header (L, q, N_valid, N_invalid, n_iter)")
    )
    if not 1 <= L <= 100_000:
        raise cur.fail(f"L = {L} in the header: expected a number of sites between 1 and 100000", offset=0)
    if not 2 <= q <= 126:
        raise cur.fail(f"q = {q} in the header: expected a number of states between 2 and 126", offset=4)
    if n_valid < 0 or n_invalid < 0 or n_valid + n_invalid > 10**9:
        raise cur.fail(f"N_valid = {n_valid}, N_invalid = {n_invalid}: expected counts of sequences >= 0", offset=8)
    expected = plmc_file_size(L, q, n_valid + n_invalid)
    if len(data) != expected:
        raise FormatError(
            f"file size {len(data)} bytes does not match the header (L = {L}, q = {q}, "
            f"{n_valid + n_invalid} sequences): expected {expected} bytes"
            + (", truncated" if len(data) < expected else ", trailing data"),
            path=name,
        )
    theta, lambda_h, lambda_e, lambda_group, n_eff = (float(v) for v in cur.take("<f4", 5, "the header floats"))
    at = cur.offset
    letters_raw = cur.take("u1", q, "the alphabet").tobytes()
    if any(c < 33 or c > 126 for c in letters_raw) or len(set(letters_raw)) != q:
        raise cur.fail(f"alphabet {letters_raw!r}: expected {q} distinct printable letters", offset=at)
    letters = letters_raw.decode("ascii")
    cur.take("<f4", n_valid + n_invalid, "the sequence weights")
    at = cur.offset
    target_raw = cur.take("u1", L, "the target sequence").tobytes()
    if any(c < 33 or c > 126 for c in target_raw):
        raise cur.fail("target sequence: expected printable letters", offset=at)
    offsets = cur.take("<i4", L, "the residue numbers").astype(np.int64)
    cur.take("<f4", L * q, "the site frequencies f_i")
    at = cur.offset
    h = cur.take("<f4", L * q, "the fields h_i").reshape(L, q)
    pairs = L * (L - 1) // 2
    cur.take("<f4", pairs * q * q, "the pair frequencies f_ij")
    at_e = cur.offset
    e = cur.take("<f4", pairs * q * q, "the couplings e_ij").reshape(pairs, q, q)
    for arr, where, what in ((h, at, "fields h_i"), (e, at_e, "couplings e_ij")):
        bad = np.flatnonzero(~np.isfinite(arr.reshape(-1)))
        if bad.size:
            raise cur.fail(
                f"{what}: expected finite numbers, got {arr.reshape(-1)[bad[0]]}", offset=where + 4 * int(bad[0])
            )

    modelled = "-" in letters
    if modelled:
        full, hq = letters, h
    else:  # plmc -g: the gap comes back as state 0 with zero parameters
        full = "-" + letters
        hq = np.zeros((L, q + 1), dtype=np.float32)
        hq[:, 1:] = h
    Q = len(full)
    J = np.zeros((L, L, Q, Q), dtype=np.float32)
    iu, ju = np.triu_indices(L, 1)
    s = slice(Q - q, Q)
    J[iu, ju, s, s] = e
    J[ju, iu, s, s] = e.transpose(0, 2, 1)
    model = PottsModel(hq, J)
    model.alphabet = alphabet_for(full)
    model.positions = offsets
    target = target_raw.decode("ascii")
    meta: dict[str, Any] = dict(
        gaps_modelled=modelled,
        n_eff=n_eff,
        n_sequences=n_valid,
        plmc=dict(
            N_valid=n_valid,
            N_invalid=n_invalid,
            n_iter=n_iter,
            theta=theta,
            lambda_h=lambda_h,
            lambda_e=lambda_e,
            lambda_group=lambda_group,
            N_eff=n_eff,
            alphabet=letters,
        ),
        source=dict(format="plmc", file=name),
    )
    if set(target) != {"-"}:
        meta["target"] = dict(id=None, sequence=target)
    model.metadata = meta
    return model


def _frequencies(
    alignment: Any, weights: Any, letters: str, L: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Weighted f_i (L, q), f_ij (pairs, q, q) in `letters` order, the weights and N_eff."""
    from ..weights import sequence_weights

    matrix = np.asarray(alignment.matrix)
    if matrix.ndim != 2 or matrix.shape[1] != L:
        raise InputError(f"the alignment has {matrix.shape[-1]} columns but the model has L = {L} sites")
    aln_letters = alignment.alphabet.letters
    if set(aln_letters) != set(letters):
        raise InputError(f"the alignment's alphabet {aln_letters!r} does not hold the model's letters {letters!r}")
    codes = np.argsort(state_permutation(aln_letters, letters))[matrix.astype(np.intp)]
    N, L = codes.shape
    q = len(letters)
    if weights is None:
        w, n_eff = sequence_weights(alignment, identity=0.8)
    else:
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != (N,):
            raise InputError(f"weights must have shape ({N},), got {w.shape}")
        n_eff = float(w.sum())
    w = np.asarray(w, dtype=np.float64)
    total = w.sum() if w.sum() > 0 else 1.0
    import scipy.sparse as sp

    rows = np.repeat(np.arange(N), L)
    cols = (np.arange(L)[None, :] * q + codes).reshape(-1)
    X = sp.csc_matrix((np.ones(N * L), (rows, cols)), shape=(N, L * q))  # one-hot, L ones per row
    Xw = sp.csr_matrix((np.repeat(w / total, L), (rows, cols)), shape=(N, L * q))
    fi = np.asarray(Xw.sum(axis=0)).reshape(L, q)
    blocks = []
    for i in range(L - 1):  # one site's rows of the (Lq, Lq) pair matrix at a time
        F = (X[:, i * q : (i + 1) * q].T @ Xw[:, (i + 1) * q :]).toarray().reshape(q, L - i - 1, q)
        blocks.append(F.transpose(1, 0, 2))
    fij = np.concatenate(blocks) if blocks else np.zeros((0, q, q))
    return fi, fij, w, float(n_eff)


def write_plmc(
    model: PottsModel | IsingModel,
    path: str | os.PathLike,
    *,
    alignment: Alignment | None = None,
    weights: Any = None,
    gaps: bool | None = None,
) -> None:
    """Write a Potts model as plmc's binary parameter file (read by EVcouplings' CouplingsModel).

    Parameters
    ----------
    model : PottsModel
        Dense (lattice and graph models are converted). Fields and couplings are written as
        they are, in float32 (plmc's meaning of h and e is isingbio's h and J).
    path : str or os.PathLike
        Output file, written atomically.
    alignment : Alignment, optional
        The fit's alignment: the file then holds its weighted frequencies f_i and f_ij, its
        sequences' numbers of neighbours (1 / weight, as plmc writes them) and N_eff: for
        plmc's own alignment and settings, plmc's numbers. Without it the frequencies are
        the placeholders 1/q and 1/q^2, there are no sequence weights (N_valid = 0) and
        N_eff is the model's ``metadata["n_eff"]`` (0 when unknown).
    weights : array_like of float, shape (N,), optional
        Sequence weights for `alignment` (default: 80 % identity weights).
    gaps : bool, optional
        Write the gap as a modelled state (q = 21, plmc's default) or not (q = 20, plmc
        ``-g``). Default: ``metadata["gaps_modelled"]`` when set, else whether the gap state
        has nonzero parameters. When the gap is dropped but has nonzero parameters, the model
        is first put in the gauge where the gap's field and couplings are zero (energies
        change by a constant only).
    """
    dense = dense_model(model, "write_plmc")
    letters = model_letters(dense)
    L = dense.n_sites
    h = np.asarray(dense.h, dtype=np.float64)
    J = np.asarray(dense.J)
    gap = gap_index(letters)
    if gap is not None and set(letters) == set(PROTEIN.letters) and letters != PROTEIN.letters:
        perm = state_permutation(letters, PROTEIN.letters)  # plmc's order: gap first
        h, J, letters, gap = h[:, perm], J[:, :, perm][:, :, :, perm], PROTEIN.letters, 0
    modelled = gap is not None and (gaps_modelled(dense, gap) if gaps is None else bool(gaps))
    keep = np.arange(len(letters))
    if gap is not None and not modelled:
        if np.any(h[:, gap]) or np.any(J[:, :, gap, :]) or np.any(J[:, :, :, gap]):
            h, J = zero_state_gauge(h, J, gap)
        keep = keep[keep != gap]
    q = len(keep)
    out_letters = "".join(letters[k] for k in keep)
    iu, ju = np.triu_indices(L, 1)
    e = np.asarray(J, dtype=np.float32)[iu, ju][:, keep][:, :, keep]
    if alignment is not None:
        fi, fij, w, n_eff = _frequencies(alignment, weights, letters, L)
        fi, fij = fi[:, keep], fij[:, keep][:, :, keep]
        if q < len(letters):  # residues only: renormalise over the written states
            fi = fi / np.where(fi.sum(axis=1, keepdims=True) > 0, fi.sum(axis=1, keepdims=True), 1)
            s = fij.sum(axis=(1, 2), keepdims=True)
            fij = fij / np.where(s > 0, s, 1)
    else:
        fi = np.full((L, q), 1.0 / q)
        fij = np.full((len(iu), q, q), 1.0 / q**2)
        w = np.zeros(0)
        n_eff = float((dense.metadata or {}).get("n_eff") or 0.0)
    meta = dense.metadata or {}
    hyper = meta.get("hyperparameters") or {}
    plmc = meta.get("plmc") or {}  # a dense read from plmc keeps plmc's header
    theta = plmc.get("theta", 1.0 - float(hyper.get("identity", 0.8)))
    header_i = np.array([L, q, len(w), 0, int(plmc.get("n_iter", meta.get("n_iter") or 0))], dtype="<i4")
    header_f = np.array(
        [
            theta,
            plmc.get("lambda_h", hyper.get("lambda_h", 0.0)),
            plmc.get("lambda_e", hyper.get("lambda_J", 0.0)),
            plmc.get("lambda_group", 0.0),
            n_eff,
        ],
        dtype="<f4",
    )
    w = np.asarray(w, dtype=np.float64)
    neighbours = np.divide(1.0, w, out=np.zeros_like(w), where=w > 0)  # what plmc writes: 1 / weight
    target = target_sequence(dense)
    target_bytes = (target if target is not None else "-" * L).encode("ascii", errors="replace")
    with atomic_output(path, "wb") as fh:
        for part in (
            header_i,
            header_f,
            np.frombuffer(out_letters.encode("ascii"), dtype="u1"),
            np.asarray(neighbours, dtype="<f4"),
            np.frombuffer(target_bytes, dtype="u1"),
            model_positions(dense).astype("<i4"),
            np.asarray(fi, dtype="<f4"),
            np.asarray(h[:, keep], dtype="<f4"),
            np.asarray(fij, dtype="<f4"),
            np.asarray(e, dtype="<f4"),
        ):
            fh.write(np.ascontiguousarray(part).tobytes())
