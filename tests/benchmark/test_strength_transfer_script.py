"""``benchmarks/strength_transfer.py``: each protection scored on the public model and on the forger fine-tuned
from it."""

from __future__ import annotations

import json

import numpy as np
import pytest


def test_rows_score_every_protection_on_both_models(tmp_path, load_script, public_forger_defence):
    script = load_script("benchmarks/strength_transfer.py")
    paths = public_forger_defence
    stem = tmp_path / "st"
    assert script.main(["--public", str(paths["public"]), "--forger", str(paths["forger"]),
                        "--defence", f"pg={paths['defence']}", "--stem", str(stem), "--n-faces", "6"]) == 0
    out = json.loads(stem.with_suffix(".json").read_text())
    rows = {r["method"]: r for r in out["rows"]}
    assert list(rows) == ["pg", "pg saturated", "ruiz_pgd (on the public model)", "whitebox_pgd (on the forger)",
                          "sign_noise"]
    for r in rows.values():
        assert r["retention"] == pytest.approx(r["forger"]["mse"] / r["public"]["mse"])
        assert set(r["public"]) == {"mse", "dsr_0.05", "dsr_0.02", "dsr_0.01"}
    assert rows["pg saturated"]["linf_used"] > rows["pg"]["linf_used"]
    assert rows["sign_noise"]["linf_used"] == pytest.approx(1.0, abs=0.05)
    # Each PGD moves the model it was computed on more than sign noise of its size moves that model.
    assert rows["whitebox_pgd (on the forger)"]["forger"]["mse"] > rows["sign_noise"]["forger"]["mse"]
    assert rows["ruiz_pgd (on the public model)"]["public"]["mse"] > rows["sign_noise"]["public"]["mse"]
    md = stem.with_suffix(".md").read_text()
    assert out["seed"] == 123 and "| pg saturated |" in md and "fresh synthetic faces" in md
    assert stem.with_suffix(".png").stat().st_size > 0
    assert np.isfinite([r["forger"]["mse"] for r in rows.values()]).all()


def test_a_defence_without_a_label_is_refused(tmp_path, load_script):
    script = load_script("benchmarks/strength_transfer.py")
    with pytest.raises(SystemExit):
        script.main(["--public", "p.pt", "--forger", "f.pt", "--defence", "nolabel", "--stem", str(tmp_path / "s")])


def test_seed_0_says_the_faces_are_the_harness_defenders_own(tmp_path, load_script, public_forger_defence):
    script = load_script("benchmarks/strength_transfer.py")
    paths = public_forger_defence
    stem = tmp_path / "own"
    assert script.main(["--public", str(paths["public"]), "--forger", str(paths["forger"]), "--stem", str(stem),
                        "--n-faces", "4", "--seed", "0", "--note", "The PG's training faces."]) == 0
    md = stem.with_suffix(".md").read_text()
    assert "the first of its defender split (seed 0)" in md and "The PG's training faces." in md
    assert json.loads(stem.with_suffix(".json").read_text())["note"] == "The PG's training faces."


def test_several_forgers_score_every_row_on_each_and_draw_a_curve(tmp_path, load_script, public_forger_defence):
    script = load_script("benchmarks/strength_transfer.py")
    paths = public_forger_defence
    stem = tmp_path / "drift"
    # The public model itself stands in for a forger that has not drifted at all.
    assert script.main(["--public", str(paths["public"]), "--forger", f"ft0={paths['public']}",
                        "--forger", f"ft={paths['forger']}", "--defence", f"pg={paths['defence']}",
                        "--stem", str(stem), "--n-faces", "4", "--refine-steps", "2"]) == 0
    out = json.loads(stem.with_suffix(".json").read_text())
    rows = {r["method"]: r for r in out["rows"]}
    assert list(rows) == ["pg", "pg saturated", "pg refined 2", "ruiz_pgd (on the public model)",
                          "whitebox_pgd (on ft0)", "whitebox_pgd (on ft)", "sign_noise"]
    # two steps on the public model from PG's output move it further than PG alone
    assert rows["pg refined 2"]["public"]["mse"] > rows["pg"]["public"]["mse"]
    assert out["forgers"] == {"ft0": str(paths["public"]), "ft": str(paths["forger"])}
    for r in rows.values():
        assert list(r["forgers"]) == ["ft0", "ft"]
        assert r["forger"] == r["forgers"]["ft0"]
        # ft0 is the public model: every protection scores the same on both.
        assert r["forgers"]["ft0"]["mse"] == pytest.approx(r["public"]["mse"], rel=1e-5)
    for name in ("ft0", "ft"):
        assert rows[f"whitebox_pgd (on {name})"]["forgers"][name]["mse"] > rows["sign_noise"]["forgers"][name]["mse"]
    # The clean edits' distance from the public model's: none for the public model itself, some after fine-tuning.
    assert out["clean_distance"]["ft0"] == 0.0 and out["clean_distance"]["ft"] > 0.0
    md = stem.with_suffix(".md").read_text()
    assert f"`ft0` 0.0000, `ft` {out['clean_distance']['ft']:.4f}." in md
    assert "| method | public | ft0 | ft | budget used |" in md
    assert stem.with_suffix(".png").stat().st_size > 0


@pytest.mark.parametrize(("forgers", "message"), [(["a.pt", "b.pt"], "--forger must be PATH, or LABEL=PATH"),
                                                  (["x=a.pt", "x=b.pt"], "--forger labels must differ"),
                                                  (["x="], "--forger must be"), (["=a.pt"], "--forger must be")])
def test_forgers_need_a_path_and_distinct_labels(tmp_path, load_script, forgers, message, capsys):
    script = load_script("benchmarks/strength_transfer.py")
    argv = ["--public", "p.pt", "--stem", str(tmp_path / "s")]
    for f in forgers:
        argv += ["--forger", f]
    with pytest.raises(SystemExit):
        script.main(argv)
    assert message in capsys.readouterr().err


def test_labelled_specs(load_script):
    labelled = load_script("benchmarks/strength_transfer.py").labelled
    assert labelled(["a=x.pt", "b=y=z.pt"], "--f", "LABEL=PATH") == [("a", "x.pt"), ("b", "y=z.pt")]
    assert labelled(["x.pt"], "--f", "PATH", default="forger") == [("forger", "x.pt")]
    assert labelled(["e=a.pt+b.pt"], "--f", "LABEL=PATH+...", several=True) == [("e", "a.pt+b.pt")]
    with pytest.raises(ValueError, match="--f must be LABEL=PATH, got 'x.pt'"):
        labelled(["x.pt"], "--f", "LABEL=PATH")


def test_pgd_on_several_models_is_a_row_of_its_own(tmp_path, load_script, public_forger_defence):
    script = load_script("benchmarks/strength_transfer.py")
    paths = public_forger_defence
    stem = tmp_path / "ens"
    assert script.main(["--public", str(paths["public"]), "--forger", str(paths["forger"]), "--stem", str(stem),
                        "--n-faces", "4", "--pgd-on", f"both={paths['public']}+{paths['forger']}",
                        "--pgd-on", f"pub={paths['public']}", "--pgd-on-budget", "1:0.002"]) == 0
    rows = {r["method"]: r for r in json.loads(stem.with_suffix(".json").read_text())["rows"]}
    assert rows["pgd (on both)"]["forger"]["mse"] > rows["sign_noise"]["forger"]["mse"]
    assert rows["pgd (on pub)"]["forger"] == rows["ruiz_pgd (on the public model)"]["forger"]  # one model: Ruiz
    assert rows["pgd (on both)"]["forger"] != rows["pgd (on pub)"]["forger"]
    assert "| pgd (on both) |" in stem.with_suffix(".md").read_text()
    # each --pgd-on row again at the other budget; one step of 0.002 moves its own model less than ten of 0.01
    assert rows["pgd-1 step 0.002 (on pub)"]["public"]["mse"] < rows["pgd (on pub)"]["public"]["mse"]
    assert "pgd-1 step 0.002 (on both)" in rows


@pytest.mark.parametrize("spec", ["nolabel", "x=", "x=a.pt+"])
def test_a_bad_pgd_on_is_refused(tmp_path, load_script, spec, capsys):
    script = load_script("benchmarks/strength_transfer.py")
    with pytest.raises(SystemExit):
        script.main(["--public", "p.pt", "--forger", "f.pt", "--pgd-on", spec, "--stem", str(tmp_path / "s")])
    assert "--pgd-on must be LABEL=PATH[+PATH...]" in capsys.readouterr().err


def test_ruiz_budgets_are_rows_of_their_own(tmp_path, load_script, public_forger_defence):
    script = load_script("benchmarks/strength_transfer.py")
    paths = public_forger_defence
    stem = tmp_path / "budget"
    assert script.main(["--public", str(paths["public"]), "--forger", f"a={paths['forger']}",
                        "--forger", f"b={paths['public']}", "--stem", str(stem), "--n-faces", "4",
                        "--ruiz-budget", "10:0.01", "--ruiz-budget", "1:0.002"]) == 0
    rows = {r["method"]: r for r in json.loads(stem.with_suffix(".json").read_text())["rows"]}
    same = rows["ruiz_pgd-10 step 0.01 (on the public model)"]
    weak = rows["ruiz_pgd-1 step 0.002 (on the public model)"]
    assert same["public"] == rows["ruiz_pgd (on the public model)"]["public"]  # Ruiz et al.'s own budget
    # one step of 0.002 from a random start moves the public model less than ten of 0.01
    assert weak["public"]["mse"] < same["public"]["mse"]
    assert "| ruiz_pgd-1 step 0.002 (on the public model) |" in stem.with_suffix(".md").read_text()


@pytest.mark.parametrize("flag", ["--ruiz-budget", "--pgd-on-budget"])
@pytest.mark.parametrize("spec", ["10", "x:0.01", "0:0.01", "10:0", "10:-1", "10:y"])
def test_a_bad_budget_is_refused(tmp_path, load_script, spec, flag, capsys):
    script = load_script("benchmarks/strength_transfer.py")
    with pytest.raises(SystemExit):
        script.main(["--public", "p.pt", "--forger", "f.pt", flag, spec, "--stem", str(tmp_path / "s")])
    assert f"{flag} must be STEPS:STEP" in capsys.readouterr().err


def test_an_ensemble_defences_refinement_steps_on_its_surrogates_too(tmp_path, load_script, public_forger_defence):
    from art_initiative.attacks import InitiativeDefense
    from art_initiative.data.synthetic import ALL_ATTRIBUTES, PAPER_ATTRIBUTES, SyntheticFaces
    from art_initiative.training.stargan import load_stargan, train_stargan

    script = load_script("benchmarks/strength_transfer.py")
    paths = public_forger_defence
    x, labels = SyntheticFaces(48, 16, seed=0, attributes=ALL_ATTRIBUTES).arrays()
    y = labels[:, [ALL_ATTRIBUTES.index(a) for a in PAPER_ATTRIBUTES]]
    # a model of its own (another seed, from random weights) as the ensemble's further surrogate
    other = train_stargan(x, y, "res6", iterations=10, checkpoint_path=tmp_path / "other.pt", seed=5, width=4,
                          disc_width=8, device_type="cpu", verbose=False)
    InitiativeDefense(load_stargan(paths["public"], "cpu"), profile="tiny", verbose=False,
                      surrogates=[other]).fit(x, y).save(tmp_path / "ens.pt")
    stem = tmp_path / "ens"
    assert script.main(["--public", str(paths["public"]), "--forger", f"ft={paths['forger']}",
                        "--forger", f"other={tmp_path / 'other.pt'}", "--stem", str(stem), "--n-faces", "6",
                        "--refine-steps", "2", "--defence", f"both={tmp_path / 'ens.pt'}",
                        "--defence-surrogates", f"both={tmp_path / 'other.pt'}",
                        "--defence", f"alone={tmp_path / 'ens.pt'}"]) == 0
    rows = {r["method"]: r for r in json.loads(stem.with_suffix(".json").read_text())["rows"]}
    assert rows["both"]["forgers"] == rows["alone"]["forgers"]  # the same PG
    # the steps that take the further model's gradient as well move it further
    assert rows["both refined 2"]["forgers"]["other"]["mse"] > 1.2 * rows["alone refined 2"]["forgers"]["other"]["mse"]
    with pytest.raises(SystemExit):
        script.main(["--public", "p.pt", "--forger", "f.pt", "--defence-surrogates", "nope=a.pt",
                     "--stem", str(tmp_path / "s")])
