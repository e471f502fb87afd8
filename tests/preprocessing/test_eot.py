import copy
from dataclasses import replace

import numpy as np
import pytest
import torch

from art_initiative.attacks import InitiativeDefense
from art_initiative.attacks.initiative.attribute_training import pg_step
from art_initiative.data import SyntheticFaces, target_domains
from art_initiative.data.synthetic import PAPER_ATTRIBUTES
from art_initiative.estimators import PyTorchImageTranslator
from art_initiative.models import build_model
from art_initiative.preprocessing import draw_transform, parse_eot, random_transform


def test_parse_eot_names_its_error():
    assert parse_eot("jpeg, blur") == ("jpeg", "blur") and parse_eot("") == ()
    for bad in ("jpg", "jpeg,jpeg"):
        with pytest.raises(ValueError, match="eot must be a comma-separated list"):
            parse_eot(bad)


def test_the_draw_covers_every_transform_and_none_and_repeats_with_its_seed():
    names = ("jpeg", "blur", "resize", "shift", "photo")
    draws = [draw_transform(names, np.random.default_rng(s)) for s in range(200)]
    assert {d[0] if d else None for d in draws} == {*names, None}
    assert draws == [draw_transform(names, np.random.default_rng(s)) for s in range(200)]
    assert all(50 <= p <= 95 for n, p in filter(None, draws) if n == "jpeg")
    assert all(2 <= p <= 8 for n, p in filter(None, draws) if n == "photo")
    assert draw_transform((), np.random.default_rng(0)) is None


def test_without_the_identity_every_step_is_transformed():
    always = [draw_transform(("photo",), np.random.default_rng(s), identity=False) for s in range(100)]
    assert all(d is not None and d[0] == "photo" for d in always)
    assert sum(draw_transform(("photo",), np.random.default_rng(s)) is None for s in range(100)) > 30


def test_the_same_transform_reaches_clean_and_protected_images():
    x = torch.rand(2, 3, 16, 16) * 2 - 1
    for seed in range(10):
        t = random_transform(("shift",), np.random.default_rng(seed))
        assert torch.equal(t(x), t(x.clone()))


@pytest.fixture
def setup():
    torch.manual_seed(0)
    template = PyTorchImageTranslator(build_model("res6", 16, 4, 5), (3, 16, 16), c_dim=5, device_type="cpu")
    x, y = SyntheticFaces(8, 16, seed=0).arrays()
    return template, torch.from_numpy(x), torch.from_numpy(y)


@pytest.mark.parametrize("name", ["jpeg", "blur", "resize", "shift", "photo"])
def test_the_gradient_reaches_pg_through_each_transform(setup, name):
    template, x, y = setup
    defence = InitiativeDefense(template, profile="tiny", verbose=False, eot=name)
    nets = defence._networks()
    nets.pg.train()
    targets = [torch.from_numpy(c) for c in target_domains(y.numpy(), PAPER_ATTRIBUTES)]
    seed = next(s for s in range(50) if draw_transform((name,), np.random.default_rng(s)) is not None)
    before = [p.detach().clone() for p in nets.pg.parameters()]
    copies = {k: copy.deepcopy(m.state_dict()) for k, m in nets.modules().items()}
    losses = pg_step(nets, x, y, targets, defence.config, (-1.0, 1.0), np.random.default_rng(seed))
    grads = [p.grad for p in nets.pg.parameters() if p.grad is not None]
    assert grads and all(torch.isfinite(g).all() for g in grads) and sum(g.abs().sum() for g in grads) > 0
    assert any(not torch.equal(a, b.detach()) for a, b in zip(before, nets.pg.parameters(), strict=True))
    # the transform changed what the surrogate saw: the same networks without it give another influence
    plain_nets = InitiativeDefense(template, profile="tiny", verbose=False)._networks()
    for mine, theirs in zip(plain_nets.modules().values(), copies.values(), strict=True):
        mine.load_state_dict(theirs)
    plain_nets.pg.train()
    plain = pg_step(plain_nets, x, y, targets, replace(defence.config, eot=""), (-1.0, 1.0),
                    np.random.default_rng(seed))
    assert np.isfinite(losses["influence"]) and losses["influence"] != pytest.approx(plain["influence"])


def test_a_robust_fit_runs_end_to_end_and_is_saved_with_its_setting(setup, tmp_path):
    template, x, y = setup
    defence = InitiativeDefense(template, profile="tiny", verbose=False, eot="jpeg,blur,resize,shift")
    defence.fit(x.numpy(), y.numpy())
    out = defence.generate(x.numpy())
    assert np.abs(out - x.numpy()).max() <= 0.05 + 1e-6
    defence.save(tmp_path / "robust.pt")
    assert InitiativeDefense.load(tmp_path / "robust.pt", template, verbose=False).config.eot == \
        "jpeg,blur,resize,shift"
