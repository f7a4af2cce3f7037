"""Build the GPU check's CUDA binaries here (nvcc, no GPU needed), to carry to a GPU node.

A lent GPU node has minutes, and a CUDA build of the whole circuit costs it 45-95 s per scale
(sizes are compiled in: every scale is a full build). This builds them on a CPU machine instead,
for the scales and compute capability of the check, through the run engine (``--compile-only``),
and packs what a run needs of each build: its binary, its manifest and the static arrays that a
run reads from the build (the protocol tables, bytes each). Not packed: sources, object files and
the static arrays that are also in the network data (connectivity, initial values), which the
node makes itself in seconds and which would not fit (~0.8 GB at scale 40). On the node,
``benchmarks/gpu_check.sh`` unpacks the archive into its build root, and the engine finds the
builds by their key (network fingerprint, compute capability, depnet/brian2/brian2cuda versions
and the engine's code: the node's own numpy, xarray, zarr and Python do not matter), so the
benchmark's cuda runs only run. A build the node does not find (another GPU, another version) is
built there as before.

With ``--parity`` it also builds the parity test's raphe-sgACC loop (``tests/test_cuda_parity.py``,
which runs in the same build root on the node).

Writes, in ``--out`` (default ``.gpu-builds``, git-ignored; carry it with ``.whl``):
``builds.tar.xz`` and ``prebuilt.txt`` (per build: scale, build folder, fingerprint, build time,
binary size; the archive's size). ``--root`` keeps the builds (and nvcc's object files) in a
folder of its own, so that a run cut short resumes there; the default is a temporary folder.

Usage::

    nice .venv/bin/python benchmarks/gpu_prebuild.py [--scales 1 15 40] [--parity]
        [--compute-capability 9.0] [--out .gpu-builds] [--root DIR]
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import shutil
import sys
import tarfile
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(1, str(Path(__file__).parents[1]))
from gpu_scaling import _spec  # noqa: E402  (the benchmark's own scenario, so the keys agree)

from depnet import devices  # noqa: E402
from depnet.run import MANIFEST, code_versions, network_data, run_scenario  # noqa: E402
from depnet.spec import Scenario  # noqa: E402

#: Name of the archive in ``--out``.
ARCHIVE = "builds.tar.xz"


def prebuild(spec: Scenario, label: str, cc: float, root: Path) -> dict:
    """Build ``spec`` for cuda in ``root``; what to pack and report."""
    started = time.perf_counter()
    result = run_scenario(
        spec, device="cuda", compile_only=True, compute_capability=cc, root=root, progress=False
    )
    build_s = time.perf_counter() - started
    folder = result.build_dir
    manifest = json.loads((folder / MANIFEST).read_text())
    data = network_data(spec, "cuda", root)
    # A run reads these from the build: the protocol tables (a few values each; their values
    # come per run), not in the network data, so packed.
    own = [
        folder / "static_arrays" / n
        for n in manifest["static_arrays"]
        if n not in data.static_arrays
    ]
    binary = devices.binary_path(folder)
    return {
        "label": label,
        "folder": folder,
        "fingerprint": manifest["fingerprint"],
        "build_s": build_s,
        "binary_mb": binary.stat().st_size / 2**20,
        "files": [binary, folder / MANIFEST, *own],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 15.0, 40.0])
    parser.add_argument(
        "--compute-capability", type=float, default=devices.DEFAULT_COMPUTE_CAPABILITY,
        help="of the GPU the builds are for (default %(default)s: H100/H200)",
    )  # fmt: skip
    parser.add_argument("--parity", action="store_true", help="also the parity test's loop")
    parser.add_argument("--out", type=Path, default=Path(".gpu-builds"))
    parser.add_argument("--root", type=Path, help="build root to keep (default: a temp folder)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    builds = [(_spec(scale, "1 s"), f"scale {scale:g}") for scale in sorted(args.scales)]
    if args.parity:
        from tests.conftest import small_scenario
        from tests.test_cuda_parity import PARITY_RUN

        builds.insert(0, (small_scenario(*PARITY_RUN), "parity loop"))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = args.root.resolve() if args.root else Path(tmp)
        for spec, label in builds:
            print(f"--- cuda build: {label} ...", flush=True)
            rows.append(prebuild(spec, label, args.compute_capability, root))
            print(f"built in {rows[-1]['build_s']:.0f} s", flush=True)
            shutil.rmtree(root / "data", ignore_errors=True)  # GBs at the larger scales
        archive = args.out / ARCHIVE
        partial = archive.with_suffix(".partial")
        with tarfile.open(partial, "w:xz") as tar:
            for row in rows:
                for path in row["files"]:
                    tar.add(path, arcname=str(path.relative_to(root)))
        partial.replace(archive)
    lines = [
        f"gpu_prebuild, {datetime.date.today()} on {platform.node()}: cuda builds of the healthy "
        f"scenario for compute capability {args.compute_capability:g}; keyed by {code_versions()} "
        "and this commit's engine code (a node finds them only with the same)",
        f"{'build':<12}{'build folder':<24}{'fingerprint':<18}{'build s':>8}{'binary MB':>11}",
    ]
    for r in rows:
        lines.append(f"{r['label']:<12}{r['folder'].name:<24}{r['fingerprint']:<18}"
                     f"{r['build_s']:>8.0f}{r['binary_mb']:>11.1f}")  # fmt: skip
    lines.append(f"{ARCHIVE}: {archive.stat().st_size / 2**20:.1f} MiB")
    text = "\n".join(lines) + "\n"
    (args.out / "prebuilt.txt").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
