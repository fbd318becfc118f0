"""Per-site views shared by the exact results' dataclasses."""

from __future__ import annotations

from typing import Protocol


class _Totals(Protocol):
    @property
    def log_z(self) -> float: ...

    @property
    def energy(self) -> float: ...

    @property
    def specific_heat(self) -> float: ...

    @property
    def n_sites(self) -> int: ...


class PerSite:
    """Adds log_z, energy and specific_heat per site to a result with an n_sites attribute."""

    @property
    def log_z_per_site(self: _Totals) -> float:
        return self.log_z / self.n_sites

    @property
    def energy_per_site(self: _Totals) -> float:
        return self.energy / self.n_sites

    @property
    def specific_heat_per_site(self: _Totals) -> float:
        return self.specific_heat / self.n_sites
