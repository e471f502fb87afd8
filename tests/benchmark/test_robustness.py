import json

import numpy as np
import pytest
import torch

from art_initiative.benchmark.robustness import RobustnessConfig, online_disruption, transformed
from art_initiative.cli import main
from art_initiative.data import SyntheticFaces
from art_initiative.estimators import PyTorchImageTranslator
from art_initiative.preprocessing import apply_transform


class Passthrough(torch.nn.Module):
    """An editor that returns its input: its forgery of an image is the image the target saw."""

    def forward(self, x, c):
        return x


def test_the_evaluation_transforms_the_published_images_before_the_target_sees_them():
    x = SyntheticFaces(4, 16, seed=0).arrays()[0]
    protected = np.clip(x + 0.05 * np.sign(np.random.default_rng(0).standard_normal(x.shape)), -1, 1)
    target = PyTorchImageTranslator(Passthrough(), (3, 16, 16), c_dim=2, device_type="cpu")
    domains = [np.tile([1.0, 0.0], (4, 1)).astype(np.float32)]
    out = {(m, t): r for m, t, _, r in online_disruption(target, x, {"noise": protected, "none": x}, domains,
                                                          [("none", None), ("blur", 1.0)], [("purify_blur", 1.0)])}
    blurred, blurred_prot = apply_transform(x, "blur", 1.0), apply_transform(protected, "blur", 1.0)
    assert out["noise", "none"]["mse"] == pytest.approx(float(((protected - x) ** 2).mean()), rel=1e-5)
    # an upload site blurs every photo: the protected forgery against the forgery of the blurred clean photo
    assert out["noise", "blur"]["mse"] == pytest.approx(float(((blurred_prot - blurred) ** 2).mean()), rel=1e-5)
    assert out["none", "blur"]["mse"] == 0 and out["none", "blur"]["mse_vs_clean"] > 0
    # a purifying forger: against the clean edit it wanted
    assert out["none", "purify_blur"]["mse"] == pytest.approx(float(((blurred - x) ** 2).mean()), rel=1e-5)
    np.testing.assert_array_equal(transformed(x, "none", None), x)


@pytest.mark.parametrize("kwargs, match", [
    (dict(methods=("whitebox_pgd",)), "methods must be"), (dict(methods=()), "methods must be"),
    (dict(suite=(("jpeg", 0),)), "1..100"), (dict(suite=(("blur", -1.0),)), "sigma must be >= 0"),
    (dict(suite=(("resize", 2.0),)), r"\(0, 1\]"), (dict(suite=(("none", 3),)), "no parameter"),
    (dict(purify=(("purify_resize", 0.5),)), "purify_jpeg"), (dict(adapt_iterations=-1), "adapt_iterations"),
    (dict(adapt_pool=0), "adapt_pool"),
])
def test_bad_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        RobustnessConfig(**kwargs).validate()


@pytest.mark.slow
def test_robustness_suite_tiny_through_the_cli(tmp_path):
    out, cache = tmp_path / "results", tmp_path / "cache"
    assert main(["benchmark", "--task", "robustness", "--profile", "tiny", "--output", str(out), "--cache-dir",
                 str(cache), "--device", "cpu", "--quiet", "--methods", "initiative_robust", "ruiz_pgd_blur",
                 "sign_noise", "none", "--adapt-iterations", "3", "--adapt-pool", "8", "--set",
                 "sm_pretrain_iterations=2"]) == 0
    records = json.loads((out / "robustness-synthetic-tiny.json").read_text())
    assert {r["method"] for r in records} == {"initiative_robust", "ruiz_pgd_blur", "sign_noise", "none"}
    assert {r["transform"] for r in records} == {"none", "jpeg", "blur", "resize", "shift", "purify_jpeg",
                                                 "purify_blur", "finetune"}
    for r in records:
        assert {"method", "transform", "param", "dsr", "mse"} <= set(r) and r["forger_start"] == "public"
    none = {(r["transform"], r["param"]): r for r in records if r["method"] == "none"}
    assert all(none[k]["dsr"] == 0 and none[k]["mse"] == 0 for k in none if k[0] not in ("purify_jpeg",
                                                                                         "purify_blur", "finetune"))
    assert (out / "robustness-synthetic-tiny.png").stat().st_size > 0
    assert "kept" in (out / "robustness-synthetic-tiny.md").read_text()
    robust = json.loads(next(cache.glob("initiative_robust-tiny-*-public.json")).read_text())["config"]
    assert robust["eot"] == "jpeg,blur,resize,shift"
    assert len(list(cache.glob("stargan-res6-*-s3-*-ft*-it3.json"))) == 4  # one fine-tuned forger per method


def test_robustness_suite_on_another_surrogate_architecture(tmp_path):
    """``--surrogate-arch cnet``: the gray-box target of the suite is the cnet fine-tuned from the public cnet, and
    the results are kept apart from the res6 suite's."""
    out = tmp_path / "results"
    assert main(["benchmark", "--task", "robustness", "--profile", "tiny", "--output", str(out), "--cache-dir",
                 str(tmp_path / "cache"), "--device", "cpu", "--quiet", "--methods", "sign_noise", "none",
                 "--adapt-iterations", "0", "--surrogate-arch", "cnet"]) == 0
    records = json.loads((out / "robustness-synthetic-tiny-cnet.json").read_text())
    assert {r["target"] for r in records} == {"cnet"} and not (out / "robustness-synthetic-tiny.json").exists()
    assert list((tmp_path / "cache").glob("stargan-cnet-*-ft*.json"))
