"""``benchmarks/transfer_length.py``: transfer between independently trained models against their length."""

from __future__ import annotations

import json

import pytest


def test_a_curve_from_strength_transfer_files(tmp_path, load_script, public_forger_defence):
    paths = public_forger_defence
    st = load_script("benchmarks/strength_transfer.py")
    files = {}
    for its, forger in ((20, paths["forger"]), (10, paths["public"])):
        stem = tmp_path / f"len{its}"
        assert st.main(["--public", str(paths["public"]), "--forger", f"other={forger}", "--forger",
                        f"self={paths['public']}", "--stem", str(stem), "--n-faces", "4"]) == 0
        files[its] = stem.with_suffix(".json")
    script = load_script("benchmarks/transfer_length.py")
    out = tmp_path / "curve"
    assert script.main(["--stem", str(out), f"20={files[20]}", f"10={files[10]}"]) == 0
    records = json.loads(out.with_suffix(".json").read_text())["records"]
    # Sorted by length, one record per model of each file.
    assert [(r["iterations"], r["model"]) for r in records] == [(10, "other"), (10, "self"), (20, "other"),
                                                                 (20, "self")]
    run = json.loads(files[20].read_text())
    rows = {r["method"]: r for r in run["rows"]}
    other = next(r for r in records if r["iterations"] == 20 and r["model"] == "other")
    assert other["transfer_mse"] == rows["ruiz_pgd (on the public model)"]["forgers"]["other"]["mse"]
    assert other["whitebox_mse"] == rows["whitebox_pgd (on other)"]["forgers"]["other"]["mse"]
    assert other["clean_distance"] == run["clean_distance"]["other"] > 0
    # Scored on the defender's own model, the transfer is the white-box attack and the clean distance is 0.
    own = next(r for r in records if r["iterations"] == 20 and r["model"] == "self")
    assert own["clean_distance"] == 0.0 and own["transfer_mse"] == pytest.approx(own["defender_whitebox_mse"])
    md = out.with_suffix(".md").read_text()
    assert f"| 20 | other | {other['transfer_mse']:.4f} (" in md
    assert out.with_suffix(".png").stat().st_size > 0


def test_missing_rows_and_bad_runs_are_refused(tmp_path, load_script, capsys):
    script = load_script("benchmarks/transfer_length.py")
    with pytest.raises(ValueError, match="lacks"):
        script.length_records([(5, {"rows": [], "forgers": {"a": "a.pt"}, "clean_distance": {"a": 0.1}})])
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    for spec, message in (("x=a.json", "ITERATIONS=JSON"), ("0=a.json", "ITERATIONS=JSON"),
                          (f"5={tmp_path / 'none.json'}", "cannot read"), (f"5={bad}", "cannot read")):
        with pytest.raises(SystemExit):
            script.main(["--stem", str(tmp_path / "o"), spec])
        assert message in capsys.readouterr().err
