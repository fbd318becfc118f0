"""Generative use of dense Potts models: sample sequences, score them, check the model.

A compatibility module: the names it has always exported, from their homes.

* :mod:`isingbio.sequences`: alphabets and positions of a model, encoding and decoding of
  sequences, the FASTA writer (:func:`model_alphabet`, :func:`model_positions`,
  :func:`format_positions`, :func:`encode_sequences`, :func:`decode_states`,
  :func:`write_fasta`).
* :mod:`isingbio.sequence_sampling`: :func:`sample_sequences` with fixed positions
  (:func:`parse_fixed`, :func:`condition_model`) and mixing diagnostics
  (:class:`GeneratedSamples`, :class:`MixingDiagnostics`).
* :mod:`isingbio.scoring`: :func:`score_sequences`, :func:`mutation_effects`,
  :func:`mutation_table`, :func:`write_mutation_table`.
* :mod:`isingbio.sequence_statistics`: :func:`compare_statistics`,
  :class:`StatisticsComparison`.
* :mod:`isingbio.plot`: :func:`plot_mixing`, :func:`plot_statistics`,
  :func:`plot_mutation_heatmap`.
"""

from .plot import plot_mixing, plot_mutation_heatmap, plot_statistics
from .scoring import mutation_effects, mutation_table, score_sequences, write_mutation_table
from .sequence_sampling import GeneratedSamples, MixingDiagnostics, condition_model, parse_fixed, sample_sequences
from .sequence_statistics import StatisticsComparison, compare_statistics
from .sequences import decode_states, encode_sequences, format_positions, model_alphabet, model_positions, write_fasta

__all__ = [
    "model_alphabet",
    "model_positions",
    "encode_sequences",
    "decode_states",
    "parse_fixed",
    "condition_model",
    "sample_sequences",
    "GeneratedSamples",
    "MixingDiagnostics",
    "score_sequences",
    "mutation_effects",
    "mutation_table",
    "write_mutation_table",
    "compare_statistics",
    "StatisticsComparison",
    "write_fasta",
    "format_positions",
    "plot_mixing",
    "plot_statistics",
    "plot_mutation_heatmap",
]
