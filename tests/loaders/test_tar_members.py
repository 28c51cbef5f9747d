"""Tar member caps: one check for every tar reader; a member claiming more than its kind's cap is never read."""

from __future__ import annotations

import tarfile
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from loaders.tar_members import NON_REGULAR, TOO_LARGE, UNSAFE, MemberLimits, member_problem
from loaders.tar_reader import count_samples, iter_samples, read_piece
from tests.loaders.helpers import jpeg
from wit_pipeline.embed.encode import iter_shard_samples
from wit_pipeline.eval.datasets import iter_captioned_images
from wit_pipeline.shards.shard_check import check_shard_dir

SIXTEEN_GIB = 16 << 30


def sparse_header(name: str, claimed: int, stored: bytes = b"x" * 512) -> bytes:
    """A GNU sparse member (type ``S``) storing ``stored`` but claiming ``claimed`` bytes: a hole, then the data."""
    info = tarfile.TarInfo(name)
    info.type, info.size = tarfile.GNUTYPE_SPARSE, len(stored)
    block = bytearray(info.tobuf(tarfile.GNU_FORMAT)[:512])
    block[386:398] = tarfile.itn(claimed - len(stored), 12, tarfile.GNU_FORMAT)  # sparse map: offset
    block[398:410] = tarfile.itn(len(stored), 12, tarfile.GNU_FORMAT)  # sparse map: bytes stored
    block[483:495] = tarfile.itn(claimed, 12, tarfile.GNU_FORMAT)  # real size
    block[148:156] = b" " * 8
    block[148:156] = b"%06o\0 " % sum(block)
    return bytes(block) + stored + b"\0" * (-len(stored) % 512)


def regular(name: str, data: bytes) -> bytes:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info.tobuf(tarfile.GNU_FORMAT) + data + b"\0" * (-len(data) % 512)


def bomb_tar(path: Path) -> None:
    """Sample 0 fine; sample 1's image a sparse 16 GiB member; sample 2 with a 16 GiB caption; sample 3 fine."""
    parts = [
        regular("k0.jpg", jpeg(8, 8, 0)),
        regular("k0.txt", b"first"),
        sparse_header("k1.jpg", SIXTEEN_GIB),
        regular("k1.txt", b"second"),
        regular("k2.jpg", jpeg(8, 8, 2)),
        sparse_header("k2.txt", SIXTEEN_GIB),
        sparse_header("k2.json", SIXTEEN_GIB),
        regular("k3.jpg", jpeg(8, 8, 3)),
        regular("k3.txt", b"fourth"),
    ]
    path.write_bytes(b"".join(parts) + b"\0" * 1024)


@pytest.fixture
def no_big_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Fail the test if any reader opens a member over 1 MiB (reading 16 GiB would exhaust memory instead)."""
    opened: list[str] = []
    real = tarfile.TarFile.extractfile

    def extractfile(self, member):
        assert member.size <= 1 << 20, f"{member.name}: a {member.size}-byte member was read"
        opened.append(member.name)
        return real(self, member)

    monkeypatch.setattr(tarfile.TarFile, "extractfile", extractfile)
    return opened


def test_the_check_names_each_reason_and_each_kind_has_its_cap() -> None:
    limits = MemberLimits(image_bytes=100, text_bytes=10, json_bytes=20)

    def info(name: str, size: int, kind: bytes = tarfile.REGTYPE) -> tarfile.TarInfo:
        member = tarfile.TarInfo(name)
        member.size, member.type = size, kind
        return member

    assert member_problem(info("a.jpg", 100), "jpg", limits) is None
    assert member_problem(info("a.jpg", 101), "jpg", limits) == TOO_LARGE
    assert member_problem(info("a.npy", 101), "npy", limits) == TOO_LARGE  # other kinds take the image cap
    assert member_problem(info("a.txt", 10), "txt", limits) is None
    assert member_problem(info("a.txt", 11), "txt", limits) == TOO_LARGE
    assert member_problem(info("a.json", 20), "json", limits) is None
    assert member_problem(info("a.json", 21), "json", limits) == TOO_LARGE
    assert member_problem(info("../a.jpg", 1), "jpg", limits) == UNSAFE
    assert member_problem(info("a.jpg", 0, tarfile.SYMTYPE), "jpg", limits) == NON_REGULAR


def test_caps_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert MemberLimits.default() == MemberLimits(64 << 20, 1 << 20, 1 << 20)
    monkeypatch.setenv("WIT_TAR_MAX_TEXT_BYTES", "5")
    assert MemberLimits.default().text_bytes == 5
    monkeypatch.setenv("WIT_TAR_MAX_JSON_BYTES", "lots")
    with pytest.raises(ValueError, match="WIT_TAR_MAX_JSON_BYTES"):
        MemberLimits.default()


def test_a_sparse_16_gib_member_is_refused_unread_by_the_loader(tmp_path: Path, no_big_reads: list[str]) -> None:
    path = tmp_path / "00000.tar"
    bomb_tar(path)
    skipped: list[str] = []
    slots = list(read_piece(str(path), 0, 0, 4, skipped.append))
    assert [(s.image is not None, s.text) for s in slots] == [
        (True, b"first"),
        (False, b"second"),
        (True, None),
        (True, b"fourth"),
    ]
    assert skipped == [TOO_LARGE, TOO_LARGE]  # the loader reads images and captions, not json
    assert count_samples(str(path)) == 4


def test_a_sparse_16_gib_member_is_refused_unread_by_the_shard_stages(tmp_path: Path, no_big_reads: list[str]) -> None:
    path = tmp_path / "00000.tar"
    bomb_tar(path)
    skipped: dict[str, int] = {}
    samples = list(iter_samples(path, skipped))
    assert [sorted(k for k in s if k != "__key__") for s in samples] == [
        ["jpg", "txt"],
        ["txt"],
        ["jpg"],
        ["jpg", "txt"],
    ]
    assert skipped == {TOO_LARGE: 3}
    small = MemberLimits(image_bytes=1 << 20, text_bytes=4, json_bytes=4)
    skipped = {}
    texts = [s.get("txt") for s in iter_samples(path, skipped, small)]
    assert texts == [None, None, None] and skipped == {TOO_LARGE: 6}  # k1 has no member left: no sample


def hostile_shard(path: Path) -> None:
    """One good sample, then each kind of hostile member a stranger's shard can hold."""
    parts = [
        regular("k0.jpg", jpeg(8, 8, 0)),
        regular("k0.txt", b"first"),
        regular("../escape.txt", b"path traversal"),
        regular("/etc/absolute.txt", b"absolute path"),
        regular("C:/windows/drive.txt", b"drive letter"),
        regular("k1\\..\\back.txt", b"backslash"),
        regular("k1.txt", b"second"),
        sparse_header("k2.jpg", SIXTEEN_GIB),
        regular("k2.txt", b"third"),
        regular("k3.jpg", jpeg(8, 8, 3)),
        regular("k3.txt", b"fourth"),
    ]
    link = tarfile.TarInfo("k1.jpg")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
    parts.insert(6, link.tobuf(tarfile.GNU_FORMAT))
    path.write_bytes(b"".join(parts) + b"\0" * 1024)


def test_every_command_gives_a_hostile_member_the_same_reason(tmp_path: Path, no_big_reads: list[str]) -> None:
    """The loader, wit embed, wit eval and the shard check (inspect --verify) read tars with one reader."""
    tar = tmp_path / "00000.tar"
    hostile_shard(tar)
    expected = {UNSAFE: 4, NON_REGULAR: 1, TOO_LARGE: 1}

    loader: list[str] = []
    slots = list(read_piece(str(tar), 0, 0, 4, loader.append))
    assert [s.text for s in slots] == [b"first", b"second", b"third", b"fourth"]
    assert Counter(loader) == expected

    embed_unsafe: dict[str, int] = {}
    kept = list(iter_shard_samples(tar, Counter(), embed_unsafe))
    assert [s.caption for s in kept] == ["first", "fourth"] and embed_unsafe == expected

    evaluated: Counter = Counter()
    list(iter_captioned_images([str(tar)], evaluated))
    assert {r: n for r, n in evaluated.items() if r in expected} == expected

    keys = ["k0", "k1", "k2", "k3"]
    rows = {"uid": keys, "source": keys, "page_url": keys, "key": keys, "status": ["success"] * 4}
    pq.write_table(pa.table({**rows, "error_message": pa.array([None] * 4, pa.string())}), tmp_path / "00000.parquet")
    check = check_shard_dir(tmp_path)
    assert sorted(p.detail for p in check.problems if p.kind == "bad_tar") == sorted(
        f"{reason} x{n}" for reason, n in expected.items()
    )
