"""``wit crawl warc FILE...`` and ``wit crawl html SEED_URL...``: the web → a manifest."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from crawlers.html_crawl import run_crawl, write_crawl_manifest
from crawlers.warc_crawl import FILES_STATS, crawl_warc, expand_warc_inputs
from wit_pipeline.build_job.options import crawl_options, warc_options
from wit_pipeline.cli.common import add_common, out_path
from wit_pipeline.cli.stage_command import StageRun, stage_command
from wit_pipeline.config import BuildConfig
from wit_pipeline.errors import WitError


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``wit crawl warc`` and ``wit crawl html`` to the command line."""
    p = sub.add_parser("crawl", help="crawl HTML pages or read WARC/WAT files into a manifest")
    crawl_sub = p.add_subparsers(dest="crawl_command", metavar="KIND", required=True)
    _register_warc(crawl_sub)
    _register_html(crawl_sub)


def _register_warc(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "warc",
        help="WARC (HTML responses) and WAT (metadata records) files -> manifest",
        description="Read WARC files (HTML response records: every <img> with alt/title/figcaption) and WAT files "
        "(IMG@/src links with alt text), gzip or not, one dask task per file, into a manifest. Damaged records "
        "are counted by reason and skipped; per-file counters are written to OUT/_files.json.",
    )
    p.add_argument("files", nargs="*", metavar="FILE", help="WARC/WAT files or directories (default: [sources] warc)")
    p.add_argument("--out", required=True, type=out_path, help="output manifest directory")
    _add_part_options(p)
    add_common(p)
    p.set_defaults(run=run_warc)


def _register_html(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "html",
        help="polite breadth-first crawl from seed URLs -> manifest",
        description="Crawl breadth-first from SEED_URLs, honouring robots.txt (disallow, crawl-delay) and "
        "X-Robots-Tag/meta noai, with per-host limits, timeouts and size caps; only the seeds' hosts unless "
        "--allow-domain. Private, loopback, link-local and multicast addresses are refused unless "
        "--allow-private-network. Rerun the same command to resume a killed crawl (state in OUT/_crawl/).",
    )
    p.add_argument("seeds", nargs="*", metavar="SEED_URL", help="start URLs (default: [sources] seeds)")
    p.add_argument("--out", required=True, type=out_path, help="output manifest directory")
    p.add_argument("--contact", dest="sources.contact", metavar="EMAIL_OR_URL", help="how site owners reach you")
    p.add_argument("--user-agent", dest="sources.user_agent", metavar="UA", help="full User-Agent (overrides)")
    p.add_argument(
        "--allow-domain",
        dest="sources.allowed_domains",
        action="append",
        metavar="DOMAIN",
        help="domain to crawl, subdomains included (repeatable; default: the seeds' hosts)",
    )
    for flag, key, kind, meta, text in (
        ("--max-pages", "max_pages", int, "N", "stop after fetching N pages (default 1000)"),
        ("--max-depth", "max_depth", int, "N", "links followed from the seeds (default 2)"),
        ("--max-redirects", "max_redirects", int, "N", "redirect hops followed per URL (default 5)"),
        ("--delay", "delay", float, "SECONDS", "between requests to one host (default 1.0; robots.txt may raise)"),
        (
            "--max-crawl-delay",
            "max_crawl_delay",
            float,
            "SECONDS",
            "longest robots.txt Crawl-delay honoured; longer ones are cut to it (default 60)",
        ),
        ("--concurrency", "concurrency", int, "N", "requests in flight in all (default 8)"),
        ("--per-host-concurrency", "per_host_concurrency", int, "N", "requests in flight per host (default 1)"),
        ("--connect-timeout", "connect_timeout", float, "SECONDS", "per connection attempt (default 10)"),
        ("--read-timeout", "read_timeout", float, "SECONDS", "per socket read (default 20)"),
        ("--total-timeout", "total_timeout", float, "SECONDS", "per request, all included (default 60)"),
    ):
        p.add_argument(flag, dest=f"sources.{key}", type=kind, metavar=meta, help=text)
    p.add_argument(
        "--allow-private-network",
        dest="sources.allow_private_network",
        action="store_true",
        default=None,
        help="allow private, loopback, link-local and multicast addresses (local test sites only)",
    )
    p.add_argument(
        "--allow-network",
        dest="sources.allow_networks",
        action="append",
        metavar="CIDR",
        help="allow just this network, e.g. 127.0.0.1/32 (repeatable)",
    )
    _add_part_options(p)
    add_common(p)
    p.set_defaults(run=run_html)


def _add_part_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--max-bytes", dest="sources.max_bytes", type=int, metavar="N", help="HTML page size cap")
    p.add_argument(
        "--rows-per-part", dest="sources.rows_per_part", type=int, metavar="N", help="rows per manifest part"
    )


def prepare_warc(args: argparse.Namespace, config: BuildConfig) -> StageRun:
    """Run ``wit crawl warc``: read the files on dask, print the funnel and per-file counters."""
    files = args.files or config.sources.warc
    if not files:
        raise WitError("no input files: give WARC/WAT FILE arguments or [sources] warc in --config")
    files = expand_warc_inputs(files)  # a bad path fails before a cluster is started
    options = warc_options(config)

    def summary(stats: dict) -> str:
        entries = json.loads((Path(args.out) / FILES_STATS).read_text(encoding="utf-8"))
        lines = [f"  {entry['file']}: {_file_summary(entry['counters'])}" for entry in entries]
        lines.append(f"wit crawl warc: {stats['rows_out']} rows in {stats['parts']} part(s) -> {args.out}")
        return "\n".join(lines)

    return StageRun(
        work=lambda client: crawl_warc(files, args.out, options, client=client, progress=not args.quiet),
        summary=summary,
    )


run_warc = stage_command(prepare_warc)


def _file_summary(counters: list[dict]) -> str:
    extra = counters[0]["extra"] if counters else {}
    skipped = {k.removeprefix("skipped_record_"): v for k, v in extra.items() if k.startswith("skipped_record_")}
    parts = [f"{extra.get(k, 0)} {k.replace('_', ' ')}" for k in ("records", "html_pages", "wat_records", "images")]
    parts.append(f"{extra.get('images_with_caption', 0)} with caption")
    if skipped:
        parts.append("skipped " + ", ".join(f"{k}={v}" for k, v in sorted(skipped.items())))
    return "; ".join(parts)


def prepare_html(args: argparse.Namespace, config: BuildConfig) -> StageRun:
    """Run ``wit crawl html``: crawl in this process (before the cluster starts), then write the manifest on dask."""
    options = crawl_options(config, args.seeds or config.sources.seeds)
    options = run_crawl(options, args.out, progress=not args.quiet)
    return StageRun(
        work=lambda client: write_crawl_manifest(options, args.out, client=client, progress=not args.quiet),
        summary=lambda stats: _html_summary(stats, args.out),
    )


run_html = stage_command(prepare_html)


def _html_summary(stats: dict, out: Path) -> str:
    extra = stats["funnel"][0]["extra"] if stats["funnel"] else {}
    outcomes = ", ".join(
        f"{k.removeprefix('outcome_')}={v}" for k, v in sorted(extra.items()) if k.startswith("outcome_")
    )
    return (
        f"  pages fetched: {extra.get('pages_fetched', 0)}; outcomes: {outcomes or 'none'}\n"
        f"wit crawl html: {stats['rows_out']} rows in {stats['parts']} part(s) -> {out}"
    )
