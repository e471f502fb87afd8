"""``benchmarks/drift_forgers.py``: the released model fine-tuned for growing lengths, and a forger from scratch."""

from __future__ import annotations

import os

import pytest


def _tiny_public():
    from art_initiative.benchmark.attribute import AttributeBenchmarkConfig

    return AttributeBenchmarkConfig(profile="tiny", image_size=16, width=4, disc_width=4, n_train=8, n_test=2,
                                    target_iterations=4, targets=("res6",), domains=("SD",),
                                    forger_start="public").validate()


def test_each_length_continues_the_last_and_scratch_starts_afresh(tmp_path, load_script):
    from art_initiative.training.stargan import load_stargan

    script = load_script("benchmarks/drift_forgers.py")
    cfg = _tiny_public()
    cache = str(tmp_path / "cache")
    public, forgers = script.drift_forgers(cfg, [10, 5], True, cache)
    assert [label for label, _ in forgers] == ["ft5", "ft10", "scratch"]
    assert all(os.path.exists(path) for _, path in [("public", public), *forgers])
    paths = dict(forgers)
    assert "-ft" in paths["ft5"] and paths["ft5"].endswith("-it5.pt") and paths["ft10"].endswith("-it10.pt")
    assert "-ft" not in paths["scratch"] and paths["scratch"].endswith("-it4.pt")
    # Different weights (a generator step every n_critic = 5 iterations): the longer fine-tuning moved on, the
    # scratch model is not the released one.
    import numpy as np

    x = np.zeros((1, 3, 16, 16), np.float32)
    c = np.ones((1, 5), np.float32)
    outs = {name: load_stargan(path, "cpu").predict(x, conditions=c) for name, path in
            [("public", public), *forgers]}
    assert len({o.tobytes() for o in outs.values()}) == 4
    # A second call reads the cache: the same paths, nothing retrained.
    stamps = {path: os.path.getmtime(path) for path in paths.values()}
    assert script.drift_forgers(cfg, [5, 10], True, cache) == (public, forgers)
    assert {path: os.path.getmtime(path) for path in paths.values()} == stamps


@pytest.mark.parametrize(("lengths", "scratch", "match"), [([], False, "needs lengths"), ([0], False, ">= 1")])
def test_nothing_to_train_or_a_bad_length_is_refused(tmp_path, load_script, lengths, scratch, match):
    from art_initiative.benchmark.attribute import AttributeBenchmarkConfig

    script = load_script("benchmarks/drift_forgers.py")
    with pytest.raises(ValueError, match=match):
        script.drift_forgers(AttributeBenchmarkConfig(profile="tiny"), lengths, scratch, str(tmp_path))


def test_the_command_line_passes_the_demos_settings(tmp_path, load_script, capsys):
    script = load_script("benchmarks/drift_forgers.py")
    cache = tmp_path / "cache"
    assert script.main(["--cache", str(cache), "--arch", "cnet", "--image-size", "16", "--width", "4",
                        "--n-train", "6", "--target-iterations", "2", "--lengths", "1"]) == 0
    printed = capsys.readouterr().out.strip().splitlines()[-1]
    assert printed.startswith("--public ") and " --forger ft1=" in printed
    public = printed.split()[1]
    assert public.endswith("-it2.pt") and "stargan-cnet-" in public and os.path.exists(public)
    from art_initiative.training.stargan import load_stargan

    assert tuple(load_stargan(public, "cpu").input_shape) == (3, 16, 16)


def test_the_defenders_own_drift_fine_tunes_on_its_faces_with_its_own_seed(tmp_path, load_script):
    script = load_script("benchmarks/drift_forgers.py")
    cfg = _tiny_public()
    cache = str(tmp_path / "cache")
    public, models = script.self_drift(cfg, [6, 3], cache)
    _, forgers = script.drift_forgers(cfg, [3], False, cache)
    assert [label for label, _ in models] == ["self3", "self6"]
    # Fine-tuned from the released model (a -ft key), but on the defender's faces with seed 3: not the forger's file.
    assert all("-ft" in path and "-s3-" in path and os.path.exists(path) for _, path in models)
    assert dict(models)["self3"] != dict(forgers)["ft3"] and "-s2-" in dict(forgers)["ft3"]
    with pytest.raises(ValueError, match=">= 1"):
        script.self_drift(cfg, [], cache)


def test_the_command_line_refuses_scratch_for_the_defender(tmp_path, load_script):
    script = load_script("benchmarks/drift_forgers.py")
    with pytest.raises(SystemExit):
        script.main(["--cache", str(tmp_path), "--on", "defender", "--scratch"])


def test_independent_models_start_from_random_weights_with_their_own_seeds(tmp_path, load_script):
    script = load_script("benchmarks/drift_forgers.py")
    cfg = _tiny_public()
    cache = str(tmp_path / "cache")
    public, surrogates = script.independent_models(cfg, 2, "defender", cache)
    _, forgers = script.independent_models(cfg, 1, "forger", cache)
    _, [(_, scratch)] = script.drift_forgers(cfg, [], True, cache)
    assert [label for label, _ in surrogates] == ["indep10", "indep11"] and [f for f, _ in forgers] == ["scratch20"]
    paths = [public, scratch] + [path for _, path in surrogates + forgers]
    # From random weights (no -ft key) for the released model's iterations, each its own file: not the released
    # model, not the forger's scratch model, the defender's on its own faces and the forger's on the forger's.
    assert all("-ft" not in p and p.endswith("-it4.pt") and os.path.exists(p) for p in paths)
    assert len(set(paths)) == 5
    faces = {p: p.split("-")[-2] for p in paths}  # the digest of the training faces in the file name
    assert faces[public] == faces[surrogates[0][1]] == faces[surrogates[1][1]] != faces[scratch] == faces[forgers[0][1]]
    assert script.ensemble_args(public, surrogates) == [
        f"--pgd-on ens2={public}+{surrogates[0][1]}", f"--pgd-on ens3={public}+{surrogates[0][1]}+{surrogates[1][1]}"]
    with pytest.raises(ValueError, match="k must be"):
        script.independent_models(cfg, 0, "defender", cache)
    with pytest.raises(ValueError, match="on must be"):
        script.independent_models(cfg, 1, "both", cache)


def test_the_command_line_prints_the_independent_ensembles(tmp_path, load_script, capsys):
    script = load_script("benchmarks/drift_forgers.py")
    common = ["--cache", str(tmp_path / "cache"), "--image-size", "16", "--width", "4", "--n-train", "6",
              "--target-iterations", "2", "--independent", "1"]
    assert script.main([*common, "--on", "defender"]) == 0
    printed = capsys.readouterr().out.strip().splitlines()[-1].split()
    assert printed[0] == "--public" and printed[2] == "--pgd-on" and printed[3].startswith(f"ens2={printed[1]}+")
    assert script.main([*common, "--on", "forger"]) == 0
    printed = capsys.readouterr().out.strip().splitlines()[-1].split()
    assert printed[2] == "--forger" and printed[3].startswith("scratch20=")
    # Another recipe is another model: its own cache key, the same seed and faces.
    assert script.main([*common, "--on", "forger", "--recipe", "hardened"]) == 0
    hardened = capsys.readouterr().out.strip().splitlines()[-1].split()
    assert hardened[3] != printed[3] and hardened[3].split("-")[-3:] == printed[3].split("-")[-3:]
    assert hardened[1] != printed[1]  # the released model is trained by the recipe too
    with pytest.raises(SystemExit):
        script.main([*common[:-1], "-1"])
