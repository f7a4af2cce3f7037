"""The command line as the README uses it: run the default scenario, then inspect its store."""

from __future__ import annotations

from depnet.analysis import open_run
from tests.conftest import ROOT, depnet_cli


def test_readme_main_job_writes_a_store_that_opens(tmp_path):
    """`depnet run scenarios/raphe_pfc.toml` on the CPU default (cpp), from the checkout."""
    out = tmp_path / "healthy.zarr"
    run = depnet_cli("run", "scenarios/raphe_pfc.toml", "--out", str(out), "--quiet", cwd=ROOT)
    assert run.returncode == 0, run.stderr
    assert f"store: {out}" in run.stdout
    assert "firing rates: drn_5ht" in run.stdout and "[5-HT]: drn" in run.stdout
    tree = open_run(out)
    assert tree.attrs["device"] == "cpp" and tree.attrs["status"] == "complete"

    info = depnet_cli("info", str(out))
    assert info.returncode == 0, info.stderr
    assert "raphe regularity" in info.stdout


def test_info_on_a_missing_store_is_one_line(tmp_path):
    result = depnet_cli("info", str(tmp_path / "none.zarr"))
    assert result.returncode == 2
    assert result.stderr.strip() == f"depnet: error: {tmp_path / 'none.zarr'}: no such store"


def test_params_lists_every_value_with_a_source():
    result = depnet_cli("params", "serotonin.")
    assert result.returncode == 0
    lines = result.stdout.strip().splitlines()
    assert any(line.startswith("serotonin.km_sert = 60 nM") for line in lines)
    assert all("#" in line for line in lines)
