"""How the network changes: STDP variants, 5-HT-gated STDP and structural plasticity.

Scenarios attach rules to projections by name (``[plasticity.<projection>]``);
:mod:`depnet.circuits.plasticity` composes them onto the projection's Synapses.
:mod:`depnet.plasticity_rules.stdp` holds the STDP rules, :mod:`.structural` and
:mod:`.growth_curves` structural plasticity.
"""

from depnet.plasticity_rules.stdp import (
    RULES,
    SynapseModel,
    link_occupancy,
    set_stdp_parameters,
    stdp_parameters,
    stdp_synapse_model,
)

__all__ = [
    "RULES",
    "SynapseModel",
    "link_occupancy",
    "set_stdp_parameters",
    "stdp_parameters",
    "stdp_synapse_model",
]
