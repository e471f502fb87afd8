import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from art_initiative.attacks import RuizDisruption, disruption_loss, jittered_reference

C = np.array([1, 0, 0, 1, 0], dtype=np.float32)


def reference_ifgsm(G, x, c, ref, eps, step, iters):
    """The baseline's update rule, written independently: x' <- clip(x + clip(x' + a sign(grad) - x, -eps, eps))."""
    model = G.model.eval()
    x_t = torch.from_numpy(x)
    c_t = torch.from_numpy(np.tile(c, (len(x), 1)))
    y_t = torch.from_numpy(ref)
    adv = x_t.clone()
    trajectory = []
    for _ in range(iters):
        adv.requires_grad_(True)
        loss = ((model(adv, c_t) - y_t) ** 2).mean(dim=(1, 2, 3)).sum()
        (g,) = torch.autograd.grad(loss, adv)
        adv = (adv.detach() + step * g.sign()).clamp(-1, 1)
        adv = (x_t + (adv - x_t).clamp(-eps, eps)).detach()
        trajectory.append(adv.numpy().copy())
    return trajectory


def test_steps_start_at_a_given_point_projected_onto_the_ball(res6_translator, images):
    x = np.clip(images, -0.9, 0.9)
    rng = np.random.default_rng(0)
    init = (x + rng.uniform(-0.1, 0.1, x.shape)).astype(np.float32)  # partly outside the 0.05 ball
    attack = RuizDisruption(res6_translator, method="ifgsm", eps=0.05, eps_step=0.01, max_iter=1, verbose=False)
    out = attack.generate(x, conditions=C, x_init=init)
    start = x + np.clip(init - x, -0.05, 0.05)
    ref = res6_translator.predict(x, conditions=np.tile(C, (len(x), 1)))  # no jitter: the gradient is not zero
    expected = reference_ifgsm_from(res6_translator, x, start, C, ref, 0.05, 0.01)
    np.testing.assert_allclose(out, expected, atol=1e-6)
    assert np.abs(out - start).max() <= 0.01 + 1e-6 and np.abs(out - x).max() <= 0.05 + 1e-6
    with pytest.raises(ValueError, match=r"x_init must have the shape of x"):
        attack.generate(x, conditions=C, x_init=init[:2])
    with pytest.raises(ValueError, match="x_init must have 4 dimensions"):
        attack.generate(x, conditions=C, x_init=init[0])


def reference_ifgsm_from(G, x, start, c, ref, eps, step):
    """One step of the baseline's update rule from ``start`` (written independently)."""
    x_t, adv = torch.from_numpy(x), torch.from_numpy(start).requires_grad_(True)
    c_t = torch.from_numpy(np.tile(c, (len(x), 1)))
    loss = ((G.model.eval()(adv, c_t) - torch.from_numpy(ref)) ** 2).mean(dim=(1, 2, 3)).sum()
    (g,) = torch.autograd.grad(loss, adv)
    adv = (adv.detach() + step * g.sign()).clamp(-1, 1)
    return (x_t + (adv - x_t).clamp(-eps, eps)).numpy()


def test_matches_an_independent_implementation_step_by_step(res6_translator, images):
    ref = jittered_reference(res6_translator, images, C, jitter=1e-3, seed=0)
    expected = reference_ifgsm(res6_translator, images, C, ref, 0.05, 0.01, 6)
    for k in range(1, 7):
        got = RuizDisruption(res6_translator, method="ifgsm", max_iter=k, verbose=False).generate(images, conditions=C)
        np.testing.assert_allclose(got, expected[k - 1], atol=1e-6, err_msg=f"step {k}")


def test_fgsm_is_one_full_step(res6_translator, images):
    ref = jittered_reference(res6_translator, images, C)
    expected = reference_ifgsm(res6_translator, images, C, ref, 0.05, 0.05, 1)[0]
    got = RuizDisruption(res6_translator, method="fgsm", verbose=False).generate(images, conditions=C)
    np.testing.assert_allclose(got, expected, atol=1e-6)
    assert np.abs(got - images).max() == pytest.approx(0.05, abs=1e-6)


def test_pgd_random_start_is_seeded(res6_translator, images):
    a = RuizDisruption(res6_translator, verbose=False, random_seed=1).generate(images, conditions=C)
    b = RuizDisruption(res6_translator, verbose=False, random_seed=1).generate(images, conditions=C)
    c = RuizDisruption(res6_translator, verbose=False, random_seed=2).generate(images, conditions=C)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("method", ["fgsm", "ifgsm", "pgd"])
def test_disrupts_more_than_noise(res6_translator, images, method):
    clean = res6_translator.predict(images, conditions=C)
    adv = RuizDisruption(res6_translator, method=method, verbose=False).generate(images, conditions=C)
    noise = np.clip(images + 0.05 * np.sign(np.random.default_rng(0).normal(size=images.shape)), -1, 1)
    moved = ((res6_translator.predict(adv, conditions=C) - clean) ** 2).mean()
    by_noise = ((res6_translator.predict(noise.astype(np.float32), conditions=C) - clean) ** 2).mean()
    assert moved > 2 * by_noise


def test_targeted_moves_towards_the_target(res6_translator, images):
    target = np.zeros_like(images)
    before = ((res6_translator.predict(images, conditions=C) - target) ** 2).mean()
    adv = RuizDisruption(res6_translator, method="ifgsm", targeted=True, verbose=False).generate(
        images, y=target, conditions=C)
    assert ((res6_translator.predict(adv, conditions=C) - target) ** 2).mean() < before
    with pytest.raises(ValueError, match="required when targeted"):
        RuizDisruption(res6_translator, targeted=True, verbose=False).generate(images, conditions=C)


@pytest.mark.parametrize("mode", ["joint", "iterative"])
def test_class_transferable_modes_disrupt_every_class(res6_translator, images, mode):
    classes = [C, 1 - C, np.array([0, 0, 1, 0, 1], np.float32)]
    adv = RuizDisruption(res6_translator, class_mode=mode, verbose=False).generate(images, conditions=classes)
    assert adv.shape == images.shape and np.abs(adv - images).max() <= 0.05 + 1e-6
    noise = np.clip(images + 0.05 * np.sign(np.random.default_rng(0).normal(size=images.shape)), -1, 1)
    for c in classes:
        clean = res6_translator.predict(images, conditions=c)
        moved = ((res6_translator.predict(adv, conditions=c) - clean) ** 2).mean()
        by_noise = ((res6_translator.predict(noise.astype(np.float32), conditions=c) - clean) ** 2).mean()
        assert moved > by_noise


def test_per_sample_conditions_and_k_by_n_array(res6_translator, images):
    per = np.stack([C, 1 - C, C, 1 - C])
    a = RuizDisruption(res6_translator, verbose=False, batch_size=3).generate(images, conditions=per)
    b = RuizDisruption(res6_translator, verbose=False, batch_size=3).generate(images, conditions=per[None])
    np.testing.assert_array_equal(a, b)


def test_blur_robust_variant(res6_translator, images):
    plain = RuizDisruption(res6_translator, method="ifgsm", verbose=False).generate(images, conditions=C)
    robust = RuizDisruption(res6_translator, method="ifgsm", blur_sigmas=(1.0, 2.0), blur_kernel=5,
                            verbose=False).generate(images, conditions=C)
    assert not np.array_equal(plain, robust) and np.abs(robust - images).max() <= 0.05 + 1e-6


def test_gaussian_blur():
    from art_initiative.preprocessing.transforms import gaussian_blur

    flat = torch.full((1, 3, 8, 8), 0.3)
    torch.testing.assert_close(gaussian_blur(flat, 2.0), flat)
    x = torch.rand(1, 3, 16, 16, requires_grad=True)
    gaussian_blur(x, 1.0).sum().backward()
    assert x.grad.abs().sum() > 0
    assert gaussian_blur(x, 1.0).std() < x.std()


def test_disruption_loss_by_hand():
    out, ref = torch.zeros(2, 1, 2, 2), torch.zeros(2, 1, 2, 2)
    out[0, 0, 0, 0] = 2.0
    torch.testing.assert_close(disruption_loss(out, ref), torch.tensor([1.0, 0.0]))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), eps=st.floats(0.001, 0.3), method=st.sampled_from(["fgsm", "ifgsm", "pgd"]),
       scale=st.floats(0.5, 1.0))
def test_never_leaves_the_eps_ball_or_the_range(res6_translator, seed, eps, method, scale):
    # The fixture is only read (never changed) by the attack, so sharing it between examples is safe.
    x = np.random.default_rng(seed).uniform(-scale, scale, (2, 3, 32, 32)).astype(np.float32)
    x[0, 0, 0, :4] = [-1.0, 1.0, -1.0, 1.0]  # pixels on the boundary of the range
    adv = RuizDisruption(res6_translator, method=method, eps=eps, eps_step=eps / 4, max_iter=3, random_seed=seed,
                         verbose=False).generate(x, conditions=C)
    assert np.abs(adv - x).max() <= eps + 1e-6
    assert adv.min() >= -1.0 and adv.max() <= 1.0


@pytest.mark.parametrize("kwargs,match", [
    (dict(eps=-0.1), "eps must be > 0"), (dict(eps=0), "eps must be > 0"), (dict(eps="0.05"), "eps must be a finite"),
    (dict(eps_step=0), "eps_step must be > 0"), (dict(max_iter=0), "max_iter must be an int"),
    (dict(max_iter=2.5), "max_iter must be an int"), (dict(method="cw"), "method must be one of"),
    (dict(class_mode="mean"), "class_mode"), (dict(batch_size=0), "batch_size"),
    (dict(blur_sigmas=()), "blur_sigmas"), (dict(blur_sigmas=(1.0, -1.0)), "blur_sigmas must be > 0"),
    (dict(blur_kernel=4), "odd"), (dict(reference_jitter=-1.0), "reference_jitter"), (dict(targeted=1), "targeted"),
])
def test_bad_parameters(res6_translator, kwargs, match):
    with pytest.raises(ValueError, match=match):
        RuizDisruption(res6_translator, **kwargs)


def test_bad_generate_inputs(res6_translator, images):
    attack = RuizDisruption(res6_translator, verbose=False)
    with pytest.raises(ValueError, match=r"shape \(N, 5\)"):
        attack.generate(images, conditions=np.ones(4, np.float32))
    with pytest.raises(ValueError, match="output shape"):
        attack.generate(images, y=images[:, :, :16], conditions=C)
    with pytest.raises(ValueError, match="3 channels"):
        attack.generate(images[:, :1], conditions=C)
    with pytest.raises(ValueError, match="at least one target class"):
        attack.generate(images, conditions=[])
    with pytest.raises(ValueError, match="conditions are required"):
        attack.generate(images)


def test_requires_an_image_translator():
    from art.estimators.classification import PyTorchClassifier

    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(12, 2))
    clf = PyTorchClassifier(net, torch.nn.CrossEntropyLoss(), input_shape=(3, 2, 2), nb_classes=2)
    with pytest.raises(Exception, match="PyTorchImageTranslator|estimator"):
        RuizDisruption(clf)


def _other_translator(arch: str = "cnet", c_dim: int = 5, size: int = 32, seed: int = 1):
    from art_initiative.estimators import PyTorchImageTranslator
    from art_initiative.models import build_model

    torch.manual_seed(seed)
    return PyTorchImageTranslator(build_model(arch, image_size=size, width=8, c_dim=c_dim), (3, size, size),
                                  c_dim=c_dim, device_type="cpu")


def test_an_ensemble_of_one_model_twice_is_the_model_alone(res6_translator, images):
    alone = RuizDisruption(res6_translator, verbose=False).generate(images, conditions=C)
    twice = RuizDisruption(res6_translator, surrogates=[res6_translator], verbose=False).generate(images, conditions=C)
    np.testing.assert_allclose(twice, alone, atol=1e-6)


def test_an_ensemble_moves_each_further_model_more_than_the_estimator_alone_does(res6_translator, images):
    other = _other_translator()
    alone = RuizDisruption(res6_translator, verbose=False).generate(images, conditions=C)
    other.model.train()
    ens = RuizDisruption(res6_translator, surrogates=[other], verbose=False).generate(images, conditions=C)
    assert other.model.training  # the surrogate's mode is given back
    assert np.abs(ens - images).max() <= 0.05 + 1e-6
    clean = other.predict(images, conditions=C)
    moved = [((other.predict(a, conditions=C) - clean) ** 2).mean() for a in (alone, ens)]
    assert moved[1] > 2 * moved[0]


@pytest.mark.parametrize("make, match", [
    (lambda: "a model", r"surrogates\[0\] must be a PyTorchImageTranslator, got str"),
    (lambda: _other_translator(c_dim=3), r"surrogates\[0\] must have the estimator's c_dim 5, got 3"),
    (lambda: _other_translator(size=16), r"surrogates\[0\] must have the estimator's input_shape"),
])
def test_bad_surrogates_are_refused_by_name(res6_translator, make, match):
    with pytest.raises(ValueError, match=match):
        RuizDisruption(res6_translator, surrogates=[make()])
    attack = RuizDisruption(res6_translator)
    with pytest.raises(ValueError, match=match):
        attack.set_params(surrogates=(make(),))
