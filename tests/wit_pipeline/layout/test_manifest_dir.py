"""Real wit outputs open in pandas, pyarrow, dask and img2dataset as exactly their kept rows.

Also: the rejects folder opens as exactly the rejects, and directories written in the layout
before metadata moved under ``_`` names are still read by wit.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from crawlers.url_list_import import ImportOptions, import_lists
from crawlers.warc_crawl import crawl_warc
from filters.pipeline import filter_manifest
from tests.crawlers.warc_factory import html_response, write_warc
from tests.filters.helpers import QUERY_LIST, mixed_csv, read_rejects
from tests.wit_pipeline.readers import assert_every_reader_sees_exactly, part_uids
from wit_pipeline.cli.main import main
from wit_pipeline.config import FiltersConfig
from wit_pipeline.inspect import summarize_manifest, summarize_rejects
from wit_pipeline.layout import manifest_dir as layout
from wit_pipeline.layout.job_dir import SUCCESS
from wit_pipeline.report.locate import locate_inputs
from wit_pipeline.runtime.funnel import read_funnel


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """An import (several parts, rejects) and a filter of it (every step, query table)."""
    root = tmp_path_factory.mktemp("layout")
    import_lists([str(mixed_csv(root / "list.csv", 600))], root / "import", ImportOptions(rows_per_part=150))
    queries = root / "queries.txt"
    queries.write_text("\n".join(QUERY_LIST) + "\n", encoding="utf-8")
    filter_manifest(root / "import", root / "filter", filter_settings(queries), seed=0, progress=False)
    return {"import": root / "import", "filter": root / "filter", "queries": queries}


def filter_settings(queries: Path) -> FiltersConfig:
    return FiltersConfig(languages=["en"], queries=str(queries), query_cap=30)


@pytest.mark.parametrize("step", ["import", "filter"])
def test_manifest_opens_as_exactly_its_kept_rows(outputs: dict[str, Path], step: str) -> None:
    out = outputs[step]
    top = sorted(p.name for p in out.iterdir())
    assert [n for n in top if not layout.is_hidden(n)] == sorted(p.name for p in out.glob(layout.PART_GLOB))
    assert (out / layout.STATS_FILE).is_file() and (out / layout.REJECTS_DIR).is_dir()
    assert_every_reader_sees_exactly(out, part_uids(sorted(out.glob(layout.PART_GLOB))))


def test_rejects_folder_opens_as_exactly_the_rejects(outputs: dict[str, Path]) -> None:
    out = outputs["filter"]
    rejects = pd.read_parquet(out / layout.REJECTS_DIR)
    expected = read_rejects(out)
    assert len(rejects) == expected.num_rows > 0
    assert Counter(zip(rejects["stage"], rejects["reason"])) == Counter(
        zip(expected["stage"].to_pylist(), expected["reason"].to_pylist())
    )
    counts = pd.read_parquet(out / layout.QUERY_COUNTS_DIR)
    assert list(counts["query"]) == QUERY_LIST


def test_crawl_output_opens_as_exactly_its_kept_rows(tmp_path: Path) -> None:
    warc = tmp_path / "pages.warc.gz"
    page = b"<img src=/a.png alt='a red bicycle on a wall'><img src=/b.png alt=''><img src=/c.png alt='two dogs'>"
    write_warc(warc, [lambda w, i=i: html_response(w, f"http://a.example/{i}", page) for i in range(3)])
    crawl_warc([str(warc)], tmp_path / "out", progress=False)
    out = tmp_path / "out"
    assert any((out / layout.REJECTS_DIR).glob(layout.PART_GLOB)), "the crawl rejected the empty alt texts"
    assert_every_reader_sees_exactly(out, part_uids(sorted(out.glob(layout.PART_GLOB))))


def to_old_layout(src: Path, dst: Path) -> Path:
    """A copy of a new-layout output renamed to the layout wit wrote before (stats.json, rejects/)."""
    shutil.copytree(src, dst)
    (dst / layout.STATS_FILE).rename(dst / layout.OLD_STATS_FILE)
    (dst / layout.REJECTS_DIR).rename(dst / layout.OLD_REJECTS_DIR)
    counts = dst / layout.QUERY_COUNTS_DIR
    if counts.is_dir():
        (counts / layout.QUERY_COUNTS_PART).rename(dst / layout.OLD_QUERY_COUNTS)
        counts.rmdir()
    return dst


def test_old_layout_is_still_read(outputs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    new = outputs["filter"]
    old = to_old_layout(new, tmp_path / "old")
    assert layout.is_old_layout(old) and not layout.is_old_layout(new)
    assert read_funnel(old) == read_funnel(new) != []
    assert summarize_manifest(old)["rejects_by_reason"] == summarize_manifest(new)["rejects_by_reason"]
    assert summarize_rejects(old)["by_reason"] == summarize_rejects(new)["by_reason"]
    found = locate_inputs(old)
    assert found.manifest == old and found.reject_dirs == (old / layout.OLD_REJECTS_DIR,)
    assert layout.query_counts_location(old) == old / layout.OLD_QUERY_COUNTS
    assert summarize_manifest(old)["old_layout"] and not summarize_manifest(new)["old_layout"]
    assert main(["inspect", str(old)]) == 0 and "older wit" in capsys.readouterr().out
    # a finished old output rerun is not redone (its stats are read back) and gains no second query table
    stats = filter_manifest(outputs["import"], old, filter_settings(outputs["queries"]), progress=False)
    assert stats == layout_stats(new)
    assert not (old / layout.QUERY_COUNTS_DIR).exists() and not (old / layout.STATS_FILE).exists()
    # an old output as the next step's input: its funnel is carried over
    again = filter_manifest(old, tmp_path / "next", FiltersConfig(languages=[], query_matching=False), progress=False)
    assert [s["stage"] for s in again["funnel"]][: len(read_funnel(old))] == [s.stage for s in read_funnel(old)]


def layout_stats(directory: Path) -> dict:
    return json.loads((directory / layout.STATS_FILE).read_text(encoding="utf-8"))


def test_inspect_rejects(outputs: dict[str, Path], capsys: pytest.CaptureFixture) -> None:
    out = outputs["filter"]
    assert main(["inspect", str(out), "--rejects", "--rows", "3", "--stage", "language"]) == 0
    text = capsys.readouterr().out
    expected = read_rejects(out)
    n = sum(1 for s in expected["stage"].to_pylist() if s == "language")
    assert f"rows: {n} in" in text and "language/lang_not_wanted" in text
    assert text.count("    language/") == 3
    assert main(["inspect", str(out), "--stage", "language"]) == 2
    assert capsys.readouterr().err.strip() == "wit: error: --stage needs --rejects"


def test_a_move_into_place_an_older_wit_began_is_finished_in_the_new_layout(tmp_path: Path) -> None:
    """Killed after moving rejects into rejects/ but before stats and _SUCCESS: the rerun loses none of them."""
    csv = mixed_csv(tmp_path / "list.csv", 300)
    import_lists([str(csv)], tmp_path / "ref", ImportOptions(rows_per_part=100), progress=False)
    out = tmp_path / "out"
    import_lists([str(csv)], out, ImportOptions(rows_per_part=100), progress=False)
    (out / layout.REJECTS_DIR).rename(out / layout.OLD_REJECTS_DIR)
    for name in (layout.STATS_FILE, SUCCESS, layout.SUMMARY_FILE):
        (out / name).unlink()
    import_lists([str(csv)], out, ImportOptions(rows_per_part=100), progress=False)
    assert not (out / layout.OLD_REJECTS_DIR).exists()
    assert read_rejects(out).equals(read_rejects(tmp_path / "ref")) and read_rejects(out).num_rows > 0
    assert layout_stats(out) == layout_stats(tmp_path / "ref")
