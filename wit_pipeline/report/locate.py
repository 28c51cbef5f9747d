"""Find what a directory holds for the report: a demo, a build, a shard or manifest directory, or a run.

``wit report`` accepts any of them; each part it finds feeds the sections whose data it holds,
and what it does not find is named so the page can say why a section is empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from wit_pipeline.errors import WitError
from wit_pipeline.layout.build_dir import (
    DEMO_RUN_DIR,
    FILTERED_DIR,
    SHARDS_DIR,
    SOURCES_DIR,
    find_build,
)
from wit_pipeline.layout.manifest_dir import is_manifest_dir, rejects_location
from wit_pipeline.layout.shard_dir import is_shard_dir
from wit_pipeline.model.run_dir import EVAL, is_run_dir


@dataclass(frozen=True)
class ReportInputs:
    """The paths the report reads, each None when the directory does not hold that part."""

    root: Path
    kind: str
    build: Path | None = None
    manifest: Path | None = None
    shards: Path | None = None
    run: Path | None = None
    eval_file: Path | None = None
    reject_dirs: tuple[Path, ...] = ()


def _first(*candidates: Path | None) -> Path | None:
    return next((c for c in candidates if c is not None), None)


def locate_inputs(path: str | Path) -> ReportInputs:
    """What ``path`` holds: a demo output (build/ + run/ + eval.json), a build, shards, a manifest or a run."""
    root = Path(path)
    if not root.exists():
        raise WitError(f"{root}: no such directory")
    if not root.is_dir():
        raise WitError(f"{root}: not a directory (give a demo, build, shard, manifest or run directory)")
    build = find_build(root)
    shards = _first(
        build / SHARDS_DIR if build is not None and is_shard_dir(build / SHARDS_DIR) else None,
        root if is_shard_dir(root) else None,
    )
    manifest = _first(
        build / FILTERED_DIR if build is not None and is_manifest_dir(build / FILTERED_DIR) else None,
        root if shards != root and build != root and is_manifest_dir(root) else None,
    )
    run = root / DEMO_RUN_DIR if is_run_dir(root / DEMO_RUN_DIR) else root if is_run_dir(root) else None
    eval_file = _first(*(f for f in (root / EVAL, run / EVAL if run else None) if f and f.exists()))
    reject_dirs: list[Path] = []
    if build is not None and (build / SOURCES_DIR).is_dir():
        reject_dirs += [Path(rejects_location(p)) for p in sorted((build / SOURCES_DIR).iterdir()) if p.is_dir()]
    if manifest is not None:
        reject_dirs.append(Path(rejects_location(manifest)))
    reject_dirs = [d for d in reject_dirs if d.is_dir()]
    kinds = [
        name
        for name, found in (("build", build), ("shards", shards), ("manifest", manifest), ("run", run))
        if found is not None
    ]
    if not kinds:
        raise WitError(
            f"{root}: nothing to report (expected a wit demo, build, shard, manifest or training run directory)"
        )
    kind = "demo" if build is not None and build != root else kinds[0]
    return ReportInputs(
        root=root,
        kind=kind,
        build=build,
        manifest=manifest,
        shards=shards,
        run=run,
        eval_file=eval_file,
        reject_dirs=tuple(reject_dirs),
    )
