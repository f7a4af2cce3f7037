"""The plan of a sweep: its points, grouped by network structure, and where everything lands.

Points whose networks have the same fingerprint (:func:`depnet.run.network_data`) form one group:
the group compiles once (:func:`depnet.run.ensure_build`) and runs every point, whatever its
parameters, interventions, traits, duration or seed, on that binary. Axes that change sizes,
equations or constants compiled into the code split the sweep into groups by themselves, without
a list of such parameters.

Layout of a sweep folder (``[sweep] out``)::

    plan.json                      this plan (what the workers read)
    points/<point>.zarr            one store per point and seed, written atomically
    points/<point>.error.json      why a point failed (removed when it completes)
    work/<point>/seg-NNN/          completed segments of a running point (resume)
    slurm/                         batch scripts, task lists and one log per task
    submissions.json               job ids of every submission
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from depnet.cluster.errors import SweepError
from depnet.cluster.sweep_spec import Sweep, check_path, load_sweep, point_scenario
from depnet.run import Options, build_root, network_data
from depnet.spec import Scenario

PLAN_VERSION = 2


@dataclass
class Point:
    """One simulation: a combination of axis values and a seed."""

    id: str
    combination: int  # index into the grid of axis values
    values: dict[str, Any]  # scenario key -> raw value (as in the sweep file)
    seed: int
    group: str


@dataclass
class Group:
    """Points that share one network structure (one build)."""

    id: str
    fingerprint: str
    combinations: list[int]
    reference: int  # the combination the build is made from (at the sweep's first seed)


@dataclass
class Plan:
    """Everything a worker needs, written to ``plan.json`` at submission."""

    name: str
    sweep_file: str
    sweep_digest: str
    out: str
    target: str
    segment: str | None
    duration_s: float
    axes: dict[str, list[Any]]
    seeds: list[int]
    base: dict[str, Any]
    scenario_file: str
    settings: dict[str, Any]
    resources: dict[str, Any]
    build_root: str
    groups: list[Group] = field(default_factory=list)
    points: list[Point] = field(default_factory=list)
    version: int = PLAN_VERSION

    # -- paths ---------------------------------------------------------------------------------
    @property
    def root(self) -> Path:
        return Path(self.out)

    def store_path(self, point: Point) -> Path:
        return self.root / "points" / f"{point.id}.zarr"

    def error_path(self, point: Point) -> Path:
        """The error record of a failed point, beside where its store would be."""
        return self.root / "points" / f"{point.id}.error.json"

    def work_dir(self, point: Point) -> Path:
        return self.root / "work" / point.id

    @property
    def options(self) -> Options:
        cc = self.resources.get("compute_capability") if self.target == "cuda" else None
        return Options(self.target, int(self.resources.get("threads", 0)), cc)

    @property
    def slurm_dir(self) -> Path:
        return self.root / "slurm"

    # -- lookups -------------------------------------------------------------------------------
    def point(self, point_id: str) -> Point:
        for point in self.points:
            if point.id == point_id:
                return point
        raise SweepError(f"{self.root}: no point {point_id!r} in this sweep")

    def group(self, group_id: str) -> Group:
        for group in self.groups:
            if group.id == group_id:
                return group
        raise SweepError(f"{self.root}: no group {group_id!r} in this sweep")

    def combination_values(self, combination: int) -> dict[str, Any]:
        return next(p.values for p in self.points if p.combination == combination)

    def scenario(self, values: dict[str, Any], seed: int) -> Scenario:
        return point_scenario(
            self.base, self.scenario_file, self.settings, values, seed, self.segment
        )

    def point_scenario(self, point: Point) -> Scenario:
        return self.scenario(point.values, point.seed)

    def reference_scenario(self, group: Group) -> Scenario:
        """The scenario a group's build is compiled from."""
        return self.scenario(self.combination_values(group.reference), self.seeds[0])

    # -- storage -------------------------------------------------------------------------------
    def save(self) -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / "plan.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(asdict(self), indent=1, default=str))
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, folder: str | Path) -> Plan:
        path = Path(folder) / "plan.json"
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise SweepError(f"{folder}: not a sweep folder (no plan.json)") from None
        except json.JSONDecodeError as err:
            raise SweepError(f"{path}: unreadable plan: {err}") from None
        if data.get("version") != PLAN_VERSION:
            raise SweepError(
                f"{path}: plan version {data.get('version')} is not {PLAN_VERSION} (made by "
                "another depnet: submit the sweep file again into a new out folder)"
            )
        data["groups"] = [Group(**g) for g in data["groups"]]
        data["points"] = [Point(**p) for p in data["points"]]
        return cls(**data)


def _target(device: str, gpus: int) -> str:
    # "auto" is decided by what the tasks ask for, not by the machine that submits (a login
    # node without a GPU submits GPU work).
    if device == "auto":
        return "cuda" if gpus > 0 else "cpp"
    return device


def default_out(sweep: Sweep) -> Path:
    return Path(sweep.content.sweep.out or Path("runs") / "sweeps" / sweep.name)


def make_plan(sweep_file: str | Path, out: str | Path | None = None) -> Plan:
    """Expand a sweep file into points and group them by network structure.

    Raises
    ------
    SweepError
        For a malformed sweep file.
    """
    from depnet.quantities import format_quantity

    sweep = load_sweep(sweep_file)
    section = sweep.content.sweep
    root = Path(out) if out is not None else default_out(sweep)
    for key, path in (("out", root.resolve()), ("build_root", section.build_root or build_root())):
        try:
            check_path(str(Path(path).resolve()))
        except ValueError as err:
            raise SweepError(f"{sweep_file}: sweep.{key}: {err}") from None
    base = sweep.scenario({}, sweep.seeds[0])
    plan = Plan(
        name=sweep.name,
        sweep_file=str(Path(sweep_file).resolve()),
        sweep_digest=hashlib.sha256(Path(sweep_file).read_bytes()).hexdigest()[:16],
        out=str(root.resolve()),
        target=_target(section.device, sweep.resources.gpus),
        segment=format_quantity(section.segment) if section.segment is not None else None,
        duration_s=float(base.scenario.duration / base.scenario.dt) * float(base.scenario.dt),
        axes={k: list(v) for k, v in sweep.axes.items()},
        seeds=list(sweep.seeds),
        base=sweep.base,
        scenario_file=str(sweep.scenario_file),
        settings=sweep.settings,
        resources=sweep.resources.model_dump(mode="json"),
        build_root=str(Path(section.build_root or build_root()).resolve()),
    )
    structural = _structural_axes(plan, sweep)
    groups: dict[str, Group] = {}
    by_structure: dict[tuple, str] = {}  # structural axis values -> fingerprint
    for index, values in enumerate(sweep.combinations()):
        key = tuple(repr(values[k]) for k in structural)
        if key not in by_structure:
            by_structure[key] = _fingerprint(plan, sweep.scenario(values, sweep.seeds[0]))
        digest = by_structure[key]
        if digest not in groups:
            groups[digest] = Group(f"g{len(groups)}", digest, [], index)
        group = groups[digest]
        group.combinations.append(index)
        for seed in sweep.seeds:
            plan.points.append(Point(f"p{index:04d}-s{seed}", index, values, seed, group.id))
    plan.groups = list(groups.values())
    return plan


def _fingerprint(plan: Plan, scenario: Scenario) -> str:
    return network_data(scenario, plan.target, Path(plan.build_root)).fingerprint


def _structural_axes(plan: Plan, sweep: Sweep) -> list[str]:
    """Axes whose values change the network's structure, probed one axis at a time.

    Each axis is varied alone from the first combination; a value that changes the fingerprint
    makes the axis structural. Intervention axes are cheap to probe (interventions reach the
    network as a schedule, so their network data is shared); trait axes cost a dry build per
    value. An interaction that this probe misses (two axes that change the structure only
    together) is caught by the worker, which checks every point's fingerprint against its build
    before it runs.
    """
    first = {k: v[0] for k, v in sweep.axes.items()}
    digest = _fingerprint(plan, sweep.scenario(first, sweep.seeds[0]))
    structural = []
    for key, values in sweep.axes.items():
        for value in values[1:]:
            other = _fingerprint(plan, sweep.scenario({**first, key: value}, sweep.seeds[0]))
            if other != digest:
                structural.append(key)
                break
    return structural
