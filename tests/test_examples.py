"""The examples in examples/ run end to end (with tiny settings)."""

import importlib.util
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_art_attacks_on_stargan(capsys):
    results = _load("art_attacks_on_stargan").main(["--iterations", "20", "--image-size", "16", "--width", "4",
                                                     "--n-train", "32", "--n-test", "4"])
    assert set(results) == {"FGM", "BIM"} and all(0.0 <= v <= 1.0 for v in results.values())
    assert "BIM: DSR" in capsys.readouterr().out


def test_ruiz_baseline_example(capsys):
    results = _load("ruiz_baseline").main(["--iterations", "10", "--image-size", "16", "--width", "4",
                                           "--n-train", "16", "--n-test", "4"])
    assert set(results) == {"white-box", "gray-box"}
    out = capsys.readouterr().out
    assert "max |RuizDisruption - ART BIM| = 0.00e+00" in out
