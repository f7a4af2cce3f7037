"""What was tuned and what is predicted: every VALIDATION row is a calibration (a parameter was
sized so that it passes), an input (a parameter takes its value) or held-out, read off the code."""

from __future__ import annotations

import re

import pytest

from depnet.errors import ScenarioError
from depnet.observations import OBSERVATIONS
from depnet.quantities import Parameter
from depnet.scenarios.calibration import all_parameters, calibrations, row_labels
from depnet.spec import load_scenario
from tests.conftest import depnet_cli

#: How a source says its value was sized for an outcome.
_SIZED = re.compile(r"calibrat|tuned|fitted|sized (?:for|so)", re.IGNORECASE)
_ROW = re.compile(r"\b([RCP]\d{1,2})\b")


def test_a_parameter_that_names_no_row_is_a_one_line_error():
    with pytest.raises(ScenarioError, match=r"'C9' is not a VALIDATION row \(rows: frame, R1,"):
        Parameter(1.0, "chosen: sized for a row that does not exist", calibrated_to=("C9",))


def test_a_scenario_that_names_no_row_is_refused(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[scenario]\nname = "bad"\nduration = "1 s"\ncalibrated_to = ["R1", "X2"]\n')
    with pytest.raises(ScenarioError, match="'X2' is not a VALIDATION row"):
        load_scenario(path)


def test_every_source_that_says_it_was_sized_for_a_row_is_a_calibration_of_it():
    """The label lives in ``calibrated_to``; a source whose words say it was tuned or sized for
    a row (``tuned for C1 rates``, ``sized for P5's +10-50%``) must carry the row there too, so
    the text and the label cannot part."""
    missing = {
        path: sorted(set(_ROW.findall(p.source)) - set(p.calibrated_to))
        for path, p in all_parameters()
        if _SIZED.search(p.source) and set(_ROW.findall(p.source)) - set(p.calibrated_to)
    }
    assert not missing


def test_the_rows_that_were_sized_for_are_calibrations():
    """R1 (the raphe's drive), C1 (local weights and backgrounds), R3 (the desensitization
    width), R4 (the autoreceptor gain), R6 (SERT densities), C4 (the 8 Hz septal drive), C5, P3,
    P5, P8 (intervention strengths), C2 (sgacc_switching.toml's own column) and the [5-HT]
    frame (innervation densities)."""
    labels = row_labels()
    calibrated = {row for row, label in labels.items() if label == "calibration"}
    assert calibrated == {
        "frame", "R1", "R3", "R4", "R6", "C1", "C2", "C4", "C5", "P3", "P5", "P8"
    }  # fmt: skip
    # R7 is measured from the dose (escitalopram 10 mg/day -> SERT occupancy), no longer the
    # generic SSRI's input occupancy
    assert labels["R7"] == "held-out"
    assert "scenarios/sgacc_switching.toml [parameters]" in calibrations()["C2"]
    assert "plasticity.<population>.bdnf_translation" in calibrations()["P5"]


def test_params_tags_calibrated_values_and_lists_every_row_with_its_label():
    tagged = depnet_cli("params", "drn_5ht.")
    assert tagged.returncode == 0
    line = next(x for x in tagged.stdout.splitlines() if x.startswith("drn_5ht.I_bias_mean ="))
    assert line.endswith("[calibration of R1]")
    # the learning rules' and interventions' parameters are listed too
    learning = depnet_cli("params", "plasticity.<population>.bdnf_translation")
    assert learning.stdout.strip().endswith("[calibration of P5]"), learning.stdout
    assert "interventions.ketamine.block_principal = 0.15" in depnet_cli("params").stdout
    rows = depnet_cli("params", "--rows")
    assert rows.returncode == 0
    for row in OBSERVATIONS:
        assert f"\n{row}: " in "\n" + rows.stdout
    assert "    held-out\n" in rows.stdout and "    calibration: sized for it: " in rows.stdout
