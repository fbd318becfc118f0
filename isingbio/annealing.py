"""Compatibility module: AIS, its schedules and ``log_prob``, under their old import path.

The code lives in :mod:`isingbio.annealed_importance` (annealed importance sampling,
:class:`AISResult`), :mod:`isingbio.schedules` (:func:`make_schedule`),
:mod:`isingbio.likelihood` (:func:`log_prob`) and :mod:`isingbio.plot` (:func:`plot_ais`).
"""

from .annealed_importance import BASES, AISResult, ais, base_log_partition  # noqa: F401 - re-exported
from .likelihood import default_beta, log_prob, resolve_log_z  # noqa: F401
from .plot import plot_ais  # noqa: F401
from .schedules import SCHEDULES, make_schedule  # noqa: F401

__all__ = ["ais", "AISResult", "log_prob", "make_schedule", "base_log_partition"]
