"""One slow clock: ``[scenario] compressed_day`` sets how fast every slow process runs.

Slow processes (structural change and the calcium and BDNF traces that drive it, autoreceptor
desensitization, drug levels, the days of a treatment course) follow the clock: halve its speed
and they take twice the simulated time. Fast processes (spikes, synaptic currents, the pulse
timing inside a stimulation session) keep real time. The drug levels and desensitization are
tested on the clock in ``test_pharmacology.py``, the course timing in ``test_interventions.py``.
"""

from __future__ import annotations

import brian2 as b2
import numpy as np
import pytest
from brian2 import Hz, ms, second

from depnet import devices
from depnet.circuits.build import build_circuit
from depnet.errors import ScenarioError
from depnet.plasticity_rules import structural as sp
from depnet.quantities import time_compression
from depnet.spec import parse_scenario

RATE = 5 * Hz  # the traces' reference rate: bdnf = 1 and Ca = beta_Ca * tau_Ca * 5 Hz there


def _traces_after_one_day(day: b2.Quantity) -> tuple[float, float, float, int]:
    """A cell firing regularly at 5 Hz from empty traces, for one day of a clock whose day
    lasts ``day``: its calcium, BDNF and element count, and its spike count."""
    block = sp.structural_neuron_block("linear")
    with devices.activated("runtime"):
        b2.defaultclock.dt = 0.5 * ms
        period = 1 / RATE
        n = int(round(float(day / period)))
        driver = b2.SpikeGeneratorGroup(1, np.zeros(n, int), np.arange(n) * period + 0.1 * ms)
        cell = b2.NeuronGroup(
            1,
            "x : 1\noccupancy_5ht7 : 1\nnmda_block : 1\n" + block.equations,
            threshold="x > 1",
            reset="x = 0; " + block.reset,
            method="euler",
        )
        sp.install_neuron_block(cell, block, time_compression=time_compression(day))
        cell.Ca, cell.bdnf = 0, 0
        force = b2.Synapses(driver, cell, on_pre="x_post = 2")
        force.connect()
        spikes = b2.SpikeMonitor(cell)
        b2.Network(driver, cell, force, spikes).run(day)
        return float(cell.Ca[0]), float(cell.bdnf[0]), float(cell.z_elem[0]), spikes.num_spikes


def test_the_structural_traces_follow_the_slow_clock_and_the_spikes_do_not():
    """One day of 5 Hz firing fills the calcium and BDNF traces (tau 10 days) to
    1 - exp(-1/10) = 9.5% of their steady level, on a clock of 1 s per day and of 2 s per day
    alike; the cell fires at 5 Hz of simulated time on both, so twice the spikes on the slower
    clock, each standing for half as many biological ones."""
    ca1, bdnf1, z1, spikes1 = _traces_after_one_day(1 * second)
    ca2, bdnf2, z2, spikes2 = _traces_after_one_day(2 * second)
    assert (spikes1, spikes2) == (5, 10)
    steady = 1 - np.exp(-0.1)
    params = sp.NEURON_PARAMETERS
    ca_steady = params["beta_Ca"].value * params["tau_Ca"].value * RATE
    # five or ten discrete spikes against the smooth filling: within 10%
    assert ca1 == pytest.approx(steady * ca_steady, rel=0.1)
    assert ca2 == pytest.approx(ca1, rel=0.1)
    assert bdnf1 == pytest.approx(steady, rel=0.1)
    assert bdnf2 == pytest.approx(bdnf1, rel=0.1)
    # elements grow below the set point at nu_z (0.1 a day): the same day's growth on both
    assert z1 == pytest.approx(z2, rel=0.05) and 0.05 < z1 < 0.1


def _small(day: str) -> dict:
    return {
        "scenario": {"name": "clock", "duration": "1 s", "regions": ["drn", "dlpfc"],
                     "compressed_day": day},
        "plasticity": {"dlpfc_exc_to_dlpfc_exc": {"rules": ["structural"]}},
    }  # fmt: skip


def test_one_clock_sets_every_slow_process_of_a_built_circuit():
    """The scenario's compressed_day reaches the serotonin compartments (desensitization, drug
    levels) and every structural population as one time compression: 2 s a day -> 43200."""
    spec = parse_scenario(_small("2 s"))
    with devices.activated("runtime"):
        circuit = build_circuit(
            spec.population_sizes(), spec.parameter_values(), spec.scenario.seed,
            spec.plasticity_specs(), compressed_day=spec.scenario.compressed_day,
        )  # fmt: skip
        groups = {o.name: o for o in circuit.objects if isinstance(o, b2.NeuronGroup)}
        assert float(groups["serotonin"].time_compression[:]) == 43200.0
        structural = [g for g in groups.values() if "Ca" in g.variables]
        assert [float(g.time_compression[:]) for g in structural] == [43200.0]


@pytest.mark.parametrize(
    "path", ["serotonin.desensitization_compression", "plasticity.dlpfc_exc.time_compression"]
)
def test_a_second_clock_cannot_be_set(path):
    """The clock is set once, in [scenario]; the parameters that were separate clocks are gone."""
    doc = _small("1 s") | {"parameters": {path: 1.0}}
    with pytest.raises(ScenarioError, match=r"unknown parameter"):
        parse_scenario(doc)


@pytest.mark.parametrize("day", ["0.1 ms", "2 days", "100000 s", "1 Hz"])
def test_an_impossible_clock_is_refused_in_one_line(day):
    with pytest.raises(ScenarioError) as err:
        parse_scenario(_small(day))
    assert "compressed_day" in str(err.value) and "\n" not in str(err.value)


def test_scenarios_on_two_clocks_do_not_share_their_initial_values():
    """The clock is an initial value of the network (``time_compression``), so it is part of
    the key under which a network's data is cached: one compiled build, two sets of values."""
    from depnet.run import value_key

    one, two = parse_scenario(_small("1 s")), parse_scenario(_small("2 s"))
    assert value_key(one, "cpp") != value_key(two, "cpp")


def test_an_analyst_reads_time_courses_in_days_of_the_runs_own_clock():
    """``in_days`` divides a store's time by its scenario's compressed_day: 3 s of a run with
    days of 500 ms are day 6; a store from before the clock was a setting reads 1 s a day."""
    import xarray as xr

    from depnet.analysis import compressed_day, in_days
    from depnet.errors import StoreError

    def store(clock: dict) -> xr.DataTree:
        return xr.DataTree(xr.Dataset(attrs={"scenario": {"scenario": clock}}))

    density = xr.DataArray([1.0, 0.9], coords={"time": [1.0, 3.0]}, dims="time")
    tree = store({"compressed_day": "500 ms"})
    assert compressed_day(tree) == 0.5
    assert list(in_days(density, tree)["day"].values) == [2.0, 6.0]
    assert compressed_day(store({})) == 1.0
    with pytest.raises(StoreError, match="not a time"):
        compressed_day(store({"compressed_day": "2 Hz"}))


def test_a_run_desensitizes_its_autoreceptors_at_the_pace_of_its_own_clock(tmp_path):
    """The whole path from the scenario file to the store: under a saturating 5-HT1A agonist
    (100 nM, ~99% occupancy, bound at once) the raphe autoreceptors uncouple over days (tau 4
    days, Le Poul et al. 1995's fit) until the coupled signal is back near its set point. Read
    in days of each run's clock, the time course is the same on a clock of 1 s a day and one of
    0.5 s a day (the slower clock takes twice the simulated time); in real time nothing
    uncouples in 2 s."""
    from depnet.analysis import in_days, open_run
    from depnet.run import run_scenario
    from tests.conftest import small_scenario

    def desensitized(day: str, duration: str):
        spec = small_scenario(
            duration, "0.5 s", compressed_day=day, serotonin__agonist_5ht1a="100 nM"
        )
        out = tmp_path / f"clock-{day.replace(' ', '')}.zarr"
        tree = open_run(run_scenario(spec, device="cpp", out=out, progress=False).store)
        share = tree["serotonin"]["desensitized_5ht1a"].sel(region="drn")
        return in_days(share, tree).swap_dims(time="day")

    days = [0.5, 1.0, 1.5, 2.0]
    one = desensitized("1 s", "2.1 s").sel(day=days, method="nearest").values
    half = desensitized("500 ms", "1.1 s").sel(day=days, method="nearest").values
    assert np.all(np.diff(one) > 0) and one[-1] > 0.1  # uncoupling over the two days
    np.testing.assert_allclose(half, one, rtol=0.05)
    assert float(desensitized("86400 s", "2 s").isel(day=-1)) < 1e-3


def test_a_structural_update_that_spans_too_much_of_a_day_is_refused_in_one_line():
    """An update every 100 ms on a clock of 100 ms a day would form and prune a day's worth at
    once: refused (at most half a day per update); the default clock's 0.1 day is fine."""
    with pytest.raises(ScenarioError, match=r"update_interval: 100 ms spans 1 days of the slow "):
        parse_scenario(_small("100 ms"))


def test_courses_and_drug_windows_stay_on_the_protocol_grid_on_any_clock():
    """On a clock of 0.3 s a day, three tDCS sessions a day over 2 s are 20 sessions, the last
    at 10.9 s, none at the window's end; ketamine's 2-day block lasts 0.6 s, on the 1 ms grid
    also on a clock of 1/3 s; in real time an ECT course is one session, with step counts in
    32-bit range."""
    from depnet.scenarios.interventions.base import Window
    from depnet.scenarios.interventions.drugs import KETAMINE
    from depnet.scenarios.interventions.stimulation import ECT, TDCS

    defaults = {k: p.value for k, p in TDCS.parameters.items()}
    tdcs = defaults | {"polarity": "anodal", "sessions_per_day": 3.0, "session_duration": 50 * ms}
    window = Window(9 * second, 11 * second, 15 * second, 0.1 * ms, 0.3 * second)
    blocks = [
        b for b in TDCS.blocks(tdcs, window) if any(e.variable == "I_stim" for e in b.effects)
    ]
    assert len(blocks) == 20 and float(blocks[-1].start) == pytest.approx(10.9)
    ketamine = {k: p.value for k, p in KETAMINE.parameters.items()} | {"given_by": "block"}
    for day, block_s in ((0.3 * second, 0.6), (1 / 3 * second, 0.667)):
        first = KETAMINE.blocks(ketamine, Window(1 * second, 9 * second, 9 * second, 0.1 * ms, day))
        assert float(first[0].stop - first[0].start) == pytest.approx(block_s)
    ect = {k: p.value for k, p in ECT.parameters.items()}
    real_time = Window(1 * second, 9 * second, 9 * second, 0.05 * ms, 86400 * second)
    (block,) = [
        b for b in ECT.blocks(ect, real_time) if b.start == 1 * second and b.stop == 9 * second
    ]
    period = next(e.value for e in block.effects if e.variable == "train_period_steps")
    assert period < 2**31 - 1


def _course(
    *interventions: dict,
    duration: str = "6 s",
    parameters: dict | None = None,
    regions: tuple[str, ...] = ("drn", "dlpfc"),
):
    """The schedule of a small circuit with learning (raphe and DLPFC, or ``regions``) under
    ``interventions``, and its epochs' lengths (s)."""
    from depnet.run import scenario_schedule

    doc = _small("1 s") | {"interventions": list(interventions), "parameters": parameters or {}}
    doc["scenario"] = doc["scenario"] | {"duration": duration, "regions": list(regions)}
    spec = parse_scenario(doc)
    with devices.activated("runtime"):
        circuit = build_circuit(
            spec.population_sizes(), spec.parameter_values(), spec.scenario.seed,
            spec.plasticity_specs(), compressed_day=spec.scenario.compressed_day,
        )  # fmt: skip
    plan = scenario_schedule(spec, circuit.layout)
    lengths = np.array([e.stop - e.start for e in plan.epochs])
    return plan, lengths


def _clock(plan, owner: str) -> np.ndarray:
    return plan.tables[f"protocol_{owner}_time_compression"][: len(plan.epochs), 0]


def test_a_session_runs_the_slow_clock_at_its_clinical_length_and_keeps_the_days():
    """Two daily tDCS sessions from day 2, each 0.4 s of current standing for a 30 min session
    (SELECT-TDCS): while a session lasts, the slow processes see 1800 s of biological time
    (4500 biological s per simulated s, not 86400), so its spikes count as 30 min of firing,
    not as 0.4 of a day; the rest of each day runs the clock faster by as much, so every day
    of the course still lasts one day: 6 days in 6 s, and the clock is back at its rate after
    the course. The serotonin compartments and the structural populations share the clock."""
    plan, lengths = _course({"kind": "tdcs", "start": "2 s", "stop": "4 s"})
    clock = _clock(plan, "serotonin")
    assert np.array_equal(clock, _clock(plan, "dlpfc_exc"))
    starts = [e.start for e in plan.epochs]
    assert starts == pytest.approx([0, 2, 2.4, 3, 3.4, 4])
    assert clock == pytest.approx([86400, 4500, 141000, 4500, 141000, 86400])
    assert float(np.sum(clock * lengths)) == pytest.approx(6 * 86400)
    assert clock[1] * lengths[1] == pytest.approx(1800)


def test_an_rtms_session_stands_for_the_time_its_clinical_trains_are_on():
    """A 10 Hz session's simulated 0.4 s (4 pulses) stands for the 300 s that a clinical
    session's 75 trains of 4 s are on (3000 pulses; O'Reardon et al. 2007): 750 biological s
    per simulated s; iTBS's for 20 trains of 2 s (600 pulses)."""
    plan, lengths = _course({"kind": "rtms", "start": "2 s", "stop": "3 s"})
    assert _clock(plan, "serotonin")[1] == pytest.approx(750)
    plan, _ = _course({"kind": "rtms", "pattern": "itbs", "start": "2 s", "stop": "3 s"})
    assert _clock(plan, "serotonin")[1] == pytest.approx(100)


@pytest.mark.parametrize(
    ("interventions", "message"),
    [
        (
            [{"kind": "tdcs", "start": "2 s", "stop": "3 s", "clinical_duration": "2 day"}],
            r"session_duration: a session of 400 ms standing for 172800 s does not fit its "
            r"period of 1 s",
        ),
        (
            [{"kind": "tdcs", "start": "2 s", "stop": "3 s"},
             {"kind": "rtms", "start": "2 s", "stop": "3 s"}],
            r"two treatment courses run the slow clock at once",
        ),
    ],
)  # fmt: skip
def test_sessions_that_do_not_fit_the_slow_clock_are_refused_in_one_line(interventions, message):
    with pytest.raises(ScenarioError, match=message) as err:
        _course(*interventions)
    assert "\n" not in str(err.value)


def test_a_structural_update_too_long_for_the_clock_between_sessions_is_refused_in_one_line():
    """Between a day's session of 0.4 s and the next day the clock runs 1.6 times its rate, so
    an update interval of 0.4 s (0.4 days at the scenario's rate, allowed) spans 0.65 days
    there."""
    path = "plasticity.dlpfc_exc_to_dlpfc_exc.update_interval"
    with pytest.raises(ScenarioError, match=rf"parameters.{path}: .* spans 0.65") as err:
        _course({"kind": "tdcs", "start": "2 s", "stop": "3 s"}, parameters={path: "0.4 s"})
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("course", "session_s", "regions"),
    [
        ({"kind": "rtms", "frequency": "7 Hz", "start": "2 s", "stop": "4 s"}, 0.4,
         ("drn", "dlpfc")),
        ({"kind": "ect", "discharge_frequency": "15 Hz", "start": "2 s", "stop": "6 s"}, 0.5,
         ("drn", "dlpfc", "ca1")),
    ],
)  # fmt: skip
def test_sessions_off_the_protocol_grid_run_the_clock_from_the_nearest_grid_point(
    course, session_s, regions
):
    """Sessions start on their pulse train's grid, 142.9 ms for 7 Hz rTMS (in 0.1 ms steps)
    and 66.7 ms for 15 Hz ECT (sessions every 2.3333 s), off the 1 ms protocol grid. The
    clock's epochs start on the grid point nearest each session's start and end, and every
    period still lasts its days."""
    plan, lengths = _course(course, duration="8 s", regions=regions)
    clock = _clock(plan, "serotonin")
    assert float(np.sum(clock * lengths)) == pytest.approx(8 * 86400)
    sessions = lengths[clock < 86400]
    assert sessions == pytest.approx(session_s, abs=1e-3)
