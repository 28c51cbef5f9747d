"""Process-group setup from ``torchrun``'s environment, and feature gathering with gradients.

One process is a world of size 1 and never touches ``torch.distributed``. Under ``torchrun``
(``RANK``/``WORLD_SIZE``/``LOCAL_RANK`` set) each process joins a group: NCCL when it trains
on CUDA, gloo on CPU.
"""

from __future__ import annotations

import gc
import os
import time
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist

from wit_pipeline.model.device import resolve_device

_GIL_YIELD_S = 0.2  # see shutdown_distributed
_CPU_GROUPS: dict[str, Any] = {}  # a gloo group for small CPU-side exchanges when the main backend is NCCL


@dataclass(frozen=True)
class DistEnv:
    """Where this process sits in the job, and the device it trains on."""

    rank: int = 0
    local_rank: int = 0
    world_size: int = 1
    device: torch.device = torch.device("cpu")

    @property
    def is_main(self) -> bool:
        """True on the process that writes checkpoints, metrics and the progress bar."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        """True when collectives are needed (more than one process)."""
        return self.world_size > 1


def init_distributed(device_name: str = "auto") -> DistEnv:
    """Join the ``torchrun`` process group if there is one; return this process's ``DistEnv``."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    device = resolve_device(device_name, local_rank)
    if world_size > 1 and not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        dist.init_process_group(backend=backend, rank=rank, world_size=world_size, device_id=_device_id(device))
        if backend != "gloo":
            _CPU_GROUPS["gloo"] = dist.new_group(backend="gloo")
    return DistEnv(rank=rank, local_rank=local_rank, world_size=world_size, device=device)


def _device_id(device: torch.device) -> torch.device | None:
    return device if device.type == "cuda" else None


def shutdown_distributed() -> None:
    """Leave the process group (no-op in a single process).

    gloo's worker threads may still be releasing the tensors of the last collective, which takes
    the GIL, while a group's destructor holds the GIL and joins those threads: an intermittent hang
    at exit (pytorch/pytorch#75097, seen here about once in five CPU torchrun runs under load).
    Dropping our references and yielding the GIL first lets the workers finish before any group goes.
    """
    if not dist.is_initialized():
        _CPU_GROUPS.clear()
        return
    gc.collect()
    time.sleep(_GIL_YIELD_S)
    _CPU_GROUPS.clear()
    dist.destroy_process_group()


class _GatherWithGrad(torch.autograd.Function):
    """All-gather of row blocks of any sizes; backward sums every rank's gradient for this rank's rows.

    Blocks are padded to the largest for the collective and trimmed after. The backward uses
    ``all_reduce`` rather than ``reduce_scatter`` so it works on gloo too.
    """

    @staticmethod
    def forward(ctx: Any, tensor: torch.Tensor, sizes: list[int]) -> torch.Tensor:
        rank = dist.get_rank()
        ctx.start, ctx.stop = sum(sizes[:rank]), sum(sizes[: rank + 1])
        padded = tensor.new_zeros((max(sizes), *tensor.shape[1:]))
        padded[: tensor.shape[0]] = tensor
        parts = [torch.empty_like(padded) for _ in sizes]
        dist.all_gather(parts, padded)
        return torch.cat([part[:size] for part, size in zip(parts, sizes)])

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        grad = grad.contiguous()
        dist.all_reduce(grad)
        return grad[ctx.start : ctx.stop], None


def gather_with_grad(tensor: torch.Tensor, sizes: list[int]) -> torch.Tensor:
    """Concatenate every rank's rows (``sizes[r]`` on rank r) in rank order, keeping the autograd graph."""
    if len(sizes) == 1:
        return tensor
    return _GatherWithGrad.apply(tensor, sizes)


def gather_sizes(rows: int) -> list[int]:
    """Every rank's row count, exchanged on CPU (a gloo group beside NCCL) so the GPU is not synchronised."""
    if not dist.is_initialized() or dist.get_world_size() == 1:
        return [rows]
    parts = [torch.zeros(1, dtype=torch.long) for _ in range(dist.get_world_size())]
    dist.all_gather(parts, torch.tensor([rows]), group=_CPU_GROUPS.get("gloo"))
    return [int(p) for p in parts]


def all_gather_objects(obj: Any) -> list[Any]:
    """Every rank's ``obj`` (picklable), in rank order; ``[obj]`` in a single process."""
    if not dist.is_initialized():
        return [obj]
    out: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(out, obj)
    return out


def broadcast_object(obj: Any) -> Any:
    """Rank 0's ``obj`` on every rank."""
    if not dist.is_initialized():
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def barrier() -> None:
    """Wait for every rank (no-op in a single process)."""
    if dist.is_initialized():
        dist.barrier()
