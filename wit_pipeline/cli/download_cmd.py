"""``wit download IN_DIR --out DIR``: manifest → webdataset shards (img2dataset on dask)."""

from __future__ import annotations

import argparse

from wit_pipeline.cli.common import add_common, default_of, out_path
from wit_pipeline.cli.stage_command import StageRun, stage_command
from wit_pipeline.config import BuildConfig
from wit_pipeline.download.options import ENCODE_FORMATS, RESIZE_MODES


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "download",
        help="download a manifest's images into webdataset shards",
        description="Split the manifest into shards and download each as one dask task (img2dataset's resizer and "
        "writer; img2dataset-compatible tars, parquet, _stats.json, sizes.json). Then remove exact and "
        "near-duplicate images across shards and apply min-side/aspect rules. Rerun to resume.",
    )
    p.add_argument("manifest", help="manifest directory (output of import, crawl or filter)")
    p.add_argument("--out", required=True, type=out_path, help="output shard directory")
    add = p.add_argument
    add("--samples-per-shard", dest="shards.samples_per_shard", type=int, metavar="N")
    add("--image-size", dest="download.image_size", type=int, metavar="PX")
    add("--resize-mode", dest="download.resize_mode", choices=RESIZE_MODES)
    add("--encode-format", dest="download.encode_format", choices=ENCODE_FORMATS)
    add("--encode-quality", dest="download.encode_quality", type=int, metavar="Q")
    add(
        "--min-image-size",
        dest="download.min_image_size",
        type=int,
        metavar="PX",
        help=f"min shortest side ({default_of('download.min_image_size')}; 0: off)",
    )
    add(
        "--max-aspect-ratio",
        dest="download.max_aspect_ratio",
        type=float,
        metavar="R",
        help=f"max long/short side ({default_of('download.max_aspect_ratio')}; 0: off)",
    )
    add("--timeout", dest="download.timeout", type=float, metavar="S", help="per request, seconds")
    add("--retries", dest="download.retries", type=int, metavar="N")
    add("--user-agent-token", dest="download.user_agent_token", metavar="TOKEN")
    add(
        "--disallowed-header-directives",
        dest="download.disallowed_header_directives",
        type=lambda v: [x.strip() for x in v.split(",") if x.strip()],
        metavar="LIST",
        help=f"X-Robots-Tag directives that forbid use (default {default_of('download.disallowed_header_directives')})",
    )
    add(
        "--contact",
        dest="download.contact",
        metavar="EMAIL_OR_URL",
        help="how image hosts can reach you; put in the user agent",
    )
    add("--thread-count", dest="download.thread_count", type=int, metavar="N", help="fetch threads per shard")
    add(
        "--per-host-concurrency",
        dest="download.per_host_concurrency",
        type=int,
        metavar="N",
        help=f"requests to one host at a time, per shard (default {default_of('download.per_host_concurrency')})",
    )
    add(
        "--ignore-robots-txt",
        dest="download.respect_robots_txt",
        action="store_const",
        const=False,
        help="do not consult image hosts' robots.txt (only for hosts you own)",
    )
    add(
        "--max-retry-after",
        dest="download.max_retry_after",
        type=float,
        metavar="S",
        help=f"longest 429/503 Retry-After honoured (default {default_of('download.max_retry_after')})",
    )
    add("--shard-deadline", dest="download.shard_deadline", type=float, metavar="S", help="hard limit per shard")
    add("--max-bytes", dest="download.max_bytes", type=int, metavar="N", help="response size cap")
    add("--max-pixels", dest="download.max_pixels", type=int, metavar="N", help="decompression-bomb cap")
    add(
        "--allow-private-network",
        dest="download.allow_private_network",
        action="store_const",
        const=True,
        help="allow private/loopback/link-local image hosts (tests, demos, intranets)",
    )
    add("--allow-network", dest="download.allow_networks", action="append", metavar="CIDR")
    add("--phash-distance", dest="shards.phash_distance", type=int, metavar="BITS")
    add("--min-side", dest="shards.min_side", type=int, metavar="PX", help="image filter: original min side")
    add("--no-image-dedup", dest="shards.exact_dedup", nargs=0, action=_NoImageDedup)
    add("--reshard", dest="shards.reshard", action="store_const", const=True, help="repack to even shard sizes")
    add_common(p)
    p.set_defaults(run=run)


def prepare(args: argparse.Namespace, config: BuildConfig) -> StageRun:
    """Download the manifest into shards, then the image stage."""
    from wit_pipeline.download.flow import download_options, image_rules, manifest_to_shards

    options, rules = download_options(config), image_rules(config)
    return StageRun(
        work=lambda client: manifest_to_shards(
            args.manifest, args.out, options, rules, client, progress=not args.quiet, even_shards=config.shards.reshard
        ),
        summary=lambda stats: f"wit download: {stats['samples']} samples in {stats['shards']} shard(s) -> {args.out}",
    )


run = stage_command(prepare)


class _NoImageDedup(argparse.Action):
    """``--no-image-dedup``: exact and perceptual image dedup both off."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        setattr(namespace, "shards.exact_dedup", False)
        setattr(namespace, "shards.phash_dedup", False)
