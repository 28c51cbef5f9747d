"""The shard directory's one owner: one "is this a shard directory?" rule and one sizes.json reader."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import fsspec
import pytest

from loaders.shard_source import resolve_source
from loaders.tar_reader import count_samples
from tests.wit_pipeline.download.image_server import image_server
from tests.wit_pipeline.download.test_download import options, write_manifest
from wit_pipeline.cli.main import main
from wit_pipeline.download.flow import manifest_to_shards
from wit_pipeline.errors import WitError
from wit_pipeline.inspect import summarize_shards
from wit_pipeline.layout import shard_dir
from wit_pipeline.layout.manifest_dir import is_manifest_dir
from wit_pipeline.report.locate import locate_inputs
from wit_pipeline.shards.dedup_plan import ImageRules


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """A real ``wit download`` output (with ``_raw``) and the manifest it was downloaded from."""
    tmp = tmp_path_factory.mktemp("shard_dir")
    with image_server() as base:
        urls = [f"{base}/img/{i}.jpg" for i in range(9)] + [f"{base}/status/404"]
        manifest = write_manifest(tmp / "manifest", urls)
        manifest_to_shards(manifest, tmp / "shards", options(samples_per_shard=4), ImageRules(), progress=False)
    return tmp


def img2dataset_copy(shards: Path, out: Path) -> Path:
    """The files img2dataset itself writes (NNNNN.tar, NNNNN.parquet, NNNNN_stats.json): no sizes.json."""
    out.mkdir()
    for path in shards.iterdir():
        if path.is_file() and path.name[0].isdigit():
            shutil.copyfile(path, out / path.name)
    return out


def test_a_download_output_is_a_shard_directory_and_its_sizes_count_its_tars(built: Path) -> None:
    shards = built / "shards"
    assert shard_dir.is_shard_dir(shards) and shard_dir.is_shard_dir(shards / shard_dir.RAW_DIR)
    sizes = shard_dir.read_sizes(shards)
    tars = shard_dir.shard_tars(shards)
    assert sizes == {t.name: count_samples(str(t)) for t in tars} and sum(sizes.values()) == 9
    assert shard_dir.shard_names(shards) == [shard_dir.shard_name(i) for i in range(len(tars))]
    assert [p.stem for p in shard_dir.shard_parquets(shards)] == shard_dir.shard_names(shards)
    info = json.loads((shards / shard_dir.INFO_FILE).read_text())
    assert info["samples"] == 9 and info["shards"] == len(tars)


def test_an_img2dataset_directory_without_sizes_json_is_one_for_every_command(
    built: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    shards = built / "shards"
    copy = img2dataset_copy(shards, tmp_path / "img2dataset")
    assert not (copy / shard_dir.SIZES_FILE).exists() and shard_dir.read_sizes(copy) is None
    assert shard_dir.is_shard_dir(copy)
    assert locate_inputs(copy).shards == copy  # wit report
    assert summarize_shards(copy)["samples"] == summarize_shards(shards)["samples"] == 9  # wit inspect
    assert resolve_source(copy).num_samples == 9  # the loader
    assert main(["inspect", str(copy)]) == 0
    assert "9" in capsys.readouterr().out


def test_a_manifest_a_run_and_other_directories_are_not_shard_directories(built: Path, tmp_path: Path) -> None:
    assert is_manifest_dir(built / "manifest") and not shard_dir.is_shard_dir(built / "manifest")
    run = tmp_path / "run"
    run.mkdir()
    for name in ("model_config.json", "tokenizer.json", "metrics.jsonl", "model.safetensors"):
        (run / name).write_text("{}")
    assert not shard_dir.is_shard_dir(run)
    other = tmp_path / "other"
    other.mkdir()
    assert not shard_dir.is_shard_dir(other)
    (other / "shard.tar").write_bytes(b"")  # not a numbered shard
    (other / "00000.tar").mkdir()  # a folder named like a shard
    assert not shard_dir.is_shard_dir(other)
    assert not shard_dir.is_shard_dir(tmp_path / "missing")
    assert not shard_dir.is_shard_dir(built / "shards" / "00000.tar")  # a file
    (other / shard_dir.SIZES_FILE).write_text("{}")
    assert shard_dir.is_shard_dir(other)


def test_sizes_json_is_read_locally_and_from_urls_and_a_bad_one_is_named(tmp_path: Path) -> None:
    (tmp_path / shard_dir.SIZES_FILE).write_text('{"00000.tar": 3, "00001.tar": 0}')
    assert shard_dir.read_sizes(tmp_path) == {"00000.tar": 3, "00001.tar": 0}
    with fsspec.open("memory://sd/sizes.json", "w") as fh:
        fh.write('{"00000.tar": 2}')
    assert shard_dir.read_sizes("memory://sd") == {"00000.tar": 2}
    assert shard_dir.sizes_location("memory://sd") == "memory://sd/sizes.json"
    assert shard_dir.has_sizes("memory://sd") and shard_dir.has_sizes(tmp_path)
    assert not shard_dir.has_sizes("memory://none") and not shard_dir.has_sizes(tmp_path / "none")
    for bad in ('{"00000.tar": -1}', '{"00000.tar": true}', "[1, 2]", "{not json"):
        (tmp_path / shard_dir.SIZES_FILE).write_text(bad)
        with pytest.raises(WitError, match="sizes.json"):
            shard_dir.read_sizes(tmp_path)


def test_a_shard_s_file_names_and_paths_come_from_the_layout() -> None:
    assert [shard_dir.tar_file("00007"), shard_dir.parquet_file("00007"), shard_dir.stats_file("00007")] == [
        "00007.tar",
        "00007.parquet",
        "00007_stats.json",
    ]
    assert shard_dir.shard_file("s3://b/shards", "00000.tar") == "s3://b/shards/00000.tar"
    assert shard_dir.shard_file(Path("/d"), "sizes.json") == str(Path("/d") / "sizes.json")
    assert shard_dir.STATUS_STAGE["filtered"] == "image_filter" and shard_dir.STATUS_STAGE["failed_to_download"]


def test_shard_names_are_zero_padded_to_at_least_five_digits() -> None:
    assert shard_dir.shard_name(7) == "00007"
    assert shard_dir.shard_digits(1) == 5 and shard_dir.shard_digits(100_000) == 5
    assert shard_dir.shard_digits(100_001) == 6
    assert shard_dir.shard_name(123456, shard_dir.shard_digits(200_000)) == "123456"
