"""What a run means: opening stores as xarray objects, and the measures computed on them.

>>> from depnet.analysis import open_run, population_rates
>>> tree = open_run("runs/raphe_pfc-cpp-20261127-120000.zarr")   # doctest: +SKIP
>>> population_rates(tree)                                          # doctest: +SKIP
"""

from depnet.analysis.summary import (
    mean_serotonin,
    population_rates,
    raphe_regularity,
    summarize,
)
from depnet.store import open_run

__all__ = ["open_run", "population_rates", "mean_serotonin", "raphe_regularity", "summarize"]
