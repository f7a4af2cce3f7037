"""Prefrontal cortex: dorsolateral PFC and subgenual ACC as separate cortical columns.

The two areas of the Ramirez-Mahaluf, Roxin, Mayberg & Compte (2017) Cereb Cortex 27:660 model of
depression: DLPFC (the rTMS and tDCS target, "cognitive" area) and subgenual ACC (sgACC/vACC,
Brodmann 25, the DBS target, "emotional" area), which inhibit each other through excitation of
the other area's interneurons (``depnet.circuits.projections``). Each is one
:mod:`depnet.circuits.cortex` column. The sgACC is the prefrontal area that projects to the
dorsal raphe (the infralimbic/prelimbic homologue in rodents; Celada et al. 2001 J Neurosci
21:9917).
"""

from __future__ import annotations

from depnet.circuits.cortex import COLUMN_SIZES, interneuron, pyramidal_cell

#: Regions of this module and their population sizes at scale 1.
REGIONS = {"dlpfc": dict(COLUMN_SIZES), "sgacc": dict(COLUMN_SIZES)}

CELL_TYPES = {
    "dlpfc_exc": pyramidal_cell(),
    "dlpfc_inh": interneuron(),
    "sgacc_exc": pyramidal_cell(),
    "sgacc_inh": interneuron(),
}
