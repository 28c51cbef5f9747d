"""The real ``wit filter`` entry point in a subprocess, and its flags mapping onto [filters]."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from crawlers.url_list_import import ImportOptions, import_lists
from tests.filters.helpers import QUERY_LIST, mixed_csv, read_kept
from wit_pipeline.cli import filter_cmd
from wit_pipeline.cli.common import resolve_config
from wit_pipeline.cli.main import main
from wit_pipeline.layout.manifest_dir import STATS_FILE, query_counts_location

WIT = Path(sys.executable).with_name("wit")


def wit(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(WIT), *args], capture_output=True, text=True, timeout=240)


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    filter_cmd.register(parser.add_subparsers())
    return parser.parse_args(["filter", *argv])


def test_flags_override_the_config_file(tmp_path: Path) -> None:
    cfg = tmp_path / "wit.toml"
    cfg.write_text('[filters]\nlanguages = ["fr"]\nquery_cap = 5\nmin_words = 4\n', encoding="utf-8")
    args = parse("in", "--out", "o", "--config", str(cfg), "--lang", "en,de", "--dedup-key", "uid", "--near-dup")
    filters = resolve_config(args).filters
    assert filters.languages == ["en", "de"] and filters.dedup_key == "uid" and filters.near_dup
    assert filters.query_cap == 5 and filters.min_words == 4 and filters.caption_rules
    assert resolve_config(parse("in", "--out", "o", "--lang", "all", "--no-caption-rules")).filters.languages == []


def test_wit_filter_runs_end_to_end_and_reports_user_errors(tmp_path: Path) -> None:
    import_lists([str(mixed_csv(tmp_path / "list.csv", 400))], tmp_path / "in", ImportOptions(rows_per_part=150))
    queries = tmp_path / "queries.json"
    queries.write_text(str(QUERY_LIST).replace("'", '"'), encoding="utf-8")
    out = tmp_path / "out"
    args = ["filter", str(tmp_path / "in"), "--out", str(out), "--workers", "2", "--quiet", "--queries", str(queries)]
    result = wit(*args, "--query-cap", "20", "--lang", "en")
    assert result.returncode == 0, result.stderr
    assert "wit filter:" in result.stdout and "query_match" in result.stdout and "balance" in result.stdout
    kept = read_kept(out)
    assert kept.num_rows > 0 and set(kept["lang"].to_pylist()) == {"en"}
    assert pq.read_table(query_counts_location(out)).num_rows == len(QUERY_LIST)
    assert (out / "_config.toml").exists() and (out / STATS_FILE).exists()

    failed = wit("filter", str(tmp_path / "missing"), "--out", str(tmp_path / "x"), "--quiet")
    assert failed.returncode == 2 and "Traceback" not in failed.stderr
    assert failed.stderr.strip().splitlines() == [f"wit: error: {tmp_path / 'missing'}: no such manifest directory"]


def test_user_errors_exit_2_with_one_line_before_any_cluster_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    import_lists([str(mixed_csv(tmp_path / "list.csv", 50))], tmp_path / "in", ImportOptions(rows_per_part=50))
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine")
    for args, fragment in [
        (["--lang", "an"], "filters.languages: 'an'"),
        (["--queries", "/dev/null"], "has no entries"),
        (["--dedup-key", "none", "--near-dup"], "filters.near_dup"),
        (["--min-lang-score", "2"], "filters.min_lang_score"),
    ]:
        code = main(["filter", str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--quiet", *args])
        err = capsys.readouterr().err.strip().splitlines()
        assert code == 2 and len(err) == 1 and fragment in err[0], err
    assert main(["filter", str(tmp_path / "in"), "--out", str(tmp_path / "taken"), "--quiet"]) == 2
    assert "not empty" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
