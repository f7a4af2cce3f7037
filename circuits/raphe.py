"""Dorsal raphe nucleus: 5-HT pacemaker neurons and local GABA interneurons.

5-HT cells fire slowly and regularly (0.5-3 Hz awake; Lydic, McCarley & Hobson 1984, VALIDATION.md
R1). Here that rhythm comes from a tonic depolarizing drive braked by a large, slow AHP after
each spike (the Wong-Lin et al. 2012 Neural Networks DRN model also relies on a slow AHP).
Somatodendritic 5-HT1A autoreceptors open a GIRK conductance in proportion to the raphe's own
[5-HT] occupancy: the negative feedback through which SSRIs first silence the raphe.
GABA interneurons receive prefrontal excitation and inhibit the 5-HT cells (feedforward
inhibition in the PFC -> DRN pathway; Wong-Lin et al. 2012).
"""

from __future__ import annotations

from brian2 import Hz, ms, mV, nS, pA, pF

from depnet.circuits.neuron import cell_parameters, cortical_background, fast_spiking_interneuron
from depnet.quantities import Parameter

DRN_5HT = cell_parameters(
    C_m=150 * pF,
    g_L=4 * nS,
    E_L=-65 * mV,
    V_th=-50 * mV,
    V_reset=-60 * mV,
    t_ref=2 * ms,
    sources=(
        "chosen: large, high-resistance cells (R_in ~250 MOhm, tau_m ~38 ms) as reported for "
        "DRN 5-HT neurons in slices (Vandermaelen & Aghajanian 1983 Brain Res 289:109)"
    ),
    g_girk_max=Parameter(
        6 * nS,
        "chosen: 5-HT1A autoreceptor gain; full occupancy more than doubles the leak "
        "conductance, enough to silence the cells (Martin-Ruiz et al. 2001, VALIDATION.md R4). "
        "It puts a cell without its pacemaker drive 15 mV below E_L, about twice the 8.1 mV "
        "by which 5-CT hyperpolarized silent DRN 5-HT cells in slices (Kirby et al. 2003 "
        "Neuroscience 116:669 [check])",
        low=0 * nS,
        calibrated_to=("R4",),
    ),
    delta_g_ahp=Parameter(
        4 * nS, "chosen: slow AHP that spaces spikes hundreds of ms apart", low=0 * nS
    ),
    tau_ahp=Parameter(300 * ms, "chosen: slow AHP decay of 5-HT cells, ~100s of ms", low=1 * ms),
    I_bias_mean=Parameter(
        225 * pA,
        "chosen: tonic pacemaker drive tuned so that, against leak, sAHP and the basal 5-HT1A "
        "GIRK current, the cells fire regularly at ~1.5-2 Hz (R1)",
        calibrated_to=("R1",),
    ),
    I_bias_sd=Parameter(
        6 * pA,
        "chosen: cell-to-cell spread of the drive, so cells do not fire in lockstep, small "
        "enough that every cell stays a regular pacemaker (>= ~1.3 Hz)",
        low=0 * pA,
    ),
    background_rate=Parameter(2 * Hz, "chosen: weak afferent noise", low=0 * Hz),
    background_n=Parameter(100.0, "chosen: number of background afferents", low=0),
    background_weight=Parameter(
        0.5 * nS, "chosen: weak, keeps firing regular (R1)", low=0 * nS, calibrated_to=("R1",)
    ),
)

# Raphe GABA cells reuse the prefrontal fast-spiking membrane and background (chosen).
DRN_GABA = fast_spiking_interneuron(
    **cortical_background(
        Parameter(
            1.7 * nS,
            "chosen: tuned so that background plus prefrontal input drives raphe GABA cells at "
            "~10 Hz",
            low=0 * nS,
        )
    )
)

#: Regions of this module and their population sizes at scale 1 (kind of cell -> count).
REGIONS = {"drn": {"5ht": 100, "gaba": 25}}
#: Cell-type parameter tables by population name.
CELL_TYPES = {"drn_5ht": DRN_5HT, "drn_gaba": DRN_GABA}
