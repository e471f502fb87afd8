"""The harness's defence cache: keyed by the training faces and by the weights the defence's SM starts from, so that
a retrained public model is not met with a defence trained on another, while a defence trained from fresh weights
(the paper's protocol) is found whatever weights its template has."""

from __future__ import annotations

import glob
import os
import re


def test_a_defence_is_reused_for_the_same_model_and_trained_again_for_another(tmp_path):
    """With a public model (the SM starts from its weights) other weights get a defence of their own."""
    from art_initiative.benchmark import protections
    from art_initiative.benchmark.attribute import AttributeBenchmarkConfig, attribute_data
    from art_initiative.benchmark.common import weights_digest
    from art_initiative.estimators import PyTorchImageTranslator

    cfg = AttributeBenchmarkConfig(profile="tiny", image_size=16, n_train=6, n_test=2, forger_start="public",
                                   domains=("SD",), defence={"iterations": 2, "sm_pretrain_iterations": 2}).validate()
    split = attribute_data("synthetic", cfg)
    (x, labels), cols = split.defender, split.columns("SD")
    models = [PyTorchImageTranslator.from_architecture("res6", 16, 4, 5, "cpu", seed=s) for s in (0, 0, 1)]
    assert weights_digest(models[0]) == weights_digest(models[1]) != weights_digest(models[2])
    cache = str(tmp_path)

    def fit(model):
        return protections.trained_defence("initiative", x, labels[:, cols], split.settings["SD"], model, cfg, cache,
                                           False)

    first, _ = fit(models[0])
    assert first.config.sm_init == "estimator"
    files = sorted(glob.glob(os.path.join(cache, "initiative-*.pt")))
    stamps = {f: os.path.getmtime(f) for f in files}
    again, _ = fit(models[1])  # the same weights: read from the cache, nothing trained
    assert {f: os.path.getmtime(f) for f in files} == stamps
    out_a = first.generate(x[:2], eps=0.05)
    assert (again.generate(x[:2], eps=0.05) == out_a).all()
    fit(models[2])  # another model's weights: a defence of its own, the first one kept
    assert len(glob.glob(os.path.join(cache, "initiative-*.pt"))) == 2 * len(files)
    assert all(os.path.getmtime(f) == t for f, t in stamps.items())
    assert any(weights_digest(models[2]) in f for f in glob.glob(os.path.join(cache, "initiative-*.pt")))


def test_a_defence_from_fresh_weights_is_found_whatever_weights_the_template_has(tmp_path):
    """The paper's protocol: the SM starts from fresh weights of the surrogate's architecture, so a defence trained
    beside a surrogate that was still training (``gpu_testbed.py``) is the harness's, not trained again; another
    architecture or another defence seed is another defence. The key leaves torch's generators as they were."""
    import torch

    from art_initiative.attacks.initiative.config import make_config
    from art_initiative.benchmark import protections
    from art_initiative.benchmark.attribute import AttributeBenchmarkConfig, attribute_data
    from art_initiative.benchmark.common import start_digest, weights_digest
    from art_initiative.estimators import PyTorchImageTranslator

    cfg = AttributeBenchmarkConfig(profile="tiny", image_size=16, n_train=6, n_test=2,
                                   defence={"iterations": 2}).validate()
    split = attribute_data("synthetic", cfg)
    (x, labels), cols = split.defender, split.columns("SD")
    trained, untrained = (PyTorchImageTranslator.from_architecture("res6", 16, 4, 5, "cpu", seed=s) for s in (0, 1))
    assert weights_digest(trained) != weights_digest(untrained)
    cache = str(tmp_path)

    def fit(model, c=cfg):
        return protections.trained_defence("initiative", x, labels[:, cols], split.settings["SD"], model, c, cache,
                                           False)[0]

    first = fit(untrained)
    assert first.config.sm_init == "fresh"
    files = sorted(glob.glob(os.path.join(cache, "initiative-*.pt")))
    stamps = {f: os.path.getmtime(f) for f in files}
    again = fit(trained)  # other weights, same architecture: read back, nothing trained
    assert {f: os.path.getmtime(f) for f in sorted(glob.glob(os.path.join(cache, "initiative-*.pt")))} == stamps
    assert (again.generate(x[:2], eps=0.05) == first.generate(x[:2], eps=0.05)).all()
    overrides = protections.defence_overrides("initiative", cfg)
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    start_digest(trained, make_config("tiny", **overrides))
    assert torch.equal(torch.rand(3), expected)
    assert start_digest(trained, make_config("tiny", **overrides)) != \
        start_digest(trained, make_config("tiny", **{**overrides, "seed": 1}))
    wider = PyTorchImageTranslator.from_architecture("res6", 16, 8, 5, "cpu", seed=0)
    config = make_config("tiny", **overrides)
    assert start_digest(wider, config) != start_digest(trained, config)


def test_defence_surrogates_reach_the_defence_and_its_cached_config(tmp_path):
    from dataclasses import replace

    from art_initiative.benchmark import protections
    from art_initiative.benchmark.attribute import AttributeBenchmarkConfig, attribute_data
    from art_initiative.benchmark.testbed import train_target
    from art_initiative.estimators import PyTorchImageTranslator
    from art_initiative.utils.digest import module_digest

    cfg = AttributeBenchmarkConfig(profile="tiny", image_size=16, width=4, disc_width=4, n_train=6, n_test=2,
                                   target_iterations=2, defence={"iterations": 2}).validate()
    split = attribute_data("synthetic", cfg)
    (x, labels), cols = split.defender, split.columns("SD")
    other = train_target(x, labels[:, cols], "res6", 7, cfg, "cpu", str(tmp_path / "models"))
    path = glob.glob(str(tmp_path / "models" / "stargan-*.pt"))[0]
    with_other = replace(cfg, defence_surrogates=(path,)).validate()
    model = PyTorchImageTranslator.from_architecture("res6", 16, 4, 5, "cpu", seed=0)
    cache = str(tmp_path / "cache")

    def fit(c):
        return protections.trained_defence("initiative", x, labels[:, cols], split.settings["SD"], model, c, cache,
                                           False)[0]

    assert fit(with_other).config.surrogate_digests == module_digest(other.model)
    (saved,) = [f for f in glob.glob(os.path.join(cache, "initiative-*.pt"))
                if re.search(r"-m[0-9a-f]{12}-e[0-9a-f]{12}", f) and not f.endswith("-training.pt")]
    stamp = os.path.getmtime(saved)
    again = fit(with_other)
    assert again.config.surrogate_digests == module_digest(other.model)  # read back, not retrained
    assert len(again.surrogates) == 1  # with its model, so initiative_refined steps on it as well
    assert os.path.getmtime(saved) == stamp
    assert fit(cfg).config.surrogate_digests == ""  # without them: a run and a file of its own
    assert len(glob.glob(os.path.join(cache, "initiative-*.pt"))) == 4 and os.path.getmtime(saved) == stamp


def test_other_settings_get_a_slot_of_their_own_and_more_iterations_resume(tmp_path, caplog):
    from dataclasses import replace

    from art_initiative.benchmark import protections
    from art_initiative.benchmark.attribute import AttributeBenchmarkConfig, attribute_data
    from art_initiative.estimators import PyTorchImageTranslator
    from art_initiative.training.loop import checkpoint_seconds

    cfg = AttributeBenchmarkConfig(profile="tiny", image_size=16, n_train=6, n_test=2,
                                   defence={"iterations": 2}).validate()
    split = attribute_data("synthetic", cfg)
    (x, labels), cols = split.defender, split.columns("SD")
    model = PyTorchImageTranslator.from_architecture("res6", 16, 4, 5, "cpu", seed=0)
    cache = str(tmp_path)

    def fit(defence: dict):
        c = replace(cfg, defence=defence).validate()
        return protections.trained_defence("initiative", x, labels[:, cols], split.settings["SD"], model, c, cache,
                                           False)[0]

    def saved() -> list[str]:
        return sorted(f for f in glob.glob(os.path.join(cache, "initiative-*.pt")) if not f.endswith("-training.pt"))

    first = fit({"iterations": 2})
    (base,) = saved()
    stamp = os.path.getmtime(base)
    with caplog.at_level("INFO", logger="art_initiative.benchmark.common"):
        wide = fit({"iterations": 2, "pg_width": 8})  # another setting: trained in a slot of its own
    assert wide.config.pg_width == 8 != first.config.pg_width
    (other,) = [f for f in saved() if f != base]
    assert re.search(r"-s[0-9a-f]{12}\.pt$", other) and os.path.getmtime(base) == stamp
    assert "pg_width: 4 -> 8" in caplog.text
    assert fit({"iterations": 2}).config == first.config and os.path.getmtime(base) == stamp  # both kept
    assert fit({"iterations": 2, "pg_width": 8}).config.pg_width == 8 and len(saved()) == 2
    with caplog.at_level("INFO"):
        longer = fit({"iterations": 3})  # more iterations: the same slot, resumed from its training checkpoint
    assert longer.config.iterations == 3 and len(saved()) == 2 and os.path.getmtime(base) > stamp
    assert "resuming from its training checkpoint" in caplog.text
    assert "resumed InitiativeDefense" in caplog.text and "at iteration 2" in caplog.text
    assert checkpoint_seconds(base[:-3] + "-training.pt") is not None
