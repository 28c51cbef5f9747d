"""Safe tar reading: samples by key, sample ranges, refused members, truncated and short shards."""

from __future__ import annotations

import tarfile
from pathlib import Path

import fsspec

from loaders.tar_reader import count_samples, iter_captions, member_problem, read_piece
from tests.loaders.helpers import add_member, caption, jpeg, write_shards


def read(path: str, start: int, stop: int) -> tuple[list, list[str]]:
    skipped: list[str] = []
    return list(read_piece(path, 3, start, stop, skipped.append)), skipped


def test_reads_exactly_the_requested_range(tmp_path: Path) -> None:
    write_shards(tmp_path, [6])
    path = str(tmp_path / "00000.tar")
    slots, skipped = read(path, 2, 5)
    assert [(s.shard, s.index) for s in slots] == [(3, 2), (3, 3), (3, 4)]
    assert [s.text.decode() for s in slots] == [caption(0, i) for i in (2, 3, 4)]
    assert all(s.image[:2] == b"\xff\xd8" and s.error is None for s in slots)
    assert skipped == []
    assert count_samples(path) == 6
    assert list(iter_captions(path)) == [caption(0, i) for i in range(6)]


def test_fsspec_urls_stream_the_same_samples(tmp_path: Path) -> None:
    write_shards(tmp_path, [5])
    local, _ = read(str(tmp_path / "00000.tar"), 1, 4)
    with fsspec.open("memory://shards/00000.tar", "wb") as fh:
        fh.write((tmp_path / "00000.tar").read_bytes())
    for url in (f"file://{tmp_path}/00000.tar", "memory://shards/00000.tar"):
        remote, _ = read(url, 1, 4)
        assert [(s.index, s.image, s.text) for s in remote] == [(s.index, s.image, s.text) for s in local]


def test_unsafe_and_non_regular_members_are_refused_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "evil.tar"
    with tarfile.open(path, "w") as tar:
        add_member(tar, "k0.jpg", jpeg(8, 8, 0))
        add_member(tar, "k0.txt", b"first")
        add_member(tar, "../escape.jpg", b"x")
        add_member(tar, "/etc/passwd.txt", b"x")
        add_member(tar, "k1/../../up.txt", b"x")
        add_member(tar, "k1.jpg", kind=tarfile.SYMTYPE, link="/etc/shadow")
        add_member(tar, "k1.txt", b"second")
        add_member(tar, "k2.jpg", kind=tarfile.LNKTYPE, link="k0.jpg")
        add_member(tar, "k2.txt", kind=tarfile.CHRTYPE)
        add_member(tar, "dir", kind=tarfile.DIRTYPE)
        add_member(tar, "k3.jpg", jpeg(8, 8, 3))
        add_member(tar, "k3.txt", b"fourth")
        add_member(tar, "k3.pyd", b"never read, never unpickled")
    slots, skipped = read(str(path), 0, 3)
    # k2 has no readable member at all, so it is no sample: the numbering counts readable keys only
    assert [s.text for s in slots] == [b"first", b"second", b"fourth"]
    assert [s.image is not None for s in slots] == [True, False, True]
    assert sorted(skipped) == ["non_regular_member"] * 4 + ["unsafe_member"] * 3
    assert count_samples(str(path)) == 3
    split = [read(str(path), i, i + 1)[1] for i in range(3)]
    assert sorted(sum(split, [])) == sorted(skipped), "pieces of a shard count each refused member once"


def test_member_problem_names_each_kind() -> None:
    def info(name, kind=tarfile.REGTYPE):
        member = tarfile.TarInfo(name)
        member.type = kind
        return member

    assert member_problem(info("00001.jpg")) is None
    assert member_problem(info("sub/00001.jpg")) is None
    for name in ("../x.jpg", "/x.jpg", "a/../../x.jpg", "C:/x.jpg", "a\\..\\x.jpg"):
        assert member_problem(info(name)) == "unsafe_member", name
    for kind in (tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.CHRTYPE, tarfile.BLKTYPE, tarfile.FIFOTYPE, tarfile.DIRTYPE):
        assert member_problem(info("x.jpg", kind)) == "non_regular_member"


def test_truncated_and_short_shards_fill_the_plan_with_error_slots(tmp_path: Path) -> None:
    write_shards(tmp_path, [8])
    data = (tmp_path / "00000.tar").read_bytes()
    truncated = tmp_path / "truncated.tar"
    truncated.write_bytes(data[: len(data) // 2])
    slots, _ = read(str(truncated), 0, 8)
    good = [s for s in slots if s.error is None]
    assert len(slots) == 8 and 0 < len(good) < 8
    assert {s.error for s in slots[len(good) :]} == {"read_error"}
    short, _ = read(str(tmp_path / "00000.tar"), 6, 11)
    assert [s.error for s in short] == [None, None, "missing_sample", "missing_sample", "missing_sample"]
    missing, _ = read(str(tmp_path / "nope.tar"), 0, 2)
    assert [s.error for s in missing] == ["read_error", "read_error"]
