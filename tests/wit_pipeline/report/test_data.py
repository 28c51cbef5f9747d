"""What the report gathers: funnel, languages, caption lengths, queries, samples, rejects, curves, eval."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from tests.wit_pipeline.report.helpers import CAPTIONS, FUNNEL, HOSTILE, write_run
from wit_pipeline.layout.manifest_dir import STATS_FILE
from wit_pipeline.report import ReportOptions, gather
from wit_pipeline.report.dataset_data import _bins
from wit_pipeline.report.run_data import read_training


def test_demo_tree_fills_every_section(demo_tree: Path) -> None:
    data = gather(demo_tree)
    assert data.absent == {}
    assert [s["stage"] for s in data.funnel] == [s["stage"] for s in FUNNEL]
    assert data.steps[0]["step"] == "crawl html" and data.shard_info["samples"] == 6
    assert data.languages.counts == [("en", 9), ("de", 1), ("fr", 1)] and data.languages.wanted == {"en"}
    assert data.captions.captions == 6  # the success rows of the shard parquets only
    assert sum(data.captions.chars.counts) == sum(data.captions.words.counts) == 6
    assert data.queries.top == [("circle", 6, 4), ("<script>q</script>", 2, 2), ("square", 1, 1)]
    assert (data.queries.queries, data.queries.matched_queries, data.queries.capped_queries) == (4, 3, 1)
    assert data.queries.cap == 3
    head, tail, matched = data.queries.distribution  # circle is the head (6 > t = 3); the others the tail
    assert (head["count"], head["pairs_before"], head["pairs_after"]) == (1, 6, 4)
    assert (tail["count"], tail["pairs_before"], tail["pairs_after"]) == (2, 3, 3)
    assert matched["count"] == 3
    assert data.training.curves["loss"][0][0] == 1 and data.training.evals[0]["eval/zeroshot/acc1"] == 0.75
    assert data.evaluation["results"]["zeroshot"]["acc1"] == 0.75


def test_samples_are_inlined_thumbnails_spread_over_the_tars(demo_tree: Path) -> None:
    data = gather(demo_tree, ReportOptions(samples=4, thumb_size=16))
    assert [s.key for s in data.samples] == ["00000000", "00000001", "00000004", "00000005"]
    assert all(s.image.startswith("data:image/jpeg;base64,") for s in data.samples)
    assert data.samples[1].caption == HOSTILE


def test_rejects_in_funnel_order_with_examples_and_counts(demo_tree: Path) -> None:
    groups = gather(demo_tree, ReportOptions(rejects_per_reason=1)).rejects
    keys = [(g.stage, g.reason) for g in groups]
    assert keys == [(s["stage"], r) for s in FUNNEL for r in s["rejected"]]
    by_key = {(g.stage, g.reason): g for g in groups}
    assert by_key[("language", "lang_not_wanted")].count == 2
    assert len(by_key[("language", "lang_not_wanted")].examples) == 1  # capped per reason
    assert by_key[("dedup", "duplicate_url")].examples[0].detail == "duplicate of abc123"
    download = by_key[("download", "http_404")].examples[0]
    assert download.detail == "http_404: http://x.test/4.jpg" and download.image is None
    duplicate = by_key[("image_filter", "exact_duplicate")].examples[0]
    assert duplicate.caption == "a yellow duplicate" and duplicate.image.startswith("data:image/jpeg")


def test_a_run_directory_says_why_the_dataset_sections_are_empty(demo_tree: Path) -> None:
    data = gather(demo_tree / "run")
    assert data.funnel is None and data.samples is None and data.training is not None
    for section in ("funnel", "languages", "caption-lengths", "queries", "samples", "rejects"):
        assert "training run directory, which holds no dataset" in data.absent[section]
    assert "no eval.json" in data.absent["evaluation"]


def test_a_shard_directory_has_no_queries_or_run(demo_tree: Path) -> None:
    data = gather(demo_tree / "build" / "shards")
    assert data.funnel and data.samples and data.captions
    assert set(data.absent) == {"queries", "training", "evaluation"}


def test_language_fallback_reads_the_lang_column_bounded(tmp_path: Path) -> None:
    pq.write_table(
        pa.table({"url": ["u"] * 5, "caption": ["a b"] * 5, "lang": ["en", "en", "de", None, "en"]}),
        tmp_path / "part-00000.parquet",
    )
    (tmp_path / STATS_FILE).write_text(json.dumps({"funnel": [FUNNEL[0]]}), encoding="utf-8")
    data = gather(tmp_path, ReportOptions(max_rows=4))
    assert data.inputs.kind == "manifest"
    assert data.languages.counts == [("en", 2), ("de", 1), ("unknown", 1)]
    assert "first rows only" in data.languages.source
    assert data.captions.captions == 4 and data.captions.truncated


def test_query_cap_inferred_when_not_recorded(demo_tree: Path, tmp_path: Path) -> None:
    manifest = tmp_path / "filtered"
    shutil.copytree(demo_tree / "build" / "filtered", manifest)
    (manifest / "_filter.json").unlink()
    queries = gather(manifest).queries
    assert queries.cap == 3 and queries.top[0] == ("circle", 6, 4)


def test_histogram_bins_round_widths_and_overflow() -> None:
    words = _bins(sorted([1, 2, 2, 3, 3, 3]))
    assert words.labels == ["0", "1", "2", "3"] and words.counts == [0, 1, 2, 3]
    chars = _bins(sorted(list(range(0, 100)) + [10_000]))
    assert sum(chars.counts) == 101 and chars.labels[-1].startswith("≥") and chars.counts[-1] >= 1
    assert chars.labels[0] == "0–4"


def test_long_metrics_are_thinned_but_keep_the_ends(tmp_path: Path) -> None:
    write_run(tmp_path, steps=5000)
    training = read_training(tmp_path, max_points=100)
    steps, losses = training.curves["loss"]
    assert 100 <= len(steps) <= 201 and steps[0] == 1 and steps[-1] == 5000
    assert steps == sorted(steps) and losses[-1] == 4.0 / 5000
    assert training.logged == 5001 and training.summary["steps"] == 5000 and training.finished


def test_captions_come_from_the_shards_success_rows(demo_tree: Path) -> None:
    data = gather(demo_tree)
    lengths = sorted(len(c) for c in CAPTIONS)
    assert data.captions.median_chars == lengths[len(lengths) // 2]
