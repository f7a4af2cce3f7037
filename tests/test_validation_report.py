"""The machinery of ``depnet validation``: bands, the pass rule over seeds, the report."""

from __future__ import annotations

import json
import math

import pytest

from depnet.errors import ScenarioError
from depnet.observations import OBSERVATIONS
from depnet.validation import (
    CHECKS,
    RUNS,
    Band,
    FromRun,
    RowCheck,
    agonist_ec50,
    check_rows,
    read_results,
    resolve_run,
    summarize_row,
    text_table,
    write_report,
)
from tests.conftest import depnet_cli


def test_a_band_holds_its_ends_and_never_a_non_finite_value():
    band = Band(0.5, 3.0, "Hz")
    assert band.holds(0.5) and band.holds(3.0) and not band.holds(3.01)
    assert not band.holds(math.nan) and not Band(2.0, None).holds(math.inf)
    assert Band(2.0, None).text() == ">= 2" and band.text() == "0.5 to 3 Hz"


def _r1(values: list[float]):
    check = CHECKS["R1"]
    per_seed = {
        seed: {"DRN 5-HT rate": v, "share with ISI CV < 0.5": 1.0}
        for seed, v in enumerate(values, 1)
    }
    return summarize_row(check, per_seed)


def test_a_row_passes_with_its_mean_in_band_and_four_of_five_seeds():
    """R1's band is 0.5-3 Hz: one seed of five out still passes, two do not, and a mean outside
    the band fails even if most seeds are in."""
    assert _r1([1.8, 1.9, 1.7, 2.0, 3.5]).passed
    assert not _r1([1.8, 1.9, 1.7, 3.5, 3.6]).passed
    assert not _r1([2.9, 2.9, 2.9, 2.9, 9.0]).passed  # mean 4.1 Hz
    result = _r1([1.0, 2.0, 3.0])
    assert result.measures[0].mean == pytest.approx(2.0)
    assert result.measures[0].sd == pytest.approx(1.0)  # sample s.d.
    assert result.share == 1.0


def _r7(citalopram: float, bends_over: float = 1.0):
    """R7 on five seeds with every DLPFC level at ``citalopram`` and the dose curve's shape."""
    names = CHECKS["R7"].bands
    values = {n: citalopram if "DLPFC" in n else 0.7 for n in names}
    values["escitalopram 5 < 10 < 20 mg, bending over"] = bends_over
    return summarize_row(CHECKS["R7"], {seed: values for seed in range(1, 6)})


def test_a_published_band_the_model_misses_is_shown_as_a_limitation_not_counted(tmp_path):
    """R7's PET occupancies (Meyer et al. 2004: 76-85%) are a listed limitation: a level
    outside them leaves the row's verdict to its claimed measure (the dose curve's shape), and
    the text, the page and the stored data say which published bands were missed."""
    missed = _r7(0.57)
    assert missed.passed and len(missed.limitations) == 4  # citalopram, fluoxetine, ...
    assert not _r7(0.8, bends_over=0.0).passed
    assert _r7(0.8).limitations == [] and _r7(0.8).verdict() == "pass"
    assert missed.verdict() == "pass; misses 4 of 4 published bands (a limitation)"
    assert "not claimed: a listed limitation) OUTSIDE" in text_table([missed])
    page, table = write_report([missed], tmp_path, {"commit": "test"})
    assert "<b>outside</b>" in page.read_text()
    (again,) = read_results(table)[1]
    assert again.passed and again.limitations == missed.limitations


def _p10(ca1_change: float):
    """P10 on five seeds with CA1's density change at ``ca1_change``."""
    values = {
        "CA1 synapse density change, day 10": ca1_change,
        "DLPFC synapse density change, day 10": -0.2,
    }
    return summarize_row(CHECKS["P10"], {seed: values for seed in range(1, 6)})


def test_a_row_that_claims_no_band_is_a_limitation_neither_passed_nor_failed(tmp_path):
    """P10 (ECT raises hippocampal volume; Wilkinson et al. 2017) claims nothing: the model's
    ECT does not raise CA1 density. Its verdict is a limitation whichever way the numbers fall,
    it is not counted as a pass, it does not make `depnet validation` exit 1, and its seeds are
    counted against the published band."""
    lowered, raised = _p10(-0.14), _p10(0.05)
    for row in (lowered, raised):
        assert not row.claims and not row.passed and not row.failed
    assert lowered.verdict() == "limitation: misses 1 of 1 published bands"
    assert lowered.seed_passed == [False] * 5 and raised.seed_passed == [True] * 5
    assert raised.verdict() == "limitation"
    page, table = write_report([lowered], tmp_path, {"commit": "test"})
    assert "class='limitation'>limitation" in page.read_text()
    (again,) = read_results(table)[1]
    assert again.seed_passed == lowered.seed_passed and not again.failed
    assert json.loads(table.read_text())["rows"][0]["verdict"] == lowered.verdict()


def test_the_c3_page_draws_delay_activity_against_dlpfc_serotonin(tmp_path):
    """C3's inverted U is a curve over [5-HT]: the report draws each curve a row declares from
    its measures (every name a curve reads is a measure of its row), above the seed panels."""
    for check in CHECKS.values():
        for curve in check.curves:
            for level in (*curve.levels, *curve.apart):
                assert {curve.x.format(level=level), curve.y.format(level=level)} <= set(
                    check.bands
                ), check.row
    assert len(CHECKS["C3"].curves) == 2
    c3 = summarize_row(
        CHECKS["C3"], {s: dict.fromkeys(CHECKS["C3"].bands, 0.1 * s) for s in (1, 2)}
    )
    page, _ = write_report([c3], tmp_path, {"commit": "test"})
    text = page.read_text()
    assert text.index("C3: measures across its conditions") < text.index(
        "C3: seeds against the band"
    )


def test_a_row_is_listed_as_a_limitation_exactly_when_its_check_claims_no_band():
    """What `depnet params --rows` says of a row (its VALIDATION status) and what `depnet
    validation` claims for it agree: P10 is both a listed limitation and a row without claims."""
    for row, check in CHECKS.items():
        claims = any(band.claims for band in check.bands.values())
        assert (OBSERVATIONS[row].status == "limitation") == (not claims), row
    assert OBSERVATIONS["P10"].status == "limitation"


def test_each_run_is_made_once_per_seed_and_every_row_is_summarized(tmp_path):
    """R2 and R6 both read the baseline and the acute SSRI run: two runs per seed, not four."""
    made = []

    def runner(name, run, seed):
        made.append((name, seed))
        return name

    fake = {
        "R2": RowCheck("R2", ("baseline", "acute_ssri"), {"drop": Band(0.4, 1.0)},
                       lambda runs: {"drop": 0.6}),
        "R6": RowCheck("R6", ("baseline", "acute_ssri"), {"rise": Band(0.5, 2.5)},
                       lambda runs: {"rise": 3.0}),
    }  # fmt: skip
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("depnet.validation.CHECKS", fake)
        results = check_rows(["R2", "R6"], [1, 2], runner)
        assert sorted(made) == [("acute_ssri", 1), ("acute_ssri", 2), ("baseline", 1),
                                ("baseline", 2)]  # fmt: skip
        assert [r.passed for r in results] == [True, False]
        assert "R6: FAIL (0 of 2 seeds in band)" in text_table(results)
        page, data = write_report(results, tmp_path / "report", {"seeds": [1, 2]})
    text = page.read_text()
    assert text.count("data:image/png;base64,") == 2
    assert "held-out" in text and "class='fail'" in text
    rows = json.loads(data.read_text())["rows"]
    assert [r["row"] for r in rows] == ["R2", "R6"] and rows[1]["passed"] is False


def test_the_agonist_ec50_is_read_off_a_hill_fit_and_nan_without_firing():
    """R5's fit: rates from a Hill curve (EC50 3 nM, Hill 1, full inhibition of 2 Hz) give back
    their EC50; a silent raphe, or rates the curve cannot fit, give NaN (out of band), not an
    error that stops the other seeds."""
    doses = (0.0, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0)
    rates = [2.0 - 2.0 * d / (d + 3.0) for d in doses]
    assert agonist_ec50(doses, rates) == pytest.approx(3.0, rel=1e-3)
    assert math.isnan(agonist_ec50(doses, [0.0] * len(doses)))


def test_a_run_reads_a_value_off_an_earlier_run_of_its_seed():
    """R5's desensitized runs take the chronic SSRI run's desensitization, to 3 decimals; asked
    before that run exists, a one-line error."""
    run = RUNS["ec50_chronic_10nM"]
    assert isinstance(run.parameters["serotonin.desensitized_5ht1a_initial"], FromRun)
    with pytest.raises(ScenarioError, match="reads run 'chronic_ssri', which has not run yet"):
        resolve_run(run, {})


def test_a_row_without_a_seed_check_is_a_one_line_error():
    with pytest.raises(ScenarioError, match="no seed check for row C6"):
        check_rows(["R1", "C6"], [1], lambda *a: None)
    result = depnet_cli("validation", "--rows", "Q1", "--seeds", "1")
    assert result.returncode == 2
    assert result.stderr.strip().startswith("depnet: error: no seed check for row Q1")
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_report_is_rewritten_from_its_data_without_running(tmp_path, cli, capsys):
    """``depnet validation --report-only`` reads validation.json back: the same rows, values and
    verdicts, so a sensitivity table added later joins the page without a rerun."""
    results = [_r1([1.8, 1.9, 1.7, 3.5, 3.6])]
    write_report(results, tmp_path, {"seeds": [1, 2, 3, 4, 5], "commit": "abc"})
    meta, back = read_results(tmp_path / "validation.json")
    assert meta["commit"] == "abc"
    assert [m.values for m in back[0].measures] == [m.values for m in results[0].measures]
    assert back[0].seed_passed == results[0].seed_passed and not back[0].passed
    assert cli(["validation", "--report-only", "--out", str(tmp_path)]) == 1
    assert "R1: FAIL (3 of 5 seeds in band)" in capsys.readouterr().out
    assert cli(["validation", "--report-only", "--out", str(tmp_path / "none")]) == 2
    assert "no validation results at" in capsys.readouterr().err
