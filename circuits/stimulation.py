"""The stimulator: pulse trains of brain stimulation (rTMS, iTBS, DBS, PAS) on two channels.

One single-row group per channel (``stimulator_a``, ``stimulator_b``). Each step, a channel's
``pulse`` is 1 in the step a pulse starts and 0 otherwise; every cell reads both channels
(linked variables ``pulse_a``, ``pulse_b``: a link to a one-row group reads its one value, where
an index array per cell would be a gather that keeps the cells' loop from vectorizing) and
receives ``stim_gain_a * pulse_a + stim_gain_b * pulse_b`` as an AMPA-like
conductance kick (:data:`depnet.circuits.neuron.BACKGROUND_CODE`), so which cells are stimulated
and how strongly is a per-cell variable, and the timing a property of the channel.

A train is described in time steps (exact on the simulation grid, no floating-point drift):
pulses every ``period_steps`` within a burst of ``burst_pulses`` pulses, bursts every
``burst_period_steps`` while the train is on (``train_steps`` out of every
``train_period_steps``), from step ``start_step + phase_steps`` on. A 10 Hz rTMS train is one
pulse per burst every 100 ms; intermittent theta burst (Huang et al. 2005 Neuron 45:201) is 3
pulses at 50 Hz repeated at 5 Hz, 2 s on, 8 s off; DBS is a continuous 130 Hz train. Nothing
here changes between scenarios but these values, which follow the run's protocol
(:mod:`depnet.circuits.protocol`), so every scenario shares one build.
"""

from __future__ import annotations

import brian2 as b2

from depnet.circuits import protocol

CHANNELS = ("a", "b")

STIMULATOR_EQUATIONS = """
pulse : 1
enabled : 1
start_step : integer
phase_steps : integer
period_steps : integer
burst_pulses : integer
burst_period_steps : integer
train_steps : integer
train_period_steps : integer
"""

#: Pulse onset test, once per step and channel (``k``: steps since the train's first pulse).
PULSE_CODE = """
k = int(t / dt + 0.5) - start_step - phase_steps
in_train = int(k >= 0) * int(k % train_period_steps < train_steps)
in_burst = int(k % burst_period_steps < burst_pulses * period_steps)
pulse = enabled * in_train * in_burst * int(k % period_steps == 0)
"""


def make_stimulator(tables: protocol.Tables | None = None) -> dict[str, b2.NeuronGroup]:
    """The stimulator's channels by name, silent (``enabled = 0``) until one is switched on.

    With ``tables``, a channel's train follows the run's protocol
    (:data:`depnet.circuits.protocol.STIMULATOR`), set before the pulse test in every step.
    """
    return {channel: _make_channel(channel, tables) for channel in CHANNELS}


def _make_channel(channel: str, tables: protocol.Tables | None) -> b2.NeuronGroup:
    name = f"stimulator_{channel}"
    code, namespace = PULSE_CODE, {}
    if tables is not None:
        slots = tables.add(name, protocol.STIMULATOR, per_cell=False)
        code, namespace = protocol.update_code(slots) + "\n" + code, tables.namespace(slots)
    equations = STIMULATOR_EQUATIONS + protocol.epoch_declaration()
    group = b2.NeuronGroup(1, equations, name=name, namespace=namespace)
    for key, value in protocol.STIMULATOR_BASE.items():
        setattr(group, key, value)  # a valid train: modulo by zero must never happen
    group.run_regularly(code, when="start", order=-5, name=f"{name}_pulses")
    return group


def link_pulses(group: b2.NeuronGroup, stimulator: dict[str, b2.NeuronGroup]) -> None:
    """Let every cell of ``group`` read every channel's pulse (``pulse_a``, ``pulse_b``)."""
    for channel, source in stimulator.items():
        setattr(group, f"pulse_{channel}", b2.linked_var(source, "pulse"))
