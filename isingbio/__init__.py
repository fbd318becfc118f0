"""isingbio: simulate, fit and integrate Ising and Potts Markov random fields.

See :mod:`isingbio.models` for the conventions every function follows.

Simulation
    :class:`IsingModel`, :class:`PottsModel` (each holds one :class:`LatticeCouplings`,
    :class:`GraphCouplings` or :class:`DenseCouplings`), :func:`sample`, :class:`Sampler`,
    :mod:`stats`
Fitting to alignments
    :func:`read_alignment`, :func:`sequence_weights`, :func:`fit_plm`, :func:`contact_scores`,
    :func:`top_contacts`, :func:`contact_map_from_structure`, :func:`evaluate_contacts`
Partition functions
    :func:`logz` (one front door: :func:`ais` or tempering with :mod:`free_energy`),
    :func:`ais`, :func:`log_prob`, :mod:`exact`
Spin glasses
    :func:`edwards_anderson`, :func:`sherrington_kirkpatrick` (:mod:`spin_glass`)
Generative use of fitted models
    :func:`sample_sequences`, :func:`score_sequences`, :func:`mutation_effects`,
    :func:`compare_statistics`
Other programs' files
    :mod:`interop` (plmc, CCMpred, EVcouplings, CASP RR); :func:`load_model` and
    :func:`save_model` take their format names
Figures
    :mod:`plot` (matplotlib is imported only when a figure is drawn)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__
from .errors import (
    ConvergenceWarning,
    FormatError,
    InputError,
    IsingbioError,
    MemoryLimitError,
    ModelWarning,
    SamplingWarning,
    TooLargeError,
    UnsupportedMethodError,
)

if TYPE_CHECKING:  # what the lazy attributes below are, for type checkers and editors
    from . import annealing, exact, generative, interop, ladders, stats
    from ._config import build_config, show_config
    from .alignment import Alignment, read_alignment
    from .alphabets import DNA, PROTEIN, PROTEIN_GAP_LAST, RNA, Alphabet, reorder_states
    from .annealed_importance import AISResult, ais
    from .boltzmann import BMResult, fit_bm
    from .contacts import contact_scores, top_contacts, write_contacts_csv
    from .couplings import DenseCouplings, GraphCouplings, LatticeCouplings
    from .evaluation import evaluate_contacts
    from .io import load_model, save_model
    from .likelihood import LogLikelihood, log_likelihood, log_prob
    from .models import IsingModel, PottsModel
    from .parallel_tempering import TemperingSampler, tempering
    from .partition import LogZResult, logz
    from .plm import PLMResult, fit_plm
    from .plot import plot_contacts
    from .sampling import METHODS, Sampler, SampleResult, sample
    from .scoring import mutation_effects, score_sequences
    from .sequence_sampling import GeneratedSamples, MixingDiagnostics, sample_sequences
    from .sequence_statistics import StatisticsComparison, compare_statistics
    from .sequences import decode_states, encode_sequences
    from .spin_glass import edwards_anderson, sherrington_kirkpatrick
    from .structure import ContactMap, contact_map_from_structure
    from .tempering_result import TemperingResult
    from .weights import sequence_weights

# `import isingbio` loads only the version and the errors; every other public name (and
# scipy behind it) loads on first use, so `isingbio --version` and the CLI start fast
_HOMES = {
    "build_config": "_config",
    "show_config": "_config",
    "Alignment": "alignment",
    "read_alignment": "alignment",
    "DNA": "alphabets",
    "PROTEIN": "alphabets",
    "PROTEIN_GAP_LAST": "alphabets",
    "RNA": "alphabets",
    "Alphabet": "alphabets",
    "reorder_states": "alphabets",
    "AISResult": "annealed_importance",
    "ais": "annealed_importance",
    "BMResult": "boltzmann",
    "fit_bm": "boltzmann",
    "contact_scores": "contacts",
    "top_contacts": "contacts",
    "write_contacts_csv": "contacts",
    "DenseCouplings": "couplings",
    "GraphCouplings": "couplings",
    "LatticeCouplings": "couplings",
    "evaluate_contacts": "evaluation",
    "load_model": "io",
    "save_model": "io",
    "LogLikelihood": "likelihood",
    "log_likelihood": "likelihood",
    "log_prob": "likelihood",
    "IsingModel": "models",
    "PottsModel": "models",
    "LogZResult": "partition",
    "logz": "partition",
    "PLMResult": "plm",
    "fit_plm": "plm",
    "plot_contacts": "plot",
    "METHODS": "sampling",
    "Sampler": "sampling",
    "SampleResult": "sampling",
    "sample": "sampling",
    "mutation_effects": "scoring",
    "score_sequences": "scoring",
    "GeneratedSamples": "sequence_sampling",
    "MixingDiagnostics": "sequence_sampling",
    "sample_sequences": "sequence_sampling",
    "StatisticsComparison": "sequence_statistics",
    "compare_statistics": "sequence_statistics",
    "decode_states": "sequences",
    "encode_sequences": "sequences",
    "edwards_anderson": "spin_glass",
    "sherrington_kirkpatrick": "spin_glass",
    "ContactMap": "structure",
    "contact_map_from_structure": "structure",
    "sequence_weights": "weights",
    "TemperingSampler": "parallel_tempering",
    "tempering": "parallel_tempering",
    "TemperingResult": "tempering_result",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        value = getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
    else:  # a submodule, `isingbio.plm` after `import isingbio` (found as before, when all loaded)
        try:
            value = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "__version__",
    "build_config",
    "show_config",
    "IsingbioError",
    "InputError",
    "FormatError",
    "MemoryLimitError",
    "TooLargeError",
    "UnsupportedMethodError",
    "ConvergenceWarning",
    "SamplingWarning",
    "ModelWarning",
    "IsingModel",
    "PottsModel",
    "LatticeCouplings",
    "GraphCouplings",
    "DenseCouplings",
    "METHODS",
    "sample",
    "Sampler",
    "SampleResult",
    "stats",
    "exact",
    "Alignment",
    "Alphabet",
    "PROTEIN",
    "PROTEIN_GAP_LAST",
    "RNA",
    "DNA",
    "read_alignment",
    "reorder_states",
    "sequence_weights",
    "fit_plm",
    "PLMResult",
    "fit_bm",
    "BMResult",
    "log_likelihood",
    "LogLikelihood",
    "contact_scores",
    "top_contacts",
    "write_contacts_csv",
    "ContactMap",
    "contact_map_from_structure",
    "evaluate_contacts",
    "plot_contacts",
    "load_model",
    "save_model",
    "ais",
    "AISResult",
    "log_prob",
    "logz",
    "LogZResult",
    "edwards_anderson",
    "sherrington_kirkpatrick",
    "generative",
    "annealing",
    "interop",
    "sample_sequences",
    "score_sequences",
    "mutation_effects",
    "compare_statistics",
    "encode_sequences",
    "decode_states",
    "GeneratedSamples",
    "MixingDiagnostics",
    "StatisticsComparison",
    "tempering",
    "TemperingSampler",
    "TemperingResult",
    "ladders",
]
