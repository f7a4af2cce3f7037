# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Exploring one run
#
# Opens one run store and walks through what it holds: spikes and population rates, spike-train
# statistics, spectra, functional connectivity, serotonin and (for plastic runs) synapses.
#
# The store's path comes from the environment variable `DEPNET_STORE`. Make one with
#
# ```bash
# depnet run scenarios/raphe_pfc.toml --out runs/healthy.zarr
# DEPNET_STORE=runs/healthy.zarr jupyter lab analysis/notebooks/01_explore_run.py
# ```
#
# (jupytext opens this `.py` file as a notebook). Nothing below names a population or a region:
# they are read from the store, so the notebook works on any circuit.

# %%
# %matplotlib inline
from IPython.display import display

from depnet.analysis import (
    dmn_index,
    figures,
    open_run,
    path_from_env,
    population_info,
    rate_time_course,
    serotonin_summary,
    spike_statistics,
    summarize,
)
from depnet.analysis.spectra import band_powers, population_spectra
from depnet.analysis.synapses import synapse_density

store = path_from_env("DEPNET_STORE")
tree = open_run(store)
print(summarize(tree))

# %% [markdown]
# ## What was recorded
# Populations with their region, kind and size; the store is a `DataTree` whose nodes are read
# lazily (only what is indexed comes off the disk).

# %%
population_info(tree).to_dataframe()

# %% [markdown]
# ## Spikes and population rates
# Up to 100 neurons per population; the warmup (grey) is left out of every summary below.

# %%
figures.raster_figure(tree)

# %%
rates = rate_time_course(tree, bin_width=0.05)
rates.to_pandas().T.describe()

# %% [markdown]
# ## Spike-train statistics
# ISI CV (1 for Poisson, 0 for a clock), Fano factor of 50 ms counts, mean pairwise spike-count
# correlation and Golomb's synchrony index (1: all neurons fire together, ~1/sqrt(N):
# independent).

# %%
spike_statistics(tree).to_dataframe()

# %% [markdown]
# ## Spectra: theta (6-10 Hz) and slow gamma (25-50 Hz)

# %%
figures.spectra_figure(tree)

# %%
band_powers(population_spectra(tree)).to_dataframe()

# %% [markdown]
# ## Functional connectivity and the DMN ("rumination") index
# The index is NaN in circuits without default-mode regions; its `message` says why.

# %%
figures.fc_figure(tree)

# %%
index = dmn_index(tree)
print(float(index), index.attrs.get("message", ""))

# %% [markdown]
# ## Serotonin: [5-HT] and receptor occupancy per region

# %%
figures.serotonin_figure(tree)

# %%
serotonin_summary(tree).to_dataframe()

# %% [markdown]
# ## Synapses (plastic runs only)
# Active-synapse density per region is the model's stand-in for grey-matter volume.

# %%
density = synapse_density(tree)
if density.sizes["region"]:
    display(figures.synapse_figure(tree))
else:
    print(density.attrs["message"])
