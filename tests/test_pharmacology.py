"""SSRIs by dose: plasma levels, competitive SERT binding, and drug levels on the slow clock.

The whole circuit against Meyer et al. 2004's PET occupancies (VALIDATION.md R7) runs in the slow
stage (tests/validation/test_serotonin_pharmacology.py); these check the mechanism on the
[5-HT] compartments alone, with Brian2's runtime device.
"""

from __future__ import annotations

import math

import brian2 as b2
import pytest
from brian2 import mgram, ms, nM, second

from depnet import devices
from depnet.circuits import serotonin
from depnet.errors import ScenarioError
from depnet.run import network_data, scenario_schedule
from depnet.scenarios.interventions.pharmacokinetics import DAY, DRUGS, HOUR, LITRE_PER_HOUR
from depnet.spec import parse_scenario

VALUES = {k: p.value for k, p in serotonin.PARAMETERS.items()}


def _compartment(c_5ht: float, time_compression: float = 86400.0, **shared) -> b2.NeuronGroup:
    """One frontal-cortex [5-HT] compartment (SERT density 1), no release."""
    group = serotonin.make_compartments(
        ["dlpfc"], {**VALUES, **shared}, {"dlpfc": 1.0}, {"dlpfc": 1.0}, 1, 1,
        time_compression=time_compression,
    )  # fmt: skip
    group.c_5ht = c_5ht * nM
    return group


def test_a_daily_dose_sustains_dose_over_clearance_in_plasma():
    """One-compartment steady state: escitalopram 10 mg a day at an oral clearance of 36 l/h
    (Rao 2007) averages 10 mg / (36 l/h * 24 h) = 11.6 ng/ml = 35.7 nM (324.4 g/mol), twice that
    on 20 mg."""
    drug = DRUGS["escitalopram"]
    assert float(drug.oral_clearance.value / LITRE_PER_HOUR) == pytest.approx(36)
    assert float(drug.steady_plasma(10 * mgram) / nM) == pytest.approx(35.68, abs=0.01)
    assert float(drug.steady_plasma(20 * mgram) / drug.steady_plasma(10 * mgram)) == 2
    # the free share over Ki: 0.44 * 35.7 nM / 1.1 nM
    assert drug.load(drug.steady_plasma(10 * mgram)) == pytest.approx(14.27, abs=0.01)


@pytest.mark.parametrize("c_5ht", [20.0, 65.0, 300.0])
def test_ssri_blocks_sert_competitively_with_serotonin(c_5ht):
    """VALIDATION.md R7 (Best, Nijhout & Reed 2010): the drug binds SERT competitively with
    5-HT, occupancy L / (1 + L + [5-HT]/Km) with L its free concentration over Ki, and the free
    transporters clear 5-HT at the competitive-inhibition rate Vmax [5-HT] / (Km (1 + L) +
    [5-HT]): exactly, at [5-HT] below, at and far above Km (60 nM)."""
    load = 14.3  # escitalopram 10 mg a day
    with devices.activated("runtime"):
        group = _compartment(c_5ht)
        group.ssri_load = load
        network = b2.Network(group)
        network.run(b2.defaultclock.dt)
        km, vmax = float(VALUES["km_sert"] / nM), float(VALUES["vmax_sert"] / (nM / second))
        tau = float(VALUES["tau_other"] / second)
        dt = float(b2.defaultclock.dt / second)
        assert group.occupancy_sert[0] == pytest.approx(load / (1 + load + c_5ht / km), rel=1e-9)
        competitive = vmax * c_5ht / (km * (1 + load) + c_5ht) + c_5ht / tau
        assert float(group.c_5ht[0] / nM) == pytest.approx(c_5ht - dt * competitive, rel=1e-9)


def test_without_a_drug_nothing_is_occupied_and_the_shortcut_adds():
    """No SSRI: SERT free. The ``generic`` shortcut's occupancy holds whatever [5-HT] is."""
    with devices.activated("runtime"):
        group = _compartment(300.0, ssri_occupancy=0.8)
        b2.Network(group).run(1 * ms)
        assert group.occupancy_sert[0] == pytest.approx(0.8, rel=1e-12)
    with devices.activated("runtime"):
        group = _compartment(65.0)
        b2.Network(group).run(1 * ms)
        assert group.occupancy_sert[0] == 0


def _load_after(duration: b2.Quantity, compression: float) -> tuple[float, float, float]:
    """Escitalopram from the first dose: (its load, the raphe's desensitization rate and the
    [5-HT] left of 65 nM without a drug after 10 ms), with one simulated second standing for
    ``compression`` seconds of the slow processes."""
    drug = DRUGS["escitalopram"]
    slow = {
        "time_compression": compression,
        "ssri_steady_load": 10.0,
        "ssri_elimination": drug.elimination_rate(),
    }
    with devices.activated("runtime"):
        group = _compartment(65.0, **slow)
        group.autoreceptors = 1.0
        b2.Network(group).run(duration)
        load, rate = float(group.ssri_load[0]), float(group.desensitization_rate[0] / b2.Hz)
    with devices.activated("runtime"):
        group = _compartment(65.0, time_compression=compression)
        b2.Network(group).run(10 * ms)
        left = float(group.c_5ht[0] / nM)
    return load, rate, left


def test_drug_levels_and_desensitization_follow_one_slow_clock_and_5ht_clearance_does_not():
    """The slow clock (``time_compression``, from ``[scenario] compressed_day``): escitalopram's
    level reaches half its steady value after one half-life (30 h, Sogaard et al. 2005) of slow
    time; doubling the compression halves the simulated time that takes and doubles the
    autoreceptors' desensitization rate, while SERT clears 5-HT (seconds, real time) at the
    same pace."""
    half_life = DRUGS["escitalopram"].half_life.value
    one_day = 86400.0 / 4  # a quarter day per ms of simulated time, about
    load, rate, left = _load_after(half_life / one_day, one_day)
    load2, rate2, left2 = _load_after(half_life / (2 * one_day), 2 * one_day)
    assert load == pytest.approx(5.0, rel=2e-3)
    assert load2 == pytest.approx(5.0, rel=2e-3)
    assert rate2 == pytest.approx(2 * rate, rel=1e-9)
    assert left2 == left
    assert left < 65.0  # cleared in the 10 ms


def _ssri(**settings) -> dict:
    doc = {
        "scenario": {"name": "dose", "duration": "4 s", "regions": ["drn", "sgacc"]},
        "regions": {"sgacc": {"n_exc": 400, "n_inh": 100}},
        "interventions": [{"kind": "ssri", "start": "1 s", "stop": "3 s", **settings}],
    }
    return parse_scenario(doc)


def test_a_dose_sets_its_steady_load_while_dosed_and_washes_out_after():
    """The schedule: from 1 s to 3 s the drug's steady load and elimination rate; from 3 s on,
    no more dosing but the same elimination (washout at the drug's half-life)."""
    spec = _ssri(drug="sertraline", daily_dose="50 mg")
    layout = network_data(spec, "cpp").layout
    schedule = scenario_schedule(spec, layout)
    drug = DRUGS["sertraline"]
    starts = [e.start for e in schedule.epochs]
    assert starts == [0.0, 1.0, 3.0]
    load = schedule.tables["protocol_serotonin_ssri_steady_load"][:3, 0]
    rate = schedule.tables["protocol_serotonin_ssri_elimination"][:3, 0]
    expected = drug.load(drug.steady_plasma(50 * mgram))
    assert list(load) == pytest.approx([0, expected, 0])
    k = math.log(2) / float(26 * HOUR / second)
    assert list(rate) == pytest.approx([0, k, k])
    # a plasma level instead of a dose: the load from that level
    spec = _ssri(drug="sertraline", plasma_concentration="97.2 nM")
    load = scenario_schedule(spec, layout).tables["protocol_serotonin_ssri_steady_load"][1, 0]
    assert load == pytest.approx(expected, rel=1e-3)


def test_a_stored_dosed_ssri_reads_back():
    """A stored scenario lists every setting (defaults too): it must load back as it ran."""
    spec = _ssri(drug="fluoxetine", daily_dose="20 mg")
    again = parse_scenario(spec.to_dict())
    assert again.to_dict() == spec.to_dict()
    assert spec.to_dict()["interventions"][0]["daily_dose"] == "20 mg"


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"drug": "prozac", "daily_dose": "20 mg"}, "drug: choose from generic, escitalopram"),
        ({"drug": "escitalopram"}, "escitalopram needs a daily_dose or a plasma_concentration"),
        ({"daily_dose": "20 mg"}, "daily_dose: name the drug"),
        ({"drug": "sertraline", "plasma_concentration": "-3 nM"}, "-3 nM is below 0 nM"),
        ({"drug": "sertraline", "daily_dose": "50 nM"}, "wrong units"),
    ],
)
def test_malformed_doses_are_refused_in_one_line(settings, message):
    with pytest.raises(ScenarioError) as error:
        _ssri(**settings)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_elimination_is_ln2_over_the_half_life():
    for drug in DRUGS.values():
        assert float(drug.elimination_rate() * drug.half_life.value) == pytest.approx(math.log(2))
    assert float(DRUGS["fluoxetine"].half_life.value / DAY) == 2.5
