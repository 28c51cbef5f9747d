"""``embed_shards``: one dask task per shard writes that shard's embeddings; the runtime makes it resumable.

Each task loads the run once per worker process (cached), embeds its shard with ``encode.embed_shard`` and
writes ``NNNNN.img.npy`` and ``NNNNN.txt.npy`` (unit-length features, float16 by default) and
``NNNNN.rows.parquet`` (key, shard, row, uid, caption, clip_score) into its task directory. The runtime
moves finished shards into place, so a killed job rerun with the same command recomputes only unfinished shards;
``index.finish`` then writes the whole-directory index.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from distributed import Client

from wit_pipeline.config import EMBED_BATCH_SIZE, EMBED_DTYPES
from wit_pipeline.errors import WitError
from wit_pipeline.layout import embedding_index as layout
from wit_pipeline.runtime import run_file_job
from wit_pipeline.runtime.results import StageCounters

STAGE = "embed"
_MODELS: dict[tuple, tuple[Any, Any]] = {}


@dataclass(frozen=True)
class EmbedSettings:
    """How to embed: the run, the device (``auto``: CUDA when available), batch size, stored dtype.

    ``threads`` is torch's CPU thread count in each task (0: leave torch's default); ``weights_digest`` is
    filled in by ``embed_shards`` and identifies the weights the embeddings came from.
    """

    run: str = ""
    device: str = "auto"
    batch_size: int = EMBED_BATCH_SIZE
    dtype: str = EMBED_DTYPES[0]
    threads: int = 0
    weights_digest: str = ""

    def check(self) -> None:
        """One-line errors for settings that cannot work, before anything starts."""
        if not self.run:
            raise WitError("no model: give a training run, checkpoint directory or .safetensors file")
        if self.batch_size < 1:
            raise WitError(f"--batch-size must be at least 1, got {self.batch_size}")
        if self.dtype not in EMBED_DTYPES:
            raise WitError(f"--dtype must be one of {', '.join(EMBED_DTYPES)}, got {self.dtype!r}")
        if self.threads < 0:
            raise WitError(f"threads must not be negative, got {self.threads}")


def task_threads(threads: int | None, workers: int | None, scheduler: str | None) -> int:
    """Torch threads per task: as given, else the local cores split between the local workers (0 on a cluster).

    The local cluster runs one single-threaded worker process per core by default; letting torch start a
    thread per core in each of them would oversubscribe the machine.
    """
    from wit_pipeline.runtime.cluster import default_workers

    if threads is not None:
        return threads
    if scheduler:
        return 0
    cores = default_workers()
    return max(1, cores // max(1, workers or cores))


def local_workers(device: str, workers: int | None, scheduler: str | None) -> int | None:
    """Local cluster size for embedding: as given; one worker on a GPU (one model in its memory); else default."""
    if workers is not None or scheduler:
        return workers
    import torch

    on_gpu = device.startswith("cuda") or (device == "auto" and torch.cuda.is_available())
    return 1 if on_gpu else None


def weights_digest(run: str | Path) -> str:
    """A content digest of the run's weights file: embeddings are tied to weights, not to a path."""
    from wit_pipeline.model.weights import resolve_weights

    _, weights = resolve_weights(run)
    digest = hashlib.blake2b(digest_size=16)
    with open(weights, "rb") as fh:
        while block := fh.read(1 << 22):
            digest.update(block)
    return digest.hexdigest()


def cached_model(settings: EmbedSettings) -> tuple[Any, Any]:
    """``(model, tokenizer)`` of the run, loaded once per worker process (eval mode, on the device)."""
    from wit_pipeline.model.device import resolve_device
    from wit_pipeline.model.weights import load_run

    key = (str(Path(settings.run).resolve()), settings.device, settings.weights_digest)
    if key not in _MODELS:
        _MODELS.clear()
        model, tokenizer, _ = load_run(settings.run, resolve_device(settings.device))
        _MODELS[key] = (model, tokenizer)
    return _MODELS[key]


@dataclass(frozen=True)
class EmbedShardTask:
    """A runtime file task: the embeddings and rows of shard ``tar`` (named by ``task_id``)."""

    task_id: str
    tar: str
    settings: EmbedSettings

    def run(self, tmp_dir: Path) -> list[StageCounters]:
        import torch

        from wit_pipeline.embed.encode import embed_shard

        if self.settings.threads:
            torch.set_num_threads(self.settings.threads)
        model, tokenizer = cached_model(self.settings)
        result = embed_shard(model, tokenizer, self.tar, self.settings.batch_size)
        dtype = np.dtype(self.settings.dtype)
        np.save(tmp_dir / layout.image_file(self.task_id), result.images.astype(dtype))
        np.save(tmp_dir / layout.text_file(self.task_id), result.texts.astype(dtype))
        n = len(result.keys)
        rows = pa.table(
            {
                "key": pa.array(result.keys, pa.string()),
                "shard": pa.array([self.task_id] * n, pa.string()),
                "row": pa.array(range(n), pa.int64()),
                "uid": pa.array(result.uids, pa.string()),
                "caption": pa.array(result.captions, pa.string()),
                "clip_score": pa.array(result.scores, pa.float32()),
            },
            schema=layout.ROWS_SCHEMA,
        )
        pq.write_table(rows, tmp_dir / layout.rows_file(self.task_id))
        counters = StageCounters(STAGE, rows_in=result.samples, kept=n, rejected=result.skipped)
        counters.extra.update(result.unsafe_members)
        return [counters]


def shard_tars(data: str | Path) -> list[tuple[str, str]]:
    """``(name, tar path)`` of every shard a source names (a shard directory, pattern or tar list)."""
    from loaders.shard_source import resolve_source

    paths = resolve_source(data).paths
    names = [Path(p).name.split(".")[0] for p in paths]
    if len(set(names)) != len(names):
        raise WitError(f"{data}: two shards share a name; embed one shard directory at a time")
    bad = [n for n in names if not n or n.startswith("_") or "/" in n]
    if bad:
        raise WitError(f"{data}: shard name {bad[0]!r} cannot name an output file")
    return list(zip(names, paths))


def embed_shards(
    run: str | Path,
    data: str | Path,
    out_dir: str | Path,
    settings: EmbedSettings | None = None,
    client: Client | None = None,
    progress: bool = True,
) -> dict:
    """Embed every sample of the shards ``data`` with ``run`` into ``out_dir``; returns the job's stats.

    A rerun of a finished job does nothing; a rerun of a killed one embeds only the unfinished shards.
    ``out_dir`` holding embeddings of other weights, data or dtype is refused. A ``weights_digest`` already
    in ``settings`` is trusted (callers that computed it once); otherwise the weights are hashed here.
    """
    settings = replace(settings or EmbedSettings(), run=str(run))
    settings.check()
    shards = shard_tars(data)
    settings = replace(settings, weights_digest=settings.weights_digest or weights_digest(run))
    tasks = [EmbedShardTask(name, str(path), settings) for name, path in shards]
    fingerprint = {
        "weights_digest": settings.weights_digest,
        "dtype": settings.dtype,
        "shards": [[name, str(Path(path).resolve()), os.path.getsize(path)] for name, path in shards],
    }
    data_dir = Path(data) if Path(data).is_dir() else None
    info = {"model": str(run), **asdict(settings), "data": str(data_dir.resolve()) if data_dir else str(data)}
    return run_file_job(
        tasks,
        out_dir,
        job="embed",
        fingerprint=fingerprint,
        client=client,
        upstream=data_dir,
        finish=lambda out: layout.finish(out, [name for name, _ in shards], info),
        progress=progress,
    )
