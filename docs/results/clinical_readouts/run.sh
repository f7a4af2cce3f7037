#!/usr/bin/env bash
# The runs behind the clinical readouts: healthy, the MDD state and MDD + SSRI, 320 s each
# (a 20 s warmup, then 5 simulated minutes analysed), seeds 1 to 5, on cpp, two at a time.
# Usage: docs/results/clinical_readouts/run.sh OUT_DIR   (~45 min on 2 cores; ~60 MB per store)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
out=${1:?usage: run.sh OUT_DIR}
mkdir -p "$out"
export root out
one() {  # scenario-file seed
    local name; name=$(basename "$1" .toml)
    "$root/.venv/bin/depnet" run "$1" --quiet --out "$out/$name-s$2.zarr" \
        --set scenario.duration="320 s" --set scenario.warmup="20 s" --set scenario.seed="$2" \
        --set record.synapse_dt="10 s" --set record.trace_neurons=0 \
        --set record.serotonin_dt="10 ms" > "$out/$name-s$2.log" 2>&1
}
export -f one
for seed in 1 2 3 4 5; do
    for scenario in "$root/scenarios/healthy_plastic.toml" "$root/scenarios/chronic_stress.toml" \
        "$here/mdd_ssri.toml"; do
        echo "$scenario $seed"
    done
done | xargs -P 2 -L 1 bash -c 'one "$0" "$1"'
