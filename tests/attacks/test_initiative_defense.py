import numpy as np
import pytest
import torch

from art_initiative.attacks import InitiativeConfig, InitiativeDefense
from art_initiative.attacks.initiative import make_config
from art_initiative.data import SyntheticFaces
from art_initiative.defences.preprocessor import InitiativePreprocessor
from art_initiative.estimators import PyTorchImageTranslator
from art_initiative.models import build_model


@pytest.fixture(scope="module")
def faces():
    return SyntheticFaces(48, 16, seed=0).arrays()


@pytest.fixture
def template():
    torch.manual_seed(0)
    return PyTorchImageTranslator(build_model("res6", 16, 4, 5), (3, 16, 16), c_dim=5, device_type="cpu")


def test_surrogate_starts_from_the_estimators_weights_or_fresh_ones(template, faces):
    own = InitiativeDefense(template, profile="tiny", verbose=False)._networks()
    fresh = InitiativeDefense(template, profile="tiny", verbose=False, sm_init="fresh")._networks()
    for a, c in zip(own.sm.parameters(), template.model.parameters(), strict=True):
        assert torch.equal(a, c) and a is not c  # a copy: training the SM leaves the user's model alone
    assert any(not torch.equal(b, c) for b, c in zip(fresh.sm.parameters(), template.model.parameters(),
                                                       strict=True))
    with pytest.raises(ValueError, match="sm_init must be one of"):
        InitiativeDefense(template, profile="tiny", sm_init="random")


def _capture_networks(defence: InitiativeDefense) -> list:
    """Make ``defence`` keep the networks of its next training run in the returned list."""
    kept = []
    original = defence._networks

    def networks():
        nets = original()
        kept.append(nets)
        return nets

    defence._networks = networks
    return kept


@pytest.mark.parametrize("snapshot", ["iteration", "update"])
def test_eq12_previous_surrogate_is_the_one_of_the_last_iteration_or_update(template, faces, snapshot):
    x, y = faces
    # tiny: n_critic 2, so with 7 iterations the SM's last generator step is at iteration 5, not at 6.
    defence = InitiativeDefense(template, profile="tiny", verbose=False, iterations=7, snapshot=snapshot)
    kept = _capture_networks(defence)
    states = {}

    def record(it, losses):
        nets = kept[0]
        states[it] = ({k: v.clone() for k, v in nets.sm.state_dict().items()},
                      {k: v.clone() for k, v in nets.d_a.state_dict().items()})

    defence.fit(x, y, callback=record)
    nets = kept[0]
    assert all("influence_prev" in h for h in defence.history)

    def same(module, state):
        return all(torch.equal(v, state[k]) for k, v in module.state_dict().items())

    if snapshot == "iteration":  # SM and D_A as the last iteration began (after iteration 5)
        assert same(nets.sm_prev, states[5][0]) and same(nets.d_a_prev, states[5][1])
        assert same(nets.sm, states[5][0]) and not same(nets.d_a, states[5][1])
    else:  # the SM before its last generator step (after iteration 4), which differs from the current one
        assert same(nets.sm_prev, states[4][0]) and not same(nets.sm, states[4][0])


def test_without_alternating_training_the_influence_loss_counts_once(template, faces):
    x, y = faces
    defence = InitiativeDefense(template, profile="tiny", verbose=False, iterations=3, alternating=False,
                                sm_pretrain_iterations=2, enhancement=True)
    defence.fit(x, y)
    steps = [h for h in defence.history if "pg" in h]
    assert len(steps) == 3 and not any("influence_prev" in h for h in steps)
    for h in steps:  # eq. 4 exactly: L_A->B + lambda L_B
        assert h["pg"] == pytest.approx(h["influence"] + defence.config.lambda_b * h["pg_adv"], rel=1e-5, abs=1e-5)


def test_with_lambda_b_zero_the_critic_is_neither_trained_nor_asked(template, faces):
    x, y = faces
    defence = InitiativeDefense(template, profile="tiny", verbose=False, iterations=3, lambda_b=0.0)
    kept = _capture_networks(defence)
    defence.fit(x, y)
    nets = kept[0]
    fresh = InitiativeDefense(template, profile="tiny", verbose=False, iterations=3, lambda_b=0.0)._networks()
    assert all(torch.equal(a, b) for a, b in zip(nets.critic.state_dict().values(),
                                                 fresh.critic.state_dict().values(), strict=True))
    steps = [h for h in defence.history if "pg" in h]
    assert len(steps) == 3 and not any("critic" in h for h in steps)
    assert all(np.isnan(h["pg_adv"]) and h["pg"] == pytest.approx(h["influence"] + h["influence_prev"], rel=1e-5)
               for h in steps)
    with_critic = InitiativeDefense(template, profile="tiny", verbose=False, iterations=3).fit(x, y)
    assert all("critic" in h and np.isfinite(h["pg_adv"]) for h in with_critic.history if "pg" in h)


def test_set_params_changes_every_attack_param(template, faces):
    x, y = faces
    defence = InitiativeDefense(template, profile="tiny", verbose=False, iterations=2).fit(x, y)
    defence.set_params(eps=0.02, batch_size=7, verbose=False)
    assert defence.eps == defence.config.eps == 0.02 and defence.batch_size == 7
    assert np.abs(defence.generate(x) - x).max() <= 0.02 + 1e-6
    with pytest.raises(ValueError, match="eps must be a number in"):
        defence.set_params(eps=1.5)
    with pytest.raises(ValueError, match="batch_size"):
        defence.set_params(batch_size=0, eps=0.03)
    assert (defence.eps, defence.batch_size) == (0.02, 7)  # a refused change leaves nothing behind
    assert set(defence.attack_params) >= {"eps", "batch_size", "verbose", "saturate"}
    with pytest.raises(ValueError, match="saturate must be a bool"):
        defence.set_params(saturate="yes")


def test_saturated_protection_is_the_pgs_direction_at_the_full_budget(template, faces):
    x, y = faces
    defence = InitiativeDefense(template, profile="tiny", verbose=False, iterations=2).fit(x, y)
    x = np.clip(x, -0.9, 0.9)  # no pixel where the clip to [-1, 1] would cut the step
    plain, full = defence.generate(x) - x, defence.generate(x, saturate=True) - x
    np.testing.assert_allclose(np.abs(full), defence.eps, atol=1e-6)
    moved = np.abs(plain) > 1e-6
    assert moved.mean() > 0.99 and np.array_equal(np.sign(full[moved]), np.sign(plain[moved]))
    assert np.abs(plain).mean() < defence.eps  # the paper's protection does not use the whole budget everywhere
    defence.set_params(saturate=True)
    np.testing.assert_allclose(defence.generate(x) - x, full, atol=1e-6)
    pre = defence.to_preprocessor()
    assert pre.saturate
    np.testing.assert_allclose(pre(x)[0] - x, full, atol=1e-6)
    with pytest.raises(ValueError, match="saturate must be a bool"):
        defence.generate(x, saturate=1)


def test_refinement_is_one_signed_step_on_the_surrogate_from_pgs_output(template, faces):
    from art_initiative.attacks.initiative.refine import edit_requests
    from art_initiative.data import target_domains
    from art_initiative.data.synthetic import PAPER_ATTRIBUTES

    x, y = faces
    x, y = x[:12], y[:12]
    defence = InitiativeDefense(template, profile="tiny", verbose=False, iterations=2).fit(*faces)
    eps = defence.eps
    plain = defence.generate(x)
    np.testing.assert_array_equal(defence.generate(x, refine_steps=0), plain)
    refined = defence.generate(x, y=y, refine_steps=1)
    # by hand: from PG's output, one step of size eps up the summed MSE to the clean forgeries, projected
    model = template.model.eval()
    requests = [torch.from_numpy(c) for c in target_domains(y, PAPER_ATTRIBUTES)]
    x_t, start = torch.from_numpy(x), torch.from_numpy(plain).requires_grad_(True)
    with torch.no_grad():
        clean = [model(x_t, c) for c in requests]
    loss = sum(((model(start, c) - ref) ** 2).mean(dim=(1, 2, 3)).sum() for c, ref in zip(requests, clean, strict=True))
    (grad,) = torch.autograd.grad(loss, start)
    expected = x_t + ((start.detach() + eps * grad.sign()).clamp(-1, 1) - x_t).clamp(-eps, eps)
    np.testing.assert_allclose(refined, expected.numpy(), atol=1e-6)
    assert np.abs(refined - x).max() <= eps + 1e-6 and not np.allclose(refined, plain)

    def moved(protected):  # the surrogate's forgery MSE, over the requests
        with torch.no_grad():
            p = torch.from_numpy(protected)
            return float(sum(((model(p, c) - ref) ** 2).mean() for c, ref in zip(requests, clean, strict=True)))

    assert moved(refined) > 1.5 * moved(plain)
    # the setting and its checks; without labels each attribute alone is requested
    defence.set_params(refine_steps=1)
    np.testing.assert_allclose(defence.generate(x, y=y), refined, atol=1e-6)
    assert [c[0].tolist() for c in edit_requests(None, PAPER_ATTRIBUTES, 3)] == np.eye(5).tolist()
    assert not np.allclose(defence.generate(x), refined)
    with pytest.raises(ValueError, match=r"y \(the images' own attributes\) must be 0/1 of shape \(12, 5\)"):
        defence.generate(x, y=y[:5])
    with pytest.raises(ValueError, match="refine_steps must be an int >= 0"):
        defence.set_params(refine_steps=-1)
    with pytest.raises(ValueError, match="refine_step_size must be None or a number"):
        defence.set_params(refine_step_size=0.0)
    assert (defence.refine_steps, defence.refine_step_size) == (1, None)
    assert {"refine_steps", "refine_step_size"} <= set(defence.attack_params)


def test_refinement_with_fewer_requests_per_step_takes_them_in_turn(template, faces):
    from art_initiative.attacks.initiative.refine import rotated_requests
    from art_initiative.data import target_domains
    from art_initiative.data.synthetic import PAPER_ATTRIBUTES

    x, y = faces
    x, y = x[:12], y[:12]
    defence = InitiativeDefense(template, profile="tiny", verbose=False, iterations=2).fit(*faces)
    eps, model = defence.eps, template.model.eval()
    requests = target_domains(y, PAPER_ATTRIBUTES)
    # face i takes request (i + step * m + j) mod 5: every face a different one, the next one at the next step
    first, second = rotated_requests(requests, 0, 1)[0], rotated_requests(requests, 1, 1)[0]
    for i in range(12):
        np.testing.assert_array_equal(first[i], requests[i % 5][i])
        np.testing.assert_array_equal(second[i], requests[(i + 1) % 5][i])
    pair = rotated_requests(requests, 1, 2)
    np.testing.assert_array_equal(pair[1][3], requests[(3 + 2 + 1) % 5][3])

    def by_hand(start: np.ndarray, cond: np.ndarray, step: float) -> np.ndarray:
        x_t, s = torch.from_numpy(x), torch.from_numpy(start).requires_grad_(True)
        c = torch.from_numpy(cond)
        with torch.no_grad():
            ref = model(x_t, c)
        (grad,) = torch.autograd.grad(((model(s, c) - ref) ** 2).mean(dim=(1, 2, 3)).sum(), s)
        return (x_t + ((s.detach() + step * grad.sign()).clamp(-1, 1) - x_t).clamp(-eps, eps)).numpy()

    plain = defence.generate(x)
    two = defence.generate(x, y=y, refine_steps=2, refine_requests=1)
    expected = by_hand(by_hand(plain, first, eps / 2), second, eps / 2)
    np.testing.assert_allclose(two, expected, atol=1e-5)
    # all five per step is the joint refinement
    np.testing.assert_allclose(defence.generate(x, y=y, refine_steps=2, refine_requests=5),
                               defence.generate(x, y=y, refine_steps=2), atol=1e-6)
    defence.set_params(refine_steps=2, refine_requests=1)
    np.testing.assert_allclose(defence.generate(x, y=y), two, atol=1e-6)
    assert "refine_requests" in defence.attack_params
    with pytest.raises(ValueError, match="refine_requests must be None or an int >= 1"):
        defence.set_params(refine_requests=0)
    with pytest.raises(ValueError, match=r"requests_per_step must be None or in \[1, 5\]"):
        defence.generate(x, y=y, refine_requests=6)


def test_training_raises_the_influence_on_its_surrogate(template, faces):
    x, y = faces
    defence = InitiativeDefense(template, profile="tiny", verbose=False, iterations=40, eval_every=10,
                                pg_lr=5e-3, alternating=False, sm_pretrain_iterations=30)
    defence.fit(x, y)
    infl = [h["influence"] for h in defence.history if "influence" in h]
    assert len(infl) == 40
    assert np.mean(infl[-5:]) < np.mean(infl[:5])  # L_A->B is minimised: forgeries pushed apart
    # PG_best is the PG of the evaluation with the largest D(y, y') (Algorithm 1's last lines).
    evals = [(h["val_distance"], h["iteration"] + 1) for h in defence.history if "val_distance" in h]
    assert [it for _, it in evals] == [40, 50, 60, 70] and defence.is_fitted  # after 30 warm-up iterations
    assert (defence.best["best_distance"], defence.best["best_iteration"]) == max(evals)


def test_generate_stays_within_eps_and_range(template, faces):
    x, y = faces
    defence = InitiativeDefense(template, profile="tiny", verbose=False, eps=0.03).fit(x, y)
    x[0, :, 0, 0] = 1.0
    out = defence.generate(x)
    assert out.dtype == np.float32 and out.shape == x.shape
    assert np.abs(out - x).max() <= 0.03 + 1e-6 and out.min() >= -1 and out.max() <= 1
    assert np.abs(out - x).max() > 0


def test_save_load_and_resume_give_identical_outputs(template, faces, tmp_path):
    x, y = faces
    full = InitiativeDefense(template, profile="tiny", verbose=False, iterations=6).fit(
        x, y, checkpoint_path=tmp_path / "a.pt")
    InitiativeDefense(template, profile="tiny", verbose=False, iterations=3).fit(
        x, y, checkpoint_path=tmp_path / "b.pt")
    resumed = InitiativeDefense(template, profile="tiny", verbose=False, iterations=6).fit(
        x, y, checkpoint_path=tmp_path / "b.pt")
    np.testing.assert_allclose(resumed.generate(x[:8]), full.generate(x[:8]), atol=1e-6)
    full.save(tmp_path / "defence.pt")
    loaded = InitiativeDefense.load(tmp_path / "defence.pt", template, verbose=False)
    np.testing.assert_array_equal(loaded.generate(x[:8]), full.generate(x[:8]))
    assert loaded.is_fitted and loaded.config.iterations == 6


def test_preprocessor_is_a_protected_pipeline_with_gradients(template, faces):
    x, y = faces
    defence = InitiativeDefense(template, profile="tiny", verbose=False).fit(x, y)
    pre = defence.to_preprocessor()
    assert isinstance(pre, InitiativePreprocessor)
    protected = PyTorchImageTranslator(template.model, (3, 16, 16), c_dim=5, preprocessing_defences=[pre],
                                       device_type="cpu")
    c = np.array([1, 0, 0, 1, 0], np.float32)
    np.testing.assert_allclose(protected.predict(x[:4], conditions=c),
                               template.predict(defence.generate(x[:4]), conditions=c), atol=1e-5)
    ref = template.predict(x[:4], conditions=c) + 0.1
    grad = protected.loss_gradient(x[:4], ref.astype(np.float32), conditions=c)
    plain = template.loss_gradient(x[:4], ref.astype(np.float32), conditions=c)
    assert np.abs(grad).sum() > 0 and not np.allclose(grad, plain)
    pre.set_params(saturate=True)  # the sign passes gradients straight through
    assert np.abs(protected.loss_gradient(x[:4], ref.astype(np.float32), conditions=c)).sum() > 0
    pre.set_params(saturate=False)
    # ART's set_params checks the new values (_check_params).
    pre.set_params(eps=0.02)
    assert pre.eps == 0.02
    out, _ = pre(x[:4])
    assert np.abs(out - x[:4]).max() <= 0.02 + 1e-6
    for bad, match in ((dict(eps=-1.0), "eps must be a number > 0"), (dict(clip_values=(1.0, -1.0)), "clip_values")):
        with pytest.raises(ValueError, match=match):
            pre.set_params(**bad)
        assert (pre.eps, pre.clip_values) == (0.02, (-1.0, 1.0))  # a refused change leaves nothing behind


def test_preprocessor_protects_large_numpy_arrays_batch_by_batch(template, faces):
    x, y = faces
    defence = InitiativeDefense(template, profile="tiny", verbose=False, batch_size=5).fit(x, y)
    pre = defence.to_preprocessor()
    assert pre.batch_size == 5
    calls = []
    forward = pre.forward
    pre.forward = lambda xb, yb=None: (calls.append(len(xb)), forward(xb, yb))[1]
    out, _ = pre(x[:12])
    assert calls == [5, 5, 2]
    np.testing.assert_allclose(out, defence.generate(x[:12]), atol=1e-6)
    with pytest.raises(ValueError, match="batch_size must be an int >= 1"):
        pre.set_params(batch_size=0)
    assert pre.batch_size == 5


@pytest.mark.parametrize("kwargs,match", [
    (dict(eps=0), "eps must be > 0"), (dict(eps=2.0), "eps must be <= 1"), (dict(iterations=1.5), "iterations"),
    (dict(lambda_b=-1.0), "lambda_b"), (dict(alternating=False), "sm_pretrain_iterations"),
    (dict(profile="huge"), "profile must be one of"), (dict(nonsense=1), "unknown settings"),
    (dict(attributes=("Male",)), "attributes must name"),
    (dict(lr_decay_start=6), r"lr_decay_start must be below iterations \(6\) or 0"),
    (dict(lr_decay_start=-1), "lr_decay_start must be >= 0"),
])
def test_bad_settings(template, kwargs, match):
    with pytest.raises(ValueError, match=match):
        InitiativeDefense(template, **{"profile": "tiny", **kwargs})


def test_bad_fit_and_generate_inputs(template, faces, tmp_path):
    x, y = faces
    defence = InitiativeDefense(template, profile="tiny", verbose=False)
    with pytest.raises(ValueError, match="y .* is required"):
        defence.fit(x)
    with pytest.raises(ValueError, match="0/1 attributes"):
        defence.fit(x, y[:, :3])
    with pytest.raises(ValueError, match="3 channels"):
        defence.generate(x[:, :1])
    defence.save(tmp_path / "d.pt")
    other = PyTorchImageTranslator(build_model("res6", 32, 4, 5), (3, 32, 32), c_dim=5, device_type="cpu")
    with pytest.raises(ValueError, match="input shape"):
        InitiativeDefense.load(tmp_path / "d.pt", other)


def test_dataset_fit_and_profiles(template):
    ds = SyntheticFaces(24, 16, seed=1)
    defence = InitiativeDefense(template, profile="tiny", verbose=False, iterations=2).fit(ds)
    assert defence.is_fitted
    assert make_config("paper").pg_width == 64 and make_config("paper").eps == 0.05
    assert isinstance(make_config(InitiativeConfig(), eps=0.02), InitiativeConfig)
    with pytest.raises(ValueError, match="task cannot be changed"):
        InitiativeDefense(template, profile="tiny", task="reenactment")
    assert InitiativeDefense(template, profile="tiny", task="attribute_editing").config.task == "attribute_editing"


@pytest.mark.parametrize("alternating", [True, False])
def test_warm_start_trains_the_surrogate_alone_first(template, faces, alternating):
    x, y = faces
    defence = InitiativeDefense(template, profile="tiny", verbose=False, iterations=4, sm_pretrain_iterations=4,
                                alternating=alternating, domains_per_step=2)
    snapshots = []
    original = defence._networks

    def networks():
        nets = original()
        snapshots.append(nets.sm)
        return nets

    defence._networks = networks
    defence.fit(x, y, callback=lambda it, losses: it == 3 and snapshots.append(
        [p.detach().clone() for p in snapshots[0].parameters()]))
    warm, rest = defence.history[:4], defence.history[4:]
    assert len(rest) == 4 and all("pg" not in h and "sm_d_real" in h for h in warm)
    assert all(np.isfinite(h["pg"]) for h in rest)
    after = list(snapshots[0].parameters())
    changed = any(not torch.equal(a, b) for a, b in zip(snapshots[1], after, strict=True))
    assert changed == alternating  # without alternating training the warmed-up surrogate stays frozen


def test_input_diversity_moves_clean_and_protected_images_together():
    from art_initiative.attacks.initiative.attribute_training import input_diversity

    g = torch.Generator().manual_seed(0)
    x = torch.rand(2, 3, 8, 8, generator=g)
    delta = torch.rand(2, 3, 8, 8, generator=g)
    seen = set()
    for seed in range(20):
        xt, xat = input_diversity(x, x + delta, np.random.default_rng(seed), shift=2)
        candidates = [(f, dy, dx) for f in (False, True) for dy in range(-2, 3) for dx in range(-2, 3)
                      if torch.equal(xt, (x.flip(-1) if f else x).roll((dy, dx), (-2, -1)))]
        assert len(candidates) == 1
        f, dy, dx = candidates[0]
        torch.testing.assert_close(xat - xt, (delta.flip(-1) if f else delta).roll((dy, dx), (-2, -1)))
        seen.add(candidates[0])
    assert len(seen) > 5


def test_command_line_settings_are_typed_and_checked():
    from art_initiative.attacks.initiative.config import parse_settings

    assert parse_settings(["iterations=30", "pg_lr=3e-3", "enhancement=0"]) == {
        "iterations": 30, "pg_lr": 3e-3, "enhancement": False}
    for bad, match in (["iterations"], "KEY=VALUE"), (["nonsense=1"], "KEY=VALUE"), (["iterations=1.5"], "an int"):
        with pytest.raises(ValueError, match=match):
            parse_settings(bad)


def test_generate_with_another_budget(template, faces):
    x, y = faces
    defence = InitiativeDefense(template, profile="tiny", verbose=False, iterations=2).fit(x, y)
    small, default = defence.generate(x, eps=0.01), defence.generate(x)
    assert np.abs(small - x).max() <= 0.01 + 1e-6 < np.abs(default - x).max() <= defence.eps + 1e-6
    with pytest.raises(ValueError, match="eps must be a number in"):
        defence.generate(x, eps=0.0)


def _shifts_against_sign_noise(defence: InitiativeDefense, model: PyTorchImageTranslator, x: np.ndarray,
                               labels: np.ndarray) -> tuple[float, float]:
    """How far ``model``'s forgeries of ``x`` move (MSE, mean over the paper's target domains) when the faces are
    protected by ``defence`` and when sign noise of its budget is added instead."""
    from art_initiative.benchmark.calibration import sign_noise
    from art_initiative.data import target_domains
    from art_initiative.data.synthetic import PAPER_ATTRIBUTES

    protected, noisy = defence.generate(x), sign_noise(x, defence.eps, seed=0)
    assert np.abs(protected - x).max() <= defence.eps + 1e-6

    def moved(x2: np.ndarray) -> float:
        return float(np.mean([((model.predict(x, conditions=c) - model.predict(x2, conditions=c)) ** 2).mean()
                              for c in target_domains(labels, PAPER_ATTRIBUTES)]))

    return moved(protected), moved(noisy)


def test_a_briefly_trained_pg_moves_its_surrogate_more_than_noise_of_its_size():
    train, test = SyntheticFaces(140, 16, seed=0).split([100, 40])
    (x, y), (xt, yt) = train.arrays(), test.arrays()
    torch.manual_seed(0)
    template = PyTorchImageTranslator(build_model("res6", 16, 8, 5), (3, 16, 16), c_dim=5, device_type="cpu")
    defence = InitiativeDefense(template, profile="tiny", verbose=False, sm_init="fresh", alternating=False,
                                sm_pretrain_iterations=200, iterations=100, eval_every=25, pg_lr=5e-3, sm_lr=1e-3,
                                pg_width=8, sm_disc_width=8, critic_width=8, lambda_dom=0.0)
    kept = _capture_networks(defence)
    defence.fit(x, y)
    sm = PyTorchImageTranslator(kept[0].sm.eval(), (3, 16, 16), c_dim=5, device_type="cpu")
    pg_shift, noise_shift = _shifts_against_sign_noise(defence, sm, xt, yt)
    # Measured: 6-8x at this size. (A separately trained target is not moved more than by noise at 16 px.)
    assert pg_shift > 3 * noise_shift


def test_a_pg_trained_on_a_released_model_moves_a_forger_fine_tuned_from_it_more_than_noise(tmp_path):
    """The central claim at tiny scale, in the public-model scenario: the defender trains the PG on the released
    model and its own faces; the forger fine-tunes that model on faces the defender never saw, with another seed.
    (A forger trained from independent weights is not moved more than by noise at any CPU scale measured here;
    see the docs' results.)"""
    from art_initiative.training.stargan import train_stargan

    defender, forger_faces, test = SyntheticFaces(400, 16, seed=0).split([160, 160, 40])
    (x, y), (xf, yf), (xt, yt) = defender.arrays(), forger_faces.arrays(), test.arrays()
    released = tmp_path / "released.pt"
    public = train_stargan(x, y, "res6", width=8, disc_width=16, iterations=300, device_type="cpu",
                           checkpoint_path=released, verbose=False, seed=0)
    forger = train_stargan(xf, yf, "res6", width=8, disc_width=16, iterations=150, init_from=released,
                           device_type="cpu", verbose=False, seed=100)
    defence = InitiativeDefense(public, profile="tiny", verbose=False, alternating=False, sm_pretrain_iterations=20,
                                iterations=300, eval_every=75, pg_width=16, pg_lr=5e-3, sm_lr=1e-3,
                                sm_disc_width=8, critic_width=8, lambda_dom=0.0).fit(x, y)
    pg_shift, noise_shift = _shifts_against_sign_noise(defence, forger, xt, yt)
    # Measured: 2.6x (seeds 1 and 2 of the same setup: 1.6x and 2.3x).
    assert pg_shift > 1.5 * noise_shift


def test_influence_distance_is_checked_and_changes_what_pg_learns(template, faces):
    x, y = faces
    with pytest.raises(ValueError, match="influence_distance must be one of .*got 'l3'"):
        InitiativeDefense(template, profile="tiny", influence_distance="l3")
    with pytest.raises(ValueError, match="influence_distance applies to attribute editing"):
        make_config("tiny", task="reenactment", influence_distance="l2")
    runs = {}
    for name in ("l1", "l2"):
        torch.manual_seed(0)
        defence = InitiativeDefense(template, profile="tiny", verbose=False, iterations=2, influence_distance=name)
        history = []
        defence.fit(x, y, callback=lambda it, losses, h=history: h.append(losses))
        runs[name] = (defence.generate(x[:4]), [h["bs"] for h in history if "bs" in h])
    # the same seed and data: only the distance of eqs. 7 and 9 differs, so the PG and its loss terms do too
    assert not np.allclose(runs["l1"][0], runs["l2"][0])
    assert all(b2 > b1 for b1, b2 in zip(runs["l1"][1], runs["l2"][1], strict=True))  # |d| < 1: d ** 2 < |d|


def test_sign_gradient_gives_pg_the_sign_of_the_loss_gradient_at_its_output(template, faces, monkeypatch):
    from art_initiative.attacks.initiative import attribute_training
    from art_initiative.data import target_domains
    from art_initiative.data.synthetic import PAPER_ATTRIBUTES

    x, y = faces
    xb, c_org = torch.from_numpy(x[:4]), torch.from_numpy(y[:4])
    targets = [torch.from_numpy(c) for c in target_domains(y[:4], PAPER_ATTRIBUTES)]
    seen, grads = [], {}
    protect = attribute_training.protect

    def watched(pg, *args):  # keep dL/dx' as the loss gives it (this hook runs before pg_step's own)
        out = protect(pg, *args)
        out.register_hook(lambda g: seen.append(g.clone()))
        return out

    def backward_only(opt, loss):
        opt.zero_grad(set_to_none=True)
        loss.backward()
        grads.update({n: p.grad.clone() for n, p in nets.pg.named_parameters()})

    monkeypatch.setattr(attribute_training, "protect", watched)
    monkeypatch.setattr(attribute_training, "optimizer_step", backward_only)
    defence = InitiativeDefense(template, profile="tiny", verbose=False, pg_gradient="sign", lambda_cyc=0.0)
    nets = defence._networks()
    attribute_training.pg_step(nets, xb, c_org, targets, defence.config, (-1.0, 1.0))
    assert len(seen) == 1 and seen[0].abs().sum() > 0
    x_adv = protect(nets.pg, xb, defence.config.eps, (-1.0, 1.0))
    expected = torch.autograd.grad(x_adv, list(nets.pg.parameters()), grad_outputs=seen[0].sign(),
                                   retain_graph=True)
    for (name, got), want in zip(grads.items(), expected, strict=True):
        torch.testing.assert_close(got, want, msg=name)
    plain = torch.autograd.grad(x_adv, list(nets.pg.parameters()), grad_outputs=seen[0])
    assert not all(torch.allclose(a, b) for a, b in zip(plain, expected, strict=True))
    with pytest.raises(ValueError, match="pg_gradient must be one of"):
        InitiativeDefense(template, profile="tiny", pg_gradient="abs")
    with pytest.raises(ValueError, match="pg_gradient applies to attribute editing"):
        make_config("tiny", task="reenactment", pg_gradient="sign")


def test_pg_trained_for_the_full_budget_sees_and_publishes_the_saturated_protection(template, faces, monkeypatch,
                                                                                    tmp_path):
    from art_initiative.attacks.initiative import algorithm, attribute_training

    x, y = faces
    x = np.clip(x, -0.9, 0.9)  # no pixel where the clip to [-1, 1] would cut the step
    seen: list[torch.Tensor] = []
    protect = attribute_training.protect

    def watched(pg, xb, eps, clip, saturate=False):  # the x' of every PG and critic step
        out = protect(pg, xb, eps, clip, saturate)
        seen.append((out - xb).detach().abs())
        return out

    monkeypatch.setattr(attribute_training, "protect", watched)
    monkeypatch.setattr(algorithm, "protect", watched)
    defence = InitiativeDefense(template, profile="tiny", verbose=False, iterations=2, pg_output="sign")
    before = [p.detach().clone() for p in defence.pg.parameters()]
    defence.fit(x, y)
    assert seen and all(torch.allclose(d, torch.full_like(d, defence.eps), atol=1e-6) for d in seen)
    # gradients pass straight through the sign: PG learns
    assert any(not torch.equal(a, b) for a, b in zip(before, defence.pg.parameters(), strict=True))
    monkeypatch.undo()
    published = defence.generate(x) - x
    np.testing.assert_allclose(np.abs(published), defence.eps, atol=1e-6)
    np.testing.assert_allclose(published, defence.generate(x, saturate=True) - x, atol=1e-6)
    assert np.abs(defence.generate(x, saturate=False) - x).mean() < defence.eps  # a call may still ask for tanh
    path = tmp_path / "sign.pt"
    defence.save(path)
    pre, _ = InitiativeDefense.load_preprocessor(path, device_type="cpu")
    np.testing.assert_allclose(pre(x)[0] - x, published, atol=1e-6)
    assert InitiativeDefense.load(path, template, verbose=False).to_preprocessor().saturate
    with pytest.raises(ValueError, match="pg_output must be one of"):
        InitiativeDefense(template, profile="tiny", pg_output="clip")
    with pytest.raises(ValueError, match="pg_output applies to attribute editing"):
        make_config("tiny", task="reenactment", pg_output="sign")


def test_distillation_regresses_pg_on_pgd_teachers_before_algorithm_1(template, faces):
    """PG's warm start (not the paper's): after the SM's warm-up, ``distill_iterations`` steps regress PG's output on
    Ruiz PGD's perturbations of the SM, then Algorithm 1 runs its iterations."""
    x, y = faces
    defence = InitiativeDefense(template, profile="tiny", verbose=False, sm_pretrain_iterations=2,
                                distill_iterations=30, distill_steps=3, iterations=2, eval_every=10, pg_lr=5e-3)
    defence.fit(x, y)
    h = defence.history
    assert len(h) == 2 + 30 + 2
    assert all("distill" not in s for s in h[:2]) and all("pg" not in s and "distill" in s for s in h[2:32])
    assert all("pg" in s and "distill" not in s for s in h[32:])
    distill = [s["distill"] for s in h[2:32]]
    assert np.mean(distill[-5:]) < 0.9 * np.mean(distill[:5])  # PG learns the teachers (measured: 0.82x)


def test_pgd_teacher_moves_the_surrogate_within_eps_and_repeats_per_face(template, faces):
    from art_initiative.attacks.initiative.distill import TeacherCache, pgd_teacher
    from art_initiative.data import target_domains
    from art_initiative.data.synthetic import PAPER_ATTRIBUTES

    x, y = (torch.from_numpy(a[:8]) for a in faces)
    sm = template.model.eval()
    targets = [torch.from_numpy(c) for c in target_domains(y.numpy(), PAPER_ATTRIBUTES)]
    cache = TeacherCache(seed=0)
    start = torch.stack([cache.start(i, tuple(x.shape[1:]), 0.05) for i in range(8)])
    delta = pgd_teacher(sm, x, targets, 0.05, 5, 0.02, (-1.0, 1.0), start)
    assert delta.abs().max() <= 0.05 + 1e-6 and ((x + delta).abs() <= 1 + 1e-6).all()
    with torch.no_grad():
        moved = np.mean([((sm(x, c) - sm(x + delta, c)) ** 2).mean().item() for c in targets])
        noise = np.mean([((sm(x, c) - sm(torch.clamp(x + start, -1, 1), c)) ** 2).mean().item() for c in targets])
    assert moved > 2 * noise  # the attack, not its random start
    assert torch.equal(TeacherCache(seed=0).start(3, (3, 16, 16), 0.05), cache.start(3, (3, 16, 16), 0.05))
    assert not torch.equal(TeacherCache(seed=1).start(3, (3, 16, 16), 0.05), cache.start(3, (3, 16, 16), 0.05))
    assert not torch.equal(cache.start(4, (3, 16, 16), 0.05), cache.start(3, (3, 16, 16), 0.05))
    shared = TeacherCache(seed=0, shared=True)  # distill_start="shared": one start for every face
    assert torch.equal(shared.start(4, (3, 16, 16), 0.05), shared.start(3, (3, 16, 16), 0.05))
    assert not torch.equal(TeacherCache(seed=1, shared=True).start(3, (3, 16, 16), 0.05),
                           shared.start(3, (3, 16, 16), 0.05))


def test_distillation_settings_are_checked():
    with pytest.raises(ValueError, match="distill_iterations must be >= 0"):
        make_config("tiny", distill_iterations=-1)
    with pytest.raises(ValueError, match="distill_steps must be > 0"):
        make_config("tiny", distill_steps=0)
    with pytest.raises(ValueError, match="distill_start must be one of"):
        make_config("tiny", distill_start="pixel")
    with pytest.raises(ValueError, match="distill_iterations applies to attribute editing"):
        make_config("tiny", task="reenactment", distill_iterations=5)


def test_a_pg_with_a_learned_pattern_trains_saves_and_loads(template, faces, tmp_path):
    x, y = faces
    defence = InitiativeDefense(template, profile="tiny", verbose=False, pg_pattern=True, iterations=3).fit(x, y)
    nets_pattern = [m for m in defence.pg.modules() if getattr(m, "pattern", None) is not None]
    assert nets_pattern and nets_pattern[0].pattern.abs().sum() > 0  # PG's steps moved it
    defence.save(tmp_path / "d.pt")
    loaded = InitiativeDefense.load(tmp_path / "d.pt", template, verbose=False)
    assert loaded.config.pg_pattern
    np.testing.assert_array_equal(loaded.generate(x), defence.generate(x))


def test_learning_rates_decay_linearly_from_lr_decay_start_of_algorithm_1(template, faces):
    x, y = faces
    # tiny: 6 alternating iterations after a warm start of 2; the decay starts at the 4th alternating one.
    defence = InitiativeDefense(template, profile="tiny", verbose=False, sm_pretrain_iterations=2, lr_decay_start=3)
    kept = _capture_networks(defence)
    rates = {}

    def record(it, losses):
        nets = kept[0]
        rates[it] = (losses.get("lr_factor"), nets.opt_pg.param_groups[0]["lr"], nets.opt_sm.param_groups[0]["lr"],
                     nets.opt_critic.param_groups[0]["lr"])

    defence.fit(x, y, callback=record)
    cfg = defence.config
    assert [rates[it][0] for it in range(8)] == [1.0, 1.0, 1.0, 1.0, 1.0, 3 / 4, 2 / 4, 1 / 4]
    for it in range(2, 8):
        factor, pg, sm, critic = rates[it]
        assert (pg, sm, critic) == pytest.approx((cfg.pg_lr * factor, cfg.sm_lr * factor, cfg.critic_lr * factor))
    # without the setting the rates stay as configured
    plain = InitiativeDefense(template, profile="tiny", verbose=False)
    kept_plain = _capture_networks(plain)
    plain.fit(x, y, callback=lambda it, losses: rates.update({it: losses["lr_factor"]}))
    assert kept_plain[0].opt_pg.param_groups[0]["lr"] == plain.config.pg_lr and rates[5] == 1.0


def _other_model(seed: int) -> PyTorchImageTranslator:
    torch.manual_seed(seed)
    return PyTorchImageTranslator(build_model("res6", 16, 4, 5), (3, 16, 16), c_dim=5, device_type="cpu")


def test_further_surrogates_make_the_influence_term_their_mean_with_sm(template, faces, monkeypatch):
    from art_initiative.attacks.initiative import attribute_training
    from art_initiative.attacks.initiative.losses import influence_loss
    from art_initiative.data import target_domains
    from art_initiative.data.synthetic import PAPER_ATTRIBUTES

    x, y = faces
    xb, c_org = torch.from_numpy(x[:4]), torch.from_numpy(y[:4])
    targets = [torch.from_numpy(c) for c in target_domains(y[:4], PAPER_ATTRIBUTES)]
    others = [_other_model(1), _other_model(2)]
    defence = InitiativeDefense(template, profile="tiny", verbose=False, surrogates=others, lambda_cyc=0.0,
                                enhancement=False)
    assert len(defence.config.surrogate_digests.split(",")) == 2
    nets = defence._networks()
    assert len(nets.surrogates) == 2 and all(not m.training for m in nets.surrogates)
    monkeypatch.setattr(attribute_training, "optimizer_step", lambda opt, loss: None)  # PG unchanged by the step
    with torch.no_grad():
        x_adv = attribute_training.protect(nets.pg, xb, defence.config.eps, (-1.0, 1.0))
        weights = dict(lambda_bs=10.0, lambda_cyc=0.0, lambda_dom=1.0, distance="l1")
        each = [influence_loss(m, nets.d_a, xb, x_adv, c_org, targets, **weights)[0].item()
                for m in (nets.sm, *nets.surrogates)]
    out = attribute_training.pg_step(nets, xb, c_org, targets, defence.config, (-1.0, 1.0))
    assert out["influence_sm"] == pytest.approx(each[0], rel=1e-4)
    assert out["influence"] == pytest.approx(np.mean(each), rel=1e-4)
    assert len(set(np.round(each, 6))) == 3  # three different models: the mean is not SM's term alone


def test_further_surrogates_train_save_load_and_are_checked(template, faces, tmp_path):
    x, y = faces
    others = [_other_model(1)]
    defence = InitiativeDefense(template, profile="tiny", verbose=False, surrogates=others)
    defence.fit(x, y, checkpoint_path=tmp_path / "run.pt")
    defence.save(tmp_path / "pg.pt")
    loaded = InitiativeDefense.load(tmp_path / "pg.pt", template, verbose=False)
    assert loaded.config.surrogate_digests == defence.config.surrogate_digests != ""
    np.testing.assert_allclose(loaded.generate(x[:4]), defence.generate(x[:4]), atol=1e-6)
    with pytest.raises(ValueError, match="names 1 further surrogates"):
        loaded.fit(x, y)  # training again needs the models themselves
    with pytest.raises(ValueError, match="pass the surrogates it was trained with"):
        InitiativeDefense(template, loaded.config, surrogates=[_other_model(2)])
    # The same models continue the run; other ones are another config, refused by the checkpoint.
    resumed = InitiativeDefense(template, loaded.config, verbose=False, surrogates=others, iterations=8)
    resumed.fit(x, y, checkpoint_path=tmp_path / "run.pt")
    with pytest.raises(ValueError, match="surrogate_digests"):
        InitiativeDefense(template, profile="tiny", verbose=False, surrogates=[_other_model(2)]).fit(
            x, y, checkpoint_path=tmp_path / "run.pt")
    shape = r"surrogates\[0\] must have the estimator's input_shape \(3, 16, 16\), got \(3, 8, 8\)"
    with pytest.raises(ValueError, match=shape):
        InitiativeDefense(template, profile="tiny", surrogates=[
            PyTorchImageTranslator(build_model("res6", 8, 4, 5), (3, 8, 8), c_dim=5, device_type="cpu")])
    # a model of [0, 1] images would be fed the estimator's [-1, 1] ones
    with pytest.raises(ValueError, match=r"surrogates\[0\] must have the estimator's clip_values"):
        InitiativeDefense(template, profile="tiny", surrogates=[PyTorchImageTranslator(
            build_model("res6", 16, 4, 5), (3, 16, 16), c_dim=5, clip_values=(0.0, 1.0), device_type="cpu")])
    with pytest.raises(ValueError, match="surrogate_digests are set by"):
        make_config("tiny", surrogate_digests="abc")


def test_refinement_of_an_ensemble_defence_takes_the_surrogates_gradients_too(template, faces, tmp_path):
    from art_initiative.attacks.initiative.refine import edit_requests
    from art_initiative.data.synthetic import PAPER_ATTRIBUTES

    x, y = faces
    others = [_other_model(1)]
    InitiativeDefense(template, profile="tiny", verbose=False, surrogates=others).fit(x, y).save(tmp_path / "pg.pt")
    alone = InitiativeDefense.load(tmp_path / "pg.pt", template, verbose=False)
    both = InitiativeDefense.load(tmp_path / "pg.pt", template, verbose=False, surrogates=others)
    assert both.surrogates == tuple(others)
    np.testing.assert_allclose(alone.generate(x[:8]), both.generate(x[:8]), atol=1e-6)  # the same PG
    refined = [d.generate(x[:8], y=y[:8], refine_steps=2) for d in (alone, both)]
    other = others[0]
    moved = [np.mean([((other.predict(p, conditions=c) - other.predict(x[:8], conditions=c)) ** 2).mean()
                      for c in edit_requests(y[:8], PAPER_ATTRIBUTES, 8)]) for p in refined]
    assert moved[1] > 1.2 * moved[0]  # the further model moves more when the steps take its gradient as well
    with pytest.raises(ValueError, match="pass the surrogates it was trained with"):
        InitiativeDefense.load(tmp_path / "pg.pt", template, surrogates=[_other_model(2)])
    InitiativeDefense(template, profile="tiny", verbose=False).fit(x, y).save(tmp_path / "single.pt")
    with pytest.raises(ValueError, match="was trained without further surrogates; load it without surrogates="):
        InitiativeDefense.load(tmp_path / "single.pt", template, surrogates=others)
