"""The cortical E/I column that every cortical region of the circuit is made of.

DLPFC, subgenual ACC (``depnet.circuits.pfc``) and the default-mode nodes PCC and mPFC
(``depnet.circuits.dmn``) are each one population of pyramidal cells and one of fast-spiking
interneurons with the membrane values of the Ramirez-Mahaluf, Roxin, Mayberg & Compte (2017)
Cereb Cortex 27:660 two-area model (ModelDB 240954) and its 1800 Hz Poisson background. Pyramidal
cells carry 5-HT1A (GIRK, hyperpolarizing) and 5-HT7 (Ih-like, depolarizing) heteroreceptors;
interneurons carry neither here. Target rates are VALIDATION.md C1: pyramidal 1-5 Hz,
fast-spiking interneurons 10-20 Hz. The local wiring of a column is in
``depnet.circuits.projections``.
"""

from __future__ import annotations

from brian2 import ms, mV, nS, pF

from depnet.circuits.neuron import cell_parameters, cortical_background, fast_spiking_interneuron
from depnet.quantities import Parameter

#: Sizes of one cortical column at scale 1: 80% pyramidal cells, 20% interneurons.
COLUMN_SIZES = {"exc": 800, "inh": 200}


def pyramidal_cell(background_weight: float = 3.1) -> dict[str, Parameter]:
    """Pyramidal cell with 5-HT1A and 5-HT7 heteroreceptors and the cortical background.

    ``background_weight`` (nS) is tuned per region: it sets the pyramidal rate given the
    region's other inputs.
    """
    return cell_parameters(
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
                background_weight * nS,
                "chosen: tuned so that, with the column's recurrent inhibition and the region's "
                "long-range inputs, pyramidal cells fire at 1-5 Hz in an asynchronous-irregular "
                "state (C1)",
                low=0 * nS,
                calibrated_to=("C1",),
            )
        ),
    )


def interneuron(background_weight: float = 1.9) -> dict[str, Parameter]:
    """Fast-spiking interneuron with the cortical background (``background_weight`` in nS)."""
    return fast_spiking_interneuron(
        **cortical_background(
            Parameter(
                background_weight * nS,
                "chosen: tuned for interneuron rates of 10-20 Hz (C1)",
                low=0 * nS,
                calibrated_to=("C1",),
            )
        )
    )
