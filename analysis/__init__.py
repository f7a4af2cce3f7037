"""What a run means: opening stores as xarray objects, and the measures computed on them.

>>> from depnet.analysis import open_run, mean_rates, spike_statistics
>>> tree = open_run("runs/raphe_pfc-cpp-20261127-120000.zarr")   # doctest: +SKIP
>>> mean_rates(tree)                                                # doctest: +SKIP

Modules: :mod:`~depnet.analysis.load` (opening, populations and regions read from the store),
:mod:`~depnet.analysis.rates`, :mod:`~depnet.analysis.spiking`, :mod:`~depnet.analysis.spectra`,
:mod:`~depnet.analysis.connectivity`, :mod:`~depnet.analysis.serotonin`,
:mod:`~depnet.analysis.synapses`, :mod:`~depnet.analysis.sweep`,
:mod:`~depnet.analysis.working_memory` (a delay task's cue and delay activity),
:mod:`~depnet.analysis.lfp` (LFP and EEG proxies), :mod:`~depnet.analysis.hemodynamics` (BOLD),
:mod:`~depnet.analysis.clinical` (biomarkers), :mod:`~depnet.analysis.figures`
and :mod:`~depnet.analysis.report` (imported on use: they draw with matplotlib),
:mod:`~depnet.analysis.nwb` (NWB export, needs pynwb), :mod:`~depnet.analysis.compare` (run
summaries side by side),
:mod:`~depnet.analysis.synthetic` (trains of known statistics, for checks).
"""

from depnet.analysis.clinical import biomarkers, bold_fc, region_bold
from depnet.analysis.connectivity import dmn_index, functional_connectivity
from depnet.analysis.hemodynamics import balloon_windkessel, bold_connectivity, bold_signal
from depnet.analysis.lfp import eeg_proxy, lfp_band_powers, lfp_proxy, lfp_spectra
from depnet.analysis.load import (
    compressed_day,
    in_days,
    kind_of,
    n_neurons,
    open_run,
    path_from_env,
    population_info,
    populations,
    region_of,
    regions,
    spike_blocks,
)
from depnet.analysis.rates import mean_rates, neuron_rates, rate_time_course, spike_counts
from depnet.analysis.serotonin import serotonin_summary, serotonin_time_course
from depnet.analysis.spectra import band_power, band_powers, population_spectra, power_spectrum
from depnet.analysis.spiking import (
    fano_factor,
    isi_cv,
    mean_pairwise_correlation,
    spike_count_correlation,
    spike_statistics,
    synchrony_index,
)
from depnet.analysis.summary import mean_serotonin, population_rates, raphe_regularity, summarize
from depnet.analysis.sweep import map_points, open_sweep
from depnet.analysis.synapses import synapse_density, weight_distribution, weight_statistics
from depnet.analysis.working_memory import cue_contrast, cue_rates, cue_response, delay_activity

__all__ = [
    "open_run",
    "open_sweep",
    "map_points",
    "path_from_env",
    "populations",
    "population_info",
    "regions",
    "region_of",
    "kind_of",
    "n_neurons",
    "compressed_day",
    "in_days",
    "spike_blocks",
    "rate_time_course",
    "mean_rates",
    "neuron_rates",
    "spike_counts",
    "isi_cv",
    "fano_factor",
    "spike_count_correlation",
    "mean_pairwise_correlation",
    "synchrony_index",
    "spike_statistics",
    "power_spectrum",
    "band_power",
    "band_powers",
    "population_spectra",
    "functional_connectivity",
    "dmn_index",
    "serotonin_time_course",
    "serotonin_summary",
    "synapse_density",
    "weight_statistics",
    "weight_distribution",
    "population_rates",
    "mean_serotonin",
    "raphe_regularity",
    "summarize",
    "lfp_proxy",
    "lfp_spectra",
    "lfp_band_powers",
    "eeg_proxy",
    "balloon_windkessel",
    "bold_signal",
    "bold_connectivity",
    "region_bold",
    "bold_fc",
    "biomarkers",
    "cue_rates",
    "cue_contrast",
    "cue_response",
    "delay_activity",
]
