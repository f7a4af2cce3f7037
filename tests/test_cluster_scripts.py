"""What a sweep file puts into batch scripts is data: no value but ``setup`` can become shell.

Every value that reaches a generated script is checked when the sweep file is read (a one-line
error naming the key, exit status 2, nothing submitted) or written so that each script line is
what it should be: checked here by parsing the scripts, by running them with bash, and on the real
single-node Slurm of the tests.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import textwrap
from pathlib import Path

import pytest

from depnet.cluster.errors import SweepError
from depnet.cluster.submit import submit
from tests.conftest import depnet_cli
from tests.slurm_fixture import slurm_cluster  # noqa: F401  (session fixture)
from tests.test_cluster_slurm import wait_until_settled

#: Hostile values: control characters, quotes, command substitution, separators, very long
#: values, unicode, blanks and Slurm's file-name pattern. ``{canary}`` becomes a file that no
#: script may create.
HOSTILE = [
    "a\nb", "a\rb", "x\x00y", "x\x1by", 'a"b', "a'b", "a\\b", "$(touch {canary})",
    "`touch {canary}`", "a; touch {canary}", "a && touch {canary} #", "ünï-µ-名", "x" * 3000,
    "a b", "%j", "--wrap=touch {canary}", "",
]  # fmt: skip
#: Fields that reach a script, by table; each gets every hostile value in turn.
FIELDS = {
    "resources": ["partition", "account", "qos", "gpu_type", "build_partition", "mem", "time",
                  "build_time", "python", "extra_sbatch"],
    "sweep": ["out", "build_root", "name"],
}  # fmt: skip
#: A directive line as depnet writes it: an option, or an option and a value (quoted if blank).
DIRECTIVE = re.compile(r'#SBATCH --[a-z][a-z0-9-]*(=("[^"\n]*"|[^\s"]+))?')


def _sweep(tmp_path: Path, table: str, key: str, value) -> Path:
    """A sweep file (raphe_pfc, tiny) with ``[table] key = value`` (TOML-escaped)."""
    sweep = {"name": '"scripts"', "scenario": '"raphe_pfc"', "seeds": "[1]"}
    resources = {"gpus": "1", "gpu_type": '"a100"', "python": f'"{tmp_path / "stub"}"'}
    target = sweep if table == "sweep" else resources
    target[key] = f"[{_toml(value)}]" if key == "extra_sbatch" else _toml(value)
    path = tmp_path / "sweep.toml"
    path.write_text(
        "[sweep]\n" + "".join(f"{k} = {v}\n" for k, v in sweep.items())
        + '[settings]\n"scenario.duration" = "0.1 s"\n"scenario.warmup" = "0 s"\n'
        + '"scenario.scale" = 0.2\n[axes]\n"serotonin.ssri_occupancy" = [0.0]\n'
        + "[resources]\n" + "".join(f"{k} = {v}\n" for k, v in resources.items())
    )  # fmt: skip
    return path


def _toml(value: str) -> str:
    escaped = "".join(
        f"\\u{ord(c):04x}" if ord(c) < 0x20 or c in '"\\' or ord(c) == 0x7F else c for c in value
    )
    return f'"{escaped}"'


def _check_script(text: str, setup: tuple[str, ...] = ()) -> list[str]:
    """Every line of a generated script is what it should be; returns the exec line's words."""
    lines = text.split("\n")
    assert lines[0] == "#!/bin/bash" and lines[-1] == ""
    body = lines[1:-1]
    header = [line for line in body if line.startswith("#")]
    for line in header:
        assert DIRECTIVE.fullmatch(line), repr(line)
    rest = body[len(header) :]
    assert rest[0] == "" and rest[1] == "set -eo pipefail", rest
    assert tuple(rest[2 : 2 + len(setup)]) == setup
    assert re.fullmatch(r"export OMP_NUM_THREADS=\d+", rest[2 + len(setup)])
    (exec_line,) = rest[3 + len(setup) :]
    assert exec_line.startswith("exec ")
    return shlex.split(exec_line.replace('"$SLURM_ARRAY_TASK_ID"', "0"))[1:]


@pytest.mark.parametrize("table,key", [(t, k) for t, keys in FIELDS.items() for k in keys])
def test_hostile_values_are_refused_or_stay_inert_in_the_scripts(tmp_path, table, key):
    """Each hostile value in each field is refused in one line naming its key, or gives scripts
    whose every line parses as it should and that, run by bash, run the worker with exactly the
    expected arguments and nothing else (the canary file is never made)."""
    canary = tmp_path / "canary"
    stub = tmp_path / "stub"
    calls = tmp_path / "calls"
    stub.write_text(f'#!/bin/bash\nprintf "%s\\n" "$@" >> "{calls}"\n')
    stub.chmod(0o755)
    refused = accepted = 0
    for raw in HOSTILE:
        value = raw.replace("{canary}", str(canary))
        if key in ("out", "build_root") and not value.startswith("/"):
            value = str(tmp_path / "folders" / value) if value else value
        path = _sweep(tmp_path, table, key, value)
        try:
            result = submit(path, executor="slurm", out=None, dry_run=True)
        except SweepError as err:
            message = str(err)
            assert "\n" not in message and "\r" not in message
            assert message.startswith(f"{path}: ") and key in message, message
            refused += 1
            continue
        accepted += 1
        for name, text in result.scripts.items():
            words = _check_script(text)
            assert "depnet.cluster.worker" in words, (name, words)
            script = tmp_path / "script.sh"
            script.write_text(text)
            calls.unlink(missing_ok=True)
            env = {"PATH": os.environ["PATH"], "SLURM_ARRAY_TASK_ID": "0"}
            subprocess.run(["bash", str(script)], cwd=tmp_path, env=env, capture_output=True,
                           timeout=30)  # fmt: skip
            if calls.exists():  # the worker's interpreter ran: with exactly its arguments
                assert calls.read_text().split("\n")[:-1] == words[1:]
        assert not canary.exists(), (key, value)
    assert refused >= 5, (key, refused)  # control characters and quotes at least
    assert accepted + refused == len(HOSTILE)


def test_setup_is_shell_by_design_and_the_dry_run_shows_it(tmp_path):
    path = tmp_path / "setup.toml"
    path.write_text(
        textwrap.dedent(
            """
            [sweep]
            name = "setup"
            scenario = "raphe_pfc"
            [axes]
            "serotonin.ssri_occupancy" = [0.0]
            [resources]
            setup = ["module load cuda/12.4", "source $HOME/venv/bin/activate"]
            """
        )
    )
    cli = depnet_cli("sweep", str(path), "--dry-run", "--out", str(tmp_path / "out"))
    assert cli.returncode == 0, cli.stderr
    assert "module load cuda/12.4\nsource $HOME/venv/bin/activate\nexport" in cli.stdout


def test_a_sweep_whose_out_has_blanks_and_shell_characters_runs_on_slurm(slurm_cluster, tmp_path):  # noqa: F811
    """On the real single-node Slurm: an ``out`` with blanks, ``$(...)``, backticks and ``;`` is
    a folder name like any other: the sweep runs to completion there, and nothing runs."""
    canary = tmp_path / "canary"
    out = tmp_path / f"my runs $(touch {canary}) `touch {canary}`; touch {canary}"
    sweep = tmp_path / "blanks.toml"
    sweep.write_text(
        textwrap.dedent(
            f"""
            [sweep]
            name = "blanks"
            scenario = "raphe_pfc"
            seeds = [1]
            out = {_toml(str(out))}

            [settings]
            "scenario.duration" = "0.1 s"
            "scenario.warmup" = "0 s"
            "scenario.scale" = 0.2

            [axes]
            "serotonin.ssri_occupancy" = [0.0, 0.8]

            [resources]
            time = "00:10:00"
            mem = "1G"
            """
        )
    )
    result = submit(sweep, executor="slurm")
    assert result.plan.out == str(out)
    states = wait_until_settled(result.plan)
    assert set(states.values()) == {"done"}, states
    assert len(list((out / "points").glob("*.zarr"))) == 2
    assert not canary.exists()
