"""VALIDATION.md C2: MDD as slower glutamate decay in subgenual ACC (sgACC/vACC), the two-area
model of Ramirez-Mahaluf, Roxin, Mayberg & Compte 2017 Cereb Cortex 27:660 (RM2017).

In RM2017 an emotional input turns vACC on, into a sustained high-activity state, and a cognitive
task input to dlPFC switches it off again through dlPFC -> vACC interneurons. With the vACC AMPA
decay slowed by 2.5/5/7.5% (mild/moderate/severe MDD) vACC stays on and the task input fails to
switch it off; hyperpolarizing vACC pyramids (SSRI-like) and ~130 Hz DBS onto vACC interneurons
restore switching.

The same protocol on the static whole circuit (``scenarios/healthy.toml``, C++), one run per
condition, same seed and network, 5 s:

- 1.5-1.7 s emotional input: 40 Hz volleys into the sgACC pyramids (the stimulator of the
  ``dbs`` kind with its gain on pyramids only, 30 nS per pulse, none on interneurons);
- 3-4 s cognitive task input: a sustained 200 pA depolarizing current into the DLPFC pyramids
  (the ``tdcs`` kind, anodal, interneurons 0 pA);
- MDD: ``sgacc_glutamate_decay`` severe (tau_AMPA x1.075 in sgACC pyramids and interneurons,
  background included, as in RM2017) for the whole run;
- rescue (a): sgACC pyramids hyperpolarized by -15 pA for the whole run (``sgacc_exc.I_bias_mean``;
  -0.6 mV at their 25 nS leak, the order of RM2017's SSRI-like hyperpolarization);
- rescue (b): ``dbs`` at 130 Hz onto sgACC interneurons from 2 s on (after the emotional input:
  one pulse stimulation at a time).

What the model reproduces and what it does not (measured, seed 1 / seed 2, sgacc_exc Hz):

- the RM2017 topology works: the DLPFC task input lowers the sgACC pyramidal rate by 35% / 43%
  (2.6 -> 1.7 / 2.8 -> 1.6 Hz) through dlpfc_exc -> sgacc_inh;
- the columns are not bistable at the healthy parameters: the emotional input leaves no sustained
  sgACC state (back to baseline within ~0.2 s), so there is no "on" state to switch off;
- slower sgACC AMPA decay does not make sgACC hyperactive nor block the switch: it recruits the
  sgACC interneurons more (background AMPA is slowed in them too, and they respond more steeply),
  which lowers the pyramidal rate slightly; the task input suppresses sgACC as much as in health.
  Graded (seed 1, none/mild/moderate/severe): sgacc_inh 16.4/18.1/19.7/21.3 Hz, sgacc_exc
  2.6/2.6/2.5/2.4 Hz, task suppression x0.65/x0.62/x0.64/x0.63.
  The sustained "on" state and the switching failure are ``xfail`` tests with the numbers in
  their reasons;
- both treatments act on sgACC in RM2017's direction (less pyramidal activity, switching by the
  task input kept), but with no switching failure to rescue, "rescue" here is only that.

With linear NMDA, stronger sgACC recurrent NMDA (``projections.sgacc_exc_to_sgacc_exc.w_nmda``
0.25-0.8 nS, with or without a spike-triggered sAHP on the pyramids) gave slow-decaying transients
after the emotional input, a raised baseline (up to ~11 Hz) or a runaway state near 450 Hz, never
a second stable rate. RM2017's attractor rests on saturating NMDA gating (s_NMDA <= 1), which the
neuron model now has (``nmda_saturation``, 0 by default). With it, recurrent NMDA 1.1 nS and a
weaker background (:data:`ATTRACTOR`) the sgACC column is bistable and RM2017's healthy switching
is reproduced (the ``attractor`` tests below; seed 1 / seed 2, sgacc_exc):

- quiet before the emotional input (0.36 / 0.40 Hz), on after it (11.8 / 11.8 Hz, flat over the
  0.8 s before the task input), switched off by the DLPFC task input (0.65 / 0.54 Hz after it,
  for the rest of the run); DLPFC, held at ~1 Hz while sgACC is on, rises to 8.5 Hz in the task;
- but slower sgACC AMPA decay (severe, x1.075) **weakens** the on state instead of locking it:
  4.9 / 5.6 Hz after the emotional input and decaying, switched off as in health (0.49 / 0.43 Hz
  after the task). As in the healthy default regime, the sgACC interneurons' slowed background
  AMPA raises their baseline rate (12.9 -> 17.7 Hz, +37%), and their feedback wins. RM2017's
  switching failure is a strict ``xfail`` with these numbers, so its rescues have no failure
  to rescue;
- the regime is narrow: at recurrent NMDA 1.0 nS the on state is ~6.5 Hz and slowly fading, at
  1.2 nS (15 Hz) and 1.25 nS the task input only dips it (to ~10 Hz) and it recovers: the healthy
  column cannot be switched, and MDD's weakening is then what lets it switch (seed 1).

Scanned on the way (6 s runs, seed 1): with recurrent NMDA 2-3 nS the low state is silent
(< 0.2 Hz) wherever it is stable, a background giving 1-5 Hz ignites the column by itself, and
the on state is 45-85 Hz with interneurons at 120-220 Hz (E->I NMDA 0.75-2 nS removes it, 0.3-0.5
nS leaves only it); with DLPFC in that regime too, the columns are winner-take-all and no task
current up to 600 pA switches sgACC off.
"""

from __future__ import annotations

import pytest
import xarray as xr

pytestmark = pytest.mark.slow

EMOTION = {
    "kind": "dbs",
    "start": "1.5 s",
    "stop": "1.7 s",
    "frequency": "40 Hz",
    "gain_pyramidal": "30 nS",
    "gain_interneurons": "0 nS",
}
TASK = {
    "kind": "tdcs",
    "start": "3 s",
    "stop": "4 s",
    "current_pyramidal": "200 pA",
    "current_interneurons": "0 pA",
}
SEVERE = {"kind": "sgacc_glutamate_decay", "severity": "severe"}
DBS = {"kind": "dbs", "start": "2 s"}  # 130 Hz onto sgACC interneurons (Mayberg et al. 2005)
HYPERPOLARIZED = {"sgacc_exc.I_bias_mean": "-15 pA"}
#: sgACC in RM2017's attractor regime (chosen, by the scan in the module docstring): the
#: saturating NMDA gate on its pyramids (Wang 1999), recurrent NMDA 22x the healthy 0.05 nS, and
#: a weaker background (2.6 instead of 3.1 nS) so that the column rests in its low state.
ATTRACTOR = {
    "sgacc_exc.nmda_saturation": 0.63,
    "projections.sgacc_exc_to_sgacc_exc.w_nmda": "1.1 nS",
    "sgacc_exc.background_weight": "2.6 nS",
}

BASELINE = (1.0, 1.5)  # before the emotional input
AFTER_EMOTION = (2.2, 3.0)  # after it, before the task input
DURING_TASK = (3.2, 4.0)  # the task input, its first 0.2 s left out
AFTER_TASK = (4.3, 5.0)


@pytest.fixture(scope="module")
def protocol(static_treatment):
    """``run(*interventions, parameters=...) -> DataTree``: the healthy whole circuit (static)
    for 5 s with the emotional and task inputs and any further ``[[interventions]]`` tables."""

    def run(*interventions: dict, parameters: dict | None = None) -> xr.DataTree:
        overrides = {k.replace(".", "__"): v for k, v in (parameters or {}).items()}
        return static_treatment("5 s", (EMOTION, TASK, *interventions), **overrides)

    return run


def _rate(tree: xr.DataTree, population: str, window: tuple[float, float]) -> float:
    rate = tree["rates"].ds.rate.sel(population=population)
    return float(rate.sel(time=slice(*window)).mean())


def _switch(tree: xr.DataTree) -> float:
    """sgACC pyramidal rate during the task input over its rate just before it."""
    return _rate(tree, "sgacc_exc", DURING_TASK) / _rate(tree, "sgacc_exc", AFTER_EMOTION)


@pytest.fixture(scope="module")
def healthy(protocol):
    return protocol()


@pytest.fixture(scope="module")
def severe(protocol):
    return protocol(SEVERE)


def test_dlpfc_task_input_switches_sgacc_down(healthy):
    """RM2017: a task input to dlPFC suppresses vACC through dlPFC -> vACC interneurons.
    Measured (seed 1 / seed 2): DLPFC 2.4 -> 8.8 / 2.3 -> 8.9 Hz, sgACC 2.6 -> 1.7 / 2.8 -> 1.6 Hz
    (x0.65 / x0.57)."""
    dlpfc = _rate(healthy, "dlpfc_exc", DURING_TASK) / _rate(healthy, "dlpfc_exc", AFTER_EMOTION)
    assert dlpfc > 2.0, dlpfc
    assert _rate(healthy, "sgacc_inh", DURING_TASK) > _rate(healthy, "sgacc_inh", AFTER_EMOTION)
    assert _switch(healthy) < 0.8, _switch(healthy)


@pytest.mark.xfail(
    strict=True,
    reason="no attractor: the cortical columns are not bistable at the healthy parameters, so "
    "the emotional input leaves no sustained sgACC state (seed 1: 2.7 Hz before, 2.6 Hz after)",
)
def test_emotional_input_leaves_sgacc_on(healthy):
    """RM2017: a brief emotional input switches vACC into sustained high activity."""
    after = _rate(healthy, "sgacc_exc", AFTER_EMOTION)
    assert after > 2 * _rate(healthy, "sgacc_exc", BASELINE), after


@pytest.fixture(scope="module")
def attractor(protocol):
    return protocol(parameters=ATTRACTOR)


@pytest.fixture(scope="module")
def attractor_severe(protocol):
    return protocol(SEVERE, parameters=ATTRACTOR)


def test_emotional_input_turns_the_sgacc_attractor_on(attractor):
    """RM2017: a brief emotional input switches vACC into sustained activity. In the attractor
    regime sgACC is quiet before it and on after it, at a steady rate until the task input.
    Measured (seed 1 / seed 2): 0.36 / 0.40 Hz before, 11.8 / 11.8 Hz after (2.2-3.0 s)."""
    before = _rate(attractor, "sgacc_exc", BASELINE)
    after = _rate(attractor, "sgacc_exc", AFTER_EMOTION)
    assert before < 1.0, before
    assert after > 5.0 and after > 10 * before, (before, after)
    early, late = _rate(attractor, "sgacc_exc", (2.2, 2.6)), _rate(attractor, "sgacc_exc", (2.6, 3))
    assert late > 0.8 * early, (early, late)  # held, not a decaying transient


def test_dlpfc_task_input_switches_the_sgacc_attractor_off(attractor):
    """RM2017: the cognitive task input to dlPFC switches vACC off, for good. Measured (seed 1 /
    seed 2): sgacc_exc 11.8 -> 0.65 / 0.54 Hz after the task input; dlpfc_exc ~1 Hz while sgACC
    is on, 8.5 Hz during the task."""
    on = _rate(attractor, "sgacc_exc", AFTER_EMOTION)
    assert _rate(attractor, "sgacc_exc", AFTER_TASK) < 0.2 * on
    assert _rate(attractor, "dlpfc_exc", DURING_TASK) > 3 * _rate(
        attractor, "dlpfc_exc", AFTER_EMOTION
    )


@pytest.mark.xfail(
    strict=True,
    reason="not reproduced: in the attractor regime slower sgACC AMPA decay weakens the on state "
    "(seed 1 / seed 2: 4.9 / 5.6 Hz after the emotional input vs 11.8 Hz in health) and the task "
    "input switches it off as in health (0.49 / 0.43 Hz after it)",
)
def test_slower_sgacc_ampa_decay_locks_the_sgacc_attractor_on(attractor_severe):
    """RM2017: with vACC tau_AMPA +7.5% (severe MDD) the dlPFC task input fails to switch vACC
    off: it stays at more than half its rate before the task input."""
    on = _rate(attractor_severe, "sgacc_exc", AFTER_EMOTION)
    assert _rate(attractor_severe, "sgacc_exc", AFTER_TASK) > 0.5 * on


def test_slower_sgacc_ampa_decay_weakens_the_sgacc_attractor(attractor, attractor_severe):
    """What the attractor regime does instead of RM2017's switching failure: tau_AMPA x1.075 in
    sgACC raises its interneurons' baseline rate and the on state is weaker. Measured (seed 1 /
    seed 2): sgacc_inh 12.9 -> 17.7 / 13.0 -> 17.6 Hz before the emotional input; sgacc_exc on
    state 11.8 -> 4.9 / 5.6 Hz."""
    inh = _rate(attractor_severe, "sgacc_inh", BASELINE) / _rate(attractor, "sgacc_inh", BASELINE)
    assert inh > 1.2, inh
    on = _rate(attractor_severe, "sgacc_exc", AFTER_EMOTION)
    assert on < 0.7 * _rate(attractor, "sgacc_exc", AFTER_EMOTION), on


@pytest.mark.xfail(
    strict=False,
    reason="not reproduced: slower sgACC AMPA decay lowers the sgACC pyramidal rate (seed 1: "
    "2.6 -> 2.4 Hz, seed 2: 2.8 -> 2.5 Hz) and the task input still suppresses it as in health "
    "(x0.63 vs x0.65, seed 2: x0.60 vs x0.57)",
)
def test_slower_sgacc_ampa_decay_blocks_switching(healthy, severe):
    """RM2017: with vACC tau_AMPA +7.5% (severe MDD) vACC is hyperactive and the dlPFC task input
    fails to switch it off: its suppression is at most half of that in health."""
    assert _rate(severe, "sgacc_exc", AFTER_EMOTION) > _rate(healthy, "sgacc_exc", AFTER_EMOTION)
    assert 1 - _switch(severe) < 0.5 * (1 - _switch(healthy)), (_switch(severe), _switch(healthy))


def test_slower_sgacc_ampa_decay_recruits_sgacc_interneurons(healthy, severe):
    """What the model does instead of RM2017's switching failure: tau_AMPA x1.075 in sgACC also
    slows the interneurons' background AMPA, and their steeper response wins. Measured (seed 1 /
    seed 2): sgacc_inh 16.4 -> 21.3 / 16.3 -> 21.2 Hz (+30%), sgacc_exc 2.6 -> 2.4 / 2.8 -> 2.5 Hz;
    the task input's suppression is unchanged (x0.63 / x0.60 vs x0.65 / x0.57 in health)."""
    inh = _rate(severe, "sgacc_inh", AFTER_EMOTION) / _rate(healthy, "sgacc_inh", AFTER_EMOTION)
    assert inh > 1.15, inh
    assert _switch(severe) < 0.8, _switch(severe)


def test_ssri_like_hyperpolarization_lowers_sgacc_and_keeps_switching(protocol, severe):
    """C2 rescue (a), RM2017's SSRI: hyperpolarizing vACC pyramids lowers their activity in the
    MDD state, and the task input still switches them down. Measured (severe MDD, -15 pA,
    seed 1 / seed 2): sgacc_exc 2.4 -> 2.1 / 2.5 -> 2.2 Hz (x0.88), task suppression x0.62 /
    x0.55."""
    treated = protocol(SEVERE, parameters=HYPERPOLARIZED)
    lowered = _rate(treated, "sgacc_exc", AFTER_EMOTION) / _rate(severe, "sgacc_exc", AFTER_EMOTION)
    assert lowered < 0.95, lowered
    assert _switch(treated) < 0.8, _switch(treated)


def test_dbs_onto_sgacc_interneurons_silences_sgacc(protocol, severe):
    """C2 rescue (b), RM2017's DBS: 130 Hz pulses onto vACC interneurons suppress vACC. Here they
    overshoot: the interneurons follow the pulses (~130 Hz) and silence the sgACC pyramids, which
    frees DLPFC of sgACC's inhibition. Measured (seed 1 / seed 2): sgacc_exc 2.4 / 2.5 -> 0.0 Hz,
    sgacc_inh ~131 Hz, DLPFC 2.5 / 2.4 -> 2.8 Hz before the task, 8.9 -> 9.2 / 9.3 Hz during it."""
    treated = protocol(SEVERE, DBS)
    assert _rate(treated, "sgacc_inh", AFTER_EMOTION) > 100
    assert _rate(treated, "sgacc_exc", AFTER_EMOTION) < 0.2 * _rate(
        severe, "sgacc_exc", AFTER_EMOTION
    )
    assert _rate(treated, "dlpfc_exc", AFTER_EMOTION) > _rate(severe, "dlpfc_exc", AFTER_EMOTION)
