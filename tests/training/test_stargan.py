import numpy as np
import pytest
import torch

from art_initiative.data import SyntheticFaces
from art_initiative.training import load_stargan, train_stargan
from art_initiative.training.losses import attribute_loss, gradient_penalty


@pytest.fixture(scope="module")
def faces():
    return SyntheticFaces(48, 16, seed=0).arrays()


def test_gradient_penalty_by_hand():
    # critic(x) = sum(w * x): its gradient norm is ||w|| everywhere, so GP = (||w|| - 1)^2.
    w = torch.full((1, 2, 2, 2), 0.25)
    real, fake = torch.zeros(3, 2, 2, 2), torch.ones(3, 2, 2, 2)
    gp = gradient_penalty(lambda h: (h * w).flatten(1).sum(1), real, fake)
    assert gp.item() == pytest.approx((np.sqrt(8 * 0.25**2) - 1) ** 2)


def test_attribute_loss_is_summed_over_attributes():
    logits, target = torch.zeros(4, 5), torch.ones(4, 5)
    assert attribute_loss(logits, target).item() == pytest.approx(5 * np.log(2))


def test_tiny_stargan_lowers_its_losses(faces):
    x, y = faces
    history = []
    G = train_stargan(x, y, width=8, iterations=150, batch_size=16, lambda_id=10.0, g_lr=5e-4, d_lr=5e-4,
                      device_type="cpu", verbose=False, seed=0,
                      callback=lambda it, losses: history.append(dict(losses)))
    first = np.mean([h["d_cls"] for h in history[:10]])
    last = np.mean([h["d_cls"] for h in history[-10:]])
    assert last < 0.8 * first  # the attribute head learns the labels
    rec = [h["g_rec"] for h in history if "g_rec" in h]
    assert np.mean(rec[-5:]) < 0.8 * np.mean(rec[:5])  # the cycle reconstruction improves
    assert G.c_dim == 5 and G.predict(x[:2], conditions=y[:2]).shape == (2, 3, 16, 16)


def test_resume_repeats_an_uninterrupted_run(faces, tmp_path):
    x, y = faces
    kw = dict(width=4, batch_size=8, n_critic=2, device_type="cpu", verbose=False, seed=3)
    straight = train_stargan(x, y, iterations=6, checkpoint_path=tmp_path / "a.pt", **kw)
    train_stargan(x, y, iterations=3, checkpoint_path=tmp_path / "b.pt", **kw)
    resumed = train_stargan(x, y, iterations=6, checkpoint_path=tmp_path / "b.pt", **kw)
    c = np.tile(y[:1], (4, 1))
    np.testing.assert_allclose(resumed.predict(x[:4], conditions=c), straight.predict(x[:4], conditions=c),
                               atol=1e-5)
    loaded = load_stargan(tmp_path / "b.pt", device_type="cpu")
    np.testing.assert_array_equal(loaded.predict(x[:4], conditions=c), resumed.predict(x[:4], conditions=c))
    assert (tmp_path / "b.json").is_file()


def test_resume_refuses_another_config(faces, tmp_path):
    x, y = faces
    train_stargan(x, y, width=4, iterations=2, batch_size=8, device_type="cpu", verbose=False,
                  checkpoint_path=tmp_path / "c.pt")
    with pytest.raises(ValueError, match="width: stored 4 vs requested 8"):
        train_stargan(x, y, width=8, iterations=4, batch_size=8, device_type="cpu", verbose=False,
                      checkpoint_path=tmp_path / "c.pt")


def test_resume_refuses_a_checkpoint_longer_than_asked(faces, tmp_path):
    # A checkpoint of 4 iterations is not a 2-iteration model: no silent reuse of the longer run.
    x, y = faces
    train_stargan(x, y, width=4, iterations=4, batch_size=8, device_type="cpu", verbose=False,
                  checkpoint_path=tmp_path / "d.pt")
    with pytest.raises(ValueError, match="holds 4 iterations .* more than the 2 asked for"):
        train_stargan(x, y, width=4, iterations=2, batch_size=8, device_type="cpu", verbose=False,
                      checkpoint_path=tmp_path / "d.pt")


@pytest.mark.parametrize("labels,match", [
    (np.ones((3, 5)), "labels must have shape"),
    (np.full((48, 5), 0.5), "0/1"),
])
def test_bad_labels(faces, labels, match):
    with pytest.raises(ValueError, match=match):
        train_stargan(faces[0], labels, iterations=1, device_type="cpu", verbose=False)


def test_bad_arch(faces):
    with pytest.raises(ValueError, match="arch must be one of"):
        train_stargan(*faces, arch="vit", iterations=1, device_type="cpu", verbose=False)


@pytest.mark.parametrize("arch", ["res6", "unet128"])
def test_batched_passes_give_the_losses_of_separate_ones(arch):
    """D sees real and fake in one pass where no layer normalises over the batch: the losses are those of separate
    passes (and the generator's, with the identity term, are the recipe's)."""
    from art_initiative.models import build_model
    from art_initiative.training.stargan import (
        StarGANConfig,
        stargan_discriminator_loss,
        stargan_generator_loss,
        uses_batch_statistics,
    )

    torch.manual_seed(0)
    G = build_model(arch, image_size=16, width=4, c_dim=5).train()
    D = build_model("stargan_disc", image_size=16, width=4, c_dim=5)
    assert uses_batch_statistics(G) == (arch == "unet128") and not uses_batch_statistics(D)
    x, c_org = torch.rand(4, 3, 16, 16) * 2 - 1, torch.randint(0, 2, (4, 5)).float()
    c_trg = c_org.flip(0)
    cfg = StarGANConfig(lambda_id=10.0)
    g_loss, parts = stargan_generator_loss(G, D, x, c_org, c_trg, cfg)
    fake = G(x, c_trg)
    src, cls = D(fake)
    expected = (-src.mean() + attribute_loss(cls, c_trg) + 10 * (G(fake, c_org) - x).abs().mean()
                + 10 * (G(x, c_org) - x).abs().mean())
    assert g_loss.item() == pytest.approx(expected.item(), rel=1e-5)
    gen = torch.Generator().manual_seed(1)
    d_loss, d_parts = stargan_discriminator_loss(G, D, x, c_org, c_trg, cfg, gen)
    with torch.no_grad():
        fake = G(x, c_trg)
    (sr, cr), (sf, _) = D(x), D(fake)
    gp = gradient_penalty(lambda h: D(h)[0], x, fake, torch.Generator().manual_seed(1))
    expected = -sr.mean() + sf.mean() + attribute_loss(cr, c_org) + 10 * gp
    assert d_loss.item() == pytest.approx(expected.item(), rel=1e-5)


def test_fine_tuning_starts_from_the_given_checkpoint(faces, tmp_path):
    import json

    x, y = faces
    kw = dict(width=4, batch_size=8, n_critic=1, device_type="cpu", verbose=False)
    public = train_stargan(x, y, iterations=3, seed=1, checkpoint_path=tmp_path / "public.pt", **kw)
    # A step of size ~0 keeps the public weights: the fine-tuned model starts exactly there, not at random.
    tuned = train_stargan(x, y, iterations=1, seed=2, g_lr=1e-12, d_lr=1e-12, init_from=tmp_path / "public.pt",
                          checkpoint_path=tmp_path / "tuned.pt", **kw)
    fresh = train_stargan(x, y, iterations=1, seed=2, g_lr=1e-12, d_lr=1e-12, **kw)
    c = np.tile(y[:1], (4, 1))
    ref = public.predict(x[:4], conditions=c)
    np.testing.assert_allclose(tuned.predict(x[:4], conditions=c), ref, atol=1e-5)
    assert np.abs(fresh.predict(x[:4], conditions=c) - ref).max() > 1e-2
    state = json.loads((tmp_path / "tuned.json").read_text())["state"]
    assert state["extra"]["init_from"].endswith("public.pt")
    with pytest.raises(ValueError, match="init_from .* holds a StarGAN with"):
        train_stargan(x, y, iterations=1, init_from=tmp_path / "public.pt", **{**kw, "width": 8})


def test_stargan_unets_are_built_with_instance_norm_and_old_checkpoints_load_as_batchnorm(faces, tmp_path):
    """train_stargan builds a U-Net as the paper's code builds its unet_128 target (InstanceNorm, no affine); the
    setting is stored and checked, and a checkpoint written before it existed (no ``unet_norm``) is a BatchNorm
    U-Net."""
    import json

    from art_initiative.models import build_model
    from art_initiative.utils.checkpoint import load_checkpoint, save_checkpoint

    x, y = faces
    kw = dict(arch="unet128", width=4, batch_size=8, n_critic=1, device_type="cpu", verbose=False)
    G = train_stargan(x, y, iterations=1, checkpoint_path=tmp_path / "u.pt", **kw)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in G.model.modules())
    assert json.loads((tmp_path / "u.json").read_text())["config"]["unet_norm"] == "instance"
    c = np.tile(y[:1], (4, 1))
    np.testing.assert_allclose(load_stargan(tmp_path / "u.pt", "cpu").predict(x[:4], conditions=c),
                               G.predict(x[:4], conditions=c), atol=1e-6)
    # other architectures keep the field's default, so that their checkpoints of before (without it) resume
    train_stargan(x, y, iterations=1, checkpoint_path=tmp_path / "r.pt", **{**kw, "arch": "res6"})
    assert json.loads((tmp_path / "r.json").read_text())["config"]["unet_norm"] == "batch"
    bn = train_stargan(x, y, iterations=1, checkpoint_path=tmp_path / "b.pt", unet_norm="batch", **kw)
    old = load_checkpoint(tmp_path / "b.pt")
    del old["config"]["unet_norm"]
    modules = {k: build_model("unet128" if k == "G" else "stargan_disc", image_size=16, width=4, c_dim=y.shape[1])
               for k in ("G", "D")}
    for k, m in modules.items():
        m.load_state_dict(old["modules"][k])
    save_checkpoint(tmp_path / "old.pt", old["config"], modules, state=old["state"])
    loaded = load_stargan(tmp_path / "old.pt", "cpu")
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in loaded.model.modules())
    np.testing.assert_allclose(loaded.predict(x[:4], conditions=c), bn.predict(x[:4], conditions=c), atol=1e-6)
    with pytest.raises(ValueError, match="unet_norm must be one of"):
        train_stargan(x, y, iterations=1, unet_norm="group", **kw)
