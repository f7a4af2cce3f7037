"""Scenario files: the shipped ones validate, malformed ones fail with one line and exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from brian2 import nS, second

from depnet.errors import ScenarioError
from depnet.scenarios import SCENARIO_DIR
from depnet.spec import load_scenario
from tests.conftest import depnet_cli

MALFORMED = sorted((Path(__file__).parent / "malformed").glob("*.toml"))


@pytest.mark.parametrize("path", sorted(SCENARIO_DIR.glob("*.toml")), ids=lambda p: p.stem)
def test_shipped_scenarios_validate(path):
    spec = load_scenario(path)
    assert spec.scenario.duration > 0 * second


def test_overrides_by_dotted_path_reach_the_parameter_table(default_scenario_file):
    spec = load_scenario(
        default_scenario_file,
        {"parameters.drn_5ht.g_girk_max": "9 nS", "scenario.seed": 7},
    )
    assert spec.parameter_values()["drn_5ht.g_girk_max"] == 9 * nS
    assert spec.scenario.seed == 7


def test_further_interventions_come_after_the_files_own():
    from depnet.scenarios import scenario_path

    spec = load_scenario(scenario_path("ketamine"), interventions=[{"kind": "rapamycin"}])
    kinds = [i.kind.name for i in spec.interventions]
    assert kinds[-1] == "rapamycin" and "ketamine" in kinds[:-1]
    with pytest.raises(ScenarioError, match="kind"):
        load_scenario(scenario_path("healthy"), interventions=[{"kind": "lithium"}])


def test_resolved_scenario_round_trips_through_its_dict(default_scenario_file):
    from depnet.spec import parse_scenario

    spec = load_scenario(default_scenario_file, {"parameters.serotonin.ssri_occupancy": 0.8})
    again = parse_scenario(spec.to_dict())
    assert again.to_dict() == spec.to_dict()


BASE = """
[scenario]
name = "base"
duration = "2 s"
warmup = "0.5 s"
regions = ["drn", "sgacc"]

[regions.drn]
n_5ht = 40
n_gaba = 10

[record]
traces = ["v"]
trace_neurons = 3

[[interventions]]
kind = "ssri"
"""


def test_a_scenario_that_extends_another_lays_its_own_tables_over_it(tmp_path):
    """Tables merge key by key ([scenario], [regions.drn], [record]); an array of tables
    ([[interventions]]) is replaced whole, so a child lists every intervention it has."""
    (tmp_path / "base.toml").write_text(BASE)
    child = tmp_path / "child.toml"
    child.write_text(
        'extends = "base.toml"\n[scenario]\nname = "child"\n[regions.drn]\nn_5ht = 60\n'
        '[record]\ntrace_neurons = 5\n[[interventions]]\nkind = "ketamine"\nstart = "1 s"\n'
    )
    spec = load_scenario(child)
    assert spec.name == "child" and spec.scenario.duration == 2 * second
    assert tuple(spec.scenario.regions) == ("drn", "sgacc")
    assert spec.regions["drn"] == {"5ht": 60, "gaba": 10}
    assert (spec.record.traces, spec.record.trace_neurons) == (("v",), 5)
    assert [item.kind.name for item in spec.interventions] == ["ketamine"]
    assert "extends" not in spec.to_json()  # the store holds the whole scenario


def test_extends_is_relative_to_each_file_and_chains(tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "base.toml").write_text(BASE)
    (tmp_path / "lib" / "middle.toml").write_text('extends = "base.toml"\n[scenario]\nseed = 7\n')
    top = tmp_path / "top.toml"
    top.write_text('extends = "lib/middle.toml"\n[scenario]\nname = "top"\n')
    spec = load_scenario(top)
    assert (spec.name, spec.scenario.seed, spec.scenario.duration) == ("top", 7, 2 * second)
    assert spec.to_json() == load_scenario(top, {"scenario.seed": 7}).to_json()


def test_an_error_in_a_base_names_the_chain_from_the_users_file(tmp_path):
    (tmp_path / "base.toml").write_text("[scenario\n")
    child = tmp_path / "child.toml"
    child.write_text('extends = "base.toml"\n')
    with pytest.raises(ScenarioError, match=rf"^{child}: extends {tmp_path / 'base.toml'}: not"):
        load_scenario(child)


def test_there_are_at_least_ten_malformed_examples():
    assert len(MALFORMED) >= 10


def _expected(path: Path) -> str:
    """What a malformed file's error must say: its first line, ``# error: <message>``."""
    first = path.read_text().splitlines()[0]
    assert first.startswith("# error: "), f"{path.name}: no '# error: <message>' first line"
    return first.removeprefix("# error: ")


@pytest.mark.parametrize("path", MALFORMED, ids=lambda p: p.stem)
def test_malformed_scenario_is_rejected_in_one_line_saying_why(path):
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    assert _expected(path) in message


def test_malformed_scenarios_exit_2_with_one_line_and_no_store(tmp_path, capsys, cli):
    """Through the command line, as a user meets it: `depnet run` on each malformed file, in this
    process (the next test runs one in a fresh interpreter)."""
    for path in MALFORMED:
        out = tmp_path / f"{path.stem}.zarr"
        status = cli(["run", str(path), "--device", "runtime", "--out", str(out)])
        stderr = capsys.readouterr().err
        assert status == 2, (path.name, stderr)
        lines = stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("depnet: error: "), (path.name, lines)
        assert path.name in lines[0] and _expected(path) in lines[0]
    assert list(tmp_path.iterdir()) == []


def test_a_malformed_scenario_exits_2_in_one_line_from_a_fresh_interpreter(tmp_path):
    path = MALFORMED[0]
    result = depnet_cli("run", str(path), "--device", "runtime", "--out", str(tmp_path / "s.zarr"))
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith(f"depnet: error: {path}")
    assert list(tmp_path.iterdir()) == []


def test_missing_scenario_file_is_one_line(tmp_path):
    result = depnet_cli("validate", str(tmp_path / "nowhere.toml"))
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == f"depnet: error: {tmp_path / 'nowhere.toml'}: no such scenario file"
    )
