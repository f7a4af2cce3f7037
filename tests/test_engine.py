"""The run engine: one build per network, interventions as data, runs in resumable segments."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

from depnet.analysis import open_run
from depnet.errors import ScenarioError
from depnet.run import (
    Options,
    build_folder,
    completed_segments,
    ensure_build,
    generate_project,
    network_data,
    run_and_store,
    run_identity,
    run_scenario,
    segments,
    unfinished_run,
    work_folder,
    work_lock,
)
from depnet.scenarios import scenario_path
from depnet.spec import load_scenario, parse_scenario, read_scenario_document

#: healthy_plastic and the treatment library that takes its network (README, Interventions).
LIBRARY = [
    "healthy_plastic", "chronic_stress", "ssri_acute", "ssri_chronic", "ketamine",
    "ketamine_rapamycin", "rtms_dlpfc", "dbs_sgacc", "tdcs", "ssri_tdcs", "ketamine_then_ssri",
]  # fmt: skip


@pytest.mark.parametrize("target", ["cpp", "cuda"])
def test_healthy_plastic_and_the_treatment_library_resolve_to_one_build(target):
    specs = [load_scenario(scenario_path(name)) for name in LIBRARY]
    assert sum(bool(s.interventions) for s in specs) == 10
    data = [network_data(spec, target) for spec in specs]
    assert len({d.fingerprint for d in data}) == 1
    assert len({build_folder(d, Options(target)) for d in data}) == 1


def _sources(folder: Path) -> dict[str, str]:
    """Digests of a generated project's source files (code, not data).

    ``main.cu``'s lines are taken in sorted order: Brian2 initialises the clocks in the order of
    a set of objects, which varies from one process to the next; everything else, exactly.
    """
    digests = {}
    for path in folder.rglob("*"):
        if path.suffix in (".cu", ".h", ".cpp") or path.name == "makefile":
            text = path.read_bytes()
            if path.name == "main.cu":
                text = b"\n".join(sorted(text.splitlines()))
            digests[str(path.relative_to(folder))] = hashlib.sha256(text).hexdigest()
    return digests


@pytest.mark.cuda
def test_a_treatment_generates_the_same_cuda_project_as_the_plain_network(tmp_path):
    """ketamine_rapamycin (stress, rapamycin, ketamine) and healthy_plastic: the same sources,
    file for file: interventions never reach the generated code."""
    projects = {}
    for name in ("healthy_plastic", "ketamine_rapamycin"):
        spec = load_scenario(scenario_path(name))
        generate_project(spec, network_data(spec, "cuda"), Options("cuda"), tmp_path / name)
        projects[name] = _sources(tmp_path / name)
    assert len(projects["healthy_plastic"]) > 100
    assert projects["healthy_plastic"] == projects["ketamine_rapamycin"]


#: The raphe-sgACC loop with every learning rule (rand() in the structural update), treated: an
#: SSRI by dose (its drug level a state that crosses segments, then washes out), DBS of sgACC,
#: chronic stress, slower sgACC AMPA decay and a 5-HT1A trait.
TREATED_LOOP = """
extends = "{base}"
[scenario]
name = "treated_loop"
duration = "1.2 s"
warmup = "0.1 s"
[[interventions]]
kind = "ssri"
drug = "escitalopram"
daily_dose = "10 mg"
start = "0.3 s"
stop = "0.9 s"
[[interventions]]
kind = "dbs"
start = "0.5 s"
stop = "0.8 s"
[[interventions]]
kind = "chronic_stress"
start = "0.2 s"
[[interventions]]
kind = "sgacc_glutamate_decay"
severity = "severe"
start = "0.4 s"
[traits]
htr1a_c1019g = "g/g"
"""


def _treated_loop(tmp_path: Path, segment: str | None) -> tuple[Path, object]:
    path = tmp_path / "treated_loop.toml"
    path.write_text(TREATED_LOOP.format(base=scenario_path("raphe_pfc_plastic")))
    settings = {"scenario.segment": segment} if segment else {}
    return path, load_scenario(path, settings)


def _assert_same_run(a, b) -> None:
    """Two stores hold the same run: spikes, traces, [5-HT] and synapses, bit for bit."""
    for pop, node in a["spikes"].children.items():
        for var in ("neuron", "time"):
            np.testing.assert_array_equal(node.dataset[var].values, b[f"spikes/{pop}"][var].values)
    for pop, node in a["traces"].children.items():
        for var, values in node.dataset.data_vars.items():
            np.testing.assert_array_equal(values.values, b[f"traces/{pop}"][var].values)
    for var, values in a["serotonin"].dataset.data_vars.items():
        np.testing.assert_array_equal(values.values, b["serotonin"][var].values)
    for name, node in a["synapses"].children.items():
        for var, values in node.dataset.data_vars.items():
            np.testing.assert_array_equal(values.values, b[f"synapses/{name}"][var].values)


def test_a_run_in_segments_equals_the_run_in_one_piece_bit_for_bit(tmp_path, shared_runs):
    """Each segment continues the last one's state, time, random generators (the structural
    update draws rand()) and spikes in flight: cut into 4, the treated loop runs as in one."""
    _, whole = _treated_loop(tmp_path, None)
    _, cut = _treated_loop(tmp_path, "0.35 s")
    assert len(segments(whole)) == 1 and len(segments(cut)) == 4
    one, four = open_run(shared_runs(whole)), open_run(shared_runs(cut))
    assert one.attrs["run"]["build_dir"] == four.attrs["run"]["build_dir"]
    assert four.attrs["run"]["segments"] == 4
    run = four.attrs["run"]  # what it cost: set-up in Python, the binaries, their loops
    assert run["wall_time_network_data_s"] > 0
    assert run["wall_time_segments_s"] > run["wall_time_loop_s"] > 0
    assert sum(node.dataset.sizes["spike"] for node in one["spikes"].children.values()) > 1000
    occupancy = one["serotonin/occupancy_sert"].sel(region="sgacc")
    at = {t: float(occupancy.sel(time=t, method="nearest")) for t in (0.2, 0.9, 1.19)}
    assert at[0.2] == 0 and at[0.9] > at[1.19] > 0  # dosed, then washing out
    _assert_same_run(one, four)


def test_depnet_run_killed_part_way_resumes_when_run_again(tmp_path, shared_runs):
    """SIGKILL of `depnet run` after some segments, then the same command again: it resumes
    after the last complete segment, and the store equals an uninterrupted run's spike for spike.
    Without --out, the same command finds the unfinished run in runs/ and resumes it."""
    path, spec = _treated_loop(tmp_path, "0.15 s")
    n = len(segments(spec))
    command = [sys.executable, "-m", "depnet", "run", str(path), "--segment", "0.15 s", "--quiet"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    runs = tmp_path / "runs"
    killed = subprocess.Popen(command, cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while not (works := list(runs.glob("*.work"))) or completed_segments(works[0], n) < 2:
        assert killed.poll() is None, f"finished or failed first: {killed.stderr.read()}"
        assert time.monotonic() < deadline, "no segment completed in time"
        time.sleep(0.05)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    (work,) = list(runs.glob("*.work"))
    done = completed_segments(work, n)
    assert 2 <= done < n and not list(runs.glob("*.zarr"))  # no store, only the work folder

    again = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    store = work.with_name(work.name.removesuffix(".work"))
    assert f"resuming after segment {done} of {n}" in again.stderr
    assert f"store: runs/{store.name}" in again.stdout
    resumed = open_run(store)
    assert resumed.attrs["run"]["resumed_from_segment"] == done
    assert not work_folder(store).exists()
    _assert_same_run(open_run(shared_runs(spec)), resumed)


def test_a_changed_scenario_does_not_resume_another_runs_segments(tmp_path):
    path, spec = _treated_loop(tmp_path, "0.4 s")
    store = tmp_path / "x.zarr"
    work_folder(store).mkdir()
    (work_folder(store) / "run.json").write_text('{"scenario": "another"}')
    from depnet.errors import ScenarioError

    with pytest.raises(ScenarioError, match="holds the segments of another run"):
        run_scenario(spec, device="cpp", out=store, progress=False)


def test_another_seed_duration_or_intervention_runs_on_the_same_build(tmp_path):
    """What a scenario's seed, duration and interventions change is data: one fingerprint."""
    doc = read_scenario_document(scenario_path("raphe_pfc"))
    base = network_data(parse_scenario(doc), "cpp")
    for change in ({"seed": 7}, {"duration": "9 s"}):
        other = {**doc, "scenario": {**doc["scenario"], **change}}
        data = network_data(parse_scenario(other), "cpp")
        assert data.fingerprint == base.fingerprint
        assert data.folder != base.folder or "duration" in change  # another seed: other data
    treated = {**doc, "interventions": [{"kind": "ssri", "start": "1 s"}]}
    assert network_data(parse_scenario(treated), "cpp").folder == base.folder


def test_an_unfinished_run_still_going_is_not_resumed_by_a_second_command(tmp_path):
    """The same command twice at once: the second starts a store of its own rather than run
    into the first one's work folder, which is locked while it runs."""
    spec = load_scenario(scenario_path("raphe_pfc"))
    work = tmp_path / "raphe_pfc-cpp-1.zarr.work"
    work.mkdir()
    (work / "run.json").write_text(json.dumps({"run": run_identity(spec, "cpp")}))
    assert unfinished_run(tmp_path, spec, "cpp") == tmp_path / "raphe_pfc-cpp-1.zarr"
    assert unfinished_run(tmp_path, spec, "cuda") is None
    hold = "import fcntl, sys, time; f = open(sys.argv[1], 'a'); fcntl.flock(f, fcntl.LOCK_EX); "
    hold += "print('held', flush=True); time.sleep(60)"
    work_lock(work).parent.mkdir()
    holder = subprocess.Popen(
        [sys.executable, "-c", hold, str(work_lock(work))], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline() == "held\n"
        assert unfinished_run(tmp_path, spec, "cpp") is None
    finally:
        holder.kill()
        holder.wait()
    assert unfinished_run(tmp_path, spec, "cpp") == tmp_path / "raphe_pfc-cpp-1.zarr"


def test_a_run_finished_by_another_process_while_this_one_waited_is_not_run_again(tmp_path):
    """Two commands on one run: the second waits for the work folder's lock; if the first wrote
    the store meanwhile, the second reports it and stops, rather than run the scenario again and
    then fail on (or overwrite) the finished store."""
    settings = {"scenario.duration": "0.5 s", "scenario.warmup": "0.1 s"}
    finished = run_scenario(
        load_scenario(scenario_path("raphe_pfc"), settings), out=tmp_path / "first.zarr",
        progress=False,
    ).store  # fmt: skip
    store = tmp_path / "second.zarr"
    lock = work_lock(work_folder(store))
    lock.parent.mkdir(parents=True, exist_ok=True)
    hold = "import fcntl, sys, time; f = open(sys.argv[1], 'a'); fcntl.flock(f, fcntl.LOCK_EX); "
    hold += "print('held', flush=True); time.sleep(120)"
    holder = subprocess.Popen([sys.executable, "-c", hold, str(lock)], stdout=subprocess.PIPE,
                              text=True)  # fmt: skip
    assert holder.stdout.readline() == "held\n"
    args = [sys.executable, "-m", "depnet", "run", str(scenario_path("raphe_pfc")), "--out",
            str(store), *(f"--set={k}={v}" for k, v in settings.items())]  # fmt: skip
    second = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while "lock" not in Path(f"/proc/{second.pid}/wchan").read_text():
            assert second.poll() is None, second.communicate()
            assert time.monotonic() < deadline, "the second command never waited for the lock"
            time.sleep(0.2)
        shutil.copytree(finished, store)  # the first command's store, written meanwhile
    finally:
        holder.kill()
        holder.wait()
    out, err = second.communicate(timeout=120)
    assert second.returncode == 0, err
    assert "was completed by another process meanwhile" in err
    assert not work_folder(store).exists()
    assert open_run(store).attrs["run"] == open_run(finished).attrs["run"]  # not run again


def test_a_sweep_point_discards_segments_an_older_build_left(tmp_path):
    """A work folder of segments made by another build (depnet upgraded mid-sweep) cannot be
    resumed: ``depnet run`` refuses it in one line (``--restart`` discards it); a sweep task
    (``discard_other``) discards it, says so, and runs the point from the start."""
    spec = load_scenario(
        scenario_path("raphe_pfc"), {"scenario.duration": "0.4 s", "scenario.warmup": "0.1 s"}
    )
    data = network_data(spec, "cpp")
    build = ensure_build(spec, data, Options("cpp"))
    work = tmp_path / "p0000-s1"
    work.mkdir()
    stale = {"run": run_identity(spec, "cpp"), "build": "cpp-older", "segments": []}
    (work / "run.json").write_text(json.dumps(stale))
    with pytest.raises(ScenarioError, match="holds the segments of another run") as err:
        run_and_store(spec, build, data, work, tmp_path / "refused.zarr")
    assert "\n" not in str(err.value)
    said = []
    result = run_and_store(spec, build, data, work, tmp_path / "p.zarr", log=said.append,
                           discard_other=True)  # fmt: skip
    assert any("discarding segments made otherwise" in line for line in said), said
    assert open_run(result.store).attrs["status"] == "complete"


def test_two_cpp_runs_of_one_seed_are_the_same_bit_for_bit(tmp_path, monkeypatch):
    """Without a store, each run's segments go to a temporary folder that goes with it."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    spec = load_scenario(
        scenario_path("raphe_pfc"), {"scenario.duration": "0.5 s", "scenario.warmup": "0 s"}
    )
    first, second = (run_scenario(spec, write=False, progress=False).data for _ in range(2))
    assert list(tmp_path.iterdir()) == []
    assert sum(len(s.time) for s in first.spikes.values()) > 500
    for name, spikes in first.spikes.items():
        np.testing.assert_array_equal(spikes.neuron, second.spikes[name].neuron)
        np.testing.assert_array_equal(spikes.time, second.spikes[name].time)
    for name, traces in first.traces.items():
        for var, values in traces.values.items():
            np.testing.assert_array_equal(values, second.traces[name].values[var])
    other = run_scenario(spec.model_copy(update={"scenario": spec.scenario.model_copy(
        update={"seed": 2})}), write=False, progress=False).data  # fmt: skip
    assert not np.array_equal(other.spikes["drn_5ht"].time, first.spikes["drn_5ht"].time)
