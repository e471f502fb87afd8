#!/usr/bin/env bash
# The GPU part of issue #16, as one prepared command for a lent GPU machine (the `device` tool), which has
# PyTorch but not this package's other needs and no network. Beforehand, here (PyPI is reachable):
#
#   echo /.whl/ >> .git/info/exclude
#   python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
#       --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
#       -d .whl adversarial-robustness-toolbox==1.20.1 kornia==0.9.0 kornia_rs==0.2.0
#
# then run, with `.whl` carried:   bash benchmarks/device_scale.sh        (results under $OUT, about 6 minutes)
# and here:  cp <files_at>/scale-*.{json,md,png} benchmarks/results/
# On a machine that has the package installed, `python benchmarks/scale.py --device gpu` is the same.
set -euo pipefail
OUT=${OUT:-benchmarks/results}
source benchmarks/device_env.sh
python3 benchmarks/scale.py --device gpu --output-dir "$OUT" "$@" 2>&1 | tee "$OUT/scale-log.txt"
