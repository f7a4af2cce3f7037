"""The delay task (VALIDATION.md C3): the cue as an intervention, and its measures read off a
store (``depnet.analysis.working_memory``) on runs of known rates."""

from __future__ import annotations

import numpy as np
import pytest
from brian2 import pA, second

from depnet.analysis.synthetic import poisson_trains, synthetic_run
from depnet.analysis.working_memory import cue_rates, cue_response, delay_activity
from depnet.errors import StoreError
from depnet.rundata import Spikes
from depnet.scenarios.interventions.base import Window
from depnet.scenarios.interventions.stimulation import CURRENT

CUE = {"kind": "current", "population": "dlpfc_exc", "start": "2 s", "stop": "2.25 s",
       "current": "300 pA", "fraction": 0.2}  # fmt: skip


def _run(delay_rate: float, cue: dict | None = CUE, duration: float = 4.0):
    """100 DLPFC pyramids at 2 Hz; the first 20 at 40 Hz during the cue and at
    ``delay_rate`` Hz from the cue's end on."""
    rng = np.random.default_rng(1)
    parts = [poisson_trains(2.0, duration, 100, rng)]
    cued = [(poisson_trains(38.0, 0.25, 20, rng), 2.0)]
    if delay_rate > 2.0:
        cued.append((poisson_trains(delay_rate - 2.0, duration - 2.25, 20, rng), 2.25))
    neuron = np.concatenate([parts[0].neuron] + [s.neuron for s, _ in cued])
    time = np.concatenate([parts[0].time] + [s.time + t0 for s, t0 in cued])
    order = np.argsort(time, kind="stable")
    spikes = Spikes(neuron=neuron[order].astype(np.int32), time=time[order], n_neurons=100)
    scenario = {"interventions": [cue] if cue else []}
    return synthetic_run({"dlpfc_exc": spikes}, duration, attrs={"scenario": scenario})


def test_delay_activity_is_how_much_faster_the_cued_cells_fire_through_the_delay():
    """Cued cells held at 12 Hz through the delay against the others' 2 Hz: about 10 Hz."""
    assert delay_activity(_run(12.0)) == pytest.approx(10.0, abs=1.5)


def test_a_network_that_forgets_the_cue_has_no_delay_activity_but_a_cue_response():
    tree = _run(2.0)
    assert abs(delay_activity(tree)) < 1.0
    assert cue_response(tree) == pytest.approx(38.0, abs=4.0)


def test_the_windows_are_read_from_the_stored_cue():
    rates = cue_rates(_run(2.0))
    assert rates.attrs["windows_s"] == {
        "before": [1.0, 2.0], "cue": [2.0, 2.25], "delay": [2.5, 3.5],
    }  # fmt: skip
    assert list(rates["cells"].values) == ["cued", "uncued"]


def test_a_run_without_a_cue_is_a_one_line_error():
    with pytest.raises(StoreError, match="no cue") as err:
        delay_activity(_run(2.0, cue=None))
    assert "\n" not in str(err.value)


def test_a_delay_past_the_run_s_end_is_a_one_line_error():
    with pytest.raises(StoreError, match="does not fit the run"):
        delay_activity(_run(2.0, duration=3.0))


def test_the_cue_reaches_only_its_share_of_the_population():
    """``fraction`` 0.15 of a ``current``: the effect covers the first 15% of the cells."""
    settings = {"population": "dlpfc_exc", "current": 300 * pA, "fraction": 0.15}
    window = Window(2 * second, 2.25 * second, 4 * second, 0.1e-3 * second)
    (block,) = CURRENT.blocks(settings, window)
    (effect,) = block.effects
    assert effect.cells == (0.0, 0.15)
    assert effect.variable == "I_stim" and effect.op == "add"
