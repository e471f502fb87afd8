"""Each loss of the initiative defence against a hand computation on tiny tensors."""

import numpy as np
import pytest
import torch

from art_initiative.attacks.initiative.losses import (
    basic_loss,
    critic_loss,
    cycle_loss,
    domain_loss,
    domain_weights,
    forgery_distance,
    image_distance,
    influence_loss,
    pg_adversarial_loss,
    pg_loss,
)


def sm(x, c):
    """A tiny analytic 'translator': adds the first attribute as brightness and scales by the second."""
    return x * (1 + c[:, 1].view(-1, 1, 1, 1)) + c[:, 0].view(-1, 1, 1, 1)


def d_a(y):
    """A tiny analytic discriminator: realness = mean pixel; attribute logits = (mean, -mean)."""
    m = y.flatten(1).mean(1)
    return m.view(-1, 1, 1, 1), torch.stack([m, -m], 1)


X = torch.tensor([[[[0.1, -0.2], [0.3, 0.0]]]])          # (1, 1, 2, 2)
XA = X + torch.tensor([[[[0.05, -0.05], [0.05, 0.05]]]])
C_ORG = torch.tensor([[0.0, 0.0]])
TARGETS = [torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, 1.0]])]


def test_domain_weights_eq8():
    # |SM(x, c1) - x| = 1 everywhere; |SM(x, c2) - x| = |x| -> mean 0.15. mu = (1, 0.15) / 1.15.
    mu = domain_weights(X, [sm(X, c) for c in TARGETS])
    np.testing.assert_allclose(mu.numpy(), [1 / 1.15, 0.15 / 1.15], rtol=1e-6)


def test_basic_loss_eq7():
    mu = torch.tensor([0.25, 0.75])
    # c1 adds a constant: difference = |x' - x| = 0.05; c2 doubles: difference = 2 * 0.05 = 0.1.
    clean, infected = [sm(X, c) for c in TARGETS], [sm(XA, c) for c in TARGETS]
    assert basic_loss(clean, infected, mu).item() == pytest.approx(-(0.25 * 0.05 + 0.75 * 0.1))


def test_basic_loss_l2_is_the_mean_squared_error():
    mu = torch.tensor([0.25, 0.75])
    clean, infected = [sm(X, c) for c in TARGETS], [sm(XA, c) for c in TARGETS]
    # the same differences as above, squared: 0.05 ** 2 and 0.1 ** 2 at every pixel.
    assert basic_loss(clean, infected, mu, "l2").item() == pytest.approx(-(0.25 * 0.05 ** 2 + 0.75 * 0.1 ** 2))
    cycled = [sm(sm(XA, c), C_ORG) for c in TARGETS]
    expected = -(0.5 * 1.0 + 0.5 * (XA ** 2).mean().item())
    assert cycle_loss(XA, cycled, torch.tensor([0.5, 0.5]), "l2").item() == pytest.approx(expected, rel=1e-6)
    loss, parts = influence_loss(sm, d_a, X, XA, C_ORG, TARGETS, distance="l2")
    assert parts["bs"] == pytest.approx(basic_loss(clean, infected, domain_weights(X, clean), "l2").item(), rel=1e-6)


def test_image_distance_rejects_an_unknown_name():
    with pytest.raises(ValueError, match="distance must be one of .*got 'linf'"):
        image_distance(X, XA, "linf")


def test_cycle_loss_eq9():
    mu = torch.tensor([0.5, 0.5])
    # SM(SM(x', c1), c_org) = x' + 1 -> distance 1; SM(SM(x', c2), c_org) = 2 x' -> distance mean|x'|.
    mean_abs = XA.abs().mean().item()
    cycled = [sm(sm(XA, c), C_ORG) for c in TARGETS]
    assert cycle_loss(XA, cycled, mu).item() == pytest.approx(-(0.5 * 1 + 0.5 * mean_abs))


def test_domain_loss_eq10():
    total = 0.0
    for c in TARGETS:
        m = sm(XA, c).mean().item()
        logits, inverse = np.array([m, -m]), 1 - c.numpy()[0]
        bce = -(inverse * np.log(1 / (1 + np.exp(-logits))) + (1 - inverse) * np.log(1 - 1 / (1 + np.exp(-logits))))
        total += bce.sum() + m
    infected = [sm(XA, c) for c in TARGETS]
    assert domain_loss(d_a, infected, TARGETS).item() == pytest.approx(total / 2, rel=1e-5)


def test_influence_loss_eq6_weights():
    loss, parts = influence_loss(sm, d_a, X, XA, C_ORG, TARGETS, lambda_bs=10, lambda_cyc=2.5, lambda_dom=1)
    assert loss.item() == pytest.approx(10 * parts["bs"] + 2.5 * parts["cyc"] + parts["dom"], rel=1e-5)
    # The domains go through SM and D_A as one batch: the terms equal the per-domain computation.
    clean, infected = [sm(X, c) for c in TARGETS], [sm(XA, c) for c in TARGETS]
    mu = domain_weights(X, clean)
    assert parts["bs"] == pytest.approx(basic_loss(clean, infected, mu).item(), rel=1e-6)
    assert parts["cyc"] == pytest.approx(cycle_loss(XA, [sm(y, C_ORG) for y in infected], mu).item(), rel=1e-6)
    assert parts["dom"] == pytest.approx(domain_loss(d_a, infected, TARGETS).item(), rel=1e-6)


def test_influence_loss_skips_terms_of_weight_zero():
    calls = []

    def counting_sm(x, c):
        calls.append(x.shape[0])
        return sm(x, c)

    def no_d_a(y):
        raise AssertionError("D_A must not run when lambda_dom is 0")

    loss, parts = influence_loss(counting_sm, no_d_a, X, XA, C_ORG, TARGETS, lambda_bs=10, lambda_cyc=0, lambda_dom=0)
    assert len(calls) == 2  # clean and infected forgeries; no cycle pass
    assert np.isnan(parts["cyc"]) and np.isnan(parts["dom"])
    assert loss.item() == pytest.approx(10 * parts["bs"], rel=1e-6)
    full, _ = influence_loss(sm, d_a, X, XA, C_ORG, TARGETS, lambda_bs=10, lambda_cyc=2.5, lambda_dom=0)
    assert full.item() != pytest.approx(loss.item())  # the cycle term counts when its weight is not 0


def test_critic_and_pg_adversarial_eq5():
    w = torch.tensor(2.0)
    critic = lambda h: w * h.flatten(1).sum(1)  # noqa: E731 - gradient norm 2 * sqrt(4) = 4 everywhere
    expected = -(critic(X).mean() - critic(XA).mean()).item() + 10 * (4 - 1) ** 2
    assert critic_loss(critic, X, XA, lambda_gp=10).item() == pytest.approx(expected, rel=1e-5)
    assert pg_adversarial_loss(critic, XA).item() == pytest.approx(-critic(XA).mean().item())


def test_pg_loss_eq4_and_eq12():
    infl, adv, prev = torch.tensor(2.0), torch.tensor(3.0), torch.tensor(5.0)
    assert pg_loss(infl, adv, 0.01).item() == pytest.approx(2.03)
    assert pg_loss(infl, adv, 0.01, prev).item() == pytest.approx(7.03)
    assert pg_loss(infl, None, 0.0, prev).item() == pytest.approx(7.0)  # lambda_b = 0: no critic needed
    with pytest.raises(ValueError, match="adversarial .* required with lambda_b=0.01"):
        pg_loss(infl, None, 0.01)


def test_forgery_distance():
    # c1 forgeries differ by x' - x; c2 forgeries by 2 (x' - x): MSE 0.0025 and 0.01.
    assert forgery_distance(sm, X, XA, TARGETS).item() == pytest.approx((0.0025 + 0.01) / 2, rel=1e-5)
