"""Draw ``docs/_static/slow_clock.svg``: the model's two clocks, from the model's own definitions.

Run ``.venv/bin/python docs/figures/slow_clock.py``. The slow curves are the first-order time
courses that the parameters define (escitalopram's level, autoreceptor desensitization, the
structural calcium trace), the pulses those of the ``rtms`` kind's blocks on the default clock.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from brian2 import ms, second  # noqa: E402

from depnet.circuits import serotonin  # noqa: E402
from depnet.plasticity_rules import structural  # noqa: E402
from depnet.quantities import DAY, DEFAULT_COMPRESSED_DAY  # noqa: E402
from depnet.scenarios.interventions.base import Window  # noqa: E402
from depnet.scenarios.interventions.pharmacokinetics import DRUGS  # noqa: E402
from depnet.scenarios.interventions.stimulation import RTMS  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "_static" / "slow_clock.svg"


def _pulse_times(days: float, dt=0.1 * ms) -> np.ndarray:
    """Pulse times (s) of the default rTMS course over ``days`` compressed days (the
    stimulator's rule on the block's settings: pulses every period while the train is on)."""
    settings = {k: p.value for k, p in RTMS.parameters.items()} | {"pattern": "10hz"}
    duration = days * DEFAULT_COMPRESSED_DAY
    blocks = RTMS.blocks(settings, Window(0 * second, duration, duration, dt))
    v = {e.variable: e.value for b in blocks for e in b.effects if e.target == "stimulator.a"}
    k = np.arange(int(round(float(duration / dt))))
    pulse = (k % v["train_period_steps"] < v["train_steps"]) & (k % v["period_steps"] == 0)
    return k[pulse] * float(dt / second)


def main() -> None:
    days = np.linspace(0, 10, 500)
    t_bio = days * float(DAY / second)
    half_life = float(DRUGS["escitalopram"].half_life.value / second)
    tau_desensitization = float(serotonin.PARAMETERS["tau_desensitization"].value / second)
    tau_ca = float(structural.NEURON_PARAMETERS["tau_Ca"].value / second)
    pulses = _pulse_times(10)

    fig, (slow, fast) = plt.subplots(2, 1, figsize=(7.5, 5.2), constrained_layout=True)
    curves = {
        "escitalopram level (t½ 30 h)": np.exp(-np.log(2) * t_bio / half_life),
        "autoreceptor desensitization (τ 4 days)": np.exp(-t_bio / tau_desensitization),
        "structural calcium trace (τ 10 days)": np.exp(-t_bio / tau_ca),
    }
    for name, left in curves.items():
        slow.plot(days, 1 - left, label=name)
    slow.vlines(pulses, 1.04, 1.12, color="k", lw=0.8)
    slow.text(0.05, 1.16, "rTMS: one session a day (ticks: pulses)", fontsize=8)
    slow.set_xlim(0, 10)
    slow.set_ylim(0, 1.25)
    slow.set_xlabel("biological time (days) = simulated time (s) at compressed_day = 1 s")
    slow.set_ylabel("fraction of its steady state")
    slow.set_title("slow clock: every slow process runs on [scenario] compressed_day", fontsize=10)
    slow.legend(loc="lower right", fontsize=8, frameon=False)

    session = pulses[pulses < 1.0] * 1e3
    fast.vlines(session, 0, 1, color="k", lw=1.5)
    fast.set_xlim(-20, 1000)
    fast.set_ylim(0, 1.3)
    fast.set_yticks([])
    fast.axvspan(0, 400, color="0.9", zorder=0)
    fast.text(
        10, 1.08,
        "one session: 0.4 s of the 10 Hz protocol, real pulse timing\n(on the slow clock it "
        "stands for the 300 s that a clinical session's trains are on)",
        fontsize=8,
    )  # fmt: skip
    fast.set_xlabel(
        "simulated time within day 1 (ms): spikes, synapses, STDP and pulses in real time"
    )
    fast.set_title("fast clock: real time", fontsize=10)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(OUT, metadata={"Date": None})
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
