"""Benchmark: `wit download` (dask, one task per shard) against img2dataset's own distributor.

Side by side in one script, on the same manifest, the same local image server (a separate
process on 127.0.0.1) and the same number of cores: img2dataset's ``multiprocessing``
distributor with ``processes_count = cores`` against wit's LocalCluster with ``workers = cores``.
Same image size, resize mode, encoding, threads per process and shard size. Each run goes in a
fresh process and its wall time includes starting and stopping its workers. Medians of several
interleaved pairs.
"""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing
import os
import queue
import random
import shutil
import statistics
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from PIL import Image, ImageDraw

from benchmarks.report import print_section

DISTINCT_IMAGES = 64
FINDINGS = (
    "Where wit lost time before (py-spy, CPU per thread, per-phase timestamps; 0.84x on this benchmark): "
    "dask's nannies set MALLOC_TRIM_THRESHOLD_ in workers, so every decoded image was mmapped and unmapped "
    "(+1.5 ms system time per image, ~40% more CPU); the workers' statistical profiler (~6%); a Timer thread "
    "per request (~0.2 ms per image); the resizing thread waiting in row order behind a slow fetch; ~4 s per "
    "run closing workers that had imported torch (the final garbage collection). Now both spend about the same "
    "CPU per image (~3.7 ms in a worker, ~0.5 ms in the server); img2dataset also replaces each pool process "
    "after 5 shards (maxtasksperchild=5), importing torch and albumentations again, while wit's workers stay."
)


def make_images(count: int, size: tuple[int, int]) -> list[bytes]:
    images = []
    for i in range(count):
        rng = random.Random(i)
        img = Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3)))
        draw = ImageDraw.Draw(img)
        for _ in range(12):
            x, y = rng.randrange(size[0]), rng.randrange(size[1])
            draw.ellipse((x, y, x + rng.randrange(20, 200), y + rng.randrange(20, 200)), fill=rng.randrange(256))
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=90)
        images.append(buf.getvalue())
    return images


def serve(port_queue: multiprocessing.Queue, size: tuple[int, int]) -> None:
    """Image server process: /img/N.jpg returns one of a few pre-encoded JPEGs."""
    images = make_images(DISTINCT_IMAGES, size)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:
            return

        def do_GET(self) -> None:  # noqa: N802
            if self.path == "/robots.txt":  # wit asks for it once per shard; img2dataset never does
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = images[int(self.path.rsplit("/", 1)[-1].split(".")[0]) % len(images)]
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.request_queue_size = 1024
    port_queue.put(server.server_address[1])
    server.serve_forever()


def write_manifest(directory: Path, port: int, rows: int) -> Path:
    from wit_pipeline.manifest import ManifestLimits
    from wit_pipeline.manifest_validation import validate_rows

    directory.mkdir(parents=True)
    urls = [f"http://127.0.0.1:{port}/img/{i}.jpg" for i in range(rows)]
    raw = pa.table({"url": urls, "caption": [f"picture {i}" for i in range(rows)]})
    kept = validate_rows(raw, stage="import", source="import", limits=ManifestLimits()).kept
    pq.write_table(kept, directory / "part-00000.parquet")
    return directory


def run_img2dataset(manifest: Path, out: Path, cores: int, threads: int, per_shard: int) -> float:
    from img2dataset import download

    started = time.perf_counter()
    download(
        url_list=str(manifest / "part-00000.parquet"),
        input_format="parquet",
        url_col="url",
        caption_col="caption",
        output_format="webdataset",
        output_folder=str(out),
        processes_count=cores,
        thread_count=threads,
        image_size=256,
        resize_mode="center_crop",
        encode_format="jpg",
        number_sample_per_shard=per_shard,
        distributor="multiprocessing",
        timeout=10,
        retries=0,
        disallowed_header_directives=[],
        enable_wandb=False,
    )
    seconds = time.perf_counter() - started
    assert sum(1 for _ in out.glob("*.tar")) > 0
    return seconds


def run_wit(manifest: Path, out: Path, cores: int, threads: int, per_shard: int) -> float:
    from wit_pipeline.download.options import DownloadOptions
    from wit_pipeline.download.raw_shards import download_manifest
    from wit_pipeline.runtime import open_client

    options = DownloadOptions(
        samples_per_shard=per_shard,
        image_size=256,
        resize_mode="center_crop",
        encode_format="jpg",
        thread_count=threads,
        disallowed_header_directives=(),
        allow_networks=("127.0.0.1/32",),
    )
    started = time.perf_counter()
    with open_client(workers=cores, quiet=True) as client:
        stats = download_manifest(manifest, out, options, client=client, progress=False)
    seconds = time.perf_counter() - started
    assert stats["samples"] > 0
    return seconds


def timed_run(side: str, manifest: Path, out: Path, cores: int, threads: int, per_shard: int, results) -> None:
    """One measured run in a fresh process (``results`` gets its seconds).

    Each run starts from a clean interpreter, so neither side inherits the other's imports,
    threads or environment (dask's nannies set variables in their parent's environment that
    the next spawned pool would otherwise inherit). The side's modules are imported before
    the clock starts, on both sides alike; starting and stopping its workers is timed.
    """
    fn = run_wit if side == "wit" else run_img2dataset
    if side == "wit":
        import wit_pipeline.download.raw_shards  # noqa: F401
        import wit_pipeline.runtime  # noqa: F401
    else:
        import img2dataset  # noqa: F401
    results.put(fn(manifest, out, cores, threads, per_shard))


def wait_for_result(child: multiprocessing.Process, results, limit_s: float = 3600) -> float:
    """The run's seconds from ``results``; a child that dies without answering fails the benchmark at once."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        try:
            return results.get(timeout=1)
        except queue.Empty:
            if not child.is_alive() and results.empty():
                raise RuntimeError(f"the measured run failed (exit code {child.exitcode}); traceback above") from None
    child.terminate()
    raise RuntimeError(f"the measured run gave no result within {limit_s:.0f} s")


def measure(side: str, manifest: Path, out: Path, args: argparse.Namespace) -> tuple[float, int]:
    """Seconds of one run in a fresh process, and the images it wrote (from the shards' stats)."""
    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    child = ctx.Process(target=timed_run, args=(side, manifest, out, args.cores, args.threads, args.per_shard, results))
    child.start()
    seconds = wait_for_result(child, results)
    child.join()
    written = sum(json.loads(p.read_text())["successes"] for p in out.glob("[0-9]*_stats.json"))
    shutil.rmtree(out, ignore_errors=True)
    return seconds, written


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=12000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--cores", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--threads", type=int, default=32)
    parser.add_argument("--per-shard", type=int, default=1000)
    parser.add_argument("--source-size", type=int, nargs=2, default=[512, 384])
    args = parser.parse_args(argv)
    ctx = multiprocessing.get_context("spawn")
    ports: multiprocessing.Queue = ctx.Queue()
    server = ctx.Process(target=serve, args=(ports, tuple(args.source_size)), daemon=True)
    server.start()
    port = ports.get(timeout=60)
    times: dict[str, list[float]] = {"wit": [], "img2dataset": []}
    written: dict[str, list[int]] = {"wit": [], "img2dataset": []}
    loads = [os.getloadavg()[0]]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            manifest = write_manifest(Path(tmp) / "manifest", port, args.rows)
            for r in range(args.repeats):
                for name in ("wit", "img2dataset"):
                    seconds, images = measure(name, manifest, Path(tmp) / f"{name}-{r}", args)
                    times[name].append(seconds)
                    written[name].append(images)
                    loads.append(os.getloadavg()[0])
                    print(f"{name} run {r}: {args.rows / times[name][-1]:,.0f} images/s", flush=True)
    finally:
        server.terminate()
    rate = {name: args.rows / statistics.median(t) for name, t in times.items()}
    ratio = rate["wit"] / rate["img2dataset"]
    pairs = [i / w for w, i in zip(times["wit"], times["img2dataset"])]
    shards = -(-args.rows // args.per_shard)
    text = "\n".join(
        [
            "`python -m benchmarks.bench_download` — the same manifest of "
            f"{args.rows:,} image URLs ({shards} shards of {args.per_shard}), the same local image server (separate "
            f"process, {args.source_size[0]}x{args.source_size[1]} JPEGs), {args.cores} cores for each: "
            f"img2dataset's multiprocessing distributor (processes_count={args.cores}) vs wit download on a "
            f"LocalCluster of {args.cores} workers; {args.threads} threads per process, 256 px center crop, jpg "
            "quality 95, sha256 on both. Each run in a fresh process; its wall time includes starting and stopping "
            f"its workers (img2dataset's pool, wit's cluster); {args.repeats} interleaved pairs (wit, img2dataset, "
            "wit, ...), medians.",
            "",
            "| downloader | images/s (median) | runs (s) | images written per run (fewest) |",
            "| --- | --- | --- | --- |",
            *(
                f"| {name} | {rate[name]:,.0f} | {', '.join(f'{t:.1f}' for t in times[name])} | "
                f"{min(written[name]):,} of {args.rows:,} |"
                for name in ("img2dataset", "wit")
            ),
            "",
            f"**Ratio wit / img2dataset: {ratio:.2f}x** (target >= 1.0x); per pair: "
            f"{', '.join(f'{p:.2f}' for p in pairs)}. wit also checks every address before connecting, caps bytes "
            "and pixels, enforces a shard deadline and writes shards atomically, and is as polite as its crawler "
            "(defaults: the host's robots.txt read once per shard, at most 8 requests per host at a time per shard, "
            "X-Robots-Tag judged before the body, 429/503 Retry-After honoured).",
            "",
            f"The machine ({os.cpu_count()} cores) is shared with other jobs: 1-minute load average {min(loads):.1f} "
            f"to {max(loads):.1f} during the runs, single runs vary; pairs are interleaved so both see the same load.",
            "",
            FINDINGS,
        ]
    )
    print_section("Download (issue 5)", text)
    return {"rates": rate, "ratio": ratio}


if __name__ == "__main__":
    main()
