"""``benchmarks/scale.py``: its timing functions and a quick run with one and two processes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "scale.py"


def test_generate_is_timed_in_every_precision_and_layout(load_script):
    scale = load_script("benchmarks/scale.py")
    for precision, channels_last in (("fp32", False), ("bf16", True)):
        assert scale.time_generate(16, 4, 1, precision, channels_last, "cpu", pg_width=4, pg_levels=2) > 0


def test_quick_run_writes_records_for_one_and_two_processes(tmp_path):
    done = subprocess.run([sys.executable, str(SCRIPT), "--device", "cpu", "--quick", "--only", "train_pix2pix",
                           "--output-dir", str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads((tmp_path / "scale-cpu-quick.json").read_text())
    records = results["records"]
    assert {(r["precision"], r["world_size"]) for r in records} == {("fp32", 1), ("fp32", 2), ("bf16", 1),
                                                                    ("bf16", 2)}
    assert all(r["what"] == "train_pix2pix" and r["iterations_per_second"] > 0 for r in records)
    assert any("torchrun --standalone --nproc_per_node=2" in r["command"] for r in records)
    assert (tmp_path / "scale-cpu-quick.md").read_text().count("| train_pix2pix |") == 4
    assert (tmp_path / "scale-cpu-quick.png").stat().st_size > 0
