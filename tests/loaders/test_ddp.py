"""Two gloo ranks x 3 DataLoader workers over 5 uneven shards: exact epochs, equal steps, orders, resume."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from loaders import Tokenizer, make_loader
from tests.loaders.helpers import free_port, sample_from_tokens, train_tokenizer, write_shards

SIZES = [9, 2, 13, 1, 6]
WORLD = 2


def batch_words(tok: Tokenizer, batches) -> list[list[str]]:
    return [[sample_from_tokens(tok, row) for row in tokens] for _, tokens in batches]


def run_rank(rank: int, port: int, root: str, out: str) -> None:
    """One DDP rank: two epochs with a collective per step, a same-seed rerun, and a mid-epoch resume."""
    torch.set_num_threads(1)
    dist.init_process_group(
        "gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=WORLD, timeout=timedelta(seconds=90)
    )
    tok = Tokenizer.load(Path(root) / "tokenizer.json")

    def loader(**kw):
        # workers forked from the rank (the default under mp.spawn would be spawn, seconds per worker)
        return make_loader(root, 3, 8, num_workers=3, seed=11, multiprocessing_context="fork", **kw)

    result: dict[str, object] = {}
    train = loader()
    for epoch in (0, 1):
        train.set_epoch(epoch)
        batches = []
        for _, tokens in train:
            step = torch.tensor([len(tokens)])
            dist.all_reduce(step)  # a rank with fewer batches would hang here, as DDP would
            batches.append(([sample_from_tokens(tok, row) for row in tokens], int(step)))
        result[f"epoch{epoch}"] = [b for b, _ in batches]
        result[f"steps{epoch}"] = [s for _, s in batches]
    result["num_batches"] = train.num_batches
    result["repeat"] = batch_words(tok, loader())
    first = loader(epoch=1)
    iterator = iter(first)
    head = [next(iterator) for _ in range(2)]
    state = json.loads(json.dumps(first.state_dict()))
    del iterator
    resumed = loader()
    resumed.load_state_dict(state)
    result["resumed"] = batch_words(tok, head) + batch_words(tok, resumed)
    Path(out, f"rank{rank}.json").write_text(json.dumps(result))
    dist.barrier()
    dist.destroy_process_group()


def test_two_ranks_three_workers_exact_epochs_and_resume(tmp_path: Path) -> None:
    root = tmp_path / "shards"
    words = write_shards(root, SIZES)
    train_tokenizer(SIZES).save(root / "tokenizer.json")
    mp.spawn(run_rank, args=(free_port(), str(root), str(tmp_path)), nprocs=WORLD, join=True)
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(WORLD)]
    for epoch in ("epoch0", "epoch1"):
        seen = [w for r in ranks for batch in r[epoch] for w in batch]
        assert sorted(seen) == sorted(words), f"{epoch}: every sample exactly once across ranks"
        assert len({len(r[epoch]) for r in ranks}) == 1
    assert ranks[0]["steps0"] == ranks[1]["steps0"] and sum(ranks[0]["steps0"]) == sum(SIZES)
    assert all(len(r["epoch0"]) == r["num_batches"] == 6 for r in ranks)
    for r in ranks:
        assert r["epoch0"] != r["epoch1"], "a new order each epoch"
        assert r["repeat"] == r["epoch0"], "the same order for the same seed"
        assert r["resumed"] == r["epoch1"], "resume yields exactly the remaining batches"
    assert ranks[0]["epoch0"] != ranks[1]["epoch0"]
