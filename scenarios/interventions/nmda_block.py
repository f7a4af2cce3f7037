"""Ketamine by dose: its plasma level over an intravenous infusion, and the NMDA channel block
that level gives each cell class.

A dose D (mg per kg of body weight) infused at a constant rate over a time T reaches, in a
one-compartment model with clearance CL (per kg) and elimination rate k = ln 2 / t_1/2,

    C(t) = D / (T * CL) * (1 - exp(-k t))          while it runs (t <= T),
    C(t) = C(T) * exp(-k (t - T))                   after.

A plasma level held by a target-controlled infusion (``plasma_concentration``) stays at its
value over T and washes out the same way. The unbound share f_u of it reaches the receptors (the
free-drug hypothesis), and ketamine, an open-channel blocker, leaves the share
C_free / (C_free + IC50) of a cell's NMDA current blocked, with the IC50 measured in
physiological (1 mM) Mg2+ near rest for the receptor subtypes the cell class carries.

The one-compartment model leaves out ketamine's fast distribution phase (a half-life of
minutes): it underestimates the peak after a bolus (anaesthetic 2 mg/kg i.v.: 1200-2400 ng/ml
measured, ~500 ng/ml here) and the early fall after an infusion. Norketamine and the
hydroxynorketamines, and ketamine's actions away from the NMDA pore, are not modelled. Nothing
here was sized to a VALIDATION.md row; the peak level after the antidepressant infusion is
checked against Krystal et al. 1994 (held-out, ``tests/test_ketamine_dose.py``). Values marked
``[check]`` were recalled, not read in the source.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import brian2 as b2
import numpy as np
from brian2 import kgram, mgram, second, umolar

from depnet.quantities import HOUR, Parameter, display_quantity

GRAM_PER_MOLE = b2.gram / b2.mole
LITRE_PER_HOUR_PER_KG = b2.liter / HOUR / kgram

#: The cell classes ketamine blocks, as :mod:`depnet.scenarios.interventions.drugs` targets
#: them.
CELL_CLASSES = ("principal", "interneurons")


@dataclass(frozen=True)
class Ketamine:
    """Racemic ketamine's kinetics and its NMDA channel block per cell class, each value with its
    source. Doses are plain numbers of mg per kg (``0.5``): a Brian2 ``mg/kg`` has no units."""

    molar_mass: b2.Quantity
    clearance: Parameter
    half_life: Parameter
    free_fraction: Parameter
    ic50: dict[str, Parameter]
    #: The antidepressant dose and its infusion (Berman et al. 2000; Zarate et al. 2006).
    antidepressant_dose: float
    antidepressant_infusion: b2.Quantity

    def parameters(self) -> dict[str, Parameter]:
        return {
            "clearance": self.clearance,
            "half_life": self.half_life,
            "free_fraction": self.free_fraction,
            **{f"ic50_{cells}": p for cells, p in self.ic50.items()},
        }

    def elimination_rate(self) -> b2.Quantity:
        """ln 2 over the half-life, in biological time."""
        return math.log(2) / self.half_life.value

    def dose_plasma(
        self, dose_mg_per_kg: float, infusion: b2.Quantity, t: np.ndarray
    ) -> np.ndarray:
        """Total plasma concentration (molar, as floats) at biological times ``t`` (seconds
        since the infusion began) after ``dose_mg_per_kg`` infused over ``infusion``."""
        rate = dose_mg_per_kg * (mgram / kgram) / infusion
        plateau = float(rate / self.clearance.value / self.molar_mass / b2.molar)
        return self._course(plateau, infusion, t, rising=True)

    def held_plasma(self, plasma: b2.Quantity, infusion: b2.Quantity, t: np.ndarray) -> np.ndarray:
        """Total plasma concentration (molar, as floats) at biological times ``t`` when
        ``plasma`` is held over ``infusion`` and then washes out."""
        return self._course(float(plasma / b2.molar), infusion, t, rising=False)

    def _course(self, level: float, infusion: b2.Quantity, t: np.ndarray, rising: bool):
        k = float(self.elimination_rate() * b2.second)
        span = float(infusion / b2.second)
        t = np.asarray(t, dtype=float)
        if rising:
            during, end = (
                level * (1 - np.exp(-k * np.minimum(t, span))),
                level * (1 - math.exp(-k * span)),
            )
        else:
            during, end = np.full_like(t, level), level
        return np.where(t <= span, during, end * np.exp(-k * (t - span)))

    def ng_per_ml(self, plasma: np.ndarray) -> np.ndarray:
        """Total plasma concentrations (molar, as floats) in ng/ml, as clinical papers give
        them."""
        return np.asarray(plasma, dtype=float) * float(self.molar_mass / GRAM_PER_MOLE) * 1e6

    def block(self, plasma: np.ndarray, cells: str) -> np.ndarray:
        """The share of a cell class's NMDA current blocked at total plasma concentrations
        (molar, as floats)."""
        free = self.free_fraction.value * np.asarray(plasma, dtype=float)
        ic50 = float(self.ic50[cells].value / b2.molar)
        return free / (free + ic50)

    def lines(self) -> list[str]:
        """What ``depnet interventions`` shows: the values with their sources, and the level and
        block of the antidepressant infusion."""
        dose, infusion = self.antidepressant_dose, self.antidepressant_infusion
        peak = self.dose_plasma(dose, infusion, np.array([float(infusion / b2.second)]))
        blocks = ", ".join(f"{c} {float(self.block(peak, c)[0]):.3f}" for c in CELL_CLASSES)
        head = (
            f"ketamine (molar mass {float(self.molar_mass / GRAM_PER_MOLE):g} g/mol): "
            f"{dose:g} mg/kg over {display_quantity(infusion)} peaks at "
            f"{self.ng_per_ml(peak)[0]:.0f} ng/ml "
            f"({float(peak[0] * b2.molar / umolar):.2f} uM), NMDA block {blocks}"
        )
        return [
            head,
            *(f"    {key} = {display_quantity(p.value)}    # {p.source}"
              for key, p in self.parameters().items()),
        ]  # fmt: skip


_KOTERMANSKI = (
    "in 1 mM Mg2+ at -66 mV (Kotermanski & Johnson 2009 J Neurosci 29:2774 [check values]; "
    "0.3-0.8 uM without Mg2+)"
)

RACEMIC_KETAMINE = Ketamine(
    molar_mass=237.7 * GRAM_PER_MOLE,
    clearance=Parameter(
        1.1 * LITRE_PER_HOUR_PER_KG,
        "from a steady plasma level of 9.3 uM on 41 ug/kg/min (Idvall et al. 1979 Br J Anaesth "
        "51:1167)",
        low=0 * LITRE_PER_HOUR_PER_KG,
    ),
    half_life=Parameter(
        2.5 * HOUR,
        "elimination after i.v. dosing, 2-3 h (Clements & Nimmo 1981 Br J Anaesth 53:27 "
        "[check]); 79 min during anaesthetic infusions (Idvall et al. 1979)",
        low=0 * HOUR,
    ),
    free_fraction=Parameter(
        0.5,
        "47-53% bound to plasma proteins (53.5% in dog plasma by equilibrium dialysis, Kaka & "
        "Hayton 1980 J Pharmacokinet Biopharm 8:193; human ~47% [check])",
        low=0.0,
        high=1.0,
    ),
    ic50={
        "principal": Parameter(
            5.2 * umolar,
            "GluN1/2A 5.35 uM, GluN1/2B 5.08 uM " + _KOTERMANSKI + "; pyramidal and granule "
            "cells' receptors taken as GluN2A/2B",
            low=0 * umolar,
        ),
        "interneurons": Parameter(
            2.95 * umolar,
            "GluN1/2D " + _KOTERMANSKI + " (GluN1/2C 1.18 uM); interneurons' receptors taken "
            "as GluN2D-containing (Perszyk et al. 2016 Mol Pharmacol 90:689, hippocampal "
            "interneurons [check])",
            low=0 * umolar,
        ),
    },
    antidepressant_dose=0.5,
    antidepressant_infusion=40 * 60 * second,
)


@dataclass(frozen=True)
class Step:
    """A stretch of biological time (seconds from the infusion's start) and the mean NMDA block
    of each cell class over it."""

    start: float
    stop: float
    block: dict[str, float]


#: Block below which the washout is over.
NEGLIGIBLE_BLOCK = 0.005
#: The washout's steps (biological time): hourly for the first :data:`HOURLY_STEPS`, then each
#: twice as long as the one before, so that a large dose's tail takes few epochs; at most
#: :data:`MAX_WASHOUT_STEPS`.
WASHOUT_STEP = 1 * HOUR
HOURLY_STEPS = 16
MAX_WASHOUT_STEPS = 22


class WashoutTooLong(ValueError):
    """The block is still above :data:`NEGLIGIBLE_BLOCK` after the last washout step."""


def _mean_block(course, a: float, b: float, drug: Ketamine) -> dict[str, float]:
    plasma = course(np.linspace(a, b, 33))
    return {c: float(np.mean(drug.block(plasma, c))) for c in CELL_CLASSES}


def washout_edges(course, infusion: b2.Quantity, drug: Ketamine = RACEMIC_KETAMINE) -> list[float]:
    """The staircase's edges in biological seconds from the infusion's start: the infusion, then
    washout steps until every class's block over a step is below :data:`NEGLIGIBLE_BLOCK`.

    Raises
    ------
    WashoutTooLong
        If the block is still above it after :data:`MAX_WASHOUT_STEPS` steps.
    """
    span, hour = float(infusion / b2.second), float(WASHOUT_STEP / b2.second)
    lengths = [hour * (1 if k < HOURLY_STEPS else 2 ** (k - HOURLY_STEPS + 1))
               for k in range(MAX_WASHOUT_STEPS)]  # fmt: skip
    edges = [0.0, span]
    for length in lengths:
        a, b = edges[-1], edges[-1] + length
        if max(_mean_block(course, a, b, drug).values()) < NEGLIGIBLE_BLOCK:
            return edges
        edges.append(b)
    raise WashoutTooLong(
        f"the NMDA block stays above {NEGLIGIBLE_BLOCK} for more than "
        f"{(edges[-1] - span) / hour:g} h after the infusion; give a smaller dose or level"
    )


def block_steps(
    course,
    infusion: b2.Quantity,
    drug: Ketamine = RACEMIC_KETAMINE,
    snap=None,
    end: float = math.inf,
) -> list[Step]:
    """The block as a staircase on :func:`washout_edges`. Each step holds the block's mean over
    it, from ``course``, a function from biological times (s) to total plasma concentrations
    (molar floats). ``snap`` maps a biological time to the one its protocol-grid point stands
    for: the edges are snapped first and the means taken over the snapped steps, and steps that
    snap to nothing merge into the next, so the exposure (block times time) stays the drug's on
    any slow clock. Steps end at ``end`` (the intervention window's, biological seconds).

    Raises
    ------
    WashoutTooLong
        As :func:`washout_edges`.
    """
    edges = washout_edges(course, infusion, drug)
    if snap is not None:
        edges = [snap(t) for t in edges]
    edges = sorted({min(t, end) for t in edges})
    return [
        Step(a, b, _mean_block(course, a, b, drug))
        for a, b in zip(edges[:-1], edges[1:], strict=False)
    ]
