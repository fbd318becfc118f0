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
    :func:`ais`, :func:`log_prob`, :mod:`exact`
Generative use of fitted models
    :func:`sample_sequences`, :func:`score_sequences`, :func:`mutation_effects`,
    :func:`compare_statistics`
Other programs' files
    :mod:`interop` (plmc, CCMpred, EVcouplings, CASP RR); :func:`load_model` and
    :func:`save_model` take their format names
Figures
    :mod:`plot` (matplotlib is imported only when a figure is drawn)
"""

from . import annealing, exact, generative, interop, stats
from ._config import build_config, show_config
from ._version import __version__
from .alignment import Alignment, read_alignment
from .alphabets import DNA, PROTEIN, PROTEIN_GAP_LAST, RNA, Alphabet, reorder_states
from .annealed_importance import AISResult, ais
from .boltzmann import BMResult, fit_bm
from .contacts import contact_scores, top_contacts, write_contacts_csv
from .couplings import DenseCouplings, GraphCouplings, LatticeCouplings
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
from .evaluation import evaluate_contacts
from .io import load_model, save_model
from .likelihood import LogLikelihood, log_likelihood, log_prob
from .models import IsingModel, PottsModel
from .plm import PLMResult, fit_plm
from .plot import plot_contacts
from .sampling import METHODS, Sampler, SampleResult, sample
from .scoring import mutation_effects, score_sequences
from .sequence_sampling import GeneratedSamples, MixingDiagnostics, sample_sequences
from .sequence_statistics import StatisticsComparison, compare_statistics
from .sequences import decode_states, encode_sequences
from .structure import ContactMap, contact_map_from_structure
from .weights import sequence_weights

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
]
