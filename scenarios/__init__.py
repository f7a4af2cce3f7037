"""What is done to the circuit: scenario TOML files shipped with depnet.

Each ``*.toml`` beside this module is a scenario that :func:`depnet.spec.load_scenario` reads.
"""

from pathlib import Path

SCENARIO_DIR = Path(__file__).parent


def scenario_path(name: str) -> Path:
    """Path of a shipped scenario by name (``"raphe_pfc"`` -> ``.../raphe_pfc.toml``)."""
    path = SCENARIO_DIR / f"{name}.toml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in SCENARIO_DIR.glob("*.toml")))
        raise FileNotFoundError(f"no shipped scenario named {name!r} (known: {known})")
    return path
