"""Data-parallel training: the helpers with one process, and real runs under ``torchrun`` with 2 gloo processes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from art_initiative.attacks import InitiativeDefense
from art_initiative.data import SyntheticFaces
from art_initiative.estimators import PyTorchImageTranslator
from art_initiative.models import build_model
from art_initiative.training import distributed, load_pix2pix, load_stargan, train_stargan
from art_initiative.training.losses import gradient_penalty

WORKER = Path(__file__).with_name("ddp_worker.py")


def _torchrun(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    torchrun = shutil.which("torchrun", path=os.path.dirname(sys.executable)) or shutil.which("torchrun")
    if torchrun is None:
        pytest.skip("torchrun is not installed")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    env.pop("WORLD_SIZE", None)
    # --log-dir inside the test's folder: without it torchrun leaves a torchelastic_* folder in /tmp per run
    done = subprocess.run([torchrun, "--standalone", "--nproc_per_node=2", "--log-dir", str(cwd / "torchrun-logs"),
                           *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert (cwd / "torchrun-logs").is_dir()  # its logs went where it was told
    return done


def test_one_process_is_world_size_one_and_changes_nothing():
    assert (distributed.world_size(), distributed.rank(), distributed.is_main()) == (1, 0, True)
    assert not distributed.init_from_env("cpu")  # no torchrun environment: nothing to join
    idx = np.array([5, 2, 7])
    assert distributed.shard(idx) is idx
    assert distributed.rank_stream(1) == 1
    distributed.check_batch_split(3)
    p = torch.nn.Parameter(torch.ones(2))
    p.grad = torch.full((2,), 3.0)
    distributed.average_gradients([p])
    assert torch.equal(p.grad, torch.full((2,), 3.0))


def test_shutdown_leaves_the_process_group_and_is_a_no_op_without_one(tmp_path):
    distributed.shutdown()  # no group: nothing to do
    torch.distributed.init_process_group("gloo", init_method=f"file://{tmp_path / 'store'}", rank=0, world_size=1)
    assert torch.distributed.is_initialized()
    distributed.shutdown()
    assert not torch.distributed.is_initialized()
    distributed.shutdown()


def test_precision_is_checked_and_bf16_autocasts_but_keeps_the_gradient_penalty_in_fp32():
    with pytest.raises(ValueError, match="precision must be one of"):
        distributed.check_precision("fp16")
    conv = torch.nn.Conv2d(3, 4, 3, padding=1)
    x = torch.rand(2, 3, 8, 8)
    cpu = torch.device("cpu")
    with distributed.autocast(cpu, "bf16"):
        assert conv(x).dtype == torch.bfloat16
        gp = gradient_penalty(lambda h: conv(h).mean((1, 2, 3)), x, torch.rand(2, 3, 8, 8),
                              torch.Generator().manual_seed(0))
    with distributed.autocast(cpu, "fp32"):
        assert conv(x).dtype == torch.float32
    assert gp.dtype == torch.float32
    ref = gradient_penalty(lambda h: conv(h).mean((1, 2, 3)), x, torch.rand(2, 3, 8, 8),
                           torch.Generator().manual_seed(0))
    assert ref.dtype == torch.float32


def test_bf16_and_channels_last_train_and_protect_within_eps():
    x, y = SyntheticFaces(8, 16, seed=0).arrays()
    G = train_stargan(x, y, width=4, disc_width=4, iterations=2, batch_size=4, n_critic=1, device_type="cpu",
                      verbose=False, precision="bf16", channels_last=True)
    assert all(torch.isfinite(p).all() for p in G.model.parameters())
    with pytest.raises(ValueError, match="precision must be one of"):
        train_stargan(x, y, width=4, iterations=1, device_type="cpu", verbose=False, precision="half")
    torch.manual_seed(0)
    template = PyTorchImageTranslator(build_model("res6", 16, 4, 5), (3, 16, 16), c_dim=5, device_type="cpu")
    defence = InitiativeDefense(template, profile="tiny", verbose=False, precision="bf16", channels_last=True)
    defence.fit(x, y)
    protected = defence.generate(x)
    assert protected.dtype == np.float32 and np.abs(protected - x).max() <= defence.eps + 1e-6
    defence.set_params(precision="fp32")
    assert defence.config.precision == "fp32"
    with pytest.raises(ValueError, match="precision must be one of"):
        defence.set_params(precision="int8")


def test_two_gloo_processes_split_batches_stay_in_step_and_checkpoints_resume_at_world_size_one(tmp_path):
    _torchrun(str(WORKER), str(tmp_path), cwd=tmp_path)
    ranks = [json.loads((tmp_path / f"rank-{r}.json").read_text()) for r in (0, 1)]
    assert [r["rank"] for r in ranks] == [0, 1] and all(r["world_size"] == 2 for r in ranks)
    assert all("cannot be split evenly over 2 processes" in r["split_error"] for r in ranks)
    for loop, per_rank in (("stargan", 2), ("pix2pix", 1), ("defence", 2)):
        seen = [r["seen"][loop] for r in ranks]
        assert len(seen[0]) == len(seen[1]) > 0
        for a, b in zip(*seen, strict=True):  # each global batch split in two disjoint halves
            assert len(a) == len(b) == per_rank and not set(a) & set(b)
        # the two ranks saw different data over the run
        assert seen[0] != seen[1]
    # gradients averaged: every rank ends with the same networks and the same PG_best choice
    for key in ("stargan", "pix2pix", "pg", "best"):
        assert ranks[0][key] == ranks[1][key], key
    assert ranks[0]["losses"] == ranks[1]["losses"]  # recorded losses are the means over the ranks
    assert ranks[0]["stargan_resumed"] == ranks[0]["stargan"]  # stopped and resumed = uninterrupted, at world 2

    # rank 0's checkpoints load, and resume in one process (another world size) where they stopped
    stored = json.loads((tmp_path / "stargan.json").read_text())
    assert stored["state"]["iteration"] == 4
    load_stargan(tmp_path / "stargan.pt", device_type="cpu")
    load_pix2pix(tmp_path / "pix2pix.pt", device_type="cpu")
    x, y = SyntheticFaces(16, 16, seed=0).arrays()
    resumed = []
    train_stargan(x, y, width=4, disc_width=4, iterations=6, batch_size=4, n_critic=2, device_type="cpu",
                  checkpoint_path=tmp_path / "stargan.pt", checkpoint_every=2, verbose=False,
                  callback=lambda it, _: resumed.append(it))
    assert resumed == [4, 5]
    assert json.loads((tmp_path / "stargan.json").read_text())["state"]["iteration"] == 6

    torch.manual_seed(0)
    template = PyTorchImageTranslator(build_model("res6", 16, 4, 5), (3, 16, 16), c_dim=5, device_type="cpu")
    saved = InitiativeDefense.load(tmp_path / "defence.pt", template, verbose=False)
    assert saved.is_fitted and np.abs(saved.generate(x[:2]) - x[:2]).max() <= saved.eps + 1e-6
    more = []
    again = InitiativeDefense(template, profile="tiny", verbose=False, sm_init="fresh", iterations=8)
    again.fit(x, y, checkpoint_path=tmp_path / "defence-training.pt", callback=lambda it, _: more.append(it))
    assert more == [6, 7]


def test_train_defense_command_runs_unchanged_under_torchrun(tmp_path):
    out = tmp_path / "pg.pt"
    done = _torchrun("-m", "art_initiative.cli", "train-defense", str(out), "--profile", "tiny",
                     "--image-size", "16", "--width", "4", "--n-train", "16", "--device", "cpu", "--quiet",
                     cwd=tmp_path)
    assert done.stdout.count("saved the defence") == 1  # rank 0 reports, rank 1 stays quiet
    pre, shape = InitiativeDefense.load_preprocessor(out, device_type="cpu")
    assert shape == (3, 16, 16)
    state = json.loads((tmp_path / "pg-training.json").read_text())["state"]
    assert state["iteration"] == 6
