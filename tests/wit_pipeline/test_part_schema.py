"""One schema per manifest across import parts; input columns never collide with wit's or img2dataset's own."""

from __future__ import annotations

import json
from pathlib import Path

import dask.dataframe as dd
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from crawlers.url_list_import import ImportOptions, import_lists
from wit_pipeline.download.shard_task import SAMPLE_FIELDS, _rename_hints
from wit_pipeline.part_schema import unified_type


def test_the_type_rule() -> None:
    assert unified_type([pa.int64(), pa.null(), pa.int64()]) == pa.int64()
    assert unified_type([pa.int32(), pa.int64()]) == pa.int64()
    assert unified_type([pa.int64(), pa.float64()]) == pa.float64()
    assert unified_type([pa.int64(), pa.string()]) == pa.string()
    assert unified_type([pa.list_(pa.int64()), pa.int64()]) == pa.string()
    assert unified_type([pa.null(), pa.null()]) == pa.string()


def test_import_parts_share_one_schema_that_every_reader_opens(tmp_path: Path) -> None:
    records = [
        {"url": "http://a.com/0.jpg", "caption": "photo zero", "score": 1, "tags": ["a"]},
        {"url": "http://a.com/1.jpg", "caption": "photo one", "score": 2},
        {"url": "http://a.com/2.jpg", "caption": "photo two", "score": "high", "only_here": True},
        {"url": "http://a.com/3.jpg", "caption": "photo three", "score": "low"},
        {"url": "http://a.com/4.jpg", "caption": "photo four", "score": 1.5, "tags": {"k": 1}},
        {"url": "ftp://a.com/5.jpg", "caption": "rejected", "score": 7},
    ]
    src = tmp_path / "list.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in records))
    out = tmp_path / "out"
    import_lists([str(src)], out, ImportOptions(rows_per_part=2), progress=False)
    parts = sorted(out.glob("part-*.parquet"))
    assert len(parts) == 3 and len({pq.read_schema(p).remove_metadata() for p in parts}) == 1
    frame = ds.dataset([str(p) for p in parts]).to_table().to_pandas()  # refuses parts whose types disagree
    assert frame["score"].tolist() == ["1", "2", "high", "low", "1.5"]
    assert frame["only_here"].tolist() == [None, None, True, None, None]
    assert frame["tags"].tolist() == ['["a"]', None, None, None, '{"k": 1}']
    assert pd.read_parquet(out / "_rejects")["reason"].tolist() == ["url_not_http"]
    assert dd.read_parquet(str(out)).compute()["score"].tolist() == frame["score"].tolist()  # follows _metadata


def test_input_columns_named_like_wit_or_img2dataset_columns_get_a_prefix(tmp_path: Path) -> None:
    src = tmp_path / "list.csv"
    header = "url,caption,key,status,sha256,error_message,width,height,input_file,input_row,stage,reason,uid"
    src.write_text(
        f"{header}\nhttp://a.com/1.jpg,a cat on a mat,k1,ok,abc,none,640,480,f.csv,9,s,r,u1\n"
        f"ftp://a.com/2.jpg,a dog,k2,ok,abc,none,1,1,f.csv,10,s,r,u2\n"
    )
    out = tmp_path / "out"
    import_lists([str(src)], out, progress=False)
    kept = pq.read_table(next(out.glob("part-*.parquet")))
    assert kept["input_key"].to_pylist() == ["k1"] and kept["input_input_file"].to_pylist() == ["f.csv"]
    assert kept["input_uid"].to_pylist() == ["u1"] and kept["width"].to_pylist() == [640]
    names = _rename_hints(kept).column_names + [f.name for f in SAMPLE_FIELDS]  # the shard parquet's columns
    assert len(names) == len(set(names))
    rejects = pq.read_table(next((out / "_rejects").glob("part-*.parquet")))
    assert len(rejects.column_names) == len(set(rejects.column_names))
    assert rejects["input_file"].to_pylist() == [str(src)] and rejects["input_row"].to_pylist() == [3]
    assert rejects["input_input_row"].to_pylist() == ["10"] and rejects["input_reason"].to_pylist() == ["r"]
