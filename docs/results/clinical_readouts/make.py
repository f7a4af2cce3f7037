"""The clinical readouts of healthy, the MDD state and MDD + SSRI, from the runs of ``run.sh``.

Usage::

    .venv/bin/python docs/results/clinical_readouts/make.py RUNS_DIR

Writes, beside this file: ``readouts.md`` (mean and s.d. over seeds of every readout per
condition), ``readouts.json`` (every value, per seed), ``figure.png`` (LFP proxy spectra and BOLD
FC matrices per condition, seed 1) and ``<condition>-report.html`` (the run report of seed 1).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from depnet.analysis import open_run
from depnet.analysis.clinical import biomarkers, bold_fc
from depnet.analysis.figures import _new_figure
from depnet.analysis.lfp import CLINICAL_BANDS, lfp_spectra
from depnet.analysis.report import write_report

HERE = Path(__file__).parent
CONDITIONS = {"healthy_plastic": "healthy", "chronic_stress": "MDD state", "mdd_ssri": "MDD + SSRI"}
SCALARS = ("dmn_bold_fc", "sgacc_dmn_bold_fc", "sgacc_theta", "frontal_theta_alpha")
REGIONS_SHOWN = ("dlpfc", "sgacc", "ca1", "pcc", "mpfc")


def main(runs: Path) -> None:
    values: dict[str, dict[str, dict]] = {}
    trees = {}
    for name in CONDITIONS:
        for store in sorted(runs.glob(f"{name}-s*.zarr")):
            tree = open_run(store)
            seed = int(tree.attrs["seed"])
            readouts = biomarkers(tree)
            row = {v: float(readouts[v]) for v in SCALARS}
            for band in CLINICAL_BANDS:
                rel = readouts[f"lfp_relative_{band}_power"]
                row |= {f"{r}_relative_{band}": float(rel.sel(region=r)) for r in REGIONS_SHOWN}
            row["window_s"] = list(readouts.attrs["window_s"])
            values.setdefault(name, {})[str(seed)] = row
            if seed == 1:
                trees[name] = tree
    (HERE / "readouts.json").write_text(json.dumps(values, indent=1) + "\n")

    lines = [
        "| readout | " + " | ".join(CONDITIONS.values()) + " |",
        "|---|" + "---|" * len(CONDITIONS),
    ]
    keys = [*SCALARS, *(f"{r}_relative_{b}" for b in ("theta", "alpha", "gamma")
                        for r in ("sgacc", "dlpfc", "pcc"))]  # fmt: skip
    for key in keys:
        cells = []
        for name in CONDITIONS:
            x = np.array([v[key] for v in values.get(name, {}).values()], float)
            cells.append(f"{x.mean():.3g} ± {x.std(ddof=1):.2g}" if x.size > 1 else "-")
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    seeds = {name: sorted(int(s) for s in v) for name, v in values.items()}
    lines.append("")
    lines.append(f"mean ± s.d. over seeds {seeds}; window after a 20 s warmup, 300 s")
    (HERE / "readouts.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))

    fig = _new_figure(figsize=(15, 9), layout="constrained")
    axes = fig.subplots(2, len(trees))
    for k, (name, tree) in enumerate(trees.items()):
        psd = lfp_spectra(tree)
        keep = (psd.frequency >= 1) & (psd.frequency <= 100)
        for region in REGIONS_SHOWN:
            axes[0, k].loglog(psd.frequency[keep], psd.sel(region=region)[keep], label=region)
        for low, _ in CLINICAL_BANDS.values():
            axes[0, k].axvline(low, color="0.8", lw=0.5)
        axes[0, k].set_title(f"{CONDITIONS[name]}: LFP proxy spectra (seed 1)")
        axes[0, k].set_xlabel("frequency (Hz)")
        axes[0, k].set_ylabel("PSD (A²/Hz)")
        axes[0, k].legend(fontsize="x-small")
        fc = bold_fc(tree)
        labels = [str(x) for x in fc.region.values]
        image = axes[1, k].imshow(fc.values, vmin=-1, vmax=1, cmap="RdBu_r")
        axes[1, k].set_xticks(range(len(labels)), labels, rotation=45, ha="right")
        axes[1, k].set_yticks(range(len(labels)), labels)
        for i in range(len(labels)):
            for j in range(len(labels)):
                axes[1, k].text(j, i, f"{fc.values[i, j]:.2f}", ha="center", va="center",
                                fontsize="x-small")  # fmt: skip
        axes[1, k].set_title(f"{CONDITIONS[name]}: BOLD FC 0.01-0.1 Hz (seed 1)")
    fig.colorbar(image, ax=axes[1, :], label="Pearson r", shrink=0.8)
    fig.savefig(HERE / "figure.png", dpi=80)
    for name in trees:
        report = write_report(runs / f"{name}-s1.zarr", HERE)
        report.rename(HERE / f"{name}-report.html")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
