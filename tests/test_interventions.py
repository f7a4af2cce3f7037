"""Interventions and traits: declared in TOML, scheduled into epochs, acting on the circuit.

The science tests of each intervention (VALIDATION.md rows) run the whole circuit and live in
tests/validation/; these check the machinery on the small raphe-sgACC loop.
"""

from __future__ import annotations

import brian2 as b2
import numpy as np
import pytest
from brian2 import ms, nM, pA, second

from depnet import devices
from depnet.circuits.stimulation import make_stimulator
from depnet.run import build_network, intervention_epochs, run_scenario
from depnet.scenarios.interventions import KINDS, TRAITS
from depnet.scenarios.interventions.base import Window
from depnet.scenarios.interventions.stimulation import DBS, PAS, RTMS
from depnet.scenarios.schedule import Slot
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
        "kind": "ssri", "start": "200 ms", "stop": None, "occupancy": "0.6",
    }  # fmt: skip


def _epochs(doc):
    spec = parse_scenario(doc)
    with devices.activated("runtime"):
        circuit, _, _, _, values = build_network(spec)
        return intervention_epochs(spec, circuit, values)


def _value(epoch, owner: str, variable: str, rows=None):
    for slot, value in epoch.settings:
        if (slot.owner.name, slot.variable) == (owner, variable) and (
            rows is None or slot.rows == rows
        ):
            return value
    raise KeyError((owner, variable))


def test_run_is_cut_at_starts_and_stops_and_variables_return_to_base():
    epochs, warnings = _epochs(loop([{"kind": "ssri", "start": "0.2 s", "stop": "0.6 s"}]))
    assert [float(e.start) for e in epochs] == pytest.approx([0, 0.2, 0.6])
    assert [_value(e, "serotonin", "ssri_occupancy") for e in epochs] == [0.0, 0.8, 0.0]
    assert warnings == []


def test_effects_on_one_variable_compose_and_traits_hold_throughout():
    """Stress's lost raphe current and the C(-1019)G autoreceptor gain both act on drn_5ht."""
    epochs, warnings = _epochs(
        loop(
            [{"kind": "chronic_stress", "start": "0.5 s", "raphe_current_loss": "4 pA"}],
            traits={"htr1a_c1019g": "g/g"},
        )
    )
    currents = [_value(e, "neurons", "I_stim", slice(0, 100)) for e in epochs]
    assert currents[0] == 0 * pA and currents[1] == -4 * pA
    girk = [_value(e, "neurons", "g_girk_max", slice(0, 100)) for e in epochs]
    assert girk[0] == girk[1] and float(girk[0]) > 0  # the trait scales it from the start
    # no structural plasticity in this loop: stress's density effects are reported, not dropped
    assert any("stress on structural" in w for w in warnings)


def _pulse_steps(kind, settings: dict, duration, dt=0.1 * ms) -> np.ndarray:
    """Steps at which stimulator channel a pulses, from the kind's own settings (runtime)."""
    filled = {k: p.value for k, p in kind.parameters.items()} | {
        k: v[0] for k, v in kind.choices.items()
    } | settings  # fmt: skip
    (block,) = kind.blocks(filled, Window(0 * second, duration, duration, dt))
    with devices.activated("runtime"):
        b2.defaultclock.dt = dt
        stim = make_stimulator()["a"]
        for effect in block.effects:
            if effect.target == "stimulator.a":
                Slot(stim, effect.variable).assign(effect.value)
        monitor = b2.StateMonitor(stim, "pulse", record=[0], when="end")
        b2.Network(stim, monitor).run(duration)
        return np.flatnonzero(monitor.pulse[0] > 0)


def test_10_hz_rtms_gives_ten_pulses_per_second_on_the_time_grid():
    pulses = _pulse_steps(RTMS, {"train_on": 1 * second}, 1 * second)
    assert len(pulses) == 10
    assert np.all(np.diff(pulses) == 1000)


def test_intermittent_theta_burst_is_triplets_at_50_hz_repeated_at_5_hz():
    """iTBS (Huang et al. 2005 Neuron 45:201): 2 s of 3 pulses at 50 Hz every 200 ms, 8 s off."""
    pulses = _pulse_steps(RTMS, {"pattern": "itbs"}, 2.5 * second)
    assert len(pulses) == 30  # 10 bursts in the 2 s train, none in the pause after it
    assert list(np.diff(pulses[:4])) == [200, 200, 1600]


def test_dbs_pulses_at_130_hz():
    pulses = _pulse_steps(DBS, {}, 1 * second)
    assert abs(len(pulses) - 130) <= 1


def test_pas_pairs_a_conditioning_pulse_with_a_later_one():
    settings = {k: p.value for k, p in PAS.parameters.items()}
    (block,) = PAS.blocks(settings, Window(0 * second, 1 * second, 1 * second, 0.1 * ms))
    phases = {e.target: e.value for e in block.effects if e.variable == "phase_steps"}
    assert phases == {"stimulator.a": 0, "stimulator.b": 100}  # 10 ms later


@pytest.fixture(scope="module")
def ssri_loop(tmp_path_factory):
    """The raphe-sgACC loop on cpp, an SSRI from 1 s to 2 s of 3 s."""
    doc = loop([{"kind": "ssri", "start": "1 s", "stop": "2 s"}], duration="3 s", warmup="0.5 s")
    doc["parameters"] = {"serotonin.desensitization_compression": 1.0}  # acute: no adaptation
    out = tmp_path_factory.mktemp("ssri") / "loop.zarr"
    run_scenario(parse_scenario(doc), device="cpp", out=out, progress=False)
    from depnet.analysis import open_run

    return open_run(out)


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
    """Interventions change variables, not the network: the treatment library shares the build
    of healthy_plastic, the C2 protocol (sgacc_switching*) that of healthy, the builds the slow
    CUDA compile test compiles (tests/test_devices.py)."""
    from depnet.run import structure_key
    from depnet.scenarios import SCENARIO_DIR
    from depnet.spec import load_scenario

    specs = {path.stem: load_scenario(path) for path in SCENARIO_DIR.glob("*.toml")}
    key = {name: structure_key(spec, "cuda") for name, spec in specs.items()}
    library = [name for name, spec in specs.items() if spec.interventions]
    assert len(library) >= 12
    for name in library:
        plain = "healthy" if name.startswith("sgacc_switching") else "healthy_plastic"
        assert key[name] == key[plain], name


def test_interventions_command_lists_kinds_settings_and_sources():
    from tests.conftest import depnet_cli

    result = depnet_cli("interventions")
    assert result.returncode == 0
    for name in [*KINDS, *TRAITS]:
        assert f"= {name}:" in result.stdout
    assert "occupancy = 0.8    # Meyer et al. 2004" in result.stdout
