import json

import pytest
import torch

from art_initiative.utils.checkpoint import load_checkpoint, restore, save_checkpoint


def test_round_trip_and_sidecar(tmp_path):
    net = torch.nn.Linear(3, 2)
    opt = torch.optim.Adam(net.parameters())
    net(torch.ones(1, 3)).sum().backward()
    opt.step()
    save_checkpoint(tmp_path / "c.pt", {"width": 8, "sizes": (1, 2)}, {"net": net}, {"opt": opt}, {"iteration": 7})
    stored = load_checkpoint(tmp_path / "c.pt", {"width": 8, "sizes": (1, 2)})
    other, other_opt = torch.nn.Linear(3, 2), torch.optim.Adam(torch.nn.Linear(3, 2).parameters())
    restore(stored, {"net": other})
    assert torch.equal(other.weight, net.weight)
    assert stored["state"]["iteration"] == 7
    assert json.loads((tmp_path / "c.json").read_text())["config"]["width"] == 8
    assert not list(tmp_path.glob("*.tmp-*"))
    del other_opt


def test_config_mismatch_and_missing(tmp_path):
    save_checkpoint(tmp_path / "c.pt", {"width": 8}, {"net": torch.nn.Linear(1, 1)})
    with pytest.raises(ValueError, match="width: stored 8 vs requested 16"):
        load_checkpoint(tmp_path / "c.pt", {"width": 16})
    with pytest.raises(FileNotFoundError):
        load_checkpoint(tmp_path / "none.pt")


def test_a_setting_added_later_compares_as_its_default(tmp_path):
    save_checkpoint(tmp_path / "c.pt", {"width": 8}, {"net": torch.nn.Linear(1, 1)})  # written before "eot" existed
    assert load_checkpoint(tmp_path / "c.pt", {"width": 8, "eot": ""}, defaults={"eot": ""})
    with pytest.raises(ValueError, match="eot: stored '' vs requested 'jpeg'"):
        load_checkpoint(tmp_path / "c.pt", {"width": 8, "eot": "jpeg"}, defaults={"eot": ""})
    with pytest.raises(ValueError, match="eot"):
        load_checkpoint(tmp_path / "c.pt", {"width": 8, "eot": ""})  # no defaults: a missing key differs


def test_corrupt_and_foreign_files(tmp_path):
    (tmp_path / "bad.pt").write_bytes(b"garbage")
    with pytest.raises(ValueError, match="not a readable checkpoint"):
        load_checkpoint(tmp_path / "bad.pt")
    torch.save({"weights": torch.ones(1)}, tmp_path / "foreign.pt")
    with pytest.raises(ValueError, match="not an art_initiative checkpoint"):
        load_checkpoint(tmp_path / "foreign.pt")


def test_refuses_pickled_code(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    torch.save({"format": "art_initiative-checkpoint-v1", "x": Evil()}, tmp_path / "evil.pt")
    with pytest.raises(ValueError, match="not a readable checkpoint"):
        load_checkpoint(tmp_path / "evil.pt")
