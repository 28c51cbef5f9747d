"""Sources: shard directories, brace patterns, path and URL lists, counting without sizes.json, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import fsspec
import pytest

from loaders import resolve_source
from tests.loaders.helpers import write_shards
from wit_pipeline.errors import WitError


def test_directory_reads_sizes_json(tmp_path: Path) -> None:
    write_shards(tmp_path, [3, 0, 2])
    shards = resolve_source(tmp_path)
    assert shards.paths == tuple(str(tmp_path / f"{i:05d}.tar") for i in range(3))
    assert shards.sizes == (3, 0, 2) and shards.num_samples == 5 and shards.root == str(tmp_path)


def test_brace_patterns_and_lists_use_sizes_json_beside_the_shards(tmp_path: Path) -> None:
    write_shards(tmp_path, [3, 1, 2])
    (tmp_path / "sizes.json").write_text(json.dumps({"00000.tar": 30, "00001.tar": 10, "00002.tar": 20}))
    assert resolve_source(f"{tmp_path}/{{00000..00001}}.tar").sizes == (30, 10)
    listed = resolve_source([tmp_path / "00002.tar", str(tmp_path / "00000.tar")])
    assert listed.sizes == (20, 30) and listed.root == str(tmp_path)
    assert resolve_source(str(tmp_path / "00001.tar")).sizes == (10,)


def test_shards_without_sizes_json_are_counted(tmp_path: Path) -> None:
    write_shards(tmp_path, [4, 2])
    (tmp_path / "sizes.json").unlink()
    assert resolve_source(tmp_path).sizes == (4, 2)
    assert resolve_source([str(tmp_path / "00001.tar")]).sizes == (2,)


def test_fsspec_directories_and_urls(tmp_path: Path) -> None:
    write_shards(tmp_path, [2, 3])
    for name in ("00000.tar", "00001.tar", "sizes.json"):
        with fsspec.open(f"memory://remote/{name}", "wb") as fh:
            fh.write((tmp_path / name).read_bytes())
    shards = resolve_source("memory://remote")
    assert shards.paths == ("memory://remote/00000.tar", "memory://remote/00001.tar") and shards.sizes == (2, 3)
    assert resolve_source(f"file://{tmp_path}/{{00000..00001}}.tar").sizes == (2, 3)
    with fsspec.open("memory://nosizes/00000.tar", "wb") as fh:
        fh.write((tmp_path / "00000.tar").read_bytes())
    with pytest.raises(WitError, match="no sample count"):
        resolve_source(["memory://nosizes/00000.tar"])


def test_bad_sources_name_the_path(tmp_path: Path) -> None:
    with pytest.raises(WitError, match="not a shard directory"):
        resolve_source(tmp_path / "missing")
    with pytest.raises(WitError, match="no sizes.json and no .tar"):
        resolve_source(tmp_path)
    with pytest.raises(WitError, match="empty list"):
        resolve_source([])
    with pytest.raises(WitError, match="shard not found"):
        resolve_source([tmp_path / "nope.tar"])
    (tmp_path / "sizes.json").write_text('{"00000.tar": -1}')
    with pytest.raises(WitError, match="counts >= 0"):
        resolve_source(tmp_path)
    (tmp_path / "sizes.json").write_text("{broken")
    with pytest.raises(WitError, match="cannot read sizes"):
        resolve_source(tmp_path)
    (tmp_path / "sizes.json").write_text('{"00000.tar": 3}')
    with pytest.raises(WitError, match="listed in sizes.json but missing"):
        resolve_source(tmp_path)
    (tmp_path / "bad.tar").write_bytes(b"this is not a tar archive" * 40)
    with pytest.raises(WitError, match="cannot read tar shard"):
        resolve_source([tmp_path / "bad.tar"])


def test_a_count_no_tar_of_that_size_can_hold_is_an_error_naming_the_shard(tmp_path: Path) -> None:
    write_shards(tmp_path, [3, 2])
    blocks = (tmp_path / "00001.tar").stat().st_size // 512
    (tmp_path / "sizes.json").write_text(json.dumps({"00000.tar": 3, "00001.tar": 10**12}))
    for source in (tmp_path, [tmp_path / "00001.tar"], f"{tmp_path}/{{00000..00001}}.tar"):
        with pytest.raises(WitError, match=rf"says 00001.tar holds 1000000000000 samples.*at most {blocks}"):
            resolve_source(source)
    (tmp_path / "sizes.json").write_text(json.dumps({"00000.tar": 3, "00001.tar": blocks}))
    assert resolve_source(tmp_path).sizes == (3, blocks)  # the bound itself is allowed: a count, not a check
