"""Command line: ``art-initiative {info,demo,render-synthetic,train-target,train-defense,protect,evaluate}``."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from art_initiative.estimators import PyTorchImageTranslator

VIDEO_EXTENSIONS = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v")
# protect's settings of the --poison noise only (a PG protects at the budget and size it was trained for)
POISON_DEFAULTS = {"eps": 0.05, "image_size": 32, "poison_rounds": 40}


def _cmd_info(args: argparse.Namespace) -> int:
    import art
    import torch

    import art_initiative
    from art_initiative.metrics import trunk_weights_path
    from art_initiative.models import describe_models

    print(f"art_initiative {art_initiative.__version__}, ART {art.__version__}, torch {torch.__version__}")
    print(f"device: {'cuda (' + torch.cuda.get_device_name(0) + ')' if torch.cuda.is_available() else 'cpu'}")
    for net in ("alex", "vgg"):
        try:
            print(f"LPIPS {net} trunk: {trunk_weights_path(net)}")
        except FileNotFoundError as err:
            print(f"LPIPS {net} trunk: missing ({err})")
    print("models:")
    for name, desc in describe_models().items():
        print(f"  {name:13s} {desc}")
    from art_initiative.attacks.initiative import pretrained

    print("shipped PG weights (protect --weights NAME):")
    for name, meta in pretrained.available().items():
        print(f"  {name}{' (default)' if meta.get('default') else ''}: {meta.get('provenance', {}).get('summary', '')}")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from art_initiative.attacks.initiative.config import parse_settings
    from art_initiative.benchmark.demo import DemoConfig, format_report, run_demo

    cfg = DemoConfig(arch=args.arch or DemoConfig.arch, forger_start=args.forger_start,
                     finetune_iterations=args.finetune_iterations,
                     target_iterations=args.iterations, sm_pretrain_iterations=args.sm_pretrain_iterations,
                     defence_iterations=args.defence_iterations, n_train=args.n_train, n_test=args.n_test,
                     image_size=args.image_size, width=args.width, disc_width=args.disc_width,
                     classifier_iterations=args.classifier_iterations, seed=args.seed,
                     defence_faces=args.defence_faces, defence_settings=parse_settings(args.set))
    report = run_demo(args.output, cfg, device_type=args.device, verbose=not args.quiet)
    print(format_report(report))
    print(f"Report and figures written to {os.path.abspath(args.output)} "
          f"(total {report['total_seconds']:.0f} s).")
    return 0


def _cmd_benchmark(args: argparse.Namespace) -> int:
    from art_initiative.attacks.initiative.config import parse_settings
    from art_initiative.benchmark.harness import run_benchmark

    settings: dict[str, Any] = {k: v for k, v in (("methods", args.methods), ("targets", args.targets),
                                                  ("eps", args.eps), ("domains", args.domains)) if v}
    if args.task in ("attribute_editing", "calibration", "robustness") and args.eps:
        if len(args.eps) != 1:
            raise ValueError(f"--eps takes one value for attribute editing (use --sweep for more), got {args.eps}.")
        settings["eps"] = args.eps[0]
    if args.sweep is not None:
        settings["sweep"] = tuple(args.sweep)
    for key in ("image_size", "n_train", "n_test", "blocks", "forger_iterations", "forger_seeds", "forger_disc_layers",
                "target_iterations", "recipe", "disc_width", "forger_start", "finetune_iterations",
                "blackbox_iterations", "surrogate_arch", "adapt_iterations", "adapt_pool", "poison_rounds",
                "refine_steps", "refine_requests", "universal_iterations", "defence_faces", "pgd_steps", "eps_step"):
        if getattr(args, key) is not None:
            settings[key] = getattr(args, key)
    if args.set:
        settings["defence"] = parse_settings(args.set)
    command = "art-initiative " + " ".join(sys.argv[1:] if args.argv is None else args.argv)
    records = run_benchmark(args.task, args.data, args.profile, args.output, device_type=args.device,
                            cache_dir=args.cache_dir, command=command, verbose=not args.quiet, **settings)
    print(f"{len(records)} records in {os.path.abspath(args.output)}")
    return 0


def _cmd_render(args: argparse.Namespace) -> int:
    from art_initiative.data import ALL_ATTRIBUTES, SyntheticFaces, write_image

    out = args.output
    if os.path.exists(out) and os.listdir(out):
        print(f"error: output folder {out} exists and is not empty; choose a new folder", file=sys.stderr)
        return 2
    os.makedirs(out, exist_ok=True)
    faces = SyntheticFaces(args.n, args.image_size, seed=args.seed, attributes=ALL_ATTRIBUTES, offset=args.offset)
    rows = ["file," + ",".join(ALL_ATTRIBUTES)]
    for i in range(len(faces)):
        name = f"face_{args.offset + i:06d}.png"
        write_image(os.path.join(out, name), faces.render(i))
        rows.append(name + "," + ",".join(str(int(v)) for v in faces.labels([i])[0]))
    with open(os.path.join(out, "labels.csv"), "w", encoding="utf-8") as fh:
        fh.write("\n".join(rows) + "\n")
    print(f"wrote {len(faces)} faces and labels.csv to {out}")
    return 0


def _cmd_train_target(args: argparse.Namespace) -> int:
    from art_initiative.data import SyntheticFaces, SyntheticTalkingFace
    from art_initiative.training import distributed, train_pix2pix, train_stargan

    if os.path.exists(args.output) and not args.resume:
        print(f"error: {args.output} exists; pass --resume to continue it or choose another path", file=sys.stderr)
        return 2
    distributed.init_from_env(args.device)  # under torchrun: join the group before anything lands on a GPU
    common = dict(width=args.width, iterations=args.iterations, seed=args.seed, device_type=args.device,
                  checkpoint_path=args.output, checkpoint_every=args.checkpoint_every, verbose=not args.quiet,
                  precision=args.precision, channels_last=args.channels_last)
    if args.task == "attribute_editing":
        from art_initiative.benchmark.testbed import FORGER_RECIPES

        recipe = FORGER_RECIPES[args.recipe]
        lr = recipe["g_lr"] if args.lr is None else args.lr
        x, y = SyntheticFaces(args.n, args.image_size, seed=args.data_seed).arrays()
        train_stargan(x, y, arch=args.arch, disc_width=args.disc_width, batch_size=args.batch_size, g_lr=lr, d_lr=lr,
                      n_critic=int(recipe["n_critic"] if args.n_critic is None else args.n_critic),
                      lambda_id=recipe["lambda_id"] if args.lambda_id is None else args.lambda_id, **common)
    else:
        frames, sketches, _ = SyntheticTalkingFace(args.n, args.image_size, seed=args.data_seed).arrays()
        train_pix2pix(sketches, frames, arch=args.arch, batch_size=args.batch_size,
                      lr=2e-4 if args.lr is None else args.lr, **common)
    if distributed.is_main():
        with open(os.path.splitext(args.output)[0] + ".json", encoding="utf-8") as fh:
            print(json.dumps(json.load(fh)["state"], indent=1))
    return 0


def _surrogate_checkpoint(args: argparse.Namespace) -> dict[str, Any] | None:
    """The settings stored with ``train-defense --surrogate``'s checkpoint (None without one), after checking that
    the file exists, is of the task's recipe (StarGAN or pix2pix) and agrees with ``--arch`` / ``--image-size`` /
    ``--width`` where they were given; those not given are filled in from it (else the defaults 32 and 16)."""
    if args.surrogate is None:
        args.image_size = 32 if args.image_size is None else args.image_size
        args.width = 16 if args.width is None else args.width
        return None
    from art_initiative.utils.checkpoint import load_checkpoint

    if not os.path.isfile(args.surrogate):
        raise ValueError(f"expected a train-target checkpoint (.pt), got {args.surrogate!r}, which does not exist.")
    config = load_checkpoint(args.surrogate).get("config") or {}
    conditional = "c_dim" in config
    if {"arch", "image_size", "width"} - set(config) or conditional != (args.task == "attribute_editing"):
        what = "StarGAN (train-target --task attribute_editing)" if args.task == "attribute_editing" else \
            "pix2pix (train-target --task reenactment)"
        raise ValueError(f"expected a {what} checkpoint for --task {args.task}, got {args.surrogate!r} with "
                         f"settings {sorted(config)}.")
    for name, given in (("arch", args.arch), ("image_size", args.image_size), ("width", args.width)):
        if given is not None and given != config[name]:
            raise ValueError(f"{args.surrogate!r} is a {config['arch']} of width {config['width']} at "
                             f"{config['image_size']} px; --{name.replace('_', '-')} {given} disagrees (leave it "
                             "out to take the checkpoint's).")
    args.arch, args.image_size, args.width = config["arch"], config["image_size"], config["width"]
    return config


def _template(args: argparse.Namespace, trained: dict[str, Any] | None, default_arch: str,
              c_dim: int) -> PyTorchImageTranslator:
    """The defence's estimator: ``--surrogate``'s trained generator, or an untrained ``--arch``."""
    from art_initiative.estimators import PyTorchImageTranslator

    if trained is None:
        return PyTorchImageTranslator.from_architecture(args.arch or default_arch, args.image_size, args.width, c_dim,
                                                        args.device)
    if trained.get("c_dim", 0) != c_dim:
        raise ValueError(f"{args.surrogate!r} takes {trained.get('c_dim', 0)} attributes, the training data has "
                         f"{c_dim}.")
    from art_initiative.training import load_pix2pix, load_stargan

    return (load_stargan if c_dim else load_pix2pix)(args.surrogate, args.device)


def _cmd_train_defense(args: argparse.Namespace) -> int:
    from art_initiative.attacks import InitiativeDefense, InitiativeDefenseReenactment
    from art_initiative.attacks.initiative.config import parse_settings
    from art_initiative.data import CelebA, SyntheticFaces, SyntheticTalkingFace, VideoFrames
    from art_initiative.training import distributed

    if os.path.exists(args.output):
        print(f"error: {args.output} exists; choose another path (nothing is overwritten)", file=sys.stderr)
        return 2
    try:
        settings = parse_settings(args.set)
    except ValueError as err:
        print(f"error: --set: {err}", file=sys.stderr)
        return 2
    try:
        trained = _surrogate_checkpoint(args)
    except (OSError, ValueError) as err:
        print(f"error: --surrogate: {err}", file=sys.stderr)
        return 2
    distributed.init_from_env(args.device)  # under torchrun: join the group before the template lands on a GPU
    # Without --surrogate the template is an untrained architecture: its SM starts from seeded fresh weights; with
    # it, from the checkpoint's trained weights (a user's own model: fitting on top of it is cheap).
    overrides = {"sm_init": "fresh" if trained is None else "estimator", "precision": args.precision,
                 "channels_last": args.channels_last, **settings,
                 **{k: v for k, v in dict(iterations=args.iterations, eps=args.eps).items() if v is not None}}
    checkpoint = args.checkpoint or os.path.splitext(args.output)[0] + "-training.pt"
    if args.task == "reenactment":
        if args.data == "celeba":
            print("error: reenactment trains on a video: use --data synthetic or --video PATH", file=sys.stderr)
            return 2
        video = VideoFrames(args.video, image_size=args.image_size, max_frames=args.n_train, verbose=not args.quiet) \
            if args.video else SyntheticTalkingFace(args.n_train, args.image_size, seed=args.data_seed)
        frames, sketches, landmarks = video.arrays()
        template = _template(args, trained, "unet256", 0)
        defence = InitiativeDefenseReenactment(template, profile=args.profile, verbose=not args.quiet, **overrides)
        defence.fit(frames, sketches, landmarks, checkpoint_path=checkpoint)
    else:
        if args.data == "synthetic":
            data = SyntheticFaces(args.n_train, args.image_size, seed=args.data_seed)
        else:
            if not args.celeba_root:
                print("error: --celeba-root is required with --data celeba", file=sys.stderr)
                return 2
            data = CelebA(args.celeba_root, image_size=args.image_size, split="defense",
                          split_sizes=(args.n_train, args.n_train, 2600))
        x, y = data.arrays()
        try:
            template = _template(args, trained, "res6", y.shape[1])
        except ValueError as err:
            print(f"error: --surrogate: {err}", file=sys.stderr)
            return 2
        defence = InitiativeDefense(template, profile=args.profile, attributes=data.attributes,
                                    verbose=not args.quiet, **overrides)
        defence.fit(x, y, checkpoint_path=checkpoint)
    defence.save(args.output)  # rank 0 writes
    if not distributed.is_main():
        return 0
    print(f"saved the defence to {args.output} (best D(y, y') {defence.best.get('best_distance', float('nan')):.4f} "
          f"at iteration {defence.best.get('best_iteration')}); training checkpoint: {checkpoint}")
    return 0


def _cmd_protect(args: argparse.Namespace) -> int:
    import time

    from tqdm.auto import tqdm

    from art_initiative.attacks import InitiativeDefense
    from art_initiative.data import ImageFolder
    from art_initiative.defences.photo import PhotoProtector, read_photo, save_photo

    if not os.path.exists(args.input):
        print(f"error: input must be an image file, a folder of images or a video file; not found: {args.input}",
              file=sys.stderr)
        return 2
    video = os.path.isfile(args.input) and args.input.lower().endswith(VIDEO_EXTENSIONS)
    poison_only = [f"--{k.replace('_', '-')}" for k in POISON_DEFAULTS if getattr(args, k) is not None]
    if poison_only and not args.poison:
        print(f"error: {', '.join(poison_only)} set the --poison noise; a PG protects at the budget and size it was "
              "trained for (train-defense --eps / --image-size trains one for others)", file=sys.stderr)
        return 2
    if args.poison:
        for name, default in POISON_DEFAULTS.items():
            if getattr(args, name) is None:
                setattr(args, name, default)
        if not video:
            print("error: --poison applies to videos (the frames a forger trains on), not to photos", file=sys.stderr)
            return 2
        if args.defense or args.weights:
            print("error: --poison computes its own noise; it takes no --defense or --weights", file=sys.stderr)
            return 2
        return _protect_video(args, None, args.image_size)
    if args.defense:
        pre, shape = InitiativeDefense.load_preprocessor(args.defense, device_type=args.device)
    else:
        from art_initiative.defences.preprocessor import InitiativePreprocessor

        task = "reenactment" if video else "attribute_editing"
        try:
            pre, shape = InitiativePreprocessor.from_pretrained(args.weights, device_type=args.device, task=task)
        except ValueError as err:
            print(f"error: {err} Pass --defense FILE (a defence saved by train-defense).", file=sys.stderr)
            return 2
        which = args.weights or f"default {task}"
        print(f"using the shipped {which} PG ({shape[1]} px, eps {pre.eps}); --defense FILE uses your own")
    if video:
        return _protect_video(args, pre, shape[1])
    if args.pattern != "per_frame":
        print("error: --pattern applies to videos (the frames a forger trains on), not to photos", file=sys.stderr)
        return 2
    folder = ImageFolder(args.input)
    if not len(folder):
        print(f"error: no image files under {args.input}", file=sys.stderr)
        return 2
    protector = PhotoProtector(lambda x: pre(x)[0], pre.eps, shape[1], region="whole" if args.whole else "faces",
                               no_face=args.no_face)
    ext = ".jpg" if args.format == "jpeg" else ".png"
    inputs = {os.path.realpath(p) for p in folder.files}
    written, skipped, start = 0, 0, time.perf_counter()
    for path in tqdm(folder.files, desc="protect", disable=args.quiet):
        rel = os.path.splitext(folder.relative_path(path))[0] + ext
        target = os.path.join(args.output, rel)
        if os.path.realpath(target) in inputs or os.path.exists(target):
            print(f"skipping {path}: {target} exists (nothing is overwritten)", file=sys.stderr)
            skipped += 1
            continue
        try:
            result = protector.protect(read_photo(path))
        except (ValueError, OSError) as err:
            print(f"unreadable, skipped: {path} ({err})", file=sys.stderr)
            skipped += 1
            continue
        if result.image is None:
            print(f"{rel}: no face found, skipped (--no-face whole or --whole protect it whole)", file=sys.stderr)
            skipped += 1
            continue
        save_photo(result.image, target)
        what = "whole image" if result.whole else f"{len(result.faces)} face(s)"
        print(f"{rel}: {result.image.width}x{result.image.height} {result.image.mode}, {what}, "
              f"PSNR {result.psnr:.1f} dB")
        written += 1
    seconds = time.perf_counter() - start
    print(f"protected {written} of {len(folder)} images into {args.output} "
          f"({written / max(seconds, 1e-9):.2f} images/s, eps {pre.eps})")
    return 0 if written else 2


def _protect_video(args: argparse.Namespace, pre: Any, image_size: int) -> int:
    """Protect the face crops of a video (the frames a forger trains on): PNG frames and a lossless FFV1 video."""
    import time

    from art_initiative.data import VideoFrames, write_image
    from art_initiative.data.video import write_video

    stem = os.path.splitext(os.path.basename(args.input))[0]
    video_out = os.path.join(args.output, f"{stem}_protected.avi")
    frames_out = os.path.join(args.output, f"{stem}_protected_frames")
    for path in (video_out, frames_out):
        if os.path.exists(path):
            print(f"error: {path} exists (nothing is overwritten)", file=sys.stderr)
            return 2
    try:
        crops = VideoFrames(args.input, image_size=image_size, verbose=not args.quiet)
    except ValueError as err:
        print(f"error: {args.input}: {err}", file=sys.stderr)
        return 2
    frames = crops.frames
    start = time.perf_counter()
    if pre is None:  # an error poison (--poison) against a fresh unet256 surrogate, computed for these frames
        protected, eps, what = _poison_video(args, frames, crops.sketches()), args.eps, f"error-{args.poison} poison"
    else:
        protected = np.concatenate([pre(frames[i:i + 64])[0] for i in range(0, len(frames), 64)])
        eps, what = pre.eps, "PG"
        if args.pattern == "shared":
            from art_initiative.models import shared_pattern

            protected = shared_pattern(frames, protected, pre.eps)
    seconds = time.perf_counter() - start
    for t, frame in enumerate(protected):
        write_image(os.path.join(frames_out, f"frame_{t:06d}.png"), frame)
    write_video(video_out, protected)
    print(f"protected {len(protected)} face crops of {args.input} into {video_out} and {frames_out}/ "
          f"({len(protected) / max(seconds, 1e-9):.1f} images/s, {what}, eps {eps}, {args.pattern} pattern)")
    return 0


def _poison_video(args: argparse.Namespace, frames: np.ndarray, sketches: np.ndarray) -> np.ndarray:
    """The face crops of a video with :class:`~art_initiative.attacks.ErrorPoison`'s noise (``--poison``)."""
    from art_initiative.attacks import ErrorPoison
    from art_initiative.estimators import PyTorchImageTranslator

    image_size = frames.shape[2]
    surrogate = PyTorchImageTranslator.from_architecture("unet256", image_size, 16, 0, args.device, seed=0)
    poison = ErrorPoison(surrogate, eps=args.eps, objective=args.poison, pattern=args.pattern,
                         rounds=args.poison_rounds, verbose=not args.quiet)
    return poison.generate(frames, sketches)


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from art_initiative.attacks import InitiativeDefense
    from art_initiative.data import SyntheticFaces, target_domains
    from art_initiative.metrics.registry import measure
    from art_initiative.training import load_stargan

    target = load_stargan(args.target, device_type=args.device)
    pre, shape = InitiativeDefense.load_preprocessor(args.defense, device_type=args.device)
    faces = SyntheticFaces(args.n, shape[1], seed=args.data_seed, offset=args.offset)
    x, labels = faces.arrays()
    x_adv, _ = pre(x)
    domains = target_domains(labels, faces.attributes)
    y = np.concatenate([target.predict(x, conditions=c) for c in domains])
    y_adv = np.concatenate([target.predict(x_adv, conditions=c) for c in domains])
    report = {"n_pairs": len(y), **measure("forgery", y, y_adv), **measure("protection", x, x_adv)}
    print(json.dumps(report, indent=1))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(report, fh, indent=1)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``art-initiative`` parser, one subcommand per entry of ``_COMMANDS``."""
    parser = argparse.ArgumentParser(prog="art-initiative", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log at INFO level")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("info", help="versions, device, LPIPS weights and registered models")

    demo = sub.add_parser("demo", help="short end-to-end run on synthetic faces; writes a report and figures")
    demo.add_argument("--output", default="demo_output", help="folder for report.json, report.md and PNGs")
    demo.add_argument("--forger-start", choices=("public", "scratch"), default="public",
                      help="public: the forger fine-tunes a released model the defence starts from; scratch: the "
                           "paper's protocol (forger and defence train their models from scratch)")
    demo.add_argument("--arch", choices=("res6", "res9", "cnet", "unet128"),
                      help="the architecture of the released model, the defender's surrogate and the forger's target "
                           "(default: DemoConfig's)")
    demo.add_argument("--iterations", type=int, default=1000,
                      help="iterations of the released model (public) or of the target and the surrogate (scratch)")
    demo.add_argument("--finetune-iterations", type=int, default=500, help="the forger's fine-tuning (public)")
    demo.add_argument("--sm-pretrain-iterations", type=int,
                      help="the defence's SM warm start (default: 250 public, 1000 scratch)")
    demo.add_argument("--defense-iterations", "--defence-iterations", dest="defence_iterations", type=int,
                      help="the defence's alternating iterations (default: 1000 public, 375 scratch; "
                           "--defence-iterations: old spelling)")
    demo.add_argument("--n-train", type=int, default=1000)
    demo.add_argument("--n-test", type=int, default=50)
    demo.add_argument("--image-size", type=int, default=32)
    demo.add_argument("--width", type=int, default=16)
    demo.add_argument("--disc-width", type=int, default=64, help="width of the forger's StarGAN discriminator")
    demo.add_argument("--classifier-iterations", type=int, default=500,
                      help="iterations of the attribute classifier that checks the target's edits")
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--defence-faces", type=int,
                      help="faces the defence trains on (default: the defender's --n-train; more: further rendered "
                           "faces)")
    demo.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                      help="a setting of the defence (InitiativeConfig), e.g. --set influence_distance=l2 (repeatable)")
    demo.add_argument("--device", choices=("gpu", "cpu"), default="gpu", help="gpu uses CUDA when available")
    demo.add_argument("--quiet", action="store_true", help="no progress bars")

    bench = sub.add_parser("benchmark", help="the benchmark harness: every method against every target setting")
    bench.add_argument("--task", required=True,
                       choices=("attribute_editing", "reenactment", "calibration", "robustness"),
                       help="calibration: white-box PGD, noise and the translation check of each attribute-editing "
                            "target (no defence); robustness: JPEG, blur, resize, shift and adaptive forgers on the "
                            "gray-box attribute-editing target (public-model scenario by default)")
    bench.add_argument("--data", default="synthetic", help="synthetic, franck (after `make franck`) or a video")
    bench.add_argument("--profile", default="cpu", choices=("cpu", "paper", "tiny"))
    bench.add_argument("--methods", nargs="+", help="default: all of the task's methods")
    bench.add_argument("--targets", nargs="+", help="default: all of the task's target architectures")
    bench.add_argument("--eps", nargs="+", type=float, help="default: the paper's eps (one for attribute editing)")
    bench.add_argument("--domains", nargs="+", choices=("SD", "DD"), help="attribute editing; default: both")
    bench.add_argument("--sweep", nargs="*", type=float, help="attribute editing: the eps of Figure 4's sweep")
    bench.add_argument("--image-size", type=int, help="default: the profile's")
    bench.add_argument("--n-train", type=int, help="published (protected) frames; default: the profile's")
    bench.add_argument("--n-test", type=int, help="held-out frames; default: the profile's")
    bench.add_argument("--blocks", type=int, help="reenactment: held-out frames from this many blocks of the video "
                       "(default 1: one segment after the published frames)")
    bench.add_argument("--forger-iterations", type=int, help="default: the profile's")
    bench.add_argument("--forger-disc-layers", type=int, help="reenactment: the forgers' PatchGAN depth (1, 2, 3: 16, "
                       "34, 70 px patches; default 0: pix2pix's 70x70, the whole image at 32 px)")
    bench.add_argument("--forger-seeds", type=int, help="reenactment: pairs of forger seeds every DSR is averaged over "
                       "(records add n_seeds and dsr_std; default 1)")
    bench.add_argument("--poison-rounds", type=int, help="reenactment: rounds of the error poisons (unlearnable, "
                       "unlearnable_shared, adversarial_poison; default 40 of 100 surrogate updates)")
    bench.add_argument("--target-iterations", type=int, help="attribute editing: StarGAN iterations of each target")
    bench.add_argument("--recipe", choices=("stargan", "hardened"),
                       help="attribute editing: the forger's recipe (default stargan; hardened adds an identity term)")
    bench.add_argument("--disc-width", type=int, help="attribute editing: width of the targets' discriminator")
    bench.add_argument("--forger-start", choices=("scratch", "public"),
                       help="attribute editing: the forger trains from random weights (default, the paper's protocol) "
                            "or fine-tunes the public model (the defender's surrogate) that the defence starts from "
                            "too (results *-public)")
    bench.add_argument("--finetune-iterations", type=int,
                       help="attribute editing with --forger-start public: the forger's fine-tuning iterations")
    bench.add_argument("--blackbox-iterations", type=int,
                       help="attribute editing with --forger-start public: iterations of the targets of another "
                            "architecture than the public model, which the forger trains from scratch (default: "
                            "--target-iterations)")
    bench.add_argument("--surrogate-arch", choices=("res6", "res9", "cnet", "unet128"),
                       help="attribute editing: the defender's architecture (the baseline's surrogate, the defence's "
                            "template, the public model; default res6, the paper's); its target is the gray-box row "
                            "(results *-<arch> unless res6)")
    bench.add_argument("--adapt-iterations", type=int,
                       help="robustness: the fine-tuning forger's iterations on protected faces (0: skip)")
    bench.add_argument("--adapt-pool", type=int, help="robustness: how many protected faces it fine-tunes on")
    bench.add_argument("--pgd-steps", type=int,
                       help="attribute editing, calibration, robustness: iterations of the iterative baselines (Ruiz "
                            "PGD and I-FGSM, ART's BIM, torchattacks' PGD) and of white-box PGD (default 10, Ruiz et "
                            "al.'s)")
    bench.add_argument("--eps-step", type=float,
                       help="attribute editing, calibration, robustness: their step size (default 0.01, Ruiz et "
                            "al.'s; a smaller eps steps by eps)")
    bench.add_argument("--refine-steps", type=int,
                       help="attribute editing: initiative_refined's gradient steps on the surrogate after PG (2)")
    bench.add_argument("--universal-iterations", type=int,
                       help="attribute editing: steps of the universal method's pattern on the surrogate (500)")
    bench.add_argument("--refine-requests", type=int,
                       help="attribute editing: edit requests per refinement step, in turn (default: all five)")
    bench.add_argument("--defence-faces", type=int,
                       help="attribute editing: faces the learned defence and the universal control train on "
                            "(default: the defender's split; more: further rendered faces, synthetic data only)")
    bench.add_argument("--set", action="append", metavar="KEY=VALUE", help="a setting of the defence's profile")
    bench.add_argument("--output", default="benchmarks/results")
    bench.add_argument("--cache-dir", default=os.path.join("benchmarks", "cache"),
                       help="trained forgers and defences, reused by later runs")
    bench.add_argument("--device", choices=("gpu", "cpu"), default="gpu", help="gpu uses CUDA when available")
    bench.add_argument("--quiet", action="store_true", help="no progress bars")

    render = sub.add_parser("render-synthetic", help="write synthetic faces as PNG files with labels.csv")
    render.add_argument("output", help="a new or empty folder")
    render.add_argument("--n", type=int, default=100)
    render.add_argument("--image-size", type=int, default=128)
    render.add_argument("--seed", type=int, default=0)
    render.add_argument("--offset", type=int, default=0)

    tt = sub.add_parser("train-target", help="train a forger's model on synthetic data (checkpointed, resumable)")
    tt.add_argument("output", help="checkpoint file (.pt); a .json sidecar is written beside it")
    tt.add_argument("--task", choices=("attribute_editing", "reenactment"), default="attribute_editing")
    tt.add_argument("--arch", default="res6", help="res6, res9, cnet, unet128 or unet256")
    tt.add_argument("--n", type=int, default=2000, help="training images (or frames)")
    tt.add_argument("--image-size", type=int, default=32)
    tt.add_argument("--width", type=int, default=16)
    tt.add_argument("--iterations", type=int, default=3000)
    tt.add_argument("--batch-size", type=int, default=16)
    tt.add_argument("--recipe", choices=("stargan", "hardened"), default="stargan",
                    help="attribute editing: StarGAN's own recipe (no identity term, n_critic 5, lr 1e-4) or the "
                         "hardened one (identity weight 10, n_critic 2, lr 2e-4); --lr, --n-critic, --lambda-id "
                         "override its settings")
    tt.add_argument("--disc-width", type=int, default=64, help="attribute editing: the discriminator's width")
    tt.add_argument("--lr", type=float, help="default: the recipe's (pix2pix: 2e-4)")
    tt.add_argument("--n-critic", type=int, help="default: the recipe's")
    tt.add_argument("--lambda-id", type=float, help="default: the recipe's")
    tt.add_argument("--seed", type=int, default=0, help="model seed")
    tt.add_argument("--data-seed", type=int, default=0)
    tt.add_argument("--checkpoint-every", type=int, default=500)
    tt.add_argument("--resume", action="store_true", help="continue an existing checkpoint")
    tt.add_argument("--device", choices=("gpu", "cpu"), default="gpu")
    tt.add_argument("--precision", choices=("fp32", "bf16"), default="fp32",
                    help="bf16: autocast of forward passes and losses (GPUs; fp32 is the reference)")
    tt.add_argument("--channels-last", action="store_true", help="channels-last memory layout (GPUs)")
    tt.add_argument("--quiet", action="store_true")

    td = sub.add_parser("train-defense", help="train the initiative defence (Algorithm 1) and save its PG")
    td.add_argument("output", help="defence file (.pt, with a .json sidecar); never overwritten")
    td.add_argument("--task", choices=("attribute_editing", "reenactment"), default="attribute_editing")
    td.add_argument("--data", choices=("synthetic", "celeba"), default="synthetic")
    td.add_argument("--video", help="reenactment: the victim's video file (default: the synthetic talking face)")
    td.add_argument("--celeba-root", help="CelebA folder (img_align_celeba/, list_attr_celeba.txt, ...)")
    td.add_argument("--profile", choices=("paper", "cpu", "tiny"), default="cpu")
    td.add_argument("--arch", help="surrogate architecture (the forger's, gray-box; default res6, or unet256 "
                    "for reenactment)")
    td.add_argument("--surrogate", metavar="CHECKPOINT",
                    help="a train-target checkpoint (your own trained model): the defence's SM starts from its "
                    "weights (sm_init=estimator) and takes its architecture, size and width")
    td.add_argument("--image-size", type=int, help="default 32 (or --surrogate's)")
    td.add_argument("--width", type=int, help="surrogate width; default 16 (or --surrogate's)")
    td.add_argument("--n-train", type=int, default=2000, help="training faces (reenactment: frames)")
    td.add_argument("--iterations", type=int, help="override the profile's iterations")
    td.add_argument("--eps", type=float, help="override the profile's eps")
    td.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="override any InitiativeConfig setting, e.g. --set alternating=false (repeatable)")
    td.add_argument("--checkpoint", help="training checkpoint (default: OUTPUT-training.pt); resumed if present")
    td.add_argument("--data-seed", type=int, default=0)
    td.add_argument("--device", choices=("gpu", "cpu"), default="gpu")
    td.add_argument("--precision", choices=("fp32", "bf16"), default="fp32",
                    help="bf16: autocast of forward passes and losses (GPUs; fp32 is the reference)")
    td.add_argument("--channels-last", action="store_true", help="channels-last memory layout (GPUs)")
    td.add_argument("--quiet", action="store_true")

    pr = sub.add_parser("protect", help="protect image files or a video with a trained defence (writes PNGs)")
    pr.add_argument("input", help="an image file, a folder of images, or a video file (its face crops are "
                    "protected and written as PNG frames and a lossless FFV1 .avi)")
    pr.add_argument("output", help="folder for the protected PNGs (inputs and existing files are never overwritten)")
    pr.add_argument("--defense", help="a defence saved by train-defense (default: the PG shipped for the task)")
    pr.add_argument("--weights", help="a shipped PG by name (`art-initiative info` lists them; default: the "
                                      "task's default)")
    pr.add_argument("--whole", action="store_true", help="protect each whole image instead of the faces in it")
    pr.add_argument("--no-face", choices=("skip", "whole"), default="skip",
                    help="a photo where no face is found is skipped (default) or protected whole")
    pr.add_argument("--format", choices=("png", "jpeg"), default="png",
                    help="output format: lossless PNG (default) or JPEG (quality 95; weakens the protection)")
    pr.add_argument("--pattern", choices=("per_frame", "shared"), default="per_frame",
                    help="videos: PG's perturbation per frame (the paper's, default) or one pattern on every frame, "
                         "the sign of PG's mean perturbation at the full budget (moves the benchmark's forgers far "
                         "more at eps 0.05, at a lower PSNR; docs: reenactment)")
    pr.add_argument("--poison", choices=("max", "min"),
                    help="videos: instead of a PG, an error-maximising (max) or error-minimising (min) poison "
                         "computed for these frames against a fresh unet256 surrogate (ErrorPoison; docs: "
                         "reenactment); with --pattern shared one pattern for the video")
    pr.add_argument("--eps", type=float, help=f"--poison only: the L-inf budget (default {POISON_DEFAULTS['eps']})")
    pr.add_argument("--image-size", type=int,
                    help=f"--poison only: the face crops' size (default {POISON_DEFAULTS['image_size']})")
    pr.add_argument("--poison-rounds", type=int,
                    help=f"--poison only: rounds of 100 surrogate updates (default {POISON_DEFAULTS['poison_rounds']}, "
                         "about a minute per 1200 frames of 32 px on one core)")
    pr.add_argument("--device", choices=("gpu", "cpu"), default="gpu")
    pr.add_argument("--quiet", action="store_true")

    ev = sub.add_parser("evaluate", help="protected vs clean forgeries of a target model on held-out faces")
    ev.add_argument("--defense", required=True)
    ev.add_argument("--target", required=True, help="a train-target checkpoint (attribute editing)")
    ev.add_argument("--n", type=int, default=100)
    ev.add_argument("--offset", type=int, default=1_000_000, help="index of the first held-out synthetic face")
    ev.add_argument("--data-seed", type=int, default=0)
    ev.add_argument("--json", help="also write the report here")
    ev.add_argument("--device", choices=("gpu", "cpu"), default="gpu")
    return parser


_COMMANDS = {"info": _cmd_info, "demo": _cmd_demo, "render-synthetic": _cmd_render,
             "train-target": _cmd_train_target, "train-defense": _cmd_train_defense, "protect": _cmd_protect,
             "evaluate": _cmd_evaluate, "benchmark": _cmd_benchmark}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``art-initiative`` console script."""
    args = build_parser().parse_args(argv)
    args.argv = None if argv is None else list(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    np.set_printoptions(precision=4, suppress=True)
    try:
        return _COMMANDS[args.command](args)
    except (ValueError, FileNotFoundError, FileExistsError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
