"""ART's BIM (with the helper), torchattacks (compat class and stock PGD) and RuizDisruption agree."""

import numpy as np
import pytest
import torch
from art.attacks.evasion import BasicIterativeMethod, FastGradientMethod, ProjectedGradientDescent

from art_initiative.attacks import RuizDisruption, generate_with_art, jittered_reference

torchattacks = pytest.importorskip("torchattacks")
from art_initiative.attacks.torchattacks_compat import DisruptionLogits, TorchattacksDisruption  # noqa: E402

C = np.array([1, 0, 0, 1, 0], dtype=np.float32)


@pytest.fixture
def dyadic_images(rng):
    """Images on the grid k/128 - 1: with eps 1/16 and step 1/64 every value of every method stays exactly
    representable in both [-1, 1] and torchattacks' [0, 1], so the methods must agree bit for bit. Four images, so
    that ART's batches of two are all of one size: on some CPUs a batch of one takes another convolution kernel,
    whose rounding flips the sign of near-zero gradient entries (measured: the fifth image of five diverged)."""
    return (rng.integers(8, 248, (4, 3, 32, 32)) / 128 - 1).astype(np.float32)


def all_methods(G, x, eps, step, steps, art_batch=2):
    ruiz = RuizDisruption(G, method="ifgsm", eps=eps, eps_step=step, max_iter=steps, verbose=False)
    bim = BasicIterativeMethod(G, eps=eps, eps_step=step, max_iter=steps, batch_size=art_batch, verbose=False)
    compat = TorchattacksDisruption(G, eps=eps, alpha=step, steps=steps, conditions=C)
    stock = torchattacks.PGD(DisruptionLogits(G, jittered_reference(G, x, C), C), eps=eps / 2, alpha=step / 2,
                             steps=steps, random_start=False)
    stock.set_normalization_used(mean=[0.5] * 3, std=[0.5] * 3)
    return {
        "ruiz": ruiz.generate(x, conditions=C),
        "art_bim": generate_with_art(bim, x, conditions=C),
        "torchattacks_compat": compat(torch.as_tensor(x)).numpy(),
        "torchattacks_pgd": stock(torch.as_tensor(x), torch.zeros(len(x), dtype=torch.long)).numpy(),
    }


def test_same_perturbation_bit_for_bit(res6_translator, dyadic_images):
    out = all_methods(res6_translator, dyadic_images, 1 / 16, 1 / 64, 10)
    assert np.abs(out["ruiz"] - dyadic_images).max() == pytest.approx(1 / 16)
    for name, adv in out.items():
        np.testing.assert_allclose(adv, out["ruiz"], atol=1e-7, err_msg=name)


def test_same_perturbation_at_the_baseline_defaults(res6_translator, images):
    # ART's BIM works in RuizDisruption's units: the same perturbation over all ten steps at eps 0.05 / step 0.01.
    out = all_methods(res6_translator, images, 0.05, 0.01, 10, art_batch=len(images))
    np.testing.assert_allclose(out["art_bim"], out["ruiz"], atol=1e-6)
    # torchattacks works in [0, 1]: x -> (x + 1) / 2 -> 2 x' - 1 moves x by up to one ulp (6e-8), and the signs
    # of gradient entries within rounding noise of zero (well under 1% of them) can then flip. After one step
    # the perturbations agree everywhere else.
    one = all_methods(res6_translator, images, 0.05, 0.01, 1)
    for name in ("torchattacks_compat", "torchattacks_pgd"):
        differ = np.abs(one[name] - one["ruiz"]) > 1e-6
        assert differ.mean() < 0.01, name
        np.testing.assert_allclose(one[name][~differ], one["ruiz"][~differ], atol=1e-6)


def test_art_pgd_and_fgm_run_through_the_helper(res6_translator, images):
    per = np.stack([C, 1 - C, C, 1 - C])
    clean = res6_translator.predict(images, conditions=per)
    for attack in (ProjectedGradientDescent(res6_translator, eps=0.05, eps_step=0.01, max_iter=5, batch_size=3,
                                            verbose=False),
                   FastGradientMethod(res6_translator, eps=0.05, batch_size=3)):
        adv = generate_with_art(attack, images, conditions=per)  # per-sample conditions, batch 3 < N = 4
        assert np.abs(adv - images).max() <= 0.05 + 1e-6
        assert ((res6_translator.predict(adv, conditions=per) - clean) ** 2).mean() > 1e-4


def test_helper_rejects_other_estimators(images):
    from art.estimators.classification import PyTorchClassifier

    clf = PyTorchClassifier(torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 32 * 32, 2)),
                            torch.nn.CrossEntropyLoss(), input_shape=(3, 32, 32), nb_classes=2)
    with pytest.raises(ValueError, match="PyTorchImageTranslator"):
        generate_with_art(FastGradientMethod(clf), images)
