"""Shard tars from strangers: hostile members are skipped and counted, nothing touches the disk."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wit_pipeline.errors import WitError
from wit_pipeline.shards.tar_io import iter_samples


def add(tar: tarfile.TarFile, name: str, data: bytes = b"x", kind: bytes = tarfile.REGTYPE, link: str = "") -> None:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, link
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    tar.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)


def hostile_tar(path: Path) -> None:
    with tarfile.open(path, "w") as tar:
        add(tar, "000.jpg", b"jpeg0")
        add(tar, "000.txt", b"first")
        add(tar, "../escape.txt")
        add(tar, "/tmp/absolute.txt")
        add(tar, "a/../../up.txt")
        add(tar, "001.jpg", kind=tarfile.SYMTYPE, link="/etc/passwd")
        add(tar, "001.txt", b"second")
        add(tar, "002.jpg", kind=tarfile.LNKTYPE, link="000.jpg")
        add(tar, "002.txt", kind=tarfile.CHRTYPE)
        add(tar, "003.txt", kind=tarfile.FIFOTYPE)
        add(tar, "dir", kind=tarfile.DIRTYPE)
        add(tar, "004.txt", b"\xff\xfe invalid utf-8 is bytes here")


def test_hostile_members_are_skipped_counted_and_never_extracted(tmp_path: Path) -> None:
    hostile_tar(tmp_path / "00000.tar")
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
            add(tar, f"{i:03d}.txt", bytes(2000))
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
            add(tar, name, data, kind, link="000.jpg")
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
