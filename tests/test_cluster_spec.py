"""Sweep files are validated like scenarios; the plan groups points by network structure."""

from __future__ import annotations

import json
import os
import textwrap

import pytest

from depnet.cluster.errors import SweepError
from depnet.cluster.plan import make_plan
from depnet.cluster.submit import describe, submit
from depnet.cluster.sweep_spec import load_sweep
from tests.conftest import ROOT, depnet_cli

BASE = """
[sweep]
name = "spec"
scenario = "raphe_pfc"
seeds = [1, 2]
segment = "0.2 s"

[settings]
"scenario.duration" = "0.4 s"
"scenario.warmup" = "0.1 s"
"scenario.scale" = 0.2
"""


def sweep_file(tmp_path, axes: str, base: str = BASE, name: str = "sweep.toml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(base) + "\n[axes]\n" + textwrap.dedent(axes))
    return path


@pytest.mark.parametrize(
    ("axes", "message"),
    [
        (
            '"serotonin.ssri_occupncy" = [0.1]',
            "axes.serotonin.ssri_occupncy: 0.1: unknown parameter",
        ),
        ('"drn_5ht.g_girk_max" = ["3 mV"]', "axes.drn_5ht.g_girk_max: '3 mV': "),
        ('"serotonin.ssri_occupancy" = [0.5, 2.0]', "axes.serotonin.ssri_occupancy: 2.0: "),
        ('"scenario.segment" = ["1 s"]', "axes.scenario.segment: cannot be swept"),
        ('"interventions.ketamine.dose" = [1]', "has no ketamine intervention"),
        ('"x.y" = { start = 1, stop = 2, num = 1 }', "axes.x.y.num: "),
        ('"a" = { start = 1, stop = 2, num = 3, step = 1 }', "axes.a.step: unknown key"),
    ],
)
def test_a_bad_axis_is_one_line_naming_file_and_key(tmp_path, axes, message):
    path = sweep_file(tmp_path, axes)
    with pytest.raises(SweepError) as err:
        load_sweep(path)
    text = str(err.value)
    assert text.startswith(f"{path}: ") and message in text and "\n" not in text


def test_unknown_table_key_and_bad_segment_are_reported(tmp_path):
    path = sweep_file(tmp_path, '"serotonin.ssri_occupancy" = [0.0]', BASE + "gpu = 1\n")
    with pytest.raises(SweepError, match=r"settings.*|gpu"):
        load_sweep(path)
    bad = BASE.replace('segment = "0.2 s"', 'segment = "0.01 ms"')
    path = sweep_file(tmp_path, '"serotonin.ssri_occupancy" = [0.0]', bad, "seg.toml")
    with pytest.raises(SweepError, match=r"sweep\.segment: 10 us is shorter than the time step"):
        load_sweep(path)
    path = sweep_file(
        tmp_path, '"x" = [1]', BASE.replace("[sweep]", "[sweep]\nqueue = 1"), "k.toml"
    )
    with pytest.raises(SweepError, match=r"k\.toml: sweep\.queue: unknown key"):
        load_sweep(path)


def test_ranges_and_log_ranges_keep_units(tmp_path):
    path = sweep_file(
        tmp_path,
        """
        "drn_5ht.g_girk_max" = { start = "2 nS", stop = "6 nS", num = 3 }
        "serotonin.vmax_sert" = { start = "90 nM/s", stop = "360 nM/s", num = 3, log = true }
        """,
    )
    sweep = load_sweep(path)
    assert sweep.axes["parameters.drn_5ht.g_girk_max"] == ["2 nS", "4 nS", "6 nS"]
    assert sweep.axes["parameters.serotonin.vmax_sert"] == ["90 nM/s", "180 nM/s", "360 nM/s"]
    assert len(sweep.combinations()) == 9


def test_structure_changing_axes_make_groups_and_parameters_do_not(tmp_path):
    path = sweep_file(
        tmp_path,
        """
        "serotonin.ssri_occupancy" = [0.0, 0.8]
        "drn_5ht.I_bias_mean" = ["220 pA", "230 pA"]   # a per-cell array derived from it
        "scenario.scale" = [0.2, 0.3]
        """,
    )
    plan = make_plan(path, tmp_path / "out")
    assert len(plan.points) == 8 * 2
    assert len(plan.groups) == 2  # one per scale; SSRI and tonic drive run on one binary
    for group in plan.groups:
        scales = {plan.combination_values(c)["scenario.scale"] for c in group.combinations}
        assert len(scales) == 1 and len(group.combinations) == 4


def test_dry_run_prints_plan_and_batch_scripts_without_submitting(tmp_path):
    base = BASE + textwrap.dedent(
        """
        [resources]
        gpus = 1
        partition = "gpu"
        account = "lab"
        qos = "normal"
        time = "00:30:00"
        array_throttle = 2
        """
    )
    path = sweep_file(tmp_path, '"serotonin.ssri_occupancy" = [0.0, 0.4, 0.8]', base)
    out = tmp_path / "dry"
    result = submit(path, executor="slurm", out=out, dry_run=True)
    assert not out.exists()
    text = describe(result)
    assert "6 points (3 x 2 seeds), 1 structure groups" in text
    (script,) = [t for n, t in result.scripts.items() if not n.endswith("build.sbatch")]
    for line in ("--array=0-5%2", "--gres=gpu:1", "--partition=gpu", "--account=lab",
                 "--qos=normal", "--time=00:30:00", "--requeue", "%A_%a.out"):  # fmt: skip
        assert line in script
    cli = depnet_cli("sweep", str(path), "--dry-run", "--out", str(out))
    assert cli.returncode == 0 and "#SBATCH --array=0-5%2" in cli.stdout


def test_cli_reports_a_bad_sweep_file_on_one_line_with_status_2(tmp_path):
    path = sweep_file(tmp_path, '"serotonin.nope" = [1]')
    cli = depnet_cli("sweep", str(path), "--dry-run")
    assert cli.returncode == 2
    assert cli.stderr.strip().splitlines() == [
        f"depnet: error: {path}: axes.serotonin.nope: 1: unknown parameter"
    ]
    missing = depnet_cli("status", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and "no such sweep file or folder" in missing.stderr


def test_example_sweep_files_are_valid():
    files = sorted(ROOT.joinpath("sweeps").glob("*.toml"))
    assert files
    for path in files:
        sweep = load_sweep(path)
        assert sweep.combinations()


def test_a_sweep_reads_its_scenario_with_the_file_it_extends(tmp_path):
    """A scenario built on raphe_pfc.toml (``extends``) sweeps like raphe_pfc itself."""
    from depnet.scenarios import scenario_path
    from depnet.spec import load_scenario

    child = tmp_path / "smaller_raphe.toml"
    child.write_text(
        f'extends = "{scenario_path("raphe_pfc")}"\n[scenario]\nname = "smaller_raphe"\n'
        "[regions.drn]\nn_5ht = 60\n"
    )
    path = sweep_file(tmp_path, '"serotonin.ssri_occupancy" = [0.0, 0.5]',
                      BASE.replace('"raphe_pfc"', '"smaller_raphe.toml"'))  # fmt: skip
    spec = load_sweep(path).scenario({}, 1)
    assert spec.name == "smaller_raphe" and spec.regions["drn"]["5ht"] == 60
    assert spec.regions["sgacc"] == load_scenario(scenario_path("raphe_pfc")).regions["sgacc"]


def _ketamine_sweep(tmp_path, axes: str):
    """raphe_pfc_plastic with a ketamine dose (its file has none, the sweep's own file adds it)."""
    scenario = tmp_path / "loop_ketamine.toml"
    scenario.write_text(
        'extends = "' + str(ROOT / "scenarios" / "raphe_pfc_plastic.toml") + '"\n'
        '[scenario]\nname = "loop_ketamine"\n'
        '[[interventions]]\nkind = "ketamine"\nstart = "0.2 s"\n'
        '[traits]\nbdnf_val66met = "val/val"\n'
    )
    base = BASE.replace('"raphe_pfc"', '"loop_ketamine.toml"')
    # the loop's pools of potential synapses need at least 160 sources: scale 0.5
    return sweep_file(
        tmp_path, axes, base.replace('"scenario.scale" = 0.2', '"scenario.scale" = 0.5')
    )


def test_axes_may_name_intervention_settings_times_and_traits(tmp_path):
    """A ketamine dose x onset grid with a BDNF genotype: one network, one build, data only."""
    path = _ketamine_sweep(
        tmp_path,
        """
        "interventions.ketamine.block_interneurons" = [0.3, 0.6]
        "interventions.0.start" = ["0.1 s", "0.2 s"]
        "traits.bdnf_val66met" = ["val/val", "met/met"]
        """,
    )
    sweep = load_sweep(path)
    spec = sweep.scenario(
        {"interventions.ketamine.block_interneurons": 0.3, "interventions.0.start": "0.1 s",
         "traits.bdnf_val66met": "met/met"}, 1,
    )  # fmt: skip
    (ketamine,) = spec.interventions
    assert ketamine.settings["block_interneurons"] == 0.3 and float(ketamine.start) == 0.1
    assert spec.to_dict()["traits"] == {"bdnf_val66met": "met/met"}
    plan = make_plan(path, tmp_path / "out")
    assert len(plan.points) == 16 and len(plan.groups) == 1


@pytest.mark.parametrize(
    ("axes", "message"),
    [
        ('"interventions.ketamine.dose" = [0.5]',
         "axes.interventions.ketamine.dose: 0.5: unknown setting of ketamine (known: "),
        ('"interventions.ketamine.start" = ["0.2"]', "axes.interventions.ketamine.start: '0.2': "),
        ('"interventions.ketamine.start" = ["5 mV"]', "axes.interventions.ketamine.start: "),
        ('"interventions.3.start" = ["0.1 s"]', "has 1 intervention(s), no 3"),
        ('"traits.bdnf_val66met" = ["met"]', "axes.traits.bdnf_val66met: 'met': "),
    ],
)  # fmt: skip
def test_a_bad_intervention_axis_is_one_line_with_status_2(tmp_path, axes, message):
    path = _ketamine_sweep(tmp_path, axes)
    cli = depnet_cli("sweep", str(path), "--dry-run", "--out", str(tmp_path / "out"))
    assert cli.returncode == 2
    (line,) = cli.stderr.strip().splitlines()
    assert line.startswith(f"depnet: error: {path}: ") and message in line, line
    assert not (tmp_path / "out").exists()  # nothing submitted


def test_a_protocol_beyond_the_epoch_table_is_one_line_with_status_2(tmp_path):
    """An axis that puts a window off the 1 ms protocol grid, and a scenario whose windows cut
    the run into more epochs than a build's tables hold: one line, exit status 2, nothing run."""
    off_grid = _ketamine_sweep(tmp_path, '"interventions.ketamine.start" = ["0.2005 s"]')
    cli = depnet_cli("sweep", str(off_grid), "--dry-run")
    assert cli.returncode == 2
    (line,) = cli.stderr.strip().splitlines()
    assert "axes.interventions.ketamine.start: '0.2005 s': " in line
    assert "not a whole number of the protocol step (1 ms)" in line

    windows = "".join(
        f'[[interventions]]\nkind = "ssri"\nstart = "{k / 100:.2f} s"\n'
        f'stop = "{k / 100 + 0.005:.3f} s"\n'
        for k in range(1, 36)
    )
    (tmp_path / "pulsed.toml").write_text(
        f'extends = "{ROOT / "scenarios" / "raphe_pfc.toml"}"\n[scenario]\nname = "pulsed"\n'
        + windows
    )
    base = BASE.replace('"raphe_pfc"', '"pulsed.toml"')
    path = sweep_file(tmp_path, '"serotonin.vmax_sert" = ["180 nM/s"]', base, "pulsed.sweep.toml")
    cli = depnet_cli("sweep", str(path), "--dry-run", "--out", str(tmp_path / "out"))
    assert cli.returncode == 2
    (line,) = cli.stderr.strip().splitlines()
    assert "71 epochs; a build holds at most 64 (depnet.circuits.protocol.MAX_EPOCHS)" in line
    assert not (tmp_path / "out").exists()


def test_the_build_job_and_the_gpu_tasks_agree_on_the_compute_capability(tmp_path, monkeypatch):
    """The build job runs on a CPU node, the tasks on GPU nodes: both key the build by the
    sweep's ``compute_capability`` (default 9.0), whatever GPU answers where they run."""
    from depnet import devices

    base = BASE.replace('segment = "0.2 s"', 'segment = "0.2 s"\ndevice = "cuda"')
    axis = '"serotonin.ssri_occupancy" = [0.4]'
    plan = make_plan(sweep_file(tmp_path, axis, base), tmp_path / "a")
    monkeypatch.setattr(devices, "detect_compute_capabilities", lambda: [])  # the CPU build node
    on_build_node = plan.options.key()
    monkeypatch.setattr(devices, "detect_compute_capabilities", lambda: [10.0])  # a B200 node
    assert plan.options.key() == on_build_node
    assert plan.options.compute_capability == devices.DEFAULT_COMPUTE_CAPABILITY
    a100 = base + "\n[resources]\ncompute_capability = 8.0\n"
    plan = make_plan(sweep_file(tmp_path, axis, a100, "a100.toml"), tmp_path / "b")
    assert plan.options.compute_capability == 8.0


def test_an_unreadable_queue_submits_nothing_rather_than_twice(tmp_path, monkeypatch):
    """A point queued by an earlier submission looks missing when squeue fails; submitting then
    could run it twice: the submission stops with one line instead, and sbatch is never called.
    ``depnet status`` still answers from the files."""
    from depnet.cluster.errors import SubmitError
    from depnet.cluster.submit import point_states

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "squeue").write_text("#!/bin/sh\necho 'error: slurm_load_jobs' >&2; exit 1\n")
    (bin_dir / "sbatch").write_text(f"#!/bin/sh\ntouch {tmp_path}/sbatch-called\necho 1\n")
    for tool in bin_dir.iterdir():
        tool.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    path = sweep_file(tmp_path, '"serotonin.ssri_occupancy" = [0.4]')
    plan = make_plan(path, tmp_path / "out")
    plan.save()
    ids = [p.id for p in plan.points]
    record = {"executor": "slurm", "points": ids, "array_job": "7", "build_job": "6", "tag": "t"}
    (plan.root / "submissions.json").write_text(json.dumps([record]))
    with pytest.raises(SubmitError, match="slurm_load_jobs; nothing submitted") as err:
        submit(path, executor="slurm", out=tmp_path / "out")
    assert "\n" not in str(err.value)
    assert not (tmp_path / "sbatch-called").exists()
    assert set(point_states(plan).values()) == {"missing"}


def test_the_shipped_ketamine_dose_sweep_is_one_build_with_the_dose_as_its_axis(tmp_path):
    """sweeps/ketamine_dose.toml: five doses (0 is no drug) x five seeds share one network, and
    every point's ketamine is given by its dose."""
    path = ROOT / "sweeps" / "ketamine_dose.toml"
    sweep = load_sweep(path)
    plan = make_plan(path, tmp_path / "out")
    assert len(plan.points) == 25 and len(plan.groups) == 1
    ketamine = sweep.scenario({"interventions.ketamine.dose_mg_per_kg": 0.5}, 1).interventions[-1]
    assert ketamine.settings["given_by"] == "dose_mg_per_kg"
    assert ketamine.settings["dose_mg_per_kg"] == 0.5
