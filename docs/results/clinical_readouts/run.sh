#!/usr/bin/env bash
# The runs behind the clinical readouts: healthy, the MDD state and MDD + SSRI, 320 s each
# (a 20 s warmup, then 5 simulated minutes analysed), seeds 1 and 2, on cpp, two at a time.
# Usage: docs/results/clinical_readouts/run.sh OUT_DIR   (~20 min on 2 cores; stores ~110 MB each)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
out=${1:?usage: run.sh OUT_DIR}
mkdir -p "$out"
run() {  # scenario seed
    local name; name=$(basename "$1" .toml)
    "$root/.venv/bin/depnet" run "$1" --quiet --out "$out/$name-s$2.zarr" \
        --set scenario.duration="320 s" --set scenario.warmup="20 s" --set scenario.seed="$2" \
        --set record.synapse_dt="10 s" --set record.trace_neurons=0 \
        --set record.serotonin_dt="10 ms" > "$out/$name-s$2.log" 2>&1
}
for seed in 1 2; do
    run "$root/scenarios/healthy_plastic.toml" "$seed" &
    run "$root/scenarios/chronic_stress.toml" "$seed" &
    wait
    run "$here/mdd_ssri.toml" "$seed"
done
