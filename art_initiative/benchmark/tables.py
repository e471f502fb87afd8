"""Markdown tables laid out like the paper's Table 1 / Table 2, with the paper's figures beside ours."""

from __future__ import annotations

from typing import Any

from art_initiative.benchmark.reenactment import PAPER_TABLE2
from art_initiative.metrics.registry import metric_columns


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{100 * v:.0f}%"


def _num(v: float | None, digits: int = 4) -> str:
    return "-" if v is None else f"{v:.{digits}f}"


def markdown_row(cells: list[str]) -> str:
    """One row of a Markdown table."""
    return "| " + " | ".join(cells) + " |"


def _rule(n: int) -> str:
    return "|" + "---|" * n


def _mean(records: list[dict[str, Any]], key: str) -> float | None:
    """The mean of ``key`` over the records that have it (``None`` when none has)."""
    values = [r[key] for r in records if r.get(key) is not None]
    return sum(values) / len(values) if values else None


def _spread(r: dict[str, Any]) -> str:
    """`` ± std (n seeds)`` of a DSR averaged over forger seeds; empty for one seed."""
    n = r.get("n_seeds", 1)
    return f" ± {100 * r['dsr_std']:.0f} ({n} seeds)" if n > 1 else ""


def _lpips(r: dict[str, Any], key: str) -> str:
    return f" (LPIPS {r[key]:.4f}{_pm(r, key)})" if r.get(key) is not None else ""


def _pm(r: dict[str, Any], key: str) -> str:
    """`` ± std`` of ``key`` over forger seeds where the record has its spread (``<key>_std``)."""
    std = r.get(f"{key}_std")
    return f" ± {std:.4f}" if std is not None and r.get("n_seeds", 1) > 1 else ""


def _find(records: list[dict[str, Any]], **key: Any) -> dict[str, Any] | None:
    return next((r for r in records if all(r.get(k) == v for k, v in key.items())), None)


def reenactment_tables(records: list[dict[str, Any]]) -> list[str]:
    """Per eps: one row per target (Table 2, with its forgers' iterations), our DSR / L1 per method beside the
    paper's; then the cost of each protection (PSNR, SSIM, LPIPS of the published frames, seconds per frame)."""
    lines: list[str] = []
    targets = list(dict.fromkeys(r["target"] for r in records))
    methods = list(dict.fromkeys(r["method"] for r in records if r["method"] != "none"))
    floor = any(r["method"] == "none" for r in records)
    for eps in sorted({r["eps"] for r in records if r["method"] != "none"}):
        head = ["target", "paper DSR / L1", "paper dagger (no ATS)"] + [f"{m} DSR / L1" for m in methods]
        head += ["none (clean, other seed) DSR / L1"] if floor else []
        head += ["clean forger L1 to real"]
        lines += [f"### eps {eps:g}: DSR (L1(M(z), M'(z)) > 0.05) and L1", "", markdown_row(head), _rule(len(head))]
        for t in targets:
            paper, dagger = PAPER_TABLE2.get(t, ((None, None), (None, None)))
            its = sorted({r["forger_iterations"] for r in records if r["target"] == t and r.get("forger_iterations")})
            same = {r["same_network_as"] for r in records if r["target"] == t and r.get("same_network_as")}
            name = t + ("*" if t == "unet256" else "") + (f" ({' / '.join(map(str, its))} it)" if its else "")
            name += "".join(f", the network of {other}" for other in sorted(same))
            row = [name, f"{_pct(paper[0])} / {_num(paper[1], 3)}",
                   f"{_pct(dagger[0])} / {_num(dagger[1], 3)}"]
            for m in methods + (["none"] if floor else []):
                r = _find(records, method=m, target=t, eps=0.0 if m == "none" else eps)
                row.append("-" if r is None else f"{_pct(r['dsr'])}{_spread(r)} / {_num(r['l1'])}")
            any_r = _find(records, target=t)
            row.append(_num(any_r.get("l1_to_real_clean")) + _pm(any_r, "l1_to_real_clean")
                       + _lpips(any_r, "lpips_to_real_clean") if any_r else "-")
            lines.append(markdown_row(row))
        cost = metric_columns("reenactment_cost")
        head = ["method", *(c.label for _, c in cost), "ms per frame", "L1 of M' to the real frame (per target)"]
        lines += ["", f"Published frames at eps {eps:g} (quality of the first n_quality frames):", "",
                  markdown_row(head), _rule(len(head))]
        for m in methods:
            rs = [r for r in records if r["method"] == m and r["eps"] == eps]
            if not rs:
                continue
            r = rs[0]
            real = ", ".join(f"{x['target']} {x['l1_to_real']:.4f}{_pm(x, 'l1_to_real')}{_lpips(x, 'lpips_to_real')}"
                             for x in rs if "l1_to_real" in x)
            lines.append(markdown_row([m, *(c.format(r.get(metric.key)) for metric, c in cost),
                               _num(1000 * r["seconds_per_image"], 3), real]))
        lines.append("")
    return lines


def attribute_tables(records: list[dict[str, Any]]) -> list[str]:
    """Table 1's layout (DSR / L2 per setting, the paper's Ruiz, ours and ours-without-ATS beside ours), then
    every method's DSR at three thresholds with its cost, then the eps sweep."""
    from art_initiative.benchmark.attribute import ATTRIBUTE_METHODS, PAPER_TABLE1

    main = [r for r in records if not r.get("sweep")]
    lines: list[str] = []
    order = {m: i for i, m in enumerate(ATTRIBUTE_METHODS)}
    for eps in sorted({r["eps"] for r in main}):
        rs = [r for r in main if r["eps"] == eps]
        methods = sorted(dict.fromkeys(r["method"] for r in rs), key=lambda m: order.get(m, len(order)))
        settings = list(dict.fromkeys((r["domains"], r["target"]) for r in rs))
        gray = {r.get("surrogate_arch") or "res6" for r in rs}  # the paper's surrogate; records before the key
        head = ["domains", "target", "paper Ruiz", "paper ours", "paper ours (no ATS)"] + methods
        lines += [f"### eps {eps:g}: DSR (MSE(y, y') > 0.05) / L2 (MSE) of the forgeries", "",
                  markdown_row(head), _rule(len(head))]
        for dom, t in settings:
            # the paper's numbers belong to its setting (surrogate res6) only
            paper = PAPER_TABLE1.get((dom, t), ((None, None),) * 3) if gray == {"res6"} else ((None, None),) * 3
            row = [dom, t + ("*" if dom == "SD" and t in gray else "")]
            row += [f"{_pct(p[0])} / {_num(p[1], 3)}" for p in paper]
            for m in methods:
                r = _find(rs, method=m, target=t, domains=dom)
                row.append("-" if r is None else f"{_pct(r['dsr'])} / {_num(r['mse'])}")
            lines.append(markdown_row(row))
        summary = metric_columns("attribute_summary")
        head = ["method", *(c.label for _, c in summary), "ms per image"]
        lines += ["", f"All settings at eps {eps:g}: DSR at three thresholds and the cost of each protection (means "
                  "over the settings; a protection timed again in another run counts each time):", "",
                  markdown_row(head), _rule(len(head))]
        for m in methods:
            ms = [r for r in rs if r["method"] == m]
            lines.append(markdown_row([m, *(c.format(_mean(ms, metric.key)) for metric, c in summary),
                                       _num(1000 * _mean(ms, "seconds_per_image"), 2)]))
        lines.append("")
    distances = {r["target"]: r["clean_distance"] for r in main
                 if r["domains"] == "SD" and r.get("clean_distance") is not None}
    if distances:
        lines += ["Clean distance of each SD target (MSE between its edits of the clean test faces and the defender's "
                  "model's; records before the key have none): "
                  + ", ".join(f"`{t}` {d:.4f}" for t, d in distances.items())
                  + ". A perturbation computed on the defender's model carried over only to models whose edits were "
                  "close to its own (see the docs' results page).", ""]
    sweeps: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in records:
        if r.get("sweep"):
            sweeps.setdefault((r["domains"], r["target"]), []).append(r)
    cols = metric_columns("attribute_sweep")
    head = ["method", "eps", *(c.label for _, c in cols)]
    for (domains, target), sweep in sweeps.items():  # one table per setting swept (older files may hold several)
        lines += [f"### eps sweep on {domains} {target} (Figure 4)", "", markdown_row(head), _rule(len(head))]
        for r in sorted(sweep, key=lambda r: (r["method"], r["eps"])):
            cells = [c.format(r.get(metric.key)) for metric, c in cols]
            lines.append(markdown_row([r["method"], f"{r['eps']:g}", *cells]))
        lines.append("")
    return lines


def record_unet_norm(record: dict[str, Any]) -> str | None:
    """A calibration record's U-Net normalisation (``"batch"`` for records written before ``unet_norm`` existed),
    None for other architectures."""
    return record.get("unet_norm", "batch") if record["target"].startswith("unet") else None


def calibration_table(records: list[dict[str, Any]]) -> list[str]:
    """One row per calibrated target: white-box PGD and noise DSRs, the translation check (and, for video crops,
    the landmark check), the training time and whether the target meets the calibrated bar
    (:func:`~art_initiative.benchmark.calibration.calibration_shortfalls`); then the translation check per
    attribute."""
    from art_initiative.benchmark.calibration import calibration_shortfalls

    marks = any("landmark_accuracy" in r for r in records)
    head = ["target", "domains", "size", "recipe, iterations", "white-box DSR >0.05 / >0.02 / >0.01",
            "white-box MSE", "noise DSR >0.05 / >0.02", "classifier: edited / input", "classifier on real test images",
            *(["landmarks: edited / input", "landmarks on real test images"] if marks else []), "train s",
            "calibrated"]
    lines = [markdown_row(head), _rule(len(head))]
    for r in records:
        seconds = "-" if r.get("train_seconds") is None else f"{r['train_seconds']:.0f}"
        landmarks = (f" {_pct(r.get('landmark_accuracy'))} / {_pct(r.get('landmark_accuracy_input'))} | "
                     f"{_pct(r.get('landmark_real_accuracy'))} |" if marks else "")
        norm = f" ({record_unet_norm(r)} norm)" if record_unet_norm(r) else ""
        lines.append(f"| {r['target']} | {r['domains']} | {r['image_size']} | {r['recipe']['recipe']}{norm}, "
                     f"{r['recipe']['iterations']} | {_pct(r['whitebox_dsr'])} / {_pct(r['whitebox_dsr_0.02'])} / "
                     f"{_pct(r.get('whitebox_dsr_0.01'))} | {_num(r['whitebox_mse'])} | {_pct(r['noise_dsr'])} / "
                     f"{_pct(r.get('noise_dsr_0.02'))} | {_pct(r['classifier_accuracy'])} / "
                     f"{_pct(r['classifier_accuracy_input'])} | {_pct(r.get('classifier_real_accuracy'))} |"
                     f"{landmarks} {seconds} | {'; '.join(calibration_shortfalls(r)) or 'yes'} |")
    lines += ["", "`calibrated`: yes when white-box PGD reaches 90% at MSE > 0.05, sign noise at most 5%, and the "
              "classifier finds the requested attribute in 80% of the edits on average and, for every attribute, "
              "more often than on the unchanged inputs (issue #11's bar); otherwise what falls short.", "",
              "Per attribute (classifier: requested attribute on the edit / already on the input; synthetic faces "
              "also: MSE to the rendered ground truth, model / input; video crops also: the same from the landmarks "
              "re-measured on the edit):", ""]
    for r in records:
        parts = []
        for name, v in r.get("classifier_per_attribute", {}).items():
            part = f"{name} {_pct(v['edited'])} / {_pct(v['input'])}"
            truth = r.get("ground_truth_mse", {}).get(name)
            if truth:
                part += f" (GT {truth['model_mse']:.3f} / {truth['input_mse']:.3f})"
            mark = r.get("landmark_per_attribute", {}).get(name)
            if mark:
                part += f" (landmarks {_pct(mark['edited'])} / {_pct(mark['input'])})"
            parts.append(part)
        norm = f", {record_unet_norm(r)} norm" if record_unet_norm(r) else ""
        lines.append(f"- {r['target']} {r['domains']} ({r['image_size']} px, {r['recipe']['iterations']} iterations"
                     f"{norm}): "
                     + "; ".join(parts))
    return lines + [""]


def _cell(r: dict[str, Any] | None) -> str:
    return "-" if r is None else f"{_pct(r['dsr'])} / {_pct(r['dsr_0.02'])} / {_pct(r['dsr_0.01'])} / {_num(r['mse'])}"


def robustness_tables(records: list[dict[str, Any]]) -> list[str]:
    """Per scenario (``forger_start``): DSR at MSE > 0.05 / > 0.02 and forgery MSE of every method after every
    online transform, the share of its DSR each method keeps after JPEG q75, and the adaptive forgers."""
    lines: list[str] = []
    for start in dict.fromkeys(r["forger_start"] for r in records):
        rs = [r for r in records if r["forger_start"] == start]
        methods = list(dict.fromkeys(r["method"] for r in rs))
        online = list(dict.fromkeys((r["transform"], r["param"]) for r in rs
                                    if not r["transform"].startswith("purify_") and r["transform"] != "finetune"))
        adaptive = list(dict.fromkeys((r["transform"], r["param"]) for r in rs
                                      if r["transform"].startswith("purify_") or r["transform"] == "finetune"))

        def name(t: str, p: Any) -> str:
            return t if p is None else f"{t} {p:g}"

        lines += [f"### Forger start: {start}. After what the upload does to every photo: DSR at MSE > 0.05 / "
                  "> 0.02 / > 0.01, forgery MSE", "",
                  markdown_row(["method", *(name(t, p) for t, p in online)]), _rule(len(online) + 1)]
        for m in methods:
            cells = [_cell(_find(rs, method=m, transform=t, param=p)) for t, p in online]
            lines.append(markdown_row([m, *cells]))
        if ("jpeg", 75) in online and ("none", None) in online:
            lines += ["", "Share of its uncompressed DSR a method keeps after JPEG q75 (MSE > 0.05 / > 0.02 / > 0.01; "
                      "the issue's bar: 80%):", "",
                      "| method | DSR none | DSR jpeg 75 | kept |", "|---|---|---|---|"]
            for m in methods:
                a, b = _find(rs, method=m, transform="none"), _find(rs, method=m, transform="jpeg", param=75)
                if a is None or b is None:
                    continue

                def kept(k: str, a: dict[str, Any] = a, b: dict[str, Any] = b) -> str:
                    return "-" if not a[k] else f"{100 * b[k] / a[k]:.0f}%"

                keys = ("dsr", "dsr_0.02", "dsr_0.01")
                lines.append(f"| {m} | {' / '.join(_pct(a[k]) for k in keys)} | {' / '.join(_pct(b[k]) for k in keys)}"
                             f" | {' / '.join(kept(k) for k in keys)} |")
        if adaptive:
            head = ["none (not adaptive)"] + [name(t, p) for t, p in adaptive]
            lines += ["", "A forger who adapts: purifies every input (compared with its clean edit) or fine-tunes "
                      "the target on protected faces (`finetune N`: N iterations; compared with the unadapted "
                      "forger's clean edit). DSR at MSE > 0.05 / > 0.02 / > 0.01, forgery MSE; the `none` row is "
                      "the adaptation's own cost on unprotected faces.", "",
                      markdown_row(["method", *head]), _rule(len(head) + 1)]
            for m in methods:
                cells = [_cell(_find(rs, method=m, transform="none"))]
                cells += [_cell(_find(rs, method=m, transform=t, param=p)) for t, p in adaptive]
                lines.append(markdown_row([m, *cells]))
        lines.append("")
    return lines
