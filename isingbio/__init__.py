"""isingbio: simulate, fit and integrate Ising and Potts Markov random fields.

See :mod:`isingbio.models` for the conventions every function follows.
"""
from ._version import __version__
from ._config import build_config, show_config
from .errors import (ConvergenceWarning, FormatError, InputError, IsingbioError, MemoryLimitError,
                     SamplingWarning, TooLargeError, UnsupportedMethodError)
from .models import IsingModel, PottsModel
from .sampling import METHODS, SampleResult, Sampler, sample
from . import stats
from .alignment import (DNA, PROTEIN, PROTEIN_GAP_LAST, RNA, Alignment, Alphabet, read_alignment,
                        reorder_states)
from .weights import sequence_weights
from .structure import ContactMap, contact_map_from_structure
from .evaluation import evaluate_contacts, plot_contacts
from . import exact
from . import generative
from .generative import (GeneratedSamples, MixingDiagnostics, StatisticsComparison, compare_statistics,
                         decode_states, encode_sequences, mutation_effects, sample_sequences, score_sequences)
from .annealing import AISResult, ais, log_prob
