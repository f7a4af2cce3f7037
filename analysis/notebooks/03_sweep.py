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
# # A sweep: SSRI dose-response
#
# A sweep is a folder of run stores, one per point. `open_sweep` stacks them along a `point`
# dimension, with every scenario setting that differs between the runs as a coordinate. This
# notebook reads the folder from `DEPNET_SWEEP`; a small dose-response over SERT occupancy:
#
# ```bash
# for occ in 0 0.4 0.8; do
#   depnet run scenarios/raphe_pfc.toml --out sweeps/ssri/occ-$occ.zarr \
#       --set parameters.serotonin.ssri_occupancy=$occ
# done
# DEPNET_SWEEP=sweeps/ssri jupyter lab analysis/notebooks/03_sweep.py
# ```
#
# `depnet sweep` writes a sweep's stores to `<out>/points/`; `open_sweep` takes that folder or
# `<out>` itself.

# %%
# %matplotlib inline
from IPython.display import display

from depnet.analysis import figures, map_points, mean_rates, open_sweep, path_from_env
from depnet.analysis.compare import sweep_summary

sweep = open_sweep(path_from_env("DEPNET_SWEEP", "a folder of run stores (one per point)"))
print(f"{sweep.sizes['point']} points; varied: {sweep.attrs['varied']}")
display(sweep)

# %% [markdown]
# ## Stacked arrays
# Binned rates and serotonin of every run, with `point` in front; the varied setting is a
# coordinate, so selections and plots can use it directly.

# %%
c_5ht = sweep["serotonin"]["c_5ht"]
c_5ht.mean("time").to_pandas()

# %% [markdown]
# ## Measures per point
# `map_points` applies any measure to each run's own store and stacks the results.

# %%
rates = map_points(sweep, mean_rates)
rates.to_pandas()

# %%
summary = sweep_summary(sweep)
summary[["c_5ht", "occupancy_5ht1a"]].to_dataframe().unstack("region")

# %% [markdown]
# ## Dose-response
# Rates, [5-HT], 5-HT1A occupancy and functional connectivity against the varied setting.

# %%
figures.comparison_figure(summary)

# %%
figures.sweep_serotonin_figure(sweep)
