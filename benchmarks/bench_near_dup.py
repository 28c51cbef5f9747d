"""Benchmark: global near-duplicate captions (``--near-dup --near-dup-scope global``) on 10M rows, 2 workers.

    python benchmarks/bench_near_dup.py                 # 10,000,000 rows (make bench)
    python benchmarks/bench_near_dup.py --rows 1000000  # a shorter run

The manifest is generated in the script: 70% captions of 4-14 English words drawn by frequency from
wordfreq, 30% filled-in templates ("Buy the {item} print today - free shipping ...", 2,000 templates
with 50 items each, spread over 500 domains): the cross-domain near duplicates the step exists for.
Every URL is distinct, so exact dedup removes nothing and the difference is the near-dup step.

Side by side, the real ``wit filter`` with only dedup on (no caption rules, no language, no queries):
the baseline without near-dup, then with the global near-dup. Reported: wall time and rows/s of each,
the near-dup step's own rate (rows / extra wall time), CPU seconds over all processes, and the peak
summed RSS of the CLI, scheduler, nannies and workers. Target: <= 6 GB, >= 20k rows/s on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import psutil  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from benchmarks.bench_filters import Vocabulary, run_wit_filter  # noqa: E402
from benchmarks.report import update_section  # noqa: E402
from wit_pipeline.manifest import compute_uid  # noqa: E402

TITLE = "Global near-duplicate captions (issue 20)"
DEDUP_ONLY = ("--no-caption-rules", "--lang-backend", "none", "--lang", "all", "--no-query-matching")
NEAR = ("--near-dup", "--near-dup-scope", "global")


def write_manifest(directory: Path, rows: int, rows_per_part: int = 100_000, seed: int = 0) -> int:
    """``rows`` rows, 30% of them templated near duplicates across domains; returns the number of parts."""
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    words = Vocabulary("en", 30_000)
    templates = [
        f"{' '.join(words.captions(1, rng, 3, 6))} {{}} {' '.join(words.captions(1, rng, 5, 9))}" for _ in range(2000)
    ]
    items = words.captions(50, rng, 1, 2)
    parts = 0
    for part, start in enumerate(range(0, rows, rows_per_part)):
        n = min(rows_per_part, rows - start)
        captions = words.captions(n, rng)
        templated = np.flatnonzero(rng.random(n) < 0.3)
        picks = rng.integers(0, len(templates), size=len(templated))
        fills = rng.integers(0, len(items), size=len(templated))
        for i, t, f in zip(templated.tolist(), picks.tolist(), fills.tolist()):
            captions[i] = templates[t].format(items[f])
        domains = rng.integers(0, 500, size=n)
        urls = [f"http://shop{d}.example/{start + i}.jpg" for i, d in enumerate(domains.tolist())]
        table = pa.table(
            {
                "uid": [compute_uid(u, c) for u, c in zip(urls, captions)],
                "url": urls,
                "caption": captions,
                "page_url": [f"http://shop{d}.example/p{i % 1000}" for i, d in enumerate(domains.tolist())],
                "source": ["bench"] * n,
            }
        )
        pq.write_table(table, directory / f"part-{part:05d}.parquet")
        parts += 1
    return parts


def bench(rows: int) -> dict:
    """The baseline (dedup only) and the global near-dup run on the same manifest."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        parts = write_manifest(root / "in", rows)
        generated = time.perf_counter() - started
        load = psutil.getloadavg()[0]
        base = run_wit_filter(root / "in", root / "base", *DEDUP_ONLY)
        near = run_wit_filter(root / "in", root / "near", *DEDUP_ONLY, *NEAR)
    dedup = next(s for s in near.stats["funnel"] if s["stage"] == "dedup")
    extra = max(near.seconds - base.seconds, 1e-9)
    return {
        "rows": rows,
        "parts": parts,
        "generate_s": round(generated, 1),
        "load_at_start": load,
        "baseline_s": round(base.seconds, 1),
        "near_s": round(near.seconds, 1),
        "near_cpu_s": round(near.cpu_seconds, 1),
        "baseline_cpu_s": round(base.cpu_seconds, 1),
        "rows_per_s": rows / near.seconds,
        "step_rows_per_s": rows / extra,
        "baseline_peak_gb": base.peak_bytes / 1e9,
        "peak_gb": near.peak_bytes / 1e9,
        "rejected": dedup["rejected"],
    }


def section(r: dict) -> str:
    dropped = r["rejected"].get("near_duplicate_caption", 0)
    base_rate = r["rows"] / r["baseline_s"]
    base = f"{r['baseline_s']:.0f} s | {base_rate:,.0f} | {r['baseline_cpu_s']:.0f} | {r['baseline_peak_gb']:.2f} GB"
    near = f"{r['near_s']:.0f} s | **{r['rows_per_s']:,.0f}** | {r['near_cpu_s']:.0f} | **{r['peak_gb']:.2f} GB**"
    return f"""`python benchmarks/bench_near_dup.py --rows {r["rows"]}` ({r["parts"]} parts of 100,000 rows;
30% templated captions across 500 domains, every URL distinct). The real `wit filter` on 2 workers with only dedup on,
side by side: without near-dup, then `--near-dup --near-dup-scope global`. Load average at start:
{r["load_at_start"]:.1f} on {psutil.cpu_count()} cores (shared machine).

| run | wall | rows/s | CPU s (all processes) | peak RSS (all processes) |
| --- | --- | --- | --- | --- |
| dedup only (baseline) | {base} |
| **dedup + global near-dup** | {near} |

{dropped:,} rows dropped as `near_duplicate_caption`. The near-dup step alone (extra wall time over the
baseline): {r["step_rows_per_s"]:,.0f} rows/s. Targets: >= 20,000 rows/s on 2 cores, <= 6 GB."""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000, help="manifest rows (default 10M)")
    args = parser.parse_args(argv)
    result = bench(args.rows)
    print(json.dumps(result, indent=1), flush=True)
    update_section(TITLE, section(result))


if __name__ == "__main__":
    main()
