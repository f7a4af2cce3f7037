"""A real single-node Slurm on localhost for the test session, where Slurm is installed.

``.ci/slurm.sh`` writes a slurm.conf under a temporary folder, starts munged, slurmctld and
slurmd, and stops them by their PIDs when the session ends. The tests do not install anything:
where Slurm is missing they are skipped with that reason (``.ci/run`` installs it with
``.ci/slurm.sh install`` and sets ``DEPNET_REQUIRE_SLURM``, under which a missing Slurm fails).
Import the fixture into a test module (``from tests.slurm_fixture import slurm_cluster``).

At the end the fixture cancels the jobs of its own controller, by their ids
(:func:`cancel_own_jobs`): a controller started for this session, with an empty state folder,
knows only the jobs this session submitted. Nothing else on the host is touched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from depnet.cluster.slurm import slurm_environment

SCRIPT = Path(__file__).resolve().parent.parent / ".ci" / "slurm.sh"
DAEMONS = ("/usr/sbin/slurmctld", "/usr/sbin/slurmd", "/usr/sbin/munged")


def slurm_installed() -> bool:
    return shutil.which("sbatch") is not None and all(os.access(d, os.X_OK) for d in DAEMONS)


def own_jobs(conf: Path) -> list[str]:
    """Ids of the jobs that the controller of ``conf`` (this session's) knows."""
    env = slurm_environment() | {"SLURM_CONF": str(conf)}
    out = subprocess.run(
        ["squeue", "-h", "-o", "%A"], capture_output=True, text=True, timeout=30, env=env
    )
    return sorted(set(out.stdout.split())) if out.returncode == 0 else []


def cancel_own_jobs(conf: Path) -> list[str]:
    """Cancel the jobs of this session's controller by id; returns the ids cancelled."""
    ids = own_jobs(conf)
    if ids:
        env = slurm_environment() | {"SLURM_CONF": str(conf)}
        subprocess.run(["scancel", *ids], capture_output=True, timeout=30, env=env)
    return ids


@pytest.fixture(scope="session")
def slurm_cluster(tmp_path_factory) -> Path:
    """Start Slurm for the session; ``SLURM_CONF`` points client commands at it."""
    if not slurm_installed():
        # A newcomer's default suite needs no root or apt; CI (DEPNET_REQUIRE_SLURM, set by
        # .ci/run after installing Slurm) must never skip these tests.
        if os.environ.get("DEPNET_REQUIRE_SLURM"):
            pytest.fail("DEPNET_REQUIRE_SLURM is set but Slurm is not installed (.ci/slurm.sh)")
        pytest.skip("Slurm is not installed here (.ci/run installs it: .ci/slurm.sh install)")
    env = slurm_environment()  # without the LD_BIND_NOW that Brian2 leaves in this process
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
        cancel_own_jobs(run / "slurm.conf")
        subprocess.run([str(SCRIPT), "stop", str(run)], timeout=60, env=env)
        if previous is None:
            os.environ.pop("SLURM_CONF", None)
        else:
            os.environ["SLURM_CONF"] = previous
