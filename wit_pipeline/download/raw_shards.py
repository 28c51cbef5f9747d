"""``wit download``: a manifest → img2dataset-compatible webdataset shards, one dask task per shard.

img2dataset distributes shards with multiprocessing, pyspark or ray; this is its dask
distributor, on wit's runtime: shard files are written to a temporary directory and renamed
into place, a rerun skips finished shards and redoes partial ones, a dask worker lost
mid-shard has its shard rescheduled, and failed samples are counted in the funnel.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from distributed import Client

from wit_pipeline import storage
from wit_pipeline.download.options import DownloadOptions
from wit_pipeline.download.plan import plan_shards
from wit_pipeline.download.shard_task import DownloadShardTask
from wit_pipeline.errors import WitError
from wit_pipeline.layout.shard_dir import shard_digits, shard_name, write_shard_index
from wit_pipeline.runtime import run_file_job
from wit_pipeline.staging import local_output


def download_manifest(
    manifest_dir: str | Path,
    out_dir: str | Path,
    options: DownloadOptions | None = None,
    client: Client | None = None,
    progress: bool = True,
) -> dict:
    """Download every row of ``manifest_dir`` into shards under ``out_dir``; returns its stats.

    The manifest may be a path or an fsspec URL; ``out_dir`` is local (for a URL see ``wit_pipeline.staging``).
    """
    manifest_dir, out_dir = storage.location(manifest_dir), local_output(out_dir, "download_manifest")
    options = options or DownloadOptions()
    specs = plan_shards(manifest_dir, options.samples_per_shard)
    if not specs:
        raise WitError(f"{manifest_dir}: manifest has no rows to download")
    oom_shard_count = shard_digits(len(specs))
    tasks = [DownloadShardTask(shard_name(s.shard_id), s, options, oom_shard_count) for s in specs]
    fingerprint = {"manifest": storage.input_name(manifest_dir), "rows": sum(s.rows for s in specs), **asdict(options)}

    def finish(out: Path) -> dict:
        return write_shard_index(out, {"options": asdict(options), "manifest": str(manifest_dir)})

    return run_file_job(
        tasks,
        out_dir,
        job="download",
        fingerprint=fingerprint,
        client=client,
        upstream=manifest_dir,
        finish=finish,
        progress=progress,
    )
