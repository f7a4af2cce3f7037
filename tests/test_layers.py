"""Layers that hold: each module imports only from its own layer and those below it.

data (errors, quantities, run data, the store) <- model (specs, circuits, plasticity rules,
scenarios) <- engine (devices, the standalone glue, recording, the run engine) <- command line,
cluster and the package's verbs. Analysis reads stores: it takes the data layer only, and the
engine and the command line may take it. Neither the data layer nor analysis imports Brian2 or
pydantic. Every import statement counts, those inside functions too.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import ROOT

#: The folders of the depnet package (pyproject's package-dir), by module prefix.
PACKAGE_DIRS = {
    "depnet": ROOT / "depnet",
    "depnet.circuits": ROOT / "circuits",
    "depnet.plasticity_rules": ROOT / "plasticity_rules",
    "depnet.scenarios": ROOT / "scenarios",
    "depnet.cluster": ROOT / "cluster",
    "depnet.analysis": ROOT / "analysis",
}

#: Layer of each module, by longest matching prefix; a module may import from layers it reaches.
LAYERS = {
    "depnet.errors": "data",
    "depnet.observations": "data",
    "depnet.rundata": "data",
    "depnet.store": "data",
    "depnet.analysis": "analysis",
    "depnet.spec": "model",
    "depnet.quantities": "model",  # quantities with units are Brian2's (brian2.units)
    "depnet.memory": "model",  # estimates from specs and circuits, before anything is built
    "depnet.circuits": "model",
    "depnet.plasticity_rules": "model",
    "depnet.scenarios": "model",
    "depnet.cache": "engine",
    "depnet.devices": "engine",
    "depnet.standalone": "engine",
    "depnet.recording": "engine",
    "depnet.run": "engine",
    "depnet.native": "engine",
    "depnet.cli": "top",
    "depnet.validation": "top",  # runs the engine, reads stores
    "depnet.sensitivity": "top",  # runs the validation rows with parameters changed
    "depnet.workers": "top",  # worker interpreters for validation seeds and sensitivity points
    "depnet.__main__": "top",
    "depnet.cluster": "top",
    "depnet": "top",  # the package's verbs (depnet/__init__.py)
}
REACHES = {
    "data": {"data"},
    "analysis": {"data", "analysis"},
    "model": {"data", "model"},
    "engine": {"data", "model", "analysis", "engine"},
    "top": {"data", "model", "analysis", "engine", "top"},
}
#: Third-party packages a layer must not import (opening a store stays light).
FORBIDDEN = {
    "data": {"brian2", "brian2cuda", "pydantic"},
    "analysis": {"brian2", "brian2cuda", "pydantic"},
}


def layer(module: str) -> str:
    prefix = max((p for p in LAYERS if module == p or module.startswith(p + ".")), key=len)
    return LAYERS[prefix]


def modules() -> dict[str, Path]:
    """Every module of the package: its dotted name and file."""
    found = {}
    for prefix, folder in PACKAGE_DIRS.items():
        for path in folder.rglob("*.py"):
            parts = path.relative_to(folder).with_suffix("").parts
            if any(p.startswith((".", "__pycache__")) for p in parts) or "notebooks" in parts:
                continue
            name = ".".join((prefix, *parts)).removesuffix(".__init__")
            found.setdefault(name, path)
    return found


def imports(name: str, path: Path) -> list[tuple[int, str]]:
    """``(line, module)`` of every import in a file (inside functions too), relative ones
    resolved."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.append((node.lineno, module))
            # ``from depnet import store`` imports the module depnet.store
            found += [(node.lineno, f"{module}.{a.name}") for a in node.names
                      if f"{module}.{a.name}" in MODULES]  # fmt: skip
    return found


MODULES = modules()


def test_the_package_is_found_whole():
    assert {"depnet.store", "depnet.run", "depnet.analysis.load", "depnet.cluster.worker",
            "depnet.circuits.raphe", "depnet.scenarios.schedule"} <= set(MODULES)  # fmt: skip


def test_every_module_imports_only_from_the_layers_it_reaches():
    wrong = []
    for name, path in sorted(MODULES.items()):
        own = layer(name)
        file = path.relative_to(ROOT).as_posix()
        for line, module in imports(name, path):
            top = module.split(".")[0]
            if top in FORBIDDEN.get(own, ()):
                wrong.append(f"{file}:{line} ({own}) imports {module}")
            if top == "depnet" and module != "depnet" and layer(module) not in REACHES[own]:
                wrong.append(f"{file}:{line} ({own}) imports {module} ({layer(module)})")
    assert not wrong, "\n".join(wrong)


def test_the_contract_check_catches_an_upward_import(tmp_path):
    """The check above, shown failing: a store module that imports the run engine."""
    bad = tmp_path / "store.py"
    bad.write_text("from depnet.run import run_scenario\nimport brian2\n")
    found = [m for _, m in imports("depnet.store", bad)]
    assert "depnet.run" in found and "brian2" in found
    assert layer("depnet.run") not in REACHES[layer("depnet.store")]


@pytest.mark.parametrize("verb", ["open_run", "open_sweep"])
def test_opening_stores_imports_neither_brian2_nor_the_model(tmp_path, verb):
    """A notebook that opens a run (or a folder of runs) and reads rates from it never loads
    Brian2, pydantic or the model: ``import depnet`` and ``depnet.analysis`` stay light."""
    from depnet.analysis.synthetic import poisson_trains, synthetic_run

    runs = tmp_path / "runs"
    for seed in (1, 2):
        rng = np.random.default_rng(seed)
        trains = {"drn_5ht": poisson_trains(2.0, 1.0, 20, rng)}
        synthetic_run(trains, 1.0, attrs={"seed": seed}, path=runs / f"run{seed}.zarr")
    target = runs / "run1.zarr" if verb == "open_run" else runs
    script = textwrap.dedent(
        f"""
        import sys
        import depnet
        tree = depnet.{verb}({str(target)!r})
        tree["rates"].to_dataset().load()
        loaded = [m for m in ("brian2", "brian2cuda", "pydantic", "depnet.spec",
                              "depnet.circuits", "depnet.run", "depnet.recording")
                  if m in sys.modules]
        print("loaded:", loaded)
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert "loaded: []" in out.stdout, out.stdout


def test_no_module_takes_another_modules_private_names():
    """``from depnet.x import _name`` ties a module to another's internals: public names only."""
    wrong = []
    for name, path in sorted(MODULES.items()):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("depnet"):
                private = [a.name for a in node.names if a.name.startswith("_")]
                if private and node.module != name:
                    wrong.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.module} {private}")
    assert not wrong, "\n".join(wrong)
