import pytest
import torch

from art_initiative.models import GENERATOR_NAMES, MODEL_NAMES, build_model, describe_models


@pytest.mark.parametrize("name", GENERATOR_NAMES)
@pytest.mark.parametrize("c_dim", [0, 5])
def test_generators_map_images_to_images_in_range(name, c_dim):
    torch.manual_seed(0)
    G = build_model(name, image_size=32, width=8, c_dim=c_dim)
    x = torch.rand(2, 3, 32, 32) * 2 - 1
    c = torch.tensor([[1, 0, 0, 1, 0], [0, 1, 0, 0, 1]], dtype=torch.float32) if c_dim else None
    y = G(x, c)
    assert y.shape == x.shape
    assert y.abs().max() <= 1.0
    if c_dim:  # the condition changes the output
        assert not torch.allclose(G(x, c), G(x, 1 - c))


def test_paper_scale_stargan_has_stargan_parameter_count():
    # StarGAN's released 128x128 generator (64 channels, 6 residual blocks, 5 attributes) has 8.43M parameters.
    G = build_model("res6", image_size=128, width=64, c_dim=5)
    assert sum(p.numel() for p in G.parameters()) == pytest.approx(8.43e6, rel=0.01)


def test_res9_has_three_more_blocks_than_res6():
    n6 = sum(p.numel() for p in build_model("res6", 32, 8).parameters())
    n9 = sum(p.numel() for p in build_model("res9", 32, 8).parameters())
    block = sum(p.numel() for p in build_model("res6", 32, 8).main[9].parameters())
    assert n9 - n6 == 3 * block


def test_unet_levels_follow_name_and_image_size():
    u128 = build_model("unet128", image_size=128, width=4)
    u256 = build_model("unet256", image_size=256, width=4)
    depth = lambda m: sum(1 for x in m.modules() if isinstance(x, torch.nn.Conv2d))  # noqa: E731
    assert depth(u128) == 7 and depth(u256) == 8
    assert depth(build_model("unet256", image_size=32, width=4)) == 5  # capped at log2(32)


def test_pg_unet_is_bounded_and_has_paper_widths():
    PG = build_model("pg_unet", image_size=128, width=64)
    widths = [blk[0].out_channels for blk in PG.down]
    assert widths == [64, 128, 256, 512, 1024]
    PG.eval()
    out = PG(torch.randn(2, 3, 128, 128) * 3)
    assert out.shape == (2, 3, 128, 128) and out.abs().max() <= 1


@pytest.mark.parametrize("size,width", [(32, 8), (128, 64)])
def test_critics_and_discriminators_shapes(size, width):
    x = torch.rand(2, 3, size, size)
    src, cls = build_model("stargan_disc", image_size=size, width=width, c_dim=5)(x)
    assert src.shape[:2] == (2, 1) and cls.shape == (2, 5)
    assert build_model("wgan_critic", image_size=size, width=width)(x).shape == (2,)
    assert build_model("patchgan", image_size=size, width=width)(torch.cat([x, x], 1)).shape[:2] == (2, 1)


def test_wgan_critic_is_seven_convs_and_one_dense_layer():
    critic = build_model("wgan_critic", image_size=128, width=64)
    kinds = [type(m).__name__ for m in critic.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    assert kinds == ["Conv2d"] * 7 + ["Linear"]


def test_every_model_is_described():
    assert set(describe_models()) == set(MODEL_NAMES)


@pytest.mark.parametrize("kwargs,match", [
    (dict(name="res7"), "name must be one of"),
    (dict(name="res6", image_size=48), "power of two"),
    (dict(name="res6", width=0), "width must be"),
    (dict(name="res6", c_dim=-1), "c_dim must be"),
])
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        build_model(**kwargs)


def test_instance_norm_unet_normalises_each_image_alone():
    """``norm="instance"`` (the paper's code's StarGAN U-Net): no BatchNorm, so an image's output does not depend
    on the batch around it, in train mode as in eval mode; BatchNorm's (pix2pix's default) does in train mode."""
    torch.manual_seed(0)
    x, c = torch.rand(4, 3, 32, 32) * 2 - 1, torch.randint(0, 2, (4, 5)).float()
    inst = build_model("unet128", image_size=32, width=4, c_dim=5, norm="instance").train()
    batch = build_model("unet128", image_size=32, width=4, c_dim=5).train()
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in inst.modules())
    assert any(isinstance(m, torch.nn.InstanceNorm2d) for m in inst.modules())
    torch.testing.assert_close(inst(x, c)[:1], inst(x[:1], c[:1]), atol=1e-5, rtol=1e-5)
    assert (batch(x, c)[:1] - batch(x[:1], c[:1])).abs().max() > 1e-3
    with pytest.raises(ValueError, match="norm must be one of"):
        build_model("unet128", image_size=32, width=4, norm="group")
