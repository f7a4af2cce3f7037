"""Errors of sweeps, reported by the command line as one line with their exit status."""

from __future__ import annotations

from depnet.errors import DepnetError


class SweepError(DepnetError):
    """A sweep file or sweep folder that is malformed or inconsistent (exit status 2)."""

    exit_status = 2


class SubmitError(DepnetError):
    """A submission that the scheduler refused or could not take (exit status 1)."""

    exit_status = 1


class PointError(DepnetError):
    """A sweep point that failed while it was built or simulated (exit status 1)."""

    exit_status = 1
