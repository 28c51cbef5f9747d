"""``filter_manifest`` end to end: the funnel adds up, rejects are complete, resume, determinism."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import filters.pipeline as pipeline
from crawlers.url_list_import import ImportOptions, import_lists
from filters.pipeline import filter_manifest
from tests.filters.helpers import QUERY_LIST, mixed_csv, read_kept, read_rejects
from wit_pipeline.config import FiltersConfig
from wit_pipeline.errors import WitError
from wit_pipeline.layout.manifest_dir import STATS_FILE, query_counts_location

FILTER_STAGES = ["caption", "language", "dedup", "query_match", "balance"]


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("manifest")
    csv_path = mixed_csv(root / "list.csv", 1500)
    import_lists([str(csv_path)], root / "in", ImportOptions(rows_per_part=300), progress=False)
    return root / "in"


@pytest.fixture(scope="module")
def queries_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("queries") / "queries.txt"
    path.write_text("\n".join(QUERY_LIST) + "\n", encoding="utf-8")
    return path


def config(queries: Path, **overrides) -> FiltersConfig:
    return FiltersConfig(**{"languages": ["en"], "queries": str(queries), "query_cap": 60, **overrides})


def test_funnel_adds_up_and_rejects_hold_every_stage(tmp_path: Path, manifest: Path, queries_file: Path) -> None:
    stats = filter_manifest(manifest, tmp_path / "out", config(queries_file), seed=0, progress=False)
    funnel = stats["funnel"]
    assert [s["stage"] for s in funnel] == ["import", *FILTER_STAGES]
    for stage in funnel:
        assert (
            stage["rows_in"]
            == stage["kept"] + stage["rejected_total"]
            == stage["kept"] + sum(stage["rejected"].values())
        )
    for before, after in zip(funnel, funnel[1:]):
        assert after["rows_in"] == before["kept"]
    kept, rejects = read_kept(tmp_path / "out"), read_rejects(tmp_path / "out")
    assert kept.num_rows == stats["rows_out"] == funnel[-1]["kept"]
    assert kept.num_rows + rejects.num_rows == funnel[0]["kept"]
    by_stage: dict[str, dict[str, int]] = {}
    for stage, reason in zip(rejects["stage"].to_pylist(), rejects["reason"].to_pylist()):
        by_stage.setdefault(stage, {}).setdefault(reason, 0)
        by_stage[stage][reason] += 1
    for stage in funnel[1:]:
        assert by_stage.get(stage["stage"], {}) == stage["rejected"]
    assert {"filename", "generic_alt_text", "too_few_words"} <= set(funnel[1]["rejected"])
    assert funnel[2]["rejected"]["lang_not_wanted"] > 0 and funnel[3]["rejected"]["duplicate_url"] > 0
    assert funnel[5]["rejected"]["query_cap"] > 0
    assert set(kept["lang"].to_pylist()) == {"en"}
    assert len(set(kept["url"].to_pylist())) == kept.num_rows
    assert not (tmp_path / "out" / "_stages").exists()


def test_query_table_counts_before_and_after_balancing(tmp_path: Path, manifest: Path, queries_file: Path) -> None:
    filter_manifest(manifest, tmp_path / "out", config(queries_file), seed=0, progress=False)
    table = pq.read_table(query_counts_location(tmp_path / "out")).to_pylist()
    assert [r["query"] for r in table] == QUERY_LIST
    kept = read_kept(tmp_path / "out")
    for row in table:
        assert row["kept"] == sum(row["query_id"] in q for q in kept["queries"].to_pylist())
        assert row["kept"] <= row["matched"]
        assert row["keep_probability"] == pytest.approx(min(1.0, 60 / max(row["matched"], 1)))
        if row["matched"] <= 60:
            assert row["kept"] == row["matched"]


def test_rerun_after_a_kill_redoes_only_what_is_missing(
    tmp_path: Path, manifest: Path, queries_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = config(queries_file, keep_intermediate=True)
    reference = tmp_path / "reference"
    filter_manifest(manifest, reference, settings, seed=0, progress=False)

    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "write_counts", killed)
    with pytest.raises(KeyboardInterrupt):
        filter_manifest(manifest, tmp_path / "out", settings, seed=0, progress=False)
    clean_marker = tmp_path / "out" / "_stages" / "clean" / "_SUCCESS"
    stamp = clean_marker.stat().st_mtime_ns
    monkeypatch.undo()
    stats = filter_manifest(manifest, tmp_path / "out", settings, seed=0, progress=False)
    assert clean_marker.stat().st_mtime_ns == stamp
    assert stats["funnel"] == json.loads((reference / STATS_FILE).read_text())["funnel"]
    assert read_kept(tmp_path / "out").equals(read_kept(reference))
    assert read_rejects(tmp_path / "out").equals(read_rejects(reference))


def test_same_survivors_on_a_cluster_with_other_partitioning(
    tmp_path: Path, manifest: Path, queries_file: Path, dask_client
) -> None:
    serial = filter_manifest(manifest, tmp_path / "serial", config(queries_file), seed=3, progress=False)
    repartitioned = tmp_path / "in7"
    csv_path = mixed_csv(tmp_path / "list.csv", 1500)
    import_lists([str(csv_path)], repartitioned, ImportOptions(rows_per_part=217), progress=False)
    clustered = filter_manifest(
        repartitioned, tmp_path / "cluster", config(queries_file), seed=3, client=dask_client, progress=False
    )
    assert clustered["funnel"] == serial["funnel"] and clustered["parts"] != serial["parts"]
    assert sorted(read_kept(tmp_path / "cluster")["uid"].to_pylist()) == sorted(
        read_kept(tmp_path / "serial")["uid"].to_pylist()
    )


def test_refuses_other_settings_foreign_directories_and_bad_config(
    tmp_path: Path, manifest: Path, queries_file: Path
) -> None:
    filter_manifest(manifest, tmp_path / "out", config(queries_file, query_matching=False), progress=False)
    with pytest.raises(WitError, match="other inputs or settings"):
        filter_manifest(manifest, tmp_path / "out", config(queries_file), progress=False)
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(WitError, match="not empty"):
        filter_manifest(manifest, foreign, config(queries_file), progress=False)
    with pytest.raises(WitError, match="filters.dedup_key"):
        filter_manifest(manifest, tmp_path / "x", config(queries_file, dedup_key="md5"), progress=False)
    with pytest.raises(WitError, match="no such manifest"):
        filter_manifest(tmp_path / "missing", tmp_path / "y", config(queries_file), progress=False)


def test_everything_optional_can_be_switched_off(tmp_path: Path, manifest: Path, queries_file: Path) -> None:
    settings = config(
        queries_file, dedup_key="none", lang_backend="none", languages=[], caption_rules=False, query_matching=False
    )
    stats = filter_manifest(manifest, tmp_path / "out", settings, progress=False)
    assert [s["stage"] for s in stats["funnel"]] == ["import"]
    assert read_kept(tmp_path / "out").num_rows == stats["funnel"][0]["kept"]
