import numpy as np
import pytest
import torch
from art.attacks.evasion import BasicIterativeMethod, FastGradientMethod, ProjectedGradientDescent
from art.defences.preprocessor.preprocessor import PreprocessorPyTorch

from art_initiative.estimators import PyTorchImageTranslator, check_companions
from art_initiative.models import build_model

C = np.array([1, 0, 0, 1, 0], dtype=np.float32)


def jittered(y, seed=1, scale=0.01):
    return (y + np.random.default_rng(seed).normal(0, scale, y.shape)).astype(np.float32)


def test_predict_matches_the_torch_model(res6_translator, images):
    out = res6_translator.predict(images, conditions=C, batch_size=3)
    model = res6_translator.model.eval()
    with torch.no_grad():
        ref = model(torch.from_numpy(images), torch.from_numpy(np.tile(C, (4, 1)))).numpy()
    assert out.dtype == np.float32 and out.shape == images.shape
    np.testing.assert_allclose(out, ref, atol=1e-5)


def test_per_sample_conditions_differ_from_batch_condition(res6_translator, images):
    per = np.stack([C, 1 - C, C, 1 - C])
    out = res6_translator.predict(images, conditions=per)
    np.testing.assert_allclose(out[0], res6_translator.predict(images[:1], conditions=C)[0], atol=1e-5)
    np.testing.assert_allclose(out[1], res6_translator.predict(images[1:2], conditions=1 - C)[0], atol=1e-5)


def test_loss_gradient_matches_finite_difference(res6_translator, images):
    x = images[:1].astype(np.float64).astype(np.float32)
    y = jittered(res6_translator.predict(x, conditions=C), scale=0.1)
    g = res6_translator.loss_gradient(x, y, conditions=C)
    d = np.random.default_rng(3).normal(size=x.shape).astype(np.float32)
    d /= np.linalg.norm(d)
    h = 1e-2
    lp = res6_translator.compute_loss(x + h * d, y, conditions=C)[0]
    lm = res6_translator.compute_loss(x - h * d, y, conditions=C)[0]
    assert (lp - lm) / (2 * h) == pytest.approx(float((g * d).sum()), rel=0.05, abs=1e-6)


def test_gradient_is_zero_at_the_clean_output(res6_translator, images):
    y = res6_translator.predict(images, conditions=C)
    assert np.abs(res6_translator.loss_gradient(images, y, conditions=C)).max() == 0.0


def test_gradient_is_independent_of_batching(res6_translator, images):
    y = jittered(res6_translator.predict(images, conditions=C))
    full = res6_translator.loss_gradient(images, y, conditions=C)
    part = res6_translator.loss_gradient(images[1:3], y[1:3], conditions=C)
    np.testing.assert_allclose(full[1:3], part, rtol=1e-4, atol=1e-8)


@pytest.mark.parametrize("attack_cls", [BasicIterativeMethod, ProjectedGradientDescent])
def test_art_iterative_attacks_disrupt_within_eps(res6_translator, images, attack_cls):
    est = res6_translator
    with est.conditioning(C):
        clean = est.predict(images)
        attack = attack_cls(est, eps=0.05, eps_step=0.01, max_iter=10, batch_size=2, verbose=False)
        adv = attack.generate(images, y=jittered(clean))
        moved = est.predict(adv)
    assert np.abs(adv - images).max() <= 0.05 + 1e-6
    assert adv.min() >= -1 and adv.max() <= 1
    noise = np.clip(images + np.random.default_rng(5).choice([-0.05, 0.05], images.shape), -1, 1).astype(np.float32)
    with est.conditioning(C):
        by_noise = est.predict(noise)
    # The attack moves the output several times further than sign noise of the same size.
    assert ((moved - clean) ** 2).mean() > 3 * ((by_noise - clean) ** 2).mean()


def test_art_fgm_moves_output_within_eps(res6_translator, images):
    est = res6_translator
    est.set_conditions(C)
    clean = est.predict(images)
    adv = FastGradientMethod(est, eps=0.05, batch_size=4).generate(images, y=jittered(clean))
    assert 0.05 - 1e-6 <= np.abs(adv - images).max() <= 0.05 + 1e-6
    assert ((est.predict(adv) - clean) ** 2).mean() > 0
    est.set_conditions(None)


def test_without_jitter_sign_attacks_do_not_move(res6_translator, images):
    # A translator's MSE to its own clean output has gradient 0 at x' = x, and sign(0) = 0: stuck at the start.
    with res6_translator.conditioning(C):
        adv = BasicIterativeMethod(res6_translator, eps=0.05, eps_step=0.01, max_iter=3, verbose=False).generate(images)
    np.testing.assert_array_equal(adv, images)


class _Blur(PreprocessorPyTorch):
    """A differentiable 3x3 box blur."""

    def __init__(self):
        super().__init__(device_type="cpu", apply_fit=False, apply_predict=True)

    def forward(self, x, y=None):
        k = torch.ones(3, 1, 3, 3, dtype=torch.float32) / 9
        return torch.nn.functional.conv2d(x.float(), k, padding=1, groups=3), y


def test_preprocessing_defence_keeps_the_gradient_path(images):
    torch.manual_seed(0)
    G = build_model("cnet", image_size=32, width=8)
    plain = PyTorchImageTranslator(G, (3, 32, 32), device_type="cpu")
    defended = PyTorchImageTranslator(G, (3, 32, 32), preprocessing_defences=[_Blur()], device_type="cpu")
    y = jittered(plain.predict(images), scale=0.2)
    x_t = torch.from_numpy(images).requires_grad_(True)
    G.eval()
    out = G(_Blur().forward(x_t)[0])
    ((out - torch.from_numpy(y)) ** 2).flatten(1).mean(1).sum().backward()
    np.testing.assert_allclose(defended.loss_gradient(images, y), x_t.grad.numpy(), rtol=1e-4, atol=1e-7)
    assert not np.allclose(defended.loss_gradient(images, y), plain.loss_gradient(images, y))


def test_unconditional_model_and_device(images):
    G = build_model("unet128", image_size=32, width=4)
    est = PyTorchImageTranslator(G, (3, 32, 32), device_type="cpu")
    assert est.device == torch.device("cpu")
    assert est.predict(images).shape == images.shape
    assert est.compute_loss(images, est.predict(images)).shape == (4,)


def test_fit_lowers_reconstruction_error(images):
    torch.manual_seed(0)
    est = PyTorchImageTranslator(build_model("cnet", 32, 8), (3, 32, 32), device_type="cpu")
    target = np.flip(images, axis=3).copy()
    before = est.compute_loss(images, target).mean()
    est.fit(images, target, batch_size=4, nb_epochs=30)
    assert est.compute_loss(images, target).mean() < 0.7 * before


def test_get_activations(res6_translator, images):
    res6_translator.set_conditions(C)
    acts = res6_translator.get_activations(images, "main.0", batch_size=2)
    assert acts.shape == (4, 8, 32, 32)
    res6_translator.set_conditions(None)


@pytest.mark.parametrize("x,match", [
    (np.zeros((2, 3, 32)), "4 dimensions"),
    (np.zeros((2, 1, 32, 32), np.float32), "3 channels"),
    (np.zeros((2, 3, 32, 32), np.uint8), "floating point"),
    (np.full((2, 3, 32, 32), 2.0, np.float32), r"lie in \[-1.0, 1.0\]"),
    (np.full((2, 3, 32, 32), np.nan, np.float32), "NaN"),
    (np.zeros((0, 3, 32, 32), np.float32), "empty batch"),
    (np.zeros((2, 3, 16, 16), np.float32), "per-image shape"),
    ([[1.0]], "numpy array"),
])
def test_bad_images_raise_named_errors(res6_translator, x, match):
    with pytest.raises(ValueError, match=match):
        res6_translator.predict(x, conditions=C)


@pytest.mark.parametrize("c,match", [
    (None, "conditions are required"),
    (np.ones(4), r"shape \(N, 5\)"),
    (np.ones((3, 5)), "3 rows but"),
    (np.array(["a"] * 5), "numeric"),
])
def test_bad_conditions_raise_named_errors(res6_translator, images, c, match):
    with pytest.raises(ValueError, match=match):
        res6_translator.predict(images, conditions=c)


def test_per_sample_conditions_reject_mismatched_art_batches(res6_translator, images):
    res6_translator.set_conditions(np.tile(C, (4, 1)))
    y = jittered(res6_translator.predict(images))
    with pytest.raises(ValueError, match="batch_size >= N"):
        BasicIterativeMethod(res6_translator, eps=0.05, eps_step=0.01, max_iter=2, batch_size=2,
                             verbose=False).generate(images, y=y)
    res6_translator.set_conditions(None)


def test_reference_shape_must_match_output(res6_translator, images):
    with pytest.raises(ValueError, match="shape of the model's output"):
        res6_translator.loss_gradient(images, images[:, :, :16], conditions=C)


def test_constructor_checks():
    G = build_model("cnet", 32, 8)
    with pytest.raises(ValueError, match="input_shape"):
        PyTorchImageTranslator(G, (32, 32))
    with pytest.raises(ValueError, match="model must be"):
        PyTorchImageTranslator("G", (3, 32, 32))
    with pytest.raises(ValueError, match="device_type"):
        PyTorchImageTranslator(G, (3, 32, 32), device_type="tpu")


def test_from_architecture_builds_the_registry_network_and_its_seed_fixes_the_weights():
    a = PyTorchImageTranslator.from_architecture("unet256", 16, width=4, device_type="cpu", seed=3)
    b = PyTorchImageTranslator.from_architecture("unet256", 16, width=4, device_type="cpu", seed=3)
    c = PyTorchImageTranslator.from_architecture("unet256", 16, width=4, device_type="cpu", seed=4)
    assert a.input_shape == (3, 16, 16) and a.c_dim == 0
    assert type(a.model) is type(build_model("unet256", image_size=16, width=4, c_dim=0))
    for (name, p), q in zip(a.model.state_dict().items(), b.model.state_dict().values(), strict=True):
        assert torch.equal(p, q), name
    assert any(not torch.equal(p, r) for p, r in zip(a.model.parameters(), c.model.parameters(), strict=True))
    conditional = PyTorchImageTranslator.from_architecture("res6", 16, width=4, c_dim=5, device_type="cpu")
    assert conditional.predict(np.zeros((1, 3, 16, 16), np.float32), conditions=C).shape == (1, 3, 16, 16)
    with pytest.raises(ValueError, match="res7"):
        PyTorchImageTranslator.from_architecture("res7", 16, device_type="cpu")


def test_companions_must_match_the_estimator(res6_translator):
    def translator(size=32, c_dim=5, clip=(-1.0, 1.0)):
        return PyTorchImageTranslator(build_model("cnet", image_size=size, width=4, c_dim=c_dim), (3, size, size),
                                      c_dim=c_dim, clip_values=clip, device_type="cpu")

    check_companions(res6_translator, [translator(), translator()])  # another architecture is fine
    check_companions(res6_translator, [])
    for models, match in ((["a model"], r"models\[0\] must be a PyTorchImageTranslator, got str"),
                          ([translator(), translator(c_dim=3)],
                           r"models\[1\] must have the estimator's c_dim 5, got 3"),
                          ([translator(size=16)], r"models\[0\] must have the estimator's input_shape"),
                          ([translator(clip=(0.0, 1.0))], r"models\[0\] must have the estimator's clip_values")):
        with pytest.raises(ValueError, match=match):
            check_companions(res6_translator, models, name="models")
