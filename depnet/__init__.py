"""depnet: a spiking network model of the brain circuits implicated in major depression.

The verbs a notebook needs are here: :func:`load_scenario`, :func:`simulate`,
:func:`open_run`, :func:`sweep` and :func:`open_sweep`. ``import depnet`` stays light: each verb
imports what it needs when called, so opening stores never imports Brian2 or the model.

The layers, each importing only from those before it (``tests/test_layers.py`` checks it): the
data layer (:mod:`depnet.errors`, :mod:`depnet.rundata`, :mod:`depnet.store`); the model
(:mod:`depnet.quantities`, with Brian2's units, :mod:`depnet.spec`, :mod:`depnet.circuits`,
:mod:`depnet.plasticity_rules`, :mod:`depnet.scenarios`); the engine (:mod:`depnet.devices`,
:mod:`depnet.standalone`, :mod:`depnet.recording`, :mod:`depnet.run`); the command line and the
cluster (:mod:`depnet.cli`, :mod:`depnet.cluster`). :mod:`depnet.analysis` reads stores through
the data layer only.

Examples
--------
Run a shipped scenario, shortened, on the CPU and look at it (the build is cached: a second run
of the same network does not compile):

>>> import depnet
>>> spec = depnet.load_scenario(
...     "raphe_pfc", {"scenario.duration": "0.5 s", "scenario.warmup": "0.1 s"}
... )
>>> tree = depnet.simulate(spec, target="cpp", out="runs/raphe_pfc.zarr", progress=False)
>>> tree.attrs["status"], tree.attrs["duration_s"]
('complete', 0.5)
>>> sorted(tree["spikes"].children)
['drn_5ht', 'drn_gaba', 'sgacc_exc', 'sgacc_inh']

Simulating returns what opening the store gives, and a second run of the same network does not
compile again:

>>> depnet.open_run("runs/raphe_pfc.zarr").identical(tree)
True
>>> again = depnet.simulate(spec, target="cpp", out="runs/again.zarr", progress=False)
>>> again.attrs["wall_time_build_s"] < 5
True
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import xarray as xr

    from depnet.cluster.submit import Submission
    from depnet.spec import Scenario

__version__ = "0.1.0"

__all__ = ["load_scenario", "open_run", "open_sweep", "simulate", "sweep"]


def load_scenario(source: str | Path, settings: Mapping[str, Any] | None = None) -> Scenario:
    """A validated scenario, from a file or the name of a shipped scenario.

    Parameters
    ----------
    source
        A scenario file (``.toml``), or the name of one shipped in ``scenarios/`` (``"healthy"``,
        ``"ssri_chronic"``, ...).
    settings
        Dotted overrides, as ``depnet run --set`` takes them: ``{"scenario.seed": 3,
        "serotonin.ssri_occupancy": 0.6, "scenario.duration": "2 s"}``.

    Raises
    ------
    depnet.errors.ScenarioError
        A malformed file or setting (the message names the key).
    FileNotFoundError
        Neither a file nor a shipped scenario of that name.

    Examples
    --------
    >>> import depnet
    >>> spec = depnet.load_scenario("healthy", {"scenario.seed": 3})
    >>> spec.scenario.name, spec.scenario.seed
    ('healthy', 3)
    """
    from depnet.scenarios import scenario_path
    from depnet.spec import load_scenario as load

    path = Path(source)
    if not path.is_file() and path.suffix != ".toml" and path.parent == Path("."):
        path = scenario_path(str(source))
    return load(path, settings)


def simulate(
    scenario: Scenario | str | Path,
    *,
    target: str | None = None,
    out: str | Path | None = None,
    overwrite: bool = False,
    progress: bool = True,
) -> xr.DataTree:
    """Simulate a scenario, write its store and open it (the Python side of ``depnet run``; the
    verb is not ``run`` because :mod:`depnet.run` is the engine module).

    As ``depnet run``: the network is compiled once per structure and target and cached; an
    unfinished run of the same scenario in ``runs/`` is resumed.

    Parameters
    ----------
    scenario
        A scenario from :func:`load_scenario`, or what :func:`load_scenario` takes.
    target
        ``"cpp"`` (C++ standalone), ``"cuda"`` (brian2cuda; needs a GPU), ``"runtime"``
        (numpy, slow) or ``"auto"``; default: the scenario's own.
    out
        The store; default ``runs/<name>-<target>-<timestamp>.zarr`` under the current folder.
    overwrite
        Replace a complete store at ``out``.
    progress
        Show a progress bar on standard error.

    Returns
    -------
    xarray.DataTree
        The stored run, as :func:`open_run` opens it.

    Raises
    ------
    depnet.errors.DepnetError
        A subclass naming the problem: the scenario (``ScenarioError``), the target or the
        compiler (``DeviceError``), or the store (``StoreError``).
    """
    from depnet.run import run_scenario

    spec = scenario if not isinstance(scenario, str | Path) else load_scenario(scenario)
    result = run_scenario(spec, device=target, out=out, overwrite=overwrite, progress=progress)
    return open_run(result.store)


def open_run(path: str | Path, *, chunks: dict | None = None) -> xr.DataTree:
    """Open a complete run store lazily (see :func:`depnet.analysis.open_run`)."""
    from depnet.analysis import open_run as open_store

    return open_store(path, chunks=chunks)


def sweep(
    sweep_file: str | Path,
    *,
    executor: str = "local",
    out: str | Path | None = None,
    dry_run: bool = False,
) -> Submission:
    """Plan a sweep file and run (``executor="local"``) or submit (``"slurm"``) its points.

    Points already complete or queued are skipped, so calling it again resumes a sweep. The
    local executor runs the points here, one after another, and returns when they are done;
    Slurm returns once the job arrays are queued (``depnet status`` follows them).

    Returns
    -------
    depnet.cluster.submit.Submission
        The plan (``.plan.points``, ``.plan.out``) and the jobs run or submitted.

    Raises
    ------
    depnet.errors.SweepError
        A malformed sweep file (the message names the key); nothing is run.

    Examples
    --------
    ``sweeps/ssri_quick.toml`` (in a clone of depnet) varies the SSRI's SERT occupancy, 0 and 0.6,
    on a short raphe-PFC run: one network structure (one build), two points.

    >>> import depnet
    >>> plan = depnet.sweep("sweeps/ssri_quick.toml", out="runs/sweep", dry_run=True).plan
    >>> len(plan.groups), len(plan.points)
    (1, 2)
    >>> done = depnet.sweep("sweeps/ssri_quick.toml", out="runs/sweep")
    >>> depnet.open_sweep("runs/sweep")["serotonin.ssri_occupancy"].values
    array([0. , 0.6])
    """
    from depnet.cluster.submit import submit

    return submit(sweep_file, executor=executor, out=out, dry_run=dry_run)


def open_sweep(path: str | Path) -> xr.DataTree:
    """Open a sweep's runs stacked along ``point`` (see :func:`depnet.analysis.open_sweep`)."""
    from depnet.analysis import open_sweep as open_points

    return open_points(path)
