import numpy as np
import pytest
import torch

from art_initiative.attacks import ErrorPoison
from art_initiative.attacks.unlearnable import error_maximizing_delta, error_minimizing_delta
from art_initiative.data import SyntheticTalkingFace
from art_initiative.estimators import PyTorchImageTranslator
from art_initiative.models import build_model

CLIP = (-1.0, 1.0)


@pytest.fixture(scope="module")
def video():
    x, z, _ = SyntheticTalkingFace(24, 16, seed=0).arrays()
    return x, z


@pytest.fixture
def surrogate():
    torch.manual_seed(0)
    return PyTorchImageTranslator(build_model("unet128", 16, 4, 0), (3, 16, 16), c_dim=0, device_type="cpu")


def _summed_l1(prediction, x, delta):
    return (prediction - (x + delta)).abs().sum(dim=0)  # per pixel, over the frames


@pytest.mark.parametrize("shared", [False, True])
def test_the_closed_forms_beat_every_other_noise_of_the_budget(shared):
    g = torch.Generator().manual_seed(0)
    x = torch.rand(6, 3, 8, 8, generator=g) * 1.6 - 0.8
    prediction = x + 0.1 * torch.randn(6, 3, 8, 8, generator=g)
    eps = 0.05
    best_min = error_minimizing_delta(prediction, x, eps, CLIP, shared=shared)
    best_max = error_maximizing_delta(prediction, x, eps, CLIP, shared=shared)
    for delta in (best_min, best_max):
        assert delta.abs().max() <= eps + 1e-6
        if shared:
            assert torch.allclose(delta, delta[:1].expand_as(delta), atol=1e-6)
    for _ in range(20):
        other = (torch.rand(1 if shared else 6, 3, 8, 8, generator=g) * 2 - 1) * eps
        other = other.expand_as(x)
        assert (_summed_l1(prediction, x, best_min) <= _summed_l1(prediction, x, other) + 1e-5).all()
        assert (_summed_l1(prediction, x, best_max) >= _summed_l1(prediction, x, other) - 1e-5).all()


def test_the_noise_keeps_frames_in_range():
    x = torch.full((2, 3, 4, 4), 0.99)
    prediction = torch.full((2, 3, 4, 4), -1.0)
    assert (x + error_maximizing_delta(prediction, x, 0.05, CLIP)).max() <= 1.0
    assert torch.allclose(error_minimizing_delta(prediction, x, 0.05, CLIP), torch.tensor(-0.05))


@pytest.mark.parametrize("objective", ["min", "max"])
def test_generate_poisons_within_the_budget_and_leaves_the_estimator_alone(surrogate, video, objective):
    x, z = video
    before = [p.detach().clone() for p in surrogate.model.parameters()]
    poison = ErrorPoison(surrogate, eps=0.03, objective=objective, rounds=2, train_steps=3, batch_size=4,
                         verbose=False)
    out = poison.generate(x, z)
    assert out.shape == x.shape and out.dtype == np.float32
    assert np.abs(out - x).max() <= 0.03 + 1e-6 and out.min() >= -1 and out.max() <= 1
    assert all(torch.equal(a, b) for a, b in zip(before, surrogate.model.parameters(), strict=True))
    assert len(poison.history) == 2
    last = poison.history[-1]
    if objective == "max":  # the full budget on (almost) every pixel
        assert np.mean(np.isclose(np.abs(out - x), 0.03, atol=1e-6)) > 0.95
        assert last["poisoned_loss"] > last["train_loss"]
    else:  # the frames moved towards what the surrogate forges
        assert np.mean(np.abs(out - x)) < 0.03


def test_the_error_minimising_poison_is_easier_to_fit_than_the_clean_frames(surrogate, video):
    x, z = video
    poison = ErrorPoison(surrogate, eps=0.05, rounds=1, train_steps=5, batch_size=8, verbose=False)
    out = poison.generate(x, z)
    clean_loss = ErrorPoison(surrogate, eps=0.05, objective="max", rounds=1, train_steps=5, batch_size=8,
                             verbose=False)
    clean_loss.generate(x, z)
    # Same seed, same batches: in round 1 both surrogates trained on the clean frames, so their losses agree; the
    # error-minimising noise then leaves less to fit than the clean frames, the error-maximising one more.
    assert poison.history[0]["train_loss"] == pytest.approx(clean_loss.history[0]["train_loss"])
    assert poison.history[0]["poisoned_loss"] < poison.history[0]["train_loss"] < clean_loss.history[0]["poisoned_loss"]
    assert np.abs(out - x).max() <= 0.05 + 1e-6


def test_the_shared_pattern_is_one_pattern_for_the_whole_video(surrogate, video):
    x, z = video
    out = ErrorPoison(surrogate, eps=0.02, objective="max", pattern="shared", rounds=1, train_steps=2,
                      batch_size=4, verbose=False).generate(x, z)
    delta = out - x
    inside = ((x > -0.97) & (x < 0.97)).all(axis=0)  # pixels where no frame's range clips the pattern
    assert inside.mean() > 0.5
    assert np.allclose(delta[:, inside], delta[:1, inside], atol=1e-6)
    assert np.allclose(np.abs(delta[:, inside]), 0.02, atol=1e-6)


def test_a_checkpointed_run_resumes_to_the_uninterrupted_result(surrogate, video, tmp_path):
    x, z = video
    settings = dict(eps=0.03, train_steps=3, batch_size=4, verbose=False)
    whole = ErrorPoison(surrogate, rounds=3, **settings).generate(x, z)
    path = tmp_path / "poison.pt"
    ErrorPoison(surrogate, rounds=2, **settings).generate(x, z, checkpoint_path=path)
    resumed = ErrorPoison(surrogate, rounds=3, **settings).generate(x, z, checkpoint_path=path)
    np.testing.assert_allclose(resumed, whole, atol=1e-5)
    with pytest.raises(ValueError, match="another config"):
        ErrorPoison(surrogate, rounds=3, **{**settings, "eps": 0.02}).generate(x, z, checkpoint_path=path)


def test_bad_settings_and_inputs_get_clear_errors(surrogate, video, res6_translator):
    x, z = video
    with pytest.raises(ValueError, match="objective"):
        ErrorPoison(surrogate, objective="mean")
    with pytest.raises(ValueError, match="pattern"):
        ErrorPoison(surrogate, pattern="class")
    with pytest.raises(ValueError, match="eps"):
        ErrorPoison(surrogate, eps=0)
    with pytest.raises(ValueError, match="rounds"):
        ErrorPoison(surrogate, rounds=0)
    with pytest.raises(ValueError, match="c_dim"):
        ErrorPoison(res6_translator)
    poison = ErrorPoison(surrogate, rounds=1, train_steps=1, verbose=False)
    with pytest.raises(ValueError, match="y must hold the frames' landmark sketches"):
        poison.generate(x)
    with pytest.raises(ValueError, match="one sketch per frame"):
        poison.generate(x, z[:-1])
    with pytest.raises(ValueError, match="x must"):
        poison.generate(x[:, :, :8, :8], z)
    poison.set_params(eps=0.04, pattern="shared")
    assert poison.eps == 0.04 and poison.pattern == "shared"
    with pytest.raises(ValueError, match="stop_loss"):
        poison.set_params(stop_loss=-1)


def test_the_error_minimising_run_stops_once_the_surrogate_fits_the_poisoned_frames(surrogate, video):
    x, z = video
    poison = ErrorPoison(surrogate, eps=0.05, rounds=3, train_steps=2, batch_size=4, stop_loss=1.0, verbose=False)
    poison.generate(x, z)
    assert poison.stopped_round == 1 and len(poison.history) == 1
    never = ErrorPoison(surrogate, eps=0.05, rounds=2, train_steps=2, batch_size=4, verbose=False)
    never.generate(x, z)
    assert never.stopped_round is None and len(never.history) == 2
