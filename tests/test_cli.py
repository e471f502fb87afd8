import json

import numpy as np
import pytest

from art_initiative.cli import main
from art_initiative.data import ImageFolder


def test_info(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert "alexnet.ckpt" in out and "pg_unet" in out


def test_render_synthetic_writes_images_and_labels_and_never_overwrites(tmp_path, capsys):
    out = tmp_path / "faces"
    assert main(["render-synthetic", str(out), "--n", "3", "--image-size", "16"]) == 0
    assert len(ImageFolder(out)) == 3
    header, *rows = (out / "labels.csv").read_text().splitlines()
    assert header.startswith("file,Black_Hair") and len(rows) == 3
    before = (out / "face_000000.png").read_bytes()
    assert main(["render-synthetic", str(out), "--n", "3", "--image-size", "32"]) == 2
    assert "not empty" in capsys.readouterr().err
    assert (out / "face_000000.png").read_bytes() == before


def test_train_target_and_resume(tmp_path):
    ckpt = tmp_path / "t.pt"

    def args(iterations, *extra):
        return ["train-target", str(ckpt), "--task", "reenactment", "--arch", "cnet", "--n", "8",
                "--image-size", "16", "--width", "4", "--iterations", str(iterations), "--batch-size", "2",
                "--device", "cpu", "--quiet", *extra]

    assert main(args(2)) == 0
    assert json.loads((tmp_path / "t.json").read_text())["state"]["iteration"] == 2
    assert main(args(3)) == 2  # the checkpoint exists and --resume was not given
    assert main(args(3, "--resume")) == 0
    assert json.loads((tmp_path / "t.json").read_text())["state"]["iteration"] == 3


@pytest.mark.slow
def test_demo_end_to_end(tmp_path, capsys):
    out = tmp_path / "demo"
    args = ["demo", "--output", str(out), "--iterations", "20", "--finetune-iterations", "5",
            "--sm-pretrain-iterations", "4", "--defense-iterations", "4", "--n-train", "32", "--n-test", "4",
            "--image-size", "16", "--width", "4",
            "--disc-width", "8", "--classifier-iterations", "10", "--device", "cpu", "--quiet"]
    assert main(args) == 0
    report = json.loads((out / "report.json").read_text())
    methods = {r["method"]: r for r in report["records"]}
    assert set(methods) == {"initiative", "initiative_sign", "initiative_refined", "ruiz_pgd", "random_noise",
                            "sign_noise", "whitebox_pgd", "none"}
    assert report["config"]["forger_start"] == "public" and methods["initiative"]["forger_start"] == "public"
    for r in methods.values():
        assert r["n_images"] == 4 and r["target"] == "cnet" and r["domains"] == "SD"  # the demo's architecture
        assert r["surrogate_arch"] == "cnet"
    assert methods["none"]["mse"] == 0.0 and methods["none"]["dsr"] == 0.0 and methods["ruiz_pgd"]["mse"] > 0
    assert report["speedup_vs_ruiz_pgd"] > 1
    check = report["calibration"]
    assert set(check["classifier_per_attribute"]) <= {"Black_Hair", "Blond_Hair", "Brown_Hair", "Male", "Young"}
    assert check["whitebox_mse"] > check["noise_mse"] and report["recipe"]["disc_width"] == 8
    assert (out / "comparison.png").is_file()
    md = (out / "report.md").read_text()
    assert "| initiative |" in md and "| ruiz_pgd |" in md and "White-box Ruiz PGD-10 on the target itself" in md
    assert md.startswith("# art_initiative demo\n\nPublic-model setting") and "the Ruiz baseline (" in md
    assert "a StarGAN-like `cnet`" in md
    assert "saturated (`initiative_sign`" in md
    assert "2 gradient steps on the defender's model (`initiative_refined`" in md
    assert methods["initiative_refined"]["refine_steps"] == 2
    # the second half of the defence's 4 iterations decays the learning rates (the public code's schedule)
    assert methods["initiative"]["defence_config"]["lr_decay_start"] == 2
    assert "Report and figures written to" in capsys.readouterr().out
    # A second run reuses the cached models and gives the same forgery figures.
    assert main(args) == 0
    again = {r["method"]: r for r in json.loads((out / "report.json").read_text())["records"]}
    assert again["ruiz_pgd"]["mse"] == pytest.approx(methods["ruiz_pgd"]["mse"])
    assert again["initiative"]["mse"] == pytest.approx(methods["initiative"]["mse"])


def test_the_demo_decays_over_the_second_half_of_the_iterations_its_defence_trains():
    from art_initiative.attacks.initiative.config import make_config
    from art_initiative.benchmark.demo import DemoConfig
    from art_initiative.benchmark.protections import defence_overrides

    def decay(**kwargs) -> int:
        bench = DemoConfig(**kwargs).benchmark_config()
        return make_config("cpu", **defence_overrides("initiative", bench)).lr_decay_start

    assert decay() == 500 and decay(defence_iterations=600) == 300
    assert decay(defence_settings={"iterations": 100}) == 50  # --set iterations=100 is what the PG trains
    assert decay(defence_settings={"lr_decay_start": 0}) == 0


def test_train_defense_protect_and_evaluate(tmp_path, capsys):
    from art_initiative.data import read_image

    defence = tmp_path / "defence.pt"
    assert main(["train-defense", str(defence), "--profile", "tiny", "--image-size", "16", "--width", "4",
                 "--n-train", "24", "--iterations", "3", "--device", "cpu", "--quiet",
                 "--set", "sm_pretrain_iterations=2", "--set", "alternating=false"]) == 0
    assert defence.is_file() and (tmp_path / "defence-training.pt").is_file()
    stored = json.loads((tmp_path / "defence.json").read_text())["config"]
    assert stored["alternating"] is False and stored["sm_pretrain_iterations"] == 2
    assert main(["train-defense", str(tmp_path / "other.pt"), "--profile", "tiny", "--device", "cpu",
                 "--set", "alternating=maybe"]) == 2
    assert "alternating must be a bool" in capsys.readouterr().err
    assert main(["train-defense", str(defence), "--profile", "tiny", "--device", "cpu", "--quiet"]) == 2  # exists

    photos = tmp_path / "photos"
    assert main(["render-synthetic", str(photos), "--n", "3", "--image-size", "16"]) == 0
    (photos / "broken.png").write_bytes(b"not a png")
    out = tmp_path / "protected"
    capsys.readouterr()
    args = ["protect", str(photos), str(out), "--defense", str(defence), "--device", "cpu", "--quiet"]
    assert main(args + ["--whole"]) == 0  # 16 px renders: too small for the face detector, protected whole
    captured = capsys.readouterr()
    assert "protected 3 of 4 images" in captured.out and "images/s" in captured.out
    assert "face_000000.png: 16x16 RGB, whole image, PSNR" in captured.out
    assert "unreadable, skipped" in captured.err and "broken.png" in captured.err
    for name in ("face_000000.png", "face_000001.png", "face_000002.png"):
        clean, prot = read_image(photos / name), read_image(out / name)
        assert 0 < np.abs(prot - clean).max() <= 0.05  # the bound holds on the written 8-bit pixels
    before = (out / "face_000000.png").read_bytes()
    assert main(args + ["--whole"]) == 2
    assert (out / "face_000000.png").read_bytes() == before  # nothing overwritten

    target = tmp_path / "target.pt"
    assert main(["train-target", str(target), "--n", "16", "--image-size", "16", "--width", "4", "--iterations", "2",
                 "--disc-width", "4", "--batch-size", "4", "--device", "cpu", "--quiet"]) == 0
    stored = json.loads(target.with_suffix(".json").read_text())["config"]
    assert (stored["n_critic"], stored["lambda_id"], stored["g_lr"], stored["disc_width"]) == (5, 0.0, 1e-4, 4)
    report = tmp_path / "eval.json"
    assert main(["evaluate", "--defense", str(defence), "--target", str(target), "--n", "4", "--device", "cpu",
                 "--json", str(report)]) == 0
    result = json.loads(report.read_text())
    assert result["n_pairs"] == 20 and result["psnr"] > 25 and result["mse"] > 0
    # DSR is the share of pairs above MSE 0.05: none of them when the mean MSE is far below it.
    assert result["dsr"] == 0.0 if result["mse"] < 0.05 / 20 else result["dsr"] > 0


@pytest.mark.faces
def test_protect_keeps_real_photos_at_their_size_and_mode(tmp_path, capsys):
    pytest.importorskip("dlib")
    from PIL import Image
    from skimage import data

    defence = tmp_path / "defence.pt"
    assert main(["train-defense", str(defence), "--profile", "tiny", "--image-size", "16", "--width", "4",
                 "--n-train", "8", "--iterations", "2", "--device", "cpu", "--quiet"]) == 0
    photos = tmp_path / "photos"
    photos.mkdir()
    Image.fromarray(data.astronaut()).save(photos / "astronaut.png")
    Image.fromarray(data.astronaut()).convert("L").save(photos / "grey.png")
    Image.fromarray(data.coffee()).save(photos / "coffee.jpg", quality=95)  # no face
    out = tmp_path / "out"
    capsys.readouterr()
    assert main(["protect", str(photos), str(out), "--defense", str(defence), "--device", "cpu", "--quiet"]) == 0
    captured = capsys.readouterr()
    assert "astronaut.png: 512x512 RGB, 1 face(s), PSNR" in captured.out
    assert "grey.png: 512x512 L, 1 face(s)" in captured.out and "protected 2 of 3 images" in captured.out
    assert "coffee.png: no face found, skipped" in captured.err and not (out / "coffee.png").exists()
    assert Image.open(out / "grey.png").mode == "L" and Image.open(out / "astronaut.png").size == (512, 512)
    assert main(["protect", str(photos / "coffee.jpg"), str(out), "--defense", str(defence), "--device", "cpu",
                 "--quiet", "--no-face", "whole", "--format", "jpeg"]) == 0
    assert Image.open(out / "coffee.jpg").format == "JPEG"


def _shipped_reenactment() -> bool:
    from art_initiative.attacks.initiative import pretrained

    return pretrained.default_for("reenactment") is not None


@pytest.mark.skipif(not _shipped_reenactment(), reason="no shipped reenactment PG in this checkout")
def test_protect_a_video_with_the_shipped_reenactment_pg(tmp_path, capsys, write_talking_video):
    from art_initiative.attacks.initiative import pretrained
    from art_initiative.data import VideoFrames, read_image

    name = pretrained.default_for("reenactment")
    meta = pretrained.available()[name]
    size, eps = meta["input_shape"][1], meta["config"]["eps"]
    video = tmp_path / "talk.avi"
    write_talking_video(video, 6, 256)
    out = tmp_path / "out"
    assert main(["protect", str(video), str(out), "--device", "cpu", "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "using the shipped default reenactment PG" in printed and "protected 6 face crops" in printed
    crops = VideoFrames(video, image_size=size).frames
    first = read_image(out / "talk_protected_frames" / "frame_000000.png")
    assert first.shape == crops[0].shape and 0 < np.abs(first - crops[0]).max() <= eps + 2 / 255
    # --pattern shared: one pattern on every frame, every pixel moved by the full budget (up to 8-bit rounding)
    shared = tmp_path / "shared"
    assert main(["protect", str(video), str(shared), "--pattern", "shared", "--device", "cpu", "--quiet"]) == 0
    assert "shared pattern" in capsys.readouterr().out
    deltas = np.stack([read_image(shared / "talk_protected_frames" / f"frame_{t:06d}.png") - crops[t]
                       for t in range(6)])
    inside = (np.abs(crops) < 0.9).all(axis=0)
    assert np.abs(np.abs(deltas[:, inside]) - eps).max() <= 1.5 / 255
    assert (np.sign(deltas[:, inside]) == np.sign(deltas[0, inside])).all()
    assert main(["protect", str(tmp_path), str(tmp_path / "photos"), "--pattern", "shared", "--device", "cpu",
                 "--quiet"]) == 2
    assert "--pattern applies to videos" in capsys.readouterr().err


def test_protect_a_video_with_an_error_maximising_poison(tmp_path, capsys, write_talking_video):
    from art_initiative.data import VideoFrames, read_image

    video = tmp_path / "talk.avi"
    write_talking_video(video, 6, 256)
    out = tmp_path / "out"
    assert main(["protect", str(video), str(out), "--poison", "max", "--eps", "0.03", "--image-size", "16",
                 "--poison-rounds", "1", "--device", "cpu", "--quiet"]) == 0
    assert "error-max poison, eps 0.03" in capsys.readouterr().out
    crops = VideoFrames(video, image_size=16).frames
    deltas = np.stack([read_image(out / "talk_protected_frames" / f"frame_{t:06d}.png") - crops[t] for t in range(6)])
    inside = (np.abs(crops) < 0.9)
    assert np.abs(np.abs(deltas[inside]) - 0.03).max() <= 1.5 / 255  # the full budget on every pixel
    assert main(["protect", str(video), str(tmp_path / "o2"), "--poison", "max", "--weights", "x", "--device",
                 "cpu", "--quiet"]) == 2
    assert "takes no --defense or --weights" in capsys.readouterr().err
    assert main(["protect", str(tmp_path), str(tmp_path / "photos"), "--poison", "min", "--device", "cpu",
                 "--quiet"]) == 2
    assert "--poison applies to videos" in capsys.readouterr().err
    assert main(["protect", str(video), str(tmp_path / "o3"), "--poison", "max", "--eps", "2", "--image-size", "16",
                 "--device", "cpu", "--quiet"]) == 2
    assert "eps must be a number in (0, 1]" in capsys.readouterr().err
    assert main(["protect", str(video), str(tmp_path / "o4"), "--eps", "0.03", "--device", "cpu", "--quiet"]) == 2
    assert "--eps set the --poison noise" in capsys.readouterr().err  # not silently ignored by a PG
    assert main(["protect", str(tmp_path / "missing.jpg"), str(tmp_path / "o5"), "--device", "cpu", "--quiet"]) == 2
    assert "input must be an image file, a folder of images or a video file; not found" in capsys.readouterr().err
    assert not (tmp_path / "o4").exists() and not (tmp_path / "o5").exists()


def test_train_defense_for_reenactment_on_the_synthetic_talking_face(tmp_path):
    defence = tmp_path / "video-defence.pt"
    assert main(["train-defense", str(defence), "--task", "reenactment", "--profile", "tiny", "--image-size", "16",
                 "--width", "4", "--n-train", "12", "--iterations", "2", "--device", "cpu", "--quiet"]) == 0
    stored = json.loads((tmp_path / "video-defence.json").read_text())["config"]
    assert stored["task"] == "reenactment" and stored["eps"] == 0.02
    assert main(["train-defense", str(tmp_path / "x.pt"), "--task", "reenactment", "--data", "celeba",
                 "--device", "cpu", "--quiet"]) == 2


def test_reenactment_defence_from_a_video_file_and_protecting_the_video(tmp_path, capsys, write_talking_video):
    import cv2

    from art_initiative.data import VideoFrames, read_image

    video = tmp_path / "talk.avi"
    write_talking_video(video, 12, 256)
    defence = tmp_path / "video-defence.pt"
    assert main(["train-defense", str(defence), "--task", "reenactment", "--video", str(video), "--profile", "tiny",
                 "--image-size", "16", "--width", "4", "--iterations", "2", "--device", "cpu", "--quiet"]) == 0
    out = tmp_path / "out"
    assert main(["protect", str(video), str(out), "--defense", str(defence), "--device", "cpu", "--quiet"]) == 0
    assert "protected 12 face crops" in capsys.readouterr().out
    crops = VideoFrames(video, image_size=16).frames
    first = read_image(out / "talk_protected_frames" / "frame_000000.png")
    assert np.abs(first - crops[0]).max() <= 0.02 + 2 / 255
    reread = cv2.VideoCapture(str(out / "talk_protected.avi"))
    ok, frame = reread.read()
    assert ok and frame.shape == (16, 16, 3)
    assert main(["protect", str(video), str(out), "--defense", str(defence), "--device", "cpu", "--quiet"]) == 2


def test_train_defense_starts_its_sm_from_a_given_surrogate(tmp_path, capsys):
    import torch

    from art_initiative.estimators import PyTorchImageTranslator
    from art_initiative.training import load_stargan

    target = tmp_path / "mine.pt"
    assert main(["train-target", str(target), "--arch", "cnet", "--n", "16", "--image-size", "16", "--width", "4",
                 "--iterations", "2", "--disc-width", "4", "--batch-size", "4", "--device", "cpu", "--quiet"]) == 0
    defence = tmp_path / "on-mine.pt"
    common = ["--profile", "tiny", "--n-train", "8", "--iterations", "2", "--device", "cpu", "--quiet",
              "--set", "sm_pretrain_iterations=0"]
    assert main(["train-defense", str(defence), "--surrogate", str(target), *common]) == 0
    stored = json.loads(defence.with_suffix(".json").read_text())
    assert stored["config"]["sm_init"] == "estimator"
    # The SM started from the given weights: 2 iterations at the tiny profile's rate move them only a little,
    # while a fresh SM of the same architecture is far from them.
    mine = load_stargan(str(target), "cpu").model.state_dict()
    sm = torch.load(tmp_path / "on-mine-training.pt", weights_only=True)["modules"]["sm"]
    fresh = PyTorchImageTranslator.from_architecture("cnet", 16, 4, 5, "cpu").model.state_dict()
    key = next(k for k in mine if k.endswith("weight") and mine[k].ndim == 4)
    assert (sm[key] - mine[key]).abs().mean() < 0.2 * (fresh[key] - mine[key]).abs().mean()
    # Its architecture, size and width come from the checkpoint; a disagreeing one is refused by name.
    assert main(["train-defense", str(tmp_path / "x.pt"), "--surrogate", str(target), "--width", "8", *common]) == 2
    assert "--width 8 disagrees" in capsys.readouterr().err
    assert main(["train-defense", str(tmp_path / "y.pt"), "--surrogate", str(tmp_path / "missing.pt"), *common]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["train-defense", str(tmp_path / "z.pt"), "--task", "reenactment", "--surrogate", str(target),
                 *common]) == 2
    assert "expected a pix2pix" in capsys.readouterr().err
