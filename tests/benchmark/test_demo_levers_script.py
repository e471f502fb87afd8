"""``benchmarks/demo_levers.py``: the defence's levers at the demo's scale, one demo run per variant."""

from __future__ import annotations

import numpy as np
import pytest


def _scores(dsr: float, mse: float) -> dict:
    return {"dsr": dsr, "dsr_0.02": 0.5, "dsr_0.01": 0.9, "mse": mse, "psnr": 33.0, "seconds_per_image": 0.001}


def test_variant_specs_give_typed_settings_or_a_clear_error(load_script, capsys):
    levers = load_script("benchmarks/demo_levers.py")
    assert levers.parse_variant("base=400") == ("base", 400, {})
    assert levers.parse_variant("fast=900,lambda_cyc=0,enhancement=false") == (
        "fast", 900, {"lambda_cyc": 0.0, "enhancement": False})
    for bad in ("base", "base=four", "=400"):
        with pytest.raises(ValueError, match="NAME=ITERATIONS"):
            levers.parse_variant(bad)
    with pytest.raises(ValueError, match="settings must be KEY=VALUE"):
        levers.parse_variant("x=400,no_such_setting=1")
    # defence_faces is the demo's setting, not the defence's
    name, its, settings = levers.parse_variant("faces=2000,alternating=false,defence_faces=20000")
    assert settings == {"alternating": False, "defence_faces": 20000}
    demo = levers.demo_config("cnet", its, settings)
    assert demo.defence_faces == 20000 and demo.defence_settings == {"alternating": False}
    assert demo.benchmark_config().defence_faces == 20000
    with pytest.raises(ValueError, match="defence_faces must be an int >= 1, got 'many'"):
        levers.parse_variant("x=400,defence_faces=many")
    # surrogates=PATH+PATH: the defence's further frozen surrogates, a DemoConfig setting
    _, _, settings = levers.parse_variant("ens=2000,alternating=false,surrogates=a.pt+b.pt")
    assert settings == {"alternating": False, "surrogates": ("a.pt", "b.pt")}
    demo = levers.demo_config("cnet", 2000, settings)
    assert demo.defence_surrogates == ("a.pt", "b.pt") and demo.defence_settings == {"alternating": False}
    with pytest.raises(ValueError, match="defence_surrogates must be train_stargan checkpoints"):
        demo.benchmark_config()  # the files do not exist
    with pytest.raises(ValueError, match="surrogates must be PATH"):
        levers.parse_variant("x=400,surrogates=a.pt+")
    # --image-size: the demo at another size, refused by name before anything trains
    assert levers.demo_config("cnet", 400, {}, image_size=64).benchmark_config().image_size == 64
    with pytest.raises(SystemExit):
        levers.main(["--variant", "a=1", "--workdir", "/nonexistent/levers", "--stem", "/nonexistent/x",
                     "--image-size", "0"])
    assert "--image-size: " in capsys.readouterr().err


def test_table_and_figure_show_every_variant_beside_the_controls(tmp_path, load_script):
    levers = load_script("benchmarks/demo_levers.py")
    result = {"setting": "demo", "command": "python benchmarks/demo_levers.py", "note": "",
              "variants": [{"variant": "base", "iterations": 400, "settings": {}, "train_seconds": 427.0,
                            "initiative": _scores(0.004, 0.0154), "initiative_sign": _scores(0.012, 0.0201)},
                           {"variant": "nocyc", "iterations": 600, "settings": {"lambda_cyc": 0.0},
                            "train_seconds": None, "initiative": _scores(0.008, 0.0168),
                            "initiative_sign": _scores(0.008, 0.0213)}],
              "controls": {"ruiz_pgd": _scores(0.12, 0.0301), "sign_noise": _scores(0.0, 0.0022)}}
    md = levers.markdown(result)
    assert "| base | demo defaults | 400 | 427 | 0% / 50% / 90% | 0.0154 | 1% / 50% | 0.0201 |" in md
    assert "| nocyc | lambda_cyc=0.0 | 600 | - |" in md
    result["variants"][1]["settings"] = {"surrogates": ["/tmp/c/a.pt", "/tmp/c/b.pt"]}
    assert "| nocyc | surrogates=a.pt+b.pt | 600 |" in levers.markdown(result)
    assert "| ruiz_pgd (control) | - | - | - | 12% / 50% / 90% | 0.0301 | - | - |" in md
    levers.figure(result, str(tmp_path / "levers.png"))
    assert (tmp_path / "levers.png").stat().st_size > 0


def test_a_report_is_reused_only_for_the_same_demo_settings(tmp_path, load_script):
    import json
    from dataclasses import asdict

    from art_initiative.attacks.initiative.config import make_config
    from art_initiative.benchmark.protections import defence_overrides

    levers = load_script("benchmarks/demo_levers.py")
    assert levers.existing_report(str(tmp_path), levers.DemoConfig()) is None  # no report yet
    # a report written before defence_settings existed, by the demo's defaults (1000 iterations), whose PG was
    # trained with the settings the demo's defaults give today
    config = {k: v for k, v in asdict(levers.DemoConfig()).items() if k != "defence_settings"}
    bench = levers.DemoConfig().benchmark_config()
    trained = asdict(make_config("cpu", **defence_overrides("initiative", bench)))
    record = {"method": "initiative", "defence_config": json.loads(json.dumps(trained))}
    (tmp_path / "report.json").write_text(json.dumps({"config": config, "records": [record]}))
    assert levers.existing_report(str(tmp_path), levers.DemoConfig(defence_iterations=1000)) is not None
    for other in (levers.DemoConfig(defence_iterations=600), levers.DemoConfig(defence_settings={"lambda_cyc": 1.0}),
                  levers.DemoConfig(defence_iterations=1000, sm_pretrain_iterations=100),
                  levers.demo_config("cnet", 1000, {}, image_size=64)):
        assert levers.existing_report(str(tmp_path), other) is None
    # the same demo settings, but the PG was trained under another profile default (the cycle term's weight)
    record["defence_config"]["lambda_cyc"] = 2.5
    (tmp_path / "report.json").write_text(json.dumps({"config": config, "records": [record]}))
    assert levers.existing_report(str(tmp_path), levers.DemoConfig()) is None
    # a PG config written before a setting existed (here pg_output) ran at that setting's default
    record["defence_config"]["lambda_cyc"] = 0.0
    del record["defence_config"]["pg_output"]
    (tmp_path / "report.json").write_text(json.dumps({"config": config, "records": [record]}))
    assert levers.existing_report(str(tmp_path), levers.DemoConfig()) is not None
    assert levers.existing_report(str(tmp_path), levers.DemoConfig(defence_settings={"pg_output": "sign"})) is None
    # a PG trained before the demo's defaults decayed the learning rates (no lr_decay_start recorded): the same as a
    # demo asking for no decay today, not the demo's defaults
    del record["defence_config"]["lr_decay_start"]
    (tmp_path / "report.json").write_text(json.dumps({"config": config, "records": [record]}))
    assert levers.existing_report(str(tmp_path), levers.DemoConfig()) is None
    assert levers.existing_report(str(tmp_path), levers.DemoConfig(defence_settings={"lr_decay_start": 0})) is not None
    record["defence_config"]["lr_decay_start"] = 500
    # a report written before the demo's architecture was a setting is of the res6 demo of that time
    (tmp_path / "report.json").write_text(json.dumps({"config": {k: v for k, v in config.items() if k != "arch"},
                                                      "records": [record]}))
    assert levers.existing_report(str(tmp_path), levers.DemoConfig(arch="res6")) is not None
    assert levers.existing_report(str(tmp_path), levers.DemoConfig()) is None


def test_a_report_with_further_surrogates_is_reused_for_the_same_models_only(tmp_path, load_script):
    import json
    from dataclasses import asdict, replace

    from art_initiative.attacks.initiative.config import make_config
    from art_initiative.benchmark.protections import defence_overrides
    from art_initiative.training import load_stargan, train_stargan
    from art_initiative.utils.digest import module_digest

    levers = load_script("benchmarks/demo_levers.py")
    x = np.zeros((4, 3, 16, 16), np.float32)
    y = np.eye(5, dtype=np.float32)[:4]
    path = tmp_path / "other.pt"
    train_stargan(x, y, arch="cnet", width=4, disc_width=4, iterations=1, batch_size=2,
                  device_type="cpu", checkpoint_path=str(path), verbose=False)
    wanted = levers.DemoConfig(defence_surrogates=(str(path),))
    bench = wanted.benchmark_config()
    trained = asdict(replace(make_config("cpu", **defence_overrides("initiative", bench)),
                             surrogate_digests=module_digest(load_stargan(str(path), "cpu").model)))
    out = tmp_path / "run"
    out.mkdir()
    record = {"method": "initiative", "defence_config": json.loads(json.dumps(trained))}
    (out / "report.json").write_text(json.dumps({"config": json.loads(json.dumps(asdict(wanted))),
                                                 "records": [record]}))
    assert levers.existing_report(str(out), wanted) is not None
    record["defence_config"]["surrogate_digests"] = "0123456789ab"  # trained against other weights at that path
    (out / "report.json").write_text(json.dumps({"config": json.loads(json.dumps(asdict(wanted))),
                                                 "records": [record]}))
    assert levers.existing_report(str(out), wanted) is None
