"""The benchmark harness: one task, one data source, one profile, a list of methods -> a results file.

Writes ``<output>/<task>-<data>-<profile>.json`` (a list of records, see :mod:`.records`; records of an earlier
run with other methods, targets or eps are kept, the same ones replaced), a Markdown report laid out like the
paper's tables with the paper's figures beside ours, and PNG figures.
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, fields
from typing import Any

from art_initiative.benchmark.attribute import (
    ATTRIBUTE_TARGETS,
    AttributeBenchmarkConfig,
    domain_settings,
    run_attribute_benchmark,
)
from art_initiative.benchmark.common import PAPER_SURROGATE, surrogate_suffix
from art_initiative.benchmark.records import load_records, merge_records
from art_initiative.benchmark.reenactment import (
    ReenactmentBenchmarkConfig,
    held_out_split,
    run_reenactment_benchmark,
)
from art_initiative.benchmark.reports import write_report
from art_initiative.benchmark.tables import attribute_tables, reenactment_tables
from art_initiative.benchmark.testbed import forger_recipe

FRANCK_PATH = os.path.join("data", "franck", "franck.mp4")
# Each profile's scale: the settings of AttributeBenchmarkConfig / ReenactmentBenchmarkConfig it changes.
ATTRIBUTE_PROFILE_SETTINGS: dict[str, dict[str, Any]] = {
    "paper": {"image_size": 128, "width": 64, "disc_width": 64, "n_train": 10_000, "n_test": 500,
              "target_iterations": 50_000},
    "cpu": {"image_size": 32, "width": 16, "disc_width": 64, "n_train": 2000, "n_test": 100,
            "target_iterations": 5000},
    "tiny": {"image_size": 16, "width": 4, "disc_width": 8, "n_train": 16, "n_test": 4, "target_iterations": 10,
             "sweep": (0.02, 0.05), "pgd_steps": 2, "classifier_iterations": 20, "finetune_iterations": 10,
             "universal_iterations": 5},
}
REENACTMENT_PROFILE_SETTINGS: dict[str, dict[str, Any]] = {
    "paper": {"image_size": 128, "width": 64, "forger_iterations": 20_000, "forger_batch": 4},
    # The cpu profile's protocol (issue #15): held-out frames from every part of the video, a PatchGAN whose
    # 16 px patches are the share of a 32 px image that pix2pix's 70 px are of 256 px, two forger-seed pairs.
    # The U-Nets' forgers train 6000 iterations: two clean ones still differ on 23-27% of the held-out sketches at
    # 2000, on 10-12% at 4000 and on 10% (both seed pairs) at 6000, the others' floor at 2000.
    "cpu": {"image_size": 32, "width": 16, "forger_iterations": 2000, "forger_batch": 4, "blocks": 10,
            "forger_disc_layers": 1, "forger_seeds": 2, "target_forger_iterations": {"unet256": 6000, "unet128": 6000}},
    "tiny": {"image_size": 16, "width": 4, "forger_iterations": 20, "forger_batch": 2, "n_train": 24, "gap": 2,
             "n_test": 8, "n_quality": 8, "poison_rounds": 2},
}
PROFILE_SETTINGS = {"attribute_editing": ATTRIBUTE_PROFILE_SETTINGS, "reenactment": REENACTMENT_PROFILE_SETTINGS,
                    "calibration": ATTRIBUTE_PROFILE_SETTINGS, "robustness": ATTRIBUTE_PROFILE_SETTINGS}
# The robustness suite's own settings (RobustnessConfig), the rest are the attribute-editing protocol's.
ROBUSTNESS_SETTINGS = ("methods", "suite", "purify", "adapt_iterations", "adapt_pool")
# Real frames are expression edits on a larger face: their profiles' image size (the rest as for synthetic faces).
FRANCK_ATTRIBUTE_SETTINGS: dict[str, dict[str, Any]] = {"cpu": {"image_size": 64, "n_train": 1800, "n_test": 100},
                                                        "paper": {"image_size": 128, "n_train": 1800},
                                                        "tiny": {"image_size": 16, "n_train": 16, "n_test": 4}}


def results_stem(output: str | os.PathLike, task: str, data: str, profile: str) -> str:
    """``<output>/<task>-<data>-<profile>`` (the results file's path without extension)."""
    return os.path.join(os.fspath(output), f"{task}-{data}-{profile}")


def _reenactment_data(data: str, n_frames: int, image_size: int, cache_dir: str | None, verbose: bool
                      ) -> tuple[str, Any]:
    from art_initiative.data import SyntheticTalkingFace, VideoFrames

    if data == "synthetic":
        return "synthetic", SyntheticTalkingFace(n_frames, image_size, seed=0).arrays()
    path = FRANCK_PATH if data == "franck" else data
    if data == "franck" and not os.path.exists(path):
        raise FileNotFoundError(f"{path} not found: run `make franck` first (it fetches the video from npm).")
    name = os.path.splitext(os.path.basename(path))[0]
    return name, VideoFrames(path, image_size=image_size, max_frames=n_frames, cache_dir=cache_dir,
                             verbose=verbose).arrays()


def _write(stem: str, new: list[dict[str, Any]], header: list[str], tables: list[str], verbose: bool
           ) -> list[dict[str, Any]]:
    records = merge_records(load_records(stem + ".json"), new)
    commands = list(dict.fromkeys(r["command"] for r in records if r.get("command")))
    if len(commands) > 1:
        header = header + ["The records below come from these runs (each record names its own in `command`):", ""]
        header += [f"- `{c}`" for c in commands] + [""]
    write_report(stem, records, header + tables(records), echo=verbose)
    return records


def _merged(task: str, data: str, profile: str, settings: dict[str, Any]) -> dict[str, Any]:
    """The profile's settings of ``task``, franck's where they apply, then ``settings`` (lists as tuples)."""
    franck = FRANCK_ATTRIBUTE_SETTINGS[profile] if task != "reenactment" and data == "franck" else {}
    merged = {**PROFILE_SETTINGS[task][profile], **franck, **settings}
    for key in ("eps", "methods", "targets", "domains", "sweep"):
        if isinstance(merged.get(key), list):
            merged[key] = tuple(merged[key])
    return merged


def attribute_config(data: str, profile: str, **settings: Any) -> AttributeBenchmarkConfig:
    """The attribute-editing harness's settings for ``data`` and ``profile``, as ``run_benchmark`` builds them
    (``settings``: fields of :class:`AttributeBenchmarkConfig` replacing the profile's)."""
    return AttributeBenchmarkConfig(profile=profile, **_merged("attribute_editing", data, profile, settings)).validate()


def reenactment_config(profile: str, **settings: Any) -> tuple[ReenactmentBenchmarkConfig, int]:
    """The reenactment harness's settings for ``profile`` and its image size, as ``run_benchmark`` builds them
    (``settings``: fields of :class:`ReenactmentBenchmarkConfig` and ``image_size`` replacing the profile's). An
    explicit ``forger_iterations`` is every target's, unless ``target_forger_iterations`` is given too."""
    known = {f.name for f in fields(ReenactmentBenchmarkConfig)} | {"image_size"}
    unknown = sorted(set(settings) - known)
    if unknown:
        raise ValueError(f"settings {unknown} do not apply to reenactment; it takes {sorted(known - {'profile'})}.")
    merged = _merged("reenactment", "video", profile, settings)
    image_size = int(merged.pop("image_size"))
    if "forger_iterations" in settings and "target_forger_iterations" not in settings:
        merged["target_forger_iterations"] = {}
    return ReenactmentBenchmarkConfig(profile=profile, **merged).validate(), image_size


def run_benchmark(task: str, data: str = "synthetic", profile: str = "cpu",
                  output: str | os.PathLike = "benchmarks/results", device_type: str = "gpu",
                  cache_dir: str | None = None, command: str | None = None, verbose: bool = True,
                  **settings: Any) -> list[dict[str, Any]]:
    """Run the harness for ``task`` and write its results; return all records of the results file.

    :param task: ``"attribute_editing"``, ``"reenactment"``, ``"calibration"`` (the attribute-editing targets
        alone: white-box PGD, noise and the translation check per target, see :mod:`.calibration`) or
        ``"robustness"`` (JPEG, blur, resizing, shifts and adaptive forgers on the gray-box attribute-editing
        target, see :mod:`.robustness`; the public-model scenario unless ``forger_start`` says otherwise).
    :param data: ``"synthetic"`` (embedded) or ``"franck"`` (``make franck``); for reenactment also a video file.
    :param profile: ``"cpu"``, ``"paper"`` or ``"tiny"``: the defence's profile and the benchmark's scale.
    :param settings: fields of :class:`AttributeBenchmarkConfig` / :class:`ReenactmentBenchmarkConfig`
        (``methods``, ``targets``, ``eps``...) replacing the profile's.
    """
    if task not in PROFILE_SETTINGS:
        raise ValueError(f"task must be one of {sorted(PROFILE_SETTINGS)}, got {task!r}.")
    if profile not in PROFILE_SETTINGS[task]:
        raise ValueError(f"profile must be one of {sorted(PROFILE_SETTINGS[task])}, got {profile!r}.")
    merged = _merged(task, data, profile, settings)
    command = command or "art-initiative benchmark"
    t0 = time.perf_counter()
    os.makedirs(output, exist_ok=True)
    if task == "calibration":
        return _run_calibration(data, profile, output, device_type, cache_dir, command, verbose, t0, merged)
    if task == "robustness":
        return _run_robustness(data, profile, output, device_type, cache_dir, command, verbose, t0, settings)
    if task == "attribute_editing":
        if data not in ("synthetic", "franck"):
            raise ValueError(f"data must be 'synthetic' or 'franck' for attribute editing (CelebA: see the docs), "
                             f"got {data!r}.")
        if isinstance(merged.get("eps"), tuple):
            raise ValueError("attribute editing takes one eps (and a sweep); got several.")
        acfg = attribute_config(data, profile, **settings)
        stem = results_stem(output, task, data, profile) + ("-public" if acfg.forger_start == "public" else "") \
            + surrogate_suffix(acfg.surrogate_arch)
        domains = domain_settings(data)

        def header() -> list[str]:
            return [f"# Attribute-editing benchmark: {data}, profile {profile}", "",
                    f"Forger's recipe (every target and the baseline's surrogate): {forger_recipe(acfg)}.", "",
                    f"Latest run (earlier runs' records keep their own command, listed below): "
                    f"`{command}` ({time.perf_counter() - t0:.0f} s so far).", "",
                    f"Settings of the latest run: {asdict(acfg)}.", "",
                    "y = target(x, c), y' = target(x', c) over the target's domains; `SD`: the defence's "
                    f"{len(domains['SD'])} attributes ({', '.join(domains['SD'])}), `DD`: "
                    f"{' and '.join(domains['DD'])} (never seen by the defender); * gray-box. Methods other than the "
                    "initiative defence compute their perturbation on the surrogate.", "",
                    # the figures that are there: this run's (drawn on SD, before the last write) or an earlier run's
                    " ".join(f"![{name}]({os.path.basename(stem)}{suffix}.png)"
                             for name, suffix in (("grid", ""), ("sweep", "-sweep"))
                             if os.path.exists(f"{stem}{suffix}.png")), ""]

        def partial(records: list[dict[str, Any]]) -> None:
            for r in records:
                r["command"] = command
            _write(stem, records, header(), attribute_tables, verbose=False)

        new = run_attribute_benchmark(acfg, data=data, device_type=device_type, cache_dir=cache_dir, figure_stem=stem,
                                      verbose=verbose, on_records=partial)
        partial(new)
        return load_records(stem + ".json")
    cfg, image_size = reenactment_config(profile, **settings)
    n_frames = held_out_split(cfg.n_train, cfg.gap, cfg.n_test, cfg.blocks)[2]
    name, (frames, sketches, landmarks) = _reenactment_data(data, n_frames, image_size, cache_dir, verbose)
    stem = results_stem(output, task, name, profile)
    new = run_reenactment_benchmark(frames, sketches, landmarks, cfg, data=name, device_type=device_type,
                                    cache_dir=cache_dir, figure_path=stem + ".png", verbose=verbose)
    for r in new:
        r["command"] = command
    header = [f"# Reenactment benchmark: {name}, profile {profile} ({new[0]['device']})", "",
              f"Command: `{command}` ({time.perf_counter() - t0:.0f} s).", "",
              f"Settings: {image_size} px, {asdict(cfg)}.", "",
              "M (clean forger, one seed) against M' (forger trained on the published frames, another seed), "
              f"{cfg.n_test} held-out sketches. `none` = M' on the clean frames: the floor. * gray-box."
              + (f" Every figure is the mean over {cfg.forger_seeds} pairs of forger seeds (M seed "
                 f"{cfg.forger_seed} + 2k, M' seed {cfg.forger_seed} + 2k + 1); `± std` is the DSR's spread over "
                 "them." if cfg.forger_seeds > 1 else ""), "",
              f"![grid]({os.path.basename(stem)}.png)", "",
              "Grid: training frames clean, then as each method published them; held-out real frames; M(z); "
              "M'(z) per method; LBP maps of M(z) and of the initiative forgery.", ""]
    return _write(stem, new, header, reenactment_tables, verbose)


def _run_calibration(data: str, profile: str, output: str | os.PathLike, device_type: str, cache_dir: str | None,
                     command: str, verbose: bool, t0: float, merged: dict[str, Any]) -> list[dict[str, Any]]:
    from art_initiative.benchmark.calibration import CALIBRATION_KEYS, run_calibration
    from art_initiative.benchmark.tables import calibration_table, record_unet_norm

    if data not in ("synthetic", "franck"):
        raise ValueError(f"data must be 'synthetic' or 'franck' for calibration, got {data!r}.")
    merged.setdefault("domains", ("SD",))
    cfg = AttributeBenchmarkConfig(profile=profile, **{k: v for k, v in merged.items() if k != "sweep"},
                                   sweep=()).validate()
    stem = results_stem(output, "calibration", data, profile)
    new = run_calibration(cfg, data, device_type=device_type, cache_dir=cache_dir, figure_stem=stem, verbose=verbose)
    for r in new:
        r["command"] = command

    def key(r: dict[str, Any]) -> tuple[Any, ...]:
        return (r["target"], r["domains"], r["image_size"], r["recipe"]["iterations"], r["recipe"]["recipe"],
                record_unet_norm(r))

    order = {t: i for i, t in enumerate(ATTRIBUTE_TARGETS)}
    records = sorted(merge_records(load_records(stem + ".json", CALIBRATION_KEYS), new, key), key=lambda r: (
        r["domains"], order.get(r["target"], 9), r["image_size"], r["recipe"]["iterations"]))
    commands = list(dict.fromkeys(r["command"] for r in records))
    header = [f"# Calibration of the attribute-editing targets: {data}, profile {profile} ({new[0]['device']})", "",
              "Commands (each record names its own):", ""] + [f"- `{c}`" for c in commands]
    header += ["", f"Forger's recipe of the last run: {forger_recipe(cfg)} (each record holds its own).", "",
               f"Last run: {time.perf_counter() - t0:.0f} s. White-box Ruiz PGD-{cfg.pgd_steps} (eps {cfg.eps}, step "
               f"{cfg.eps_step}) on each target itself, one attack per (test image, target domain) pair; sign noise "
               "of the same L-inf size; DSR = share of pairs with MSE(G(x, c), G(x', c)) above the threshold. "
               "Translation check: an attribute classifier trained on the real training images scores G(x, c_j) on "
               "the requested attribute (`edited`) against the unchanged input (`input`). Ruiz et al.'s anchor: "
               "~100% white-box at eps 0.05.", "",
               f"![grid]({os.path.basename(stem)}.png)", "",
               "Grid: test faces, then per target of the last run its edits of the clean faces and of the white-box "
               "PGD faces (one domain per column, in turn).", ""]
    write_report(stem, records, header + calibration_table(records), echo=verbose)
    return records


def _run_robustness(data: str, profile: str, output: str | os.PathLike, device_type: str, cache_dir: str | None,
                    command: str, verbose: bool, t0: float, settings: dict[str, Any]) -> list[dict[str, Any]]:
    from art_initiative.benchmark.robustness import RECORD_FIELDS, RobustnessConfig, run_robustness

    if data not in ("synthetic", "franck"):
        raise ValueError(f"data must be 'synthetic' or 'franck' for the robustness suite, got {data!r}.")
    own = {k: tuple(v) if isinstance(v, list) else v for k, v in settings.items() if k in ROBUSTNESS_SETTINGS}
    rest = {"forger_start": "public", **{k: v for k, v in settings.items() if k not in ROBUSTNESS_SETTINGS}}
    arch = rest.get("surrogate_arch", PAPER_SURROGATE)
    acfg = attribute_config(data, profile, **{**rest, "targets": (arch,), "domains": ("SD",), "sweep": ()})
    rcfg = RobustnessConfig(**own).validate()
    stem = results_stem(output, "robustness", data, profile) + surrogate_suffix(arch)
    new = run_robustness(acfg, rcfg, data, device_type=device_type, cache_dir=cache_dir, verbose=verbose)
    for r in new:
        r["command"] = command

    def key(r: dict[str, Any]) -> tuple[Any, ...]:
        return (*(r[k] for k in RECORD_FIELDS), r["forger_start"])

    merge = merge_records(load_records(stem + ".json", RECORD_FIELDS), new, key)
    for r in new:
        r["run_seconds"] = round(time.perf_counter() - t0)
    write_robustness_report(stem, merge, acfg.forger_start, verbose)
    return merge


def write_robustness_report(stem: str, records: list[dict[str, Any]], forger_start: str, verbose: bool = False
                            ) -> None:
    """Write ``<stem>.json``, the Markdown tables of :func:`~.tables.robustness_tables` and the JPEG-quality plot
    (of the ``forger_start`` records) from the records alone, so that a report can be rebuilt from its JSON."""
    from art_initiative.benchmark.robustness import plot_jpeg_curve
    from art_initiative.benchmark.tables import robustness_tables

    plot_jpeg_curve([r for r in records if r["forger_start"] == forger_start], stem + ".png")
    last = records[-1]
    commands = list(dict.fromkeys(r["command"] for r in records if r.get("command")))
    header = [f"# Robustness of the protections: {last['data']}, profile {last['profile']} ({last['device']})", "",
              "Commands (each record names its own):", ""] + [f"- `{c}`" for c in commands]
    took = f"Last run: {last['run_seconds']} s. " if last.get("run_seconds") is not None else ""
    header += ["", f"{took}Gray-box target: {last['target']} with the defender's attributes, {last['image_size']} px; "
               f"eps {last['eps']}; {last['n_images']} test faces, each edited into every one of its domains. "
               f"Forger's recipe: {last['recipe']}. Online transforms are applied to every photo, protected or "
               "not: G(T(x')) is compared with G(T(x)) (`mse_vs_clean` in the JSON compares with G(x)). JPEG is "
               "Pillow's codec (4:2:0); blur a Gaussian of sigma pixels; resize scales down by the factor "
               "(antialiased) and back up; shift moves the crop by that many pixels. `initiative_robust` trained "
               "through kornia's differentiable versions of the four (EoT); `ruiz_pgd_blur` is Ruiz et al.'s "
               "blur-robust PGD (sigmas 0.5, 1, 1.5).", "",
               f"![jpeg]({os.path.basename(stem)}.png)", ""]
    write_report(stem, records, header + robustness_tables(records), echo=verbose)
