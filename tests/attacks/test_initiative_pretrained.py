"""Shipped PG weights: the export/load round trip, from_pretrained, and the drop-in that never protects with an
untrained PG."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from art_initiative.attacks import InitiativeDefense
from art_initiative.attacks.initiative import make_config, pretrained
from art_initiative.attacks.initiative.base import build_pg
from art_initiative.defences.preprocessor import InitiativePreprocessor
from art_initiative.estimators import PyTorchImageTranslator
from art_initiative.models import build_model


def _template(size: int, width: int = 4) -> PyTorchImageTranslator:
    torch.manual_seed(0)
    return PyTorchImageTranslator(build_model("res6", size, width, 5), (3, size, size), c_dim=5, device_type="cpu")


def test_export_and_load_round_trip(tmp_path):
    cfg = make_config("tiny", eps=0.03)
    torch.manual_seed(1)
    pg = build_pg(cfg, (3, 16, 16))
    stem = tmp_path / "w" / "attr-16"
    provenance = {"surrogate": {"arch": "res6", "width": 4, "c_dim": 5}, "summary": "a test"}
    pretrained.export_pretrained(stem, pg, cfg, (3, 16, 16), (-1.0, 1.0), provenance, default=True)
    with pytest.raises(FileExistsError):
        pretrained.export_pretrained(stem, pg, cfg, (3, 16, 16), (-1.0, 1.0), provenance)
    assert list(pretrained.available(tmp_path / "w")) == ["attr-16"]
    assert pretrained.default_for("attribute_editing", (3, 16, 16), tmp_path / "w") == "attr-16"
    assert pretrained.default_for("attribute_editing", (3, 32, 32), tmp_path / "w") is None
    assert pretrained.default_for("reenactment", None, tmp_path / "w") is None
    config, state, meta = pretrained.load_pretrained("attr-16", tmp_path / "w")
    assert config == cfg and meta["provenance"]["summary"] == "a test"
    for k, v in pg.state_dict().items():
        assert torch.equal(state[k], v)
    with pytest.raises(ValueError, match="no shipped perturbation generator named 'nope'; available: \\['attr-16'\\]"):
        pretrained.load_pretrained("nope", tmp_path / "w")
    meta_path = stem.with_suffix(".json")
    bad = json.loads(meta_path.read_text())
    bad["config"]["from_the_future"] = 1
    meta_path.write_text(json.dumps(bad))
    with pytest.raises(ValueError, match="does not know: \\['from_the_future'\\]"):
        pretrained.load_pretrained("attr-16", tmp_path / "w")


def test_an_unfitted_defence_without_shipped_weights_for_its_size_refuses():
    defence = InitiativeDefense(_template(16), profile="tiny", verbose=False)
    x = np.zeros((2, 3, 16, 16), np.float32)
    with pytest.raises(ValueError, match="has no trained PG: call fit"):
        defence.generate(x)
    with pytest.raises(ValueError, match="has no trained PG"):
        defence.to_preprocessor()
    assert not defence.is_fitted


SHIPPED = pretrained.available()
ATTRIBUTE = [n for n, m in SHIPPED.items() if m["config"]["task"] == "attribute_editing"]


@pytest.mark.skipif(not ATTRIBUTE, reason="no shipped attribute-editing PG in this checkout")
def test_the_drop_in_protects_with_the_shipped_weights(caplog):
    name = pretrained.default_for("attribute_editing")
    meta = SHIPPED[name]
    shape = tuple(meta["input_shape"])
    sm = meta["provenance"]["surrogate"]
    template = _template(shape[1], sm["width"])
    x = np.random.default_rng(0).uniform(-0.9, 0.9, (4, *shape)).astype(np.float32)
    defence = InitiativeDefense(template, profile="cpu", verbose=False)
    with caplog.at_level("WARNING"):
        out = defence.generate(x)
    assert "shipped PG" in caplog.text and defence.pretrained == name and defence.is_fitted
    loaded = InitiativeDefense.from_pretrained(name)
    np.testing.assert_array_equal(out, loaded.generate(x))  # the drop-in is exactly the shipped PG
    eps = meta["config"]["eps"]
    change = np.abs(out - x)
    assert change.max() <= eps + 1e-6 and change.mean() > 0.5 * eps  # it uses its budget: not an untrained PG
    pre, pre_shape = InitiativePreprocessor.from_pretrained(name)
    assert pre_shape == shape
    np.testing.assert_allclose(pre(x)[0], out, atol=1e-6)


def test_every_shipped_pg_loads_and_exactly_one_is_the_default_of_its_task():
    shipped = pretrained.available()
    for name, meta in shipped.items():
        pre, shape = InitiativePreprocessor.from_pretrained(name, task=meta["config"]["task"])
        assert shape == tuple(meta["input_shape"]) and pre.eps == meta["config"]["eps"]
    for task in {m["config"]["task"] for m in shipped.values()}:
        assert sum(bool(m.get("default")) for m in shipped.values() if m["config"]["task"] == task) == 1


@pytest.mark.skipif("attribute-synthetic-32-public-jpeg" not in pretrained.available(),
                    reason="the JPEG-trained PG is not in this checkout")
def test_protect_with_a_named_shipped_pg(tmp_path, capsys):
    from art_initiative.cli import main
    from art_initiative.data import SyntheticFaces, write_image

    photos, out = tmp_path / "photos", tmp_path / "out"
    photos.mkdir()
    write_image(str(photos / "face.png"), SyntheticFaces(1, 32, seed=0).render(0))
    args = ["protect", str(photos), str(out), "--whole", "--device", "cpu", "--quiet"]
    assert main(args + ["--weights", "attribute-synthetic-32-public-jpeg"]) == 0
    assert "shipped attribute-synthetic-32-public-jpeg PG" in capsys.readouterr().out
    assert main(args[:2] + [str(tmp_path / "out2")] + args[3:] + ["--weights", "nope"]) == 2
    assert "no shipped perturbation generator named 'nope'" in capsys.readouterr().err


@pytest.mark.skipif(not {"attribute-synthetic-32-public", "attribute-synthetic-32-public-photo"} <= set(SHIPPED),
                    reason="the photo-trained PG or the default is not in this checkout")
def test_the_photo_trained_pg_keeps_more_of_its_perturbation_through_the_photo_round_trip():
    from art_initiative.data import SyntheticFaces
    from art_initiative.preprocessing import apply_transform

    x = SyntheticFaces(16, 32, seed=5).arrays()[0]
    kept = {}
    for name in ("attribute-synthetic-32-public", "attribute-synthetic-32-public-photo"):
        pre, _ = InitiativePreprocessor.from_pretrained(name, device_type="cpu")
        delta = pre(x)[0] - x
        kept[name] = float((apply_transform(delta, "photo", 6.0) ** 2).mean() / (delta ** 2).mean())
    # measured: 57% of the default's energy arrives at the forger's 32 px crop, 62% of the photo-trained PG's
    assert kept["attribute-synthetic-32-public"] + 0.02 < kept["attribute-synthetic-32-public-photo"]


REENACTMENT = [n for n, m in SHIPPED.items() if m["config"]["task"] == "reenactment"]


@pytest.mark.skipif(not REENACTMENT, reason="no shipped reenactment PG in this checkout")
def test_the_reenactment_drop_in_protects_with_the_shipped_weights(caplog):
    from art_initiative.attacks import InitiativeDefenseReenactment

    name = pretrained.default_for("reenactment")
    meta = SHIPPED[name]
    shape, sm = tuple(meta["input_shape"]), meta["provenance"]["surrogate"]
    assert sm["arch"] == "unet256" and meta["provenance"]["task"] == "reenactment"
    torch.manual_seed(0)
    template = PyTorchImageTranslator(build_model("unet256", shape[1], sm["width"], 0), shape, c_dim=0,
                                      device_type="cpu")
    x = np.random.default_rng(0).uniform(-0.9, 0.9, (4, *shape)).astype(np.float32)
    with caplog.at_level("WARNING"):
        out = InitiativeDefenseReenactment(template, profile="cpu", verbose=False).generate(x)
    assert "shipped PG" in caplog.text
    np.testing.assert_array_equal(out, InitiativeDefenseReenactment.from_pretrained(name).generate(x))
    change = np.abs(out - x)
    assert change.max() <= meta["config"]["eps"] + 1e-6 and change.mean() > 0.1 * meta["config"]["eps"]
    with pytest.raises(ValueError, match="is for task 'reenactment'"):
        InitiativeDefense.from_pretrained(name)
    assert any(r["method"] == "initiative" and r["target"] == "unet256" for r in meta["provenance"]["measured"])
