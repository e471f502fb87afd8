#!/usr/bin/env bash
# Issues #11 / #12 at a GPU's scale (benchmarks/gpu_testbed.py: the calibration curve of the four Table 1 targets,
# Table 1's rows (the learned defence and its ablations trained beside them, Ruiz PGD from the defender's surrogate,
# noise, white-box PGD; same and different domains) and the transfer curve, 64 px, StarGAN's widths), as one prepared
# command for a lent GPU machine (the `device` tool). Beforehand, here (PyPI is reachable):
#
#   echo /.whl/ >> .git/info/exclude
#   python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
#       --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
#       -d .whl adversarial-robustness-toolbox==1.20.1 kornia==0.9.0 kornia_rs==0.2.0 torchattacks==3.5.1
#
# then run, with `.whl` carried and timeout_s 600:   bash benchmarks/device_testbed.sh
# (about 7 minutes without the defences and DD targets, `--domains SD --defences`; with them not yet timed)
# Extra arguments go to gpu_testbed.py (e.g. --image-size 128 --train-seconds 240; --data franck --cache-dir
# .franck-cache for the real frames, after its --prepare here, carrying data/franck and .franck-cache as well). Results and the log under $OUT;
# here: cp <files_at>/*.{json,md,png} benchmarks/results/
set -euo pipefail
OUT=${OUT:-benchmarks/results}
source benchmarks/device_env.sh
python3 benchmarks/gpu_testbed.py --output "$OUT" --quiet "$@" 2>&1 | tee "$OUT/gpu_testbed-log.txt"
