"""Which VALIDATION rows are calibrations and which are held-out, read off the model itself.

A row is a **calibration** when a parameter was sized so that it passes: a parameter whose
:attr:`~depnet.quantities.Parameter.calibrated_to` names it (circuit, learning-rule, intervention
and trait parameters alike), or a shipped scenario whose ``[scenario] calibrated_to`` names it
(its ``[parameters]`` set its own column). A row whose numbers the model takes as a parameter
value (status ``input``: R7's SERT Km) is an **input**. Every other row is **held-out**: nothing
in the model was sized to it, so passing it is a prediction. Rows the model does not check
(status ``reported`` or ``not checked`` in :mod:`depnet.observations`) get a label too, but
claim nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from depnet.observations import OBSERVATIONS
from depnet.quantities import Parameter
from depnet.scenarios import SCENARIO_DIR

Label = Literal["calibration", "held-out", "input"]


def all_parameters() -> Iterator[tuple[str, Parameter]]:
    """Every parameter the model defines, by the path ``depnet params`` and the docs use:
    the circuit's (``drn_5ht.I_bias_mean``), the learning rules' (``plasticity.<projection>.``,
    ``plasticity.<population>.``), the intervention kinds' (``interventions.<kind>.``) and the
    traits' (``traits.<trait>.``)."""
    from depnet.circuits.parameters import DEFAULT_PARAMETERS
    from depnet.plasticity_rules import stdp, structural
    from depnet.scenarios.interventions import KINDS, TRAITS

    yield from DEFAULT_PARAMETERS.items()
    projection = {
        **stdp.PAIR_PARAMETERS, **stdp.TRIPLET_PARAMETERS, **stdp.GATE_PARAMETERS,
        **structural.SYNAPSE_PARAMETERS, **structural.POOL_PARAMETERS,
    }  # fmt: skip
    for key, p in projection.items():
        yield f"plasticity.<projection>.{key}", p
    for key, p in structural.NEURON_PARAMETERS.items():
        yield f"plasticity.<population>.{key}", p
    for table, prefix in ((KINDS, "interventions"), (TRAITS, "traits")):
        for name, kind in table.items():
            for key, p in kind.parameters.items():
                yield f"{prefix}.{name}.{key}", p


def scenario_calibrations() -> dict[str, tuple[str, ...]]:
    """Shipped scenarios (file name -> rows) whose ``[parameters]`` were sized for rows."""
    from depnet.spec import load_scenario

    found = {}
    for path in sorted(SCENARIO_DIR.glob("*.toml")):
        rows = load_scenario(path).scenario.calibrated_to
        if rows:
            found[f"scenarios/{path.name}"] = rows
    return found


def calibrations() -> dict[str, list[str]]:
    """Each row id -> what was sized for it (parameter paths, scenario files); empty for a
    held-out row."""
    sized: dict[str, list[str]] = {row: [] for row in OBSERVATIONS}
    for path, p in all_parameters():
        for row in p.calibrated_to:
            sized[row].append(path)
    for name, rows in scenario_calibrations().items():
        for row in rows:
            sized[row].append(f"{name} [parameters]")
    return sized


def row_labels() -> dict[str, Label]:
    """Each row id -> ``"calibration"`` (something was sized for it), ``"input"`` (a parameter
    takes the row's value) or ``"held-out"``."""
    return {row: label(row, what) for row, what in calibrations().items()}


def label(row: str, sized_for_it: list[str]) -> Label:
    """The label of ``row`` given what was sized for it (:func:`calibrations`)."""
    if sized_for_it:
        return "calibration"
    return "input" if OBSERVATIONS[row].status == "input" else "held-out"


def summarize(paths: list[str], limit: int = 3) -> str:
    """A short text for a list of parameter paths: the first few and how many more."""
    if len(paths) <= limit:
        return ", ".join(paths)
    return ", ".join(paths[:limit]) + f" and {len(paths) - limit} more"
