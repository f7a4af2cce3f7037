"""Export a run to Neurodata Without Borders (NWB 2, HDF5) for tools outside depnet.

Optional: needs ``pynwb`` (``pip install 'depnet[nwb]'``). NWB's zarr backend (hdmf-zarr) needs
zarr < 3, so the export is HDF5 only. What goes where:

- every neuron of every population is a row of the ``units`` table, with its spike times and
  columns ``population``, ``region`` and ``neuron`` (its index in the population);
- ``processing/serotonin``: one ``TimeSeries`` per serotonin variable, data ``(time, region)``;
- ``processing/rates``: the binned population rates, data ``(time, population)`` in Hz;
- ``processing/synapses``: active-synapse density per plastic projection over time;
- the resolved scenario (JSON) in the file's ``notes``; seed, device and git commit in its
  description fields.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

import numpy as np
import xarray as xr

from depnet.analysis.load import n_neurons, open_run, populations, region_of, spike_blocks
from depnet.errors import StoreError


def _start_time(attrs: dict) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(attrs["created"])
    except (KeyError, TypeError, ValueError):
        return dt.datetime.now(dt.UTC)


def _series(name: str, data: xr.DataArray, description: str):
    from pynwb import TimeSeries

    time = data["time"].values
    return TimeSeries(
        name=name,
        data=np.asarray(data.transpose("time", ...).values),
        timestamps=time,
        unit=str(data.attrs.get("units", "1")),
        description=description,
    )


def export_nwb(run: xr.DataTree | str | Path, path: str | Path) -> Path:
    """Write a run (a tree or a store path) as an NWB file at ``path``; returns the path.

    Raises
    ------
    depnet.errors.StoreError
        If ``pynwb`` is not installed or the file cannot be written.
    """
    try:
        from pynwb import NWBHDF5IO, NWBFile
    except ImportError:
        raise StoreError("NWB export needs pynwb: pip install 'depnet[nwb]'") from None
    tree = run if isinstance(run, xr.DataTree) else open_run(run)
    attrs = dict(tree.attrs)
    scenario = attrs.get("scenario", {})
    meta = scenario.get("scenario", {})
    nwb = NWBFile(
        session_description=meta.get("description") or "depnet run",
        identifier=str(uuid.uuid4()),
        session_start_time=_start_time(attrs),
        experiment_description=f"depnet scenario {meta.get('name', '?')}, simulated "
        f"{attrs.get('duration_s')} s on {attrs.get('device')}",
        session_id=f"seed {attrs.get('seed')}",
        source_script=f"depnet {attrs.get('versions', {}).get('depnet', '')}, git "
        f"{attrs.get('git_commit', 'unknown')}",
        source_script_file_name="depnet",
        notes=json.dumps(scenario, default=str),
    )
    nwb.add_unit_column("population", "population the neuron belongs to")
    nwb.add_unit_column("region", "region of the population")
    nwb.add_unit_column("neuron", "index of the neuron in its population")
    for name in populations(tree):
        n = n_neurons(tree, name)
        neuron = np.concatenate([b[0] for b in spike_blocks(tree, name)] or [np.zeros(0, int)])
        time = np.concatenate([b[1] for b in spike_blocks(tree, name)] or [np.zeros(0)])
        order = np.lexsort((time, neuron))
        splits = np.searchsorted(neuron[order], np.arange(1, n))
        region = region_of(tree, name)
        for i, times in enumerate(np.split(time[order], splits)):
            nwb.add_unit(spike_times=times, population=name, region=region, neuron=i)
    if "serotonin" in tree.children:
        module = nwb.create_processing_module("serotonin", "extracellular 5-HT and receptors")
        regions = ", ".join(str(r) for r in tree["serotonin"]["region"].values)
        for var, data in tree["serotonin"].to_dataset().data_vars.items():
            module.add(_series(str(var), data, f"{var} per region (columns: {regions})"))
    if "rates" in tree.children:
        module = nwb.create_processing_module("rates", "binned population firing rates")
        rate = tree["rates"]["rate"]
        names = ", ".join(str(p) for p in rate["population"].values)
        module.add(_series("population_rate", rate, f"rate per population (columns: {names})"))
    if "synapses" in tree.children:
        module = nwb.create_processing_module("synapses", "plastic projections over time")
        for name, node in tree["synapses"].children.items():
            module.add(_series(f"{name}_density", node["density"], "present / potential"))
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with NWBHDF5IO(str(path), "w") as io:
            io.write(nwb)
    except OSError as err:
        raise StoreError(f"{path}: could not write NWB file: {err.strerror or err}") from err
    return path
