"""Saturating NMDA gating per presynaptic cell (``depnet.circuits.neuron.NMDA_RELEASE_CODE``):
the gate of Wang (1999) J Neurosci 19:9587 and Ramirez-Mahaluf et al. (2017) Cereb Cortex 27:660,
applied at each spike.

A pyramidal cell driven by a constant current fires regularly with period ``T``; its synapse onto
a second cell adds ``w_nmda * (1 - s)`` to that cell's ``s_nmda`` at each spike, ``s`` being the
presynaptic gate. The gate's fixed point just after a spike is ``rho / (1 - (1 - rho) e^(-T /
tau))`` for ``nmda_saturation = rho``, and the conductance it carries is ``w_nmda / rho`` times
the gate: it peaks at ``w_nmda / (1 - (1 - rho) e^(-T / tau))``, below ``w_nmda / rho``, while
linear NMDA (``rho = 0``) sums to ``w_nmda / (1 - e^(-T / tau))``.
"""

from __future__ import annotations

import brian2 as b2
import numpy as np
import pytest
from brian2 import ms, nS, pA

from depnet import devices
from depnet.circuits import neuron
from depnet.circuits.cortex import pyramidal_cell

W_NMDA = 0.5 * nS
DELAY = 1 * ms


def _pair(rho: float, drive: b2.Quantity) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Spike times (s) of a driven presynaptic pyramid and its target's ``s_nmda`` (S) at
    every step (times in s), over 300 ms on the numpy target."""
    cell = {key: p.value for key, p in pyramidal_cell().items()}
    cell.update(nmda_saturation=rho, background_weight=0 * nS, I_bias_mean=drive)
    target = dict(cell, I_bias_mean=0 * pA)
    synaptic = {key: p.value for key, p in neuron.SYNAPTIC_PARAMETERS.items()}
    with devices.activated("runtime"):
        cells = neuron.make_neuron_group("cells", [(1, cell), (1, target)], synaptic,
                                         np.random.default_rng(1))  # fmt: skip
        rows = b2.NeuronGroup(1, "zero : 1", name="rows")
        for name in ("occupancy_5ht1a", "occupancy_5ht7", "pulse_a", "pulse_b"):
            setattr(cells, name, b2.linked_var(rows, "zero", index=np.zeros(2, dtype=int)))
        synapse = b2.Synapses(cells, cells, "w_nmda : siemens (constant)",
                              on_pre=f"s_nmda_post += w_nmda * {neuron.NMDA_RELEASE}",
                              delay=DELAY, name="nmda")  # fmt: skip
        synapse.connect(i=0, j=1)
        synapse.w_nmda = W_NMDA
        spikes = b2.SpikeMonitor(cells, record=[0])
        trace = b2.StateMonitor(cells, "s_nmda", record=[1], when="end")
        net = b2.Network(cells, rows, synapse, spikes, trace, *cells.contained_objects)
        net.run(300 * ms)
        return np.array(spikes.t[:]), np.array(trace.t[:]), np.array(trace.s_nmda[0])


def _expected(rho: float, spikes: np.ndarray) -> float:
    """The target's ``s_nmda`` as the last spike arrives, from the spike times alone: the gate's
    recurrence for ``rho`` > 0, the linear sum for 0."""
    tau = float(neuron.SYNAPTIC_PARAMETERS["tau_nmda_decay"].value)
    gate, s_nmda, last = 0.0, 0.0, spikes[0]
    for time in spikes:
        decay = np.exp(-(time - last) / tau)
        gate *= decay
        s_nmda = s_nmda * decay + float(W_NMDA) * (1 - gate)
        gate += rho * (1 - gate)
        last = time
    return s_nmda


@pytest.mark.parametrize("rho", [0.63, 0.0])
def test_a_fast_firing_cell_saturates_its_nmda_synapses(rho):
    """At ~100 Hz a synapse's NMDA conductance follows the presynaptic gate: with the RM2017
    gate (rho 0.63) it peaks near ``w_nmda / (1 - (1 - rho) e^(-T / tau))`` (~1.6 ``w_nmda``)
    and stays below ``w_nmda / rho``; linear NMDA sums to ~10 ``w_nmda``."""
    spikes, t, s_nmda = _pair(rho, 0.8e3 * pA)
    period = float(np.mean(np.diff(spikes[-10:])))
    assert 5e-3 < period < 15e-3, period
    last = np.searchsorted(t, spikes[-1] + float(DELAY) - 1e-9)
    # Euler's decay of s_nmda (1 - dt/tau per step) against the exp above: ~1e-4 over a period
    assert float(s_nmda[last]) == pytest.approx(_expected(rho, spikes), rel=2e-3)
    tau = float(neuron.SYNAPTIC_PARAMETERS["tau_nmda_decay"].value)
    if rho:
        fixed_point = float(W_NMDA) / (1 - (1 - rho) * np.exp(-period / tau))
        assert float(s_nmda[last]) == pytest.approx(fixed_point, rel=0.02)
        assert float(s_nmda.max()) < float(W_NMDA) / rho
    else:
        assert float(s_nmda[last]) > 8 * float(W_NMDA)


def test_the_first_spike_delivers_the_whole_weight():
    """An isolated spike (the gate at 0) gives ``w_nmda`` whatever the saturation: the
    saturating and linear synapses agree at low rates."""
    spikes, t, s_nmda = _pair(0.63, 0.8e3 * pA)
    arrival = spikes[0] + float(DELAY)
    step = np.searchsorted(t, arrival - 1e-9)
    assert float(s_nmda[step]) == pytest.approx(float(W_NMDA), rel=1e-12)
    assert float(s_nmda[step - 1]) == 0.0
