"""Draw ``docs/_static/ketamine_block.svg``: ketamine's plasma level and NMDA block by dose, from
the model's own definitions.

Run ``.venv/bin/python docs/figures/ketamine_block.py``. The curves are the one-compartment
levels and channel blocks of :mod:`depnet.scenarios.interventions.nmda_block`; the steps are what
a run's protocol table holds (one over the infusion, hourly after); the grey band is the
shortcut's block (``given_by = "block"``), which the treatment rows use.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from brian2 import second  # noqa: E402

from depnet.scenarios.interventions.drugs import KETAMINE  # noqa: E402
from depnet.scenarios.interventions.nmda_block import RACEMIC_KETAMINE, block_steps  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "_static" / "ketamine_block.svg"
DOSES = (0.25, 0.5, 1.0, 2.0)  # mg/kg i.v.
HOURS = 14.0


def main() -> None:
    drug, infusion = RACEMIC_KETAMINE, RACEMIC_KETAMINE.antidepressant_infusion
    t = np.linspace(0, HOURS * 3600, 1401)
    fig, (level, block) = plt.subplots(1, 2, figsize=(9.5, 3.4), constrained_layout=True)
    colours = plt.cm.viridis(np.linspace(0.1, 0.85, len(DOSES)))
    for dose, colour in zip(DOSES, colours, strict=True):
        plasma = drug.dose_plasma(dose, infusion, t)
        level.plot(t / 3600, drug.ng_per_ml(plasma), color=colour, label=f"{dose:g} mg/kg")
        steps = block_steps(lambda s, d=dose: drug.dose_plasma(d, infusion, s), infusion)
        for cells, style in (("interneurons", "-"), ("principal", ":")):
            block.plot(t / 3600, 100 * drug.block(plasma, cells), style, color=colour, lw=1)
            edges = [s.start / 3600 for s in steps] + [steps[-1].stop / 3600]
            values = [100 * s.block[cells] for s in steps]
            block.stairs(values, edges, color=colour, lw=0.6, alpha=0.6)
    level.axhspan(100, 250, color="0.85", zorder=0)
    level.text(HOURS, 255, "Krystal et al. 1994, 0.5 mg/kg", ha="right", va="bottom", size=8)
    level.set(xlabel="hours after the infusion starts", ylabel="plasma ketamine (ng/ml)")
    level.set_title("40 min i.v. infusion, one compartment", size=10)
    level.legend(frameon=False, fontsize=8)
    shortcut = {k: p.value for k, p in KETAMINE.parameters.items()}
    hours = float(shortcut["nmda_duration"] / second) / 3600
    for cells, key in (("interneurons", "block_interneurons"), ("pyramids", "block_principal")):
        value = 100 * shortcut[key]
        block.axhline(value, color="0.6", lw=3, alpha=0.5, zorder=0)
        block.text(HOURS, value, f"shortcut, {cells}: {value:g}% for {hours:g} h", ha="right",
                   va="bottom", size=8, color="0.35")  # fmt: skip
    block.set_yscale("log")
    block.set_ylim(0.3, 100)
    block.set(xlabel="hours after the infusion starts", ylabel="NMDA current blocked (%)")
    block.set_title("interneurons (GluN2D, solid), pyramids (GluN2A/B, dotted)", size=10)
    for ax in (level, block):
        ax.spines[["top", "right"]].set_visible(False)
        ax.set_xlim(0, HOURS)
    fig.savefig(OUT)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
