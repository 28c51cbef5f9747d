"""wit import's library side: every format, column mapping, streaming, bad rows and files."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from crawlers.url_list_import import ImportOptions, import_lists, map_columns
from crawlers.url_list_readers import detect_format
from wit_pipeline.errors import WitError
from wit_pipeline.layout.manifest_dir import REJECTS_DIR


def kept_and_rejects(out: Path) -> tuple[pa.Table, pa.Table | None]:
    kept = pa.concat_tables(pq.read_table(p) for p in sorted(out.glob("part-*.parquet")))
    rej = sorted((out / REJECTS_DIR).glob("part-*.parquet"))
    return kept, (pa.concat_tables([pq.read_table(p) for p in rej], promote_options="permissive") if rej else None)


def test_laion_style_csv_maps_columns_keeps_extras_and_rejects_bad_rows(tmp_path: Path) -> None:
    src = tmp_path / "laion.csv"
    src.write_bytes(
        b"URL,TEXT,WIDTH,HEIGHT,similarity\n"
        b"http://a.com/1.jpg,a red bicycle,640,480,0.31\n"
        b"ftp://a.com/2.jpg,ftp is not http,1,1,0.2\n"
        b",no url here,1,1,0.2\n"
        b"http://a.com/3.jpg,,1,1,0.2\n"
        b"http://a.com/4.jpg,caf\xe9 latin-1 bytes,1,1,0.2\n"
        b'http://a.com/5.jpg,"quoted, with comma",10,20,0.5\n'
        b"http://a.com/6.jpg,too,many,fields,here,x\n"
    )
    stats = import_lists([str(src)], tmp_path / "out", progress=False)
    kept, rej = kept_and_rejects(tmp_path / "out")
    assert kept["url"].to_pylist() == ["http://a.com/1.jpg", "http://a.com/5.jpg"]
    assert kept["caption"].to_pylist() == ["a red bicycle", "quoted, with comma"]
    assert kept["width"].to_pylist() == [640, 10] and kept["width"].type == pa.int32()
    assert kept["similarity"].to_pylist() == ["0.31", "0.5"]
    reasons = sorted(rej["reason"].to_pylist())
    assert reasons == sorted(
        ["url_not_http", "missing_url", "empty_caption", "invalid_utf8", "csv_expected_5_fields_got_6"]
    )
    assert set(rej["input_file"].to_pylist()) == {str(src)}
    assert sorted(r for r in rej["input_row"].to_pylist()) == [3, 4, 5, 6, 8]
    (funnel,) = stats["funnel"]
    assert funnel["rows_in"] == 7 == funnel["kept"] + funnel["rejected_total"]


@pytest.mark.parametrize("fmt", ["tsv", "jsonl", "parquet", "csv.gz", "jsonl.gz"])
def test_formats_give_the_same_manifest(tmp_path: Path, fmt: str) -> None:
    rows = [
        {"url": f"http://h.org/{i}.png", "caption": f"picture number {i}", "page_url": "http://h.org/"}
        for i in range(25)
    ]
    path = tmp_path / f"list.{fmt}"
    if fmt == "parquet":
        pq.write_table(pa.Table.from_pylist(rows), path)
    elif fmt.startswith("jsonl"):
        text = "".join(json.dumps(r) + "\n" for r in rows)
        path.write_bytes(gzip.compress(text.encode()) if fmt.endswith(".gz") else text.encode())
    else:
        sep = "\t" if fmt == "tsv" else ","
        text = f"url{sep}caption{sep}page_url\n" + "".join(sep.join(r.values()) + "\n" for r in rows)
        path.write_bytes(gzip.compress(text.encode()) if fmt.endswith(".gz") else text.encode())
    import_lists([str(path)], tmp_path / "out", ImportOptions(rows_per_part=10), progress=False)
    kept, rej = kept_and_rejects(tmp_path / "out")
    assert rej is None
    assert kept["url"].to_pylist() == [r["url"] for r in rows]
    assert kept["page_url"].to_pylist() == ["http://h.org/"] * 25
    assert len(list((tmp_path / "out").glob("part-*.parquet"))) == 3


def test_jsonl_bad_lines_are_rejected_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "l.jsonl"
    path.write_bytes(
        b'{"url": "http://a.com/1.jpg", "text": "one fine day"}\n'
        b"{not json}\n"
        b"[1, 2]\n"
        b'{"url": "http://a.com/\xff", "text": "x"}\n'
        b'{"url": "http://a.com/2.jpg", "text": "two", "meta": {"k": 1}}\n'
    )
    stats = import_lists([str(path)], tmp_path / "out", progress=False)
    kept, rej = kept_and_rejects(tmp_path / "out")
    assert kept["caption"].to_pylist() == ["one fine day", "two"]
    assert sorted(rej["reason"].to_pylist()) == ["invalid_json", "invalid_utf8", "json_not_an_object"]
    assert sorted(rej["input_row"].to_pylist()) == [2, 3, 4]
    assert stats["funnel"][0]["rows_in"] == 5


def test_explicit_columns_and_missing_column_errors(tmp_path: Path) -> None:
    path = tmp_path / "l.csv"
    path.write_text("link,words\nhttp://a.com/1.jpg,hello world\n")
    with pytest.raises(WitError, match=r"no caption column .*pass --caption-col"):
        import_lists([str(path)], tmp_path / "o1", progress=False)
    import_lists([str(path)], tmp_path / "o2", ImportOptions(url_col="link", caption_col="words"), progress=False)
    kept, _ = kept_and_rejects(tmp_path / "o2")
    assert kept["caption"].to_pylist() == ["hello world"]
    with pytest.raises(WitError, match="no column 'nope' for --caption-col"):
        map_columns(["link", "words"], ImportOptions(url_col="link", caption_col="nope"), "l.csv")


def test_bad_files_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(WitError, match="no such file"):
        import_lists([str(tmp_path / "absent.csv")], tmp_path / "o", progress=False)
    (tmp_path / "x.xlsx").write_text("x")
    with pytest.raises(WitError, match="unsupported file type '.xlsx'"):
        import_lists([str(tmp_path / "x.xlsx")], tmp_path / "o", progress=False)
    pq.write_table(pa.table({"url": ["http://a/x"] * 100, "caption": ["c"] * 100}), tmp_path / "t.parquet")
    data = (tmp_path / "t.parquet").read_bytes()
    (tmp_path / "t.parquet").write_bytes(data[: len(data) // 2])
    with pytest.raises(WitError, match="unreadable parquet file") as info:
        import_lists([str(tmp_path / "t.parquet")], tmp_path / "o3", progress=False)
    assert "\n" not in str(info.value)
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(WitError, match="empty file"):
        import_lists([str(tmp_path / "empty.csv")], tmp_path / "o4", progress=False)


def test_directory_input_and_format_detection(tmp_path: Path) -> None:
    d = tmp_path / "lists"
    d.mkdir()
    (d / "a.csv").write_text("url,caption\nhttp://a.com/1.jpg,first one\n")
    (d / "b.tsv.gz").write_bytes(gzip.compress(b"url\tcaption\nhttp://a.com/2.jpg\tsecond one\n"))
    (d / "notes.md").write_text("ignored")
    import_lists([str(d)], tmp_path / "out", progress=False)
    kept, _ = kept_and_rejects(tmp_path / "out")
    assert kept["caption"].to_pylist() == ["first one", "second one"]
    assert detect_format("x.NDJSON.gz") == "jsonl" and detect_format("x.dat", "tsv") == "tsv"


def test_header_only_file_gives_empty_manifest(tmp_path: Path) -> None:
    (tmp_path / "h.csv").write_text("url,caption\n")
    stats = import_lists([str(tmp_path / "h.csv")], tmp_path / "out", progress=False)
    assert stats["rows_out"] == 0 and stats["funnel"][0]["rows_in"] == 0


def test_jsonl_of_broken_lines_only_rejects_each_with_its_reason(tmp_path: Path) -> None:
    # A file whose only line is broken names no column: the line is a reject, not "no caption column".
    (tmp_path / "one.jsonl").write_bytes(b'{"url": "http://a.com/1.jpg", "caption": broken\n')
    stats = import_lists([str(tmp_path / "one.jsonl")], tmp_path / "o1", progress=False)
    _, rej = kept_and_rejects(tmp_path / "o1")
    assert rej["reason"].to_pylist() == ["invalid_json"] and rej["input_row"].to_pylist() == [1]
    assert stats["rows_out"] == 0 and stats["funnel"][0]["rows_in"] == 1
    # Broken lines after the last full block come as a block of no rows: the same.
    (tmp_path / "tail.jsonl").write_bytes(
        b'{"url": "http://a.com/1.jpg", "caption": "one fine day"}\n'
        b'{"url": "http://a.com/2.jpg", "caption": "two fine days"}\n'
        b"[1]\n"
    )
    stats = import_lists(
        [str(tmp_path / "tail.jsonl")], tmp_path / "o2", ImportOptions(rows_per_part=2), progress=False
    )
    kept, rej = kept_and_rejects(tmp_path / "o2")
    assert kept["caption"].to_pylist() == ["one fine day", "two fine days"]
    assert rej["reason"].to_pylist() == ["json_not_an_object"] and rej["input_row"].to_pylist() == [3]
    assert stats["funnel"][0]["rows_in"] == 3
