"""Benchmark: `wit download` (dask, one task per shard) against img2dataset's own distributor.

Side by side in one script, on the same manifest, the same local image server (a separate
process on 127.0.0.1) and the same number of cores: img2dataset's ``multiprocessing``
distributor with ``processes_count = cores`` against wit's LocalCluster with ``workers = cores``.
Same image size, resize mode, encoding, threads per process and shard size. Each run's wall
time includes starting its workers. Medians of several runs, alternating the two.
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import os
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

from benchmarks.report import update_section

DISTINCT_IMAGES = 64


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
    from wit_pipeline.download.download import download_manifest
    from wit_pipeline.download.options import DownloadOptions
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


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=6000)
    parser.add_argument("--repeats", type=int, default=3)
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
    times: dict[str, list[float]] = {"img2dataset": [], "wit": []}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            manifest = write_manifest(Path(tmp) / "manifest", port, args.rows)
            for r in range(args.repeats):
                for name, fn in (("img2dataset", run_img2dataset), ("wit", run_wit)):
                    out = Path(tmp) / f"{name}-{r}"
                    times[name].append(fn(manifest, out, args.cores, args.threads, args.per_shard))
                    shutil.rmtree(out, ignore_errors=True)
                    print(f"{name} run {r}: {args.rows / times[name][-1]:,.0f} images/s", flush=True)
    finally:
        server.terminate()
    rate = {name: args.rows / statistics.median(t) for name, t in times.items()}
    ratio = rate["wit"] / rate["img2dataset"]
    text = "\n".join(
        [
            "`python -m benchmarks.bench_download` — the same manifest of "
            f"{args.rows:,} image URLs, the same local image server (separate process, {args.source_size[0]}x"
            f"{args.source_size[1]} JPEGs), {args.cores} cores for each: img2dataset's multiprocessing distributor "
            f"(processes_count={args.cores}) vs wit download on a LocalCluster of {args.cores} workers; "
            f"{args.threads} threads per process, {args.per_shard} samples per shard, 256 px center crop, jpg. "
            f"Wall time includes starting workers; median of {args.repeats} alternating runs.",
            "",
            "| downloader | images/s (median) | runs (s) |",
            "| --- | --- | --- |",
            *(
                f"| {name} | {rate[name]:,.0f} | {', '.join(f'{t:.1f}' for t in times[name])} |"
                for name in ("img2dataset", "wit")
            ),
            "",
            f"**Ratio wit / img2dataset: {ratio:.2f}x** (target >= 1.0x). wit also checks every address before "
            "connecting, caps bytes and pixels, enforces a shard deadline and writes shards atomically.",
        ]
    )
    print(text)
    update_section("Download (issue 5)", text)
    return {"rates": rate, "ratio": ratio}


if __name__ == "__main__":
    main()
