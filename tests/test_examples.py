"""The examples in examples/ run end to end (with tiny settings)."""


def test_art_attacks_on_stargan(capsys, load_script):
    results = load_script("examples/art_attacks_on_stargan.py").main([
        "--iterations", "20", "--image-size", "16", "--width", "4", "--n-train", "32", "--n-test", "4"])
    assert set(results) == {"FGM", "BIM"}
    assert "BIM: DSR" in capsys.readouterr().out


def test_ruiz_baseline_example(capsys, load_script):
    results = load_script("examples/ruiz_baseline.py").main([
        "--iterations", "10", "--image-size", "16", "--width", "4", "--n-train", "16", "--n-test", "4"])
    assert set(results) == {"white-box", "gray-box"}
    out = capsys.readouterr().out
    assert "max |RuizDisruption - ART BIM| = 0.00e+00" in out


def test_initiative_attribute_example(capsys, load_script):
    results = load_script("examples/initiative_attribute.py").main([
        "--image-size", "16", "--width", "4", "--n-train", "16", "--n-test", "4", "--target-iterations", "6",
        "--sm-pretrain-iterations", "3", "--defence-iterations", "3"])
    assert set(results) == {"initiative", "ruiz_pgd"}
    assert results["initiative"]["ms_per_image"] < results["ruiz_pgd"]["ms_per_image"]
    assert "initiative:" in capsys.readouterr().out.replace(" ", "")


def test_initiative_reenactment_example(capsys, load_script):
    results = load_script("examples/initiative_reenactment.py").main([
        "--image-size", "16", "--width", "4", "--frames", "16", "--n-test", "4", "--forger-iterations", "4",
        "--defence-iterations", "3", "--sm-pretrain-iterations", "2"])
    assert set(results) == {"none (clean, other seed)", "initiative", "random_noise"}
    assert results["initiative"]["psnr"] > 20
    assert "DSR (L1 > 0.05)" in capsys.readouterr().out
