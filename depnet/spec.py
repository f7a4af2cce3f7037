"""Scenario files: TOML validated into a typed, serializable spec.

A scenario file has four tables::

    [scenario]                 # name, duration, dt, seed, scale, device, warmup, compressed_day
    [regions.drn]              # population sizes at scale 1 (n_5ht, n_gaba, ...)
    [record]                   # what to record and how finely
    [parameters]               # overrides of model parameters by dotted path

Every problem is reported as one :class:`~depnet.errors.ScenarioError` line naming the file,
the key and what is wrong.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import brian2 as b2
from brian2 import ms, second
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    field_validator,
    model_validator,
)

from depnet.circuits.build import population_sizes
from depnet.circuits.neuron import TRACEABLE
from depnet.circuits.parameters import (
    DRIVES,
    REGIONS,
    UnknownParameterError,
    plasticity_parameter_table,
    resolve,
)
from depnet.circuits.plasticity import PLASTICITY_RULES
from depnet.circuits.projections import PROJECTIONS
from depnet.errors import ScenarioError
from depnet.observations import check_row_ids
from depnet.quantities import (
    DAY,
    DEFAULT_COMPRESSED_DAY,
    QuantityError,
    format_quantity,
    parse_quantity,
    parse_time,
)
from depnet.scenarios import interventions as catalog
from depnet.scenarios.schedule import epoch_cuts

Time = Annotated[
    Any, BeforeValidator(parse_time), PlainSerializer(format_quantity, return_type=str)
]


#: Segment length where a scenario does not give one (``scenario.segment``): each segment costs
#: a start of the binary (loading its data, writing its results, ~1-2 s for the plastic whole
#: circuit), a killed run loses at most one segment, and the binary holds one segment's recording
#: in memory (:mod:`depnet.memory`).
DEFAULT_SEGMENT = 60 * second


#: The longest stretch of the slow clock one structural update may span: its formation and
#: pruning probabilities (rate x days, at most 0.5 a day) then stay well below 1. Checked at the
#: scenario's rate here, and where a treatment course runs the clock faster between its sessions
#: by the engine (:func:`depnet.run.scenario_schedule`).
MAX_DAYS_PER_UPDATE = 0.5


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class ScenarioSection(_Strict):
    """The ``[scenario]`` table: what to simulate, for how long, on which target."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    duration: Time
    dt: Time = 0.1 * ms
    warmup: Time = 0 * second
    seed: int = Field(default=1, ge=0, lt=2**31)
    scale: float = Field(default=1.0, gt=0, le=1000)
    device: Literal["runtime", "cpp", "cuda", "auto"] = "cpp"
    #: Regions to build (all when absent); the raphe is required, it is the source of 5-HT.
    regions: tuple[str, ...] | None = None
    #: Length of the segments the run is cut into (a killed run resumes from its last complete
    #: segment); default :data:`DEFAULT_SEGMENT`. Not part of the network.
    segment: Time | None = None
    #: The slow clock: the simulated time that stands for one day of every slow process
    #: (receptor desensitization, drug levels, structural change and the calcium and BDNF traces
    #: that drive it; treatment courses count their days on it). Spikes, synaptic currents, STDP
    #: and stimulation pulses keep real time. ``"86400 s"`` runs everything in real time (an
    #: acute experiment). Default :data:`~depnet.quantities.DEFAULT_COMPRESSED_DAY`.
    compressed_day: Time = DEFAULT_COMPRESSED_DAY
    #: VALIDATION rows that this scenario's ``[parameters]`` were sized so that they pass (its
    #: own column, say): those rows are calibrations (:mod:`depnet.scenarios.calibration`).
    calibrated_to: tuple[str, ...] = ()

    @field_validator("calibrated_to")
    @classmethod
    def _known_rows(cls, rows: tuple[str, ...]) -> tuple[str, ...]:
        try:
            return check_row_ids(rows, "calibrated_to")
        except ScenarioError as err:
            raise ValueError(str(err)) from None

    @field_validator("regions")
    @classmethod
    def _known_regions(cls, regions: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if regions is None:
            return None
        for region in regions:
            if region not in REGIONS:
                raise ValueError(f"unknown region {region!r}; known: {', '.join(REGIONS)}")
        if len(set(regions)) != len(regions):
            raise ValueError("a region is listed twice")
        if "drn" not in regions:
            raise ValueError("the raphe ('drn') is required: it is the source of 5-HT")
        return tuple(r for r in REGIONS if r in regions)  # the circuit's order

    @model_validator(mode="after")
    def _times_consistent(self) -> ScenarioSection:
        if not self.duration > 0 * second:
            raise ValueError("duration must be positive")
        if not 0.001 * ms <= self.dt <= 1 * ms:
            raise ValueError(
                f"dt must be between 0.001 ms and 1 ms, got {format_quantity(self.dt)}"
            )
        if self.duration < self.dt:
            raise ValueError("duration is shorter than one time step dt")
        if not 0 * second <= self.warmup < self.duration:
            raise ValueError("warmup must be >= 0 and shorter than duration")
        if not 1 * ms <= self.compressed_day <= DAY:
            raise ValueError(
                "compressed_day must be between 1 ms and 86400 s (real time), got "
                f"{format_quantity(self.compressed_day)}"
            )
        if self.segment is not None and not self.segment >= self.dt:
            raise ValueError(
                f"segment must be at least one time step dt ({format_quantity(self.dt)}), "
                f"got {format_quantity(self.segment)}"
            )
        return self


class RecordSection(_Strict):
    """The ``[record]`` table: which outputs to keep and at what resolution."""

    rate_bin: Time = 10 * ms
    traces: tuple[str, ...] = ("v",)
    trace_neurons: int = Field(default=5, ge=0, le=100_000)
    trace_dt: Time = 1 * ms
    serotonin_dt: Time = 1 * ms
    synapse_dt: Time = 100 * ms  # weight statistics and synapse counts of plastic projections
    #: The synaptic currents onto each region's principal cells, summed by the generated code
    #: (the LFP proxy's inputs, and the BOLD model's drive), every ``lfp_dt``.
    lfp: bool = True
    lfp_dt: Time = 1 * ms

    @field_validator("traces")
    @classmethod
    def _known_traces(cls, traces: tuple[str, ...]) -> tuple[str, ...]:
        for name in traces:
            if name not in TRACEABLE:
                raise ValueError(f"cannot record {name!r}; choose from {', '.join(TRACEABLE)}")
        return traces

    @model_validator(mode="after")
    def _positive_steps(self) -> RecordSection:
        for key in ("rate_bin", "trace_dt", "serotonin_dt", "synapse_dt", "lfp_dt"):
            if not getattr(self, key) > 0 * second:
                raise ValueError(f"{key} must be positive")
        return self


class PlasticitySection(_Strict):
    """One ``[plasticity.<projection>]`` table: the learning rules a projection carries.

    ``rules`` names at most one STDP rule (``stdp_additive``, ``stdp_multiplicative``,
    ``stdp_triplet``) and optionally ``structural``; their parameters are overridden in
    ``[parameters]`` as ``plasticity.<projection>.<name>``.
    """

    rules: tuple[str, ...] = Field(min_length=1)
    receptor: Literal["ampa", "nmda"] = "ampa"
    gated: bool = True
    growth_curve: Literal["linear", "gaussian", "sigmoid"] = "gaussian"

    @field_validator("rules")
    @classmethod
    def _known_rules(cls, rules: tuple[str, ...]) -> tuple[str, ...]:
        for rule in rules:
            if rule not in PLASTICITY_RULES:
                raise ValueError(
                    f"unknown rule {rule!r}; choose from {', '.join(PLASTICITY_RULES)}"
                )
        if sum(rule.startswith("stdp") for rule in rules) > 1:
            raise ValueError("at most one STDP rule per projection")
        if len(set(rules)) != len(rules):
            raise ValueError("a rule is listed twice")
        return rules


class Scenario(_Strict):
    """A validated scenario: the whole content of one scenario file.

    ``regions`` maps region -> population kind -> size at scale 1; ``parameters`` maps dotted
    parameter paths to values with units (see :mod:`depnet.circuits.parameters`).
    """

    scenario: ScenarioSection
    regions: dict[str, dict[str, int]] = Field(default_factory=dict)
    record: RecordSection = Field(default_factory=RecordSection)
    plasticity: dict[str, PlasticitySection] = Field(default_factory=dict)
    parameters: dict[str, Any] = Field(default_factory=dict)
    #: ``[[interventions]]``: drugs, stress, stimulation in time windows (depnet.scenarios).
    interventions: tuple[catalog.Intervention, ...] = ()
    #: ``[traits]``: genotype and history, present for the whole run.
    traits: tuple[catalog.Intervention, ...] = ()
    source: str = Field(default="", exclude=True)

    @field_validator("interventions", mode="before")
    @classmethod
    def _parse_interventions(cls, tables: Any) -> tuple[catalog.Intervention, ...]:
        if isinstance(tables, Mapping) or not isinstance(tables, list | tuple):
            raise ValueError("must be an array of tables: write [[interventions]]")
        parsed = []
        for i, table in enumerate(tables):
            if isinstance(table, catalog.Intervention):
                parsed.append(table)
                continue
            try:
                parsed.append(catalog.parse_intervention(table))
            except ValueError as err:
                raise ValueError(f"{i}.{err}") from None
        return tuple(parsed)

    @field_validator("traits", mode="before")
    @classmethod
    def _parse_traits(cls, table: Any) -> tuple[catalog.Intervention, ...]:
        if isinstance(table, tuple):
            return table
        if not isinstance(table, Mapping):
            raise ValueError('must be a table such as bdnf_val66met = "met/met"')
        return tuple(catalog.parse_trait(name, value) for name, value in table.items())

    @model_validator(mode="after")
    def _interventions_fit(self) -> Scenario:
        duration = self.scenario.duration
        day = self.scenario.compressed_day
        built = self.built_regions
        for i, item in enumerate(self.interventions):
            name = item.kind.name
            if not item.start < duration:
                raise ValueError(
                    f"interventions.{i}.start: {format_quantity(item.start)} is not within the "
                    f"run ({format_quantity(duration)}) [{name}]"
                )
            if item.stop is not None and item.stop > duration:
                raise ValueError(
                    f"interventions.{i}.stop: {format_quantity(item.stop)} is after the run's "
                    f"end ({format_quantity(duration)}) [{name}]"
                )
        for i, item in enumerate([*self.interventions, *self.traits]):
            for region in item.kind.regions(item.settings):
                if region not in built:
                    where = "traits" if item.kind.trait else f"interventions.{i}"
                    raise ValueError(
                        f"{where}: {item.kind.name} acts on {region}, which scenario.regions "
                        "leaves out"
                    )
        try:
            epoch_cuts(self.interventions, self.traits, duration, self.scenario.dt, day)
        except ScenarioError as err:
            raise ValueError(str(err)) from None
        stimulating = [it.window(duration, self.scenario.dt, day) for it in self.interventions
                       if it.kind.stimulates]  # fmt: skip
        windows = sorted((w.start, w.stop) for w in stimulating)
        for (_, e0), (s1, _) in zip(windows, windows[1:], strict=False):
            if s1 < e0:
                raise ValueError(
                    "interventions: two pulse stimulations (rtms, dbs, pas) overlap in time "
                    f"(at {format_quantity(s1)}); the stimulator drives one at a time"
                )
        return self

    @field_validator("regions", mode="before")
    @classmethod
    def _known_regions(cls, regions: Any) -> dict[str, dict[str, int]]:
        if not isinstance(regions, Mapping):
            raise ValueError("must be a table of regions")
        sizes: dict[str, dict[str, int]] = {}
        for region, table in regions.items():
            if region not in REGIONS:
                raise ValueError(f"unknown region {region!r}; known: {', '.join(REGIONS)}")
            if not isinstance(table, Mapping):
                raise ValueError(f"{region}: must be a table of population sizes")
            sizes[region] = {}
            for key, n in table.items():
                kind = key.removeprefix("n_")
                if not key.startswith("n_") or kind not in REGIONS[region]:
                    known = ", ".join(f"n_{k}" for k in REGIONS[region])
                    raise ValueError(f"{region}.{key}: unknown population; known: {known}")
                if isinstance(n, bool) or not isinstance(n, int) or n < 1:
                    raise ValueError(f"{region}.{key}: must be a positive integer, got {n!r}")
                sizes[region][kind] = n
        return sizes

    @model_validator(mode="after")
    def _tables_name_built_regions(self) -> Scenario:
        built = self.built_regions
        for region in self.regions:
            if region not in built:
                raise ValueError(
                    f"regions.{region}: sizes given for a region that scenario.regions leaves out"
                )
        for name in self.plasticity:
            proj = PROJECTIONS[name]
            for population in (proj.source, proj.target):
                if population.split("_")[0] not in built and population not in DRIVES:
                    raise ValueError(
                        f"plasticity.{name}: its population {population} is not built "
                        f"(scenario.regions: {', '.join(built)})"
                    )
        return self

    @property
    def built_regions(self) -> tuple[str, ...]:
        """The regions this scenario builds."""
        return self.scenario.regions or tuple(REGIONS)

    def population_sizes(self) -> dict[str, int]:
        """Cells per population (and septal drive units) at this scenario's scale."""
        return population_sizes(self.scenario.scale, self.regions, self.built_regions)

    @field_validator("plasticity")
    @classmethod
    def _plastic_projections(cls, plasticity: dict[str, PlasticitySection]) -> dict:
        for name, section in plasticity.items():
            if name not in PROJECTIONS:
                raise ValueError(f"{name}: unknown projection; known: {', '.join(PROJECTIONS)}")
            if section.receptor not in PROJECTIONS[name].receptors:
                raise ValueError(
                    f"{name}: has no {section.receptor} synapses to make plastic "
                    f"(it drives {', '.join(PROJECTIONS[name].receptors)})"
                )
        return plasticity

    @field_validator("parameters", mode="before")
    @classmethod
    def _parameters_resolve(cls, parameters: Any) -> dict[str, Any]:
        if not isinstance(parameters, Mapping):
            raise ValueError("must be a table of dotted parameter paths")
        flat = _flatten(parameters)
        parsed = {}
        for path, text in flat.items():
            try:
                parsed[path] = parse_quantity(text)
                if path.startswith("plasticity."):
                    continue  # checked against the rules a projection carries, below
                resolve({path: parsed[path]})
            except UnknownParameterError:
                raise ValueError(f"{path}: unknown parameter") from None
            except QuantityError as err:
                raise ValueError(f"{path}: {err}") from None
        return parsed

    @model_validator(mode="after")
    def _plasticity_parameters(self) -> Scenario:
        try:
            table = plasticity_parameter_table(self.plasticity_specs())
        except ValueError as err:
            raise ValueError(f"plasticity: {err}") from None
        for path, value in self.parameters.items():
            if not path.startswith("plasticity."):
                continue
            if path not in table:
                raise ValueError(
                    f"parameters.{path}: unknown parameter (a plasticity parameter needs its "
                    "projection to carry the rule in [plasticity.<projection>])"
                )
            try:
                table[path].check(value)
            except QuantityError as err:
                raise ValueError(f"parameters.{path}: {err}") from None
        self._weights_within_bounds(table)
        self._structural_updates_fit_the_clock(table)
        return self

    def _structural_updates_fit_the_clock(self, table: Mapping[str, Any]) -> None:
        day = self.scenario.compressed_day
        for name, section in self.plasticity.items():
            path = f"plasticity.{name}.update_interval"
            if "structural" not in section.rules or path not in table:
                continue
            interval = self.parameters.get(path, table[path].value)
            if interval / day > MAX_DAYS_PER_UPDATE:
                raise ValueError(
                    f"parameters.{path}: {format_quantity(interval)} spans "
                    f"{float(interval / day):g} days of the slow clock (compressed_day "
                    f"{format_quantity(day)}); at most {MAX_DAYS_PER_UPDATE:g}: shorten "
                    "the update interval or lengthen the day"
                )

    def _weights_within_bounds(self, table: Mapping[str, Any]) -> None:
        """An STDP projection's initial weight must lie under its rule's bound ``w_max``."""
        values = resolve(
            {k: v for k, v in self.parameters.items() if not k.startswith("plasticity.")}
        )
        for name, section in self.plasticity.items():
            bound = f"plasticity.{name}.w_max"
            if bound not in table:
                continue
            w_max = self.parameters.get(bound, table[bound].value)
            w0 = values[f"projections.{name}.w_{section.receptor}"]
            if w0 > w_max:
                raise ValueError(
                    f"parameters.{bound}: {format_quantity(w_max)} is below the projection's "
                    f"initial weight {format_quantity(w0)}; raise w_max or lower "
                    f"projections.{name}.w_{section.receptor}"
                )

    @property
    def name(self) -> str:
        return self.scenario.name

    def parameter_values(self) -> dict[str, b2.Quantity | float]:
        """Every model parameter, defaults overridden by this scenario (plasticity included)."""
        plasticity = self.plasticity_specs()
        values = resolve(
            {k: v for k, v in self.parameters.items() if not k.startswith("plasticity.")}
        )
        for path, p in plasticity_parameter_table(plasticity).items():
            values[path] = self.parameters.get(path, p.value)
        for path, factor in catalog.overrides(list(self.traits)).items():
            if path in values:
                values[path] = values[path] * factor
        return values

    def plasticity_specs(self) -> dict[str, dict[str, Any]]:
        """The ``[plasticity]`` tables as plain dicts (what the circuit builder takes)."""
        return {name: section.model_dump() for name, section in self.plasticity.items()}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; quantities written as strings (``"0.1 ms"``) that load back."""
        data = self.model_dump(mode="json", exclude={"parameters", "interventions", "traits"})
        data["parameters"] = {k: format_quantity(v) for k, v in self.parameters.items()}
        data["interventions"] = [item.to_dict() for item in self.interventions]
        data["traits"] = {t.kind.name: catalog.trait_value(t) for t in self.traits}
        data["regions"] = {
            r: {f"n_{k}": n for k, n in kinds.items()} for r, kinds in self.regions.items()
        }
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat = {}
    for key, value in table.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, path + "."))
        else:
            flat[path] = value
    return flat


def _error_line(source: str, err: ValidationError) -> str:
    # An unknown key explains a "missing" one next to it (a typo), so report it first.
    errors = sorted(err.errors(), key=lambda e: e["type"] != "extra_forbidden")
    first = errors[0]
    loc = ".".join(str(p) for p in first["loc"] if not str(p).startswith("function-"))
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "unknown key"
    elif first["type"] == "missing":
        message = "required key is missing"
    inner = re.match(r"^([\w.]+): (.*)$", message)
    if inner and loc in (
        "regions",
        "parameters",
        "plasticity",
        "interventions",
        "traits",
    ):  # the validator named the key inside the table
        loc, message = f"{loc}.{inner.group(1)}", inner.group(2)
    return f"{source}: {loc}: {message}" if loc else f"{source}: {message}"


def apply_settings(document: dict[str, Any], settings: Mapping[str, Any]) -> dict[str, Any]:
    """Set dotted keys in a raw scenario document (``{"scenario.seed": 3}``), as ``--set`` does.

    Keys under ``parameters.`` are kept whole, since parameter paths contain dots themselves.
    ``interventions.<which>.<setting>`` sets a setting (or ``start``, ``stop``) of one of the
    scenario's interventions, ``<which>`` being its position (0, 1, ...) or its kind where the
    scenario has one intervention of that kind (``interventions.ketamine.start``);
    ``traits.<name>`` sets a trait.

    Raises
    ------
    ScenarioError
        For an intervention that the scenario does not have, or a kind it has more than once.
    """
    document = json.loads(json.dumps(document))  # deep copy of plain TOML data
    for path, value in settings.items():
        head, _, rest = path.partition(".")
        if head == "parameters" and rest:
            document.setdefault("parameters", {})[rest] = value
            continue
        if head == "interventions" and rest:
            which, _, key = rest.partition(".")
            table = _intervention_table(document, which, path)
            if not key:
                raise ScenarioError(f"--set {path}: name a setting, e.g. {path}.start")
            table[key] = value
            continue
        node = document
        *parents, leaf = path.split(".")
        for key in parents:
            node = node.setdefault(key, {})
            if not isinstance(node, dict):
                raise ScenarioError(f"--set {path}: {key} is not a table")
        node[leaf] = value
    return document


def _intervention_table(document: dict[str, Any], which: str, path: str) -> dict[str, Any]:
    """The ``[[interventions]]`` table that ``which`` names: a position or a unique kind."""
    tables = document.get("interventions") or []
    if not isinstance(tables, list):
        raise ScenarioError(f"--set {path}: the scenario's interventions are not a list")
    if which.isdigit():
        if int(which) >= len(tables):
            raise ScenarioError(
                f"--set {path}: the scenario has {len(tables)} intervention(s), no {which}"
            )
        return tables[int(which)]
    found = [t for t in tables if isinstance(t, dict) and t.get("kind") == which]
    if not found:
        kinds = ", ".join(str(t.get("kind")) for t in tables if isinstance(t, dict)) or "none"
        raise ScenarioError(f"--set {path}: the scenario has no {which} intervention ({kinds})")
    if len(found) > 1:
        raise ScenarioError(
            f"--set {path}: the scenario has {len(found)} {which} interventions; name one by "
            "its position (interventions.<n>.<setting>)"
        )
    return found[0]


def parse_scenario(document: Mapping[str, Any], source: str = "<scenario>") -> Scenario:
    """Validate a scenario document (already parsed TOML) into a :class:`Scenario`."""
    try:
        return Scenario.model_validate({**document, "source": source})
    except ValidationError as err:
        raise ScenarioError(_error_line(source, err)) from None


#: The top-level key of a scenario file that names the file it builds on.
EXTENDS = "extends"


def read_scenario_document(path: str | Path) -> dict[str, Any]:
    """A scenario file's TOML document, with the file it ``extends`` laid underneath.

    ``extends = "healthy_plastic.toml"`` (a top-level key; the path is relative to the file's
    folder) takes that file's document, itself read the same way, and lays this one over it:
    tables merge key by key; every other value (a number, a string, an array, an array of tables
    such as ``[[interventions]]``) replaces the base's. The document returned has no ``extends``:
    what is validated, run and stored is the whole scenario. Scenarios that must share a network
    (one build) can so take it from one file instead of repeating its tables.

    Raises
    ------
    ScenarioError
        One line naming the file: missing or unreadable, not TOML, an ``extends`` that is not a
        file name, names a missing file or leads back to the file itself.
    """
    return _read_document(Path(path), ())


def _read_document(path: Path, chain: tuple[Path, ...]) -> dict[str, Any]:
    where = ": extends ".join(str(p) for p in (*chain, path))  # the user's file first
    if path.resolve() in {p.resolve() for p in chain}:
        raise ScenarioError(f"{where}: leads back to a file already read")
    try:
        document = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ScenarioError(f"{where}: no such scenario file") from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as err:
        raise ScenarioError(f"{where}: cannot read: {err.__class__.__name__}") from None
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(f"{where}: not valid TOML: {err}") from None
    base = document.pop(EXTENDS, None)
    if base is None:
        return document
    if not isinstance(base, str) or not base.strip():
        raise ScenarioError(f"{where}: {EXTENDS}: expected a scenario file name, got {base!r}")
    return _laid_over(_read_document(path.parent / base, (*chain, path)), document)


def _laid_over(base: dict[str, Any], document: Mapping[str, Any]) -> dict[str, Any]:
    """``document`` over ``base``: tables merged key by key, any other value replaced."""
    out = dict(base)
    for key, value in document.items():
        below = out.get(key)
        both_tables = isinstance(value, Mapping) and isinstance(below, Mapping)
        out[key] = _laid_over(dict(below), value) if both_tables else value
    return out


def load_scenario(
    path: str | Path,
    settings: Mapping[str, Any] | None = None,
    interventions: Iterable[Mapping[str, Any]] = (),
) -> Scenario:
    """Read and validate a scenario file (see :func:`read_scenario_document` for ``extends``);
    ``settings`` are dotted overrides (``--set``), ``interventions`` further
    ``[[interventions]]`` tables, after the file's own."""
    path = Path(path)
    document = read_scenario_document(path)
    if settings:
        document = apply_settings(document, settings)
    if extra := [dict(table) for table in interventions]:
        document["interventions"] = [*document.get("interventions", ()), *extra]
    return parse_scenario(document, str(path))
