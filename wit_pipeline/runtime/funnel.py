"""The funnel in ``_stats.json``: rows in, kept and rejected per reason, for every stage so far."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from wit_pipeline import storage
from wit_pipeline.atomic_files import write_json
from wit_pipeline.errors import WitError
from wit_pipeline.layout.manifest_dir import STATS_FILE, stats_location
from wit_pipeline.runtime.results import StageCounters


def merge_counters(groups: Iterable[Iterable[StageCounters]]) -> list[StageCounters]:
    """Sum counters of the same stage across partitions, keeping first-seen stage order."""
    merged: dict[str, StageCounters] = {}
    for group in groups:
        for c in group:
            merged.setdefault(c.stage, StageCounters(stage=c.stage)).add(c)
    return list(merged.values())


def read_funnel(directory: str | Path) -> list[StageCounters]:
    """The funnel recorded in ``directory/_stats.json`` (local or fsspec URL); empty if it has none."""
    path = stats_location(directory)
    if path is None:
        return []
    try:
        return [StageCounters.from_dict(s) for s in _read(path)["funnel"]]
    except (KeyError, TypeError) as exc:
        raise WitError(f"{path}: not a wit stats file ({exc})") from None


def read_stats(directory: str | Path) -> dict:
    """The whole stats record of a finished job's ``directory`` (an old ``stats.json`` too)."""
    path = stats_location(directory)
    if path is None:
        raise WitError(f"{directory}: no {STATS_FILE}: the job that writes it has not finished; rerun it")
    return _read(path)


def _read(path: storage.Location) -> dict:
    try:
        data = storage.read_json(path)
    except ValueError as exc:
        raise WitError(f"{path}: not a wit stats file ({exc})") from None
    if not isinstance(data, dict):
        raise WitError(f"{path}: not a wit stats file (expected a JSON object)")
    return data


def write_stats(out_dir: Path, stages: list[StageCounters], upstream: list[StageCounters], info: dict) -> dict:
    """Write ``_stats.json`` with the upstream funnel followed by this job's stages."""
    data = {
        "funnel": [s.to_dict() for s in upstream + stages],
        "rows_out": stages[-1].kept if stages else (upstream[-1].kept if upstream else 0),
        **info,
    }
    write_json(out_dir / STATS_FILE, data)
    return data


def format_funnel(stages: list[StageCounters]) -> str:
    """A short human-readable funnel table for CLI summaries."""
    lines = [f"{'stage':<18}{'in':>10}{'kept':>10}{'rejected':>10}  reasons"]
    for s in stages:
        reasons = ", ".join(f"{k}={v}" for k, v in s.rejected.most_common())
        lines.append(f"{s.stage:<18}{s.rows_in:>10}{s.kept:>10}{s.rejected_total:>10}  {reasons}")
    return "\n".join(lines)
