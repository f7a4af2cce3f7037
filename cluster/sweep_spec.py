"""Sweep files: a base scenario, parameter axes, seeds, a device and the resources to ask for.

A sweep file (TOML) has four tables::

    [sweep]        name, scenario (file, relative to the sweep file, or a shipped name), seeds,
                   device, segment (cut long runs for resume), out (where stores land)
    [settings]     scenario keys set for every point, as ``depnet run --set`` does
    [axes]         one axis per key: a list of values, or {start, stop, num, log} (a range)
    [resources]    what each Slurm task asks for: gpus, cpus_per_task, mem, time, partition, ...

Axis and setting keys are dotted scenario keys (``scenario.scale``, ``regions.drn.n_5ht``,
``parameters.serotonin.ssri_occupancy``); a key that starts with none of the scenario's tables
is a parameter path (``serotonin.ssri_occupancy``). The scenario's interventions and traits are
swept too: ``interventions.ketamine.start`` (a setting, start or stop of the scenario's one
ketamine intervention; ``interventions.2.start`` names one by position) and
``traits.bdnf_val66met``. Every value is checked by validating the scenario it makes, and every
problem is one :class:`~depnet.cluster.errors.SweepError` line naming the file and the key.
"""

from __future__ import annotations

import itertools
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from depnet.cluster.errors import SweepError
from depnet.devices import DEFAULT_COMPUTE_CAPABILITY
from depnet.errors import ScenarioError
from depnet.quantities import QuantityError, format_quantity, parse_quantity, same_dimensions
from depnet.scenarios import scenario_path
from depnet.spec import Scenario, Time, apply_settings, parse_scenario, read_scenario_document

#: First components of keys that address a scenario table directly.
SCENARIO_TABLES = (
    "scenario", "regions", "record", "plasticity", "parameters", "interventions", "traits",
)  # fmt: skip
#: Scenario keys a sweep may not vary: fixed by the sweep itself.
FIXED_KEYS = {
    "scenario.seed": "use [sweep] seeds",
    "scenario.name": "a sweep has one name",
    "scenario.device": "use [sweep] device",
    "scenario.segment": "use [sweep] segment",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class Range(_Strict):
    """``{start, stop, num, log}``: ``num`` values from ``start`` to ``stop`` inclusive."""

    start: str | float
    stop: str | float
    num: int = Field(ge=2, le=10_000)
    log: bool = False

    def values(self) -> list[str | float]:
        try:
            start, stop = parse_quantity(self.start), parse_quantity(self.stop)
        except QuantityError as err:
            raise ValueError(str(err)) from None
        if not same_dimensions(start, stop):
            raise ValueError(f"start {self.start!r} and stop {self.stop!r} differ in units")
        a, b = float(start), float(stop)
        if self.log:
            if a <= 0 or b <= 0:
                raise ValueError("a log range needs positive start and stop")
            numbers = np.geomspace(a, b, self.num)
        else:
            numbers = np.linspace(a, b, self.num)
        if isinstance(self.start, str) and not getattr(start, "is_dimensionless", True):
            unit = start / float(start)  # the SI unit of start, as a quantity
            return [format_quantity(float(x) * unit) for x in numbers]
        return [float(x) for x in numbers]


AxisValues = list[Any] | Range


_SLURM_TIME = re.compile(r"(\d+-)?\d{1,3}(:\d{2}){0,2}")
#: What a partition, account, QOS or GPU type may be called (Slurm's own names).
_SLURM_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]{0,127}")
#: A further ``#SBATCH`` option: ``--name`` or ``--name=value``, the value without blanks, quotes
#: or backslashes (a directive line is split on blanks; nothing in it is ever shell).
_SBATCH_OPTION = re.compile(r"--[A-Za-z][A-Za-z0-9-]{0,63}(=[^\s\"'\\]{1,512})?")
#: Control characters: a newline would end a directive and start a shell line.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def check_path(text: str) -> str:
    """A folder or file path that reaches a batch script: any characters but control ones, a
    double quote (the directive's quoting), a backslash and ``%`` (Slurm's file-name
    patterns)."""
    if _CONTROL.search(text):
        raise ValueError(f"a control character (such as a newline) in {text!r}")
    for char, why in (
        ('"', "a double quote"), ("\\", "a backslash"), ("%", "'%', a Slurm file-name pattern"),
    ):  # fmt: skip
        if char in text:
            raise ValueError(f"{why} in {text!r}; choose another path")
    if len(text) > 1024:
        raise ValueError(f"{len(text)} characters: longer than 1024")
    return text


class SweepSection(_Strict):
    """The ``[sweep]`` table."""

    name: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    scenario: str = Field(min_length=1)
    seeds: tuple[Annotated[int, Field(ge=0, lt=2**31)], ...] = Field(default=(1,), min_length=1)
    device: Literal["cpp", "cuda", "auto"] = "cpp"
    segment: Time | None = None
    out: str | None = None
    build_root: str | None = None

    @field_validator("out", "build_root")
    @classmethod
    def _paths(cls, text: str | None) -> str | None:
        return None if text is None else check_path(text)

    @field_validator("seeds")
    @classmethod
    def _distinct(cls, seeds: tuple[int, ...]) -> tuple[int, ...]:
        if len(set(seeds)) != len(seeds):
            raise ValueError("a seed is listed twice")
        return seeds


class Resources(_Strict):
    """The ``[resources]`` table: what each Slurm task (and each group's build job) asks for."""

    gpus: int = Field(default=0, ge=0, le=16)
    gpu_type: str | None = None  # --gres=gpu:<type>:<n>
    cpus_per_task: int = Field(default=1, ge=1, le=1024)
    mem: str = "4G"
    time: str = "01:00:00"
    partition: str | None = None
    account: str | None = None
    qos: str | None = None
    array_throttle: int = Field(default=8, ge=1)
    #: The build job: CPUs and time; its partition (a CPU partition: nvcc needs no GPU).
    build_partition: str | None = None
    build_cpus: int = Field(default=2, ge=1, le=1024)
    build_time: str = "02:00:00"
    threads: int = Field(default=0, ge=0)  # OpenMP threads of cpp runs
    #: The GPU nodes' compute capability (8.0 A100, 9.0 H100/H200, 10.0 B200): the build job
    #: (a CPU node) builds for it and the tasks find their build by it.
    compute_capability: float = Field(default=DEFAULT_COMPUTE_CAPABILITY, ge=7.0, le=20.0)
    #: Seconds before the time limit at which a task is warned (SIGUSR1): it stops at once (the
    #: segment under way is lost), keeps its completed segments and requeues itself.
    warning_s: int = Field(default=120, ge=30, le=86400)
    #: Shell lines run before the worker on a node (module load ..., source .venv/bin/activate):
    #: the one part of a sweep file that is code, by design (``depnet sweep --dry-run`` shows it).
    setup: tuple[str, ...] = ()
    #: The Python that runs the worker on the nodes (default: the one that submits).
    python: str | None = None
    extra_sbatch: tuple[str, ...] = ()  # further #SBATCH options, e.g. "--constraint=h100"

    @field_validator("time", "build_time")
    @classmethod
    def _slurm_time(cls, text: str) -> str:
        if not _SLURM_TIME.fullmatch(text):
            raise ValueError(f"not a Slurm time limit such as '01:30:00' or '1-00:00:00': {text!r}")
        return text

    @field_validator("partition", "account", "qos", "gpu_type", "build_partition")
    @classmethod
    def _slurm_name(cls, text: str | None) -> str | None:
        if text is not None and not _SLURM_NAME.fullmatch(text):
            raise ValueError(f"not a Slurm name (letters, digits and _ . + -): {text!r}")
        return text

    @field_validator("mem")
    @classmethod
    def _memory(cls, text: str) -> str:
        if not re.fullmatch(r"\d{1,9}[KMGT]?", text):
            raise ValueError(f"not a memory size such as '16G': {text!r}")
        return text

    @field_validator("extra_sbatch")
    @classmethod
    def _sbatch_options(cls, options: tuple[str, ...]) -> tuple[str, ...]:
        for option in options:
            if option.split("=")[0] == "--wrap":
                raise ValueError("--wrap would run its command instead of the task")
            if not _SBATCH_OPTION.fullmatch(option):
                raise ValueError(
                    f"not an sbatch option such as '--constraint=h100' (no blanks, quotes or "
                    f"backslashes): {option!r}"
                )
        return options

    @field_validator("python")
    @classmethod
    def _python_path(cls, text: str | None) -> str | None:
        return None if text is None else check_path(text)


class SweepFile(_Strict):
    """The raw content of a sweep file, checked for keys and types."""

    sweep: SweepSection
    settings: dict[str, Any] = Field(default_factory=dict)
    axes: dict[str, AxisValues] = Field(min_length=1)
    resources: Resources = Field(default_factory=Resources)


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested TOML tables to dotted keys; a table with ``start`` is a range, not a subtable."""
    flat: dict[str, Any] = {}
    for key, value in table.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and "start" not in value:
            flat.update(_flatten(value, path + "."))
        else:
            flat[path] = value
    return flat


def scenario_key(key: str) -> str:
    """A sweep key as a scenario key: bare parameter paths go under ``parameters.``."""
    return key if key.split(".", 1)[0] in SCENARIO_TABLES else f"parameters.{key}"


class Sweep:
    """A validated sweep: its file, base scenario document, axes (with their values) and seeds."""

    def __init__(self, path: Path, content: SweepFile, base: dict[str, Any], scenario_file: Path):
        self.path = path
        self.content = content
        self.base = base
        self.scenario_file = scenario_file
        self.settings = {scenario_key(k): v for k, v in content.settings.items()}
        self.axes: dict[str, list[Any]] = {}
        for key, values in content.axes.items():
            self.axes[scenario_key(key)] = values.values() if isinstance(values, Range) else values

    @property
    def name(self) -> str:
        return self.content.sweep.name

    @property
    def seeds(self) -> tuple[int, ...]:
        return self.content.sweep.seeds

    @property
    def resources(self) -> Resources:
        return self.content.resources

    def combinations(self) -> list[dict[str, Any]]:
        """Every combination of axis values (the last axis varies fastest)."""
        keys = list(self.axes)
        return [
            dict(zip(keys, values, strict=True))
            for values in itertools.product(*self.axes.values())
        ]

    def scenario(self, values: Mapping[str, Any], seed: int) -> Scenario:
        """The validated scenario of one point."""
        return point_scenario(
            self.base, str(self.scenario_file), self.settings, values, seed,
            self.content.sweep.segment,
        )  # fmt: skip


def point_scenario(
    base: Mapping[str, Any],
    source: str,
    settings: Mapping[str, Any],
    values: Mapping[str, Any],
    seed: int,
    segment: Any = None,
) -> Scenario:
    """The validated scenario of a sweep's point: its base, the sweep's settings, the point's
    axis values, seed and the sweep's segment length."""
    merged = {**settings, **values, "scenario.seed": seed}
    if segment is not None:
        merged["scenario.segment"] = (
            segment if isinstance(segment, str) else format_quantity(segment)
        )
    return parse_scenario(apply_settings(dict(base), merged), source)


def _error(path: Path, loc: str, message: str) -> SweepError:
    return SweepError(f"{path}: {loc}: {message}" if loc else f"{path}: {message}")


def _pydantic_error(path: Path, err: ValidationError) -> SweepError:
    def rank(e: dict) -> tuple[bool, bool]:
        # For an axis given as a table, the range branch's complaint is the useful one.
        wrong_branch = "list[any]" in e["loc"] and isinstance(e.get("input"), Mapping)
        return wrong_branch, e["type"] != "extra_forbidden"

    errors = sorted(err.errors(), key=rank)
    first = errors[0]
    parts = [str(p) for p in first["loc"] if not str(p).startswith("function-")]
    # a union (list | range) names its branches in the location: keep the key, drop the branch
    parts = [p for p in parts if p not in ("list[any]", "Range")]
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "unknown key"
    elif first["type"] == "missing":
        message = "required key is missing"
    return _error(path, ".".join(parts), message)


def _scenario_message(err: ScenarioError, source: str) -> str:
    """The part of a scenario error after its file and key (``... : unknown parameter``)."""
    text = str(err).removeprefix(f"{source}: ")
    return text.split(": ", 1)[1] if ": " in text else text


def _resolve_scenario(sweep_path: Path, name: str) -> Path:
    candidate = (sweep_path.parent / name).resolve()
    if candidate.is_file():
        return candidate
    try:
        return scenario_path(name.removesuffix(".toml"))
    except FileNotFoundError:
        raise _error(
            sweep_path, "sweep.scenario", f"no scenario file or shipped scenario {name!r}"
        ) from None


def load_sweep(path: str | Path) -> Sweep:
    """Read and validate a sweep file.

    Raises
    ------
    SweepError
        One line naming the file and the key: an unknown key, a parameter path that names no
        parameter, a value with wrong units or out of range, a segment that does not divide the
        duration.
    """
    path = Path(path)
    try:
        document = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise SweepError(f"{path}: no such sweep file") from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as err:
        raise SweepError(f"{path}: cannot read: {err.__class__.__name__}") from None
    except tomllib.TOMLDecodeError as err:
        raise SweepError(f"{path}: not valid TOML: {err}") from None
    for table in ("settings", "axes"):
        if isinstance(document.get(table), Mapping):
            document[table] = _flatten(document[table])
    try:
        content = SweepFile.model_validate(document)
    except ValidationError as err:
        raise _pydantic_error(path, err) from None
    scenario_file = _resolve_scenario(path, content.sweep.scenario)
    try:
        base = read_scenario_document(scenario_file)
    except ScenarioError as err:
        raise _error(path, "sweep.scenario", str(err)) from None
    try:
        sweep = Sweep(path, content, base, scenario_file)
    except ValueError as err:  # a range that cannot be made
        raise _error(path, "axes", str(err)) from None
    _check(sweep)
    return sweep


def _check(sweep: Sweep) -> None:
    """Validate every setting and every axis value through the scenario it makes."""
    path, source = sweep.path, str(sweep.scenario_file)
    for raw, key in zip(sweep.content.settings, sweep.settings, strict=True):
        if key in FIXED_KEYS:
            raise _error(path, f"settings.{raw}", FIXED_KEYS[key])
    try:
        base = point_scenario(sweep.base, source, sweep.settings, {}, sweep.seeds[0])
    except ScenarioError as err:
        raise _error(path, "settings", _scenario_message(err, source)) from None
    segment = sweep.content.sweep.segment
    if segment is not None and not segment >= base.scenario.dt:
        raise _error(
            path, "sweep.segment",
            f"{format_quantity(segment)} is shorter than the time step "
            f"{format_quantity(base.scenario.dt)}",
        )  # fmt: skip
    for raw, key in zip(sweep.content.axes, sweep.axes, strict=True):
        if key in FIXED_KEYS:
            raise _error(path, f"axes.{raw}", f"cannot be swept: {FIXED_KEYS[key]}")
        values = sweep.axes[key]
        if not isinstance(values, list) or not values:
            raise _error(path, f"axes.{raw}", "needs a non-empty list of values or a range")
        if len({repr(v) for v in values}) != len(values):
            raise _error(path, f"axes.{raw}", "a value is listed twice")
        for value in values:
            try:
                sweep.scenario({key: value}, sweep.seeds[0])
            except ScenarioError as err:
                message = _scenario_message(err, source)
                raise _error(path, f"axes.{raw}", f"{value!r}: {message}") from None
