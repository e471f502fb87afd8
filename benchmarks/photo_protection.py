"""Whole-photo protection: its speed on full-size photos, and whether it survives the forger's own crop-and-resize.

1. Speed: seconds per photo of ``PhotoProtector.protect`` (dlib's detector, the face crop, the shipped PG, the
   resize back) on scikit-image's 512x512 astronaut (one face) and on upscaled copies, on this machine's cores.
2. The forger's pipeline: the benchmark's test faces are placed into larger "photos" (upscaled to ``--face-px`` and
   pasted on a background of ``--photo-px``), protected at the photo's size, then cropped and resized back to the
   forger's 32 px input as a face pipeline would; the gray-box target's DSR and MSE on those, beside the same PG on
   the 32 px crops directly, sign noise and nothing. The synthetic faces are not found by dlib, so the known face
   box is the detector here (the rest of the path is the product's). A row with PG's crop perturbation passed
   through the round trip alone (``photo`` of :mod:`art_initiative.preprocessing.transforms`) says how much of the
   loss the resizing explains.

    .venv/bin/python benchmarks/photo_protection.py

Writes ``benchmarks/results/photo_protection-cpu.{json,md}``. Needs the shipped attribute-editing PG and, for
part 2, the cached gray-box target of the benchmark the shipped PG comes from (``art-initiative benchmark --task
attribute_editing``, with ``--forger-start public`` for PG weights of the public-model scenario).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

import numpy as np
import torch
from PIL import Image

from art_initiative.attacks import InitiativeDefense
from art_initiative.attacks.initiative import pretrained
from art_initiative.defences.photo import FACE_CROP_SCALE, PhotoProtector, face_crop_box
from art_initiative.defences.preprocessor import InitiativePreprocessor
from art_initiative.preprocessing import apply_transform

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "results")


def speed(protector: PhotoProtector, photo: Image.Image, repeats: int) -> dict[str, float]:
    protector.protect(photo)  # warm-up (builds the detector)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        result = protector.protect(photo)
        times.append(time.perf_counter() - t)
    return {"seconds_per_photo": statistics.median(times), "faces": len(result.faces), "psnr": result.psnr}


def _through_photos(pre: InitiativePreprocessor, x: np.ndarray, size: int, face_px: int, photo_px: int,
                    box: tuple[float, ...], crop: tuple[int, ...], rng: np.random.Generator
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Each face of ``x`` pasted at ``face_px`` into a ``photo_px`` photo (background drawn from ``rng``), the photo
    protected by ``pre`` through :class:`PhotoProtector` (``box`` as the detector), then the forger's ``crop``
    resized to ``size``: the clean crops and the protected ones."""
    protector = PhotoProtector(lambda a: pre(a)[0], pre.eps, size, detector=lambda rgb: [box])
    x0 = y0 = (photo_px - face_px) // 2
    crops: dict[str, list[np.ndarray]] = {"clean": [], "protected": []}
    for img in x:
        face = Image.fromarray(np.round((img.transpose(1, 2, 0) + 1) * 127.5).astype(np.uint8))
        photo = Image.fromarray(rng.integers(90, 166, (photo_px, photo_px, 3), dtype=np.uint8))
        photo.paste(face.resize((face_px, face_px), Image.BICUBIC), (x0, y0))
        for name, im in (("clean", photo), ("protected", protector.protect(photo).image)):
            c = im.crop((crop[0], crop[1], crop[0] + crop[2], crop[1] + crop[2])).resize((size, size), Image.BICUBIC)
            crops[name].append(np.asarray(c, dtype=np.float32).transpose(2, 0, 1) / 127.5 - 1)
    return np.stack(crops["clean"]), np.stack(crops["protected"])


def forger_pipeline(pgs: dict[str, InitiativePreprocessor], size: int, face_px: int, photo_px: int,
                    forger_start: str, cache: str) -> list[dict]:
    """For each PG of ``pgs`` (by the name its records carry as ``weights``): protect faces inside larger photos,
    crop and resize them as the forger would, score the gray-box target of the benchmark the shipped PG comes from
    (``forger_start``: its scenario, the harness's setting). The target and its clean forgeries are loaded once."""
    from art_initiative.benchmark.attribute import attribute_data
    from art_initiative.benchmark.harness import attribute_config
    from art_initiative.benchmark.records import forgery_metrics
    from art_initiative.benchmark.testbed import forger_target, public_model
    from art_initiative.data import target_domains

    scope = {"targets": ("res6",), "domains": ("SD",)} if forger_start == "public" else {}
    cfg = attribute_config("synthetic", "cpu", forger_start=forger_start, **scope)
    split = attribute_data("synthetic", cfg, cache_dir=cache)
    x, lt = split.test
    sd = split.columns("SD")
    public = public_model(split, cfg, cache)
    if public is not None and not os.path.exists(public):
        sys.exit(f"{public} is missing: run the public-model benchmark first (--forger-start public).")
    target = forger_target(split, cfg, "res6", "SD", "cpu", cache)
    doms = target_domains(lt[:, sd], split.settings["SD"])
    # The face box whose forger's crop is the face image: side face_px / crop_scale, raised as face_crop_box does.
    box_side = face_px / FACE_CROP_SCALE
    x0 = y0 = (photo_px - face_px) // 2
    cx, cy = x0 + face_px / 2, y0 + face_px / 2 + 0.1 * face_px
    box = (cx - box_side / 2, cy - box_side / 2, cx + box_side / 2, cy + box_side / 2)
    crop = face_crop_box(box, photo_px, photo_px)
    y = None  # the clean forgeries: the same photos for every PG
    out = []
    for weights, pre in pgs.items():
        rng = np.random.default_rng(0)
        clean, published = _through_photos(pre, x, size, face_px, photo_px, box, crop, rng)
        on_crop = pre(clean)[0]
        # The round trip alone (PG's crop perturbation, upscaled in blocks to the crop's side and downscaled back):
        # how much of the loss through the photo it explains.
        trip = np.clip(clean + apply_transform(on_crop - clean, "photo", crop[2] / size), -1.0, 1.0)
        runs = {"none": clean, "photo, then the forger's crop": published,
                "PG on the forger's 32 px crop": on_crop,
                "PG's crop perturbation, round trip only": trip,
                "sign noise on the crop": np.clip(clean + pre.eps * np.sign(rng.uniform(-1, 1, clean.shape)), -1, 1)}
        if y is None:
            y = np.concatenate([target.predict(clean, conditions=c) for c in doms])
        for name, xp in runs.items():
            y2 = np.concatenate([target.predict(xp.astype(np.float32), conditions=c) for c in doms])
            m = forgery_metrics(y, y2, metric="mse")
            out.append({"what": "forger_pipeline", "weights": weights, "method": name, "face_px": face_px,
                        "photo_px": photo_px, "n_images": len(clean), "dsr": m["dsr"], "dsr_0.02": m["dsr_0.02"],
                        "dsr_0.01": m["dsr_0.01"], "mse": m["mse"]})
            print(f"{name:32s} DSR {100 * m['dsr']:5.1f}% (>0.01 {100 * m['dsr_0.01']:5.1f}%) MSE {m['mse']:.4f}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--face-px", type=int, default=192)
    parser.add_argument("--photo-px", type=int, default=512)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--weights", nargs="+", help="shipped PGs whose forger's pipeline is measured (default: the "
                                                     "default attribute-editing PG; speed is timed on the first)")
    parser.add_argument("--defense", nargs="+", default=[], metavar="FILE",
                        help="saved defences (train-defense, or a benchmark cache's initiative-*.pt) measured in the "
                             "forger's pipeline beside the shipped PGs, e.g. a lever's PG trained in the same cache; "
                             "same scenario and size as the first --weights")
    parser.add_argument("--cache-dir", default=os.path.join(HERE, "cache"),
                        help="the benchmark cache holding the gray-box target")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    from skimage import data

    names = args.weights or [pretrained.default_for("attribute_editing")]
    if names[0] is None:
        sys.exit("no shipped attribute-editing PG: run benchmarks/ship_weights.py first.")
    name = names[0]
    forger_start = pretrained.available()[name]["provenance"].get("forger_start", "scratch")
    pre, shape = InitiativePreprocessor.from_pretrained(name, device_type="cpu")
    protector = PhotoProtector(lambda a: pre(a)[0], pre.eps, shape[1])
    astronaut = Image.fromarray(data.astronaut())
    records = []
    for side in (512, 1024, 2048):
        r = speed(protector, astronaut.resize((side, side), Image.BICUBIC), args.repeats)
        records.append({"what": "speed", "photo_px": side, **r, "weights": name})
        print(f"{side} px: {r['seconds_per_photo']:.3f} s per photo ({r['faces']} face(s), PSNR {r['psnr']:.1f} dB)")
    pgs = {}
    for w in names:
        pre_w, shape_w = InitiativePreprocessor.from_pretrained(w, device_type="cpu")
        start = pretrained.available()[w]["provenance"].get("forger_start", "scratch")
        if start != forger_start or shape_w != shape:
            sys.exit(f"--weights: {w} is for another scenario or size than {name}; measure them separately.")
        pgs[w] = pre_w
    for path in args.defense:
        pre_d, shape_d = InitiativeDefense.load_preprocessor(path, device_type="cpu")
        if shape_d != shape:
            sys.exit(f"--defense: {path} takes {shape_d} images, {name} {shape}; measure them separately.")
        pgs[os.path.basename(path)] = pre_d
    records += forger_pipeline(pgs, shape[1], args.face_px, args.photo_px, forger_start, args.cache_dir)
    command = "python benchmarks/photo_protection.py " + " ".join(argv if argv is not None else sys.argv[1:])
    for r in records:
        r.update(command=command, threads=args.threads, eps=pre.eps, forger_start=forger_start)
    stem = os.path.join(RESULTS, "photo_protection-cpu")
    with open(stem + ".json", "w", encoding="utf-8") as fh:
        json.dump(records, fh, indent=1)
    scenario = "the public-model scenario" if forger_start == "public" else "the paper's protocol"
    lines = [f"# Whole-photo protection (shipped PG {', '.join(f'`{w}`' for w in names)}, 2-core CPU)", "",
             f"Command: `{command}`.", "", f"Speed of `{name}`:", "",
             "| photo | seconds per photo | faces | PSNR |", "|---|---|---|---|"]
    lines += [f"| astronaut, {r['photo_px']} px | {r['seconds_per_photo']:.3f} | {r['faces']} | {r['psnr']:.1f} dB |"
              for r in records if r["what"] == "speed"]
    lines += ["", f"The forger's pipeline: test faces at {args.face_px} px inside {args.photo_px} px photos, "
              f"cropped and resized to 32 px for the gray-box target of {scenario} (res6, SD) in the cache "
              f"`{args.cache_dir}`. A PG trained against another training of that target (another cache: the "
              "training is not bit-reproducible) meets it as a slightly different model, gray-box still but "
              "without its own target's advantage; compare PGs trained in the same cache.", "",
              "| weights | published | DSR >0.05 | >0.02 | >0.01 | MSE |", "|---|---|---|---|---|---|"]
    lines += [f"| {r['weights']} | {r['method']} | {100 * r['dsr']:.1f}% | {100 * r['dsr_0.02']:.1f}% | "
              f"{100 * r['dsr_0.01']:.1f}% | {r['mse']:.4f} |" for r in records if r["what"] == "forger_pipeline"]
    with open(stem + ".md", "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    print(f"wrote {stem}.json and .md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
