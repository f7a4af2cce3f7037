"""A real single-node Slurm on localhost for the test session (installed if missing).

``.ci/slurm.sh`` installs Debian's slurmctld, slurmd and munge (root and apt are part of the CI
machines' contract: Debian 12, root), writes a slurm.conf under a temporary folder, starts the
daemons and stops them, by their PIDs, when the session ends. Import the fixture into a test
module (``from tests.slurm_fixture import slurm_cluster``) to use it.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from depnet.cluster.slurm import slurm_environment

SCRIPT = Path(__file__).resolve().parent.parent / ".ci" / "slurm.sh"


@pytest.fixture(scope="session")
def slurm_cluster(tmp_path_factory) -> Path:
    """Start Slurm for the session; ``SLURM_CONF`` points client commands at it."""
    env = slurm_environment()  # without the LD_BIND_NOW that Brian2 leaves in this process
    subprocess.run([str(SCRIPT), "install"], check=True, timeout=600, env=env)
    run = tmp_path_factory.mktemp("slurm")
    started = subprocess.run(
        [str(SCRIPT), "start", str(run)], capture_output=True, text=True, timeout=120, env=env
    )
    if started.returncode != 0:
        raise RuntimeError(f"could not start Slurm: {started.stderr}")
    previous = os.environ.get("SLURM_CONF")
    os.environ["SLURM_CONF"] = str(run / "slurm.conf")
    try:
        yield run
    finally:
        subprocess.run(["scancel", "--user", "root"], capture_output=True, timeout=30, env=env)
        subprocess.run([str(SCRIPT), "stop", str(run)], timeout=60, env=env)
        if previous is None:
            os.environ.pop("SLURM_CONF", None)
        else:
            os.environ["SLURM_CONF"] = previous
