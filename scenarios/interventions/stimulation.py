"""Brain stimulation: rTMS (10 Hz, iTBS) and tDCS of DLPFC, DBS of subgenual ACC, PAS, and ECT;
and an experimenter's current into one population (``current``).

Pulses (rTMS, DBS, PAS, ECT) come from the two-channel stimulator of
:mod:`depnet.circuits.stimulation`: each pulse gives the targeted cells an AMPA-like conductance
kick (``stim_gain_*``), strong enough to make most of them fire a synchronous volley. tDCS is a
small polarizing current (``I_stim``), larger in pyramidal cells than in interneurons.

Courses (rTMS, tDCS, ECT) are sessions on the scenario's slow clock (``[scenario] compressed_day``):
so many sessions a day (or a week) over the intervention's window, each with the real pulse
timing of its protocol. A clinical session lasts minutes to an hour while a compressed day lasts
a second by default, so a session keeps its real pulse timing for ``session_duration`` (ECT:
``seizure_duration``) of simulated time, a chosen sample of the session; a run whose session
would not fit its share of the day is refused with one line. On the slow clock the sample
stands for the clinical session (rTMS: the time its trains are on, ``train_time``; tDCS:
``clinical_duration``; ECT: ``clinical_seizure``): while it lasts, the slow clock runs at that
length (:func:`~depnet.scenarios.interventions.base.session_clock`).
"""

from __future__ import annotations

from brian2 import Hz, Quantity, ms, nS, pA, second

from depnet.circuits import parameters as circuit_parameters
from depnet.circuits.neuron import receptor_interval
from depnet.quantities import MINUTE, Parameter, format_quantity
from depnet.scenarios.interventions.base import (
    Block,
    Effect,
    Kind,
    Settings,
    Window,
    session_clock,
    steps,
)


def _train(
    channel: str,
    w: Window,
    *,
    period,
    burst_pulses: int = 1,
    burst_period=None,
    train_on=None,
    train_period=None,
    phase=0 * ms,
) -> tuple[Effect, ...]:
    """Stimulator settings of one channel for a pulse train that starts with the window."""
    burst_period = period if burst_period is None else burst_period
    train_on = w.duration if train_on is None else train_on
    train_period = train_on if train_period is None else train_period
    target = f"stimulator.{channel}"
    values = {
        "enabled": 1.0,
        "start_step": int(round(float(w.start / w.dt))),
        "phase_steps": int(round(float(phase / w.dt))),
        "period_steps": steps(period, w.dt),
        "burst_pulses": burst_pulses,
        "burst_period_steps": steps(burst_period, w.dt),
        "train_steps": steps(train_on, w.dt),
        "train_period_steps": steps(train_period, w.dt),
    }
    return tuple(Effect(target, k, v) for k, v in values.items())


def _session_period(
    name: str, length: Quantity, per_day: float, w: Window, grid: Quantity
) -> tuple[Quantity, Quantity]:
    """Time between a course's sessions, for its pulse train and for its slow clock: one day
    of the slow clock over ``per_day`` sessions, rounded to whole ``grid`` s (the protocol's
    pulse or burst period) in steps of ``w.dt``, so that every session starts on the pulses'
    grid (the stimulator keeps one grid from the train's first pulse). A session (setting
    ``name``, ``length`` long) must be shorter. For the train, a period longer than the window
    is cut to the first grid point after it (the window then holds one session), which keeps
    step counts within 32-bit integers; the clock keeps the whole period."""
    grid_steps = steps(grid, w.dt)
    wanted = max(1, round(float(w.day / per_day / (grid_steps * w.dt))))
    if length >= wanted * grid_steps * w.dt:
        raise ValueError(
            f"{name}: {format_quantity(length)} is not shorter than the time between sessions "
            f"on the slow clock ({format_quantity(wanted * grid_steps * w.dt)}; [scenario] "
            "compressed_day sets the day)"
        )
    window = steps(w.stop - w.start, w.dt) // grid_steps + 1
    return min(wanted, window) * grid_steps * w.dt, wanted * grid_steps * w.dt


def _gains(region: str, channel: str, s: Settings, cells=(0.0, 1.0)) -> tuple[Effect, ...]:
    return (
        Effect(f"{region}_exc", f"stim_gain_{channel}", s["gain_pyramidal"], cells=cells),
        Effect(f"{region}_inh", f"stim_gain_{channel}", s["gain_interneurons"]),
    )


_GAIN = (
    "chosen: conductance kick per pulse that makes most targeted cells fire one spike (a "
    "synchronous volley, like a suprathreshold TMS pulse): with AMPA's 2 ms decay and ~65 mV "
    "driving force, g deposits g * 0.13 mV*s of charge; ~15 mV on a 500 pF pyramid needs "
    "~60 nS, on a 200 pF interneuron ~25 nS"
)
_PYRAMIDAL_KICK = 80 * nS
_INTERNEURON_KICK = 40 * nS


#: Intermittent theta burst (Huang et al. 2005 Neuron 45:201): 3 pulses at 50 Hz every 200 ms,
#: in 2 s trains every 10 s.
_ITBS = {"period": 20 * ms, "burst_pulses": 3, "burst_period": 200 * ms, "train_on": 2 * second}


def _rtms_blocks(s: Settings, w: Window) -> list[Block]:
    # A session is the start of one train, session_duration long, repeated sessions_per_day
    # times a day of the slow clock: the stimulator's train period is the session period.
    if s["pattern"] == "itbs":
        pattern = dict(_ITBS)
        grid = pattern["burst_period"]
    else:
        pattern = {"period": 1 / s["frequency"], "train_on": s["train_on"]}
        grid = pattern["period"]
    between, clock_period = _session_period(
        "session_duration", s["session_duration"], s["sessions_per_day"], w, grid
    )
    if s["session_duration"] > pattern["train_on"]:
        raise ValueError(
            f"session_duration: {format_quantity(s['session_duration'])} is longer than one "
            f"train ({format_quantity(pattern['train_on'])}); a session here is the start of "
            "one train"
        )
    pattern["train_on"] = s["session_duration"]
    train = _train("a", w, train_period=between, **pattern)
    train_time = s["train_time"] or _TRAIN_TIME[s["pattern"]]
    clock = session_clock(
        _session_starts(w, between), s["session_duration"], train_time, clock_period, w,
        "session_duration",
    )  # fmt: skip
    return [Block(w.start, w.stop, train + _gains("dlpfc", "a", s)), *clock]


def _session_starts(w: Window, between: Quantity) -> list[Quantity]:
    """The starts of a course's sessions in its window, one every ``between`` from its start
    (whole sessions counted in steps, so that no rounding adds one at the window's end)."""
    sessions = -(-steps(w.stop - w.start, w.dt) // steps(between, w.dt))
    return [w.start + k * between for k in range(sessions)]


#: The time a clinical session's trains are on, by pattern (``train_time``'s default): 75 trains
#: of 4 s at 10 Hz (3000 pulses, O'Reardon et al. 2007); 20 trains of 2 s of iTBS (600 pulses,
#: Blumberger et al. 2018 Lancet 391:1683).
_TRAIN_TIME = {"10hz": 75 * 4 * second, "itbs": 20 * 2 * second}


RTMS = Kind(
    name="rtms",
    summary="repetitive TMS of DLPFC: a course of 10 Hz or intermittent theta burst (iTBS) "
    "sessions, sessions_per_day on the slow clock",
    parameters={
        "frequency": Parameter(
            10 * Hz,
            "the FDA-cleared 10 Hz left-DLPFC protocol (O'Reardon et al. 2007)",
            low=0.1 * Hz,
        ),
        "train_on": Parameter(
            4 * second,
            "O'Reardon et al. 2007: 4 s trains, 26 s apart, 75 in a 37.5 min session; a session "
            "here is the start of one train, so the gap between trains never comes into play",
            low=0.1 * ms,
        ),
        "sessions_per_day": Parameter(
            1.0,
            "O'Reardon et al. 2007: one session each weekday for 4-6 weeks (weekends are not "
            "left out here); sessions start on the pulses' grid of the slow clock",
            low=0.01,
            high=24.0,
        ),
        "session_duration": Parameter(
            0.4 * second,
            "chosen: the simulated part of each session, which keeps its real pulse timing "
            "(10 Hz: 4 pulses; iTBS: 2 bursts); a real session (37.5 min of 10 Hz, or 3 min "
            "of iTBS) does not fit a compressed day of 1 s; at most one train",
            low=1 * ms,
        ),
        "train_time": Parameter(
            0 * second,
            "the time a clinical session's trains are on, which the simulated part (the start "
            "of one train) stands for on the slow clock: the slow processes see its spikes as "
            "that much stimulation; between the trains the cells fire as on any day. 0: the "
            "pattern's, 300 s for 10 Hz (75 trains of 4 s, 3000 pulses in a 37.5 min session, "
            "O'Reardon et al. 2007) or 40 s for iTBS (20 trains of 2 s, 600 pulses in 3 min 9 s, "
            "Blumberger et al. 2018 Lancet 391:1683 [check])",
            low=0 * second,
        ),
        "gain_pyramidal": Parameter(_PYRAMIDAL_KICK, _GAIN, low=0 * nS),
        "gain_interneurons": Parameter(_INTERNEURON_KICK, _GAIN, low=0 * nS),
    },
    choices={"pattern": ("10hz", "itbs")},
    blocks=_rtms_blocks,
    regions=lambda s: ("dlpfc",),
    stimulates=True,
)

DBS = Kind(
    name="dbs",
    summary="deep brain stimulation of subgenual ACC at 130 Hz, onto its interneurons",
    parameters={
        "frequency": Parameter(
            130 * Hz, "Mayberg et al. 2005 Neuron 45:651 (130 Hz, 60 us, 4 V)", low=1 * Hz
        ),
        "gain_interneurons": Parameter(
            _INTERNEURON_KICK,
            "chosen: DBS acts on sgACC interneurons as in Ramirez-Mahaluf et al. 2017 "
            "(VALIDATION.md C2); " + _GAIN,
            low=0 * nS,
        ),
        "gain_pyramidal": Parameter(0 * nS, "chosen: pyramidal cells not driven", low=0 * nS),
    },
    blocks=lambda s, w: [
        Block(w.start, w.stop, _train("a", w, period=1 / s["frequency"]) + _gains("sgacc", "a", s))
    ],
    regions=lambda s: ("sgacc",),
    stimulates=True,
)


def _tdcs_blocks(s: Settings, w: Window) -> list[Block]:
    # One block per session: the current (and, anodal, the BDNF release) holds for
    # session_duration, sessions_per_day times a day of the slow clock, on the protocol's grid.
    sign = 1.0 if s["polarity"] == "anodal" else -1.0
    # Only anodal (facilitatory) DCS evokes the BDNF-dependent LTP (Fritsch et al. 2010): its
    # BDNF joins the stimulated DLPFC cells' trace over the session's clinical length.
    secretion = s["bdnf_release"] / s["clinical_duration"]
    effects = (
        Effect("dlpfc_exc", "I_stim", sign * s["current_pyramidal"], op="add"),
        Effect("dlpfc_inh", "I_stim", sign * s["current_interneurons"], op="add"),
        *(
            (Effect("structural.dlpfc_*", "bdnf_secretion", secretion, op="add"),)
            if s["polarity"] == "anodal"
            else ()
        ),
    )
    between, clock_period = _session_period(
        "session_duration", s["session_duration"], s["sessions_per_day"], w,
        receptor_interval(w.dt),
    )  # fmt: skip
    starts = _session_starts(w, between)
    clock = session_clock(
        starts, s["session_duration"], s["clinical_duration"], clock_period, w,
        "session_duration",
    )  # fmt: skip
    sessions = [Block(t, min(w.stop, t + s["session_duration"]), effects) for t in starts]
    return sessions + clock


TDCS = Kind(
    name="tdcs",
    summary="transcranial direct current stimulation of DLPFC: a course of sessions_per_day "
    "sessions on the slow clock; anodal depolarizes, cathodal hyperpolarizes",
    parameters={
        "current_pyramidal": Parameter(
            10 * pA,
            "chosen: ~0.4 mV somatic polarization of a DLPFC pyramid (g_L 25 nS), the order of "
            "the 0.1-0.5 mV that 1 mA tDCS fields cause (Radman et al. 2009 Brain Stimul 2:215)",
            low=0 * pA,
        ),
        "current_interneurons": Parameter(
            3 * pA,
            "chosen: interneurons are polarized less than pyramidal cells (Radman et al. 2009)",
            low=0 * pA,
        ),
        "bdnf_release": Parameter(
            0.035,
            "chosen: activity-independent BDNF that an anodal session adds to the DLPFC cells' "
            "BDNF trace over its clinical length, in units of the basal level; anodal DCS "
            "induces LTP that needs BDNF secretion and TrkB (Fritsch et al. 2010 Neuron 66:198), "
            "and the after-effects of anodal tDCS are NMDA-dependent and outlast the current "
            "(Liebetanz et al. 2002 Brain 125:2238; Nitsche et al. 2003 J Physiol 553:293); "
            "sized for P8 (calibration, seed 1: two daily anodal sessions raise DLPFC density "
            "+1.0% on day 8; 0.05 gives +1.3%, 0 +0.2%); how much BDNF a session releases was "
            "not found measured",
            low=0.0,
            calibrated_to=("P8",),
        ),
        "sessions_per_day": Parameter(
            1.0,
            "one session a day (Brunoni et al. 2013 JAMA Psychiatry 70:383, SELECT-TDCS: 2 mA "
            "for 30 min on 10 consecutive weekdays) [check]; each session and the rest of its "
            "day are epochs of the protocol, so a run holds at most about 30 sessions",
            low=0.01,
            high=24.0,
        ),
        "session_duration": Parameter(
            0.4 * second,
            "chosen: the simulated part of each session, as rTMS's: a real 30 min session lasts "
            "21 ms of a compressed day of 1 s, too short for the network to respond",
            low=1 * ms,
        ),
        "clinical_duration": Parameter(
            30 * MINUTE,
            "the whole session that the simulated part stands for on the slow clock: 2 mA for "
            "30 min (Brunoni et al. 2013 JAMA Psychiatry 70:383, SELECT-TDCS) [check]",
            low=1 * second,
        ),
    },
    choices={"polarity": ("anodal", "cathodal")},
    blocks=_tdcs_blocks,
    regions=lambda s: ("dlpfc",),
)


#: Populations a ``current`` can be injected into.
_POPULATIONS = tuple(circuit_parameters.CELL_TYPES)


def _check_current(s: Settings, given: frozenset[str]) -> None:
    if "population" not in given:
        raise ValueError(f"population: required; choose from {', '.join(_POPULATIONS)}")


CURRENT = Kind(
    name="current",
    summary=(
        "an experimenter's input: a constant current into every cell of one population for the "
        "whole window (a task or sensory drive, as in the sgACC switching protocol)"
    ),
    parameters={
        "current": Parameter(
            100 * pA,
            "chosen: ~4 mV of depolarization of a pyramid with a 25 nS leak; a protocol sets "
            "its own",
        ),
        "fraction": Parameter(
            1.0,
            "share of the population's cells that receive the current, the first of its index "
            "range (a cue to one selective group of cells, as in a delay task); chosen: all",
            low=0.0,
            high=1.0,
        ),
    },
    choices={"population": _POPULATIONS},
    check=_check_current,
    blocks=lambda s, w: [
        Block(
            w.start,
            w.stop,
            (
                Effect(
                    s["population"],
                    "I_stim",
                    s["current"],
                    op="add",
                    cells=(0.0, float(s["fraction"])),
                ),
            ),
        )
    ],
    regions=lambda s: (s["population"].split("_", 1)[0],),
)


def _pas_blocks(s: Settings, w: Window) -> list[Block]:
    pre = (0.0, float(s["pre_fraction"]))
    post = (float(s["pre_fraction"]), 1.0)
    period = 1 / s["pair_rate"]
    effects = (
        # the conditioning volley reaches cortex after its conduction time; the TMS pulse comes
        # `interval` after the peripheral stimulus
        *_train("a", w, period=period, phase=s["afferent_delay"]),
        *_train("b", w, period=period, phase=s["interval"]),
        Effect("dlpfc_exc", "stim_gain_a", s["gain"], cells=pre),
        Effect("dlpfc_exc", "stim_gain_b", s["gain"], cells=post),
    )
    return [Block(w.start, w.stop, effects)]


def _check_pas(s: Settings, given: frozenset[str]) -> None:
    period = 1 / s["pair_rate"]
    for key in ("interval", "afferent_delay"):
        if s[key] >= period:
            raise ValueError(
                f"{key}: {format_quantity(s[key])} is not shorter than the pairs' period "
                f"(1 / pair_rate = {format_quantity(period)})"
            )


PAS = Kind(
    name="pas",
    summary=(
        "paired associative stimulation of DLPFC, a plasticity probe: a peripheral conditioning "
        "stimulus whose afferent volley reaches some pyramidal cells after `afferent_delay`, and "
        "a TMS pulse to the others `interval` after the peripheral stimulus (PAS25: 25 ms, the "
        "volley arriving 5 ms before the pulse)"
    ),
    parameters={
        "interval": Parameter(
            25 * ms,
            "Stefan et al. 2000 Brain 123:572 (PAS25: median nerve stimulation 25 ms before TMS "
            "of the motor cortex potentiates MEPs)",
            low=0 * ms,
        ),
        "afferent_delay": Parameter(
            20 * ms,
            "conduction time of the conditioning volley to cortex, the N20 latency of the "
            "median-nerve SEP (~19-20 ms in adults); Wolters et al. 2003 J Neurophysiol 89:2339 "
            "set PAS intervals from each subject's N20: N20 + 2 ms potentiated, N20 - 5 ms "
            "depressed [check]",
            low=0 * ms,
        ),
        "pair_rate": Parameter(
            2 * Hz,
            "chosen: faster than the 0.05-0.25 Hz of human PAS, to fit the pairs in seconds",
            low=0.01 * Hz,
        ),
        "pre_fraction": Parameter(
            0.25,
            "chosen: share of DLPFC pyramids that carry the conditioning volley",
            low=0.01,
            high=0.99,
        ),
        "gain": Parameter(_PYRAMIDAL_KICK, _GAIN, low=0 * nS),
    },
    # The projection whose weight change is the PAS response (it must carry an STDP rule).
    choices={"projection": ("dlpfc_exc_to_dlpfc_exc",)},
    blocks=_pas_blocks,
    check=_check_pas,
    regions=lambda s: ("dlpfc",),
    stimulates=True,
)


#: The populations an ECT seizure recruits: every cortical and hippocampal population (the
#: raphe is left to its own inputs).
ECT_POPULATIONS = ("*_exc", "dg_granule", "*_inh")


def _ect_blocks(s: Settings, w: Window) -> list[Block]:
    # one session per session period of the slow clock, each a seizure of synchronous volleys
    # at the discharge frequency
    period = 1 / s["discharge_frequency"]
    between, clock_period = _session_period(
        "seizure_duration", s["seizure_duration"], s["sessions_per_week"] / 7, w, period
    )
    train = _train("a", w, period=period, train_on=s["seizure_duration"], train_period=between)
    gains = tuple(
        Effect(population, "stim_gain_a", s["gain_interneurons" if "inh" in population else
                                            "gain_pyramidal"])
        for population in ECT_POPULATIONS
    )  # fmt: skip
    clock = session_clock(
        _session_starts(w, between), s["seizure_duration"], s["clinical_seizure"], clock_period,
        w, "seizure_duration",
    )  # fmt: skip
    return [Block(w.start, w.stop, train + gains), *clock]


ECT = Kind(
    name="ect",
    summary=(
        "electroconvulsive therapy: a course of sessions, each a brief generalized seizure "
        "(synchronous volleys in every cortical and hippocampal population)"
    ),
    parameters={
        "sessions_per_week": Parameter(
            3.0,
            "the usual course: 2-3 sessions a week for 3-4 weeks (UK ECT Review Group 2003 "
            "Lancet 361:799; the trials pooled by Wilkinson et al. 2017) [check]; sessions start "
            "on the volleys' grid (3 a week at 10 Hz: every 2.3 s)",
            low=0.1,
            high=7.0,
        ),
        "seizure_duration": Parameter(
            0.5 * second,
            "chosen: the simulated part of each seizure, which keeps its real volley timing; a "
            "treatment seizure (20-60 s) lasts 0.5 ms of a compressed day of 1 s",
            low=1 * ms,
        ),
        "clinical_seizure": Parameter(
            40 * second,
            "chosen: the seizure that the simulated part stands for on the slow clock, within "
            "the 20-60 s that a treatment seizure lasts on the EEG [check]",
            low=1 * second,
        ),
        "discharge_frequency": Parameter(
            10 * Hz,
            "chosen: the 10-20 Hz polyspikes of the seizure's tonic phase on the ictal EEG, at "
            "their lower end [check]",
            low=0.1 * Hz,
        ),
        "gain_pyramidal": Parameter(_PYRAMIDAL_KICK, _GAIN, low=0 * nS),
        "gain_interneurons": Parameter(_INTERNEURON_KICK, _GAIN, low=0 * nS),
    },
    blocks=_ect_blocks,
    # the hippocampus, whose synapses are ECT's readout (P10), must be built
    regions=lambda s: ("ca1",),
    stimulates=True,
)

KINDS = (RTMS, DBS, TDCS, PAS, ECT, CURRENT)
