"""Incremental C++ rebuilds: a new epoch's sources or a cell range's static arrays leave the
other objects valid; any other change to the makefile or objects.h still rebuilds everything."""

from __future__ import annotations

import os

import pytest

from depnet.incremental import keep_unchanged_objects, snapshot
from tests.conftest import with_interventions

MAKEFILE = """PROGRAM = main

SRCS = code_objects/neurons_stateupdater_codeobject.cpp main.cpp
H_SRCS = code_objects/neurons_stateupdater_codeobject.h objects.h
OPTIMISATIONS = -w -O3 -ffast-math
%.o : %.cpp makefile
"""
OBJECTS_H = """#include "brianlib/clocks.h"
extern double *_array_neurons_v;
extern const int _num__array_neurons_v;
"""
OLD = 10**18  # ns (September 2001), well before the rewrite


def _project(folder, makefile=MAKEFILE, objects_h=OBJECTS_H):
    for name, text in (("makefile", makefile), ("objects.h", objects_h)):
        (folder / name).write_text(text)
        os.utime(folder / name, ns=(OLD, OLD))
    return snapshot(folder)


def _rewrite(folder, name, text):
    (folder / name).write_text(text)  # as Brian2 writes it: a new modification time


def _mtime(folder, name):
    return (folder / name).stat().st_mtime_ns


def test_a_new_epochs_sources_keep_the_makefiles_time(tmp_path):
    before = _project(tmp_path)
    more = MAKEFILE.replace(
        "main.cpp", "code_objects/neurons_stateupdater_codeobject_1.cpp main.cpp"
    )
    _rewrite(tmp_path, "makefile", more)
    assert keep_unchanged_objects(tmp_path, before) == ["makefile", "objects.h"]
    assert _mtime(tmp_path, "makefile") == OLD


def test_a_cell_ranges_static_arrays_keep_the_time_of_objects_h(tmp_path):
    before = _project(tmp_path)
    declared = OBJECTS_H + (
        "extern int32_t *_static_array__index__array_neurons_I_stim;\n"
        "extern const int _num__static_array__index__array_neurons_I_stim;\n"
    )
    _rewrite(tmp_path, "objects.h", declared)
    assert "objects.h" in keep_unchanged_objects(tmp_path, before)
    assert _mtime(tmp_path, "objects.h") == OLD


@pytest.mark.parametrize(
    ("name", "old", "new"),
    [
        ("makefile", "-O3 -ffast-math", "-O2"),  # compiler flags: every object is stale
        ("objects.h", "extern double *_array_neurons_v;", "extern float *_array_neurons_v;"),
    ],
)
def test_any_other_change_rebuilds_everything(tmp_path, name, old, new):
    before = _project(tmp_path)
    text = (tmp_path / name).read_text()
    _rewrite(tmp_path, name, text.replace(old, new))
    assert name not in keep_unchanged_objects(tmp_path, before)
    assert _mtime(tmp_path, name) > OLD


def test_a_first_build_has_nothing_to_keep(tmp_path):
    before = snapshot(tmp_path)
    _project(tmp_path)
    assert before == {} and keep_unchanged_objects(tmp_path, before) == []


def test_an_intervention_on_a_range_of_cells_recompiles_no_code_object(tmp_path):
    """The raphe-sgACC loop built and run plain, then with slower sgACC AMPA decay from 0.2 s (a
    second epoch: new ``_1`` code objects; a range of cells: static arrays in objects.h) in the
    same folder: the first build's code objects keep their object files."""
    from depnet.run import run_scenario

    folder = tmp_path / "build"

    def build_and_run(*interventions: dict) -> dict[str, int]:
        spec = with_interventions("raphe_pfc", interventions, duration="0.4 s", warmup="0 s")
        out = tmp_path / f"run{len(interventions)}.zarr"
        run_scenario(spec, device="cpp", build_dir=folder, out=out, progress=False)
        return {p.name: p.stat().st_mtime_ns for p in folder.glob("code_objects/*.o")}

    first = build_and_run()
    objects = build_and_run(
        {"kind": "sgacc_glutamate_decay", "severity": "severe", "start": "0.2 s"}
    )
    assert any(name.endswith("_1.o") for name in objects.keys() - first.keys())
    assert {name: objects[name] for name in first} == first
