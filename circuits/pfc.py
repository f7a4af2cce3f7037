"""Prefrontal cortex: one excitatory/inhibitory population pair with 5-HT heteroreceptors.

Membrane values follow the Ramirez-Mahaluf, Roxin, Mayberg & Compte (2017) Cereb Cortex 27:660
two-area model (ModelDB 240954). Pyramidal cells carry 5-HT1A (GIRK, hyperpolarizing) and 5-HT7
(Ih-like, depolarizing) receptors; fast-spiking interneurons carry neither here. Target rates are
VALIDATION.md C1: pyramidal 1-5 Hz, fast-spiking interneurons 10-20 Hz.
"""

from __future__ import annotations

from brian2 import ms, mV, nS, pF

from depnet.circuits.neuron import cell_parameters, cortical_background, fast_spiking_interneuron
from depnet.quantities import Parameter

REGION = "pfc"

PFC_EXC = cell_parameters(
    C_m=500 * pF,
    g_L=25 * nS,
    E_L=-70 * mV,
    V_th=-50 * mV,
    V_reset=-55 * mV,
    t_ref=2 * ms,
    sources="Ramirez-Mahaluf et al. 2017 Cereb Cortex 27:660 (pyramidal cells)",
    g_girk_max=Parameter(
        3 * nS,
        "chosen: 5-HT1A heteroreceptor GIRK on pyramidal cells, ~12% of g_L at full occupancy",
        low=0 * nS,
    ),
    g_5ht7_max=Parameter(
        1 * nS,
        "chosen: 5-HT7 Ih-like conductance on pyramidal cells, smaller than 5-HT1A",
        low=0 * nS,
    ),
    **cortical_background(
        Parameter(
            3.1 * nS,
            "chosen: tuned so that, with the recurrent inhibition of projections.py, pyramidal "
            "cells fire at 1-5 Hz in an asynchronous-irregular state (C1)",
            low=0 * nS,
        )
    ),
)

PFC_INH = fast_spiking_interneuron(
    **cortical_background(
        Parameter(1.9 * nS, "chosen: tuned for interneuron rates of 10-20 Hz (C1)", low=0 * nS)
    )
)

SIZES = {"exc": 400, "inh": 100}
CELL_TYPES = {"pfc_exc": PFC_EXC, "pfc_inh": PFC_INH}
