"""The benchmark harness end to end on tiny settings: records, files, tables, figures, cache reuse."""

from __future__ import annotations

import json

import pytest

from art_initiative.benchmark.attribute import AttributeBenchmarkConfig
from art_initiative.benchmark.harness import reenactment_config, run_benchmark
from art_initiative.benchmark.records import RECORD_KEYS
from art_initiative.benchmark.reenactment import ReenactmentBenchmarkConfig
from art_initiative.cli import main


@pytest.mark.slow
def test_attribute_harness_tiny(tmp_path):
    out, cache = tmp_path / "results", tmp_path / "cache"
    settings = dict(methods=["initiative", "initiative_sign", "ruiz_fgsm", "art_bim", "torchattacks_pgd",
                             "universal", "random_noise", "sign_noise", "whitebox_pgd", "none"],
                    targets=["res6", "cnet"], sweep=[0.02, 0.05])
    records = run_benchmark("attribute_editing", "synthetic", "tiny", out, device_type="cpu", cache_dir=str(cache),
                            verbose=False, **settings)
    main_rows = [r for r in records if not r.get("sweep")]
    assert len(main_rows) == 10 * 2 * 2  # methods x targets x (SD, DD)
    assert {(r["target"], r["domains"]) for r in main_rows} == {("res6", "SD"), ("res6", "DD"), ("cnet", "SD"),
                                                                ("cnet", "DD")}
    for r in records:
        assert set(RECORD_KEYS) <= set(r) and r["task"] == "attribute_editing" and r["n_images"] == 4
        assert r["recipe"] == {"recipe": "stargan", "lambda_id": 0.0, "n_critic": 5, "g_lr": 1e-4, "d_lr": 1e-4,
                               "iterations": 10, "image_size": 16, "width": 4, "disc_width": 8, "batch_size": 16}
    by = {(r["method"], r["target"], r["domains"]): r for r in main_rows}
    assert by[("none", "res6", "SD")]["mse"] == 0 and by[("none", "res6", "SD")]["psnr"] is None
    assert by[("ruiz_fgsm", "res6", "SD")]["mse"] > 0
    # the clean distance to the defender's model: of each SD target, none for the domains it never saw
    assert by[("none", "cnet", "SD")]["clean_distance"] > 0 and by[("none", "cnet", "DD")]["clean_distance"] is None
    # the universal pattern: learned once (its setup recorded), one perturbation added to every face
    uni = by[("universal", "res6", "SD")]
    assert uni["universal_iterations"] == 5 and "setup_seconds" in uni and uni["mse"] > 0
    for setting in [("res6", "SD"), ("cnet", "DD")]:  # the controls: white-box PGD on the target itself, full noise
        assert by[("whitebox_pgd", *setting)]["mse"] > by[("sign_noise", *setting)]["mse"] > 0
    assert by[("sign_noise", "res6", "SD")]["psnr"] < by[("random_noise", "res6", "SD")]["psnr"]
    # initiative_sign is the same trained PG at the full budget: sign noise's PSNR, no training of its own.
    sat, pg = by[("initiative_sign", "res6", "SD")], by[("initiative", "res6", "SD")]
    assert sat["psnr"] == pytest.approx(by[("sign_noise", "res6", "SD")]["psnr"], abs=0.3) and sat["psnr"] < pg["psnr"]
    assert sat["setup_seconds"] == pg["setup_seconds"] and sat["pg_best"] == pg["pg_best"]
    # every setting the PG was trained with travels in the record (profile defaults change; records must not)
    assert sat["defence_config"] == pg["defence_config"] and pg["defence_config"]["pg_width"] == 4
    assert pg["defence_config"]["sm_init"] == "fresh" and "defence_config" not in by[("ruiz_fgsm", "res6", "SD")]
    assert by[("initiative", "res6", "SD")]["seconds_per_image"] < by[("ruiz_fgsm", "res6", "SD")][
        "seconds_per_image"] * 100
    sweep = [r for r in records if r.get("sweep")]
    assert {(r["method"], r["eps"]) for r in sweep} == {(m, e) for m in ("initiative", "random_noise")
                                                         for e in (0.02, 0.05)}
    stem = out / "attribute_editing-synthetic-tiny"
    assert json.loads(stem.with_suffix(".json").read_text()) == json.loads(json.dumps(records))
    md = stem.with_suffix(".md").read_text()
    assert "Forger's recipe (every target and the baseline's surrogate): {'recipe': 'stargan', 'lambda_id': 0.0" in md
    assert "| SD | res6* | 35% / 0.050 | 100% / 0.177 | 95% / 0.124 |" in md
    assert "`SD`: the defence's 5 attributes (" in md and "`DD`: Eyeglasses and Smiling (never seen" in md
    assert "![grid](attribute_editing-synthetic-tiny.png) ![sweep](attribute_editing-synthetic-tiny-sweep.png)" in md
    assert (tmp_path / "results" / "attribute_editing-synthetic-tiny.png").is_file()
    assert (tmp_path / "results" / "attribute_editing-synthetic-tiny-sweep.png").is_file()
    figures = {p: p.read_bytes() for p in (stem.with_suffix(".png"), stem.parent / (stem.name + "-sweep.png"))}
    # Another method later: the cached models are reused, the earlier records and figures are kept.
    again = run_benchmark("attribute_editing", "synthetic", "tiny", out, device_type="cpu", cache_dir=str(cache),
                          verbose=False, methods=["ruiz_pgd"], targets=["res6"], domains=["SD"], sweep=[])
    assert len([r for r in again if not r.get("sweep")]) == len(main_rows) + 1
    assert {p: p.read_bytes() for p in figures} == figures and len([r for r in again if r.get("sweep")]) == len(sweep)
    md = stem.with_suffix(".md").read_text()  # the header describes the latest run, the records their own
    assert "Latest run (earlier runs' records" in md and "'methods': ('ruiz_pgd',)" in md
    assert "![sweep](attribute_editing-synthetic-tiny-sweep.png)" in md  # the earlier sweep is still linked
    assert [r["dsr"] for r in again if r["method"] == "initiative"] == [r["dsr"] for r in records
                                                                        if r["method"] == "initiative"]
    # The other domains alone, with the defence and a sweep: Figures 3 and 4 stay those of the first target with SD.
    dd = run_benchmark("attribute_editing", "synthetic", "tiny", out, device_type="cpu", cache_dir=str(cache),
                       verbose=False, methods=["initiative", "random_noise"], targets=["res6"], domains=["DD"],
                       sweep=[0.02, 0.05])
    assert {p: p.read_bytes() for p in figures} == figures and len([r for r in dd if r.get("sweep")]) == len(sweep)
    alone = tmp_path / "dd"  # into a folder of its own: no figure drawn, none linked
    run_benchmark("attribute_editing", "synthetic", "tiny", alone, device_type="cpu", cache_dir=str(cache),
                  verbose=False, methods=["random_noise"], targets=["res6"], domains=["DD"], sweep=[0.02, 0.05])
    assert sorted(p.suffix for p in alone.iterdir()) == [".json", ".md"]
    assert "![" not in (alone / "attribute_editing-synthetic-tiny.md").read_text()
    # A cached defence reports the seconds its training took (from its training checkpoint), not those of loading.
    trained = by[("initiative", "res6", "SD")]["setup_seconds"]
    reloaded = run_benchmark("attribute_editing", "synthetic", "tiny", out, device_type="cpu", cache_dir=str(cache),
                             verbose=False, methods=["initiative"], targets=["res6"], domains=["SD"], sweep=[])
    assert [r["setup_seconds"] for r in reloaded if r["method"] == "initiative" and r["target"] == "res6"
            and r["domains"] == "SD" and not r.get("sweep")] == [trained]


@pytest.mark.slow
def test_attribute_harness_with_a_public_model(tmp_path):
    """The forger fine-tunes the public model (the baseline's surrogate) and the defence starts from it too; a
    forger with another architecture (the black-box row) trains it from scratch for ``blackbox_iterations``."""
    import glob

    out, cache = tmp_path / "results", tmp_path / "cache"
    records = run_benchmark("attribute_editing", "synthetic", "tiny", out, device_type="cpu", cache_dir=str(cache),
                            verbose=False, methods=["initiative", "random_noise", "none"], targets=["res6", "cnet"],
                            domains=["SD"], sweep=[], forger_start="public", finetune_iterations=6,
                            blackbox_iterations=4,
                            defence={"sm_pretrain_iterations": 2})  # the user's settings win over the default 500
    assert {r["method"] for r in records} == {"initiative", "random_noise", "none"}
    assert all(r["forger_start"] == "public" and r["finetune_iterations"] == 6 for r in records)
    trained_as = {(r["target"], r["target_init"], r["target_trained_iterations"]) for r in records}
    assert trained_as == {("res6", "public", 6), ("cnet", "scratch", 4)}
    # A fine-tuning of the public model edits the clean faces nearly as it does; a model from random weights not.
    distance = {r["target"]: r["clean_distance"] for r in records}
    assert len({(r["target"], r["clean_distance"]) for r in records}) == 2  # one figure per target
    assert 0 < distance["res6"] < distance["cnet"] / 10
    md = (out / "attribute_editing-synthetic-tiny-public.md").read_text()
    assert "Clean distance of each SD target" in md and f"`cnet` {distance['cnet']:.4f}" in md
    assert glob.glob(str(cache / "stargan-cnet-*-s2-*-it4.json")) and not glob.glob(str(cache / "stargan-cnet-*-ft*"))
    assert (out / "attribute_editing-synthetic-tiny-public.json").is_file()
    assert not (out / "attribute_editing-synthetic-tiny.json").exists()  # the paper's protocol keeps its own file
    tuned = glob.glob(str(cache / "stargan-res6-*-ft*-it6.json"))
    assert len(tuned) == 1 and json.loads(open(tuned[0]).read())["state"]["extra"]["init_from"].endswith("-it10.pt")
    defence = json.loads(open(glob.glob(str(cache / "initiative-tiny-*-public.json"))[0]).read())["config"]
    assert (defence["sm_init"], defence["sm_pretrain_iterations"], defence["augment_shift"]) == ("estimator", 2, 0)


def test_a_verbose_run_shows_progress_while_the_surrogate_and_the_forger_train(tmp_path, capfd):
    run_benchmark("attribute_editing", "synthetic", "tiny", tmp_path / "results", device_type="cpu",
                  cache_dir=str(tmp_path / "cache"), verbose=True, methods=["none"], targets=["cnet"],
                  domains=["SD"], sweep=[], target_iterations=3)
    err = capfd.readouterr().err
    assert "StarGAN res6" in err and "StarGAN cnet" in err  # the baseline's surrogate, then the forger's target


def test_black_box_targets_and_the_universal_control_through_the_cli(tmp_path):
    out = tmp_path / "results"
    assert main(["benchmark", "--task", "attribute_editing", "--profile", "tiny", "--output", str(out), "--cache-dir",
                 str(tmp_path / "cache"), "--device", "cpu", "--quiet", "--forger-start", "public", "--targets",
                 "res6", "cnet", "--domains", "SD", "--sweep", "--methods", "universal", "none",
                 "--finetune-iterations", "3", "--blackbox-iterations", "4", "--universal-iterations", "2"]) == 0
    records = json.loads((out / "attribute_editing-synthetic-tiny-public.json").read_text())
    assert {(r["method"], r["target"], r["target_init"], r["target_trained_iterations"]) for r in records} == {
        (m, t, init, its) for m in ("universal", "none") for t, init, its in (("res6", "public", 3),
                                                                               ("cnet", "scratch", 4))}
    assert all(r["universal_iterations"] == 2 for r in records if r["method"] == "universal")


def test_another_surrogate_architecture_is_the_public_model_and_the_gray_box_row(tmp_path):
    """``--surrogate-arch cnet``: the defender's model (the public one) is a cnet, the forger's cnet fine-tunes it
    and is the starred gray-box row, a res6 forger trains from scratch; results and defences are kept apart from
    the paper's res6 setting."""
    import glob

    out, cache = tmp_path / "results", tmp_path / "cache"
    assert main(["benchmark", "--task", "attribute_editing", "--profile", "tiny", "--output", str(out), "--cache-dir",
                 str(cache), "--device", "cpu", "--quiet", "--forger-start", "public", "--surrogate-arch", "cnet",
                 "--targets", "cnet", "res6", "--domains", "SD", "--sweep", "--methods", "sign_noise", "none",
                 "--finetune-iterations", "3", "--blackbox-iterations", "4"]) == 0
    stem = out / "attribute_editing-synthetic-tiny-public-cnet"
    records = json.loads(stem.with_suffix(".json").read_text())
    assert {(r["target"], r["target_init"], r["target_trained_iterations"], r["surrogate_arch"]) for r in records} \
        == {("cnet", "public", 3, "cnet"), ("res6", "scratch", 4, "cnet")}
    assert not (out / "attribute_editing-synthetic-tiny-public.json").exists()
    tuned = glob.glob(str(cache / "stargan-cnet-*-ft*-it3.json"))
    assert len(tuned) == 1 and "stargan-cnet-" in json.loads(open(tuned[0]).read())["state"]["extra"]["init_from"]
    md = stem.with_suffix(".md").read_text()
    assert "| SD | cnet* |" in md and "| SD | res6 |" in md  # no paper columns either: not the paper's setting
    with pytest.raises(ValueError, match="surrogate_arch must be one of"):
        run_benchmark("attribute_editing", "synthetic", "tiny", out, device_type="cpu", verbose=False,
                      surrogate_arch="unet256")


@pytest.mark.slow
def test_reenactment_harness_tiny_through_the_cli(tmp_path, capsys):
    out = tmp_path / "results"
    assert main(["benchmark", "--task", "reenactment", "--profile", "tiny", "--output", str(out), "--cache-dir",
                 str(tmp_path / "cache"), "--device", "cpu", "--quiet", "--targets", "cnet", "--eps", "0.02", "0.05",
                 "--methods", "initiative", "random_noise", "sign_noise", "universal_sign", "initiative_universal",
                 "unlearnable", "unlearnable_shared", "adversarial_poison", "none", "--forger-seeds", "2"]) == 0
    records = json.loads((out / "reenactment-synthetic-tiny.json").read_text())
    assert {(r["method"], r["eps"]) for r in records} == {("none", 0.0), ("initiative", 0.02), ("initiative", 0.05),
                                                          ("random_noise", 0.02), ("random_noise", 0.05),
                                                          ("sign_noise", 0.02), ("sign_noise", 0.05),
                                                          ("universal_sign", 0.02), ("universal_sign", 0.05),
                                                          ("initiative_universal", 0.02),
                                                          ("initiative_universal", 0.05)} | {
        (m, e) for m in ("unlearnable", "unlearnable_shared", "adversarial_poison") for e in (0.02, 0.05)}
    for r in records:
        assert r["task"] == "reenactment" and r["domains"] is None and r["target"] == "cnet"
        assert r["l1_to_real"] > 0 and r["lpips_to_real"] > 0 and r["lpips_to_real_clean"] > 0
        assert r["n_seeds"] == 2
        assert {"dsr_std", "l1_to_real_std", "lpips_to_real_std", "l1_to_real_clean_std"} <= set(r)
    # Two seed pairs: the clean references are seeds 10 and 12, the forgers of the published frames 11 and 13.
    cached = {p.name.split("-")[3] for p in (tmp_path / "cache").glob("pix2pix-cnet-*.pt")}
    assert cached == {"s10", "s11", "s12", "s13"}
    signs = next(r for r in records if r["method"] == "sign_noise" and r["eps"] == 0.05)
    noise = next(r for r in records if r["method"] == "random_noise" and r["eps"] == 0.05)
    shared = next(r for r in records if r["method"] == "universal_sign" and r["eps"] == 0.05)
    assert abs(shared["psnr"] - signs["psnr"]) < 0.5  # the same budget on every pixel, one pattern for all frames
    assert signs["psnr"] < noise["psnr"]  # the full budget on every pixel costs more than uniform noise
    assert noise["psnr"] < next(r for r in records if r["method"] == "random_noise" and r["eps"] == 0.02)["psnr"]
    poisons = {r["method"]: r for r in records if "poison" in r and r["eps"] == 0.05}
    assert {m: r["poison"]["objective"] for m, r in poisons.items()} == {
        "unlearnable": "min", "unlearnable_shared": "min", "adversarial_poison": "max"}
    assert all(r["setup_seconds"] > 0 and r["poison"]["rounds"] == 2 for r in poisons.values())
    assert abs(poisons["adversarial_poison"]["psnr"] - signs["psnr"]) < 0.5  # the full budget on every pixel
    assert poisons["unlearnable"]["psnr"] > signs["psnr"]  # a pixel moves only as far as the surrogate's error
    assert len(list((tmp_path / "cache").glob("unlearnable-r2-eps0.05-*.pt"))) == 1  # the poison's checkpoint, reused
    md = (out / "reenactment-synthetic-tiny.md").read_text()
    assert "| cnet (20 it) | 100% / 0.165 | 100% / 0.135 |" in md and "--task reenactment" in md
    assert "(2 seeds)" in md and "(LPIPS " in md
    assert (out / "reenactment-synthetic-tiny.png").is_file()


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"methods": ("pgd",)}, "methods must be"),
    ({"targets": ()}, "targets must be"),
    ({"targets": ("res7",)}, "targets must be"),
    ({"domains": ("XD",)}, "domains must be"),
    ({"eps": 0.0}, "eps and sweep"),
    ({"n_test": 0}, "n_test must be"),
    ({"forger_start": "pretrained"}, "forger_start must be one of"),
    ({"forger_start": "public", "targets": ("res6",)}, "domains must be \\('SD',\\)"),
    ({"forger_start": "public", "targets": ("cnet",), "domains": ("SD", "DD")}, "fine-tunes the public model"),
    ({"blackbox_iterations": 0}, "blackbox_iterations must be None or an int >= 1"),
    ({"blackbox_iterations": 2.5}, "blackbox_iterations must be None or an int >= 1"),
    ({"defence_faces": 0}, "defence_faces must be None or an int >= 1, got 0"),
    ({"defence_faces": True}, "defence_faces must be None or an int >= 1, got True"),
])
def test_attribute_config_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        AttributeBenchmarkConfig(**kwargs).validate()


def test_each_data_source_names_its_own_domain_settings_without_loading_it():
    from art_initiative.benchmark.attribute import domain_settings

    assert domain_settings("franck") == {"SD": ("Mouth_Open", "Smiling", "Head_Left"),
                                         "DD": ("Eyes_Closed", "Head_Right")}
    assert domain_settings("synthetic")["DD"] == ("Eyeglasses", "Smiling")
    assert len(domain_settings("synthetic")["SD"]) == 5


def test_more_refinement_requests_than_the_data_has_are_refused_before_anything_loads(tmp_path):
    # franck has three edit requests per face; the video is not needed to refuse four.
    with pytest.raises(ValueError, match=r"refine_requests must be at most 3 on 'franck'.*got 4"):
        run_benchmark("attribute_editing", "franck", "tiny", tmp_path, device_type="cpu", cache_dir=None,
                      verbose=False, methods=["initiative_refined"], refine_requests=4)
    with pytest.raises(ValueError, match=r"refine_requests must be at most 3 on 'franck'.*got 4"):
        run_benchmark("robustness", "franck", "tiny", tmp_path, device_type="cpu", cache_dir=None,
                      verbose=False, refine_requests=4)


def test_any_registered_generator_is_a_target_beyond_the_papers_tables():
    # The paper's tables are the defaults; a generator of the model registry needs no second list to be benchmarked.
    assert AttributeBenchmarkConfig(targets=("unet256",)).validate().targets == ("unet256",)
    assert ReenactmentBenchmarkConfig(targets=("res6",)).validate().targets == ("res6",)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"methods": ("ruiz_pgd",)}, "methods must be"),
    ({"eps": ()}, "eps must be"),
    ({"gap": -1}, "gap must be"),
    ({"forger_seeds": 0}, "forger_seeds must be"),
    ({"forger_disc_layers": 6}, "forger_disc_layers must be"),
    ({"poison_rounds": 0}, "poison_rounds must be"),
    ({"target_forger_iterations": {"res7": 10}}, "target_forger_iterations must map"),
    ({"target_forger_iterations": {"res6": 0}}, "target_forger_iterations must map"),
])
def test_reenactment_config_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ReenactmentBenchmarkConfig(**kwargs).validate()


@pytest.mark.slow
def test_reenactment_forgers_of_one_target_train_longer_and_the_records_say_so(tmp_path):
    records = run_benchmark("reenactment", profile="tiny", output=tmp_path, device_type="cpu",
                            cache_dir=str(tmp_path / "cache"), verbose=False, targets=("cnet", "res6"),
                            methods=("sign_noise", "none"), eps=(0.05,), target_forger_iterations={"res6": 30})
    assert {(r["target"], r["forger_iterations"]) for r in records} == {("cnet", 20), ("res6", 30)}
    assert {p.name.rsplit("-", 1)[1] for p in (tmp_path / "cache").glob("pix2pix-res6-*.pt")} == {"it30.pt"}
    md = (tmp_path / "reenactment-synthetic-tiny.md").read_text()
    assert "| res6 (30 it) |" in md and "| cnet (20 it) |" in md
    # unet128 is unet256's network at 16 px: trained once, its records are unet256's.
    unets = run_benchmark("reenactment", profile="tiny", output=tmp_path / "u", device_type="cpu",
                          cache_dir=str(tmp_path / "cache"), verbose=False, targets=("unet256", "unet128"),
                          methods=("sign_noise", "none"), eps=(0.05,))
    by = {(r["target"], r["method"]): r for r in unets}
    assert by[("unet128", "sign_noise")]["same_network_as"] == "unet256"
    assert by[("unet128", "sign_noise")]["l1"] == by[("unet256", "sign_noise")]["l1"]
    assert not list((tmp_path / "cache").glob("pix2pix-unet128-*"))
    md = (tmp_path / "u" / "reenactment-synthetic-tiny.md").read_text()
    assert "| unet128 (20 it), the network of unet256 |" in md
    # The cpu profile trains the U-Nets' forgers longer; an explicit forger_iterations is every target's.
    cpu, size = reenactment_config("cpu")
    assert (cpu.iterations_for("unet256"), cpu.iterations_for("res6"), size) == (6000, 2000, 32)
    assert reenactment_config("cpu", forger_iterations=3000)[0].iterations_for("unet256") == 3000


def test_harness_argument_errors(tmp_path):
    with pytest.raises(ValueError, match="task must be one of"):
        run_benchmark("deblur", output=tmp_path)
    with pytest.raises(ValueError, match="profile must be one of"):
        run_benchmark("reenactment", profile="huge", output=tmp_path)
    with pytest.raises(ValueError, match="data must be 'synthetic' or 'franck'"):
        run_benchmark("attribute_editing", data="celeba", profile="tiny", output=tmp_path)
    with pytest.raises(ValueError, match="data must be 'synthetic' or 'franck' for calibration"):
        run_benchmark("calibration", data="celeba", profile="tiny", output=tmp_path)
    with pytest.raises(FileNotFoundError, match="video file not found"):
        run_benchmark("reenactment", data=str(tmp_path / "none.mp4"), profile="tiny", output=tmp_path)
    with pytest.raises(ValueError,
                       match=r"settings \['refine_steps', 'target_iterations'\] do not apply to reenactment"):
        run_benchmark("reenactment", profile="tiny", output=tmp_path, refine_steps=2, target_iterations=10)


def test_the_baselines_budget_of_steps_is_a_setting_that_records_carry(tmp_path, capsys):
    """``--pgd-steps`` / ``--eps-step``: the Ruiz baseline (and white-box PGD) at another budget than Ruiz et al.'s
    10 steps of 0.01; every record says which."""
    cache = str(tmp_path / "cache")

    def ruiz(steps: str, step: str) -> dict:
        out = tmp_path / f"results-{steps}-{step}"
        assert main(["benchmark", "--task", "attribute_editing", "--profile", "tiny", "--output", str(out),
                     "--cache-dir", cache, "--device", "cpu", "--quiet", "--targets", "res6", "--domains", "SD",
                     "--sweep", "--methods", "ruiz_pgd", "none", "--pgd-steps", steps, "--eps-step", step]) == 0
        records = json.loads((out / "attribute_editing-synthetic-tiny.json").read_text())
        assert {(r["pgd_steps"], r["eps_step"]) for r in records} == {(int(steps), float(step))}
        return next(r for r in records if r["method"] == "ruiz_pgd")

    # one step of 0.002 from a random start moves the gray-box target less than four of 0.02
    assert ruiz("1", "0.002")["mse"] < ruiz("4", "0.02")["mse"]
    with pytest.raises(ValueError, match=r"eps_step \(the iterative baselines' step size\) must be a number in"):
        run_benchmark("attribute_editing", "synthetic", "tiny", tmp_path / "x", device_type="cpu", verbose=False,
                      eps_step=0.0)
    assert main(["benchmark", "--task", "reenactment", "--profile", "tiny", "--output", str(tmp_path / "r"),
                 "--device", "cpu", "--quiet", "--pgd-steps", "3"]) != 0
    assert "settings ['pgd_steps'] do not apply to reenactment" in capsys.readouterr().err
