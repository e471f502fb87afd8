"""The temporary model TM of the reenactment defence and the influence loss of eq. 11."""

import pytest
import torch
from torch.func import functional_call

from art_initiative.attacks.initiative.losses import reenactment_influence_loss
from art_initiative.attacks.initiative.unrolled import adam_step_scale, unrolled_update
from art_initiative.models import build_model


@pytest.fixture
def forger():
    torch.manual_seed(0)
    return build_model("unet128", 16, 4, 0).train()


def test_tm_changes_its_weights_and_the_gradient_reaches_the_frames(forger):
    g = torch.Generator().manual_seed(1)
    z, x = torch.rand(4, 3, 16, 16, generator=g) * 2 - 1, torch.rand(4, 3, 16, 16, generator=g) * 2 - 1
    before = {n: p.detach().clone() for n, p in forger.named_parameters()}
    buffers_before = {n: b.clone() for n, b in forger.named_buffers()}
    delta = torch.zeros_like(x, requires_grad=True)
    params, buffers = unrolled_update(forger, z, x + delta, lr=0.1, steps=2)
    assert any(not torch.equal(params[n].detach(), before[n]) for n in before)  # TM moved
    for n, p in forger.named_parameters():  # SM itself untouched
        assert torch.equal(p.detach(), before[n])
    for n, b in forger.named_buffers():
        assert torch.equal(b, buffers_before[n])
    infected = functional_call(forger, (params, buffers), (z,))
    loss = reenactment_influence_loss(forger(z), infected, x, torch.ones(4, 1, 16, 16))
    (grad,) = torch.autograd.grad(loss, delta)
    assert torch.isfinite(grad).all() and grad.abs().sum() > 0


def test_adam_scale_before_and_after_a_step(forger):
    opt = torch.optim.Adam(forger.parameters(), 1e-3)
    assert adam_step_scale(forger, opt) is None
    forger(torch.zeros(2, 3, 16, 16)).mean().backward()
    opt.step()
    scale = adam_step_scale(forger, opt)
    assert set(scale) == {n for n, _ in forger.named_parameters()}
    assert all(torch.isfinite(s).all() and (s > 0).all() for s in scale.values())


def test_unrolled_update_bad_settings(forger):
    z = torch.zeros(1, 3, 16, 16)
    with pytest.raises(ValueError, match="steps"):
        unrolled_update(forger, z, z, lr=0.1, steps=0)
    with pytest.raises(ValueError, match="lr"):
        unrolled_update(forger, z, z, lr=0.0)


def test_reenactment_influence_loss_eq11():
    x = torch.zeros(1, 1, 2, 2)
    sm_out = torch.full((1, 1, 2, 2), 0.1)        # |SM - x| = 0.1 everywhere
    infected = torch.tensor([[[[0.5, 0.5], [0.3, 0.3]]]])
    mask = torch.tensor([[[[1.0, 0.01], [1.0, 0.01]]]])
    expected = (0.1 + 0.001 + 0.1 + 0.001) / 4 - (0.5 + 0.005 + 0.3 + 0.003) / 4
    assert reenactment_influence_loss(sm_out, infected, x, mask).item() == pytest.approx(expected)
