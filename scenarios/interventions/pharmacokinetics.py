"""SSRIs by dose: a one-compartment model of each drug's plasma level and its free level at SERT.

A daily oral dose D of a drug with oral clearance CL/F sustains an average plasma concentration
C_ss = D / (CL/F * 24 h) (divided by the molar mass); the unbound share f_u of it is what
reaches the transporter (the free-drug hypothesis: unbound concentrations in plasma and brain
equal at steady state). The drug's **load** is that free concentration over its SERT affinity,
L = f_u * C_ss / Ki, which :mod:`depnet.circuits.serotonin` binds competitively with 5-HT
(occupancy L / (1 + L + [5-HT]/Km)). The load approaches its steady level, and washes out, at
the elimination rate ln 2 / t_1/2, on the scenario's slow clock (``[scenario] compressed_day``):
with daily doses and half-lives of a day or more the average level follows that curve
(peak-trough swings within a day are left out).

Nothing here was sized to VALIDATION.md R7's PET occupancies: the dose-occupancy check against
Meyer et al. 2004 is held-out. Values marked ``[check]`` were recalled, not read in the source.
Fluoxetine's active metabolite norfluoxetine (similar potency, half-life 7-15 days) is not
modelled: fluoxetine's occupancy, its slow rise and its slow washout are underestimated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import brian2 as b2
from brian2 import mgram, nM

from depnet.quantities import DAY, HOUR, Parameter, display_quantity, format_quantity

#: Dosing interval: once daily.
DOSING_INTERVAL = DAY
#: Molar masses (free bases), g/mol.
GRAM_PER_MOLE = b2.gram / b2.mole
LITRE_PER_HOUR = b2.liter / HOUR


@dataclass(frozen=True)
class Drug:
    """An SSRI's pharmacokinetics and SERT affinity, each value with its source."""

    name: str
    molar_mass: b2.Quantity
    oral_clearance: Parameter
    half_life: Parameter
    free_fraction: Parameter
    ki_sert: Parameter
    #: The minimum therapeutic daily dose (Meyer et al. 2004 Am J Psychiatry 161:826).
    minimum_therapeutic_dose: b2.Quantity

    def parameters(self) -> dict[str, Parameter]:
        return {
            "oral_clearance": self.oral_clearance,
            "half_life": self.half_life,
            "free_fraction": self.free_fraction,
            "ki_sert": self.ki_sert,
        }

    def steady_plasma(self, daily_dose: b2.Quantity) -> b2.Quantity:
        """Average total plasma concentration (molar) at steady state on ``daily_dose``."""
        rate = daily_dose / DOSING_INTERVAL
        return rate / self.oral_clearance.value / self.molar_mass

    def load(self, plasma: b2.Quantity) -> float:
        """Free concentration over Ki at a total plasma concentration."""
        return float(self.free_fraction.value * plasma / self.ki_sert.value)

    def elimination_rate(self) -> b2.Quantity:
        """ln 2 over the half-life, in biological time."""
        return math.log(2) / self.half_life.value

    def lines(self) -> list[str]:
        """What ``depnet interventions`` shows: the values with their sources, and the load
        that the minimum therapeutic dose sustains."""
        return [
            self.describe(),
            *(f"    {key} = {display_quantity(p.value)}    # {p.source}"
              for key, p in self.parameters().items()),
        ]  # fmt: skip

    def describe(self) -> str:
        dose = self.minimum_therapeutic_dose
        plasma = self.steady_plasma(dose)
        return (
            f"{self.name} (molar mass {float(self.molar_mass / GRAM_PER_MOLE):g} g/mol): "
            f"{format_quantity(dose)} a day (minimum therapeutic) sustains "
            f"{float(plasma / nM):.3g} nM in plasma, a free load of {self.load(plasma):.3g} x Ki"
        )


_TATSUMI = "Tatsumi et al. 1997 Eur J Pharmacol 340:249, human SERT Kd ([3H]imipramine binding)"

DRUGS: dict[str, Drug] = {
    d.name: d
    for d in (
        Drug(
            "escitalopram",
            324.4 * GRAM_PER_MOLE,
            Parameter(
                36 * LITRE_PER_HOUR,
                "oral clearance ~600 ml/min (Rao 2007 Clin Pharmacokinet 46:281); systemic "
                "31 l/h (Sogaard et al. 2005 J Clin Pharmacol 45:1400)",
            ),
            Parameter(30 * HOUR, "27-33 h (Sogaard et al. 2005 J Clin Pharmacol 45:1400)"),
            Parameter(0.44, "56% bound to plasma proteins (Rao 2007 Clin Pharmacokinet 46:281)"),
            Parameter(1.1 * nM, "in vitro (VALIDATION.md R7, which gives 27.6 nM fitted in vivo)"),
            10 * mgram,
        ),
        Drug(
            "citalopram",
            324.4 * GRAM_PER_MOLE,
            Parameter(
                25 * LITRE_PER_HOUR,
                "oral clearance 0.42 l/min, about the systemic: near-complete availability "
                "(Kragh-Sorensen et al. 1981 Acta Pharmacol Toxicol 48:53)",
            ),
            Parameter(
                35 * HOUR,
                "~35 h (Celexa prescribing information); 33 h in Kragh-Sorensen et al. 1981",
            ),
            Parameter(
                0.2,
                "~80% bound to plasma proteins (Celexa prescribing information; Milne & Goa 1991 "
                "Drugs 41:450 give ~50%)",
            ),
            Parameter(1.16 * nM, _TATSUMI + "; racemate"),
            20 * mgram,
        ),
        Drug(
            "fluoxetine",
            309.3 * GRAM_PER_MOLE,
            Parameter(
                10 * LITRE_PER_HOUR,
                "from plasma fluoxetine 91-302 ng/ml after 30 days of 40 mg/day (Prozac "
                "prescribing information), ~90 ng/ml at 20 mg/day taken as linear (Altamura et "
                "al. 1994 Clin Pharmacokinet 26:201: non-linear); the parent drug only",
            ),
            Parameter(
                2.5 * DAY,
                "1-4 days (Altamura et al. 1994); 4-6 days on chronic dosing (Prozac "
                "prescribing information); norfluoxetine (7-15 days) not modelled",
            ),
            Parameter(0.055, "94.5% bound to plasma proteins (Prozac prescribing information)"),
            Parameter(0.81 * nM, _TATSUMI),
            20 * mgram,
        ),
        Drug(
            "sertraline",
            306.2 * GRAM_PER_MOLE,
            Parameter(
                70 * LITRE_PER_HOUR,
                "from Cmax ~165 ng/ml on 200 mg/day, linear in dose (Ronfeld et al. 1997 Clin "
                "Pharmacokinet 32 Suppl 1:22 [check]); steady-state levels vary up to 15-fold "
                "between patients on 50-150 mg/day (DeVane et al. 2002 Clin Pharmacokinet "
                "41:1247)",
            ),
            Parameter(26 * HOUR, "22-36 h (DeVane et al. 2002 Clin Pharmacokinet 41:1247)"),
            Parameter(0.015, "98.5% bound to plasma proteins (Zoloft prescribing information)"),
            Parameter(0.29 * nM, _TATSUMI),
            50 * mgram,
        ),
        Drug(
            "paroxetine",
            329.4 * GRAM_PER_MOLE,
            Parameter(
                30 * LITRE_PER_HOUR,
                "chosen: 20 mg/day taken to sustain ~28 ng/ml, the serum level above which "
                "PET occupancy plateaus near 85% in Meyer et al. 2001 (Am J Psychiatry "
                "158:1843), so paroxetine's R7 figure is not independent of that study; "
                "non-linear in dose (CYP2D6 saturation), not modelled",
            ),
            Parameter(21 * HOUR, "21 h, CV 32%, on 30 mg/day (Paxil prescribing information)"),
            Parameter(0.05, "95% bound at 100 ng/ml (Paxil prescribing information)"),
            Parameter(0.13 * nM, _TATSUMI),
            20 * mgram,
        ),
    )
}
