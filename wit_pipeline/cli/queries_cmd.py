"""``wit queries build --out FILE``: a WIT query list from WordNet, word frequencies and PMI bigrams."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from filters.query_builder import DEFAULT_MIN_ZIPF, build_query_list, stopwords, write_list
from filters.query_pmi import DEFAULT_MIN_COUNT, DEFAULT_MIN_PMI, manifest_counts, pmi_bigrams


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``wit queries build``."""
    p = sub.add_parser("queries", help="build a WIT/MetaCLIP query list", description=__doc__)
    actions = p.add_subparsers(dest="queries_action", metavar="ACTION", required=True)
    b = actions.add_parser(
        "build",
        help="build a query list (one entry per line)",
        description="WordNet lemmas (English), wordfreq words at or above --min-zipf, and with --from the "
        "bigrams of a manifest's captions with high pointwise mutual information. Entries made only of "
        "stopwords are dropped. Prints what each source contributed. Use the file with wit filter --queries.",
    )
    b.add_argument("--out", required=True, type=Path, help="query file to write (.gz: gzip-compressed)")
    b.add_argument("--lang", default="en", metavar="CODE", help="language of the words (default en)")
    b.add_argument("--from", dest="manifest", metavar="MANIFEST", help="manifest whose captions give PMI bigrams")
    b.add_argument("--min-zipf", type=float, default=DEFAULT_MIN_ZIPF, help=f"default {DEFAULT_MIN_ZIPF}")
    b.add_argument(
        "--min-pmi", type=float, default=DEFAULT_MIN_PMI, help=f"bigram PMI in bits, default {DEFAULT_MIN_PMI}"
    )
    b.add_argument(
        "--min-count", type=int, default=DEFAULT_MIN_COUNT, help=f"bigram occurrences, default {DEFAULT_MIN_COUNT}"
    )
    b.add_argument("--no-wordnet", action="store_true", help="leave WordNet lemmas out")
    b.add_argument("--json", action="store_true", help="print the per-source counts as JSON")
    b.add_argument("--workers", type=int, help="local dask workers for --from (default: cores)")
    b.add_argument("--scheduler", default=os.environ.get("WIT_SCHEDULER"), help="existing dask scheduler for --from")
    b.add_argument("--quiet", action="store_true", help="no cluster banner")
    b.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Build the list, write it, print the per-source counts."""
    bigrams: list[str] = []
    if args.manifest:
        from wit_pipeline.manifest import list_parts
        from wit_pipeline.runtime import open_client

        list_parts(args.manifest)  # a clear error before any cluster starts
        with open_client(args.scheduler, args.workers, quiet=args.quiet) as client:
            counts = manifest_counts(args.manifest, stopwords(args.lang), client)
        bigrams = pmi_bigrams(counts, args.min_count, args.min_pmi)
    result = build_query_list(args.lang, args.min_zipf, wordnet=not args.no_wordnet, bigrams=bigrams)
    write_list(result.entries, args.out)
    report = {name: vars(count) for name, count in result.sources.items()}
    if args.json:
        print(json.dumps({"entries": len(result.entries), "sources": report}, indent=2))
    else:
        print(f"{'source':<10} {'candidates':>11} {'dropped':>8} {'added':>8}")
        for name, c in report.items():
            print(f"{name:<10} {c['candidates']:>11,} {c['dropped']:>8,} {c['added']:>8,}")
        print(f"wit queries: {len(result.entries):,} entries -> {args.out}")
    return 0
