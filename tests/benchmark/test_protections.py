"""What each attribute-editing method publishes (:mod:`art_initiative.benchmark.protections`): the learned PG's
rows share one trained defence, and the defence can train on more faces than the defender's split."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from art_initiative.benchmark.attribute import AttributeBenchmarkConfig, AttributeData, attribute_data


def test_the_saturated_row_reuses_the_pg_trained_in_the_same_run(monkeypatch):
    from art_initiative.benchmark import protections
    from art_initiative.estimators import PyTorchImageTranslator

    cfg = AttributeBenchmarkConfig(profile="tiny", n_train=16, n_test=4, defence={"iterations": 2}).validate()
    split = attribute_data("synthetic", cfg)
    surrogate = PyTorchImageTranslator.from_architecture("res6", cfg.image_size, cfg.width, 5, "cpu", seed=0)
    calls = []
    train = protections.trained_defence
    monkeypatch.setattr(protections, "trained_defence", lambda method, *a: (calls.append(method), train(method, *a))[1])
    trained = {}
    x, labels = split.test
    sd = split.columns("SD")
    sat, sat_info, d_sat = protections.method_protection("initiative_sign", split, cfg, surrogate, None, False, trained)
    plain, info, d = protections.method_protection("initiative", split, cfg, surrogate, None, False, trained)
    assert calls == ["initiative"] and d is d_sat and sat_info == info  # trained once, without a cache
    np.testing.assert_allclose(sat(x, labels[:, sd]), d.generate(x, saturate=True))
    np.testing.assert_allclose(plain(x, labels[:, sd]), d.generate(x))
    # initiative_refined: the same PG, then two steps of eps/2 on the surrogate for the faces' own edit requests
    refined, refined_info, d_ref = protections.method_protection("initiative_refined", split, cfg, surrogate, None,
                                                               False, trained)
    assert calls == ["initiative"] and d_ref is d and refined_info == {**info, "refine_steps": 2}
    assert d.estimator is surrogate  # the steps use the baseline's surrogate, never the target
    np.testing.assert_allclose(refined(x, labels[:, sd]), d.generate(x, y=labels[:, sd], refine_steps=2))
    assert not np.allclose(refined(x, labels[:, sd]), plain(x, labels[:, sd]))
    # with fewer edit requests per step: the same PG and the defence's rotated steps, recorded
    cheap_cfg = replace(cfg, refine_steps=3, refine_requests=1).validate()
    cheap, cheap_info, _ = protections.method_protection("initiative_refined", split, cheap_cfg, surrogate, None,
                                                        False, trained)
    assert calls == ["initiative"] and cheap_info == {**info, "refine_steps": 3, "refine_requests": 1}
    np.testing.assert_allclose(cheap(x, labels[:, sd]),
                               d.generate(x, y=labels[:, sd], refine_steps=3, refine_requests=1))
    with pytest.raises(ValueError, match=r"refine_requests must be None or an int in \[1, 5\], got 6"):
        replace(cfg, refine_requests=6).validate()


def test_the_defence_can_train_on_more_rendered_faces_disjoint_from_every_split():
    from art_initiative.benchmark.protections import defence_training_faces

    cfg = AttributeBenchmarkConfig(profile="tiny", image_size=16, n_train=6, n_test=3).validate()
    split = attribute_data("synthetic", cfg)
    xd, ld = split.defender
    same = defence_training_faces(split, cfg)
    assert same[0] is xd and same[1] is ld  # the default: the defender's split itself
    few = defence_training_faces(split, replace(cfg, defence_faces=4).validate())
    np.testing.assert_array_equal(few[0], xd[:4])
    x, labels = defence_training_faces(split, replace(cfg, defence_faces=20).validate())
    assert defence_training_faces(split, replace(cfg, defence_faces=20).validate())[0] is x  # rendered once
    assert x.shape == (20, *xd.shape[1:]) and labels.shape == (20, ld.shape[1])
    np.testing.assert_array_equal(x[:6], xd)  # the split first, then faces rendered after the test split
    others = np.concatenate([split.forger[0], split.test[0], xd])
    assert not any(np.array_equal(face, other) for face in x[6:] for other in others)
    assert len({face.tobytes() for face in x}) == 20
    fixed = AttributeData(split.defender, split.forger, split.test, split.attributes, split.settings)  # no renderer
    with pytest.raises(ValueError, match=r"defence_faces above the defender's split \(6 faces\) needs synthetic"):
        defence_training_faces(fixed, replace(cfg, defence_faces=7).validate())


def test_every_harness_method_but_the_white_box_anchor_is_published_here(tmp_path):
    from art_initiative.benchmark.attribute import ATTRIBUTE_METHODS
    from art_initiative.benchmark.protections import PUBLISHED_METHODS, method_protection

    assert set(PUBLISHED_METHODS) == set(ATTRIBUTE_METHODS) - {"whitebox_pgd"}
    cfg = AttributeBenchmarkConfig(profile="tiny", image_size=16, n_train=4, n_test=2).validate()
    split = attribute_data("synthetic", cfg)
    with pytest.raises(ValueError, match=r"got 'whitebox_pgd' \(whitebox_pgd needs the target"):
        method_protection("whitebox_pgd", split, cfg, None, str(tmp_path), False)
