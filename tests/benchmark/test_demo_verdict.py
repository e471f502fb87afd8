"""The demo's verdict in words: against noise and against the Ruiz baseline, with ties told apart."""

from __future__ import annotations

from art_initiative.benchmark.demo import verdict


def _row(method: str, mse: float, dsr: float, dsr_02: float = 0.5, ms: float = 1.0) -> dict:
    return {"method": method, "mse": mse, "dsr": dsr, "dsr_0.02": dsr_02, "seconds_per_image": ms / 1000, "psnr": 33.0}


def test_verdict_compares_with_noise_and_the_baseline():
    records = [_row("initiative", 0.0168, 0.008, 0.232), _row("initiative_refined", 0.0321, 0.124, 0.804, 21.0),
               _row("ruiz_pgd", 0.0301, 0.12, 0.688, 81.9), _row("sign_noise", 0.0022, 0.0, 0.0)]
    text = verdict(records)
    assert "8x as much as noise of the same budget (MSE 0.0168 against 0.0022)" in text
    assert "at MSE > 0.05 it is behind the Ruiz baseline (1% against 12%)" in text
    # 12.4% against 12.0% is one or two pairs ahead: shown with a decimal, not as "ahead (12% against 12%)"
    assert ("it moves them by MSE 0.0321, and at MSE > 0.05 it is ahead of the Ruiz baseline (12.4% against 12.0%)"
            in text)
    assert "21.0 ms per face against the baseline's 81.9 ms" in text
    level = verdict([_row("initiative", 0.0010, 0.12), _row("ruiz_pgd", 0.03, 0.12),
                     _row("sign_noise", 0.0011, 0.0)])
    assert "no more than noise of the same budget" in level
    assert "level with the Ruiz baseline (12% against 12%)" in level


def test_verdict_says_when_the_budget_fell_short():
    init = {**_row("initiative", 0.0306, 0.056), "setup_seconds": 391.4,
            "defence_config": {"sm_pretrain_iterations": 250, "iterations": 1000}}
    behind = verdict([init, _row("initiative_sign", 0.0363, 0.14), _row("ruiz_pgd", 0.0592, 0.652),
                      _row("whitebox_pgd", 0.0716, 0.816), _row("sign_noise", 0.0034, 0.0)])
    assert ("this budget is too small (its PG trained 250 warm-up and 1000 alternating iterations, 391 s)"
            in behind)
    assert "reaches 65% where white-box PGD on the forger's own model reaches 82%" in behind
    # saturated ahead of the baseline: no shortfall to report
    ahead = verdict([init, _row("initiative_sign", 0.08, 0.70), _row("ruiz_pgd", 0.0592, 0.652),
                     _row("sign_noise", 0.0034, 0.0)])
    assert "too small" not in ahead
