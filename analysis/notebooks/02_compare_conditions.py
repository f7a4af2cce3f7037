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
# # Comparing conditions
#
# Three runs of one circuit side by side: healthy, an SSRI (SERT 80% blocked) and a doubled
# 5-HT1A autoreceptor gain (GIRK conductance of the raphe 5-HT cells 6 -> 12 nS, stronger
# negative feedback on serotonin release). Scenario files for chronic stress and ketamine come
# with the scenarios issue; until then these conditions are parameter overrides of the default
# scenario:
#
# ```bash
# depnet run scenarios/raphe_pfc.toml --out runs/healthy.zarr
# depnet run scenarios/raphe_pfc.toml --out runs/ssri.zarr \
#     --set parameters.serotonin.ssri_occupancy=0.8
# depnet run scenarios/raphe_pfc.toml --out runs/autoreceptor.zarr \
#     --set parameters.drn_5ht.g_girk_max="12 nS"
# DEPNET_HEALTHY_STORE=runs/healthy.zarr DEPNET_SSRI_STORE=runs/ssri.zarr \
#     DEPNET_AUTORECEPTOR_STORE=runs/autoreceptor.zarr \
#     jupyter lab analysis/notebooks/02_compare_conditions.py
# ```

# %%
# %matplotlib inline
from IPython.display import display

from depnet.analysis import figures, open_run, path_from_env
from depnet.analysis.compare import compare_runs

conditions = {
    "healthy": path_from_env("DEPNET_HEALTHY_STORE", "the healthy run's store"),
    "SSRI 80%": path_from_env("DEPNET_SSRI_STORE", "a run with serotonin.ssri_occupancy=0.8"),
    "5-HT1A x2": path_from_env(
        "DEPNET_AUTORECEPTOR_STORE", 'a run with drn_5ht.g_girk_max="12 nS"'
    ),
}
runs = {name: open_run(path) for name, path in conditions.items()}
for name, tree in runs.items():
    overrides = tree.attrs["scenario"].get("parameters", {})
    print(f"{name}: {tree.attrs['scenario']['scenario']['name']}, overrides {overrides or 'none'}")

# %% [markdown]
# ## Headline measures per condition (after warmup)

# %%
summary = compare_runs(runs)
summary[["rate", "isi_cv", "synchrony"]].to_dataframe().unstack("condition")

# %%
summary[["c_5ht", "occupancy_5ht1a", "occupancy_5ht7"]].to_dataframe().unstack("condition")

# %% [markdown]
# ## Side by side
# What to look for: blocking SERT raises [5-HT] and 5-HT1A occupancy in every region, and the
# raphe's own autoreceptors then slow its 5-HT cells (why acute SSRIs act less than expected,
# until the autoreceptors desensitize); a stronger autoreceptor lowers [5-HT] instead.

# %%
figures.comparison_figure(summary)

# %% [markdown]
# ## [5-HT] over time in each condition

# %%
for name, tree in runs.items():
    fig = figures.serotonin_figure(tree)
    fig.suptitle(name)
    display(fig)
