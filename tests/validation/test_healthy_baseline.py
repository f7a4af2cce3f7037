"""The healthy whole circuit against published baseline observations (VALIDATION.md).

One 5 s run of scenarios/healthy.toml at scale 1 (~7,000 neurons) on cpp, measured after its
1 s warmup.
"""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from depnet.analysis import open_run  # noqa: F401  (the store API the tests read through)
from depnet.analysis.load import spike_blocks
from depnet.analysis.spectra import GAMMA, THETA, band_power, power_spectrum
from depnet.analysis.summary import mean_serotonin, population_rates, raphe_regularity

DURATION, WARMUP = "5 s", "1 s"


@pytest.fixture(scope="module")
def healthy(whole_circuit) -> xr.DataTree:
    return whole_circuit(DURATION, WARMUP)


@pytest.fixture(scope="module")
def rates(healthy) -> xr.DataArray:
    return population_rates(healthy)


def test_raphe_5ht_cells_fire_slowly_and_regularly(healthy, rates):
    """R1: DRN 5-HT cells fire at 0.5-3 Hz awake (Lydic, McCarley & Hobson 1984 Am J Physiol
    247:R135) and >= 80% have ISI CV < 0.5 (Mlinar et al. 2016: 97% in slices)."""
    assert 0.5 <= float(rates.sel(population="drn_5ht")) <= 3.0
    assert raphe_regularity(healthy) >= 0.8


@pytest.mark.parametrize("region", ["dlpfc", "sgacc"])
def test_prefrontal_pyramids_and_interneurons_fire_at_awake_rates(rates, region):
    """C1: PFC pyramidal cells 1-5 Hz, fast-spiking interneurons 10-20 Hz in the awake rat
    (Homayoun & Moghaddam 2007 J Neurosci 27:11496)."""
    assert 1.0 <= float(rates.sel(population=f"{region}_exc")) <= 5.0
    assert 10.0 <= float(rates.sel(population=f"{region}_inh")) <= 20.0


def test_basal_serotonin_sits_in_the_voltammetry_frame(healthy):
    """The model's 5-HT frame is FSCAV voltammetry: basal hippocampal [5-HT] ~65 nM (Abdalla et
    al. 2017), not microdialysis (~0.8 nM, Yang et al. 2013). Band: within a factor of 2 of
    65 nM; raphe highest (somatodendritic release)."""
    c = mean_serotonin(healthy)
    assert 32.5 <= float(c.sel(region="ca1")) <= 130.0
    assert float(c.sel(region="drn")) > float(c.sel(region="ca1")) > float(c.sel(region="dlpfc"))


def _ca1_rate(healthy, shifts: np.ndarray | None = None, bin_width: float = 0.002):
    """CA1 pyramidal population rate (Hz) in 2 ms bins after warmup; ``shifts`` (s, one per cell)
    rotate each cell's train in time, which keeps its rate and ISIs but not their alignment."""
    t0, t1 = float(healthy.attrs["warmup_s"]), float(healthy.attrs["duration_s"])
    edges = np.arange(t0, t1 + 1e-9, bin_width)
    counts = np.zeros(len(edges) - 1)
    n = int(healthy["spikes/ca1_exc"].attrs["n_neurons"])
    for neuron, time in spike_blocks(healthy, "ca1_exc"):
        keep = (time >= t0) & (time < t1)
        neuron, time = neuron[keep], time[keep]
        if shifts is not None:
            time = t0 + (time - t0 + shifts[neuron]) % (t1 - t0)
        counts += np.histogram(time, edges)[0]
    rate = counts / (n * bin_width)
    centres = edges[:-1] + bin_width / 2
    return xr.DataArray(rate, dims="time", coords={"time": centres}, attrs={"units": "Hz"})


def test_ca1_population_activity_peaks_in_theta_and_carries_slow_gamma(healthy):
    """C4: CA1 population activity has its theta peak at 6-10 Hz and slow-gamma (25-50 Hz) power
    above a shuffled baseline (Colgin et al. 2009 Nature 462:353). The baseline rotates each
    cell's spike train by a random offset: rates and ISIs kept, cross-cell timing destroyed."""
    spectrum = power_spectrum(_ca1_rate(healthy))
    low = spectrum.sel(frequency=slice(2, 20))
    peak = float(low.frequency[int(low.argmax())])
    assert 6.0 <= peak <= 10.0
    rng = np.random.default_rng(0)
    n = int(healthy["spikes/ca1_exc"].attrs["n_neurons"])
    span = float(healthy.attrs["duration_s"]) - float(healthy.attrs["warmup_s"])
    shuffled = np.mean(
        [
            float(band_power(power_spectrum(_ca1_rate(healthy, rng.uniform(0, span, n))), GAMMA))
            for _ in range(5)
        ]
    )
    assert float(band_power(spectrum, GAMMA)) > 2 * shuffled
    assert float(band_power(spectrum, THETA)) > float(band_power(spectrum, GAMMA))
