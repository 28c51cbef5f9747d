"""The CLIP-score filter: keep the shard samples whose image and caption agree under a trained run.

DataComp's strongest baseline keeps the pairs a CLIP model scores highest (the top 30% of its pool); LAION
kept cosine >= 0.28 under ViT-B/32. Here the score is ``clip_score = cosine(image, caption)`` from
``wit embed`` (the eval transform, float32 features), and the rule is an absolute threshold, a top fraction
of the whole shard set, or both. Steps, each resumable:

1. embed every shard into ``OUT/_embed`` (one dask task per shard; also usable by ``wit search``);
2. one global step picks the cut: the k-th best ``(score, key)`` for a top fraction (ties broken by key,
   so the kept set never depends on scheduling);
3. one task per shard rewrites it with the image stage's machinery: survivors byte for byte, removed
   samples ``filtered`` in the parquet with reason ``low_clip_score`` (``no_clip_score`` when the sample
   could not be embedded), a ``clip_score`` column, and the funnel stage ``clip_score``.
"""

from __future__ import annotations

import json
import math
import shutil
from collections import Counter
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from distributed import Client

from wit_pipeline.config import FiltersConfig, check_bounds
from wit_pipeline.embed.task import EmbedSettings, embed_shards, weights_digest
from wit_pipeline.errors import WitError
from wit_pipeline.layout import embedding_index as layout
from wit_pipeline.layout.job_dir import is_complete
from wit_pipeline.layout.shard_dir import (
    TOKENIZER_FILE,
    parquet_file,
    shard_names,
    shard_parquets,
    stats_file,
    tar_file,
    write_shard_index,
)
from wit_pipeline.runtime import run_file_job
from wit_pipeline.runtime.funnel import read_stats
from wit_pipeline.runtime.results import StageCounters
from wit_pipeline.runtime.task_runner import claim
from wit_pipeline.shards.rewrite import RewriteShardTask

STAGE = "clip_score"
JOB = "clip_filter"
LOW, UNSCORED = "low_clip_score", "no_clip_score"
EMBED_DIR = "_embed"
DATACOMP_TOP_FRACTION = 0.3


@dataclass(frozen=True)
class ClipRule:
    """Keep ``clip_score >= threshold`` (if set) and within the ``top_fraction`` best (if set).

    Neither set means DataComp's rule, the top 30%.
    """

    threshold: float | None = None
    top_fraction: float | None = None

    def resolved(self) -> ClipRule:
        """The rule with DataComp's default filled in; values outside ``[filters]``' bounds are one-line errors."""
        values = {"clip_threshold": self.threshold, "clip_top_fraction": self.top_fraction}
        check_bounds(FiltersConfig, values, "filters.", "clip rule")
        if self.threshold is None and self.top_fraction is None:
            return ClipRule(top_fraction=DATACOMP_TOP_FRACTION)
        return self


@dataclass(frozen=True)
class ClipCut:
    """The global decision: keep ``score >= threshold`` and ``(score, key)`` at least as good as ``last``."""

    threshold: float | None
    last_score: float | None = None
    last_key: str | None = None

    def keeps(self, score: float, key: str) -> bool:
        """True when the sample survives: ranked by score, then by smaller key."""
        if self.threshold is not None and score < self.threshold:
            return False
        if self.last_score is None:
            return True
        return score > self.last_score or (score == self.last_score and key <= str(self.last_key))


def plan_cut(keys: list[str], scores: np.ndarray, rule: ClipRule) -> ClipCut:
    """The cut ``rule`` means over all scored samples: the top fraction is ``ceil(f * n)`` of them."""
    if rule.top_fraction is None or not keys:
        return ClipCut(rule.threshold)
    keep = min(len(keys), math.ceil(rule.top_fraction * len(keys)))
    order = np.lexsort((np.array(keys, dtype=str), -scores.astype(np.float64)))
    last = int(order[keep - 1])
    return ClipCut(rule.threshold, float(scores[last]), keys[last])


@dataclass(frozen=True)
class ClipRewriteTask:
    """A runtime file task: shard ``name`` rewritten without the samples the cut drops, plus ``clip_score``."""

    task_id: str
    source_dir: str
    embed_dir: str
    name: str
    cut: ClipCut

    def run(self, tmp_dir: Path) -> list[StageCounters]:
        rows = pq.read_table(Path(self.embed_dir) / layout.rows_file(self.name), columns=["key", "clip_score"])
        scores = dict(zip(rows["key"].to_pylist(), rows["clip_score"].to_pylist()))
        removals = []
        for key in self._sample_keys():
            score = scores.get(key)
            if score is None:
                removals.append((key, UNSCORED))
            elif not self.cut.keeps(score, key):
                removals.append((key, LOW))
        previous = self._previous_stats()
        (counters,) = RewriteShardTask(self.task_id, self.source_dir, self.name, tuple(removals)).run(tmp_dir)
        counters.stage = STAGE
        self._add_scores(tmp_dir / parquet_file(self.name), scores)
        self._merge_stats(tmp_dir / stats_file(self.name), previous)
        return [counters]

    def _sample_keys(self) -> list[str]:
        table = pq.read_table(Path(self.source_dir) / parquet_file(self.name), columns=["key", "status"])
        return [k for k, s in zip(table["key"].to_pylist(), table["status"].to_pylist()) if s == "success"]

    def _previous_stats(self) -> dict:
        return json.loads((Path(self.source_dir) / stats_file(self.name)).read_text(encoding="utf-8"))

    @staticmethod
    def _add_scores(path: Path, scores: dict[str, float]) -> None:
        table = pq.read_table(path)
        column = pa.array([scores.get(k) for k in table["key"].to_pylist()], pa.float32())
        if "clip_score" in table.column_names:
            table = table.drop_columns(["clip_score"])
        pq.write_table(table.append_column("clip_score", column), path)

    @staticmethod
    def _merge_stats(path: Path, previous: dict) -> None:
        """Count earlier stages' removals too: ``filtered`` is every removal the parquet records."""
        stats = json.loads(path.read_text(encoding="utf-8"))
        reasons = Counter(previous.get("filter_reasons", {}))
        reasons.update(stats.get("filter_reasons", {}))
        stats["filtered"] = int(previous.get("filtered", 0)) + int(stats.get("filtered", 0))
        stats["filter_reasons"] = dict(reasons)
        path.write_text(json.dumps(stats, indent=4), encoding="utf-8")


def clip_settings(filters: FiltersConfig, threads: int = 0) -> tuple[EmbedSettings, ClipRule]:
    """The embedding settings and rule of a config's ``[filters] clip_*`` keys (checked)."""
    rule = ClipRule(filters.clip_threshold, filters.clip_top_fraction).resolved()
    settings = EmbedSettings(
        run=filters.clip_model, device=filters.clip_device, batch_size=filters.clip_batch_size, threads=threads
    )
    settings.check()
    return settings, rule


def source_shards(shard_dir: Path) -> list[str]:
    """The shards of a directory written by ``wit download`` (``NNNNN.tar`` + ``NNNNN.parquet``)."""
    names = shard_names(shard_dir)
    if not names:
        raise WitError(f"{shard_dir}: no shard tars (the CLIP-score filter reads a shard directory: NNNNN.tar)")
    missing = [n for n in names if not (shard_dir / parquet_file(n)).exists()]
    if missing:
        tar, parquet = tar_file(missing[0]), parquet_file(missing[0])
        raise WitError(f"{shard_dir}: {tar} has no {parquet} (is it a wit download output?)")
    return names


def clip_filter_shards(
    shard_dir: str | Path,
    out_dir: str | Path,
    settings: EmbedSettings,
    rule: ClipRule | None = None,
    client: Client | None = None,
    progress: bool = True,
) -> dict:
    """Write ``shard_dir``'s shards into ``out_dir`` keeping the pairs ``settings.run`` scores well."""
    src, out = Path(shard_dir), Path(out_dir)
    rule = (rule or ClipRule()).resolved()
    settings.check()
    names = source_shards(src)
    if out.resolve() == src.resolve():
        raise WitError(f"{out}: the output must be another directory than the input shards")
    settings = replace(settings, weights_digest=settings.weights_digest or weights_digest(settings.run))
    fingerprint = {"shards": str(src.resolve()), "weights_digest": settings.weights_digest, "rule": asdict(rule)}
    claim(out, JOB, fingerprint)
    if is_complete(out):
        return read_stats(out)
    embed_dir = out / EMBED_DIR
    embed_shards(settings.run, src, embed_dir, settings, client=client, progress=progress)
    index = pq.read_table(embed_dir / layout.INDEX_FILE, columns=["key", "clip_score"])
    cut = plan_cut(index["key"].to_pylist(), index["clip_score"].to_numpy(), rule)
    tasks = [ClipRewriteTask(n, str(src), str(embed_dir), n, cut) for n in names]

    def finish(o: Path) -> dict:
        if (src / TOKENIZER_FILE).exists() and not (o / TOKENIZER_FILE).exists():
            shutil.copyfile(src / TOKENIZER_FILE, o / TOKENIZER_FILE)
        return write_shard_index(o, {"clip_filter": {"model": settings.run, **asdict(rule), "cut": asdict(cut)}})

    return run_file_job(
        tasks,
        out,
        job=JOB,
        fingerprint=fingerprint,
        client=client,
        upstream=src,
        finish=finish,
        progress=progress,
    )


def score_summary(shard_dir: str | Path) -> dict:
    """Kept samples and their clip_score range in a filtered shard directory (for CLI summaries)."""
    tables = [pq.read_table(p, columns=["status", "clip_score"]) for p in shard_parquets(shard_dir)]
    table = pa.concat_tables(tables)
    kept = table.filter(pc.equal(table["status"], "success"))["clip_score"]
    return {"kept": len(kept), "min": pc.min(kept).as_py(), "max": pc.max(kept).as_py()}
