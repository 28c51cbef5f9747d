"""Evaluation decontamination: exact and perceptual copies of eval images leave the training shards."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image

from tests.loaders.image_corpus import alpha_cases, exif_jpeg, upright
from tests.wit_pipeline.cli.test_cli import assert_one_line_error, wit
from tests.wit_pipeline.download.image_server import image_server, jpeg_bytes
from tests.wit_pipeline.download.test_download import options, shard_samples, write_manifest
from tests.wit_pipeline.shards.test_image_hashes import encode, write_shard
from wit_pipeline.download.raw_shards import download_manifest
from wit_pipeline.errors import WitError
from wit_pipeline.shards.decontaminate import EvalIndex, eval_fingerprints
from wit_pipeline.shards.dedup_plan import ImageRules
from wit_pipeline.shards.eval_sources import LAYOUTS, Layout, layout_of, register_layout
from wit_pipeline.shards.image_filter import filter_shards
from wit_pipeline.shards.image_hashes import shard_hashes


def reencode(data: bytes, fmt: str) -> bytes:
    buf = io.BytesIO()
    Image.open(io.BytesIO(data)).save(buf, fmt)
    return buf.getvalue()


def add_member(tf: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tf.addfile(info, io.BytesIO(data))


def write_evals(root: Path) -> tuple[Path, Path]:
    """An image folder (a PNG of image 2, the exact JPEG of image 5, unrelated images) and a
    CLIP_benchmark-style webdataset set (``test/0.tar``: image 6 as WebP with its ``.cls``)."""
    folder = root / "folder"
    (folder / "cls_a").mkdir(parents=True)
    (folder / "cls_b").mkdir(parents=True)
    (folder / "cls_a" / "x.png").write_bytes(reencode(jpeg_bytes(2), "PNG"))
    (folder / "cls_b" / "y.jpg").write_bytes(jpeg_bytes(5))
    for i in range(100, 104):
        (folder / "cls_b" / f"other{i}.jpg").write_bytes(jpeg_bytes(i))
    (folder / "cls_b" / "broken.jpg").write_bytes(b"not an image")
    shards = root / "wds"
    (shards / "test").mkdir(parents=True)
    with tarfile.open(shards / "test" / "0.tar", "w") as tf:
        add_member(tf, "s0.webp", reencode(jpeg_bytes(6), "WEBP"))
        add_member(tf, "s0.cls", b"3")
        add_member(tf, "s1.webp", reencode(jpeg_bytes(200), "WEBP"))
        add_member(tf, "../escape.jpg", jpeg_bytes(7))
    (shards / "classnames.txt").write_text("a\nb\nc\nd\n")
    return folder, shards


@pytest.fixture(scope="module")
def raw_shards(tmp_path_factory) -> tuple[Path, str]:
    tmp = tmp_path_factory.mktemp("decon")
    with image_server() as base:
        urls = [f"{base}/img/{i}.jpg" for i in range(8)]
        download_manifest(write_manifest(tmp / "m", urls), tmp / "raw", options(samples_per_shard=4), progress=False)
    return tmp / "raw", base


def test_layouts_read_folders_and_webdataset_sets(tmp_path: Path) -> None:
    folder, shards = write_evals(tmp_path)
    assert layout_of(folder).name == "image_folder" and layout_of(shards).name == "shards"
    prints = eval_fingerprints([str(folder), str(shards)])
    assert sorted(prints["name"]) == sorted(
        ["folder/cls_a/x.png", "folder/cls_b/y.jpg", *[f"folder/cls_b/other{i}.jpg" for i in range(100, 104)]]
        + ["wds/test/0.tar:s0.webp", "wds/test/0.tar:s1.webp"]
    )  # the undecodable file and the escaping tar member are skipped
    with pytest.raises(WitError, match="not found"):
        layout_of(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(WitError, match="no images found"):
        layout_of(tmp_path / "empty")


def test_a_new_layout_plugs_in(tmp_path: Path) -> None:
    root = tmp_path / "listed"
    root.mkdir()
    (root / "blob.bin").write_bytes(jpeg_bytes(9))
    (root / "LIST").write_text("blob.bin\n")
    layout = Layout(
        "listed",
        lambda r: (r / "LIST").exists(),
        lambda r: (r / "LIST").read_text().split(),
        lambda r, unit: iter([(unit, (r / unit).read_bytes())]),
    )
    register_layout(layout)
    try:
        assert layout_of(root).name == "listed"
        assert eval_fingerprints([str(root)])["name"].tolist() == ["listed/blob.bin"]
    finally:
        LAYOUTS.remove(layout)


def test_index_matches_exact_and_perceptual_copies_only(tmp_path: Path) -> None:
    folder, _ = write_evals(tmp_path)
    index = EvalIndex(eval_fingerprints([str(folder)]), distance=4)
    y = index.evals.set_index("name").loc["folder/cls_b/y.jpg"]
    assert index.match(y["sha256"], None) == "folder/cls_b/y.jpg"
    x = index.evals.set_index("name").loc["folder/cls_a/x.png"]
    assert index.match(None, int(x["phash"]) ^ 0b1011) == "folder/cls_a/x.png"  # 3 bits away
    assert index.match(None, int(x["phash"]) ^ 0b11111) is None  # 5 bits away
    assert index.match("0" * 64, None) is None


def test_filter_removes_eval_copies_with_the_eval_file_in_the_rejects(tmp_path: Path, raw_shards) -> None:
    raw, base = raw_shards
    folder, shards = write_evals(tmp_path / "evals")
    rules = ImageRules(exact_dedup=False, phash_dedup=False, decontaminate=(str(folder), str(shards)))
    stats = filter_shards(raw, tmp_path / "clean", rules, progress=False)
    table = pd.concat(pd.read_parquet(p) for p in sorted((tmp_path / "clean").glob("*.parquet")))
    filtered = table[table["status"] == "filtered"].set_index("url")["error_message"].to_dict()
    assert filtered == {
        f"{base}/img/2.jpg": "eval_duplicate: folder/cls_a/x.png",  # perceptual: PNG of the full image, centre crop
        f"{base}/img/5.jpg": "eval_duplicate: folder/cls_b/y.jpg",  # exact bytes
        f"{base}/img/6.jpg": "eval_duplicate: wds/test/0.tar:s0.webp",  # perceptual, from a webdataset set
    }
    assert len(shard_samples(tmp_path / "clean")) == 5
    stage = stats["funnel"][-1]
    assert stage["stage"] == "image_filter" and stage["rejected"] == {"eval_duplicate": 3}


def test_cli_decontaminates_a_shard_directory(tmp_path: Path, raw_shards) -> None:
    raw, _ = raw_shards
    folder, shards = write_evals(tmp_path / "evals")
    out = tmp_path / "out"
    result = wit(
        "filter", str(raw), "--out", str(out), "--decontaminate", str(folder), str(shards), "--workers", "1", "--quiet"
    )
    assert result.returncode == 0, result.stderr
    assert "eval_duplicate" in result.stdout
    assert sum(json.loads((out / "sizes.json").read_text()).values()) == 5
    assert_one_line_error(
        wit("filter", str(raw), "--out", str(tmp_path / "o2"), "--decontaminate", str(tmp_path / "nope")), "not found"
    )
    manifest = write_manifest(tmp_path / "m", ["http://example.com/a.jpg"])
    assert_one_line_error(
        wit("filter", str(manifest), "--out", str(tmp_path / "o3"), "--decontaminate", str(folder)), "shard directory"
    )


def test_a_rotated_or_transparent_eval_image_matches_its_upright_flattened_training_copy(tmp_path: Path) -> None:
    """Both sides decode the same way: an EXIF-6 eval photo and an RGBA eval logo catch their training copies."""
    rotated, rgba = exif_jpeg(6), next(c for c in alpha_cases() if c.name == "rgba")
    folder = tmp_path / "evals" / "cls"
    folder.mkdir(parents=True)
    (folder / "photo.jpg").write_bytes(rotated.data)
    (folder / "logo.png").write_bytes(rgba.data)
    (folder / "other.png").write_bytes(encode(upright()[::-1].copy(), "PNG"))
    index = EvalIndex(eval_fingerprints([str(tmp_path / "evals")]), ImageRules().phash_distance)
    training = [("0", encode(upright(), "JPEG")), ("1", encode(rgba.reference, "PNG")), ("2", jpeg_bytes(3))]
    hashes = shard_hashes(write_shard(tmp_path / "00000.tar", training))
    found = [index.match(None, int(value, 16)) for value in hashes["phash"]]
    assert found == ["evals/cls/photo.jpg", "evals/cls/logo.png", None]
