"""Interventions and traits: declared in TOML, scheduled into epochs, acting on the circuit.

The science tests of each intervention (VALIDATION.md rows) run the whole circuit and live in
tests/validation/; these check the machinery on the small raphe-sgACC loop.
"""

from __future__ import annotations

import fnmatch

import brian2 as b2
import numpy as np
import pytest
from brian2 import Hz, ms, nM, pA, second

from depnet import devices
from depnet.circuits import dmn, hippocampus, pfc, protocol, raphe
from depnet.circuits.parameters import DEFAULT_PARAMETERS
from depnet.circuits.stimulation import make_stimulator
from depnet.errors import ScenarioError
from depnet.run import network_data, scenario_schedule
from depnet.scenarios.interventions import KINDS, TRAITS
from depnet.scenarios.interventions.base import Window
from depnet.scenarios.interventions.stimulation import DBS, ECT, PAS, RTMS, TDCS
from depnet.spec import parse_scenario

LOOP = {
    "scenario": {"name": "loop", "duration": "1 s", "regions": ["drn", "sgacc"]},
    "regions": {"sgacc": {"n_exc": 400, "n_inh": 100}},
}


def loop(interventions=(), traits=None, **scenario) -> dict:
    doc = {**LOOP, "scenario": {**LOOP["scenario"], **scenario}}
    doc["interventions"] = list(interventions)
    if traits:
        doc["traits"] = traits
    return doc


def test_every_kind_documents_its_parameters_with_units_and_sources():
    for kind in [*KINDS.values(), *TRAITS.values()]:
        assert kind.summary
        for name, p in kind.parameters.items():
            assert p.source.strip(), (kind.name, name)
            assert p.check(p.value) is p.value


def test_interventions_round_trip_through_the_stored_dict():
    spec = parse_scenario(
        loop(
            [{"kind": "ssri", "start": "0.2 s", "occupancy": 0.6}, {"kind": "dbs"}],
            traits={"htr1a_c1019g": "g/g"},
        )
    )
    again = parse_scenario(spec.to_dict())
    assert again.to_dict() == spec.to_dict()
    assert spec.to_dict()["interventions"][0] == {
        "kind": "ssri", "start": "200 ms", "stop": None, "drug": "generic", "occupancy": "0.6",
        "daily_dose": "0 mg", "plasma_concentration": "0 nM",
    }  # fmt: skip


def _schedule(doc):
    """The schedule of a loop scenario: epochs, tables, rows (a dry build for its layout)."""
    spec = parse_scenario(doc)
    return spec, scenario_schedule(spec, network_data(spec, "cpp").layout)


def _values(plan, owner: str, variable: str, cell: int | None = None) -> list[float]:
    """A protocol variable's value in each epoch (of one cell of a per-cell variable)."""
    table = plan.tables[protocol.table_name(owner, variable)]
    column = 0 if cell is None else plan.rows[owner][cell]
    return [float(table[k, column]) for k in range(len(plan.epochs))]


def test_run_is_cut_at_starts_and_stops_and_variables_return_to_base():
    _, plan = _schedule(loop([{"kind": "ssri", "start": "0.2 s", "stop": "0.6 s"}]))
    assert [e.start for e in plan.epochs] == pytest.approx([0, 0.2, 0.6])
    assert _values(plan, "serotonin", "ssri_occupancy") == [0.0, 0.8, 0.0]
    # the binary reads epoch starts half a step early (robust comparison on every clock)
    starts = plan.tables[protocol.STARTS]
    assert starts[1:3] == pytest.approx([0.2 - 0.05e-3, 0.6 - 0.05e-3])
    assert np.all(starts[3:] == protocol.NEVER)
    assert plan.warnings == []


def test_effects_on_one_variable_compose_and_traits_hold_throughout():
    """Stress's lost raphe current acts from its start; the C(-1019)G autoreceptor gain, a trait,
    scales the raphe's 5-HT1A GIRK conductance from the start (a parameter of the network)."""
    spec, plan = _schedule(
        loop(
            [{"kind": "chronic_stress", "start": "0.5 s", "raphe_current_loss": "4 pA"}],
            traits={"htr1a_c1019g": "g/g"},
        )
    )
    assert _values(plan, "neurons", "I_stim", cell=0) == [0.0, pytest.approx(-4e-12)]
    assert _values(plan, "neurons", "I_stim", cell=200) == [0.0, 0.0]  # sgACC: no change
    default = DEFAULT_PARAMETERS["drn_5ht.g_girk_max"].value
    assert spec.parameter_values()["drn_5ht.g_girk_max"] == 1.5 * default
    # no structural plasticity in this loop: stress's density effects are reported, not dropped
    assert any("stress on structural" in w for w in plan.warnings)


def test_cells_treated_alike_share_a_table_row():
    """PAS conditions the first quarter of DLPFC's pyramids and pulses the rest: two classes of
    DLPFC pyramids, one of every other cell of the group."""
    doc = loop([{"kind": "pas", "start": "0.2 s", "stop": "0.4 s"}], regions=["drn", "dlpfc"])
    doc["regions"] = {}
    _, plan = _schedule(doc)
    rows = plan.rows["neurons"]
    assert len(set(rows.tolist())) == 3
    gain_a = _values(plan, "neurons", "stim_gain_a", cell=int(np.flatnonzero(rows == rows[125])[0]))
    assert gain_a[0] == 0 and gain_a[1] > 0


def test_a_protocol_beyond_the_tables_is_refused_in_one_line():
    many = [{"kind": "ssri", "start": f"{0.01 * k:.2f} s", "stop": f"{0.01 * k + 0.005:.3f} s"}
            for k in range(1, 36)]  # fmt: skip
    with pytest.raises(ScenarioError, match=r"71 epochs; a build holds at most 64"):
        parse_scenario(loop(many))


def test_an_effect_off_the_protocol_grid_is_refused_in_one_line():
    with pytest.raises(ScenarioError, match=r"interventions.0: ssri starts or stops at 0.2005 s"):
        parse_scenario(loop([{"kind": "ssri", "start": "0.2005 s"}]))


def _pulse_steps(kind, settings: dict, duration, dt=0.1 * ms, day=1 * second) -> np.ndarray:
    """Steps at which stimulator channel a pulses, from the kind's own settings (runtime), on a
    slow clock whose day lasts ``day``."""
    filled = {k: p.value for k, p in kind.parameters.items()} | {
        k: v[0] for k, v in kind.choices.items()
    } | settings  # fmt: skip
    blocks = kind.blocks(filled, Window(0 * second, duration, duration, dt, day))
    (block,) = [b for b in blocks if any(e.target == "stimulator.a" for e in b.effects)]
    with devices.activated("runtime"):
        b2.defaultclock.dt = dt
        stim = make_stimulator()["a"]
        for effect in block.effects:
            if effect.target == "stimulator.a":
                setattr(stim, effect.variable, effect.value)
        monitor = b2.StateMonitor(stim, "pulse", record=[0], when="end")
        b2.Network(stim, monitor).run(duration)
        return np.flatnonzero(monitor.pulse[0] > 0)


def test_a_10_hz_rtms_session_keeps_ten_pulses_per_second_on_the_time_grid():
    pulses = _pulse_steps(RTMS, {"session_duration": 1 * second}, 2 * second, day=2 * second)
    assert len(pulses) == 10
    assert np.all(np.diff(pulses) == 1000)


def test_an_rtms_course_is_n_sessions_a_day_over_d_days_of_the_slow_clock():
    """A course of 2 sessions a day over 3 days (days of 1 s: sessions every 0.5 s), each 0.3 s
    of the 10 Hz protocol (O'Reardon et al. 2007), so 3 pulses 100 ms apart per session; on a
    clock with days of 2 s the same course takes twice the simulated time, with the same pulse
    timing inside each session."""
    for day, days in ((1 * second, 3), (2 * second, 3)):
        settings = {"sessions_per_day": 2.0, "session_duration": 0.3 * second}
        pulses = _pulse_steps(RTMS, settings, days * day, dt=1 * ms, day=day)
        sessions = np.split(pulses, np.flatnonzero(np.diff(pulses) > 100) + 1)
        assert len(sessions) == 2 * days
        assert [len(s) for s in sessions] == [3] * (2 * days)
        assert all(np.all(np.diff(s) == 100) for s in sessions)
        between = int(round(float(day / (2 * ms))))
        assert [int(s[0]) for s in sessions] == [k * between for k in range(2 * days)]


def test_an_rtms_session_that_does_not_fit_its_share_of_the_day_is_refused_in_one_line():
    with pytest.raises(
        ScenarioError,
        match=r"interventions.0.session_duration: 600 ms is not "
        r"shorter than the time between sessions on the slow clock \(500 ms",
    ):
        parse_scenario(loop([{"kind": "rtms", "start": "0.2 s", "sessions_per_day": 2,
                              "session_duration": "0.6 s"}], regions=["drn", "dlpfc"]))  # fmt: skip


def test_a_tdcs_course_holds_its_current_for_each_session_of_each_day():
    """tDCS as a course (SELECT-TDCS: one session a day): 2 sessions a day over 3 days, each
    0.3 s of current; on a clock of 2 s a day the sessions are twice as far apart and as long."""
    settings = {k: p.value for k, p in TDCS.parameters.items()} | {
        "polarity": "anodal", "sessions_per_day": 2.0, "session_duration": 0.3 * second,
    }  # fmt: skip
    for day in (1 * second, 2 * second):
        window = Window(0 * second, 3 * day, 3 * day, 0.1 * ms, day)
        blocks = [b for b in TDCS.blocks(settings, window) if b.effects[0].variable == "I_stim"]
        assert [float(b.start / day) for b in blocks] == pytest.approx([0, 0.5, 1, 1.5, 2, 2.5])
        assert [float(b.stop - b.start) for b in blocks] == pytest.approx([0.3] * 6)
        currents = {e.target: e.value for e in blocks[0].effects if e.variable == "I_stim"}
        assert currents == {"dlpfc_exc": 10 * pA, "dlpfc_inh": 3 * pA}


def test_a_tdcs_course_longer_than_the_protocol_holds_is_refused_in_one_line():
    with pytest.raises(ScenarioError, match=r"epochs; a build holds at most 64"):
        parse_scenario(loop([{"kind": "tdcs", "start": "0.1 s"}], regions=["drn", "dlpfc"],
                            duration="40 s"))  # fmt: skip


def test_a_current_goes_into_the_one_population_named():
    current = {"kind": "current", "population": "sgacc_exc", "current": "200 pA", "start": "0.3 s"}
    (item,) = parse_scenario(loop([current])).interventions
    (block,) = item.kind.blocks(item.settings, item.window(1 * second, 0.1 * ms, 1 * second))
    assert [(e.target, e.variable, e.value) for e in block.effects] == [
        ("sgacc_exc", "I_stim", 200 * pA)
    ]
    with pytest.raises(ScenarioError, match=r"population: required"):
        parse_scenario(loop([{"kind": "current", "start": "0.3 s"}]))


def test_intermittent_theta_burst_is_triplets_at_50_hz_repeated_at_5_hz():
    """iTBS (Huang et al. 2005 Neuron 45:201): 3 pulses at 50 Hz every 200 ms within a train;
    a session here is the start of one train (two bursts in 0.4 s), once a day."""
    pulses = _pulse_steps(RTMS, {"pattern": "itbs"}, 2 * second)
    assert len(pulses) == 12  # 2 bursts a session, one session a (1 s) day
    assert list(np.diff(pulses[:4])) == [200, 200, 1600]
    assert int(pulses[6]) == 10000  # the next day


def test_dbs_pulses_at_130_hz():
    pulses = _pulse_steps(DBS, {}, 1 * second)
    assert abs(len(pulses) - 130) <= 1


def test_pas25_volley_reaches_the_conditioned_cells_5_ms_before_the_pulse():
    """PAS25 (Stefan et al. 2000): the peripheral stimulus 25 ms before the TMS pulse; its volley
    arrives after the N20 latency, 20 ms. At dt = 0.1 ms: conditioned cells at step 200 of each
    pair, TMS-fired ones at 250. PAS10 (interval 10 ms) reverses the order."""
    settings = {k: p.value for k, p in PAS.parameters.items()}
    window = Window(0 * second, 1 * second, 1 * second, 0.1 * ms)

    def phases(settings):
        (block,) = PAS.blocks(settings, window)
        return {e.target: e.value for e in block.effects if e.variable == "phase_steps"}

    assert phases(settings) == {"stimulator.a": 200, "stimulator.b": 250}
    assert phases(settings | {"interval": 10 * ms}) == {"stimulator.a": 200, "stimulator.b": 100}


def test_an_ect_course_is_three_seizures_a_week_of_synchronous_volleys():
    """ECT three times a week (UK ECT Review Group 2003) on the default slow clock (one second a
    day): a session every 7/3 s, on the 100 ms grid of the volleys 2.3 s, each half a second of
    volleys at 10 Hz, so 5 volleys per session and three sessions in a week."""
    dt = 1 * ms
    pulses = _pulse_steps(ECT, {}, 6.8 * second, dt=dt)  # a fourth session at 6.9 s
    sessions = np.split(pulses, np.flatnonzero(np.diff(pulses) > 100) + 1)
    assert [len(s) for s in sessions] == [5, 5, 5]
    assert [int(s[0]) for s in sessions] == [0, 2300, 4600]
    assert all(np.all(np.diff(s) == 100) for s in sessions)
    # 3 Hz volleys (333 steps): sessions 7 volley periods apart, each opening with a volley
    pulses = _pulse_steps(ECT, {"discharge_frequency": 3 * Hz}, 6.9 * second, dt=dt)
    assert list(pulses) == [0, 333, 2331, 2664, 4662, 4995]


def test_ect_recruits_every_cortical_and_hippocampal_population_but_not_the_raphe():
    block, *clock = ECT.blocks(
        {k: p.value for k, p in ECT.parameters.items()},
        Window(0 * second, 1 * second, 1 * second, 0.1 * ms),
    )
    assert all(e.variable == "time_compression" for b in clock for e in b.effects)
    targets = [e.target for e in block.effects if e.variable == "stim_gain_a"]
    forebrain = [
        f"{region}_{cells}"
        for module in (pfc, dmn, hippocampus)
        for region, sizes in module.REGIONS.items()
        for cells in sizes
    ]
    raphe_populations = [f"drn_{cells}" for cells in raphe.REGIONS["drn"]]
    assert len(forebrain) == 14
    assert all(any(fnmatch.fnmatch(p, t) for t in targets) for p in forebrain)
    assert not any(fnmatch.fnmatch(p, t) for p in raphe_populations for t in targets)


@pytest.fixture(scope="module")
def ssri_loop(shared_runs):
    """The raphe-sgACC loop on cpp, an SSRI from 1 s to 2 s of 3 s."""
    from depnet.analysis import open_run

    doc = loop([{"kind": "ssri", "start": "1 s", "stop": "2 s"}], duration="3 s", warmup="0.5 s")
    doc["scenario"]["compressed_day"] = "86400 s"  # acute: real time, no adaptation
    return open_run(shared_runs(parse_scenario(doc)))


def test_acute_ssri_block_raises_raphe_serotonin_only_while_it_lasts(ssri_loop):
    """SERT block raises [5-HT] in the raphe (R6) while the SSRI is present; washout lowers it."""
    c = ssri_loop["serotonin"].ds.c_5ht.sel(region="drn")
    before = float(c.sel(time=slice(0.5, 1.0)).mean())
    during = float(c.sel(time=slice(1.5, 2.0)).mean())
    after = float(c.sel(time=slice(2.5, 3.0)).mean())
    assert during > 1.3 * before
    assert after < during
    assert before > 50 * float(nM / nM)  # a settled FSCAV-frame baseline (~110 nM)
    interventions = ssri_loop.attrs["scenario"]["interventions"]
    assert interventions[0]["kind"] == "ssri" and interventions[0]["stop"] == "2 s"


def test_scenarios_with_interventions_share_a_build_with_a_plain_scenario():
    """Interventions are data: the C2 protocol (sgacc_switching*) and C3's delay task
    (working_memory) share the network of healthy, the treatment library that of
    healthy_plastic (tests/test_engine.py builds it once)."""
    from depnet.scenarios import SCENARIO_DIR
    from depnet.spec import load_scenario

    specs = {path.stem: load_scenario(path) for path in SCENARIO_DIR.glob("*.toml")}
    fingerprint = {name: network_data(spec, "cpp").fingerprint for name, spec in specs.items()}
    with_interventions = [name for name, spec in specs.items() if spec.interventions]
    assert len(with_interventions) >= 12
    for name in with_interventions:
        static = name.startswith("sgacc_switching") or name == "working_memory"
        plain = "healthy" if static else "healthy_plastic"
        assert fingerprint[name] == fingerprint[plain], name
    assert len(set(fingerprint.values())) == 4  # healthy(_plastic), raphe_pfc(_plastic)


def test_interventions_command_lists_kinds_settings_and_sources():
    from tests.conftest import depnet_cli

    result = depnet_cli("interventions")
    assert result.returncode == 0
    for name in [*KINDS, *TRAITS]:
        assert f"= {name}:" in result.stdout
    assert "    occupancy = 0.8    # drug = generic: " in result.stdout
    # the drug table: 10 mg/day escitalopram at 36 l/h oral clearance, 324.4 g/mol
    assert "escitalopram (molar mass 324.4 g/mol): 10 mg a day" in result.stdout
    assert "sustains 35.7 nM in plasma" in result.stdout
    assert "half_life = 30 h    # 27-33 h (Sogaard et al. 2005" in result.stdout


def test_early_life_stress_silences_a_share_of_schaffer_synapses_at_the_start():
    """Early-life stress lowers baseline CA3->CA1 synapse density (VALIDATION.md C5's direction)
    without another network: 3% (moderate) of the pool's present synapses start absent, drawn
    from the seed, and the rest of the circuit is drawn as without the trait."""
    from depnet.run import build_network
    from depnet.scenarios import scenario_path
    from depnet.spec import load_scenario

    present = {}
    for severity in ("none", "moderate"):
        spec = load_scenario(
            scenario_path("healthy_plastic"), {"traits.early_life_stress": severity}
        )
        with devices.activated("runtime"):
            circuit, _, _ = build_network(spec)
            pool = circuit.plastic["ca3_exc_to_ca1_exc"]
            other = circuit.plastic["dlpfc_exc_to_dlpfc_exc"]
            present[severity] = (np.array(pool.present[:]), np.array(other.present[:]))
    (none, dlpfc_none), (moderate, dlpfc_moderate) = present["none"], present["moderate"]
    assert moderate.sum() == round(0.97 * none.sum())
    assert np.all(moderate <= none)  # silenced, not moved
    np.testing.assert_array_equal(dlpfc_moderate, dlpfc_none)
