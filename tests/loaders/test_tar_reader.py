"""Safe tar reading: samples by key, sample ranges, refused members, truncated and short shards."""

from __future__ import annotations

import tarfile
from pathlib import Path

import fsspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loaders.tar_members import MemberLimits
from loaders.tar_reader import count_samples, iter_captions, iter_members, iter_samples, member_problem, read_piece
from tests.loaders.helpers import add_member, caption, jpeg, write_shards
from wit_pipeline.errors import WitError


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


def hostile_sample_tar(path: Path) -> None:
    with tarfile.open(path, "w") as tar:
        add_member(tar, "000.jpg", b"jpeg0")
        add_member(tar, "000.txt", b"first")
        add_member(tar, "../escape.txt", b"x")
        add_member(tar, "/tmp/absolute.txt", b"x")
        add_member(tar, "a/../../up.txt", b"x")
        add_member(tar, "001.jpg", kind=tarfile.SYMTYPE, link="/etc/passwd")
        add_member(tar, "001.txt", b"second")
        add_member(tar, "002.jpg", kind=tarfile.LNKTYPE, link="000.jpg")
        add_member(tar, "002.txt", kind=tarfile.CHRTYPE)
        add_member(tar, "003.txt", kind=tarfile.FIFOTYPE)
        add_member(tar, "dir", kind=tarfile.DIRTYPE)
        add_member(tar, "004.txt", b"\xff\xfe invalid utf-8 is bytes here")


def test_iter_samples_skips_counts_and_never_extracts_hostile_members(tmp_path: Path) -> None:
    hostile_sample_tar(tmp_path / "00000.tar")
    before = set(tmp_path.parent.rglob("*"))
    skipped: dict[str, int] = {}
    samples = list(iter_samples(tmp_path / "00000.tar", skipped))
    assert [(s["__key__"], sorted(k for k in s if k != "__key__")) for s in samples] == [
        ("000", ["jpg", "txt"]),
        ("001", ["txt"]),
        ("004", ["txt"]),
    ]
    assert skipped == {"unsafe_member": 3, "non_regular_member": 5}
    assert set(tmp_path.parent.rglob("*")) == before  # nothing written anywhere, not even in the tar's folder


def test_a_truncated_tar_is_counted_or_an_error_never_a_silent_loss(tmp_path: Path) -> None:
    path = tmp_path / "00000.tar"
    with tarfile.open(path, "w") as tar:
        for i in range(20):
            add_member(tar, f"{i:03d}.txt", bytes(2000))
    path.write_bytes(path.read_bytes()[:15_000])
    skipped: dict[str, int] = {}
    assert 0 < len(list(iter_samples(path, skipped))) < 20 and skipped == {"truncated_tar": 1}
    with pytest.raises(WitError, match="truncated or corrupt tar file"):
        list(iter_samples(path))
    path.write_bytes(b"not a tar at all" * 10)
    with pytest.raises(WitError):
        list(iter_samples(path))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    members=st.lists(
        st.tuples(
            st.sampled_from(["000.jpg", "000.txt", "001.json", "../x.txt", "/abs.txt", "a/b.c", "..", "k.", ".hidden"]),
            st.sampled_from([tarfile.REGTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.CHRTYPE, tarfile.DIRTYPE]),
            st.binary(max_size=64),
        ),
        max_size=12,
    ),
    cut=st.one_of(st.none(), st.integers(0, 20_000)),
)
def test_any_tar_is_read_or_refused_cleanly(tmp_path: Path, members: list, cut: int | None) -> None:
    path = tmp_path / "fuzz.tar"
    with tarfile.open(path, "w") as tar:
        for name, kind, data in members:
            add_member(tar, name, data, kind, link="000.jpg")
    if cut is not None:
        path.write_bytes(path.read_bytes()[:cut])
    skipped: dict[str, int] = {}
    try:
        samples = list(iter_samples(path, skipped))
    except WitError:
        return  # unreadable from its first block: a one-line error
    for sample in samples:
        assert ".." not in str(sample["__key__"]).split("/") and not str(sample["__key__"]).startswith("/")
        assert all(isinstance(v, bytes) for k, v in sample.items() if k != "__key__")
    assert set(skipped) <= {"unsafe_member", "non_regular_member", "truncated_tar"}


def test_iter_members_reads_named_members_ungrouped_and_refuses_the_same_ones(tmp_path: Path) -> None:
    path = tmp_path / "set.tar"
    with tarfile.open(path, "w") as tar:
        add_member(tar, "test/0.webp", b"image0")
        add_member(tar, "test/0.cls", b"3")
        add_member(tar, "test/a.b.PNG", b"image1")
        add_member(tar, "../escape.png", b"x")
        add_member(tar, "C:/drive.png", b"x")
        add_member(tar, "link.png", kind=tarfile.SYMTYPE, link="/etc/passwd")
        add_member(tar, "big.png", b"y" * 200)
    skipped: list[str] = []
    limits = MemberLimits(image_bytes=100, text_bytes=10, json_bytes=10)
    members = list(iter_members(path, frozenset(("webp", "png")), skipped.append, limits))
    assert members == [("test/0.webp", b"image0"), ("test/a.b.PNG", b"image1")]
    assert skipped == ["unsafe_member", "unsafe_member", "non_regular_member", "member_too_large"]
