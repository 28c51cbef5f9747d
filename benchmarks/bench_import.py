"""Benchmark: `wit import` of a large CSV streams in bounded memory.

Side by side in fresh subprocesses (so peak RSS is each run's own): wit's importer (serial,
the per-task code a dask worker runs) against the baseline users write today, pandas
``read_csv`` of the whole file then ``to_parquet``. Two file sizes show that wit's peak
memory stays flat while the baseline's grows with the file. Medians of several runs.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.report import print_section

WIT_RUN = """
import json, resource, sys, time
import psutil
from crawlers.url_list_import import ImportOptions, import_lists
base = psutil.Process().memory_info().rss / 2**20
t = time.perf_counter()
stats = import_lists([sys.argv[1]], sys.argv[2], ImportOptions(), client=None, progress=False)
dt = time.perf_counter() - t
print(json.dumps({"seconds": dt, "rows": stats["funnel"][0]["rows_in"],
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "base_mb": base}))
"""
PANDAS_RUN = """
import json, resource, sys, time
import psutil
import pandas as pd
import pyarrow.parquet
base = psutil.Process().memory_info().rss / 2**20
t = time.perf_counter()
df = pd.read_csv(sys.argv[1])
df.to_parquet(sys.argv[2] + ".parquet")
dt = time.perf_counter() - t
print(json.dumps({"seconds": dt, "rows": len(df),
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "base_mb": base}))
"""


def make_csv(path: Path, rows: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    words = "red blue green small large dog cat bird house tree car city river photo of a the on in".split()
    with path.open("w", encoding="utf-8") as fh:
        fh.write("URL,TEXT,WIDTH,HEIGHT,similarity\n")
        for i in range(rows):
            caption = " ".join(rng.choices(words, k=rng.randint(3, 14)))
            fh.write(
                f"https://img{i % 97}.example.org/p/{i}/{rng.getrandbits(40):x}.jpg,{caption},"
                f"{rng.randint(100, 2000)},{rng.randint(100, 2000)},{rng.random():.4f}\n"
            )


def run(code: str, src: Path, out: Path) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", code, str(src), str(out)], capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[250_000, 1_000_000, 3_000_000])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for rows in args.rows:
            src = Path(tmp) / f"list-{rows}.csv"
            make_csv(src, rows)
            runs = {"wit": [], "pandas": []}
            for r in range(args.repeats):
                runs["wit"].append(run(WIT_RUN, src, Path(tmp) / f"wit-{rows}-{r}"))
                runs["pandas"].append(run(PANDAS_RUN, src, Path(tmp) / f"pd-{rows}-{r}"))
            results[rows] = {
                name: {
                    "rows_per_s": statistics.median(x["rows"] / x["seconds"] for x in rs),
                    "peak_mb": statistics.median(x["peak_mb"] for x in rs),
                    "work_mb": statistics.median(x["peak_mb"] - x["base_mb"] for x in rs),
                }
                for name, rs in runs.items()
            }
            results[rows]["file_mb"] = src.stat().st_size / 1e6
    lines = [
        "`python -m benchmarks.bench_import` — CSV of LAION-like rows (URL, TEXT, WIDTH, HEIGHT, similarity); "
        f"median of {args.repeats} runs, each in a fresh process, 1 core (the per-task code a dask worker runs).",
        "Baseline: `pandas.read_csv` of the whole file + `to_parquet` (what users write today), no validation.",
        "",
        "| rows | file MB | wit rows/s | wit peak RSS MB (work) | pandas rows/s | pandas peak RSS MB (work) "
        "| work-memory ratio pandas/wit |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for rows, r in results.items():
        lines.append(
            f"| {rows:,} | {r['file_mb']:.0f} | {r['wit']['rows_per_s']:,.0f} | "
            f"{r['wit']['peak_mb']:.0f} ({r['wit']['work_mb']:.0f}) | {r['pandas']['rows_per_s']:,.0f} | "
            f"{r['pandas']['peak_mb']:.0f} ({r['pandas']['work_mb']:.0f}) | "
            f"{r['pandas']['work_mb'] / r['wit']['work_mb']:.2f}x |"
        )
    lines.append("")
    lines.append("Work memory = peak RSS minus RSS after imports (wit imports dask and distributed, pandas does not).")
    lines.append(
        "wit validates every row (URL parse, UTF-8, caption checks), computes uids and writes rejects, "
        "which pandas does not; its peak memory is bounded by `rows_per_part` (100k), not by the file."
    )
    text = "\n".join(lines)
    print_section("Import (issue 2)", text)
    return results


if __name__ == "__main__":
    main()
