"""depnet: a spiking network model of the brain circuits implicated in major depression.

The spine of the package: scenario specs (:mod:`depnet.spec`), Brian2 targets
(:mod:`depnet.devices`), the runner (:mod:`depnet.run`) and the zarr store (:mod:`depnet.store`).
What the brain is made of lives in :mod:`depnet.circuits`, how it changes in
:mod:`depnet.plasticity_rules`, what is done to it in :mod:`depnet.scenarios`, where it runs at
scale in :mod:`depnet.cluster`, and what it means in :mod:`depnet.analysis`.
"""

__version__ = "0.1.0"
