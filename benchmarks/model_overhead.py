"""Cost of the model itself: the default scenario against a CUBA network of the same size and rate.

The reference is the current-based network of Vogels & Abbott (2005), benchmark 2 ("CUBA") of
Brette et al. (2007, J Comput Neurosci 23:349): leaky integrate-and-fire cells (tau_m 20 ms,
V_rest -49 mV, threshold -50 mV, reset -60 mV, refractory 5 ms), 80% excitatory, exponential
synaptic currents (5 ms, 10 ms) that jump by a fixed voltage per spike, no delays, no external
input. It is given the scenario's neuron count (every spiking unit, the septal Poisson drive
included), exactly its synapse count (all Synapses objects, drawn uniformly at random), its
``dt``, and a spike monitor on every cell. Its weights are those of Brian2's CUBA example (4000
cells, 2% connectivity: 80 inputs per cell) scaled by 80 / in-degree, so every cell receives the
reference's total input; a constant drive added to the membrane equation is then tuned by
bisection so that its mean rate matches the scenario's (one binary, the drive passed through
``run_args``: no recompilation).

Both networks are C++ standalone (single-threaded) in this one process: the scenario runs as
``depnet run`` runs it, through the run engine (:func:`depnet.run.run_scenario`, with its
scenario's monitors: every spike, its voltage traces and [5-HT]); CUBA is Brian2's own build of
its network (compiled once, its binary run directly). Both then run alternately, best of
``--repeats``; what is compared is the simulation loop's wall time as each binary measures it
(Brian2's timer: the model run's ``wall_time_loop_s``, CUBA's ``results/last_run_info.txt``), not
what each does around it. The ratio model / CUBA is what the model's equations, per-synapse
delays, Poisson background and serotonin system cost above the leanest network with the same
neurons, synapses and spikes. Synaptic events (spikes x out-degree, summed) are printed for both:
equal mean rates need not mean equal synaptic traffic when the fast-firing cells differ in
out-degree. The model's synapses and out-degrees are read from its network built once more on
the runtime device (not run): connectivity is drawn on the host from the seed.

Usage::

    .venv/bin/python benchmarks/model_overhead.py [--scenario healthy] [--duration "2 s"]
        [--repeats 2] [--tolerance 0.05] [--profile]

``--profile`` also builds the scenario with Brian2's profiling and prints where its time goes
(the top code objects of ``profiling_summary``; a separate build, not part of the ratio, of the
circuit with its base protocol: the scenario's interventions and traits are not applied).
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import brian2 as b2
import numpy as np
from brian2 import ms, mV

from depnet import devices
from depnet.run import build_network, run_scenario
from depnet.rundata import RunData
from depnet.scenarios import scenario_path
from depnet.spec import Scenario, load_scenario

# Vogels & Abbott (2005) as in Brette et al. (2007), benchmark 2, with the synaptic weights of
# Brian2's CUBA example (voltage jumps per spike).
TAU_M = 20 * ms
TAU_E = 5 * ms
TAU_I = 10 * ms
V_REST = -49 * mV
V_THRESHOLD = -50 * mV
V_RESET = -60 * mV
REFRACTORY = 5 * ms
EXC_FRACTION = 0.8
W_EXC = 60 * 0.27 / 10 * mV
W_INH = -20 * 4.5 / 10 * mV
#: In-degree for which the weights above were chosen (4000 cells, 2% connectivity).
REFERENCE_IN_DEGREE = 80
CUBA_GROUP = "cuba"


@dataclass
class Stats:
    """Size and activity of one network's run."""

    neurons: int
    synapses: int
    spikes: int
    events: int  # synaptic events: every spike times its source's out-degree
    duration_s: float

    @property
    def rate(self) -> float:
        return self.spikes / (self.neurons * self.duration_s)


def _scenario_file(name: str) -> Path:
    """A shipped scenario by name, or a scenario file by path."""
    path = Path(name)
    return path if path.suffix == ".toml" else scenario_path(name)


def _out_degree(synapses: list[b2.Synapses]) -> dict[str, np.ndarray]:
    """Synapses per presynaptic cell, by source NeuronGroup, summed over ``synapses``."""
    degrees: dict[str, np.ndarray] = {}
    for syn in synapses:
        n = len(syn.source)
        degree = degrees.setdefault(syn.source.name, np.zeros(n, dtype=np.int64))
        degree += np.bincount(np.asarray(syn.i[:]), minlength=n)
    return degrees


def _stats(
    out_degree: dict[str, np.ndarray], counts: dict[str, np.ndarray], duration_s: float
) -> Stats:
    """Neurons, synapses, spikes and synaptic events from per-cell spike counts by group."""
    events = 0
    for group, degree in out_degree.items():
        source = counts.get(group)
        if source is not None:  # a source without a spike monitor sends no spikes here
            events += int(degree @ source)
    return Stats(
        neurons=sum(len(c) for c in counts.values()),
        synapses=int(sum(d.sum() for d in out_degree.values())),
        spikes=int(sum(c.sum() for c in counts.values())),
        events=events,
        duration_s=duration_s,
    )


@dataclass
class ModelNetwork:
    """The scenario's network as its stats are read from a run's data."""

    out_degree: dict[str, np.ndarray]
    #: NeuronGroup -> cells.
    groups: dict[str, int]
    #: Population or drive -> (NeuronGroup, first row, last row + 1).
    placements: dict[str, tuple[str, int, int]]


def model_network(spec: Scenario) -> ModelNetwork:
    """The scenario's network built on the runtime device, not run: its out-degrees and layout
    (the engine keeps no Brian2 objects to read them from)."""
    with devices.activated("runtime"):
        circuit, _, net = build_network(spec)
        synapses = [obj for obj in net.objects if isinstance(obj, b2.Synapses)]
        layout = circuit.layout
        return ModelNetwork(_out_degree(synapses), dict(layout.groups), dict(layout.placements))


def _counts(data: RunData, network: ModelNetwork) -> dict[str, np.ndarray]:
    """Spikes per cell of every NeuronGroup, from a run's spikes by population."""
    counts = {group: np.zeros(n, dtype=np.int64) for group, n in network.groups.items()}
    for name, (group, first, last) in network.placements.items():
        counts[group][first:last] += np.bincount(
            np.asarray(data.spikes[name].neuron), minlength=last - first
        )
    return counts


def run_model(spec: Scenario, network: ModelNetwork, root: Path, out: Path) -> tuple[Stats, float]:
    """Build (in the cache ``root``) and run the scenario on cpp, as ``depnet run`` does; its
    stats and the seconds before the run (network data, code generation, compilation)."""
    started = time.perf_counter()
    result = run_scenario(spec, device="cpp", out=out, root=root, write=False, progress=False)
    build_s = time.perf_counter() - started - result.timings.run_s
    counts = _counts(result.data, network)
    stats = _stats(network.out_degree, counts, float(spec.scenario.duration / b2.second))
    return stats, build_s


def model_loop(spec: Scenario, root: Path, out: Path) -> float:
    """Wall seconds of the model's simulation loop in one run on its cached build."""
    result = run_scenario(spec, device="cpp", out=out, root=root, write=False, progress=False)
    return result.info["wall_time_loop_s"]


def _cuba_network(n: int, n_synapses: int, seed: int) -> tuple[b2.Network, b2.NeuronGroup]:
    """The CUBA network with ``n`` cells and exactly ``n_synapses`` synapses (host-drawn)."""
    rng = np.random.default_rng(seed)
    n_exc = int(round(EXC_FRACTION * n))
    scale = REFERENCE_IN_DEGREE / (n_synapses / n)
    namespace = {
        "tau_m": TAU_M, "tau_e": TAU_E, "tau_i": TAU_I, "V_rest": V_REST,
        "V_threshold": V_THRESHOLD, "V_reset": V_RESET,
        "w_exc": W_EXC * scale, "w_inh": W_INH * scale,
    }  # fmt: skip
    # v_drive is a shared variable (not a folded constant) so that the calibration can set it
    # through run_args on one compiled binary.
    group = b2.NeuronGroup(
        n,
        """
        dv/dt = (v_drive - (v - V_rest) + ge + gi) / tau_m : volt (unless refractory)
        dge/dt = -ge / tau_e : volt
        dgi/dt = -gi / tau_i : volt
        v_drive : volt (shared)
        """,
        threshold="v > V_threshold", reset="v = V_reset", refractory=REFRACTORY,
        method="exact", namespace=namespace, name=CUBA_GROUP,
    )  # fmt: skip
    group.v = (float(V_RESET) + rng.random(n) * float(V_THRESHOLD - V_RESET)) * b2.volt
    pre = rng.integers(0, n, n_synapses)
    post = rng.integers(0, n, n_synapses)
    exc = pre < n_exc
    to_e = b2.Synapses(group, group, on_pre="ge += w_exc", namespace=namespace, name="cuba_exc")
    to_e.connect(i=pre[exc], j=post[exc])
    to_i = b2.Synapses(group, group, on_pre="gi += w_inh", namespace=namespace, name="cuba_inh")
    to_i.connect(i=pre[~exc], j=post[~exc])
    monitor = b2.SpikeMonitor(group, name="cuba_spikes")
    return b2.Network(group, to_e, to_i, monitor), group


def run_cuba(
    model: Stats, spec: Scenario, build_dir: Path, tolerance: float
) -> tuple[Stats, float, int, float]:
    """Build the CUBA network and tune its drive to the model's mean rate.

    Returns its stats at the chosen drive, the drive in volts, the calibration runs made and the
    build seconds.
    """
    with devices.activated("cpp", build_dir):
        b2.defaultclock.dt = spec.scenario.dt
        b2.seed(spec.scenario.seed)
        net, group = _cuba_network(model.neurons, model.synapses, spec.scenario.seed)
        duration = spec.scenario.duration
        device = b2.get_device()
        started = time.perf_counter()
        net.run(duration)
        device.build(directory=str(build_dir), compile=True, run=False)
        build_s = time.perf_counter() - started
        monitor = net["cuba_spikes"]
        synapses = [net["cuba_exc"], net["cuba_inh"]]
        runs: dict[float, float] = {}  # drive (mV) -> mean rate (Hz), in the order run

        def rate(drive_mv: float) -> float:
            device.run(
                directory=str(build_dir), with_output=False,
                run_args={group.v_drive: drive_mv * mV},
            )  # fmt: skip
            runs[drive_mv] = len(monitor.i[:]) / (model.neurons * float(duration / b2.second))
            print(f"CUBA drive {drive_mv:+.3f} mV: {runs[drive_mv]:.2f} Hz", file=sys.stderr)
            return runs[drive_mv]

        # Bracket the model's rate in steps of 2 mV of drive, then bisect (the rate grows with
        # the drive).
        target = model.rate
        step = 2.0 if rate(0.0) < target else -2.0
        edge = 0.0
        while (runs[edge] < target) == (step > 0) and abs(edge) < 30:
            edge += step
            rate(edge)
        low, high = sorted((edge - step, edge))
        for _ in range(20):
            best = min(runs, key=lambda d: abs(runs[d] / target - 1))
            if abs(runs[best] / target - 1) <= tolerance:
                break
            middle = (low + high) / 2
            if rate(middle) < target:
                low = middle
            else:
                high = middle
        best = min(runs, key=lambda d: abs(runs[d] / target - 1))
        if best != list(runs)[-1]:
            rate(best)  # leave the chosen run's results for the counts below
        counts = {CUBA_GROUP: np.asarray(monitor.count[:])}
        stats = _stats(_out_degree(synapses), counts, float(duration / b2.second))
        return stats, float(best * mV), len(runs), build_s


def cuba_loop(build_dir: Path, args: list[str]) -> float:
    """Wall seconds of the CUBA binary's simulation loop in one run (Brian2's timer)."""
    subprocess.run(
        [str(devices.binary_path(build_dir)), *args], cwd=build_dir, check=True,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    # "<loop seconds> <completed fraction>" of the network's (one) run
    return float((build_dir / "results" / "last_run_info.txt").read_text().split()[0])


def profile_model(spec: Scenario, build_dir: Path, show: int) -> str:
    """Brian2's profiling summary of the scenario on cpp (its own build)."""
    with devices.activated("cpp", build_dir):
        _, _, net = build_network(spec)
        net.run(spec.scenario.duration, profile=True)
        b2.get_device().build(directory=str(build_dir), compile=True, run=True, with_output=False)
        return repr(b2.profiling_summary(net, show=show))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="healthy", help="shipped name or TOML file")
    parser.add_argument("--duration", default="2 s", help="simulated time per run")
    parser.add_argument("--repeats", type=int, default=2, help="timed runs per network (best)")
    parser.add_argument("--tolerance", type=float, default=0.05,
                        help="relative rate mismatch at which the calibration stops")  # fmt: skip
    parser.add_argument("--profile", action="store_true", help="also profile the model")
    parser.add_argument("--show", type=int, default=12, help="profile entries to print")
    args = parser.parse_args()

    spec = load_scenario(
        _scenario_file(args.scenario),
        {"scenario.duration": args.duration, "scenario.warmup": "0 s"},
    )
    simulated = float(spec.scenario.duration / b2.second)
    with tempfile.TemporaryDirectory(prefix="depnet-bench-") as tmp:
        root, cuba_dir = Path(tmp) / "build", Path(tmp) / "cuba"
        network = model_network(spec)
        model, model_build = run_model(spec, network, root, Path(tmp) / "model-0.zarr")
        cuba, drive, calibration_runs, cuba_build = run_cuba(model, spec, cuba_dir, args.tolerance)
        cuba_args = [f"{CUBA_GROUP}.v_drive={drive!r}"]
        loops: dict[str, list[float]] = {"model": [], "cuba": []}
        for k in range(args.repeats):  # alternate, so that load from others hits both alike
            # a fresh store path each time: the engine would resume a finished run's work folder
            loops["model"].append(model_loop(spec, root, Path(tmp) / f"model-{k + 1}.zarr"))
            loops["cuba"].append(cuba_loop(cuba_dir, cuba_args))
        profile = None
        if args.profile:
            profile = profile_model(spec, Path(tmp) / "profile", args.show)

    per_s = {name: min(w) / simulated for name, w in loops.items()}
    print(
        f"measured {datetime.date.today()} on {platform.node()}: "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, python "
        f"{platform.python_version()}, brian2 {b2.__version__}, cpp single-threaded"
    )
    print(
        f"{spec.name} scenario vs CUBA (Brette et al. 2007 benchmark 2), {simulated:g} s "
        f"simulated, dt {spec.scenario.dt / ms:g} ms; simulation loops timed by the binaries, "
        f"best of {args.repeats}"
    )
    print(
        f"{'network':<9}{'neurons':>9}{'synapses':>11}{'rate Hz':>9}{'events / sim s':>16}"
        f"{'loop s / sim s':>16}{'build s':>9}"
    )
    for name, stats, build in (("model", model, model_build), ("cuba", cuba, cuba_build)):
        print(
            f"{name:<9}{stats.neurons:>9d}{stats.synapses:>11d}{stats.rate:>9.2f}"
            f"{stats.events / simulated:>16.3g}{per_s[name]:>16.3f}{build:>9.1f}"
        )
    print(
        f"model / CUBA loop time per simulated second: {per_s['model'] / per_s['cuba']:.2f}x "
        f"(rates {model.rate:.2f} / {cuba.rate:.2f} Hz; synaptic events "
        f"{model.events / max(cuba.events, 1):.2f}x)"
    )
    weight_scale = REFERENCE_IN_DEGREE * cuba.neurons / cuba.synapses
    print(
        f"CUBA drive {drive / b2.mV:+.2f} mV, weights x{weight_scale:.3f} of the 80-input "
        f"reference, found in {calibration_runs} calibration runs"
    )
    if profile is not None:
        print(f"\n{spec.name} on cpp with Brian2 profiling (separate build, {simulated:g} s):")
        print(profile)


if __name__ == "__main__":
    main()
