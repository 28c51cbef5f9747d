"""Entry point of the ``wit`` console script."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from wit_pipeline import __version__, storage
from wit_pipeline.cli import (
    build_cmd,
    crawl_cmd,
    demo_cmd,
    download_cmd,
    embed_cmd,
    eval_cmd,
    filter_cmd,
    import_cmd,
    inspect_cmd,
    queries_cmd,
    report_cmd,
    search_cmd,
    train_cmd,
)
from wit_pipeline.errors import WitError

# Commands whose --out may be a remote fsspec URL (s3://, memory://, ...): staged locally, then published.
REMOTE_OUTPUT = {"import", "crawl", "filter", "download", "build"}
COMMANDS = [
    import_cmd,
    crawl_cmd,
    filter_cmd,
    queries_cmd,
    download_cmd,
    build_cmd,
    train_cmd,
    eval_cmd,
    embed_cmd,
    search_cmd,
    inspect_cmd,
    report_cmd,
    demo_cmd,
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wit", description="Build WIT-style image-text datasets and train CLIP models on them."
    )
    parser.add_argument("--version", action="version", version=f"wit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMANDS:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run a ``wit`` command; user errors print one line and exit 2."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return _run(args)
    except WitError as exc:
        print(f"wit: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("wit: interrupted; rerun the same command to resume", file=sys.stderr)
        return 130


def _run(args: argparse.Namespace) -> int:
    """Run the command; a remote ``--out`` URL is written to a local staging copy, then published."""
    out = getattr(args, "out", None)
    if not isinstance(out, str):  # a local Path (out_path made it absolute), or no --out
        return int(args.run(args) or 0)
    if args.command not in REMOTE_OUTPUT:
        raise WitError(f"--out {out}: wit {args.command} writes to a local path only")
    if storage.published(out):
        print(f"wit {args.command}: {out} is already complete; nothing to do", file=sys.stderr)
        return 0
    with storage.staged_output(out) as local:
        args.out = local
        code = int(args.run(args) or 0)
        if code:
            raise SystemExit(code)  # leaves the staging copy unpublished, for the rerun
    print(f"wit {args.command}: published {local} -> {out}")
    return code


if __name__ == "__main__":
    sys.exit(main())
