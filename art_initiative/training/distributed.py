"""Data-parallel training over several processes (``torchrun --nproc_per_node=N``), and mixed precision.

Every training loop of the package (:func:`~art_initiative.training.train_stargan`,
:func:`~art_initiative.training.train_pix2pix`, the attribute classifier, ``InitiativeDefense.fit`` and
``InitiativeDefenseReenactment.fit``) runs unchanged under ``torchrun``: :func:`init_from_env` joins the process
group that torchrun describes in the environment (gloo on the CPU, NCCL on CUDA, one GPU per process), and then

- every rank draws the same global batch from ``(seed, iteration)`` and trains on its own slice of it
  (:func:`shard`); ``batch_size`` stays the global batch, so a run means the same at every world size;
- each optimizer step averages the gradients over the ranks first (:func:`optimizer_step`), so SM, D_A, D_B and
  PG stay the same on every rank; buffers (BatchNorm statistics) follow rank 0 after every iteration;
- only rank 0 writes checkpoints and shows progress bars; a checkpoint resumes at any world size.

This is the synchronous data parallelism of PyTorch's ``DistributedDataParallel``, with the gradient all-reduce
written out instead of the DDP wrapper: the steps of Algorithm 1 take double-backward gradient penalties (eq. 5),
freeze SM and the critics inside PG's step, call SM several times per loss and differentiate through TM's
unrolled training with ``torch.func``, none of which the wrapper's autograd hooks support (StyleGAN2-ADA makes
the same choice for the same reasons). One process without torchrun is world size 1 and runs exactly as before.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime
import logging
import os
from collections.abc import Callable, Iterable, Iterator

import numpy as np
import torch
import torch.distributed as dist

logger = logging.getLogger(__name__)

PRECISIONS = ("fp32", "bf16")

# Randomness that should differ between ranks (the gradient penalty's interpolation weights...) adds this to its
# stream per rank; rank 0 keeps the single-process stream, so world size 1 repeats the results of before.
RANK_STREAM_STRIDE = 1000


def is_distributed() -> bool:
    """True inside an initialised process group of more than one process."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def world_size() -> int:
    """The number of training processes (1 without a process group)."""
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def rank() -> int:
    """This process's rank (0 without a process group)."""
    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


def is_main() -> bool:
    """True on rank 0, the process that writes checkpoints and shows progress."""
    return rank() == 0


def local_rank() -> int:
    """The rank on this machine (torchrun's ``LOCAL_RANK``; 0 without it): the GPU this process uses."""
    return int(os.environ.get("LOCAL_RANK", "0"))


def init_from_env(device_type: str = "gpu", timeout_s: float = 1800.0) -> bool:
    """Join the process group that ``torchrun`` describes in the environment, once; a no-op without one.

    The backend is NCCL when ``device_type`` is ``"gpu"`` and CUDA is available (this process then uses GPU
    ``LOCAL_RANK``), gloo otherwise. Call it before building models or estimators on a GPU, so that they land on
    this process's GPU; the training functions and the command line call it themselves.

    :param device_type: ``"gpu"`` or ``"cpu"``, as in ART.
    :param timeout_s: how long a collective waits for the other ranks before failing.
    :return: True when this process is part of a group of more than one process.
    """
    if dist.is_initialized():
        return is_distributed()
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return False
    if not dist.is_available():
        raise RuntimeError("WORLD_SIZE > 1 asks for distributed training, but this PyTorch has no torch.distributed.")
    cuda = device_type == "gpu" and torch.cuda.is_available()
    if cuda:
        torch.cuda.set_device(local_rank())
    dist.init_process_group("nccl" if cuda else "gloo", timeout=datetime.timedelta(seconds=timeout_s))
    # A process that leaves with its group still up can abort at interpreter exit ("terminate called without an
    # active exception": gloo's worker threads outlive the interpreter), so the group is torn down first.
    atexit.register(shutdown)
    logger.info("rank %d of %d joined the %s process group", rank(), world_size(), dist.get_backend())
    return True


def shutdown(wait_s: float = 30.0) -> None:
    """Leave the process group (a no-op without one). :func:`init_from_env` registers it to run at exit, so a
    torchrun process never leaves with its group up; call it earlier to leave sooner.

    With gloo the ranks first wait for each other (at most ``wait_s`` seconds): a rank that tore its group down
    while another still exchanged messages with it made that one abort at exit ("terminate called without an
    active exception": twice in six runs of the two-process test of ``benchmarks/scale.py --quick`` here).
    """
    if not (dist.is_available() and dist.is_initialized()):
        return
    if dist.get_backend() == "gloo" and dist.get_world_size() > 1:
        try:
            dist.monitored_barrier(timeout=datetime.timedelta(seconds=wait_s))
        except RuntimeError as err:  # a rank that died or left: leave anyway
            logger.warning("leaving the process group without the other ranks: %s", err)
    dist.destroy_process_group()


def training_device(device_type: str) -> torch.device:
    """Where this process trains: CUDA (this rank's GPU under torchrun) for ``"gpu"`` when available, else the
    CPU. Joins torchrun's process group first (:func:`init_from_env`)."""
    if device_type not in ("gpu", "cpu"):
        raise ValueError(f"device_type must be 'gpu' or 'cpu', got {device_type!r}.")
    init_from_env(device_type)
    if device_type == "gpu" and torch.cuda.is_available():
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def check_device(device: torch.device, name: str = "the estimator") -> None:
    """Under NCCL every rank needs its own GPU: raise when ``device`` is a GPU other than this rank's."""
    if is_distributed() and device.type == "cuda" and device.index is not None and device.index != local_rank():
        raise ValueError(f"{name} is on {device}, but rank {rank()} trains on cuda:{local_rank()}: call "
                         "art_initiative.training.distributed.init_from_env() before building models on a GPU.")


def check_batch_split(batch_size: int, n: int | None = None, name: str = "batch_size") -> None:
    """The global batch must split evenly over the ranks.

    :param batch_size: the global batch (all ranks together).
    :param n: the number of training items (a batch is at most this many).
    """
    size = batch_size if n is None else min(batch_size, n)
    if size % world_size():
        raise ValueError(f"{name} {size} cannot be split evenly over {world_size()} processes: use a multiple of "
                         f"{world_size()} (it is the global batch of all ranks together).")


def shard(indices: np.ndarray) -> np.ndarray:
    """This rank's share of a global batch: every ``world_size``-th index from its rank (the whole batch when
    there is one process)."""
    n = world_size()
    if n == 1:
        return indices
    if len(indices) % n:
        raise ValueError(f"a batch of {len(indices)} cannot be split evenly over {n} processes.")
    return indices[rank()::n]


def rank_stream(stream: int) -> int:
    """A random stream of its own for this rank (``stream`` itself on rank 0)."""
    return stream + RANK_STREAM_STRIDE * rank()


def _bucketed(tensors: list[torch.Tensor], collective: Callable[[torch.Tensor], None]) -> None:
    """Run ``collective`` in place on ``tensors``, once per dtype on one flat copy of them (bucketed, as DDP
    does), and copy the result back."""
    by_dtype: dict[torch.dtype, list[torch.Tensor]] = {}
    for t in tensors:
        by_dtype.setdefault(t.dtype, []).append(t)
    for group in by_dtype.values():
        flat = torch.cat([t.detach().reshape(-1) for t in group])
        collective(flat)
        offset = 0
        with torch.no_grad():
            for t in group:
                t.copy_(flat[offset:offset + t.numel()].view_as(t))
                offset += t.numel()


def _all_reduce_mean(flat: torch.Tensor) -> None:
    dist.all_reduce(flat, op=dist.ReduceOp.SUM)
    flat /= world_size()


def average_gradients(parameters: Iterable[torch.nn.Parameter]) -> None:
    """Replace each gradient by its mean over the ranks (a no-op with one process).

    Every rank must call this with the same parameters having gradients, as every rank runs the same step.
    """
    if not is_distributed():
        return
    _bucketed([p.grad for p in parameters if p.grad is not None], _all_reduce_mean)


def optimizer_step(optimizer: torch.optim.Optimizer, loss: torch.Tensor) -> None:
    """``zero_grad``, ``backward``, average the gradients over the ranks, ``step``: one synchronous
    data-parallel update of the optimizer's parameters (a plain update with one process)."""
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    average_gradients(p for group in optimizer.param_groups for p in group["params"])
    optimizer.step()


def broadcast_modules(modules: Iterable[torch.nn.Module], buffers_only: bool = False) -> None:
    """Copy rank 0's parameters and buffers (or its buffers only) to every rank (a no-op with one process)."""
    if not is_distributed():
        return
    tensors = [t for module in modules
               for t in (module.buffers() if buffers_only else [*module.parameters(), *module.buffers()])
               if t.is_floating_point() or t.dtype in (torch.int64, torch.int32)]
    _bucketed(tensors, lambda flat: dist.broadcast(flat, src=0))


def barrier() -> None:
    """Wait for every rank (a no-op with one process)."""
    if is_distributed():
        dist.barrier()


def check_precision(precision: str) -> str:
    """``precision`` must be one of :data:`PRECISIONS`."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}.")
    return precision


@contextlib.contextmanager
def autocast(device: torch.device, precision: str) -> Iterator[None]:
    """bf16 autocast on ``device`` for ``precision == "bf16"`` (forward passes and losses only; the fp32 path is
    the reference); nothing for ``"fp32"``. The gradient penalty and TM's unrolled training switch it off
    inside: their second-order gradients stay in fp32."""
    check_precision(precision)
    if precision == "fp32":
        yield
        return
    with torch.autocast(device_type=device.type, dtype=torch.bfloat16):
        yield


def no_autocast(device: torch.device) -> contextlib.AbstractContextManager[None]:
    """Switch autocast off for a block (fp32 inside an :func:`autocast` region)."""
    return torch.autocast(device_type=device.type, enabled=False)


def to_memory_format(modules: Iterable[torch.nn.Module], channels_last: bool) -> None:
    """Put the modules' 4-D weights in channels-last layout when asked (faster convolutions on recent GPUs)."""
    if channels_last:
        for m in modules:
            m.to(memory_format=torch.channels_last)


def to_layout(x: torch.Tensor, channels_last: bool) -> torch.Tensor:
    """A 4-D batch in channels-last layout when asked (the values are unchanged)."""
    return x.contiguous(memory_format=torch.channels_last) if channels_last and x.dim() == 4 else x


def mean_losses(losses: dict[str, float]) -> dict[str, float]:
    """The losses averaged over the ranks (those of the global batch); unchanged with one process."""
    if not is_distributed() or not losses:
        return losses
    keys = sorted(losses)
    values = torch.tensor([float(losses[k]) for k in keys], dtype=torch.float64)
    if dist.get_backend() == "nccl":
        values = values.cuda()
    dist.all_reduce(values, op=dist.ReduceOp.SUM)
    mean = dict(zip(keys, (values / world_size()).tolist(), strict=True))
    return {k: mean[k] for k in losses}
