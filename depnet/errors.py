"""Errors that the command line reports as one line, with their exit status."""

from __future__ import annotations


class DepnetError(Exception):
    """Base class: a problem the user can fix, reported without a traceback."""

    exit_status = 1


class ScenarioError(DepnetError):
    """A scenario file that is malformed, inconsistent or impossible (exit status 2)."""

    exit_status = 2


class StoreError(DepnetError):
    """A store that is missing, incomplete or cannot be written."""

    exit_status = 2


class DeviceError(DepnetError):
    """A target that cannot be used here (no GPU, no compiler, a failed build)."""

    exit_status = 1
