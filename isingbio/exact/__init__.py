"""Exact results to test samplers and AIS against, and to give users ground truth.

Nothing here calls the Monte Carlo code. Conventions are those of :mod:`isingbio.models`:
H(x) = -sum_{i<j} J_ij(x_i, x_j) - sum_i h_i(x_i), p(x) ~ exp(-beta H(x)); Ising spins
are -1/+1 (state index 0 is s = -1, 1 is s = +1 where states are indexed); a periodic
side of length 2 carries doubled bonds (coupling 2J). Energies and specific heats are
totals unless a name says ``per_site``; the specific heat is beta^2 var(H) in units of k_B.

Modules
-------
enumeration
    Any small model, any form: :func:`log_partition`, :func:`thermodynamics`,
    :func:`marginals`, :func:`probabilities` (compiled Gray-code enumeration).
kaufman
    The 2D Ising torus of any size: :func:`ising_torus_log_partition`,
    :func:`ising_torus_thermodynamics`.
transfer
    q-state Potts strips, cylinders and narrow tori: :func:`potts_transfer_log_partition`,
    :func:`potts_transfer_thermodynamics`.
onsager
    The infinite square lattice: Onsager's free energy, energy, specific heat, Yang's
    magnetisation, critical points of the Ising and Potts models.
"""

from .enumeration import (
    DEFAULT_MAX_CONFIGURATIONS,
    Thermodynamics,
    log_partition,
    marginals,
    probabilities,
    thermodynamics,
)
from .kaufman import TorusThermodynamics, ising_torus_log_partition, ising_torus_thermodynamics
from .onsager import (
    ISING_CRITICAL_COUPLING,
    ISING_LOG_Z_AT_CRITICAL,
    ising_critical_beta,
    ising_critical_temperature,
    onsager_energy,
    onsager_free_energy,
    onsager_log_partition_per_site,
    onsager_magnetization,
    onsager_specific_heat,
    potts_critical_beta,
)
from .transfer import StripThermodynamics, potts_transfer_log_partition, potts_transfer_thermodynamics

__all__ = [
    "DEFAULT_MAX_CONFIGURATIONS",
    "Thermodynamics",
    "log_partition",
    "thermodynamics",
    "marginals",
    "probabilities",
    "TorusThermodynamics",
    "ising_torus_log_partition",
    "ising_torus_thermodynamics",
    "StripThermodynamics",
    "potts_transfer_log_partition",
    "potts_transfer_thermodynamics",
    "ISING_CRITICAL_COUPLING",
    "ISING_LOG_Z_AT_CRITICAL",
    "ising_critical_beta",
    "ising_critical_temperature",
    "potts_critical_beta",
    "onsager_log_partition_per_site",
    "onsager_free_energy",
    "onsager_energy",
    "onsager_specific_heat",
    "onsager_magnetization",
]
