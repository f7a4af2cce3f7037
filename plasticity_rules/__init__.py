"""How the network changes: STDP variants, 5-HT-gated STDP and structural plasticity.

Rules plug into projections built by :mod:`depnet.circuits`; none is wired in yet.
"""
