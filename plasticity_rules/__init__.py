"""How the network changes: STDP variants, 5-HT-gated STDP and structural plasticity.

Rules plug into projections built by :mod:`depnet.circuits`; none is wired in yet.
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
