"""One-line errors for bad files and rejects for bad lines: deep JSON, huge ints, surrogates, UTF-16, bad columns."""

from __future__ import annotations

import errno
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from crawlers.url_list_import import import_lists
from wit_pipeline.cli.main import main
from wit_pipeline.errors import WitError


def imported(src: Path, out: Path) -> tuple[pa.Table, pa.Table, dict]:
    stats = import_lists([str(src)], out, progress=False)
    kept = pa.concat_tables(pq.read_table(p) for p in sorted(out.glob("part-*.parquet")))
    rejects = pa.concat_tables(
        [pq.read_table(p) for p in sorted((out / "_rejects").glob("part-*.parquet"))], promote_options="permissive"
    )
    return kept, rejects, stats["funnel"][0]


def test_bad_jsonl_lines_are_rejects_with_reasons(tmp_path: Path) -> None:
    src = tmp_path / "list.jsonl"
    lines = [
        '\ufeff{"url": "http://a.com/0.jpg", "caption": "first line after a UTF-8 byte-order mark"}',
        '{"url": "http://a.com/1.jpg", "caption": "' + "x" * 10 + '", "deep": ' + "[" * 200_000 + "]" * 200_000 + "}",
        '{"url": "http://a.com/2.jpg", "caption": "a lone \\ud800 surrogate"}',
        '{"url": "http://a.com/3.jpg", "caption": "a real pair \\ud83d\\ude00 is fine"}',
        '{"url": "http://a.com/4.jpg", "caption": "a huge id", "id": 123456789012345678901234567890}',
        '{"url": "http://a.com/5.jpg", "caption": "a small id", "id": 7}',
    ]
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    kept, rejects, funnel = imported(src, tmp_path / "out")
    assert kept["caption"].to_pylist() == [
        "first line after a UTF-8 byte-order mark",
        "a real pair \U0001f600 is fine",
        "a huge id",
        "a small id",
    ]
    assert kept["id"].to_pylist() == [None, None, "123456789012345678901234567890", "7"]  # beyond int64: text
    assert sorted(zip(rejects["input_row"].to_pylist(), rejects["reason"].to_pylist())) == [
        (2, "json_too_deep"),
        (3, "lone_surrogate"),
    ]
    assert funnel["rows_in"] == 6 and funnel["kept"] == 4


@pytest.mark.parametrize("bom", [b"\xff\xfe", b"\xfe\xff"])
@pytest.mark.parametrize("name", ["list.csv", "list.jsonl"])
def test_a_utf16_file_is_one_line(tmp_path: Path, bom: bytes, name: str) -> None:
    codec = "utf-16-le" if bom == b"\xff\xfe" else "utf-16-be"
    (tmp_path / name).write_bytes(bom + "url,caption\nhttp://a.com/1.jpg,a cat\n".encode(codec))
    with pytest.raises(WitError, match=f"{name}: the file is UTF-16 .byte-order mark.; .* must be UTF-8"):
        import_lists([str(tmp_path / name)], tmp_path / "out", progress=False)


def test_duplicate_column_names_are_one_line(tmp_path: Path) -> None:
    (tmp_path / "list.csv").write_text("url,caption,caption\nhttp://a.com/1.jpg,a cat,another\n")
    with pytest.raises(WitError, match="list.csv: column name 'caption' appears twice"):
        import_lists([str(tmp_path / "list.csv")], tmp_path / "out", progress=False)
    table = pa.Table.from_arrays(
        [pa.array(["http://a.com/1.jpg"]), pa.array(["a"]), pa.array(["b"])], names=["url", "caption", "caption"]
    )
    pq.write_table(table, tmp_path / "dup.parquet")
    with pytest.raises(WitError, match="dup.parquet: column name 'caption' appears twice"):
        import_lists([str(tmp_path / "dup.parquet")], tmp_path / "out2", progress=False)


@pytest.mark.parametrize(
    ("url", "caption", "bad", "kind"),
    [
        (pa.array([["http://a.com/1.jpg"]]), pa.array(["a cat"]), "url", "list<element: string>"),
        (pa.array(["http://a.com/1.jpg"]), pa.array([{"text": "a cat"}]), "caption", "struct<text: string>"),
        (pa.array([12345]), pa.array(["a cat"]), "url", "int64"),
    ],
)
def test_url_and_caption_columns_must_be_text(tmp_path: Path, url, caption, bad: str, kind: str) -> None:
    pq.write_table(pa.table({"url": url, "caption": caption}), tmp_path / "list.parquet")
    with pytest.raises(WitError, match=rf"list.parquet: column '{bad}' .rows 1-1. holds {kind}, but the {bad} col"):
        import_lists([str(tmp_path / "list.parquet")], tmp_path / "out", progress=False)


def test_a_full_disk_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    (tmp_path / "list.csv").write_text("url,caption\nhttp://a.com/1.jpg,a cat\n")

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "out" / "part-00000.parquet"))

    monkeypatch.setattr("wit_pipeline.cli.import_cmd.import_lists", full)
    assert (
        main(["import", str(tmp_path / "list.csv"), "--out", str(tmp_path / "out"), "--workers", "1", "--quiet"]) == 2
    )
    err = capsys.readouterr().err.strip()
    assert (
        err == f"wit: error: {tmp_path / 'out' / 'part-00000.parquet'}: no space left on the device (or quota "
        "exceeded); free some and rerun the command to resume"
    )
