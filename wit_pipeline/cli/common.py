"""Options every command shares, and turning flags into config overrides."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from wit_pipeline import storage
from wit_pipeline.config import BuildConfig, apply_overrides, load_config
from wit_pipeline.errors import WitError

SUPPRESS = argparse.SUPPRESS


def default_of(key: str) -> str:
    """The default of config setting ``section.name``, as help text shows it (declared once, in config.py)."""
    section, name = key.split(".")
    value = getattr(getattr(BuildConfig(), section), name)
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def runtime_group(parser: argparse.ArgumentParser) -> argparse._ArgumentGroup:
    """The "runtime" flag group, opened with --config (the TOML file every command's flags override)."""
    group = parser.add_argument_group("runtime")
    group.add_argument("--config", metavar="FILE", help="TOML config file (flags override its values)")
    return group


def add_common(parser: argparse.ArgumentParser) -> None:
    """--config, --scheduler, --workers, --dashboard, --seed, --quiet."""
    group = runtime_group(parser)
    group.add_argument(
        "--scheduler",
        dest="runtime.scheduler",
        metavar="ADDRESS",
        default=os.environ.get("WIT_SCHEDULER"),
        help="address of an existing dask scheduler (default: $WIT_SCHEDULER, else a local cluster)",
    )
    group.add_argument(
        "--workers",
        dest="runtime.workers",
        type=int,
        metavar="N",
        help="local cluster worker processes (default: cores)",
    )
    group.add_argument(
        "--dashboard",
        dest="runtime.dashboard",
        metavar="HOST:PORT",
        help=f"where a local cluster's dask dashboard listens (default {default_of('runtime.dashboard')}, "
        "loopback only; "
        "0.0.0.0:8787 exposes it to the network)",
    )
    group.add_argument(
        "--seed",
        dest="runtime.seed",
        type=int,
        help=f"seed for every random choice (default {default_of('runtime.seed')})",
    )
    group.add_argument("--quiet", action="store_true", help="no progress bars or cluster banner")


def resolve_config(args: argparse.Namespace, config_path: str | None = None) -> BuildConfig:
    """Config file (``config_path`` or --config) with every dotted-key flag applied over it."""
    config = load_config(config_path or getattr(args, "config", None))
    overrides = {k: v for k, v in vars(args).items() if "." in k}
    return apply_overrides(config, overrides, origin="command line")


def out_path(value: str) -> Path | str:
    """--out: a path or ``file://`` URL (made absolute), or another fsspec URL (kept as a string)."""
    try:
        return storage.location(value)
    except WitError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
