"""What the brain is made of: neuron equations, the serotonin system, regions and projections.

:func:`depnet.circuits.build.build_circuit` turns resolved sizes and parameters into Brian2
objects; :mod:`depnet.circuits.parameters` holds every parameter with its units and source.
"""
