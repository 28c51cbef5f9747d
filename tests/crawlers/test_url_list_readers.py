"""TSV is not CSV: no quoting by default, CSV-style quotes on request, a runaway quote is an error naming its line."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from crawlers.url_list_import import ImportOptions, import_lists
from crawlers.url_list_readers import MAX_QUOTED_LINES, read_blocks
from wit_pipeline.errors import WitError


def rows(n: int, bad: int | None = None, sep: str = "\t") -> str:
    lines = [f"url{sep}caption"]
    for i in range(n):
        caption = f'"an unclosed quote in row {i}' if i == bad else f"a photo number {i}"
        lines.append(f"http://a.com/{i}.jpg{sep}{caption}")
    return "\n".join(lines) + "\n"


def read_all(path: Path, fmt: str, quoted_tsv: bool = False) -> pa.Table:
    return pa.concat_tables(b.table for b in read_blocks(str(path), fmt, 300, quoted_tsv))


def test_a_tsv_quote_is_a_character_and_every_row_arrives(tmp_path: Path) -> None:
    src = tmp_path / "list.tsv"
    src.write_text(rows(1000, bad=10) + 'http://a.com/x.jpg\t"quoted"\t\n'.replace("\t\n", "\n"))
    table = read_all(src, "tsv")
    oracle = pd.read_csv(src, sep="\t", quoting=csv.QUOTE_NONE, dtype=str, keep_default_na=False)
    assert table.num_rows == len(oracle) == 1001
    assert [c.decode() for c in table["caption"].to_pylist()] == oracle["caption"].tolist()
    assert (
        table["caption"][10].as_py() == b'"an unclosed quote in row 10' and table["caption"][-1].as_py() == b'"quoted"'
    )
    stats = import_lists([str(src)], tmp_path / "out", progress=False)
    assert stats["funnel"][0]["rows_in"] == stats["funnel"][0]["kept"] == 1001
    kept = pa.concat_tables(pq.read_table(p) for p in sorted((tmp_path / "out").glob("part-*.parquet")))
    assert kept.num_rows == 1001 and kept["caption"][10].as_py() == '"an unclosed quote in row 10'


def test_quoted_tsv_reads_quotes_on_request(tmp_path: Path) -> None:
    src = tmp_path / "list.tsv"
    src.write_text('url\tcaption\nhttp://a.com/1.jpg\t"a tab\there, and ""quotes"""\nhttp://a.com/2.jpg\tplain\n')
    table = read_all(src, "tsv", quoted_tsv=True)
    assert table["caption"].to_pylist() == [b'a tab\there, and "quotes"', b"plain"]
    assert read_all(src, "tsv")["caption"].to_pylist() == [b"plain"]  # unquoted: the tab makes a 3-field row
    import_lists([str(src)], tmp_path / "out", ImportOptions(tsv_quoted=True), progress=False)
    kept = pq.read_table(next((tmp_path / "out").glob("part-*.parquet")))
    assert kept["caption"].to_pylist() == ['a tab\there, and "quotes"', "plain"]


@pytest.mark.parametrize("fmt", ["csv", "tsv"])
def test_a_quoted_field_spanning_hundreds_of_lines_is_an_error_naming_its_line(tmp_path: Path, fmt: str) -> None:
    src = tmp_path / f"list.{fmt}"
    src.write_text(rows(1000, bad=10, sep="," if fmt == "csv" else "\t"))
    with pytest.raises(WitError, match=rf"list.{fmt}: the row at line 12 opens a quoted field .*{MAX_QUOTED_LINES}"):
        read_all(src, fmt, quoted_tsv=True)
    with pytest.raises(WitError, match="line 12"):
        import_lists([str(src)], tmp_path / "out", ImportOptions(tsv_quoted=True), progress=False)


def test_short_multiline_quoted_captions_still_read_and_later_lines_are_counted(tmp_path: Path) -> None:
    text = 'url,caption\nhttp://a.com/0.jpg,"two\nlines"\nhttp://a.com/1.jpg,fine\n'
    text += "".join(f"http://a.com/{i}.jpg,fine {i}\n" for i in range(2, 40))
    text += 'http://a.com/40.jpg,"' + "x\n" * (MAX_QUOTED_LINES + 5) + '"\n'
    src = tmp_path / "list.csv"
    src.write_text(text)
    with pytest.raises(WitError, match="line 43 opens"):  # header 1, a 2-line row (2-3), 39 rows (4-42)
        read_all(src, "csv")
    src.write_text(text.rsplit("http://a.com/40.jpg", 1)[0])
    assert read_all(src, "csv")["caption"].to_pylist()[0] == b"two\nlines"


def test_a_runaway_quote_in_the_first_row_names_line_2(tmp_path: Path) -> None:
    src = tmp_path / "list.csv"
    src.write_text(rows(300, bad=0, sep=","))
    with pytest.raises(WitError, match="the row at line 2 opens"):
        read_all(src, "csv")
