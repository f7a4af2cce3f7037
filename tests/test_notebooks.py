"""The analysis notebooks (jupytext percent-format .py files) run top to bottom on real stores
and draw their figures."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import jupytext
import nbclient
import numpy as np
import pytest
from PIL import Image

from tests.test_analysis_real import real_stores

NOTEBOOKS = Path(__file__).resolve().parent.parent / "analysis" / "notebooks"


@pytest.fixture(scope="module")
def stores(shared_runs, tmp_path_factory):
    return real_stores(shared_runs, tmp_path_factory)


def environment(stores) -> dict[str, str]:
    """The variables the notebooks read their stores from."""
    return {
        "DEPNET_STORE": str(stores["healthy"]),
        "DEPNET_HEALTHY_STORE": str(stores["healthy"]),
        "DEPNET_SSRI_STORE": str(stores["ssri"]),
        "DEPNET_AUTORECEPTOR_STORE": str(stores["autoreceptor"]),
        "DEPNET_SWEEP": str(stores["sweep"]),
    }


def test_every_notebook_is_tested():
    assert sorted(p.name for p in NOTEBOOKS.glob("*.py")) == [
        "01_explore_run.py",
        "02_compare_conditions.py",
        "03_sweep.py",
    ]


@pytest.mark.parametrize("name", ["01_explore_run", "02_compare_conditions", "03_sweep"])
def test_notebook_runs_without_error_and_draws_figures(name, stores, tmp_path, monkeypatch):
    for key, value in environment(stores).items():
        monkeypatch.setenv(key, value)
    notebook = jupytext.read(NOTEBOOKS / f"{name}.py")
    client = nbclient.NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": tmp_path}}
    )
    client.execute()  # raises CellExecutionError on the first failing cell
    pngs = [
        output["data"]["image/png"]
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if "image/png" in output.get("data", {})
    ]
    assert pngs, f"{name} drew no figure"
    for data in pngs:
        pixels = np.asarray(Image.open(io.BytesIO(base64.b64decode(data))).convert("RGB"))
        assert pixels.shape[0] > 200 and (pixels < 250).any(axis=-1).mean() > 0.02
