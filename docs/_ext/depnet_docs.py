"""Sphinx extension: pages generated from depnet's own catalogues, so they never drift.

Directives (each emits sections with tables, read from the code at build time):

``depnet-parameters``
    every model parameter (:data:`depnet.circuits.parameters.DEFAULT_PARAMETERS`, what
    ``depnet params`` prints), one table per group;
``depnet-learning-rules``
    the parameters of the learning rules (:mod:`depnet.plasticity_rules`);
``depnet-interventions``
    every intervention kind and trait with its settings (``depnet interventions``);
``depnet-cli``
    the command line, from the argparse parser that ``depnet`` itself uses;
``depnet-validation-rows``
    every VALIDATION row with its label: calibration, held-out or input (``depnet params
    --rows``).

Each parameter row has its value with units, its allowed range, its source as the code states it,
and a label: ``literature`` or ``chosen`` (the source starts with "chosen:"), ``calibration of``
the VALIDATION rows the value was sized for (the parameter's ``calibrated_to``), and other rows
the source names (``cites``).

On ``builder-inited`` the analysis notebooks (jupytext percent-format ``.py`` files) are written
as markdown pages under ``docs/notebooks/`` (not executed; ``tests/test_notebooks.py`` runs them).
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.pycode import ModuleAnalyzer
from sphinx.util.docutils import SphinxDirective

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "analysis" / "notebooks"

_ROWS = re.compile(r"\b([RCP]\d{1,2})\b")


def label(p) -> str:
    """How a value was arrived at: literature or chosen, the rows it calibrates (its
    ``calibrated_to``) and the other rows its source names."""
    words = ["chosen" if p.source.startswith("chosen") else "literature"]
    if p.calibrated_to:
        words.append("calibration of " + ", ".join(p.calibrated_to))
    cited = [r for r in dict.fromkeys(_ROWS.findall(p.source)) if r not in p.calibrated_to]
    if cited:
        words.append("cites " + ", ".join(cited))
    return "; ".join(words)


def _format(value) -> str:
    from depnet.quantities import format_quantity, slow_gloss

    gloss = slow_gloss(value)
    return format_quantity(value) + (f" ({gloss})" if gloss else "")


def _range(p) -> str:
    if p.low is None and p.high is None:
        return ""
    low = "" if p.low is None else _format(p.low)
    high = "" if p.high is None else _format(p.high)
    if p.high is None:
        return f">= {low}"
    if p.low is None:
        return f"<= {high}"
    return f"{low} to {high}"


def _cell(content) -> nodes.entry:
    entry = nodes.entry()
    if isinstance(content, nodes.Node):
        entry += content
    else:
        entry += nodes.paragraph(text=str(content))
    return entry


def table(header: list[str], rows: Iterable[list], widths: list[int], classes=()) -> nodes.table:
    """A docutils table (header row, body rows of strings or nodes)."""
    node = nodes.table(classes=["depnet-table", "colwidths-given", *classes])
    group = nodes.tgroup(cols=len(header))
    node += group
    for width in widths:
        group += nodes.colspec(colwidth=width)
    head = nodes.thead()
    head += nodes.row("", *(_cell(h) for h in header))
    group += head
    body = nodes.tbody()
    for row in rows:
        body += nodes.row("", *(_cell(c) for c in row))
    group += body
    return node


def _literal(text: str) -> nodes.paragraph:
    para = nodes.paragraph()
    para += nodes.literal(text=text)
    return para


def parameter_rows(table_: Mapping, prefix: str = "") -> list[list]:
    return [
        [_literal(prefix + name), _format(p.value), _range(p), label(p), p.source]
        for name, p in table_.items()
    ]


PARAMETER_HEADER = ["parameter", "default", "range", "label", "source"]
PARAMETER_WIDTHS = [30, 8, 10, 12, 40]


class _Sections(SphinxDirective):
    """A directive that emits sections (it must stand at the top level of a page)."""

    def section(self, title: str, *body: nodes.Node, anchor: str | None = None) -> nodes.section:
        ident = nodes.make_id(anchor or f"{self.name}-{title}")
        node = nodes.section(ids=[ident], names=[nodes.fully_normalize_name(ident)])
        node += nodes.title(text=title)
        for child in body:
            node += child
        self.state.document.note_explicit_target(node, node)
        return node

    def text(self, text: str) -> nodes.paragraph:
        return nodes.paragraph(text=text)


class ParametersDirective(_Sections):
    """Model parameters by dotted path, one section per group.

    ``:part:`` picks ``serotonin`` (``serotonin.*``), ``projections`` (``projections.*``) or
    ``cells`` (everything else: synapses, populations, drives), so the three parts together are
    every parameter exactly once.
    """

    option_spec = {
        "part": lambda arg: directives.choice(arg, ("cells", "serotonin", "projections"))
    }

    def run(self) -> list[nodes.Node]:
        from depnet.circuits.parameters import DEFAULT_PARAMETERS, REGIONS

        groups: dict[str, dict] = {}
        for path, p in DEFAULT_PARAMETERS.items():
            head, _, rest = path.partition(".")
            sub = rest.partition(".")[0]
            key = (
                f"{head}.{sub}"
                if head == "serotonin" and sub in ("innervation", "sert_density")
                else head
            )
            groups.setdefault(key, {})[path] = p

        def part(key: str) -> str:
            head = key.partition(".")[0]
            return head if head in ("serotonin", "projections") else "cells"

        titles = {
            "synaptic": "Synapses (every cell)",
            "serotonin": "Serotonin system",
            "serotonin.innervation": "Serotonergic innervation per region",
            "serotonin.sert_density": "SERT density per region",
            "projections": "Projections",
        }
        counts = {f"{r}_{k}": n for r, kinds in REGIONS.items() for k, n in kinds.items()}
        sections = []
        for key, members in groups.items():
            if "part" in self.options and part(key) != self.options["part"]:
                continue
            title = titles.get(
                key, f"{key} ({counts[key]} cells at scale 1)" if key in counts else key
            )
            what = nodes.paragraph()
            what += nodes.Text(f"{len(members)} parameters; a scenario sets one as ")
            what += nodes.literal(text=f'"{next(iter(members))}" = ...')
            what += nodes.Text(" under [parameters].")
            sections.append(
                self.section(
                    title,
                    what,
                    table(
                        PARAMETER_HEADER,
                        parameter_rows(members),
                        PARAMETER_WIDTHS,
                        ["depnet-parameters"],
                    ),
                    anchor=f"group-{key}",
                )
            )
        return sections


class LearningRulesDirective(_Sections):
    """Parameters of the STDP rules, the 5-HT gate and structural plasticity."""

    def run(self) -> list[nodes.Node]:
        from depnet.plasticity_rules import growth_curves, stdp, structural

        projection = "plasticity.<projection>."
        population = "plasticity.<population>."
        parts = [
            ("Pair STDP (stdp_additive, stdp_multiplicative)", stdp.PAIR_PARAMETERS, projection),
            ("Triplet STDP (stdp_triplet)", stdp.TRIPLET_PARAMETERS, projection),
            ("5-HT gate of the learning rate (gated = true)", stdp.GATE_PARAMETERS, projection),
            (
                "Structural plasticity: synapses",
                {**structural.SYNAPSE_PARAMETERS, **structural.POOL_PARAMETERS},
                projection,
            ),
            ("Structural plasticity: postsynaptic cells", structural.NEURON_PARAMETERS, population),
        ]
        sections = []
        for title, params, prefix in parts:
            rows = parameter_rows(params, prefix)
            sections.append(
                self.section(
                    title,
                    table(PARAMETER_HEADER, rows, PARAMETER_WIDTHS, ["depnet-parameters"]),
                    anchor=f"rules-{title}",
                )
            )
        curves = self.text("Growth curves: " + ", ".join(growth_curves.CURVES) + ".")
        sections[-1] += curves
        return sections


class ValidationRowsDirective(SphinxDirective):
    """Every VALIDATION row with its status and label (calibration, held-out or input), read
    from :mod:`depnet.observations` and the parameters' ``calibrated_to``: ``depnet params
    --rows`` as a table."""

    def run(self) -> list[nodes.Node]:
        from depnet.observations import OBSERVATIONS
        from depnet.scenarios.calibration import calibrations, label, summarize

        sized = calibrations()
        rows = [
            [
                row.id,
                row.observation,
                row.band,
                f"{row.status}: {row.checked_in}",
                label(row.id, sized[row.id]),
                summarize(sized[row.id]),
            ]
            for row in OBSERVATIONS.values()
        ]
        header = ["id", "observation", "band", "checked", "label", "sized for it"]
        return [table(header, rows, [5, 24, 20, 20, 9, 22], ["depnet-rows"])]


def _choice_values(kind) -> list[nodes.Node]:
    """For each string setting, the module-level table its choices index (with its ``#:``)."""
    import importlib

    module = importlib.import_module(kind.blocks.__module__)
    try:
        docs = ModuleAnalyzer.for_module(module.__name__).find_attr_docs()
    except Exception:  # noqa: BLE001 - no source: no comments
        docs = {}
    out: list[nodes.Node] = []
    for setting, options in kind.choices.items():
        for name, value in vars(module).items():
            if isinstance(value, dict) and set(value) == set(options) and name.isupper():
                comment = " ".join(docs.get(("", name), [])).strip()
                rows = [[_literal(f'{setting} = "{o}"'), _format(value[o])] for o in options]
                caption = nodes.paragraph()
                caption += nodes.literal(text=name)
                caption += nodes.Text(f": {comment}" if comment else "")
                out += [caption, table([setting, "value"], rows, [20, 10])]
                break
    return out


class InterventionsDirective(_Sections):
    """Every intervention kind and trait: summary, settings with defaults and sources."""

    option_spec = {"traits": directives.flag}

    def run(self) -> list[nodes.Node]:
        from depnet.scenarios.interventions import KINDS, TRAITS

        catalogue = TRAITS if "traits" in self.options else KINDS
        sections = []
        for name, kind in catalogue.items():
            body: list[nodes.Node] = [self.text(f"{kind.summary}.")]
            usage = nodes.paragraph()
            if kind.trait:
                usage += nodes.literal(
                    text=f'[traits] {name} = "{next(iter(kind.choices.values()))[0]}"'
                )
            else:
                usage += nodes.literal(text=f'[[interventions]] kind = "{name}"')
            body.append(usage)
            for setting, options in kind.choices.items():
                line = nodes.paragraph()
                line += nodes.literal(text=setting)
                line += nodes.Text(" (default first): " + " | ".join(options))
                body.append(line)
            if kind.parameters:
                rows = parameter_rows(kind.parameters)
                body.append(table(PARAMETER_HEADER, rows, PARAMETER_WIDTHS, ["depnet-parameters"]))
            body += _choice_values(kind)
            if kind.notes:  # e.g. the ssri's drug table, as `depnet interventions` prints it
                notes = "\n".join(kind.notes)
                body.append(nodes.literal_block(notes, notes, language="text"))
            sections.append(self.section(name, *body, anchor=f"kind-{name}"))
        return sections


def _option_row(action: argparse.Action) -> list:
    if action.option_strings:
        names = ", ".join(action.option_strings)
        if action.nargs != 0:
            names += " " + (action.metavar or action.dest.upper())
    else:
        names = action.metavar or action.dest
        if action.nargs in ("+", "*"):
            names += " ..."
    details = action.help or ""
    if action.choices:
        details += ("; " if details else "") + "one of " + ", ".join(map(str, action.choices))
    default = action.default
    if (
        action.option_strings
        and default not in (None, False, [], "", argparse.SUPPRESS)
        and "default" not in details
    ):
        details += f" (default {default})"
    return [_literal(names), details or "-"]


class CliDirective(_Sections):
    """One section per subcommand of the ``depnet`` parser: usage, description, arguments."""

    def run(self) -> list[nodes.Node]:
        from depnet.cli import _parser

        parser = _parser()
        (sub,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        helps = {choice.dest: choice.help for choice in sub._choices_actions}
        sections = []
        for name, command in sub.choices.items():
            body: list[nodes.Node] = [self.text((helps.get(name) or "").capitalize() + ".")]
            usage = command.format_usage().removeprefix("usage: ").strip()
            body.append(nodes.literal_block(usage, usage, language="text"))
            if command.description:
                body.append(self.text(" ".join(command.description.split())))
            rows = [
                _option_row(a) for a in command._actions if not isinstance(a, argparse._HelpAction)
            ]
            body.append(table(["argument", "meaning"], rows, [30, 70]))
            if command.epilog:
                body.append(nodes.literal_block(command.epilog, command.epilog, language="text"))
            sections.append(self.section(f"depnet {name}", *body, anchor=f"cli-{name}"))
        return sections


def write_notebook_pages(app: Sphinx) -> None:
    """The analysis notebooks as markdown pages, code cells as written (not executed)."""
    import jupytext

    out = Path(app.srcdir) / "notebooks"
    out.mkdir(exist_ok=True)
    for source in sorted(NOTEBOOKS.glob("*.py")):
        cells = jupytext.read(source).cells
        rel = source.relative_to(ROOT).as_posix()
        note = (
            f"```{{note}}\nThe notebook `{rel}`, shown as written (not run here: "
            "`tests/test_notebooks.py` runs it on 2 s stores). Open it with jupytext, or "
            f"`jupytext --to ipynb {rel}`.\n```"
        )
        parts = []
        for cell in cells:
            text = cell.source.strip("\n")
            if cell.cell_type == "markdown":
                parts.append(text)
            elif text:
                parts.append(f"```python\n{text}\n```")
            if len(parts) == 1:  # the note goes under the page title
                title, _, rest = parts[0].partition("\n")
                parts[0] = f"{title}\n\n{note}\n{rest}"
        text = "\n\n".join(parts) + "\n"
        target = out / f"{source.stem}.md"
        if not target.exists() or target.read_text() != text:  # unchanged: not read again
            target.write_text(text)


def _import(name: str):
    """The object a dotted name names, or None."""
    import importlib

    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for attr in parts[cut:]:
                obj = getattr(obj, attr)
        except AttributeError:
            return None
        return obj
    return None


def resolve_internal(app: Sphinx, env, node, contnode):
    """A depnet name that the site does not document: linked where the same object is documented
    under another name (``depnet.analysis.rates.mean_rates`` is ``depnet.analysis.mean_rates``),
    else shown as code. Names that exist nowhere in depnet stay broken (a warning: -W fails)."""
    if node.get("refdomain") != "py":
        return None
    from sphinx.util.nodes import make_refnode

    target = node["reftarget"].lstrip("~.")
    module, cls = node.get("py:module"), node.get("py:class")
    names = [target]
    if module and cls:
        names.append(f"{module}.{cls}.{target}")
    if module:
        names.append(f"{module}.{target}")
    domain = env.get_domain("py")
    for name in names:
        if not name.startswith("depnet"):
            continue
        obj = _import(name)
        if obj is None:
            continue
        if callable(obj) or isinstance(obj, type(argparse)):
            short = name.rsplit(".", 1)[-1]
            for other, entry in domain.objects.items():
                if other.rsplit(".", 1)[-1] == short and _import(other) is obj:
                    return make_refnode(
                        app.builder, node["refdoc"], entry.docname, entry.node_id, contnode, other
                    )
        return contnode
    # a relative name in a re-exported docstring: the one documented object of that name below
    # the current module (``BLOCK_SPIKES`` in depnet.analysis is depnet.analysis.load's)
    if module and "." not in target:
        found = [
            (other, entry)
            for other, entry in domain.objects.items()
            if other.startswith(module + ".") and other.rsplit(".", 1)[-1] == target
        ]
        if len(found) == 1:
            ((other, entry),) = found
            return make_refnode(
                app.builder, node["refdoc"], entry.docname, entry.node_id, contnode, other
            )
    return None


def setup(app: Sphinx) -> dict:
    app.add_directive("depnet-parameters", ParametersDirective)
    app.add_directive("depnet-learning-rules", LearningRulesDirective)
    app.add_directive("depnet-interventions", InterventionsDirective)
    app.add_directive("depnet-cli", CliDirective)
    app.add_directive("depnet-validation-rows", ValidationRowsDirective)
    app.connect("builder-inited", write_notebook_pages)
    app.connect("missing-reference", resolve_internal)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
