"""``depnet report``: one self-contained HTML file whose figures are real, non-blank PNGs."""

from __future__ import annotations

import base64
import io
import re

import numpy as np
import pytest
import zarr
from PIL import Image

from depnet.analysis import open_run
from depnet.analysis.report import write_report
from depnet.analysis.synthetic import poisson_trains, synthetic_run
from depnet.rundata import SynapseRecord
from tests.conftest import depnet_cli
from tests.test_analysis_real import real_stores

IMAGE = re.compile(r'<img alt="[^"]*" src="data:image/png;base64,([A-Za-z0-9+/=]+)">')


@pytest.fixture(scope="module")
def stores(shared_runs, tmp_path_factory):
    return real_stores(shared_runs, tmp_path_factory)


def images(html: str) -> list[np.ndarray]:
    """Every embedded PNG, decoded to RGB pixels (fails if one does not decode)."""
    return [
        np.asarray(Image.open(io.BytesIO(base64.b64decode(data))).convert("RGB"))
        for data in IMAGE.findall(html)
    ]


def assert_not_blank(pixels: np.ndarray) -> None:
    """A figure, not an empty canvas: a real size, and over 2% of its pixels not white."""
    assert pixels.shape[0] > 200 and pixels.shape[1] > 300
    assert (pixels < 250).any(axis=-1).mean() > 0.02


def test_report_of_the_default_scenario_has_its_figures_and_tables(stores, tmp_path):
    """Raster + rates, serotonin, spectra and FC (4 figures; a 5th, synapses, only for plastic
    runs) and the field-potential spectra (the BOLD needs more than this short run); tables of
    per-population and per-region measures and of the clinical readouts."""
    result = depnet_cli("report", str(stores["healthy"]), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    report = tmp_path / "out" / f"{stores['healthy'].stem}-report.html"  # named after the store
    assert result.stdout.strip() == f"report: {report}"
    html = report.read_text()
    plastic = "synapses" in open_run(stores["healthy"]).children
    decoded = images(html)
    assert len(decoded) == html.count("<img") == 4 + plastic + 1
    for pixels in decoded:
        assert_not_blank(pixels)
    assert "rate (Hz)" in html and "c_5ht (nM)" in html
    assert "Clinical readouts" in html and "sgACC relative theta power" in html
    assert "No BOLD figure: the run is too short" in html
    assert 'src="http' not in html and "<script" not in html  # self-contained


def test_report_of_a_sweep_compares_its_points(stores, tmp_path):
    html = write_report(stores["sweep"], tmp_path).read_text()
    decoded = images(html)
    assert len(decoded) == 2
    for pixels in decoded:
        assert_not_blank(pixels)
    assert "serotonin.ssri_occupancy" in html and "3 complete runs" in html


def test_report_of_a_plastic_run_adds_synapse_density_and_weights(tmp_path):
    rng = np.random.default_rng(0)
    t = np.arange(11) * 0.1
    record = SynapseRecord(
        time=t, n_present=np.linspace(100, 80, 11), pool_size=200, w_mean=np.full(11, 1e-9),
        w_std=np.zeros(11), pre=np.zeros(200, np.int32), post=np.zeros(200, np.int32),
        w_final=rng.uniform(0, 1e-9, 200), present_final=(np.arange(200) < 80).astype(float),
    )  # fmt: skip
    store = synthetic_run(
        {"ctx_exc": poisson_trains(5.0, 1.0, 50, rng), "ctx_inh": poisson_trains(20.0, 1.0, 10,
                                                                                 rng)},
        1.0, synapses={"ctx_exc_to_ctx_exc": record}, path=tmp_path / "plastic.zarr",
    )  # fmt: skip
    assert "synapses" in store.children
    html = write_report(tmp_path / "plastic.zarr", tmp_path).read_text()
    decoded = images(html)
    assert len(decoded) == 5
    for pixels in decoded:
        assert_not_blank(pixels)
    assert "active-synapse density" in html.lower()


def test_report_of_a_missing_store_is_one_line_with_exit_status_2(tmp_path, capsys, cli):
    assert cli(["report", str(tmp_path / "absent.zarr")]) == 2
    assert capsys.readouterr().err == (
        f"depnet: error: {tmp_path / 'absent.zarr'}: no such store or sweep folder\n"
    )


def test_report_of_an_unfinished_run_is_refused(tmp_path, capsys, cli):
    rng = np.random.default_rng(1)
    synthetic_run({"ctx_exc": poisson_trains(1.0, 1.0, 5, rng)}, 1.0, path=tmp_path / "x.zarr")
    zarr.open_group(tmp_path / "x.zarr", mode="r+").attrs["status"] = "writing"
    assert cli(["report", str(tmp_path / "x.zarr"), "--out", str(tmp_path)]) == 2
    assert "store is incomplete" in capsys.readouterr().err
    assert not list(tmp_path.glob("*.html"))
