"""Rewrite one shard without the samples the image stage removed, keeping its layout.

The tar keeps the surviving samples byte for byte; the parquet keeps one row per attempted
sample, removed ones now with status ``filtered`` and the reason as ``error_message``; the
``_stats.json`` counts are updated. The result is still exactly img2dataset's layout.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import webdataset as wds

from loaders.tar_reader import iter_samples
from wit_pipeline.layout.shard_dir import parquet_file, reason_of, stats_file, tar_file
from wit_pipeline.runtime.faults import fault_point
from wit_pipeline.runtime.results import StageCounters

STAGE = "image_filter"
FILTERED = "filtered"


@dataclass(frozen=True)
class RewriteShardTask:
    """A runtime file task: ``NNNNN.tar/.parquet/_stats.json`` minus ``removals``."""

    task_id: str
    source_dir: str
    name: str
    removals: tuple[tuple[str, str], ...]  # (key, error message: reason or "reason: detail")

    def run(self, tmp_dir: Path) -> list[StageCounters]:
        src = Path(self.source_dir)
        removed = dict(self.removals)
        counters = StageCounters(stage=STAGE)
        with open(tmp_dir / tar_file(self.name), "wb") as fh, wds.TarWriter(fh) as sink:
            for sample in iter_samples(src / tar_file(self.name)):
                counters.rows_in += 1
                message = removed.get(str(sample["__key__"]))
                if message is not None:
                    counters.rejected[reason_of(message)] += 1
                    continue
                counters.kept += 1
                sink.write(sample)
                fault_point("sample", STAGE, self.name, counters.rows_in - 1)
        table = pq.read_table(src / parquet_file(self.name))
        keys = table["key"].to_pylist()
        status = [FILTERED if k in removed else s for k, s in zip(keys, table["status"].to_pylist())]
        errors = [removed.get(k, e) for k, e in zip(keys, table["error_message"].to_pylist())]
        table = table.set_column(table.column_names.index("status"), "status", pa.array(status, pa.string()))
        table = table.set_column(
            table.column_names.index("error_message"), "error_message", pa.array(errors, pa.string())
        )
        pq.write_table(table, tmp_dir / parquet_file(self.name))
        stats = json.loads((src / stats_file(self.name)).read_text(encoding="utf-8"))
        stats["successes"] = int(pc.sum(pc.equal(table["status"], "success")).as_py() or 0)
        stats["filtered"] = counters.rejected_total
        stats["filter_reasons"] = dict(Counter(reason_of(removed[k]) for k in keys if k in removed))
        (tmp_dir / stats_file(self.name)).write_text(json.dumps(stats, indent=4), encoding="utf-8")
        return [counters]
