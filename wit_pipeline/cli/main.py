"""Entry point of the ``wit`` console script."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from wit_pipeline import __version__
from wit_pipeline.cli import (
    build_cmd,
    crawl_cmd,
    demo_cmd,
    download_cmd,
    eval_cmd,
    filter_cmd,
    import_cmd,
    inspect_cmd,
    report_cmd,
    train_cmd,
)
from wit_pipeline.errors import WitError

COMMANDS = [
    import_cmd,
    crawl_cmd,
    filter_cmd,
    download_cmd,
    build_cmd,
    train_cmd,
    eval_cmd,
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
        return int(args.run(args) or 0)
    except WitError as exc:
        print(f"wit: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("wit: interrupted; rerun the same command to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
