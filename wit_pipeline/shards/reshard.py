"""Repack shards so every tar holds exactly ``samples_per_shard`` samples (the last fewer).

Samples keep their keys and bytes and stay in global key order. Rows that are not samples
(failed or filtered attempts) follow the sample they came after, so every attempted row is
still in exactly one shard parquet.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import webdataset as wds
from distributed import Client

from loaders.tar_reader import iter_samples
from wit_pipeline import storage
from wit_pipeline.errors import WitError
from wit_pipeline.layout.shard_dir import parquet_file, shard_names, stats_file, tar_file, write_shard_index
from wit_pipeline.runtime import run_file_job
from wit_pipeline.runtime.faults import fault_point
from wit_pipeline.runtime.results import StageCounters
from wit_pipeline.staging import local_output


@dataclass(frozen=True)
class ReshardTask:
    """A runtime file task: output shard ``name`` made of ``keys`` read from ``sources``."""

    task_id: str
    source_dir: str
    name: str
    sources: tuple[str, ...]
    keys: tuple[str, ...]
    rows: tuple[tuple[str, int], ...]

    def run(self, tmp_dir: Path) -> list[StageCounters]:
        src = Path(self.source_dir)
        wanted = set(self.keys)
        found: dict[str, dict] = {}
        for shard in self.sources:
            for sample in iter_samples(src / tar_file(shard)):
                if sample["__key__"] in wanted:
                    found[str(sample["__key__"])] = sample
        missing = wanted - found.keys()
        if missing:
            raise WitError(f"{src}: {len(missing)} sample(s) listed in the parquet are missing from the tars")
        with open(tmp_dir / tar_file(self.name), "wb") as fh, wds.TarWriter(fh) as sink:
            for n, key in enumerate(self.keys):
                sink.write(found[key])
                fault_point("sample", "reshard", self.name, n)
        tables = {s: pq.read_table(src / parquet_file(s)) for s in {shard for shard, _ in self.rows}}
        table = pa.concat_tables([tables[s].slice(i, 1) for s, i in self.rows], promote_options="permissive")
        pq.write_table(table, tmp_dir / parquet_file(self.name))
        stats = {"count": table.num_rows, "successes": len(self.keys), "resharded_from": list(self.sources)}
        (tmp_dir / stats_file(self.name)).write_text(json.dumps(stats, indent=4), encoding="utf-8")
        return []


def plan_reshard(shard_dir: Path, samples_per_shard: int) -> list[ReshardTask]:
    """Output shards in key order; each lists its samples, its parquet rows and input tars."""
    inputs = shard_names(shard_dir)
    if not inputs:
        raise WitError(f"{shard_dir}: no shard tars (expected NNNNN.tar files)")
    width = len(inputs[0])
    outputs: list[dict] = [{"keys": [], "rows": [], "sources": set()}]
    for shard in inputs:
        table = pq.read_table(shard_dir / parquet_file(shard), columns=["key", "status"])
        for index, (key, status) in enumerate(zip(table["key"].to_pylist(), table["status"].to_pylist())):
            current = outputs[-1]
            if status == "success":
                if len(current["keys"]) == samples_per_shard:
                    current = {"keys": [], "rows": [], "sources": set()}
                    outputs.append(current)
                current["keys"].append(key)
                current["sources"].add(shard)
            current["rows"].append((shard, index))
    return [
        ReshardTask(
            task_id=f"{j:0{width}d}",
            source_dir=str(shard_dir),
            name=f"{j:0{width}d}",
            sources=tuple(sorted(o["sources"])),
            keys=tuple(o["keys"]),
            rows=tuple(o["rows"]),
        )
        for j, o in enumerate(outputs)
    ]


def reshard(
    shard_dir: str | Path,
    out_dir: str | Path,
    samples_per_shard: int,
    client: Client | None = None,
    progress: bool = True,
) -> dict:
    """Rewrite ``shard_dir`` into ``out_dir`` with even sample counts per tar."""
    src, out_dir = storage.local_dir(shard_dir, "resharding"), local_output(out_dir, "reshard")
    tasks = plan_reshard(src, samples_per_shard)
    fingerprint = {"shards": str(src.resolve()), "samples_per_shard": samples_per_shard, "outputs": len(tasks)}
    return run_file_job(
        tasks,
        out_dir,
        job="reshard",
        fingerprint=fingerprint,
        client=client,
        upstream=src,
        finish=lambda o: write_shard_index(o, {"resharded_from": str(src), "samples_per_shard": samples_per_shard}),
        progress=progress,
    )
