#!/usr/bin/env bash
# Flex-MoE vs the logistic baselines on one dataset, 3 seeds: the paper's defaults (only metric and class
# weights changed; the patch projection is train's default, per patch since 2026-12-07 — projection.sh compares
# the two), the small-data settings of docs/training.md, and `flexmoe baseline`. Prints one JSON
# summary line per run; numbers go to docs/benchmarks.md with the load (uptime) of the machine.
# Usage: tools/bench/baselines/run.sh DATASET OUTDIR METRIC CLASS_WEIGHTS EPOCHS
set -euo pipefail
DS=$1; OUT=$2; METRIC=$3; CW=$4; EPOCHS=$5
F="node $(dirname "$0")/../../../packages/cli/bin/flexmoe.js"
mkdir -p "$OUT"
uptime
$F baseline --data "$DS" --select-metric "$METRIC" --class-weights "$CW" --json "$OUT/baselines.json"
T="$F train --data $DS --select-metric $METRIC --class-weights $CW --epochs $EPOCHS --seeds 0,1,2 --no-progress"
$T --out "$OUT/paper" --json "$OUT/paper.json"
uptime
$T --out "$OUT/small" --json "$OUT/small.json" --hidden 64 --dropout 0.3 --lr 1e-3 --weight-decay 0.01 \
  --lr-schedule cosine --lr-warmup 1 --patience 5 --baselines
uptime
node -e '
const fs = require("fs"); const out = process.argv[1]; const m = process.argv[2];
const b = JSON.parse(fs.readFileSync(out + "/baselines.json", "utf8")).baselines;
const pct = (x) => (x * 100).toFixed(2);
const ms = (s) => `${pct(s.mean)} ± ${pct(s.std)}`;
const row = (name, t) => console.log([name, ms(t.accuracy), ms(t.macroF1), ms(t.auc)].join(" | "));
for (const run of ["paper", "small"]) row(run, JSON.parse(fs.readFileSync(`${out}/${run}.json`, "utf8")).test);
row("logistic (all)", b.logistic.test);
for (const [k, v] of Object.entries(b.perModality)) row(`logistic (${k})`, v.test);
console.log("best baseline:", b.best);
' "$OUT" "$METRIC"
