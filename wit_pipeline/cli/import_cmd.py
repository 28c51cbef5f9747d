"""``wit import FILE... --out DIR``: URL lists → manifest."""

from __future__ import annotations

import argparse

from crawlers.url_list_import import import_lists
from wit_pipeline.build_job.options import import_options
from wit_pipeline.cli.common import add_common, out_path
from wit_pipeline.cli.stage_command import StageRun, stage_command
from wit_pipeline.config import LIST_FORMATS, BuildConfig
from wit_pipeline.errors import WitError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "import",
        help="import csv/tsv/jsonl/parquet URL lists into a manifest",
        description="Import URL lists (csv, tsv, jsonl, parquet; .gz too) into a partitioned manifest. "
        "Columns url/caption are found by name (url, URL, image_url / caption, TEXT, alt ...) "
        "or given with --url-col/--caption-col; other columns are kept.",
    )
    p.add_argument("files", nargs="*", metavar="FILE", help="list files or directories (default: [sources] lists)")
    p.add_argument("--out", required=True, type=out_path, help="output manifest directory")
    p.add_argument("--format", dest="sources.format", choices=LIST_FORMATS, help="input format (default: by extension)")
    p.add_argument(
        "--tsv-quoted",
        dest="sources.tsv_quoted",
        action="store_const",
        const=True,
        help='TSV fields use CSV-style "quotes" (default: TSV has no quoting; a quote is a character)',
    )
    p.add_argument("--url-col", dest="sources.url_col", metavar="NAME", help="column holding the image URL")
    p.add_argument("--caption-col", dest="sources.caption_col", metavar="NAME", help="column holding the caption")
    p.add_argument(
        "--rows-per-part", dest="sources.rows_per_part", type=int, metavar="N", help="rows per manifest part"
    )
    add_common(p)
    p.set_defaults(run=run)


def prepare(args: argparse.Namespace, config: BuildConfig) -> StageRun:
    """Import the lists into a manifest."""
    files = args.files or config.sources.lists
    if not files:
        raise WitError("no input files: give FILE arguments or [sources] lists in --config")
    options = import_options(config)
    return StageRun(
        work=lambda client: import_lists(files, args.out, options, client=client, progress=not args.quiet),
        summary=lambda stats: f"wit import: {stats['rows_out']} rows in {stats['parts']} part(s) -> {args.out}",
    )


run = stage_command(prepare)
