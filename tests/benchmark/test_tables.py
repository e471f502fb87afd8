"""The attribute-editing report's tables (:mod:`art_initiative.benchmark.tables`)."""

from __future__ import annotations

from art_initiative.benchmark import records, tables


def _sweep_row(domains: str, eps: float, mse: float) -> dict:
    return records.make_record(task="attribute_editing", method="initiative", target="res6", domains=domains,
                               eps=eps, seconds_per_image=0.001, psnr=30.0, ssim=0.9, lpips_protected=0.01,
                               mse=mse, dsr=0.0, sweep=True)


def test_each_swept_setting_has_its_own_table_under_its_own_name():
    rows = [_sweep_row("SD", 0.02, 0.0011), _sweep_row("SD", 0.05, 0.0012), _sweep_row("DD", 0.02, 0.0021)]
    text = "\n".join(tables.attribute_tables(rows))
    sd, dd = text.index("### eps sweep on SD res6"), text.index("### eps sweep on DD res6")
    assert sd < dd and text.count("### eps sweep on") == 2
    assert "0.0021" in text[dd:] and "0.0021" not in text[sd:dd]  # the DD row is not listed under SD
    assert "0.0011" in text[sd:dd] and "0.0012" in text[sd:dd]


def test_the_cost_column_is_the_mean_over_the_settings_not_the_first_record():
    def row(domains: str, target: str, seconds: float) -> dict:
        return records.make_record(task="attribute_editing", method="whitebox_pgd", target=target, domains=domains,
                                   eps=0.05, seconds_per_image=seconds, psnr=33.0, ssim=0.9, lpips_protected=0.01,
                                   mse=0.01, dsr=0.0)

    text = "\n".join(tables.attribute_tables([row("SD", "res6", 0.060), row("DD", "res6", 0.080)]))
    assert "| whitebox_pgd |" in text and "| 70.00 |" in text and "| 60.00 |" not in text
