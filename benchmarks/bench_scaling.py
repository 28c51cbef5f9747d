"""Benchmark: every non-training stage on 1 and 2 dask workers, and where the time goes.

Per stage (import, crawl of WARC HTML and of WAT, filter, download from a local image server,
image dedup) the same inputs run on a LocalCluster of 1 and of 2 worker processes (one thread
each), alternating the two in every round; figures are medians over the rounds. Besides wall
time, the CPU seconds of the whole cluster are summed (every worker process, plus this process,
which holds the client and the scheduler), so ``units per CPU second`` is a per-core rate that
other load on a shared machine does not distort. Both clusters stay up for the whole run and
each gets one untimed warm-up pass (imports, language model), so the figures are steady-state
rates; cluster start-up is not included. The filter still builds its query automaton once per
worker per job (the list's path is part of the cache key), as every real job does.

Where the time goes: the scheduler's cost per task (thousands of empty tasks), the runtime's
cost per task (a one-row partition through ``run_job``: temporary directory, parquet, counters,
marker, rename, move into place), and the filter's two global steps on their own: the dedup shuffle
(``write_losers``) and the per-query count reduction behind balancing (``write_counts``).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pyarrow.parquet as pq

from benchmarks.report import print_section
from wit_pipeline.config import FiltersConfig

TITLE = "Scaling (issue 11)"
WORKERS = (1, 2)
# Default filter settings with the nb language backend, as in the Filters section's figures.
FILTERS = FiltersConfig(lang_backend="nb")


def make_inputs(root: Path, args: argparse.Namespace, port: int) -> dict:
    """Every stage's input, generated once: CSV lists, WARC and WAT files, a manifest, a URL manifest."""
    from benchmarks.bench_crawl_warc import write_inputs as write_warc_pair
    from benchmarks.bench_download import write_manifest as write_url_manifest
    from benchmarks.bench_filters import write_mixed_manifest
    from benchmarks.bench_import import make_csv

    csvs = []
    for i in range(args.files):
        csvs.append(root / "lists" / f"list-{i}.csv")
        csvs[-1].parent.mkdir(parents=True, exist_ok=True)
        make_csv(csvs[-1], args.import_rows // args.files, seed=i)
    warcs, wats = [], []
    for i in range(args.files):
        directory = root / "cc" / str(i)
        directory.mkdir(parents=True)
        warc, wat, _ = write_warc_pair(directory, args.warc_pages // args.files, args.wat_captures // args.files, i)
        warcs.append(str(warc))
        wats.append(str(wat))
    write_mixed_manifest(root / "manifest", args.filter_rows, rows_per_part=args.filter_rows // args.filter_parts)
    urls = write_url_manifest(root / "urls", port, args.images)
    tiny = root / "tiny" / "part-00000.parquet"
    tiny.parent.mkdir()
    pq.write_table(pq.read_table(next((root / "manifest").glob("part-*.parquet"))).slice(0, 1), tiny)
    return {"csv": [str(c) for c in csvs], "warc": warcs, "wat": wats, "manifest": root / "manifest",
            "urls": urls, "tiny": str(tiny)}  # fmt: skip


def cluster_cpu(client) -> float:
    """CPU seconds used so far by every worker process and by this process (client and scheduler)."""
    return sum(client.run(time.process_time).values()) + time.process_time()


class Stages:
    """Each stage as ``run(client, work_dir) -> units processed``, on the shared inputs."""

    def __init__(self, inputs: dict, args: argparse.Namespace, prepared: dict) -> None:
        self.inputs, self.args, self.prepared = inputs, args, prepared

    def import_lists(self, client, work: Path) -> int:
        from crawlers.url_list_import import ImportOptions, import_lists

        stats = import_lists(self.inputs["csv"], work / "import", ImportOptions(), client, progress=False)
        return stats["funnel"][0]["rows_in"]

    def crawl_warc(self, client, work: Path) -> int:
        from crawlers.warc_crawl import crawl_warc

        stats = crawl_warc(self.inputs["warc"], work / "warc", client=client, progress=False)
        return stats["funnel"][0]["extra"]["html_pages"]

    def crawl_wat(self, client, work: Path) -> int:
        from crawlers.warc_crawl import crawl_warc

        stats = crawl_warc(self.inputs["wat"], work / "wat", client=client, progress=False)
        return stats["funnel"][0]["extra"]["records"]

    def filter(self, client, work: Path) -> int:
        from filters.pipeline import filter_manifest

        stats = filter_manifest(self.inputs["manifest"], work / "filtered", FILTERS, 0, client, False)
        return stats["funnel"][0]["rows_in"]

    def download(self, client, work: Path) -> int:
        from wit_pipeline.download.options import DownloadOptions
        from wit_pipeline.download.raw_shards import download_manifest

        options = DownloadOptions(
            samples_per_shard=self.args.images // self.args.shards,
            image_size=256,
            resize_mode="center_crop",
            encode_format="jpg",
            thread_count=self.args.threads,
            disallowed_header_directives=(),
            allow_networks=("127.0.0.1/32",),
        )
        stats = download_manifest(self.inputs["urls"], work / "raw", options, client=client, progress=False)
        assert stats["samples"] == self.args.images, stats
        return self.args.images

    def image_dedup(self, client, work: Path) -> int:
        from wit_pipeline.shards.dedup_plan import ImageRules
        from wit_pipeline.shards.image_filter import filter_shards

        filter_shards(work / "raw", work / "shards", ImageRules(), client=client, progress=False)
        return self.args.images

    def dedup_shuffle(self, client, work: Path) -> int:
        from filters.dedup import write_losers

        write_losers(self.prepared["clean"], work / "losers", "url", None, client)
        return self.prepared["clean_rows"]

    def query_counts(self, client, work: Path) -> int:
        from filters.balance import write_counts

        write_counts(self.prepared["match"], self.prepared["queries"], work / "counts", client)
        return self.prepared["match_rows"]

    def empty_tasks(self, client, work: Path) -> int:
        futures = client.map(int, range(self.args.empty_tasks), pure=False)
        client.gather(futures)
        return self.args.empty_tasks

    def runtime_tasks(self, client, work: Path) -> int:
        from wit_pipeline.runtime import run_job
        from wit_pipeline.runtime.stage import partition_tasks

        tasks = partition_tasks([self.inputs["tiny"]] * self.args.runtime_tasks, [])
        run_job(tasks, work / "trivial", job="trivial", client=client, progress=False)
        return self.args.runtime_tasks


# (name in the report, method, unit)
STAGES = [
    ("import (CSV lists)", "import_lists", "rows"),
    ("crawl warc (HTML pages)", "crawl_warc", "pages"),
    ("crawl warc (WAT records)", "crawl_wat", "records"),
    ("filter (all steps)", "filter", "rows"),
    ("download (local server)", "download", "images"),
    ("image dedup (hash + plan + rewrite)", "image_dedup", "images"),
]
OVERHEADS = [
    ("dedup shuffle (write_losers)", "dedup_shuffle", "rows"),
    ("query counts for balancing (write_counts)", "query_counts", "rows"),
    ("empty dask tasks", "empty_tasks", "tasks"),
    ("run_job tasks of one row", "runtime_tasks", "tasks"),
]


def prepare_global_inputs(inputs: dict, root: Path) -> dict:
    """Run the filter once keeping its intermediate steps: the dedup and counts steps' real inputs."""
    from filters.pipeline import filter_manifest
    from filters.queries import load_queries
    from wit_pipeline.runtime import open_client

    out = root / "prepared"
    with open_client(workers=2, quiet=True) as client:
        filter_manifest(inputs["manifest"], out, replace(FILTERS, keep_intermediate=True), 0, client, False)
    clean = sorted(str(p) for p in (out / "_stages" / "clean").glob("part-*.parquet"))
    match = sorted(str(p) for p in (out / "_stages" / "match").glob("part-*.parquet"))
    rows = lambda paths: sum(pq.ParquetFile(p).metadata.num_rows for p in paths)  # noqa: E731
    return {
        "clean": clean,
        "match": match,
        "clean_rows": rows(clean),
        "match_rows": rows(match),
        "queries": len(load_queries(out / "_stages" / "queries.json")),
        "shuffle_bytes_per_row": shuffle_bytes_per_row(clean[0]),
    }


def shuffle_bytes_per_row(part: str) -> float:
    """In-memory size per row of the frame each partition sends through the dedup shuffle."""
    from filters.dedup import part_keys

    frame = part_keys(part, 0, "url", None)
    return frame.memory_usage(deep=True, index=True).sum() / max(len(frame), 1)


def run_round(stages: Stages, client, workers: int, work: Path, results: dict | None) -> None:
    """Every stage once on ``client``; ``results=None`` is the untimed warm-up pass."""
    for name, method, _ in STAGES + OVERHEADS:
        cpu0, t0 = cluster_cpu(client), time.perf_counter()
        units = getattr(stages, method)(client, work)
        seconds, cpu = time.perf_counter() - t0, cluster_cpu(client) - cpu0
        if results is not None:
            results.setdefault((name, workers), []).append((units, seconds, cpu))
        print(f"{workers} worker(s) {name}: {units / seconds:,.0f} {units} in {seconds:.2f} s, {cpu:.1f} CPU s",
              "(warm-up)" if results is None else "", flush=True)  # fmt: skip
    shutil.rmtree(work, ignore_errors=True)


def run_rounds(stages: Stages, root: Path, rounds: int) -> dict:
    """Both clusters stay up; each gets one warm-up pass, then the timed rounds alternate between them."""
    from wit_pipeline.runtime import open_client

    results: dict = {}
    with open_client(workers=1, quiet=True) as one, open_client(workers=2, quiet=True) as two:
        clients = {1: one, 2: two}
        for workers, client in clients.items():
            run_round(stages, client, workers, root / f"warm-{workers}", None)
        for r in range(rounds):
            for workers in WORKERS if r % 2 == 0 else WORKERS[::-1]:
                run_round(stages, clients[workers], workers, root / f"run-{r}-{workers}", results)
    return results


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--files", type=int, default=4, help="input files for import and crawl (tasks)")
    parser.add_argument("--import-rows", type=int, default=400_000)
    parser.add_argument("--warc-pages", type=int, default=400)
    parser.add_argument("--wat-captures", type=int, default=2000)
    parser.add_argument("--filter-rows", type=int, default=200_000)
    parser.add_argument("--filter-parts", type=int, default=8)
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--shards", type=int, default=8)
    parser.add_argument("--threads", type=int, default=16, help="download threads per worker")
    parser.add_argument("--empty-tasks", type=int, default=2000)
    parser.add_argument("--runtime-tasks", type=int, default=200)
    args = parser.parse_args(argv)

    from benchmarks.bench_download import serve

    ctx = multiprocessing.get_context("spawn")
    ports = ctx.Queue()
    server = ctx.Process(target=serve, args=(ports, (512, 384)), daemon=True)
    server.start()
    load_start = os.getloadavg()[0]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            inputs = make_inputs(root, args, ports.get(timeout=60))
            prepared = prepare_global_inputs(inputs, root)
            results = run_rounds(Stages(inputs, args, prepared), root, args.rounds)
    finally:
        server.terminate()
    text = report(results, args, prepared, load_start, os.getloadavg()[0])
    print_section(TITLE, text)
    return {f"{k[0]} x{k[1]}": v for k, v in results.items()}


def _median(runs: list[tuple[int, float, float]], f: Callable[[tuple[int, float, float]], float]) -> float:
    return statistics.median(f(r) for r in runs)


def report(results: dict, args: argparse.Namespace, prepared: dict, load_start: float, load_end: float) -> str:
    lines = [
        "`python -m benchmarks.bench_scaling` — every stage on a LocalCluster of 1 and of 2 worker processes "
        f"(1 thread each), the same inputs, {args.rounds} rounds alternating the two after one untimed warm-up pass "
        "on each (worker imports and language model loaded; the filter builds its query automaton once per worker "
        "per job, as a real job does); medians. "
        "CPU s = CPU seconds of the whole cluster (all worker processes + the client process, "
        "which also runs the scheduler), so **per CPU s** is a per-core rate that other jobs on this shared "
        f"2-core machine do not distort (load average {load_start:.1f} at the start, {load_end:.1f} at the end: "
        "other sessions' tests ran alongside, so the 2-worker wall-clock speed-up understates what 2 free cores "
        "give).",
        "",
        f"Inputs: {args.files} CSV lists of {args.import_rows // args.files:,} LAION-like rows; {args.files} WARC "
        f"files of {args.warc_pages // args.files} ~37 KB pages (25 images each) and {args.files} WAT files of "
        f"{args.wat_captures // args.files:,} captures (3 records each) as in the Crawl section; a {args.filter_rows:,}"
        f"-row crawl-like manifest in {args.filter_parts} parts (default `wit filter` settings, nb language "
        f"backend); {args.images:,} "
        f"images (512x384 JPEG, local server in its own process) in {args.shards} shards, {args.threads} threads "
        "per worker, 256 px center crop; image dedup on the downloaded shards.",
        "",
        "| stage | unit | 1 worker: units/s | 2 workers: units/s | speed-up | units per CPU s (1 / 2 workers) |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for name, _, unit in STAGES + OVERHEADS[:2]:
        one, two = results[(name, 1)], results[(name, 2)]
        r1, r2 = _median(one, lambda x: x[0] / x[1]), _median(two, lambda x: x[0] / x[1])
        c1, c2 = _median(one, lambda x: x[0] / x[2]), _median(two, lambda x: x[0] / x[2])
        lines.append(f"| {name} | {unit} | {r1:,.0f} | {r2:,.0f} | {r2 / r1:.2f}x | {c1:,.0f} / {c2:,.0f} |")
    lines += ["", "**Where the time goes.**", ""]
    lines += ["| cost | 1 worker | 2 workers |", "| --- | ---: | ---: |"]
    for name, _, _unit in OVERHEADS[2:]:
        per = [_median(results[(name, w)], lambda x: x[1] / x[0]) * 1e3 for w in WORKERS]
        cpu = [_median(results[(name, w)], lambda x: x[2] / x[0]) * 1e3 for w in WORKERS]
        lines.append(f"| {name}: wall ms per task | {per[0]:.2f} | {per[1]:.2f} |")
        lines.append(f"| {name}: cluster CPU ms per task | {cpu[0]:.2f} | {cpu[1]:.2f} |")
    shares = []
    for w in WORKERS:
        total = _median(results[("filter (all steps)", w)], lambda x: x[1])
        dedup = _median(results[("dedup shuffle (write_losers)", w)], lambda x: x[1])
        counts = _median(results[("query counts for balancing (write_counts)", w)], lambda x: x[1])
        shares.append((total, dedup, counts))
    lines.append(
        "| filter: whole command, s | " + " | ".join(f"{t:.1f}" for t, _, _ in shares) + " |",
    )
    lines.append(
        "| of which dedup shuffle, s (share) | " + " | ".join(f"{d:.1f} ({d / t:.0%})" for t, d, _ in shares) + " |"
    )
    lines.append(
        "| of which query-count reduction, s (share) | "
        + " | ".join(f"{c:.1f} ({c / t:.0%})" for t, _, c in shares)
        + " |"
    )
    lines += [
        "",
        f"The dedup shuffle moves {prepared['shuffle_bytes_per_row']:.0f} bytes per row in memory (two 64-bit key "
        "hashes, the uid, a content hash, partition and row numbers; measured on a real partition), i.e. "
        f"{prepared['shuffle_bytes_per_row'] * 1e6 / 2**20:,.0f} MiB per million rows, once to group keys and once "
        f"more (the losers only) to regroup them by input partition. The query counts are a reduction of one "
        f"{prepared['queries']:,}-entry int64 vector per partition ({prepared['queries'] * 8 / 2**20:.1f} MiB each): "
        "no shuffle. Input rows: "
        f"{prepared['clean_rows']:,} after the caption and language steps, {prepared['match_rows']:,} after dedup.",
        "",
        "The per-core rates (units per CPU s) are what `SCALING.md` builds its 400M-pair plan on.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
