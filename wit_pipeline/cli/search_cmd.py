"""``wit search RUN --index DIR "a red bicycle"``: the images of an embedding directory nearest a query."""

from __future__ import annotations

import argparse

from wit_pipeline.cli.common import out_path
from wit_pipeline.errors import WitError


class IntermixedParser(argparse.ArgumentParser):
    """Reads positionals wherever they stand, so ``wit search RUN --index DIR "a query"`` works.

    Plain argparse binds every positional at the first run of them (RUN), leaving a query written after
    the options unrecognised; ``parse_known_intermixed_args`` reads options first, then positionals.
    """

    _intermixing = False

    def parse_known_args(self, args=None, namespace=None):  # type: ignore[override]
        if self._intermixing:  # parse_known_intermixed_args calls back into parse_known_args
            return super().parse_known_args(args, namespace)
        self._intermixing = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._intermixing = False


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``wit search`` and its flags."""
    p = sub.add_parser(
        "search",
        help="find the images of an embedded shard set nearest a text or image query",
        description="Encode a text query (or --image FILE) with RUN and rank the images of an embedding directory "
        "(the output of wit embed with the same run) by cosine similarity: exact, batched over the stored "
        "arrays, or with --faiss when faiss is installed. Prints rank, score, key and caption; --html writes a "
        "page with the thumbnails.",
    )
    p.add_argument("model", metavar="RUN", help="the run or pretrained model the index was embedded with")
    p.add_argument("query", nargs="?", metavar="TEXT", help="text query (or give --image)")
    p.add_argument("--index", required=True, metavar="DIR", help="embedding directory written by wit embed")
    p.add_argument("--image", metavar="FILE", help="search with an image instead of a text")
    p.add_argument("-k", "--top-k", dest="k", type=int, default=10, metavar="K", help="how many hits (10)")
    p.add_argument("--html", type=out_path, metavar="OUT", help="write an HTML page with the thumbnails")
    p.add_argument("--data", metavar="SHARDS", help="shard directory for thumbnails (default: the embedded one)")
    p.add_argument("--device", default="auto", metavar="DEVICE", help="auto (default), cpu, cuda")
    p.add_argument("--faiss", action="store_true", help="search with a faiss index (needs faiss installed)")
    p.set_defaults(run=run)
    p.__class__ = IntermixedParser


def format_hits(hits: list[dict]) -> str:
    """One line per hit: rank, score, key, caption."""
    lines = [f"{'rank':>4}  {'score':>7}  {'key':<12}  caption"]
    for hit in hits:
        caption = (hit["caption"] or "").replace("\n", " ")
        lines.append(f"{hit['rank']:>4}  {hit['score']:>7.4f}  {hit['key']:<12}  {caption}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Search and print the hits (and write the page)."""
    if (args.query is None) == (args.image is None):
        raise WitError("give a text query or --image FILE (exactly one)")
    from wit_pipeline.search.html import write_html
    from wit_pipeline.search.query import search_index

    result = search_index(
        args.model, args.index, text=args.query, image=args.image, k=args.k, device=args.device, use_faiss=args.faiss
    )
    print(format_hits(result.hits))
    summary = f"wit search: top {len(result.hits)} of {result.searched} images ({result.backend}, "
    summary += f"{1000 * result.seconds:.0f} ms)"
    if args.html is not None:
        from wit_pipeline.embed.index import EmbeddingIndex

        shards = args.data or EmbeddingIndex.open(args.index).info.get("data", "")
        found = write_html(args.html, result.query, result.hits, shards)
        summary += f"; {found} thumbnail(s) -> {args.html}"
    print(summary)
    return 0
