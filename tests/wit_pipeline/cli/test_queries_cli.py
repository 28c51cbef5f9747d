"""``wit queries build``: a list from WordNet, unigrams and a manifest's PMI bigrams, per-source counts."""

from __future__ import annotations

import json
from pathlib import Path

from filters.queries import read_entries
from tests.filters.helpers import manifest_rows, write_manifest
from tests.wit_pipeline.cli.test_cli import assert_one_line_error, wit


def test_build_from_a_manifest_adds_its_bigrams(tmp_path: Path) -> None:
    captions = ["zorblax quintet on stage"] * 6 + ["a dog in the park"] * 3
    rows = manifest_rows([(f"http://img.example/{i}.jpg", c) for i, c in enumerate(captions)])
    manifest = write_manifest(tmp_path / "m", [rows[:4], rows[4:]])
    out = tmp_path / "q.txt"
    result = wit(
        "queries",
        "build",
        "--out",
        str(out),
        "--from",
        str(manifest),
        "--min-zipf",
        "5",
        "--min-pmi",
        "2",
        "--json",
        "--workers",
        "1",
        "--quiet",
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    entries = read_entries(out)
    assert report["entries"] == len(entries)
    assert report["sources"]["bigrams"]["added"] >= 1 and "zorblax quintet" in entries
    assert sum(s["added"] for s in report["sources"].values()) == len(entries)
    assert "dog" in entries and not {"a", "the", "in"} & set(entries)


def test_bad_manifest_and_language_are_one_line_errors(tmp_path: Path) -> None:
    assert_one_line_error(
        wit("queries", "build", "--out", str(tmp_path / "q"), "--from", str(tmp_path / "nope")), "nope"
    )
    assert_one_line_error(wit("queries", "build", "--out", str(tmp_path / "q"), "--lang", "xx"), "--lang xx")
