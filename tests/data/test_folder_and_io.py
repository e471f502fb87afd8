import numpy as np
import pytest
from PIL import Image

from art_initiative.data import ImageFolder, read_image, write_image


def test_read_write_round_trip(tmp_path, images):
    path = tmp_path / "a.png"
    write_image(path, images[0])
    back = read_image(path)
    assert np.abs(back - images[0]).max() <= 1 / 127.5 + 1e-6
    with pytest.raises(FileExistsError):
        write_image(path, images[1])
    np.testing.assert_array_equal(read_image(path), back)  # the first file is untouched


def test_folder_skips_corrupt_files_and_reports_them(tmp_path):
    Image.fromarray(np.zeros((40, 30, 3), np.uint8)).save(tmp_path / "ok.png")
    (tmp_path / "sub").mkdir()
    Image.fromarray(np.full((20, 20, 3), 255, np.uint8)).save(tmp_path / "sub" / "ok2.jpg")
    (tmp_path / "broken.png").write_bytes(b"\x89PNG garbage")
    (tmp_path / "notes.txt").write_text("not an image")
    folder = ImageFolder(tmp_path, image_size=16)
    assert len(folder) == 3
    loaded = dict(folder.iter_images())
    assert set(map(folder.relative_path, loaded)) == {"ok.png", "sub/ok2.jpg"}
    assert all(v.shape == (3, 16, 16) for v in loaded.values())
    assert [folder.relative_path(p) for p, _ in folder.errors] == ["broken.png"]
    with pytest.raises(ValueError, match="not a readable image"):
        folder.arrays()


def test_missing_paths():
    with pytest.raises(FileNotFoundError):
        ImageFolder("/nonexistent/folder")
    with pytest.raises(FileNotFoundError):
        read_image("/nonexistent/a.png")
