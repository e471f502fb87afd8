#!/usr/bin/env bash
# Issue #12's drift curve at a GPU's scale (benchmarks/gpu_drift.py: the demo's public-model scenario at 64 px,
# released model, forgers fine-tuned 500-16000 iterations and one from scratch, the defender's own fine-tunings for
# 2000 and 8000, the ATS, frozen-SM and drift-ensemble PGs trained side by side, then strength_transfer.py on every
# forger), as one prepared command for a lent GPU machine (the
# `device` tool). Beforehand, here, download the wheels as benchmarks/device_testbed.sh says, then run, with `.whl`
# carried and timeout_s 600:   bash benchmarks/device_drift.sh     (about 8 minutes)
# Extra arguments go to gpu_drift.py (e.g. --image-size 128 --train-seconds 240). Results and the log under $OUT;
# here: cp <files_at>/*.{json,md,png} benchmarks/results/
set -euo pipefail
OUT=${OUT:-benchmarks/results}
source benchmarks/device_env.sh
python3 benchmarks/gpu_drift.py --output "$OUT" --scratch "$@" 2>&1 | tee "$OUT/gpu_drift-log.txt"
