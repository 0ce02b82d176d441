#!/usr/bin/env bash
# The patch projection on one dataset, 3 seeds: the paper's defaults (only metric and class weights changed)
# with the reference's shared projection and with the per-patch one (the default), next to `flexmoe baseline`.
# Prints one summary row per run; numbers go to docs/benchmarks.md ("Per-patch projections") with the load.
# Usage: tools/bench/baselines/projection.sh DATASET OUTDIR METRIC CLASS_WEIGHTS EPOCHS [more train flags]
set -euo pipefail
DS=$1; OUT=$2; METRIC=$3; CW=$4; EPOCHS=$5; shift 5
F="node $(dirname "$0")/../../../packages/cli/bin/flexmoe.js"
mkdir -p "$OUT"
uptime
$F baseline --data "$DS" --select-metric "$METRIC" --class-weights "$CW" --json "$OUT/baselines.json"
T="$F train --data $DS --select-metric $METRIC --class-weights $CW --epochs $EPOCHS --seeds 0,1,2 --no-progress $*"
for projection in shared per-patch; do
  $T --patch-projection "$projection" --out "$OUT/$projection" --json "$OUT/$projection.json"
  uptime
done
node -e '
const fs = require("fs"); const out = process.argv[1]; const m = process.argv[2];
const b = JSON.parse(fs.readFileSync(out + "/baselines.json", "utf8")).baselines;
const pct = (x) => (x * 100).toFixed(2);
const ms = (s) => `${pct(s.mean)} ± ${pct(s.std)}`;
const row = (name, t, v) => console.log([name, ms(t.accuracy), ms(t.macroF1), ms(t.auc), v ? ms(v[m]) : "-"].join(" | "));
for (const run of ["shared", "per-patch"]) {
  const r = JSON.parse(fs.readFileSync(`${out}/${run}.json`, "utf8"));
  row(`Flex-MoE, ${run}`, r.test, r.validation);
  console.log(`  kept epochs: ${r.seeds.map((s) => s.bestEpoch).join(", ")}`);
}
row("logistic (all)", b.logistic.test, b.logistic.validation);
for (const [k, v] of Object.entries(b.perModality)) row(`logistic (${k})`, v.test, v.validation);
console.log("best baseline:", b.best);
' "$OUT" "$METRIC"
