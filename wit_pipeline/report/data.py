"""Everything the report shows, gathered from a directory, with the reason for each section that has no data."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from wit_pipeline.layout.manifest_dir import QUERY_COUNTS_DIR, STATS_FILE
from wit_pipeline.model.run_dir import EVAL, METRICS
from wit_pipeline.report.dataset_data import (
    CaptionLengths,
    Languages,
    QueryCounts,
    caption_lengths,
    language_counts,
    query_counts,
    read_build_steps,
    read_funnel_for,
    read_shard_info,
)
from wit_pipeline.report.locate import ReportInputs, locate_inputs
from wit_pipeline.report.run_data import Training, read_evaluation, read_training
from wit_pipeline.report.samples import RejectGroup, Sample, reject_examples, sample_thumbnails

SECTIONS = (
    ("overview", "Overview"),
    ("funnel", "Funnel"),
    ("languages", "Caption languages"),
    ("caption-lengths", "Caption lengths"),
    ("queries", "Queries before and after balancing"),
    ("samples", "Sample of the dataset"),
    ("rejects", "Rejects per stage and reason"),
    ("training", "Training curves"),
    ("evaluation", "Evaluation"),
)


@dataclass(frozen=True)
class ReportOptions:
    """How much the report reads: thumbnails, reject examples, rows scanned, queries and curve points."""

    samples: int = 48
    thumb_size: int = 80
    rejects_per_reason: int = 3
    max_rows: int = 200_000
    max_reject_rows: int = 500_000
    top_queries: int = 20
    max_points: int = 1000


@dataclass
class ReportData:
    """The gathered data; a None field is a section without data, explained in ``absent[section id]``."""

    inputs: ReportInputs
    funnel: list[dict] | None = None
    steps: list[dict] | None = None
    shard_info: dict | None = None
    languages: Languages | None = None
    captions: CaptionLengths | None = None
    queries: QueryCounts | None = None
    samples: list[Sample] | None = None
    rejects: list[RejectGroup] | None = None
    training: Training | None = None
    evaluation: dict | None = None
    absent: dict[str, str] = field(default_factory=dict)


def _no_dataset(inputs: ReportInputs) -> str:
    if inputs.kind == "run":
        return (
            f"{inputs.root} is a training run directory, which holds no dataset; "
            "run wit report on the build or demo directory to see it"
        )
    return f"no manifest or shard directory found in {inputs.root}"


def gather(path: str | Path, options: ReportOptions | None = None) -> ReportData:
    """Read what ``path`` (a demo, build, shard, manifest or run directory) holds for every section."""
    options = options or ReportOptions()
    inputs = locate_inputs(path)
    data = ReportData(inputs=inputs)
    has_dataset = inputs.manifest is not None or inputs.shards is not None
    data.funnel = read_funnel_for(inputs)
    data.steps = read_build_steps(inputs)
    data.shard_info = read_shard_info(inputs)
    if data.funnel is None:
        data.absent["funnel"] = (
            f"no {STATS_FILE} or build.json with a funnel in {inputs.root} (wit import, crawl, filter, download "
            "and build write one)"
            if has_dataset
            else _no_dataset(inputs)
        )
    data.languages = language_counts(inputs, data.funnel, options.max_rows)
    if data.languages is None:
        data.absent["languages"] = (
            "no language stage in the funnel and no lang column in the kept rows: the data was not language-filtered"
            if has_dataset
            else _no_dataset(inputs)
        )
    data.captions = caption_lengths(inputs, options.max_rows)
    if data.captions is None:
        data.absent["caption-lengths"] = "the dataset holds no captions" if has_dataset else _no_dataset(inputs)
    data.queries = query_counts(inputs, options.top_queries)
    if data.queries is None:
        data.absent["queries"] = (
            f"no {QUERY_COUNTS_DIR} table in {inputs.manifest}: query matching and balancing did not run"
            if inputs.manifest is not None
            else f"no wit filter output (it writes {QUERY_COUNTS_DIR})"
            if has_dataset
            else _no_dataset(inputs)
        )
    if inputs.shards is not None:
        data.samples = sample_thumbnails(inputs.shards, options.samples, options.thumb_size) or None
        if data.samples is None:
            data.absent["samples"] = f"the shard tars in {inputs.shards} hold no images"
    else:
        data.absent["samples"] = (
            "no shard directory (sizes.json and NNNNN.tar): images exist only after wit download"
            if has_dataset
            else _no_dataset(inputs)
        )
    if has_dataset:
        data.rejects = reject_examples(
            inputs, data.funnel, options.rejects_per_reason, options.max_reject_rows, options.thumb_size
        )
        if not data.rejects:
            data.rejects = None
            data.absent["rejects"] = "no stage rejected anything"
    else:
        data.absent["rejects"] = _no_dataset(inputs)
    if inputs.run is not None:
        data.training = read_training(inputs.run, options.max_points)
        if not data.training.curves:
            data.absent["training"] = f"{inputs.run / METRICS} has no logged training steps yet"
    else:
        data.absent["training"] = f"no training run (a directory with {METRICS}) in {inputs.root}"
    if inputs.eval_file is not None:
        data.evaluation = read_evaluation(inputs.eval_file)
    else:
        data.absent["evaluation"] = (
            f"no {EVAL} in {inputs.root}"
            + (f" or {inputs.run}" if inputs.run and inputs.run != inputs.root else "")
            + " (wit eval RUN --data DIR writes it)"
        )
    return data
