"""Exceptions and warnings raised by isingbio.

Every error derives from :class:`IsingbioError` and from the built-in exception a caller
would expect (``ValueError`` for bad input, ``MemoryError`` for sizes that do not fit), so
``except ValueError`` keeps working.
"""

from __future__ import annotations


class IsingbioError(Exception):
    """Base class of all isingbio errors."""


class InputError(IsingbioError, ValueError):
    """An argument has the wrong value, shape, or type of content."""


class UnsupportedMethodError(InputError):
    """The sampling method does not apply to this model."""


class FormatError(InputError):
    """A file could not be parsed; the message names the file, line and column."""

    def __init__(self, message: str, path=None, line=None, column=None):
        where = []
        if path is not None:
            where.append(str(path))
        if line is not None:
            where.append(f"line {line}")
        if column is not None:
            where.append(f"column {column}")
        self.path, self.line, self.column = path, line, column
        super().__init__(f"{', '.join(where)}: {message}" if where else message)


class MemoryLimitError(IsingbioError, MemoryError):
    """The requested computation would need more memory than the machine has."""


class TooLargeError(InputError):
    """The model is too large for the requested exact computation."""


class ConvergenceWarning(UserWarning):
    """An optimiser or a Markov chain did not converge."""


class SamplingWarning(UserWarning):
    """Monte Carlo estimates are unreliable (few independent samples, collapsed weights)."""


class ModelWarning(UserWarning):
    """A model is used for something it was not fitted for (e.g. sampling a model fitted with gaps as missing data)."""
