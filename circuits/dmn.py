"""Default-mode network: posterior cingulate cortex (PCC) and medial PFC nodes.

Two cortical columns (:mod:`depnet.circuits.cortex`) coupled to each other and to the
hippocampus and prefrontal cortex (``depnet.circuits.projections``). Within-DMN functional
connectivity (PCC-mPFC correlation of binned activity) is the model's "rumination" index; how it
changes in depression is contested (VALIDATION.md C6: hyperconnectivity in Greicius et al. 2007
vs slightly reduced in the multi-site REST-meta-MDD study), so the model reports it and asserts
no direction. The raphe innervation of the two nodes (``serotonin.innervation.pcc`` and
``.mpfc``) is the strength of their coupling to 5-HT.
"""

from __future__ import annotations

from depnet.circuits.cortex import COLUMN_SIZES, interneuron, pyramidal_cell

REGIONS = {"pcc": dict(COLUMN_SIZES), "mpfc": dict(COLUMN_SIZES)}

CELL_TYPES = {
    "pcc_exc": pyramidal_cell(),
    "pcc_inh": interneuron(),
    "mpfc_exc": pyramidal_cell(),
    "mpfc_inh": interneuron(),
}
