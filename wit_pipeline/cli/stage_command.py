"""The skeleton of every stage command: config -> checks -> cluster -> stage -> resolved config -> funnel -> summary.

A stage command says only what is particular to it, in a ``prepare(args, config)`` that checks its
input before any cluster starts and returns a ``StageRun``; ``stage_command(prepare)`` is its ``run``.
A remote ``--out`` never reaches here: ``wit_pipeline.cli.main`` stages it, so ``args.out`` is local.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from distributed import Client

from wit_pipeline.cli.common import resolve_config
from wit_pipeline.config import BuildConfig, write_resolved
from wit_pipeline.runtime import open_client
from wit_pipeline.runtime.funnel import format_funnel, read_funnel


@dataclass(frozen=True)
class StageRun:
    """What a stage command runs on the cluster and what it prints after the funnel."""

    work: Callable[[Client], dict]  # runs the stage; returns its stats
    summary: Callable[[dict], str]  # the line(s) after the funnel, from the stats
    workers: int | None = None  # local cluster workers; None: [runtime] workers (default: cores)
    write_config: bool = True  # write the resolved config into --out (wit build writes its own)
    funnel_dir: Callable[[], Path] | None = None  # whose funnel is printed; None: --out


Prepare = Callable[[argparse.Namespace, BuildConfig], StageRun]


def stage_command(prepare: Prepare, config_arg: str | None = None) -> Callable[[argparse.Namespace], int]:
    """The ``run`` of a stage command; ``config_arg`` names a positional config argument (``wit build CONFIG``)."""

    def run(args: argparse.Namespace) -> int:
        config = resolve_config(args, getattr(args, config_arg) if config_arg else None)
        stage = prepare(args, config)
        rt = config.runtime
        workers = rt.workers if stage.workers is None else stage.workers
        with open_client(rt.scheduler, workers, quiet=args.quiet, dashboard=rt.dashboard) as client:
            stats = stage.work(client)
        if stage.write_config:
            write_resolved(config, args.out)
        print(format_funnel(read_funnel(stage.funnel_dir() if stage.funnel_dir else args.out)))
        print(stage.summary(stats))
        return 0

    run.__doc__ = prepare.__doc__
    return run
