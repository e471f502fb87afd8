import numpy as np
import pytest
from PIL import Image

from art_initiative.data import CelebA

NAMES = ["5_o_Clock_Shadow", "Black_Hair", "Blond_Hair", "Brown_Hair", "Male", "Young", "Eyeglasses"]


@pytest.fixture
def fake_celeba(tmp_path):
    """A 12-image CelebA directory in the real layout (178x218 JPEGs, +-1 attribute table, partition file)."""
    rng = np.random.default_rng(0)
    (tmp_path / "img_align_celeba").mkdir()
    rows, parts = [], []
    for i in range(12):
        name = f"{i + 1:06d}.jpg"
        img = rng.integers(0, 255, (218, 178, 3), dtype=np.uint8)
        img[100:118, 80:98] = 255  # a white square in the centre
        Image.fromarray(img).save(tmp_path / "img_align_celeba" / name, quality=95)
        values = rng.choice([-1, 1], len(NAMES))
        rows.append(name + " " + " ".join(f"{v:2d}" for v in values))
        parts.append(f"{name} {0 if i < 8 else (1 if i < 10 else 2)}")
    (tmp_path / "list_attr_celeba.txt").write_text(f"12\n{' '.join(NAMES)}\n" + "\n".join(rows) + "\n")
    (tmp_path / "list_eval_partition.txt").write_text("\n".join(parts) + "\n")
    return tmp_path


def test_splits_are_disjoint(fake_celeba):
    d = CelebA(fake_celeba, image_size=32, split="defense")
    t = CelebA(fake_celeba, image_size=32, split="target")
    te = CelebA(fake_celeba, image_size=32, split="test")
    assert len(d) == 4 and len(t) == 4 and len(te) == 2
    assert not set(d.files) & set(t.files) and not set(te.files) & (set(d.files) | set(t.files))
    assert len(CelebA(fake_celeba, 32, split="defense", split_sizes=(3, 3, 1))) == 3


def test_labels_and_images(fake_celeba):
    ds = CelebA(fake_celeba, image_size=32, split="all", attributes=("Male", "Young"))
    x, y = ds.arrays([0, 1])
    assert x.shape == (2, 3, 32, 32) and x.dtype == np.float32 and -1 <= x.min() and x.max() <= 1
    lines = (fake_celeba / "list_attr_celeba.txt").read_text().splitlines()
    first = lines[2].split()[1:]
    assert list(y[0]) == [float(first[NAMES.index("Male")] == "1"), float(first[NAMES.index("Young")] == "1")]
    # centre crop 178 then resize keeps the white square in the centre
    assert x[0, :, 15:17, 15:17].min() > 0.8


def test_missing_and_bad_inputs(fake_celeba, tmp_path):
    with pytest.raises(FileNotFoundError, match="root directory"):
        CelebA(tmp_path / "nope")
    with pytest.raises(ValueError, match="unknown: \\['Bald'\\]"):
        CelebA(fake_celeba, attributes=("Bald",))
    with pytest.raises(ValueError, match="split must be"):
        CelebA(fake_celeba, split="train")
    (fake_celeba / "list_attr_celeba.txt").write_text("not a table\n")
    with pytest.raises(ValueError, match="not a CelebA attribute file"):
        CelebA(fake_celeba)
