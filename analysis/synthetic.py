"""Spike trains whose statistics are known analytically, and runs made of them.

The measures of :mod:`depnet.analysis` are checked against these (see ``tests/test_analysis*``):
a Poisson train has ISI CV 1 and Fano factor 1; a gamma renewal train of order k has CV
1/sqrt(k) and, for long windows, Fano factor 1/k; neurons that share a fraction c of their spikes
have spike-count correlation c; a rate modulated as ``r0 (1 + m sin 2 pi f t)`` puts power
``(r0 m)^2 / 2`` at ``f``. :func:`synthetic_run` lays trains out as a run store (in memory or on
disk) so that the measures read them exactly as they read a simulation.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import xarray as xr

from depnet.rundata import LFP_CURRENTS, SEROTONIN_VARIABLES, RunData, Spikes, SynapseRecord, Traces
from depnet.store import build_tree, write_run


def _sorted(neuron: np.ndarray, time: np.ndarray, n: int) -> Spikes:
    order = np.argsort(time, kind="stable")
    return Spikes(
        neuron=neuron[order].astype(np.int32), time=time[order].astype(float), n_neurons=n
    )


def poisson_trains(rate: float, duration: float, n: int, rng: np.random.Generator) -> Spikes:
    """``n`` independent homogeneous Poisson trains of ``rate`` Hz on ``[0, duration)`` s."""
    counts = rng.poisson(rate * duration, size=n)
    neuron = np.repeat(np.arange(n), counts)
    return _sorted(neuron, rng.uniform(0, duration, counts.sum()), n)


def gamma_trains(
    rate: float, order: float, duration: float, n: int, rng: np.random.Generator
) -> Spikes:
    """``n`` stationary gamma renewal trains (ISI shape ``order``, mean ISI ``1/rate``)."""
    burn = 20 / rate  # start well before 0, so the trains are stationary on [0, duration)
    k = int(np.ceil((duration + burn) * rate * 1.5 + 10 * np.sqrt((duration + burn) * rate) + 20))
    isi = rng.gamma(order, 1 / (order * rate), size=(n, k))
    time = np.cumsum(isi, axis=1) - burn
    neuron = np.broadcast_to(np.arange(n)[:, None], time.shape)
    keep = (time >= 0) & (time < duration)
    return _sorted(neuron[keep], time[keep], n)


def modulated_poisson_trains(
    rate: float,
    depth: float,
    frequency: float,
    duration: float,
    n: int,
    rng: np.random.Generator,
) -> Spikes:
    """Inhomogeneous Poisson trains of rate ``rate * (1 + depth * sin(2 pi frequency t))``."""
    peak = rate * (1 + abs(depth))
    candidates = poisson_trains(peak, duration, n, rng)
    accept = rate * (1 + depth * np.sin(2 * np.pi * frequency * candidates.time)) / peak
    keep = rng.uniform(size=accept.size) < accept
    return Spikes(candidates.neuron[keep], candidates.time[keep], n)


def shared_poisson_trains(
    rate: float, shared: float, duration: float, n: int, rng: np.random.Generator
) -> Spikes:
    """Poisson trains of ``rate`` Hz of which a fraction ``shared`` of spikes every neuron shares.

    Each neuron fires the spikes of one common Poisson train of rate ``shared * rate`` and its own
    train of rate ``(1 - shared) * rate``. Spike counts of two neurons in any window then have
    correlation ``shared``; ``shared = 1`` gives perfectly synchronous trains.
    """
    common = poisson_trains(shared * rate, duration, 1, rng).time
    own = poisson_trains((1 - shared) * rate, duration, n, rng)
    neuron = np.concatenate([np.repeat(np.arange(n), common.size), own.neuron])
    time = np.concatenate([np.tile(common, n), own.time])
    return _sorted(neuron, time, n)


def synthetic_run(
    spikes: Mapping[str, Spikes],
    duration: float,
    *,
    serotonin: Mapping[str, np.ndarray] | None = None,
    serotonin_time: np.ndarray | None = None,
    regions: list[str] | None = None,
    synapses: Mapping[str, SynapseRecord] | None = None,
    traces: Mapping[str, Traces] | None = None,
    lfp: Mapping[str, np.ndarray] | None = None,
    lfp_time: np.ndarray | None = None,
    rate_bin: float = 0.01,
    warmup: float = 0.0,
    attrs: Mapping[str, object] | None = None,
    path: str | Path | None = None,
) -> xr.DataTree:
    """A run made of given spike trains, laid out exactly as :mod:`depnet.store` writes runs.

    Parameters
    ----------
    spikes
        Population name (``<region>_<kind>``) -> trains.
    serotonin
        Variable (``c_5ht``, ``occupancy_5ht1a``, ``occupancy_5ht7``) -> ``(region, time)``
        arrays; missing ones are zero.
    regions
        Region names (default: the prefixes of the population names, in order of appearance).
    synapses, traces
        Plastic projections' records and populations' state traces, by name (default: none).
    lfp, lfp_time
        Summed synaptic currents (``i_ampa``, ``i_gaba``; ``(region, time)`` in A,
        missing ones zero) at times ``lfp_time`` (default every 1 ms); no ``/lfp`` when ``lfp``
        is None.
    attrs
        Root attributes to add or replace (e.g. ``parameters``, resolved parameter values).
    path
        Where to write it as a store (then the opened store is returned); ``None``: in memory.
    """
    if regions is None:
        regions = list(dict.fromkeys(name.split("_", 1)[0] for name in spikes))
    if serotonin_time is None:
        serotonin_time = np.arange(0, duration, 1e-3)
    shape = (len(regions), len(serotonin_time))
    values = {v: np.asarray((serotonin or {}).get(v, np.zeros(shape)), float).reshape(shape)
              for v in SEROTONIN_VARIABLES}  # fmt: skip
    lfp_values: dict[str, np.ndarray] = {}
    if lfp is not None:
        lfp_time = np.arange(0, duration, 1e-3) if lfp_time is None else lfp_time
        lfp_shape = (len(regions), len(lfp_time))
        lfp_values = {v: np.asarray(lfp.get(v, np.zeros(lfp_shape)), float).reshape(lfp_shape)
                      for v in LFP_CURRENTS}  # fmt: skip
    data = RunData(
        duration=duration,
        spikes=dict(spikes),
        traces=dict(traces or {}),
        serotonin_time=np.asarray(serotonin_time, float),
        regions=list(regions),
        serotonin=values,
        rate_bin=rate_bin,
        synapses=dict(synapses or {}),
        lfp_time=np.asarray(lfp_time if lfp is not None else np.zeros(0), float),
        lfp=lfp_values,
    )
    attrs = {
        "scenario": {
            "scenario": {"name": "synthetic", "description": "spike trains of known statistics"},
            "regions": {r: {} for r in regions},
            "parameters": {},
        },
        "parameters": {},
        "population_sizes": {name: s.n_neurons for name, s in spikes.items()},
        "seed": 0,
        "device": "synthetic",
        "duration_s": float(duration),
        "warmup_s": float(warmup),
        **(attrs or {}),
    }
    if path is not None:
        from depnet.store import open_run

        return open_run(write_run(path, data, attrs, overwrite=True))
    return build_tree(data, {**attrs, "status": "complete"})
