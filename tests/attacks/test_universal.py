"""The universal disruption: one pattern for every face, learned on training faces and added to new ones."""

import numpy as np
import pytest

from art_initiative.attacks import UniversalDisruption
from art_initiative.data import SyntheticFaces, target_domains
from art_initiative.data.synthetic import PAPER_ATTRIBUTES


def _moved(G, x, x2, domains):
    return float(np.mean([((G.predict(x, conditions=c) - G.predict(x2, conditions=c)) ** 2).mean()
                          for c in domains]))


def test_pattern_learned_on_training_faces_moves_new_faces_more_than_sign_noise(res6_translator):
    from art_initiative.benchmark.calibration import sign_noise

    (x, y), (xt, yt) = (s.arrays() for s in SyntheticFaces(48, 32, seed=0).split([32, 16]))
    attack = UniversalDisruption(res6_translator, eps=0.05, eps_step=0.005, max_iter=40, batch_size=8,
                                 verbose=False).fit(x, target_domains(y, PAPER_ATTRIBUTES))
    assert attack.pattern.shape == (3, 32, 32) and np.abs(attack.pattern).max() <= 0.05 + 1e-6
    protected = attack.generate(xt)
    assert protected.dtype == np.float32 and np.abs(protected - xt).max() <= 0.05 + 1e-6
    np.testing.assert_allclose(protected, np.clip(xt + attack.pattern[None], -1, 1), atol=1e-7)  # the same for all
    domains = target_domains(yt, PAPER_ATTRIBUTES)
    moved, noise = _moved(res6_translator, xt, protected, domains), \
        _moved(res6_translator, xt, sign_noise(xt, 0.05, seed=0), domains)
    assert moved > 1.5 * noise  # measured: 2.4x on this untrained model


def test_seeded_and_learned_on_the_input_when_not_fitted(res6_translator):
    x, y = SyntheticFaces(8, 32, seed=1).arrays()
    domains = target_domains(y, PAPER_ATTRIBUTES)

    def pattern(seed):
        return UniversalDisruption(res6_translator, max_iter=3, batch_size=4, random_seed=seed,
                                   verbose=False).fit(x, domains).pattern

    np.testing.assert_array_equal(pattern(0), pattern(0))
    assert not np.array_equal(pattern(0), pattern(1))
    fresh = UniversalDisruption(res6_translator, max_iter=3, batch_size=4, verbose=False)
    with pytest.raises(ValueError, match="needs conditions"):
        fresh.generate(x)
    np.testing.assert_array_equal(fresh.generate(x, conditions=domains), np.clip(x + pattern(0)[None], -1, 1))


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"eps": 0.0}, "eps must be a number in"),
    ({"eps_step": 2.0}, "eps_step must be a number in"),
    ({"max_iter": 0}, "max_iter must be an int >= 1"),
    ({"batch_size": 1.5}, "batch_size must be an int >= 1"),
    ({"random_seed": "a"}, "random_seed must be an int"),
])
def test_bad_settings(res6_translator, kwargs, match):
    with pytest.raises(ValueError, match=match):
        UniversalDisruption(res6_translator, **kwargs)


def test_bad_fit_inputs(res6_translator):
    x, y = SyntheticFaces(4, 32, seed=0).arrays()
    attack = UniversalDisruption(res6_translator, max_iter=1, verbose=False)
    with pytest.raises(ValueError, match="conditions must be a non-empty list of \\(4, 5\\) arrays"):
        attack.fit(x, [y[:2]])
    with pytest.raises(ValueError, match="conditions must be a non-empty list"):
        attack.fit(x, [])
    with pytest.raises(ValueError, match="x"):
        attack.fit(x[:, :1], target_domains(y, PAPER_ATTRIBUTES))
