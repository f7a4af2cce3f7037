"""Sweep files are validated like scenarios; the plan groups points by network structure."""

from __future__ import annotations

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
        ('"scenario.duration" = ["1 s"]', "axes.scenario.duration: cannot be swept"),
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
    bad = BASE.replace('segment = "0.2 s"', 'segment = "0.3 s"')
    path = sweep_file(tmp_path, '"serotonin.ssri_occupancy" = [0.0]', bad, "seg.toml")
    with pytest.raises(SweepError, match=r"sweep\.segment: 300\. ms does not divide|sweep.segment"):
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


def _toy(tau_ms: float = 10.0, rate_hz: float = 5.0, n: int = 10):
    """A tiny network: what a parameter change does to it does not depend on the circuits."""
    import brian2 as b2

    from depnet import devices
    from depnet.cluster.network import fingerprint, settable_values

    with devices.activated("runtime"):
        group = b2.NeuronGroup(
            n, "dv/dt = -v / tau : 1\ntau : second (shared, constant)", name="toy"
        )
        group.tau = tau_ms * b2.ms
        drive = b2.PoissonInput(group, "v", N=10, rate=rate_hz * b2.Hz, weight=0.1)
        net = b2.Network(group, drive)
        return fingerprint(net), settable_values(net)


def test_fingerprint_separates_what_is_compiled_in_from_run_args():
    digest, values = _toy()
    same, other_values = _toy(tau_ms=20.0)  # a shared variable: one binary, another run_arg
    assert same == digest and other_values[("toy", "tau")] != values[("toy", "tau")]
    assert _toy(rate_hz=6.0)[0] != digest  # a PoissonInput's rate is folded into its code
    assert _toy(n=11)[0] != digest  # a size
