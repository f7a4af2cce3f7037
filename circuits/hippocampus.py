"""Hippocampus: dentate gyrus, CA3 and CA1, each with E/I cells, paced by septal theta.

The trisynaptic loop (entorhinal background -> DG granule cells -> CA3 via mossy fibres -> CA1 via
Schaffer collaterals; wiring in ``depnet.circuits.projections``): sparse-firing granule cells,
recurrent CA3, feedforward CA1, each region with fast-spiking basket interneurons. Theta comes
from the medial septum: GABAergic septal pacemakers inhibit hippocampal interneurons rhythmically
(Freund & Antal 1988 Nature 336:170), which releases pyramidal cells once per cycle. The septum is
modelled as a drive (``ms_theta``: Poisson units whose rate follows a sinusoid at the theta
frequency), not as neurons of the shared model. Target (VALIDATION.md C4): a theta peak at
6-10 Hz in CA1 population activity and slow-gamma (25-50 Hz) power above a shuffled baseline.
"""

from __future__ import annotations

import brian2 as b2
from brian2 import Hz, mV

from depnet.circuits.cortex import interneuron, pyramidal_cell
from depnet.quantities import Parameter, declaration

REGIONS = {
    "dg": {"granule": 1000, "inh": 100},
    "ca3": {"exc": 400, "inh": 100},
    "ca1": {"exc": 800, "inh": 200},
}


def _granule_cell() -> dict[str, Parameter]:
    cell = pyramidal_cell(background_weight=3.1)
    cell["E_L"] = Parameter(
        -75 * mV,
        "chosen: granule cells rest more hyperpolarized than pyramidal cells, which keeps their "
        "firing sparse (Staley, Otis & Mody 1992 J Neurophysiol 67:1346 [check])",
    )
    return cell


CELL_TYPES = {
    "dg_granule": _granule_cell(),
    "dg_inh": interneuron(),
    "ca3_exc": pyramidal_cell(),
    "ca3_inh": interneuron(),
    "ca1_exc": pyramidal_cell(),
    "ca1_inh": interneuron(),
}

#: The septal theta drive: its size at scale 1 and its parameters.
SEPTUM = "ms_theta"
SEPTUM_SIZE = 100
SEPTUM_PARAMETERS: dict[str, Parameter] = {
    "f_theta": Parameter(
        8 * Hz,
        "chosen: within the 6-10 Hz theta band of the awake rodent hippocampus (Buzsaki 2002 "
        "Neuron 33:325; VALIDATION.md C4); C4's theta peak follows this drive: a calibration",
        low=0 * Hz,
        calibrated_to=("C4",),
    ),
    "rate_mean": Parameter(10 * Hz, "chosen: mean rate of a septal pacemaker unit", low=0 * Hz),
    "depth": Parameter(
        1.0, "chosen: full modulation: septal GABA cells fire in theta bursts", low=0, high=1
    ),
}

_SEPTUM_EQUATIONS = """
rate = rate_mean * (1 + depth * sin(2 * pi * f_theta * t)) : Hz
"""


def make_septal_drive(n: int, values: dict[str, b2.Quantity | float]) -> b2.NeuronGroup:
    """Septal pacemaker units firing as Poisson processes with a theta-modulated rate."""
    equations = _SEPTUM_EQUATIONS + "\n".join(declaration(k, values[k]) for k in SEPTUM_PARAMETERS)
    group = b2.NeuronGroup(n, equations, threshold="rand() < rate * dt", name=SEPTUM)
    for key in SEPTUM_PARAMETERS:
        setattr(group, key, values[key])
    return group
