"""Entry point of the ``wit`` console script."""

from __future__ import annotations

import argparse
import errno
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from wit_pipeline import __version__, staging, storage
from wit_pipeline.cli import (
    build_cmd,
    clip_filter_cmd,
    crawl_cmd,
    demo_cmd,
    download_cmd,
    embed_cmd,
    eval_cmd,
    export_cmd,
    filter_cmd,
    import_cmd,
    inspect_cmd,
    queries_cmd,
    report_cmd,
    search_cmd,
    train_cmd,
)
from wit_pipeline.errors import WitError
from wit_pipeline.runtime.out_lock import output_lock

# Commands whose --out may be a remote fsspec URL (s3://, memory://, ...): staged locally, then uploaded.
REMOTE_OUTPUT = {"import", "crawl", "filter", "clip-filter", "download", "build"}
# Commands whose --out is a directory they fill: locked while they run, never an input or inside one.
DIRECTORY_OUTPUT = REMOTE_OUTPUT | {"train", "embed", "demo"}
NOT_INPUTS = {"out", "config", "command", "run", "build_config", "resume"}  # --resume names part of the output
MODEL_INPUTS = {"model", "filters.clip_model"}  # a training run read for its weights: writing inside it is fine
COMMANDS = [
    import_cmd,
    crawl_cmd,
    filter_cmd,
    clip_filter_cmd,
    queries_cmd,
    download_cmd,
    build_cmd,
    train_cmd,
    eval_cmd,
    embed_cmd,
    search_cmd,
    export_cmd,
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
    except OSError as exc:
        message = storage_error(exc)
        if message is None:
            raise
        print(f"wit: error: {message}", file=sys.stderr)
        return 2


def storage_error(exc: OSError) -> str | None:
    """One line for a full, read-only or forbidden output (from this process or a dask worker), else None."""
    text = str(exc)
    where = f"{exc.filename}: " if exc.filename else ""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT) or "No space left on device" in text or "quota exceeded" in text:
        return f"{where}no space left on the device (or quota exceeded); free some and rerun the command to resume"
    if exc.errno == errno.EROFS or "Read-only file system" in text:
        return f"{where}the file system is read-only; choose another --out"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"{where}permission denied"
    return None


def _run(args: argparse.Namespace) -> int:
    """Run the command; a remote ``--out`` URL is written to a local staging copy, then uploaded.

    This is where every command's URL output is staged (``wit_pipeline.staging``): the stages below
    see local directories only.
    """
    out = getattr(args, "out", None)
    if out is None:
        return int(args.run(args) or 0)
    if not isinstance(out, str):  # a local Path (out_path made it absolute)
        check_out(args, Path(out))
        return _locked(args, Path(out))
    if args.command not in REMOTE_OUTPUT:
        raise WitError(f"--out {out}: wit {args.command} writes to a local path only")
    if staging.uploaded(out):
        print(f"wit {args.command}: {out} is already complete; nothing to do", file=sys.stderr)
        return 0
    with staging.staged_output(out) as local:
        args.out = local
        code = _locked(args, local)
        if code:
            raise SystemExit(code)  # leaves the staging copy not uploaded, for the rerun
    print(f"wit {args.command}: uploaded {local} -> {out}")
    return code


def _locked(args: argparse.Namespace, out: Path) -> int:
    """Run the command holding ``out``'s lock when it fills a directory (rank 0 only under torchrun)."""
    if args.command not in DIRECTORY_OUTPUT or os.environ.get("RANK", "0") != "0":
        return int(args.run(args) or 0)
    with output_lock(out, f"wit {args.command}"):
        return int(args.run(args) or 0)


def input_paths(args: argparse.Namespace) -> list[tuple[str, Path]]:
    """``(argument, path)`` for every argument naming an existing local file or directory (the inputs)."""
    found = []
    for name, value in vars(args).items():
        if name in NOT_INPUTS:
            continue
        for item in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(item, (str, os.PathLike)) and str(item):
                try:
                    loc = storage.location(os.fspath(item))
                except (WitError, ValueError):
                    continue
                if isinstance(loc, Path) and loc.exists():
                    found.append((name, loc.resolve()))
    return found


def check_out(args: argparse.Namespace, out: Path) -> None:
    """Refuse an ``--out`` that is an existing file where a directory is written, or that is an input.

    A directory output must not be an input, hold one, or lie inside one; a file output must not be an input.
    """
    target = out.resolve()
    if args.command in DIRECTORY_OUTPUT and target.is_file():
        raise WitError(f"--out {out}: is an existing file; wit {args.command} writes a directory there")
    for name, source in input_paths(args):
        if source == target:
            raise WitError(f"--out {out}: is also the input; write to another directory")
        if args.command not in DIRECTORY_OUTPUT:
            continue
        if source.is_relative_to(target) or (target.is_relative_to(source) and name not in MODEL_INPUTS):
            inside = "inside the output" if source.is_relative_to(target) else "the output lies inside it"
            raise WitError(f"--out {out}: input {source} overlaps it ({inside}); write to another directory")


if __name__ == "__main__":
    sys.exit(main())
