"""``depnet compare``: outcome measures of runs side by side, as a table, a CSV and a figure.

Real measures come from 2 s runs of the raphe-sgACC loop, healthy and with an SSRI (the stores of
:func:`tests.test_analysis_real.real_stores`: one run each per session, whichever module asks
first). Measures with a known answer (synapse density and its change, the PAS response, the DMN
index) come from synthetic stores.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from PIL import Image

from depnet.analysis import mean_rates, mean_serotonin, open_run, population_rates
from depnet.analysis.figures import outcome_figure
from depnet.analysis.outcomes import (
    DMN_LABEL,
    NO_PAS,
    PAS_LABEL,
    format_outcomes,
    outcome_table,
    pas_outcome,
    pas_pathway_change,
    pas_response,
    unique_names,
)
from depnet.analysis.synthetic import poisson_trains, synthetic_run
from depnet.rundata import Spikes, SynapseRecord
from tests.conftest import small_scenario
from tests.test_report import assert_not_blank

#: Rows of the raphe-sgACC loop without plasticity, in the table's order.
DEFAULT_ROWS = [
    "raphe 5-HT rate, drn_5ht (Hz)",
    "drn interneuron rate (Hz)",
    "sgacc principal-cell rate (Hz)",
    "sgacc interneuron rate (Hz)",
    "drn [5-HT] (nM)",
    "sgacc [5-HT] (nM)",
    DMN_LABEL,
    # the clinical readouts (depnet.analysis.clinical), from the run's LFP sums
    "DMN BOLD FC, PCC-mPFC (contested, reported only)",
    "sgACC-DMN BOLD FC (contested, reported only)",
    "frontal theta/alpha power (EEG proxy, Fz)",
    "sgACC relative theta power (LFP proxy)",
    PAS_LABEL,
]
PROJECTION = "sgacc_exc_to_sgacc_exc"
#: Weight samples every 0.1 s, rising by 0.25 nS a sample from 1 nS (distinct at every sample,
#: so the answer of the PAS test pins both sample indices).
SAMPLE_TIMES = np.arange(11) * 0.1
W_MEAN = (1.0 + 0.25 * np.arange(11)) * 1e-9


@pytest.fixture(scope="module")
def store(shared_runs) -> Path:
    """The healthy raphe-sgACC loop's store, 2 s (real_stores' "healthy": one run a session)."""
    return shared_runs(small_scenario("2 s", "1 s"))


@pytest.fixture(scope="module")
def ssri_store(shared_runs) -> Path:
    """The same loop with SERT 80% blocked (real_stores' "ssri")."""
    return shared_runs(small_scenario("2 s", "1 s", serotonin__ssri_occupancy=0.8))


def synthetic(
    n_present_final: float | None = None,
    interventions: list[dict] | None = None,
    dmn: bool = False,
    seed: int = 0,
    sgacc_exc: Spikes | None = None,
    serotonin: dict[str, np.ndarray] | None = None,
):
    """A 1 s run of the raphe-sgACC populations (Poisson trains), 0.2 s warmup, in memory.

    ``n_present_final``: ``sgacc_exc_to_sgacc_exc`` carries structural plasticity and falls
    linearly from 100 to this many of its 200 potential synapses at :data:`SAMPLE_TIMES` (final
    density ``n / 200``), with weights :data:`W_MEAN`. ``sgacc_exc`` replaces that population's
    trains; ``serotonin``, the serotonin variables (``(region, time)`` on a 1 ms grid).
    """
    rng = np.random.default_rng(seed)
    spikes = {
        "drn_5ht": poisson_trains(2.0, 1.0, 20, rng),
        "drn_gaba": poisson_trains(10.0, 1.0, 5, rng),
        "sgacc_exc": poisson_trains(3.0, 1.0, 40, rng) if sgacc_exc is None else sgacc_exc,
        "sgacc_inh": poisson_trains(15.0, 1.0, 10, rng),
    }
    if dmn:
        spikes |= {"pcc_exc": poisson_trains(3.0, 1.0, 40, rng),
                   "mpfc_exc": poisson_trains(3.0, 1.0, 40, rng)}  # fmt: skip
    regions = list(dict.fromkeys(name.split("_")[0] for name in spikes))
    synapses, plasticity = {}, {}
    if n_present_final is not None:
        synapses[PROJECTION] = SynapseRecord(
            time=SAMPLE_TIMES, n_present=np.linspace(100, n_present_final, 11), pool_size=200,
            w_mean=W_MEAN, w_std=np.zeros(11), pre=np.zeros(200, np.int32),
            post=np.zeros(200, np.int32), w_final=np.full(200, 1e-9),
            present_final=(np.arange(200) < n_present_final).astype(float),
        )  # fmt: skip
        plasticity[PROJECTION] = {"rules": ["stdp_additive", "structural"]}
    scenario = {
        "scenario": {"name": "synthetic"},
        "regions": {r: {} for r in regions},
        "plasticity": plasticity,
        "parameters": {},
        "interventions": interventions or [],
    }
    return synthetic_run(spikes, 1.0, synapses=synapses, regions=regions, warmup=0.2,
                         serotonin=serotonin, attrs={"scenario": scenario})  # fmt: skip


def pas(start: str, stop: str | None) -> list[dict]:
    """Interventions with a PAS block on :data:`PROJECTION` (after another kind, to be skipped)."""
    block = {"kind": "pas", "start": start, "stop": stop, "projection": PROJECTION}
    return [{"kind": "ssri", "start": "0 s", "stop": None}, block]


def test_the_table_has_a_column_per_condition_and_a_row_per_measure(store, ssri_store):
    tree = open_run(store)
    outcomes = outcome_table({"healthy": tree, "ssri": ssri_store})
    assert list(outcomes["condition"].values) == ["healthy", "ssri"]
    assert list(outcomes["measure"].values) == DEFAULT_ROWS
    values = outcomes["value"]
    # each column is its own run: SERT blocked raises [5-HT] and (5-HT1A) lowers raphe firing
    for region in ("drn", "sgacc"):
        label = f"{region} [5-HT] (nM)"
        assert float(values.sel(condition="ssri", measure=label)) > float(
            values.sel(condition="healthy", measure=label)
        )
    raphe = "raphe 5-HT rate, drn_5ht (Hz)"
    assert float(values.sel(condition="ssri", measure=raphe)) < float(
        values.sel(condition="healthy", measure=raphe)
    )
    rates = population_rates(tree)
    c5ht = mean_serotonin(tree)
    row = values.sel(condition="healthy")
    # One population per class in this circuit: the region's mean is that population's rate.
    for label, population in [("raphe 5-HT rate, drn_5ht (Hz)", "drn_5ht"),
                              ("drn interneuron rate (Hz)", "drn_gaba"),
                              ("sgacc principal-cell rate (Hz)", "sgacc_exc"),
                              ("sgacc interneuron rate (Hz)", "sgacc_inh")]:  # fmt: skip
        assert float(row.sel(measure=label)) == pytest.approx(
            float(rates.sel(population=population))
        )
    assert float(row.sel(measure="sgacc [5-HT] (nM)")) == pytest.approx(
        float(c5ht.sel(region="sgacc"))
    )
    assert np.isnan(row.sel(measure=DMN_LABEL)) and np.isnan(row.sel(measure=PAS_LABEL))
    assert (outcomes["note"].sel(measure=PAS_LABEL) == NO_PAS).all()


def test_a_region_rate_is_the_mean_over_its_cells():
    """Two principal populations in one region: their rates weighted by their cell counts."""
    rng = np.random.default_rng(3)
    spikes = {"ctx_exc": poisson_trains(2.0, 2.0, 30, rng),
              "ctx_granule": poisson_trains(8.0, 2.0, 10, rng)}  # fmt: skip
    tree = synthetic_run(spikes, 2.0)
    rates = population_rates(tree)
    expected = (30 * float(rates.sel(population="ctx_exc"))
                + 10 * float(rates.sel(population="ctx_granule"))) / 40  # fmt: skip
    value = outcome_table({"x": tree})["value"].sel(
        measure="ctx principal-cell rate (Hz)", condition="x"
    )
    assert float(value) == pytest.approx(expected)


def test_synapse_density_change_is_relative_to_the_first_condition():
    """Final densities 80/200 = 0.4 and 60/200 = 0.3: the second is -25% of the first, the
    first +33.3% of the second; a run without structural plasticity has none ("-")."""
    plastic, pruned, static = synthetic(80), synthetic(60), synthetic()
    outcomes = outcome_table({"plastic": plastic, "pruned": pruned, "static": static})
    density = outcomes["value"].sel(measure="sgacc synapse density (present/potential)")
    np.testing.assert_allclose(density.values, [0.4, 0.3, np.nan])
    change = outcomes["value"].sel(measure="sgacc synapse density change vs plastic (%)")
    np.testing.assert_allclose(change.values, [0.0, -25.0, np.nan])
    text = format_outcomes(outcomes).splitlines()
    line = next(line for line in text if line.startswith("sgacc synapse density change"))
    assert line.split()[-3:] == ["+0.0", "-25.0", "-"]

    swapped = outcome_table({"pruned": pruned, "plastic": plastic})
    change = swapped["value"].sel(measure="sgacc synapse density change vs pruned (%)")
    np.testing.assert_allclose(change.values, [0.0, 100 * (0.4 - 0.3) / 0.3])


def test_pas_response_is_the_weight_change_between_the_samples_nearest_the_block():
    """Weights 1 + 0.25 k nS at k * 0.1 s. A block from 0.24 s (nearest sample 0.2 s: 1.5 nS) to
    0.71 s (0.7 s: 2.75 nS) gives 100 * 1.25 / 1.5 = 83.33%; with no stop it runs to the end of
    the run (1.0 s: 3.5 nS), 100 * 2 / 1.5 = 133.33%."""
    assert pas_response(synthetic(80, pas("0.24 s", "0.71 s"))) == pytest.approx(250 / 3)
    assert pas_response(synthetic(80, pas("240 ms", None))) == pytest.approx(400 / 3)
    table = outcome_table({"pas": synthetic(80, pas("0.24 s", "0.71 s")), "none": synthetic(80)})
    assert float(table["value"].sel(measure=PAS_LABEL, condition="pas")) == pytest.approx(250 / 3)
    text = format_outcomes(table)
    line = next(line for line in text.splitlines() if line.startswith(PAS_LABEL))
    assert line.endswith(f"+83.3  {NO_PAS}")


def _final_synapses(tree, w_final, present_final, pre=None, post=None):
    """``tree`` with its projection's final synapses replaced (six synapses of sgacc_exc)."""
    node = tree["synapses"][PROJECTION].to_dataset().isel(synapse=slice(0, 6))
    node["pre"] = ("synapse", np.array([0, 5, 12, 20, 3, 30] if pre is None else pre, np.int32))
    node["post"] = ("synapse", np.array([15, 39, 2, 25, 8, 31] if post is None else post, np.int32))
    node["w_final"] = ("synapse", np.asarray(w_final) * 1e-9)
    node["present_final"] = ("synapse", np.asarray(present_final, dtype=float))
    tree["synapses"][PROJECTION] = xr.DataTree(node)
    return tree


def test_the_pas_pathway_change_compares_conditioned_onto_tms_fired_synapses_across_runs():
    """sgacc_exc has 40 cells; PAS's pre_fraction 0.25 conditions cells 0-9 and the pulse fires
    10-39. Of the synapses 0->15, 5->39 (conditioned pathway), 12->2 (reverse), 20->25, 3->8
    and 30->31, only the pathway counts, and only where present at the end of both runs: 5->39
    is absent in the PAS run, so the change is 0->15's, 1.2 / 1.0 nS: +20%."""
    block = pas("0.2 s", "0.7 s")
    block[1]["pre_fraction"] = 0.25
    with_pas = _final_synapses(synthetic(80, block), [1.2, 5.0, 0.5, 2.0, 3.0, 0.7],
                               [1, 0, 1, 1, 1, 1])  # fmt: skip
    without = _final_synapses(synthetic(80), [1.0] * 6, [1] * 6)
    assert pas_pathway_change(with_pas, without) == pytest.approx(20.0)
    with pytest.raises(ValueError, match="not paired"):
        pas_pathway_change(with_pas, _final_synapses(synthetic(80), [1.0] * 6, [1] * 6, [1] * 6))
    with pytest.raises(ValueError, match="no PAS block"):
        pas_pathway_change(without, with_pas)
    longer = _final_synapses(synthetic(80), [1.0] * 6, [1] * 6)
    longer.attrs["duration_s"] = float(with_pas.attrs["duration_s"]) + 2.0
    with pytest.raises(ValueError, match="not paired: they end at"):
        pas_pathway_change(with_pas, longer)  # final weights two days apart
    old = _final_synapses(synthetic(80), [1.0] * 6, [1] * 6)
    old.attrs["store_version"] = 2  # pre/post were NeuronGroup indices
    with pytest.raises(ValueError, match="store version 2"):
        pas_pathway_change(with_pas, old)


def test_the_pas_pathway_splits_the_cells_where_the_schedule_does():
    """pre_fraction 0.33 of 40 cells: the schedule conditions round(13.2) = 13 cells, 0-12
    (scenarios/schedule.py). Synapses 12->20 (conditioned onto pulsed) and 13->20 (pulsed onto
    pulsed) differ only there: only 12->20 counts (x1.5), not 13->20 (x3)."""
    block = pas("0.2 s", "0.7 s")
    block[1]["pre_fraction"] = 0.33
    pre, post = [12, 13, 13, 30, 31, 32], [20, 20, 12, 31, 32, 33]
    with_pas = _final_synapses(synthetic(80, block), [1.5, 3.0, 3.0, 3.0, 3.0, 3.0], [1] * 6,
                               pre, post)  # fmt: skip
    without = _final_synapses(synthetic(80), [1.0] * 6, [1] * 6, pre, post)
    assert pas_pathway_change(with_pas, without) == pytest.approx(50.0)


def test_pas_response_is_nan_with_a_reason_when_it_cannot_be_measured():
    assert np.isnan(pas_response(synthetic(80)))
    value, why = pas_outcome(synthetic(80))
    assert np.isnan(value) and why == NO_PAS
    # Within one 0.1 s weight sample interval: the same sample twice would read as 0%.
    value, why = pas_outcome(synthetic(80, pas("0.42 s", "0.44 s")))
    assert np.isnan(value) and "spans no weight sample interval" in why
    value, why = pas_outcome(synthetic(None, pas("0.2 s", "0.7 s")))
    assert np.isnan(value) and "not a recorded plastic projection" in why
    value, why = pas_outcome(synthetic(80, pas("0.2", "0.7 s")))
    assert np.isnan(value) and "is not a time" in why
    table = outcome_table({"short": synthetic(80, pas("0.42 s", "0.44 s"))})
    assert "PAS response in short: the PAS block" in format_outcomes(table)


def stepped() -> xr.DataTree:
    """sgACC pyramids fire regularly at 4 Hz until 0.5 s, then at 16 Hz (a treatment's onset);
    sgACC [5-HT] is 50 nM until 0.5 s, then 150 nM; the synapses fall from 100 to 80 of 200."""
    early = np.array([0.125, 0.375])  # 2 spikes in 0.5 s
    late = 0.5 + (np.arange(8) + 0.5) / 16  # 8 spikes in 0.5 s
    times = np.tile(np.concatenate([early, late]), 40)
    neurons = np.repeat(np.arange(40), 10)
    order = np.argsort(times, kind="stable")
    trains = Spikes(neuron=neurons[order].astype(np.int32), time=times[order], n_neurons=40)
    time = np.arange(1000) * 1e-3
    c_5ht = np.vstack([np.full(1000, 100.0), np.where(time < 0.5, 50.0, 150.0)])
    return synthetic(80, sgacc_exc=trains, serotonin={"c_5ht": c_5ht})


def test_a_window_measures_rates_serotonin_and_density_within_it():
    """After the onset (0.5-1 s): 16 Hz, 150 nM, and the density sampled at 1 s, 80/200; before
    it (0.2-0.5 s: one spike per cell in 0.3 s): 3.33 Hz, 50 nM, at 0.5 s 90/200; the default
    window (after the 0.2 s warmup: 9 spikes in 0.8 s) 11.25 Hz and 112.5 nM; across the onset
    (0.2-0.55 s: 2 spikes in 0.35 s) 5.71 Hz, (0.3 x 50 + 0.05 x 150) / 0.35 = 64.3 nM, and the
    density of the last sample before 0.55 s (0.5 s)."""
    tree = stepped()
    rows = {"rate": "sgacc principal-cell rate (Hz)", "c_5ht": "sgacc [5-HT] (nM)",
            "density": "sgacc synapse density (present/potential)"}  # fmt: skip
    for (start, stop), (rate, c_5ht, density) in {
        (None, None): (11.25, 112.5, 0.4),
        (0.5, None): (16.0, 150.0, 0.4),
        (None, 0.5): (1 / 0.3, 50.0, 0.45),
        (0.2, 0.55): (2 / 0.35, (0.3 * 50 + 0.05 * 150) / 0.35, 0.45),
    }.items():
        column = outcome_table({"x": tree}, start, stop)["value"].sel(condition="x")
        assert float(column.sel(measure=rows["rate"])) == pytest.approx(rate, rel=1e-3)
        assert float(column.sel(measure=rows["c_5ht"])) == pytest.approx(c_5ht, rel=1e-2)
        assert float(column.sel(measure=rows["density"])) == pytest.approx(density)


def test_the_table_and_figure_name_the_window():
    outcomes = outcome_table({"x": stepped()}, 0.5, 1.0)
    assert "rates and [5-HT]: time means over 0.5-1 s" in format_outcomes(outcomes)
    titles = [ax.get_title() for ax in outcome_figure(outcomes).axes]
    assert "firing rate over 0.5-1 s (Hz)" in titles
    assert "active-synapse density, at 1 s (present / potential)" in titles
    default = outcome_table({"x": stepped()})
    assert "time means after each run's warmup" in format_outcomes(default)


def test_a_window_outside_a_run_is_refused_naming_the_condition(store):
    message = r"^short: analysis window \[0.5, 1.5\] s reaches outside the run \(0 to 1 s\)$"
    with pytest.raises(ValueError, match=message):
        outcome_table({"long": store, "short": stepped()}, 0.5, 1.5)


def test_the_dmn_index_is_labelled_contested_and_has_no_direction():
    outcomes = outcome_table({"a": synthetic(dmn=True), "b": synthetic(dmn=True, seed=1)})
    contested = outcomes["measure"].values[outcomes["contested"].values]
    assert list(contested) == [DMN_LABEL] == ["DMN index (contested, reported only)"]
    assert np.isfinite(outcomes["value"].sel(measure=DMN_LABEL)).all()
    assert not any("DMN" in str(m) and "change" in str(m) for m in outcomes["measure"].values)
    text = format_outcomes(outcomes)
    line = next(line for line in text.splitlines() if line.startswith(DMN_LABEL))
    values = outcomes["value"].sel(measure=DMN_LABEL).values
    assert line[len(DMN_LABEL) :].split() == [f"{v:.3f}" for v in values]  # no "+" on a change
    assert "contested in depression" in text and "no direction asserted" in text


def test_compare_prints_the_table_and_writes_the_figure_and_csv(store, tmp_path, capsys, cli):
    figure, table = tmp_path / "out" / "compare.png", tmp_path / "compare.csv"
    args = ["compare", str(store), str(store), "--figure", str(figure), "--table", str(table)]
    assert cli(args) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["measure", "raphe_pfc", "raphe_pfc-2"]  # the scenario, twice
    labels = [line[: len(label)] for line, label in zip(out[1:], DEFAULT_ROWS, strict=False)]
    assert labels == DEFAULT_ROWS
    assert f"raphe_pfc-2: {store}" in out and f"figure: {figure}" in out
    with table.open() as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["measure", "raphe_pfc", "raphe_pfc-2"]
    assert [r[0] for r in rows[1:]] == DEFAULT_ROWS
    assert rows[-1][1:] == ["", ""]  # no PAS block: an empty cell
    pixels = np.asarray(Image.open(figure).convert("RGB"))
    assert_not_blank(pixels)


def test_the_figure_of_measures_with_known_answers_is_drawn():
    outcomes = outcome_table({"a": synthetic(80, pas("0.2 s", None), dmn=True),
                              "b": synthetic(60, dmn=True)})  # fmt: skip
    fig = outcome_figure(outcomes)
    titles = [ax.get_title() for ax in fig.axes]
    assert len(titles) == 6 and any("contested" in t for t in titles)
    fig.canvas.draw()
    assert_not_blank(np.asarray(fig.canvas.buffer_rgba())[..., :3])


def test_duplicate_condition_names_are_numbered():
    assert unique_names(["a", "b", "a", "a-2", "a"]) == ["a", "b", "a-3", "a-2", "a-4"]


NEITHER = "neither a run store (a .zarr folder written by `depnet run`) nor a scenario file (.toml)"


@pytest.mark.parametrize(
    ("kind", "message"),
    [("absent", "no such run store or scenario file"), ("file", NEITHER), ("folder", NEITHER)],
)
def test_a_bad_argument_is_one_line_with_exit_status_2(kind, message, tmp_path, capsys, cli):
    path = tmp_path / {"absent": "absent.zarr", "file": "notes.txt", "folder": "folder"}[kind]
    if kind == "file":
        path.write_text("not a run")
    elif kind == "folder":
        path.mkdir()
    assert cli(["compare", str(path), "--figure", str(tmp_path / "f.png")]) == 2
    captured = capsys.readouterr()
    assert captured.err == f"depnet: error: {path}: {message}\n"
    assert captured.out == "" and not (tmp_path / "f.png").exists()


def test_compare_over_a_window_gives_its_rates(store, tmp_path, capsys, cli):
    """The store is 2 s with a 1 s warmup: --start 1.5 s averages over its last half second."""
    figure = tmp_path / "f.png"
    assert cli(["compare", str(store), "--start", "1.5 s", "--figure", str(figure)]) == 0
    out = capsys.readouterr().out
    assert "rates and [5-HT]: time means from 1.5 s to each run's end" in out
    line = next(line for line in out.splitlines() if line.startswith("sgacc principal-cell"))
    expected = float(mean_rates(open_run(store), 1.5, 2.0).sel(population="sgacc_exc"))
    assert float(line.split()[-1]) == pytest.approx(expected, abs=0.005)


@pytest.mark.parametrize(
    ("window", "message"),
    [
        (["--stop", "3 s"], "{store}: --stop 3 s is after the run's end (2 s)"),
        (["--start", "2 s"], "{store}: --start 2 s is not before the run's end (2 s)"),
        (["--stop", "500 ms"], "{store}: --stop 0.5 s is not after the run's warmup (1 s); "
                               "give --start too"),
        (["--start", "1.5 s", "--stop", "1.2 s"], "--stop 1.2 s is not after --start 1.5 s"),
    ],
)  # fmt: skip
def test_a_window_outside_a_run_is_one_line_with_exit_status_2(
    window, message, store, tmp_path, capsys, cli
):
    assert cli(["compare", str(store), *window, "--figure", str(tmp_path / "f.png")]) == 2
    captured = capsys.readouterr()
    assert captured.err == f"depnet: error: {message.format(store=store)}\n"
    assert captured.out == "" and not (tmp_path / "f.png").exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [("9", "wrong units: expected a time such as '2 s', got '9'"),
     ("9 mV", "wrong units: expected a time such as '2 s', got '9 mV'"),
     ("-1 s", "a time before the run's start: '-1 s'")],
)  # fmt: skip
def test_a_window_that_is_not_a_time_is_refused(text, message, store, capsys, cli):
    """A bare number is not read as seconds: a guessed unit could shift the window 1000-fold."""
    with pytest.raises(SystemExit) as exit_:
        cli(["compare", str(store), f"--start={text}"])
    assert exit_.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1].endswith(f"argument --start: {message}")


def test_a_failed_run_is_one_line_naming_the_scenario(tmp_path, capsys, cli, monkeypatch):
    """A run that fails is reported as the README says: one line, exit status 1 (2 is for bad
    input), and the root cause rather than Brian2's wrapper exception."""
    import depnet.run
    from depnet.scenarios import scenario_path

    def fail(*args, **kwargs):
        try:
            raise ValueError("Unit specification refers to 'A'\nmore detail")
        except ValueError as err:
            raise RuntimeError("Error encountered with object named 'neurons'") from err

    monkeypatch.setattr(depnet.run, "run_scenario", fail)
    scenario = scenario_path("raphe_pfc")
    assert cli(["compare", str(scenario), "--runs", str(tmp_path)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[-1] == (
        f"depnet: error: {scenario}: run failed: ValueError: Unit specification refers to 'A'"
    )


SHORT = """\
[scenario]
name = "short"
duration = "1 s"
warmup = "0.5 s"
regions = ["drn", "sgacc"]

[regions.drn]
n_5ht = 50
n_gaba = 25

[regions.sgacc]
n_exc = 100
n_inh = 25
"""


def test_scenario_files_are_run_into_the_runs_folder_and_reused_on_request(tmp_path, capsys, cli):
    """A scenario file runs into --runs; --reuse compares that store instead of running again,
    and without --reuse a new store is written beside it."""
    scenario = tmp_path / "short.toml"
    scenario.write_text(SHORT)
    runs = tmp_path / "runs"
    common = ["--runs", str(runs), "--device", "cpp", "--figure", str(tmp_path / "f.png")]
    assert cli(["compare", str(scenario), *common]) == 0
    captured = capsys.readouterr()
    (first,) = runs.glob("short-cpp-*.zarr")
    assert f"[1/1] {scenario}: running short on cpp -> {first}" in captured.err
    assert f"[1/1] {scenario}: wrote {first}" in captured.err
    assert captured.out.splitlines()[0].split() == ["measure", "short"]

    assert cli(["compare", str(scenario), str(first), *common, "--reuse"]) == 0
    captured = capsys.readouterr()
    assert f"[1/2] {scenario}: reusing {first}" in captured.err
    assert list(runs.glob("*.zarr")) == [first]
    assert captured.out.splitlines()[0].split() == ["measure", "short", "short-2"]

    # A window outside the scenario's run is refused before it runs.
    assert cli(["compare", str(scenario), *common, "--stop", "2 s"]) == 2
    assert capsys.readouterr().err == (
        f"depnet: error: {scenario}: --stop 2 s is after the run's end (1 s)\n"
    )
    assert list(runs.glob("*.zarr")) == [first]

    scenario.write_text(SHORT.replace('warmup = "0.5 s"', 'warmup = "0.4 s"'))  # edited
    assert cli(["compare", str(scenario), *common, "--reuse"]) == 0
    assert "running short on cpp" in capsys.readouterr().err
    assert len(list(runs.glob("*.zarr"))) == 2


def test_compare_help_explains_the_measures(capsys, cli):
    with pytest.raises(SystemExit) as exit_:
        cli(["compare", "--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    for words in ("principal-cell rate", "interneuron rate", "[5-HT] (nM)", "synapse density",
                  "CONTESTED", "PAS response", "--reuse", "--table", "--start", "--stop",
                  "window"):  # fmt: skip
        assert words in text
