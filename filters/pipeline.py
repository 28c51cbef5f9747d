"""``wit filter``: caption rules, language, dedup, WIT query matching and balancing, end to end.

Steps, each resumable on its own (intermediate outputs live under ``OUT/_stages``)::

    clean   per partition  caption normalisation + rules, language        -> _stages/clean
    dedup   global         dask shuffle: one survivor per key              -> _stages/dedup
    match   per partition  apply dedup, match queries                      -> _stages/match
    counts  global         dask reduction: rows per query                  -> _stages/counts
    final   per partition  balance, gather every step's rejects            -> OUT

Quality rules run before dedup so a key's survivor is chosen among rows that are kept anyway
(otherwise the survivor of an image could be its one caption that a later rule rejects). Each
per-partition step is a ``run_job`` whose funnel carries its upstream's, so ``OUT/_stats.json``
holds the whole funnel; ``OUT/_rejects/part-N`` holds every step's rejects of partition N.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from distributed import Client

from filters import settings
from filters.balance import COUNTS_FILE, BalanceStage, write_counts
from filters.dedup import DedupStage, write_losers
from filters.final_step import final_tasks, write_query_table
from filters.queries import build_queries, load_queries, write_queries
from filters.query_match import QueryMatchStage
from wit_pipeline import storage
from wit_pipeline.config import FiltersConfig
from wit_pipeline.layout.job_dir import is_complete
from wit_pipeline.layout.manifest_dir import FILTER_RECORD, query_counts_location, rejects_location
from wit_pipeline.manifest import list_parts
from wit_pipeline.runtime import Stage, run_job
from wit_pipeline.runtime.faults import fault_point
from wit_pipeline.runtime.funnel import read_stats
from wit_pipeline.runtime.stage import partition_tasks
from wit_pipeline.runtime.task_runner import claim
from wit_pipeline.staging import local_output

STAGES_DIR = "_stages"


def filter_manifest(
    in_dir: str | Path,
    out_dir: str | Path,
    config: FiltersConfig,
    seed: int = 0,
    client: Client | None = None,
    progress: bool = True,
) -> dict:
    """Filter the manifest ``in_dir`` into ``out_dir``; returns the final stats (the funnel).

    ``in_dir`` may be a path or an fsspec URL; ``out_dir`` is local (for a URL see ``wit_pipeline.staging``).
    """
    source, out = storage.location(in_dir), local_output(out_dir, "filter_manifest")
    parts, fingerprint = prepare(source, out, config, seed)
    work = out / STAGES_DIR
    queries_path = work / "queries.json"
    if not is_complete(out):
        digest = _queries(config, queries_path) if config.query_matching else ""
        run = _Steps(fingerprint, client, progress, upstream=source if storage.is_dir(source) else None)
        clean = settings.clean_stages(config)
        if clean:
            parts = run.phase(parts, clean, work / "clean", "filter-clean")
        middle: list[Stage] = []
        if config.dedup_key != "none":
            _say(progress, f"dedup on {config.dedup_key}: global shuffle over {len(parts)} partition(s)")
            write_losers(parts, work / "dedup", config.dedup_key, settings.near_dup(config), client)
            middle.append(DedupStage(str(work / "dedup")))
        if config.query_matching:
            middle.append(QueryMatchStage(str(queries_path), digest, config.query_case_sensitive))
        if middle:
            parts = run.phase(parts, middle, work / "match", "filter-match")
        last: list[Stage] = []
        if config.query_matching and config.query_cap > 0:
            _say(progress, f"query counts: global reduction over {len(parts)} partition(s)")
            write_counts(parts, len(load_queries(queries_path)), work / "counts", client)
            last.append(BalanceStage(str(work / "counts" / COUNTS_FILE), config.query_cap, seed))
        tasks = final_tasks(parts, last, run.reject_dirs)
        run_job(
            tasks, out, job="filter", fingerprint=fingerprint, client=client, upstream=run.upstream, progress=progress
        )
    if config.query_matching and query_counts_location(out) is None:
        counts = work / "counts" / COUNTS_FILE if config.query_cap > 0 else None
        write_query_table(out, load_queries(queries_path), counts, config.query_cap, client)
        fault_point("filter", "query_table")
    if not config.keep_intermediate:
        settings.remove_intermediate(work)
    return read_stats(out)


def prepare(in_dir: str | Path, out_dir: str | Path, config: FiltersConfig, seed: int = 0) -> tuple[list[str], dict]:
    """Check settings, input and output directory (before any cluster starts); claim the output.

    Returns the input parts and the run's fingerprint. Every problem is a one-line ``WitError``.
    """
    settings.validate(config)
    parts = [str(p) for p in list_parts(in_dir)]
    fingerprint = _fingerprint(parts, config, seed)
    claim(local_output(out_dir, "filter_manifest"), "filter", fingerprint, record_name=FILTER_RECORD)
    return parts, fingerprint


@dataclass
class _Steps:
    """Chains per-partition steps: each reads the previous one's parts and carries its funnel."""

    fingerprint: dict
    client: Client | None
    progress: bool
    upstream: Path | None
    reject_dirs: list[Path] = field(default_factory=list)

    def phase(self, parts: Sequence[str], stages: list[Stage], directory: Path, job: str) -> list[str]:
        """Run ``stages`` over ``parts`` into ``directory``; its parts keep the input's numbering."""
        tasks = partition_tasks(parts, stages)
        run_job(
            tasks,
            directory,
            job=job,
            fingerprint=self.fingerprint,
            client=self.client,
            upstream=self.upstream,
            progress=self.progress,
        )
        self.upstream = directory
        self.reject_dirs.append(Path(rejects_location(directory)))
        return [str(p) for p in list_parts(directory)]


def _queries(config: FiltersConfig, path: Path) -> str:
    """Build the canonical query list once (a rerun reuses it); returns its digest."""
    if path.exists():
        return write_queries(load_queries(path), path)
    queries = build_queries(config.queries, config.extra_queries, config.query_min_zipf, config.query_case_sensitive)
    return write_queries(queries, path)


def _fingerprint(parts: Sequence[str], config: FiltersConfig, seed: int) -> dict:
    files = [f for f in (config.queries, config.extra_queries) if f]
    settings_that_shape_output = {
        k: v for k, v in asdict(config).items() if k != "keep_intermediate" and not k.startswith("clip_")
    }  # the CLIP-score filter works on shards, after this job
    return {
        "inputs": storage.file_identities(parts),
        "filters": settings_that_shape_output,
        "seed": seed,
        "query_files": [[f, Path(f).stat().st_size if Path(f).exists() else None] for f in files],
    }


def _say(progress: bool, message: str) -> None:
    if progress:
        print(f"wit filter: {message}", file=sys.stderr)
