"""The calibration of the attribute-editing test bed: white-box PGD, sign noise, the translation check."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from art_initiative.benchmark.calibration import CALIBRATION_KEYS, sign_noise, whitebox_calibration
from art_initiative.cli import main
from art_initiative.data import target_domains


def test_sign_noise_uses_the_whole_budget_inside_the_range():
    x = np.zeros((2, 3, 8, 8), np.float32)
    noisy = sign_noise(x, 0.05, seed=1)
    np.testing.assert_allclose(np.abs(noisy - x), 0.05, rtol=1e-6)
    assert 0.3 < (noisy > 0).mean() < 0.7
    edge = sign_noise(np.ones((1, 3, 4, 4), np.float32), 0.05)
    assert edge.max() <= 1.0


def test_whitebox_pgd_disrupts_more_than_noise_of_its_size(res6_translator, images):
    labels = np.array([[1, 0, 0, 1, 0], [0, 1, 0, 0, 1], [0, 0, 1, 1, 1], [1, 0, 0, 0, 0]], np.float32)
    domains = target_domains(labels, ("Black_Hair", "Blond_Hair", "Brown_Hair", "Male", "Young"))
    out, protected = whitebox_calibration(res6_translator, images, domains, eps=0.05, max_iter=5)
    assert out["whitebox_mse"] > 3 * out["noise_mse"] > 0
    assert out["whitebox_dsr_0.01"] >= out["noise_dsr_0.01"]
    assert len(protected) == 5 and all(np.abs(p - images).max() <= 0.05 + 1e-6 for p in protected)


@pytest.mark.slow
def test_calibration_through_the_cli(tmp_path):
    out = tmp_path / "results"
    torch.manual_seed(0)
    assert main(["benchmark", "--task", "calibration", "--profile", "tiny", "--targets", "res6", "cnet",
                 "--output", str(out), "--cache-dir", str(tmp_path / "cache"), "--device", "cpu", "--quiet"]) == 0
    records = json.loads((out / "calibration-synthetic-tiny.json").read_text())
    assert [(r["target"], r["domains"]) for r in records] == [("res6", "SD"), ("cnet", "SD")]
    for r in records:
        assert list(r)[:len(CALIBRATION_KEYS)] == list(CALIBRATION_KEYS)
        assert r["recipe"]["recipe"] == "stargan" and r["recipe"]["iterations"] == 10 and r["image_size"] == 16
        assert r["train_seconds"] > 0 and r["command"].startswith("art-initiative benchmark --task calibration")
        assert set(r["classifier_per_attribute"]) <= {"Black_Hair", "Blond_Hair", "Brown_Hair", "Male", "Young"}
        assert set(r["ground_truth_mse"]) == set(r["classifier_per_attribute"])
    md = (out / "calibration-synthetic-tiny.md").read_text()
    assert "| res6 | SD | 16 | stargan, 10 |" in md and "Forger's recipe of the last run: {'recipe': 'stargan'" in md
    assert (out / "calibration-synthetic-tiny.png").is_file()
    # A second run for one target keeps the other target's record and reuses the cached models.
    assert main(["benchmark", "--task", "calibration", "--profile", "tiny", "--targets", "cnet", "--output", str(out),
                 "--cache-dir", str(tmp_path / "cache"), "--device", "cpu", "--quiet"]) == 0
    again = json.loads((out / "calibration-synthetic-tiny.json").read_text())
    assert [(r["target"], r["whitebox_mse"]) for r in again] == [(r["target"], r["whitebox_mse"]) for r in records]
    # A U-Net calibrated before unet_norm existed (BatchNorm) keeps its row beside the InstanceNorm one.
    old_unet = {**records[1], "target": "unet128"}
    (out / "calibration-synthetic-tiny.json").write_text(json.dumps(again + [old_unet]))
    assert main(["benchmark", "--task", "calibration", "--profile", "tiny", "--targets", "unet128", "--output",
                 str(out), "--cache-dir", str(tmp_path / "cache"), "--device", "cpu", "--quiet"]) == 0
    unets = [r for r in json.loads((out / "calibration-synthetic-tiny.json").read_text()) if r["target"] == "unet128"]
    assert [r.get("unet_norm") for r in unets] == [None, "instance"]
    md = (out / "calibration-synthetic-tiny.md").read_text()
    assert "| unet128 | SD | 16 | stargan (batch norm), 10 |" in md
    assert "| unet128 | SD | 16 | stargan (instance norm), 10 |" in md


class _Copier(torch.nn.Module):
    """A translator that ignores its condition and returns the input (a scale keeps a parameter)."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = torch.nn.Parameter(torch.ones(()))

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        return x * self.scale


def test_landmark_check_of_video_crops_finds_no_edits_in_a_copier(tmp_path, write_talking_video):
    pytest.importorskip("dlib")
    from art_initiative.benchmark.attribute import AttributeData
    from art_initiative.benchmark.calibration import landmark_check
    from art_initiative.benchmark.tables import calibration_table
    from art_initiative.data.expressions import expression_labels
    from art_initiative.data.video import VideoFrames
    from art_initiative.estimators import PyTorchImageTranslator

    path = tmp_path / "talk.avi"
    write_talking_video(path, 24, 256, seed=2)
    video = VideoFrames(path, image_size=64, crop_scale=1.5)
    attrs = ("Mouth_Open", "Smiling")
    labels = expression_labels(video.landmarks * 1.0, attrs)
    split = (video.frames, labels)
    data = AttributeData(split, split, split, attrs, {"SD": attrs}, crop_scale=1.5)
    G = PyTorchImageTranslator(_Copier(), (3, 64, 64), c_dim=2, device_type="cpu")
    rec = landmark_check(G, data, [0, 1], attrs)
    assert rec["landmark_real_accuracy"] >= 0.8
    assert rec["landmark_per_attribute"]  # some frames can be edited
    for v in rec["landmark_per_attribute"].values():  # the copier's edit reads exactly as its input
        assert v["edited"] == v["input"] and v["n"] > 0
    assert rec["landmark_accuracy"] == rec["landmark_accuracy_input"] < 0.5
    record = {"target": "copy", "domains": "SD", "image_size": 64, "recipe": {"recipe": "stargan", "iterations": 0},
              "whitebox_dsr": 0.0, "whitebox_dsr_0.02": 0.0, "whitebox_mse": 0.0, "noise_dsr": 0.0,
              "classifier_accuracy": 0.0, "classifier_accuracy_input": 0.0, **rec}
    md = "\n".join(calibration_table([record]))
    assert "landmarks: edited / input" in md and "(landmarks " not in md  # no classifier rows to annotate
    with pytest.raises(ValueError, match="crop_scale"):
        landmark_check(G, AttributeData(split, split, split, attrs, {"SD": attrs}), [0, 1], attrs)


def _calibration_record(**changes):
    record = {"target": "res6", "domains": "SD", "image_size": 32, "recipe": {"recipe": "stargan", "iterations": 10},
              "whitebox_dsr": 0.95, "whitebox_dsr_0.02": 1.0, "whitebox_mse": 0.1, "noise_dsr": 0.0,
              "classifier_accuracy": 0.85, "classifier_accuracy_input": 0.01,
              "classifier_per_attribute": {"Black_Hair": {"edited": 0.9, "input": 0.0, "n": 10},
                                           "Young": {"edited": 0.8, "input": 0.02, "n": 10}}}
    return {**record, **changes}


def test_calibration_shortfalls_name_each_criterion_the_target_misses():
    from art_initiative.benchmark.calibration import calibration_shortfalls
    from art_initiative.benchmark.tables import calibration_table

    assert calibration_shortfalls(_calibration_record()) == []
    assert calibration_shortfalls(_calibration_record(whitebox_dsr=0.894)) == ["white-box 89.4% < 90%"]
    assert calibration_shortfalls(_calibration_record(noise_dsr=0.06)) == ["noise 6.0% > 5%"]
    assert calibration_shortfalls(_calibration_record(classifier_accuracy=0.7986)) == ["classifier 79.9% < 80%"]
    flat = {"Young": {"edited": 0.02, "input": 0.02, "n": 10}, "Male": {"edited": 0.9, "input": 0.0, "n": 10}}
    assert calibration_shortfalls(_calibration_record(classifier_per_attribute=flat)) == ["Young not above the input"]
    both = calibration_shortfalls(_calibration_record(whitebox_dsr=0.1, classifier_accuracy=0.5))
    assert both == ["white-box 10.0% < 90%", "classifier 50.0% < 80%"]
    rows = [line for line in calibration_table([_calibration_record(), _calibration_record(whitebox_dsr=0.1)])
            if line.startswith("| res6")]
    assert rows[0].endswith("| yes |") and rows[1].endswith("| white-box 10.0% < 90% |")
