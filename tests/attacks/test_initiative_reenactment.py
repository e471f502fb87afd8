import numpy as np
import pytest
import torch

from art_initiative.attacks import InitiativeDefense, InitiativeDefenseReenactment
from art_initiative.attacks.initiative.reenactment_training import pg_step
from art_initiative.data import SyntheticTalkingFace
from art_initiative.data.masks import face_mask
from art_initiative.estimators import PyTorchImageTranslator
from art_initiative.models import build_model


@pytest.fixture(scope="module")
def video():
    return SyntheticTalkingFace(24, 16, seed=0).arrays()


@pytest.fixture
def template():
    torch.manual_seed(0)
    return PyTorchImageTranslator(build_model("unet128", 16, 4, 0), (3, 16, 16), c_dim=0, device_type="cpu")


def test_pg_step_gets_a_gradient_through_the_temporary_model(template, video):
    x, z, lm = video
    defence = InitiativeDefenseReenactment(template, profile="tiny", verbose=False, tm_lr=0.05)
    nets = defence._networks()
    xb, zb = torch.from_numpy(x[:4]), torch.from_numpy(z[:4])
    mask = torch.from_numpy(face_mask(lm[:4], 16))
    sm_before = [p.detach().clone() for p in nets.sm.parameters()]
    pg_before = [p.detach().clone() for p in nets.pg.parameters()]
    nets.pg.train()
    losses = pg_step(nets, xb, zb, mask, defence.config, (-1.0, 1.0))
    grads = [p.grad for p in nets.pg.parameters() if p.grad is not None]
    assert grads and all(torch.isfinite(g).all() for g in grads) and sum(g.abs().sum() for g in grads) > 0
    assert any(not torch.equal(a, b.detach()) for a, b in zip(pg_before, nets.pg.parameters(), strict=True))
    assert all(torch.equal(a, b.detach()) for a, b in zip(sm_before, nets.sm.parameters(), strict=True))
    assert np.isfinite(losses["influence"]) and losses["linf"] <= 0.02 + 1e-6


def test_with_eot_the_temporary_model_trains_on_transformed_frames_and_pg_still_gets_a_gradient(template, video):
    from dataclasses import replace

    x, z, lm = video
    defence = InitiativeDefenseReenactment(template, profile="tiny", verbose=False, tm_lr=0.05, eot="jpeg")
    xb, zb = torch.from_numpy(x[:4]), torch.from_numpy(z[:4])
    mask = torch.from_numpy(face_mask(lm[:4], 16))
    seed = next(s for s in range(20) if np.random.default_rng(s).integers(2) == 0)  # the draw picks JPEG
    influence = {}
    for eot in ("jpeg", ""):
        torch.manual_seed(0)
        nets = InitiativeDefenseReenactment(template, profile="tiny", verbose=False, tm_lr=0.05)._networks()
        nets.pg.train()
        influence[eot] = pg_step(nets, xb, zb, mask, replace(defence.config, eot=eot), (-1.0, 1.0),
                                 np.random.default_rng(seed))["influence"]
        grads = [p.grad for p in nets.pg.parameters() if p.grad is not None]
        assert grads and all(torch.isfinite(g).all() for g in grads) and sum(g.abs().sum() for g in grads) > 0
    assert influence["jpeg"] != pytest.approx(influence[""])


def test_with_lambda_b_zero_the_critic_is_not_trained(template, video):
    x, z, lm = video
    defence = InitiativeDefenseReenactment(template, profile="tiny", verbose=False, iterations=2, lambda_b=0.0)
    critic = [p.detach().clone() for p in defence._networks().critic.parameters()]
    nets = []
    original = defence._networks
    defence._networks = lambda: nets.append(original()) or nets[-1]
    defence.fit(x, z, lm)
    assert all(torch.equal(a, b) for a, b in zip(critic, nets[0].critic.parameters(), strict=True))
    steps = [h for h in defence.history if "pg" in h]
    assert steps and all(np.isnan(h["pg_adv"]) and "critic" not in h for h in steps)


def test_fit_generate_save_load(template, video, tmp_path):
    x, z, lm = video
    defence = InitiativeDefenseReenactment(template, profile="tiny", verbose=False, sm_pretrain_iterations=2)
    defence.fit(x, z, lm, checkpoint_path=tmp_path / "train.pt")
    assert len(defence.history) == 8 and "sm_g_l1" in defence.history[0] and "influence" in defence.history[-1]
    assert defence.best["best_iteration"] > 2
    out = defence.generate(x)
    assert out.shape == x.shape and np.abs(out - x).max() <= 0.02 + 1e-6 and np.abs(out - x).max() > 0
    # the shared pattern: the sign of PG's mean perturbation, at the full budget, the same on every frame
    shared = defence.generate(x, pattern="shared")
    expected = np.where((out - x).mean(axis=0) < 0, -1.0, 1.0)
    inside = (np.abs(x) < 0.97).all(axis=0)  # pixels that the clip to [-1, 1] cannot reach
    for frame, clean in zip(shared, x, strict=True):
        np.testing.assert_allclose((frame - clean)[inside], 0.02 * expected[inside], atol=1e-6)
    defence.set_params(pattern="shared")
    np.testing.assert_array_equal(defence.generate(x), shared)
    with pytest.raises(ValueError, match="pattern must be one of"):
        defence.set_params(pattern="video")
    with pytest.raises(ValueError, match="pattern must be one of"):
        defence.generate(x, pattern="frame")
    defence.pattern = "per_frame"
    defence.save(tmp_path / "d.pt")
    loaded = InitiativeDefenseReenactment.load(tmp_path / "d.pt", template, verbose=False)
    np.testing.assert_array_equal(loaded.generate(x[:4]), out[:4])
    assert loaded.config.task == "reenactment" and loaded.eps == 0.02
    attr = PyTorchImageTranslator(build_model("res6", 16, 4, 5), (3, 16, 16), c_dim=5, device_type="cpu")
    with pytest.raises(ValueError, match="holds a defence for 'reenactment'"):
        InitiativeDefense.load(tmp_path / "d.pt", attr)


def test_resume_repeats_an_uninterrupted_run(template, video, tmp_path):
    x, z, lm = video
    kw = dict(profile="tiny", verbose=False, eval_every=2)  # the stop at 2 is an evaluation point of both runs
    full = InitiativeDefenseReenactment(template, iterations=4, **kw).fit(x, z, lm, checkpoint_path=tmp_path / "a.pt")
    InitiativeDefenseReenactment(template, iterations=2, **kw).fit(x, z, lm, checkpoint_path=tmp_path / "b.pt")
    resumed = InitiativeDefenseReenactment(template, iterations=4, **kw).fit(x, z, lm,
                                                                            checkpoint_path=tmp_path / "b.pt")
    np.testing.assert_allclose(resumed.generate(x[:4]), full.generate(x[:4]), atol=1e-6)


def test_a_resumed_run_may_add_the_learning_rate_decay(template, video, tmp_path):
    # The schedule may change on resume, as the length may: 2 constant iterations, then resumed to 4 with the decay
    # from the 3rd, is the run that decayed from the start; and the decay changes what PG learns.
    x, z, lm = video
    kw = dict(profile="tiny", verbose=False, eval_every=2, sm_pretrain_iterations=0)
    decayed = InitiativeDefenseReenactment(template, iterations=4, lr_decay_start=2, **kw).fit(
        x, z, lm, checkpoint_path=tmp_path / "a.pt")
    InitiativeDefenseReenactment(template, iterations=2, **kw).fit(x, z, lm, checkpoint_path=tmp_path / "b.pt")
    resumed = InitiativeDefenseReenactment(template, iterations=4, lr_decay_start=2, **kw).fit(
        x, z, lm, checkpoint_path=tmp_path / "b.pt")
    np.testing.assert_allclose(resumed.generate(x[:4]), decayed.generate(x[:4]), atol=1e-6)
    assert [h["lr_factor"] for h in decayed.history] == [1.0, 1.0, 2 / 3, 1 / 3]
    # A run that already trained past the new decay's start cannot take it, nor a finished decayed run more
    # iterations: the rates of its past iterations would not be the new schedule's.
    InitiativeDefenseReenactment(template, iterations=2, **kw).fit(x, z, lm, checkpoint_path=tmp_path / "c.pt")
    with pytest.raises(ValueError, match="would have trained iteration 1 and later at other learning rates"):
        InitiativeDefenseReenactment(template, iterations=4, lr_decay_start=1, **kw).fit(
            x, z, lm, checkpoint_path=tmp_path / "c.pt")
    with pytest.raises(ValueError, match="lr_decay_start=2 of iterations=4; lr_decay_start=2 of iterations=6"):
        InitiativeDefenseReenactment(template, iterations=6, lr_decay_start=2, **kw).fit(
            x, z, lm, checkpoint_path=tmp_path / "a.pt")
    constant = InitiativeDefenseReenactment(template, iterations=4, **kw).fit(x, z, lm)
    assert constant.history[1]["pg"] == decayed.history[1]["pg"]  # the same until the first smaller steps
    assert constant.history[2]["pg"] != decayed.history[2]["pg"]  # (the SM's in iteration 3 moves PG's loss)


def test_bad_inputs(template, video):
    x, z, lm = video
    cond = PyTorchImageTranslator(build_model("res6", 16, 4, 5), (3, 16, 16), c_dim=5, device_type="cpu")
    with pytest.raises(ValueError, match="c_dim 0"):
        InitiativeDefenseReenactment(cond, profile="tiny")
    with pytest.raises(ValueError, match="profile must be one of"):
        InitiativeDefenseReenactment(template, profile="huge")
    defence = InitiativeDefenseReenactment(template, profile="tiny", verbose=False)
    with pytest.raises(ValueError, match="one sketch per frame"):
        defence.fit(x, z[:5], lm)
    with pytest.raises(ValueError, match="landmarks must have shape"):
        defence.fit(x, z, lm[:, :10])
    with pytest.raises(ValueError, match="n_val"):
        defence.fit(x, z, lm, n_val=0)
