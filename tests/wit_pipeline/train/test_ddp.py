"""Two-process gloo DDP gives the loss and gradients of one process on the same global batch."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch.nn.parallel import DistributedDataParallel

from tests.wit_pipeline.train.helpers import free_port, micro_config, synthetic_batch
from wit_pipeline.model import CLIP
from wit_pipeline.train.loss import ClipLoss
from wit_pipeline.train.optim import make_optimizer
from wit_pipeline.train.precision import Precision
from wit_pipeline.train.step import TrainStep

WORLD = 2
GLOBAL_BATCH = 8
# (name, local_loss, micro-batches per step, rows on each rank)
VARIANTS = [
    ("gathered", False, 1, (4, 4)),
    ("local_loss", True, 1, (4, 4)),
    ("accumulated", False, 2, (4, 4)),
    ("uneven", False, 1, (5, 3)),
    ("uneven_local_loss", True, 1, (6, 2)),
]


def run_step(model: CLIP, loss_fn: ClipLoss, batches: list, forward_model: torch.nn.Module | None = None) -> dict:
    """One TrainStep with the update disabled, so the (all-reduced) gradients can be read back."""
    optimizer = make_optimizer(model, lr=1e-3)
    optimizer.step = lambda: None
    optimizer.zero_grad = lambda set_to_none=True: None
    step = TrainStep(model, loss_fn, optimizer, Precision("fp32", torch.device("cpu")), 0.0, forward_model)
    loss = step(batches)
    return {"loss": loss, "grads": {n: p.grad.clone() for n, p in model.named_parameters()}}


def split(images: torch.Tensor, tokens: torch.Tensor, parts: int) -> list:
    size = images.shape[0] // parts
    return [(images[i * size : (i + 1) * size], tokens[i * size : (i + 1) * size]) for i in range(parts)]


def worker(rank: int, port: int, out: str) -> None:
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=WORLD)
    images, tokens = synthetic_batch(GLOBAL_BATCH)
    results = {}
    for name, local_loss, accum, rows in VARIANTS:
        start = sum(rows[:rank])
        mine = images[start : start + rows[rank]], tokens[start : start + rows[rank]]
        torch.manual_seed(0)
        model = CLIP(micro_config())
        ddp = DistributedDataParallel(model)
        loss = run_step(model, ClipLoss(local_loss, rank, WORLD), split(*mine, accum), ddp)
        dist.all_reduce(loss["loss"])
        loss["loss"] /= WORLD
        results[name] = loss
    torch.save(results, Path(out) / f"rank{rank}.pt")
    dist.destroy_process_group()


@pytest.fixture(scope="module")
def ddp_results(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    out = tmp_path_factory.mktemp("ddp")
    mp.spawn(worker, args=(free_port(), str(out)), nprocs=WORLD, join=True)
    return [torch.load(out / f"rank{r}.pt", weights_only=True) for r in range(WORLD)]


@pytest.mark.parametrize(("name", "local_loss", "accum", "rows"), VARIANTS)
def test_two_process_ddp_matches_one_process(
    ddp_results: list[dict], name: str, local_loss: bool, accum: int, rows: tuple[int, int]
) -> None:
    torch.manual_seed(0)
    model = CLIP(micro_config())
    reference = run_step(model, ClipLoss(), [synthetic_batch(GLOBAL_BATCH)])
    for rank in range(WORLD):
        got = ddp_results[rank][name]
        torch.testing.assert_close(got["loss"], reference["loss"], rtol=1e-5, atol=1e-6)
        for param, grad in reference["grads"].items():
            torch.testing.assert_close(got["grads"][param], grad, rtol=1e-4, atol=1e-5, msg=f"rank {rank} {param}")
