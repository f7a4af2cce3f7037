"""Shared fixtures: a build cache for the session, the shipped scenario, small variants of it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from depnet.scenarios import scenario_path
from depnet.spec import load_scenario

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session", autouse=True)
def build_root(tmp_path_factory) -> Path:
    """Standalone builds of this test session go to one temporary cache (shared by tests)."""
    root = tmp_path_factory.mktemp("depnet-build")
    os.environ["DEPNET_BUILD_ROOT"] = str(root)
    return root


@pytest.fixture(scope="session")
def default_scenario_file() -> Path:
    return scenario_path("raphe_pfc")


def small_scenario(duration: str = "2 s", warmup: str = "1 s", **parameters):
    """The default scenario, shorter, with parameter overrides (``serotonin__ssri_occupancy``)."""
    settings = {"scenario.duration": duration, "scenario.warmup": warmup}
    for key, value in parameters.items():
        settings["parameters." + key.replace("__", ".")] = value
    return load_scenario(scenario_path("raphe_pfc"), settings)


def depnet_cli(*args: str, cwd: Path | None = None, timeout: float = 600):
    """Run the ``depnet`` command line in a fresh interpreter, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "depnet", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
