"""Seeding: numpy SeedSequence streams, one per chain, expanded into kernel RNG states."""

from __future__ import annotations

import numpy as np

from ._typing import SeedLike
from .errors import InputError

RNG_WORDS = 32  # uint64 words of xoshiro256** state per chain (8 lanes x 4), see rng.h


def as_seed_sequence(seed: SeedLike) -> np.random.SeedSequence:
    """Turn a user seed (None, int, Generator or SeedSequence) into a SeedSequence.

    A Generator contributes entropy drawn from it, so passing the same Generator twice
    gives two different (but reproducible) streams, as with numpy itself. Anything else
    raises :class:`~isingbio.errors.InputError`.
    """
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, np.random.Generator):
        hi, lo = (int(x) for x in seed.integers(0, 2**63, size=2, dtype=np.int64))
        return np.random.SeedSequence((hi << 63) | lo)
    if seed is None:
        return np.random.SeedSequence()
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        if seed < 0:
            raise InputError(f"seed must be a non-negative integer, got {seed}")
        return np.random.SeedSequence(int(seed))
    raise InputError(f"seed must be None, an int, a numpy Generator or SeedSequence, got {type(seed).__name__}")


def seed_entropy(seq: np.random.SeedSequence) -> int:
    """The integer that reproduces `seq` when passed back as `seed` (for the records)."""
    entropy = seq.entropy
    assert isinstance(entropy, int), "every SeedSequence made here has an int entropy"
    return entropy


def chain_seed_sequences(seq: np.random.SeedSequence, n_chains: int, first: int = 0) -> list[np.random.SeedSequence]:
    """Children ``first .. first + n_chains - 1`` of `seq`, as ``seq.spawn`` makes them on a
    fresh `seq`, without spawning (`seq` is not advanced): chain c's stream depends only on
    (seq, c), so a group of the chains run elsewhere (a Dask worker) draws exactly what the
    whole run would."""
    return [
        np.random.SeedSequence(seq.entropy, spawn_key=(*seq.spawn_key, first + c), pool_size=seq.pool_size)
        for c in range(n_chains)
    ]


def chain_rng_states(seq: np.random.SeedSequence, n_chains: int, first: int | None = None) -> np.ndarray:
    """Independent kernel RNG states, one row of 32 uint64 words per chain.

    With `first`, the states of chains ``first ..`` of a larger run (`seq` is not advanced).
    """
    children = seq.spawn(n_chains) if first is None else chain_seed_sequences(seq, n_chains, first)
    out = np.empty((n_chains, RNG_WORDS), dtype=np.uint64)
    for c, child in enumerate(children):
        words = child.generate_state(RNG_WORDS, np.uint64)
        # xoshiro must not start in the all-zero state of a lane (probability 2^-256)
        lanes = words.reshape(4, 8)
        zero = ~lanes.any(axis=0)
        lanes[0, zero] = 0x9E3779B97F4A7C15
        out[c] = lanes.ravel()
    return out
