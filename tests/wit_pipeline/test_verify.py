"""``wit inspect --verify``: a finished build accounts for every row; each kind of damage is reported."""

from __future__ import annotations

import io
import json
import shutil
import tarfile
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from tests.wit_pipeline.build_job.test_build import write_inputs
from tests.wit_pipeline.download.image_server import image_server
from wit_pipeline.build_job.runner import build
from wit_pipeline.cli.main import main
from wit_pipeline.config import load_config
from wit_pipeline.layout.manifest_dir import REJECTS_DIR
from wit_pipeline.verify import verify_build


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """One finished build (in-process, no dask): 46 input rows, every kind of place used."""
    tmp = tmp_path_factory.mktemp("verify")
    with image_server() as base:
        build(load_config(write_inputs(tmp, base, rows=40)), tmp / "out", client=None, progress=False)
    return tmp / "out"


@pytest.fixture
def copy(built: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(built, tmp_path / "out"))


def test_a_finished_build_accounts_for_every_input_row(built: Path, capsys) -> None:
    report = verify_build(built)
    assert report.ok, report.text()
    assert report.inputs == 46 == sum(report.places.values())
    assert report.places == {
        "rejected by import": 1,  # ftp:// URL
        "rejected by filter": 3,  # the duplicate row (same uid twice in the source), the file name, French
        "kept in shards": 40,
        "failed or filtered in shards": 2,  # a 404 and the same image at another address
    }
    assert main(["inspect", "--verify", str(built)]) == 0
    assert "OK" in capsys.readouterr().out


def test_a_demo_directory_is_verified_through_its_build(built: Path, tmp_path: Path) -> None:
    shutil.copytree(built, tmp_path / "demo" / "build")
    assert verify_build(tmp_path / "demo").ok


def test_not_a_build_directory_is_a_one_line_error(tmp_path: Path, capsys) -> None:
    assert main(["inspect", "--verify", str(tmp_path)]) == 2
    assert "not a wit build or demo directory" in capsys.readouterr().err


def rewrite_parquet(path: Path, change: Callable[[pa.Table], pa.Table]) -> None:
    pq.write_table(change(pq.read_table(path)), path)


def first_shard_parquet(out: Path) -> Path:
    return sorted((out / "shards").glob("[0-9]*.parquet"))[0]


def drop_filter_reject(out: Path) -> None:
    path = next(p for p in sorted((out / "filtered" / REJECTS_DIR).glob("*.parquet")) if pq.read_table(p).num_rows)
    rewrite_parquet(path, lambda t: t.slice(1))


def duplicate_shard_row(out: Path) -> None:
    rewrite_parquet(first_shard_parquet(out), lambda t: pa.concat_tables([t, t.slice(0, 1)]))


def reject_a_shipped_row(out: Path) -> None:
    shipped = pq.read_table(first_shard_parquet(out)).slice(0, 1)
    path = sorted((out / "filtered" / REJECTS_DIR).glob("*.parquet"))[0]
    table = pq.read_table(path)
    row = {
        c: shipped[c] if c in shipped.column_names else pa.nulls(1, table.schema.field(c).type)
        for c in table.schema.names
    }
    row["stage"], row["reason"] = pa.array(["dedup"]), pa.array(["duplicate_uid"])
    pq.write_table(pa.concat_tables([table, pa.table(row, schema=table.schema)]), path)


def blank_a_reason(out: Path) -> None:
    path = next(p for p in sorted((out / "filtered" / REJECTS_DIR).glob("*.parquet")) if pq.read_table(p).num_rows)
    rewrite_parquet(
        path, lambda t: t.set_column(t.schema.get_field_index("reason"), "reason", pa.nulls(len(t), pa.string()))
    )


def drop_tar_sample(out: Path) -> None:
    tar = sorted((out / "shards").glob("[0-9]*.tar"))[0]
    with tarfile.open(tar) as tf:
        members = [(m, tf.extractfile(m).read()) for m in tf.getmembers()]
    first_key = members[0][0].name.split(".")[0]
    with tarfile.open(tar, "w") as tf:
        for member, data in members:
            if not member.name.startswith(first_key + "."):
                tf.addfile(member, io.BytesIO(data))


def truncate_tar(out: Path) -> None:
    tar = sorted((out / "shards").glob("[0-9]*.tar"))[0]
    tar.write_bytes(tar.read_bytes()[:5000])


def edit_sizes(out: Path) -> None:
    sizes = json.loads((out / "shards" / "sizes.json").read_text())
    sizes[next(iter(sizes))] += 1
    (out / "shards" / "sizes.json").write_text(json.dumps(sizes))


def swap_uid_in_parquet(out: Path) -> None:
    def change(t: pa.Table) -> pa.Table:
        success = pc.equal(t["status"], "success").to_pylist()
        i = success.index(True)
        uids = t["uid"].to_pylist()
        uids[i] = "0" * 32
        return t.set_column(t.schema.get_field_index("uid"), "uid", pa.array(uids, pa.string()))

    rewrite_parquet(first_shard_parquet(out), change)


def delete_shard_parquet(out: Path) -> None:
    first_shard_parquet(out).unlink()


def unfinish(out: Path) -> None:
    (out / "shards" / "_SUCCESS").unlink()


@pytest.mark.parametrize(
    ("damage", "kinds"),
    [
        (drop_filter_reject, {"missing", "funnel_mismatch", "total_mismatch"}),
        (duplicate_shard_row, {"duplicated", "duplicate_key", "total_mismatch"}),
        (reject_a_shipped_row, {"in_two_places", "funnel_mismatch", "total_mismatch"}),
        (blank_a_reason, {"reject_without_reason", "funnel_mismatch"}),
        (drop_tar_sample, {"sample_missing_from_tar", "sizes_mismatch", "tar_parquet_mismatch"}),
        (truncate_tar, {"bad_tar", "sample_missing_from_tar", "sizes_mismatch", "tar_parquet_mismatch"}),
        (edit_sizes, {"sizes_mismatch", "funnel_mismatch"}),
        (swap_uid_in_parquet, {"tar_parquet_mismatch", "missing", "unknown_row"}),
        (delete_shard_parquet, {"missing", "tar_without_parquet", "sizes_mismatch", "total_mismatch"}),
        (unfinish, {"incomplete"}),
    ],
    ids=lambda v: v.__name__ if callable(v) else "",
)
def test_each_discrepancy_is_reported_and_fails_the_check(copy: Path, damage, kinds: set[str], capsys) -> None:
    damage(copy)
    report = verify_build(copy)
    found = {p.kind for p in report.problems}
    assert kinds <= found, report.text()
    assert main(["inspect", "--verify", "--json", str(copy)]) == 1
    printed = json.loads(capsys.readouterr().out)
    assert printed["ok"] is False and {p["kind"] for p in printed["problems"]} == found
