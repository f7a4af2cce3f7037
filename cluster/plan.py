"""The plan of a sweep: its points, grouped by network structure, and where everything lands.

Points that build the same network (same :func:`~depnet.cluster.network.fingerprint` at the
sweep's first seed) form one group: the group compiles once per seed (the seed is a literal in
the standalone ``main``, so each further seed is an incremental rebuild of a copy) and runs all
its points through ``run_args``. Axes that change sizes, connectivity or code-folded constants
split the sweep into groups by themselves, without a list of such parameters.

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
from depnet.cluster.network import runtime_network
from depnet.cluster.sweep_spec import Sweep, load_sweep
from depnet.quantities import format_quantity
from depnet.run import _version, build_root
from depnet.spec import Scenario, apply_settings, parse_scenario

PLAN_VERSION = 1


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
    """Points that share one network structure (one build per seed)."""

    id: str
    fingerprint: str  # at the sweep's first seed
    combinations: list[int]
    seeds: list[int]
    reference: int  # the combination the builds are made from


@dataclass
class Plan:
    """Everything a worker needs, written to ``plan.json`` at submission."""

    name: str
    sweep_file: str
    sweep_digest: str
    out: str
    target: str
    segment_s: float | None
    n_segments: int
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

    # -- paths ---------------------------------------------------------------------------
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

    def build_dir(self, fingerprint: str) -> Path:
        """The build of one network structure (a fingerprint at one seed).

        Keyed by what is compiled in, not by sweep or group: sweeps of one structure, target and
        segment length share builds (``[sweep] build_root``, default the user's build cache,
        which on a cluster is usually on the shared home filesystem).
        """
        key = f"{fingerprint}|{self.target}|{self.segment_s or self.duration_s!r}|{_versions()}"
        digest = hashlib.sha256(key.encode()).hexdigest()[:16]
        return Path(self.build_root) / f"{self.target}-{digest}"

    @property
    def slurm_dir(self) -> Path:
        return self.root / "slurm"

    # -- lookups ---------------------------------------------------------------------------
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
        settings = {**self.settings, **values, "scenario.seed": seed}
        return parse_scenario(apply_settings(self.base, settings), self.scenario_file)

    def point_scenario(self, point: Point) -> Scenario:
        return self.scenario(point.values, point.seed)

    def reference_scenario(self, group: Group, seed: int) -> Scenario:
        """The scenario a group's build for ``seed`` is compiled from."""
        return self.scenario(self.combination_values(group.reference), seed)

    # -- storage ---------------------------------------------------------------------------
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
            raise SweepError(f"{path}: plan version {data.get('version')} is not {PLAN_VERSION}")
        data["groups"] = [Group(**g) for g in data["groups"]]
        data["points"] = [Point(**p) for p in data["points"]]
        return cls(**data)


def _versions() -> str:
    return "|".join(_version(p) for p in ("depnet", "brian2", "brian2cuda"))


def _target(device: str, gpus: int) -> str:
    # "auto" is decided by what the tasks ask for, not by the machine that submits (a login
    # node without a GPU submits GPU work).
    if device == "auto":
        return "cuda" if gpus > 0 else "cpp"
    return device


def default_out(sweep: Sweep) -> Path:
    return Path(sweep.content.sweep.out or Path("runs") / "sweeps" / sweep.name)


def make_plan(sweep_file: str | Path, out: str | Path | None = None) -> Plan:
    """Expand a sweep file into points and group them by structure (builds runtime networks).

    Raises
    ------
    SweepError
        For a malformed sweep file, or a segment length that does not fit a clock of the network.
    """
    sweep = load_sweep(sweep_file)
    section = sweep.content.sweep
    root = Path(out) if out is not None else default_out(sweep)
    base = sweep.scenario({}, sweep.seeds[0])
    duration = float(base.scenario.duration / base.scenario.dt) * float(base.scenario.dt)
    segment = float(section.segment) if section.segment is not None else None
    plan = Plan(
        name=sweep.name,
        sweep_file=str(Path(sweep_file).resolve()),
        sweep_digest=hashlib.sha256(Path(sweep_file).read_bytes()).hexdigest()[:16],
        out=str(root.resolve()),
        target=_target(section.device, sweep.resources.gpus),
        segment_s=segment,
        n_segments=round(duration / segment) if segment else 1,
        duration_s=duration,
        axes={k: list(v) for k, v in sweep.axes.items()},
        seeds=list(sweep.seeds),
        base=sweep.base,
        scenario_file=str(sweep.scenario_file),
        settings=sweep.settings,
        resources=sweep.resources.model_dump(mode="json"),
        build_root=str(Path(section.build_root or build_root() / "sweeps").resolve()),
    )
    structural = _structural_axes(sweep, segment)
    groups: dict[str, Group] = {}
    by_structure: dict[tuple, str] = {}  # structural axis values -> fingerprint
    for index, values in enumerate(sweep.combinations()):
        key = tuple(repr(values[k]) for k in structural)
        if key not in by_structure:
            by_structure[key] = runtime_network(sweep.scenario(values, sweep.seeds[0]))[0]
        digest = by_structure[key]
        if digest not in groups:
            groups[digest] = Group(f"g{len(groups)}", digest, [], list(sweep.seeds), index)
        group = groups[digest]
        group.combinations.append(index)
        for seed in sweep.seeds:
            plan.points.append(Point(f"p{index:04d}-s{seed}", index, values, seed, group.id))
    plan.groups = list(groups.values())
    return plan


def _structural_axes(sweep: Sweep, segment: float | None) -> list[str]:
    """Axes whose values change the network's structure, probed one axis at a time.

    Each axis is varied alone from the first combination; a value that changes the fingerprint
    makes the axis structural. Fingerprinting every combination would be exact but costs one
    network construction per point; an interaction that this probe misses (two axes that change
    the structure only together) is caught by the worker, which checks every point's
    fingerprint against its build before it runs.
    """
    first = {k: v[0] for k, v in sweep.axes.items()}
    digest, _, clocks = runtime_network(sweep.scenario(first, sweep.seeds[0]))
    structural = []
    for key, values in sweep.axes.items():
        for value in values[1:]:
            other, _, other_clocks = runtime_network(
                sweep.scenario({**first, key: value}, sweep.seeds[0])
            )
            clocks += other_clocks
            if other != digest:
                structural.append(key)
                break
    if segment is not None:
        _check_segment(sweep, segment, sorted(set(clocks)))
    return structural


def _check_segment(sweep: Sweep, segment: float, clocks: list[float]) -> None:
    # Segments must end on every clock's tick, or recordings and periodic updates would shift.
    for dt in clocks:
        ticks = segment / dt
        if abs(ticks - round(ticks)) > 1e-6:
            raise SweepError(
                f"{sweep.path}: sweep.segment: {format_quantity(segment)} is not a whole number "
                f"of a clock step of the network ({dt:g} s)"
            )
