"""A delay (working-memory) task read off a run: the cue, and what the cued cells do after it.

A delay task in the model is a ``current`` intervention into a share of one population's cells
(``fraction`` below 1: the first ``round(fraction * n)`` cells by index, a selective group):
the cue. After the cue ends, a network that holds the item keeps the cued cells firing above the
others through the delay (delay activity, as the delay cells of monkey prefrontal cortex;
Funahashi, Bruce & Goldman-Rakic 1989 J Neurophysiol 61:331). VALIDATION.md C3 asks how this
measure depends on the 5-HT level (Cano-Colino et al. 2013).

Windows, read from the store: *before* is the ``delay`` long stretch that ends at the cue's
start, *cue* the cue itself, *delay* the ``delay`` long stretch that starts ``skip`` after the
cue's end (by default 0.25 s, two and a half NMDA decay times, so that the cue's own synaptic
tail has passed).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import xarray as xr

from depnet.analysis.load import n_neurons, seconds, spike_blocks
from depnet.errors import StoreError

#: Chosen: the cue's synaptic tail (NMDA decay 100 ms) has passed 0.25 s after it ends.
DELAY_SKIP_S = 0.25
#: Chosen: one second of delay, as the 1-6 s delays of Funahashi et al. 1989's task.
DELAY_S = 1.0


def cue_block(tree: xr.DataTree) -> dict:
    """The run's cue: its last ``current`` intervention into a share (``fraction`` < 1) of a
    population.

    Raises
    ------
    StoreError
        If the run has none.
    """
    interventions = tree.attrs.get("scenario", {}).get("interventions") or []
    cues = [
        dict(block) for block in interventions
        if isinstance(block, Mapping) and str(block.get("kind", "")) == "current"
        and float(block.get("fraction", 1.0)) < 1.0
    ]  # fmt: skip
    if not cues:
        raise StoreError(
            "the run has no cue: a `current` intervention with `fraction` below 1 (see "
            "scenarios/working_memory.toml)"
        )
    return cues[-1]


def cue_rates(
    tree: xr.DataTree, delay: float = DELAY_S, skip: float = DELAY_SKIP_S
) -> xr.DataArray:
    """Mean firing rate (Hz) of the cued and the other cells of the cue's population, before,
    during and after the cue (module docstring for the windows).

    Returns
    -------
    xarray.DataArray
        Dimensions ``period`` (``before``, ``cue``, ``delay``) and ``cells`` (``cued``,
        ``uncued``); attribute ``windows_s`` gives each period's start and stop.

    Raises
    ------
    StoreError
        If the run has no cue, or its delay runs past the run's end.
    """
    cue = cue_block(tree)
    population = str(cue["population"])
    start, stop = seconds(cue["start"], "cue start"), seconds(cue["stop"], "cue stop")
    windows = {
        "before": (start - delay, start),
        "cue": (start, stop),
        "delay": (stop + skip, stop + skip + delay),
    }
    end = float(tree.attrs["duration_s"])
    if windows["delay"][1] > end + 1e-9 or windows["before"][0] < -1e-9:
        raise StoreError(
            f"the delay task does not fit the run: its windows span {windows['before'][0]:g}-"
            f"{windows['delay'][1]:g} s of a {end:g} s run"
        )
    n = n_neurons(tree, population)
    cued = round(float(cue["fraction"]) * n)  # as the protocol table assigns cells
    counts = np.zeros((3, 2))
    for neuron, time in spike_blocks(tree, population):
        for row, (t0, t1) in enumerate(windows.values()):
            inside = (time >= t0) & (time < t1)
            counts[row, 0] += np.count_nonzero(inside & (neuron < cued))
            counts[row, 1] += np.count_nonzero(inside & (neuron >= cued))
    lengths = np.array([t1 - t0 for t0, t1 in windows.values()])[:, None]
    rates = counts / lengths / np.array([max(cued, 1), max(n - cued, 1)])
    return xr.DataArray(
        rates,
        dims=("period", "cells"),
        coords={"period": list(windows), "cells": ["cued", "uncued"], "population": population},
        name="rate",
        attrs={"units": "Hz", "windows_s": {k: list(v) for k, v in windows.items()}},
    )


def cue_contrast(
    tree: xr.DataTree, delay: float = DELAY_S, skip: float = DELAY_SKIP_S
) -> xr.DataArray:
    """How much faster the cued cells fire than the others (Hz), by ``period``: the rows of
    :func:`cue_rates`, cued minus uncued (``cue``: the cue's response; ``delay``: the delay
    activity)."""
    rates = cue_rates(tree, delay, skip)
    contrast = rates.sel(cells="cued", drop=True) - rates.sel(cells="uncued", drop=True)
    return contrast.assign_attrs(rates.attrs)


def delay_activity(tree: xr.DataTree, delay: float = DELAY_S, skip: float = DELAY_SKIP_S) -> float:
    """Delay activity (Hz): how much faster the cued cells fire than the others through the
    delay (:func:`cue_contrast` of the ``delay`` period); about 0 when the network keeps no
    trace of the cue.

    Examples
    --------
    Cued cells at 12 Hz and the others at 2 Hz during the delay give 10 (Hz).
    """
    return float(cue_contrast(tree, delay, skip).sel(period="delay"))


def cue_response(tree: xr.DataTree) -> float:
    """The cue's response (Hz): cued minus uncued rate while the cue lasts."""
    return float(cue_contrast(tree).sel(period="cue"))
