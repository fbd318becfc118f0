"""isingbio: simulate, fit and integrate Ising and Potts Markov random fields.

See :mod:`isingbio.models` for the conventions every function follows.
"""
from ._version import __version__
from .errors import (ConvergenceWarning, FormatError, InputError, IsingbioError, MemoryLimitError,
                     SamplingWarning, TooLargeError, UnsupportedMethodError)
from .models import IsingModel, PottsModel
