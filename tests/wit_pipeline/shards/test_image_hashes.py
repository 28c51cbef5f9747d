"""Shard fingerprints: the pHash is taken on the pixels the loader sees (upright, alpha on white, 16-bit scaled)."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import numpy as np
from PIL import Image

from tests.loaders.image_corpus import Case, alpha_cases, corpus, exif_jpeg, sixteen_bit_cases, upright
from wit_pipeline.shards.dedup_plan import ImageRules, near_duplicates
from wit_pipeline.shards.image_hashes import phash, shard_hashes

DISTANCE = ImageRules().phash_distance  # what near-duplicate removal allows by default


def encode(pixels: np.ndarray, fmt: str) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, fmt, **({"quality": 95} if fmt == "JPEG" else {}))
    return buf.getvalue()


def ext_of(data: bytes) -> str:
    return "jpg" if data[:2] == b"\xff\xd8" else "png"


def write_shard(path: Path, images: list[tuple[str, bytes]]) -> str:
    """A shard tar of ``(key, image bytes)`` with a ``.json`` per sample."""
    with tarfile.open(path, "w") as tf:
        for key, data in images:
            for name, body in ((f"{key}.{ext_of(data)}", data), (f"{key}.json", json.dumps({"key": key}).encode())):
                info = tarfile.TarInfo(name)
                info.size = len(body)
                tf.addfile(info, io.BytesIO(body))
    return str(path)


def hashes_of(tmp_path: Path, images: list[tuple[str, bytes]]) -> dict[str, int]:
    frame = shard_hashes(write_shard(tmp_path / "00000.tar", images))
    return {key: int(value, 16) for key, value in zip(frame["key"], frame["phash"])}


def bits(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def test_every_corpus_case_hashes_as_its_reference_pixels(tmp_path: Path) -> None:
    """EXIF 1-8, 16-bit, alpha, ICC, trailing bytes: the shard pHash is that of the reference decode."""
    cases = [c for c in corpus() if c.data[:2] == b"\xff\xd8" or c.data[:4] == b"\x89PNG"]
    got = hashes_of(tmp_path, [(f"{i:04d}", c.data) for i, c in enumerate(cases)])
    for i, case in enumerate(cases):
        assert bits(got[f"{i:04d}"], phash(case.reference)) <= DISTANCE, case.name


def test_an_exif_rotated_jpeg_is_a_near_duplicate_of_its_upright_copy(tmp_path: Path) -> None:
    images = [("0000", encode(upright(), "JPEG"))] + [(f"000{o}", exif_jpeg(o).data) for o in range(2, 9)]
    got = hashes_of(tmp_path, images)
    assert max(bits(got["0000"], got[key]) for key, _ in images) <= 2
    assert near_duplicates(list(got), list(got.values()), DISTANCE) == {key: "near_duplicate" for key, _ in images[1:]}


def test_an_image_with_alpha_hashes_as_its_copy_flattened_onto_white(tmp_path: Path) -> None:
    cases: list[Case] = alpha_cases() + [c for c in sixteen_bit_cases() if c.name == "rgba16"]
    images = []
    for i, case in enumerate(cases):
        images += [(f"{i}a", case.data), (f"{i}b", encode(case.reference, "PNG"))]
    got = hashes_of(tmp_path, images)
    for i, case in enumerate(cases):
        assert bits(got[f"{i}a"], got[f"{i}b"]) <= DISTANCE, case.name
    rgba = next(c for c in cases if c.name == "rgba")
    black = encode(np.asarray(Image.open(io.BytesIO(rgba.data)).convert("RGB")), "PNG")  # alpha dropped
    assert bits(got["0a"], hashes_of(tmp_path, [("x", black)])["x"]) > DISTANCE  # so the test can tell


def test_undecodable_images_have_no_phash(tmp_path: Path) -> None:
    frame = shard_hashes(write_shard(tmp_path / "00000.tar", [("0000", b"\xff\xd8 not a jpeg"), ("0001", b"")]))
    assert frame["phash"].isna().all() and list(frame["key"]) == ["0000", "0001"]
