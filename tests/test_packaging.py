"""One distribution, one namespace: the top-level folders install as depnet.<folder>."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

SUBPACKAGES = ("circuits", "plasticity_rules", "scenarios", "cluster", "analysis")
PROBE = f"""
import importlib, json
found = {{}}
for name in {SUBPACKAGES!r}:
    module = importlib.import_module("depnet." + name)
    try:
        importlib.import_module(name)
        bare = True
    except ImportError:
        bare = False
    found[name] = {{"file": module.__file__, "bare": bare}}
print(json.dumps(found))
"""


def _probe(python: str, cwd: Path, env: dict | None = None) -> dict:
    out = subprocess.run(
        [python, "-c", PROBE], cwd=cwd, capture_output=True, text=True, env=env, check=True
    )
    return json.loads(out.stdout)


def test_editable_install_maps_folders_into_depnet(tmp_path):
    """The project venv holds the editable install (bootstrap.sh: pip install -e)."""
    found = _probe(sys.executable, cwd=tmp_path)  # away from the checkout: no cwd imports
    for name, where in found.items():
        assert Path(where["file"]).resolve() == (ROOT / name / "__init__.py").resolve()
        assert not where["bare"], f"'import {name}' must not work; only depnet.{name}"


def test_regular_install_maps_folders_into_depnet(tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-compile",
         "--target", str(target), str(ROOT)],
        check=True, capture_output=True,
    )  # fmt: skip
    found = _probe(sys.executable, cwd=tmp_path, env={"PYTHONPATH": str(target)})
    for name, where in found.items():
        assert Path(where["file"]).resolve() == (target / "depnet" / name / "__init__.py").resolve()
        assert not where["bare"]
    assert not any((target / name).exists() for name in SUBPACKAGES)
    assert (target / "depnet" / "scenarios" / "raphe_pfc.toml").is_file()
    assert (target / "depnet" / "native" / "depnet_heap_arrays.h").is_file()
    # A shipped scenario that extends another finds it beside itself in the installed package.
    check = (
        "from depnet.scenarios import scenario_path; from depnet.spec import load_scenario; "
        "spec = load_scenario(scenario_path('ketamine')); print(sorted(spec.plasticity))"
    )
    out = subprocess.run(
        [sys.executable, "-c", check], cwd=tmp_path, env={"PYTHONPATH": str(target)},
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "ca3_exc_to_ca1_exc" in out.stdout
