"""Synaptic projections between populations, with fixed in-degree.

Connectivity is drawn on the host with numpy from the scenario's seed, so that runtime, C++ and
CUDA targets simulate the same graph, and each postsynaptic cell receives a fixed number of inputs
(``in_degree``) at every scale: a scaled-up network keeps its per-neuron input statistics.
"""

from __future__ import annotations

from dataclasses import dataclass

import brian2 as b2
import numpy as np
from brian2 import ms, nS

from depnet.quantities import Parameter


@dataclass(frozen=True)
class Projection:
    """A projection's wiring: source and target populations and which receptors it drives."""

    source: str
    target: str
    receptors: tuple[str, ...]  # among "ampa", "nmda", "gaba"


_ON_PRE = {
    "ampa": "g_ampa_post += w_ampa",
    "nmda": "s_nmda_post += w_nmda",
    "gaba": "g_gaba_post += w_gaba",
}

#: The first circuit: a PFC E/I network, its projection onto raphe 5-HT and GABA cells,
#: and raphe GABA -> 5-HT inhibition.
PROJECTIONS: dict[str, Projection] = {
    "pfc_exc_to_pfc_exc": Projection("pfc_exc", "pfc_exc", ("ampa", "nmda")),
    "pfc_exc_to_pfc_inh": Projection("pfc_exc", "pfc_inh", ("ampa", "nmda")),
    "pfc_inh_to_pfc_exc": Projection("pfc_inh", "pfc_exc", ("gaba",)),
    "pfc_inh_to_pfc_inh": Projection("pfc_inh", "pfc_inh", ("gaba",)),
    "pfc_exc_to_drn_5ht": Projection("pfc_exc", "drn_5ht", ("ampa",)),
    "pfc_exc_to_drn_gaba": Projection("pfc_exc", "drn_gaba", ("ampa",)),
    "drn_gaba_to_drn_5ht": Projection("drn_gaba", "drn_5ht", ("gaba",)),
}

_LOCAL_DELAY = Parameter(1 * ms, "chosen: local synaptic and conduction delay", low=0 * ms)
_LONG_DELAY = Parameter(
    5 * ms, "chosen: PFC -> DRN conduction delay over ~5 mm at ~1 m/s", low=0 * ms
)


def _weights(source: str, **nS_per_receptor: float) -> dict[str, Parameter]:
    """Peak conductance per spike for each receptor the projection drives, in nS."""
    return {f"w_{r}": Parameter(w * nS, source, low=0 * nS) for r, w in nS_per_receptor.items()}


_TUNED = "chosen: tuned for C1 rates with the in-degrees below"
_TUNED_NMDA = (
    "chosen: tuned for C1 rates; NMDA kept weak (charge per spike ~8x AMPA before the Mg2+ "
    "block) so that its 100 ms decay does not pull the network into a high-rate state"
)
_TUNED_EI = (
    "chosen: tuned for C1 rates; strong E->I and I->E coupling, so that inhibition tracks "
    "excitation and holds pyramidal cells in an asynchronous-irregular 1-5 Hz state"
)
#: Parameters per projection: in-degree at every scale, delay, peak conductances per spike.
PARAMETERS: dict[str, dict[str, Parameter]] = {
    "pfc_exc_to_pfc_exc": {
        "in_degree": Parameter(80.0, "chosen: 20% of 400 pyramidal cells", low=0),
        "delay": _LOCAL_DELAY,
        **_weights(_TUNED_NMDA, ampa=0.3, nmda=0.05),
    },
    "pfc_exc_to_pfc_inh": {
        "in_degree": Parameter(80.0, "chosen: 20% of 400 pyramidal cells", low=0),
        "delay": _LOCAL_DELAY,
        **_weights(_TUNED_EI, ampa=1.0, nmda=0.05),
    },
    "pfc_inh_to_pfc_exc": {
        "in_degree": Parameter(20.0, "chosen: 20% of 100 interneurons", low=0),
        "delay": _LOCAL_DELAY,
        **_weights(_TUNED_EI, gaba=4.0),
    },
    "pfc_inh_to_pfc_inh": {
        "in_degree": Parameter(20.0, "chosen: 20% of 100 interneurons", low=0),
        "delay": _LOCAL_DELAY,
        **_weights(_TUNED, gaba=1.0),
    },
    "pfc_exc_to_drn_5ht": {
        "in_degree": Parameter(
            20.0, "chosen: sparse mPFC -> DRN input (Celada et al. 2001)", low=0
        ),
        "delay": _LONG_DELAY,
        **_weights("chosen: PFC excitation of 5-HT cells (Celada et al. 2001)", ampa=0.5),
    },
    "pfc_exc_to_drn_gaba": {
        "in_degree": Parameter(40.0, "chosen: denser mPFC -> DRN GABA input", low=0),
        "delay": _LONG_DELAY,
        **_weights("chosen: feedforward inhibition (Wong-Lin et al. 2012)", ampa=0.6),
    },
    "drn_gaba_to_drn_5ht": {
        "in_degree": Parameter(10.0, "chosen: local raphe inhibition", low=0),
        "delay": _LOCAL_DELAY,
        **_weights("chosen: raphe GABA cells inhibit 5-HT cells", gaba=0.5),
    },
}


def fixed_in_degree(
    n_pre: int, n_post: int, in_degree: int, rng: np.random.Generator, *, no_self: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Presynaptic and postsynaptic indices with ``in_degree`` distinct inputs per target.

    ``no_self`` excludes autapses (for recurrent projections). The in-degree is capped at the
    number of available sources.
    """
    available = n_pre - 1 if no_self else n_pre
    k = min(in_degree, available)
    if k <= 0:
        return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32)
    sources = np.empty((n_post, k), dtype=np.int64)
    for j in range(n_post):
        chosen = rng.choice(available, size=k, replace=False)
        if no_self:
            chosen[chosen >= j] += 1
        sources[j] = chosen
    targets = np.repeat(np.arange(n_post), k)
    return sources.ravel().astype(np.int32), targets.astype(np.int32)


def make_projection(
    name: str,
    source: b2.NeuronGroup,
    target: b2.NeuronGroup,
    values: dict[str, b2.Quantity | float],
    rng: np.random.Generator,
) -> b2.Synapses:
    """Build one projection from its parameter values."""
    spec = PROJECTIONS[name]
    model = "\n".join(f"w_{r} : siemens (shared, constant)" for r in spec.receptors)
    synapses = b2.Synapses(
        source,
        target,
        model=model,
        on_pre="; ".join(_ON_PRE[r] for r in spec.receptors),
        delay=values["delay"],
        name=name,
    )
    i, j = fixed_in_degree(
        len(source),
        len(target),
        int(round(float(values["in_degree"]))),
        rng,
        no_self=source is target,
    )
    synapses.connect(i=i, j=j)
    for r in spec.receptors:
        setattr(synapses, f"w_{r}", values[f"w_{r}"])
    return synapses
