"""The machinery of ``depnet sensitivity``: which parameters change, by how much, what flips, and
that a killed job resumes (the runs are replaced by a stand-in here; tests/validation runs
real points)."""

from __future__ import annotations

import json
import math

import brian2 as b2
import pytest

from depnet.circuits.parameters import DEFAULT_PARAMETERS
from depnet.errors import ScenarioError
from depnet.quantities import Parameter
from depnet.sensitivity import (
    DEFAULT_ROWS,
    changes,
    chosen_parameters,
    coverage,
    families,
    flips,
    flips_by_row,
    largest_change,
    load,
    margin_left,
    nearest_by_row,
    run_sensitivity,
    run_set_parameters,
    scaled,
    table_html,
    table_lines,
)
from depnet.validation import CHECKS, write_report
from tests.conftest import depnet_cli


def test_every_chosen_circuit_parameter_with_a_value_is_in_one_family():
    chosen = chosen_parameters()
    members = [m for group in families().values() for m in group]
    assert sorted(members) == sorted(chosen)
    assert all(DEFAULT_PARAMETERS[p].source.startswith("chosen") for p in chosen)
    assert not [p for p in chosen if float(DEFAULT_PARAMETERS[p].value) == 0]
    assert run_set_parameters(DEFAULT_ROWS) == set()
    assert len(families()["*.background_weight"]) == 16
    assert "serotonin.innervation.*" in families() and "projections.*.w_ampa" in families()


def test_a_family_changes_all_its_members_by_the_same_factor():
    down, up = changes(0.2, ["*.g_girk_max"])
    assert (down.key, up.key) == ("*.g_girk_max x0.8", "*.g_girk_max x1.2")
    assert down.values["drn_5ht.g_girk_max"] == "4.8 nS"
    assert up.values["drn_5ht.g_girk_max"] == "7.2 nS"
    assert set(down.values) == set(families()["*.g_girk_max"])
    each = changes(0.2, ["*.g_girk_max"], each=True)
    assert len(each) == 2 * len(down.values) and all(len(c.values) == 1 for c in each)


def test_part_of_a_family_is_changed_member_by_member_under_its_own_name():
    """A selection that keeps one population's GIRK conductance does not stand for the family."""
    points = changes(0.2, ["drn_5ht.g_girk_max"])
    assert [c.key for c in points] == ["drn_5ht.g_girk_max x0.8", "drn_5ht.g_girk_max x1.2"]


def test_potentials_are_shifted_by_millivolts_not_scaled():
    """20% of a potential has no meaning (its zero is arbitrary) and would put the raphe cell's
    reset (-60 mV) above its threshold (-50 mV): potentials move by 2 mV at the default step."""
    down, up = changes(0.2, ["*.V_reset"])
    assert (down.label, up.label) == ("-2 mV", "+2 mV")
    reset = float(DEFAULT_PARAMETERS["drn_5ht.V_reset"].value / b2.mV)
    assert down.values["drn_5ht.V_reset"] == f"{reset - 2:g} mV"
    threshold = float(DEFAULT_PARAMETERS["drn_5ht.V_th"].value / b2.mV)
    assert reset + 2 < threshold


def test_counts_are_rounded_and_values_are_clipped_to_their_range():
    in_degree = Parameter(40.0, "chosen: test", low=0)
    assert scaled(in_degree, 0.15, count=True) == (46.0, False)
    assert scaled(in_degree, 0.15) == (pytest.approx(46.0), False)
    degree = next(c for c in changes(0.15, ["projections.*.in_degree"]) if c.label == "x1.15")
    assert all(float(v) == round(float(v)) for v in degree.values.values())
    fraction = Parameter(0.9, "chosen: test", low=0.0, high=1.0)
    assert scaled(fraction, 0.2) == (1.0, True)
    # a family whose every member sits at its bound already is not a point
    at_top = {"x.a": Parameter(1.0, "chosen: t", high=1.0), "y.b": Parameter(2 * b2.nS, "c")}
    assert [c.key for c in changes(0.2, parameters=at_top)] == ["x.a x0.8"]


def test_bad_steps_and_selections_are_one_line_errors(cli, capsys):
    for step in (0.0, 1.0, -0.1, float("nan")):
        with pytest.raises(ScenarioError, match="between 0 and 1"):
            changes(step)
    with pytest.raises(ScenarioError, match="no chosen parameter matches nope"):
        changes(0.2, ["nope"])
    for args in (["--only", "nope"], ["--step", "nan"], ["--rows", "Q9"], ["--jobs", "0"]):
        assert cli(["sensitivity", *args, "--out", "/nonexistent/never"]) == 2, args
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("depnet: error: "), (args, err)


def _passing_values(row: str) -> dict[str, float]:
    """A value inside each of the row's bands."""
    values = {}
    for name, band in CHECKS[row].bands.items():
        low = band.low if band.low is not None else band.high - 1
        high = band.high if band.high is not None else band.low + 1
        values[name] = (low + high) / 2
    return values


class FakeRuns:
    """Stands in for the runs: R1's DRN rate rises with drn_5ht.I_bias_mean's factor and
    leaves its 0.5-3 Hz band above x1.14; R2 never moves."""

    def __init__(self, fail_on: str | None = None):
        self.calls: list[dict] = []
        self.fail_on = fail_on

    def __call__(self, values, seed, rows, device):
        self.calls.append(dict(values))
        if self.fail_on and self.fail_on in values:
            raise RuntimeError("the binary stopped\nsecond line")
        measures = {row: _passing_values(row) for row in rows}
        if "drn_5ht.I_bias_mean" in values:
            factor = float(values["drn_5ht.I_bias_mean"].split()[0]) / _bias_pa()
            measures["R1"]["DRN 5-HT rate"] = 1.75 * factor**4
        return measures


def _bias_pa() -> float:
    return float(DEFAULT_PARAMETERS["drn_5ht.I_bias_mean"].value / b2.pA)


def test_the_treatment_rows_also_vary_the_learning_rules_chosen_parameters():
    """The treatment rows run the circuit with learning: its rules' chosen parameters are
    changed too, from the value the scenario gives them (healthy_plastic.toml sets the DLPFC
    calcium set point to 0.0235), while the cells' state that interventions set (stress,
    rapamycin's block, scripted BDNF) is not a parameter; the static rows have no rules."""
    rows = ["P3", "P9"]
    groups = families(rows=rows)
    assert groups["plasticity.*.r_form"] == [
        "plasticity.dlpfc_exc_to_dlpfc_exc.r_form",
        "plasticity.ca3_exc_to_ca1_exc.r_form",
    ]
    assert "plasticity.*.bdnf_translation" in groups and "*.g_girk_max" in groups
    assert not [f for f in groups if f.endswith((".stress", ".mtor_block", ".bdnf_external"))]
    (up,) = [c for c in changes(0.2, ["plasticity.*.eps_Ca"], rows=rows) if c.label == "x1.2"]
    assert up.values["plasticity.dlpfc_exc.eps_Ca"] == "0.0282"
    assert not [f for f in families() if f.startswith("plasticity.")]


def test_c2_changes_the_rm2017_column_from_the_values_its_scenario_gives():
    """C2 runs sgACC as RM2017's own column (sgacc_switching.toml: recurrent NMDA 0.2776 nS per
    synapse, NMDA saturation 0.63): a 10% change is 10% of those, not of the shared column's."""
    points = changes(
        0.1, ["projections.sgacc_exc_to_sgacc_exc.w_nmda", "sgacc_exc.nmda"], rows=["C2"]
    )
    values = {c.key: c.values for c in points}
    assert values["projections.sgacc_exc_to_sgacc_exc.w_nmda x0.9"] == {
        "projections.sgacc_exc_to_sgacc_exc.w_nmda": "249.84 pS"
    }
    assert values["sgacc_exc.nmda_saturation x1.1"] == {"sgacc_exc.nmda_saturation": "0.693"}


def test_a_row_that_leaves_its_band_is_reported_as_flipped(tmp_path):
    points = changes(0.2, ["drn_5ht.I_bias_mean"])
    fake = FakeRuns()
    data = run_sensitivity(tmp_path, points, rows=["R1", "R2"], log=None, measure=fake)
    assert fake.calls[0] == {} and len(fake.calls) == 3  # the default point first
    assert flips_by_row(data) == {"R1": ["drn_5ht.I_bias_mean x1.2"], "R2": []}
    lines = table_lines(data)
    assert "2 of 2 planned points measured" in lines[0]
    assert "drn_5ht.I_bias_mean x1.2 (1 value): R1 fails (DRN 5-HT rate 1.75 -> 3.63)" in lines[2]
    assert "drn_5ht.I_bias_mean x0.8 (1 value): no row flips; largest change 59%" in lines[1]
    assert lines[1].endswith("nearest its band's edge: R1: DRN 5-HT rate, 17% of its margin left")
    assert lines[-2].endswith(
        "nearest to flipping: drn_5ht.I_bias_mean x0.8 (DRN 5-HT rate, 17% of its margin left)"
    )
    assert lines[-1].endswith("no point moved a judged measure toward its band's edge")
    assert "class='fail'" in table_html(data)


def test_the_table_says_how_near_a_row_came_to_flipping_and_not_what_it_only_reports():
    """P3 claims a DLPFC synapse density change of -30% to -5% after chronic stress; at -9.5%
    the nearer edge is 4.5 points away, and a point that leaves -7.25% has used half of that.
    P4's firing in the first 6 h after the dose is only reported: its default is near zero, so
    its relative change (here 12-fold) says nothing and is not the largest change. R4 sits on
    its band's upper edge (full silencing): what is left is its distance to the lower one."""
    p4 = {
        "DLPFC interneuron rate change": -0.021,
        "DLPFC pyramidal rate change": 0.096,
        "by dose (0.5 mg/kg), interneurons, first 6 h": 0.0024,
        "by dose (0.5 mg/kg), pyramids, first 6 h": 0.0084,
    }
    default = {"P3": {"DLPFC synapse density change": -0.095}, "P4": p4}
    moved = {
        "P3": {"DLPFC synapse density change": -0.0725},
        "P4": p4 | {"by dose (0.5 mg/kg), interneurons, first 6 h": 0.03},
    }
    assert largest_change(default, moved) == (
        "P3: DLPFC synapse density change",
        pytest.approx(0.0225 / 0.095),
    )
    assert margin_left(default, moved) == ("P3: DLPFC synapse density change", pytest.approx(0.5))
    assert margin_left(default, default)[1] == 1.0  # nothing moved
    r4 = "DRN 5-HT firing drop at full agonist occupancy"
    assert margin_left({"R4": {r4: 1.0}}, {"R4": {r4: 0.96}}) == (f"R4: {r4}", pytest.approx(0.6))
    assert margin_left({"R4": {r4: 1.0}}, {"R4": {r4: math.nan}}) == (f"R4: {r4}", -math.inf)


def test_a_row_that_fails_at_the_default_point_has_no_margin_to_lose():
    """A P3 loss of 2% is short of the -5% to -30% band: a point that deepens it to 3% is no
    nearer to flipping the row (a flip would be a pass)."""
    name = "DLPFC synapse density change"
    point = {"family": "f", "label": "x0.8", "values": {"f": "1"}, "clipped": [], "error": None}
    data = {
        "settings": {"seed": 1, "rows": ["P3"]},
        "default": {"P3": {name: -0.02}},
        "points": {"f x0.8": point | {"measures": {"P3": {name: -0.03}}}},
    }
    assert nearest_by_row(data) == {}
    assert table_lines(data)[-1] == (
        "P3 flips under 0 of 1 measured points: -; fails at the default point (a flip is a pass)"
    )
    # P10 claims nothing: ECT lowering CA1 density (-15%) is a listed limitation, not a failure
    p10 = {"CA1 synapse density change, day 10": -0.15, "DLPFC synapse density change, day 10": 0}
    limitation = data | {"settings": {"seed": 1, "rows": ["P10"]}, "default": {"P10": p10}}
    limitation["points"] = {"f x0.8": point | {"measures": {"P10": p10}}}
    lines = table_lines(limitation)
    assert lines[0].endswith("the default point passes: none")
    assert lines[-1].endswith(
        "a listed limitation, out of its published band at the default point (a flip would "
        "reproduce it)"
    )


def test_a_row_judged_by_a_comparison_alone_has_no_margin_to_report():
    """R7 claims only that escitalopram's occupancy rises and bends over from 5 to 10 to 20 mg
    (a comparison: it holds or not); its PET occupancies are published, not claimed."""
    r7 = {name: 0.6 for name in CHECKS["R7"].bands}
    r7["escitalopram 5 < 10 < 20 mg, bending over"] = 1.0
    point = {"family": "f", "label": "x0.8", "values": {"f": "1"}, "clipped": [], "error": None}
    data = {
        "settings": {"seed": 1, "rows": ["R7"]},
        "default": {"R7": r7},
        "points": {"f x0.8": point | {"measures": {"R7": r7 | {next(iter(r7)): 0.5}}}},
    }
    assert table_lines(data)[-1].endswith(
        "its judged measures have no margin (comparisons that hold, or values on an edge)"
    )


def test_a_published_band_the_row_does_not_claim_cannot_flip_it():
    """Judged per seed as `depnet validation` judges a seed: R7's PET occupancies (published,
    not claimed) moving into or out of 76-85% flip nothing; its dose curve's shape does. P10,
    which claims nothing, is judged on its published band."""
    r7 = {name: 0.6 for name in CHECKS["R7"].bands}
    r7["escitalopram 5 < 10 < 20 mg, bending over"] = 1.0
    in_pet = {name: 0.8 if "DLPFC" in name else v for name, v in r7.items()}
    assert flips({"R7": r7}, {"R7": in_pet}) == []
    flat = r7 | {"escitalopram 5 < 10 < 20 mg, bending over": 0.0}
    assert [f.row for f in flips({"R7": r7}, {"R7": flat})] == ["R7"]
    p10 = {"CA1 synapse density change, day 10": -0.15, "DLPFC synapse density change, day 10": 0.0}
    raised = p10 | {"CA1 synapse density change, day 10": 0.02}
    (flip,) = flips({"P10": p10}, {"P10": raised})
    assert flip.passes


def test_a_killed_job_resumes_and_a_failed_point_is_tried_again(tmp_path):
    points = changes(0.2, ["drn_5ht.I_bias_mean", "serotonin.vmax_sert"])
    first = FakeRuns(fail_on="serotonin.vmax_sert")
    data = run_sensitivity(tmp_path, points, rows=["R1"], log=None, measure=first)
    failed = [k for k, p in data["points"].items() if p["error"]]
    assert failed == ["serotonin.vmax_sert x0.8", "serotonin.vmax_sert x1.2"]
    assert data["points"][failed[0]]["error"] == "RuntimeError: the binary stopped"
    text = "\n".join(table_lines(data))
    assert "did not run (RuntimeError: the binary stopped)" in text
    assert "2 of 4 planned points measured, 2 did not run" in text
    assert "R1 flips under 1 of 2 measured points" in text  # failed points are not counted
    again = FakeRuns()
    data = run_sensitivity(tmp_path, points, rows=["R1"], log=None, measure=again)
    assert len(again.calls) == 2 and all("serotonin.vmax_sert" in c for c in again.calls)
    assert not any(p["error"] for p in data["points"].values())
    assert json.loads((tmp_path / "sensitivity.json").read_text()) == data
    with pytest.raises(ScenarioError, match="use another --out"):
        run_sensitivity(tmp_path, points, seed=2, rows=["R1"], log=None, measure=again)


def test_a_point_planned_but_not_run_is_said_to_be_missing(tmp_path):
    points = changes(0.2, ["drn_5ht.I_bias_mean", "serotonin.vmax_sert"])
    run_sensitivity(tmp_path, points[:2], rows=["R1"], log=None, measure=FakeRuns())
    data = json.loads((tmp_path / "sensitivity.json").read_text())
    data["planned"] = [c.key for c in points]  # as a killed job leaves it
    assert "2 of 4 planned points measured, 2 not run yet" in coverage(data)


def test_results_of_another_shape_or_other_bands_are_one_line_errors(tmp_path):
    (tmp_path / "sensitivity.json").write_text("[]")
    with pytest.raises(ScenarioError, match="not a `depnet sensitivity` results file"):
        load(tmp_path)
    points = changes(0.2, ["drn_5ht.I_bias_mean"])
    run_sensitivity(tmp_path / "b", points, rows=["R1"], log=None, measure=FakeRuns())
    path = tmp_path / "b" / "sensitivity.json"
    data = json.loads(path.read_text())
    for band in data["settings"]["bands"]["R1"].values():
        del band["claimed"]  # as written before bands could be unclaimed: judged the same
    path.write_text(json.dumps(data))
    assert load(tmp_path / "b") is not None
    data["settings"]["bands"]["R1"]["DRN 5-HT rate"]["high"] = 9.0
    path.write_text(json.dumps(data))
    with pytest.raises(ScenarioError, match="bands of the rows"):
        load(tmp_path / "b")


@pytest.mark.parametrize("folder", [".", "treatments"])
def test_validation_refuses_a_report_folder_it_could_not_finish_in_before_running(tmp_path, folder):
    """The page ends with the sensitivity tables of OUT and its subfolders: an unreadable one is
    a one-line error before any run, not after the seeds' runs (whose results would be lost)."""
    (tmp_path / folder).mkdir(exist_ok=True)
    (tmp_path / folder / "sensitivity.json").write_text("[]")
    result = depnet_cli("validation", "--rows", "R1", "--seeds", "1", "--out", str(tmp_path))
    assert result.returncode == 2
    assert "not a `depnet sensitivity` results file" in result.stderr
    assert "seed 1" not in result.stdout and not (tmp_path / "validation.json").exists()


def test_two_jobs_give_what_one_job_gives(tmp_path):
    """Points in two fresh interpreters (as ``--jobs 2`` runs them) measure the same."""
    points = changes(0.2, ["drn_5ht.I_bias_mean", "serotonin.vmax_sert"])
    one = run_sensitivity(tmp_path / "one", points, rows=["R1"], log=None, measure=FakeRuns())
    two = run_sensitivity(
        tmp_path / "two", points, rows=["R1"], jobs=2, log=None, measure=FakeRuns()
    )
    assert {k: p["measures"] for k, p in one["points"].items()} == {
        k: p["measures"] for k, p in two["points"].items()
    }


def test_the_validation_report_ends_with_the_sensitivity_table(tmp_path):
    points = changes(0.2, ["drn_5ht.I_bias_mean"])
    run_sensitivity(tmp_path, points, rows=["R1"], log=None, measure=FakeRuns())
    from depnet.validation import summarize_row

    result = summarize_row(CHECKS["R1"], {1: _passing_values("R1")})
    page, _ = write_report([result], tmp_path, {"seeds": [1], "commit": "0000000"})
    text = page.read_text()
    assert "Sensitivity of R1: chosen parameters changed one at a time (x0.8, x1.2)" in text
    assert "<b>R1</b> flips under: drn_5ht.I_bias_mean x1.2" in text
    assert "not this report's 0000000" in text  # the points ran at this checkout's commit


def test_the_report_has_a_table_for_the_rows_of_each_subfolder(tmp_path):
    """The treatment rows need other runs than the static circuit's (other settings, another
    results file): ``--out DIR/treatments`` gives the report a second table, after DIR's own."""
    points = changes(0.2, ["drn_5ht.I_bias_mean"])
    other = ["R1", "R2"]
    run_sensitivity(tmp_path / "treatments", points, rows=other, log=None, measure=FakeRuns())
    run_sensitivity(tmp_path, points, rows=["R1"], log=None, measure=FakeRuns())
    (tmp_path / "figures").mkdir()  # a folder without results adds nothing
    from depnet.validation import summarize_row

    result = summarize_row(CHECKS["R1"], {1: _passing_values("R1")})
    text = write_report([result], tmp_path, {"seeds": [1], "commit": "0000000"})[0].read_text()
    first, second = text.index("Sensitivity of R1:"), text.index("Sensitivity of R1, R2:")
    assert first < second and text.count("Sensitivity of") == 2
    assert "<b>R2</b> flips under: none of the 2 measured points" in text
