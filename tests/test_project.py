"""Project-level checks: the docs build without warnings and the code is ruff clean."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_docs_build_without_warnings(tmp_path):
    pytest.importorskip("sphinx")
    result = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
                             str(ROOT / "docs"), str(tmp_path / "html")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr + result.stdout


def test_ruff_clean():
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    if not Path(ruff).exists():
        pytest.skip("ruff is not installed")
    folders = ("art_initiative", "tests", "benchmarks", "examples", "docs")
    paths = [str(ROOT / p) for p in folders if (ROOT / p).exists()]
    result = subprocess.run([ruff, "check", *paths], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
