"""Run isingbio on a Dask cluster: many families, temperature grids, AIS chains.

Every entry point takes ``client``: None (a LocalCluster sized to this machine: workers x
OpenMP threads never more than the cores), a ``dask.distributed.Client``, or a scheduler
address (``"tcp://host:8786"``). Dask is an optional extra (``pip install
'isingbio[distributed]'``): this package imports without it and its functions say what to
install.

* :func:`map_contacts`, :func:`map_fits`: one task per family; outputs written atomically;
  a summary table (CSV and returned DataFrame, or record array without pandas). Each task
  carries its memory estimate as the Dask resource ``MEMORY`` (workers started by us declare
  their share of the memory; start others with ``dask worker ADDRESS --resources
  MEMORY=<bytes>``); families larger than any worker are refused up front, large families
  run first, and a failure (a malformed file, a refusal, a dead worker) marks only its row.
  With ``resume=True`` an item is skipped when its done-marker ``OUTDIR/.done/<family>.json``
  exists, records the same method and options, and the outputs it lists have the sizes it
  records.
* :func:`temperature_scan`: one task per temperature (or block).
* :func:`ais`: chains split into groups over workers; the same seed gives the same log Z as
  :func:`isingbio.ais`, bit for bit, for any number of workers.
"""

from __future__ import annotations

from ._ais import ais
from ._batch import map_contacts, map_fits
from ._cluster import INSTALL_HINT, connect, require_dask
from ._scan import temperature_scan

__all__ = ["ais", "map_contacts", "map_fits", "temperature_scan", "connect", "require_dask", "INSTALL_HINT"]
