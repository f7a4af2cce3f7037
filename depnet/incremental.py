"""Incremental C++ standalone rebuilds: make recompiles the code objects that changed, not all.

Brian2's generated makefile makes every object file depend on the makefile itself, and every
code object includes ``objects.h``. Scenarios of one structure change both without changing a
single code object: another number of intervention epochs changes only the makefile's list of
sources (the new epochs' code objects), and an intervention on a range of cells adds only
``extern`` declarations of the static arrays that ``main`` reads the cells' values from. Either
made make recompile the whole project (~60-90 s for the plastic whole circuit on 2 cores, the
cost of most validation runs) where a few files were new.

:func:`keep_unchanged_objects` runs after Brian2 wrote the project and before make: where one of
these files changed only in that way, it gets its previous modification time back, so make
compiles the new and changed sources only. Any other change (compiler flags, a declaration's
type) keeps its new time and the full rebuild it calls for. brian2cuda's makefile has neither
dependency, so this is for the ``cpp`` target.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from pathlib import Path

#: Files that every object depends on -> the lines whose change alone leaves objects valid.
_BENIGN: dict[str, Callable[[str], bool]] = {
    # the lists of sources and headers (the objects' own rule does not read them)
    "makefile": lambda line: line.startswith(("SRCS = ", "H_SRCS = ")),
    # declarations of the static arrays that main.cpp copies into state variables
    "objects.h": lambda line: line.lstrip().startswith("extern") and "_static_array_" in line,
}

Snapshot = dict[str, tuple[list[str], int]]


def snapshot(build_dir: Path) -> Snapshot:
    """The lines and modification time (ns) of each watched file of a build folder, as found."""
    found = {}
    for name in _BENIGN:
        path = build_dir / name
        if path.is_file():
            found[name] = (path.read_text().splitlines(), path.stat().st_mtime_ns)
    return found


def keep_unchanged_objects(build_dir: Path, before: Snapshot) -> list[str]:
    """Give each watched file that changed only in lines that no object depends on its previous
    modification time; returns the names of those files."""
    kept = []
    for name, (old_lines, old_mtime) in before.items():
        path = build_dir / name
        if not path.is_file():
            continue
        new_lines = path.read_text().splitlines()
        changed = (Counter(old_lines) - Counter(new_lines)) + (
            Counter(new_lines) - Counter(old_lines)
        )
        if all(_BENIGN[name](line) for line in changed):
            os.utime(path, ns=(old_mtime, old_mtime))
            kept.append(name)
    return kept
