"""The command line as the README uses it: run the main job, then inspect its store."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from depnet.analysis import open_run, summarize
from tests.conftest import ROOT, depnet_cli

README = (ROOT / "README.md").read_text()


def _readme_sample(prefix: str) -> str:
    """The line of the README's sample output that starts with ``prefix``, whole: the README
    wraps long lines after a comma, continuing them on lines indented by two spaces, which are
    joined back here (one space at each break), so the line compares with the output exactly."""
    lines = README.splitlines()
    start = next(k for k, line in enumerate(lines) if line.startswith(prefix))
    line = lines[start]
    for more in lines[start + 1 :]:
        if not (line.endswith(",") and more.startswith("  ") and not more.startswith("   ")):
            break
        line += " " + more.removeprefix("  ")
    return line


def test_the_readme_main_job_runs_as_written_and_prints_what_the_readme_shows(tmp_path):
    """The README's first command, ``.venv/bin/depnet run scenarios/healthy.toml``, exactly (in a
    folder holding the checkout's scenarios, so that its ``runs/`` lands there): the whole
    healthy circuit on the CPU default for 4 s, whose summary is the README's sample, digit for
    digit (the run is deterministic), and whose store opens."""
    assert "./bootstrap.sh && .venv/bin/depnet run scenarios/healthy.toml" in README
    (tmp_path / "scenarios").symlink_to(ROOT / "scenarios")
    depnet = Path(sys.executable).with_name("depnet")
    run = subprocess.run(
        [str(depnet), "run", "scenarios/healthy.toml"], cwd=tmp_path, capture_output=True,
        text=True, timeout=1200,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    (store,) = (tmp_path / "runs").glob("healthy-cpp-*.zarr")
    assert f"store: runs/{store.name}" in run.stdout
    for prefix in ("scenario healthy", "firing rates:", "raphe regularity:", "[5-HT]:"):
        assert _readme_sample(prefix) in run.stdout.splitlines(), prefix
    tree = open_run(store)
    assert tree.attrs["device"] == "cpp" and tree.attrs["status"] == "complete"

    info = depnet_cli("info", str(store))
    assert info.returncode == 0, info.stderr
    assert _readme_sample("raphe regularity:") in info.stdout


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


def test_help_names_every_environment_variable_the_commands_read():
    """`depnet --help` lists each DEPNET_* variable that the package's code reads (the
    notebooks' own variables and the progress tag the binary prints are not settings)."""
    import re

    from depnet.cli import ENVIRONMENT

    not_settings = {"DEPNET_PROGRESS"}  # depnet.standalone.PROGRESS_TAG, a line the binary prints
    folders = ("depnet", "circuits", "plasticity_rules", "scenarios", "cluster")
    read = {
        name
        for folder in folders
        for path in (ROOT / folder).rglob("*.py")
        for name in re.findall(r"DEPNET_[A-Z_]+", path.read_text())
    } - not_settings
    assert read == {"DEPNET_BUILD_ROOT", "DEPNET_DATA_CACHE_GB", "DEPNET_MEMORY_LIMIT",
                    "DEPNET_GPU_MEMORY_LIMIT"}  # fmt: skip
    for name in read:
        assert name in ENVIRONMENT, name
    assert "environment:" in depnet_cli("--help").stdout


def _variant(folder: Path, name: str, occupancy: float) -> Path:
    """A scenario file on raphe_pfc's network: only its name and SSRI occupancy differ."""
    path = folder / f"{name}.toml"
    path.write_text(
        f'extends = "{ROOT / "scenarios" / "raphe_pfc.toml"}"\n[scenario]\nname = "{name}"\n'
        f"[parameters.serotonin]\nssri_occupancy = {occupancy}\n"
    )
    return path


SHORT = ["--set", "scenario.duration=0.2 s", "--set", "scenario.warmup=0.1 s", "--quiet"]


def test_several_scenarios_run_in_one_process_each_to_its_store(tmp_path, monkeypatch, cli, capsys):
    """``depnet run a.toml b.toml``: each scenario's store under runs/, its summary printed, in
    the order given, from one build; the SSRI's variant (occupancy 0.8) has more [5-HT] than the
    drug-free one."""
    monkeypatch.chdir(tmp_path)
    files = [_variant(tmp_path, "drug_free", 0.0), _variant(tmp_path, "ssri", 0.8)]
    assert cli(["run", *map(str, files), *SHORT]) == 0
    out = capsys.readouterr().out
    stores = [
        line.removeprefix("store: ") for line in out.splitlines() if line.startswith("store:")
    ]
    assert [Path(s).name.split("-")[0] for s in stores] == ["drug_free", "ssri"]
    trees = [open_run(s) for s in stores]
    for tree in trees:  # printed from memory, the same as from the store
        assert summarize(tree) in out
    serotonin = [float(tree["serotonin"]["c_5ht"].mean()) for tree in trees]
    assert serotonin[1] > serotonin[0], serotonin
    assert len({tree.attrs["run"]["build_dir"] for tree in trees}) == 1  # one build serves both


def test_several_scenarios_are_all_checked_before_any_runs(tmp_path, monkeypatch, cli, capsys):
    """A malformed file among several: one line naming it, exit 2, and nothing run."""
    monkeypatch.chdir(tmp_path)
    malformed = ROOT / "tests" / "malformed" / "extends_missing_file.toml"
    status = cli(["run", str(_variant(tmp_path, "first", 0.0)), str(malformed), *SHORT])
    assert status == 2
    assert capsys.readouterr().err.strip().startswith(f"depnet: error: {malformed}")
    assert not (tmp_path / "runs").exists()


def test_one_out_for_several_scenarios_is_one_line(tmp_path, monkeypatch, cli, capsys):
    monkeypatch.chdir(tmp_path)
    a, b = _variant(tmp_path, "a", 0.0), _variant(tmp_path, "b", 0.5)
    assert cli(["run", str(a), str(b), "--out", "x.zarr", *SHORT]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "--out names one store, and 2 scenarios were given" in line
    assert cli(["run", str(a), str(a), *SHORT]) == 2
    assert "scenario 'a' given twice" in capsys.readouterr().err
    assert sorted(tmp_path.iterdir()) == sorted([a, b])
