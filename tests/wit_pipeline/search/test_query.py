"""Searching an embedded shard set: the planted exact match comes first, for its caption and its image."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import numpy as np
import pytest

from tests.wit_pipeline.embed.helpers import CLASSES, captioned
from tests.wit_pipeline.eval.helpers import assert_one_line_error, shape_image, wit, write_caption_shards
from wit_pipeline.embed.task import EmbedSettings, embed_shards
from wit_pipeline.errors import WitError
from wit_pipeline.search.query import search_index

PLANTED = ("yellow", "circle")


@pytest.fixture(scope="module")
def planted_index(clip_run: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """21 images of 6 classes plus one yellow circle (key 000020001), the only yellow image.

    The session's model tells colours apart far better than shapes, so the planted image is the only one of
    its colour: its caption must find it first, above every other image.
    """
    root = tmp_path_factory.mktemp("planted")
    others = [c for c in CLASSES if c[0] != PLANTED[0]]
    samples = [captioned(*others[i % len(others)], i, uid=f"u{i}") for i in range(21)]
    samples.insert(17, captioned(*PLANTED, 2, uid="planted"))
    shards = write_caption_shards(root / "shards", samples, per_shard=8)
    embed_shards(clip_run, shards, root / "index", EmbedSettings(device="cpu"), progress=False)
    shape_image(*PLANTED, 2).save(root / "query.png")
    return shards, root / "index"


def test_a_caption_finds_its_planted_image_first(clip_run: Path, planted_index: tuple[Path, Path]) -> None:
    _, index = planted_index
    result = search_index(clip_run, index, text="a yellow circle", k=5, device="cpu")
    assert [h["rank"] for h in result.hits] == [1, 2, 3, 4, 5] and result.searched == 22
    top = result.hits[0]
    assert (top["key"], top["uid"], top["caption"]) == ("000020001", "planted", "a yellow circle")
    assert top["score"] > result.hits[1]["score"] + 0.05
    assert [h["score"] for h in result.hits] == sorted((h["score"] for h in result.hits), reverse=True)


def test_an_image_finds_itself_first(clip_run: Path, planted_index: tuple[Path, Path]) -> None:
    shards, index = planted_index
    query = shards.parent / "query.png"
    result = search_index(clip_run, index, image=query, k=3, device="cpu")
    assert result.hits[0]["key"] == "000020001" and result.hits[0]["score"] > 0.99


def test_cli_prints_hits_and_writes_an_html_page(clip_run: Path, planted_index: tuple[Path, Path], tmp_path: Path):
    _, index = planted_index
    page = tmp_path / "page.html"
    result = wit("search", str(clip_run), "--index", str(index), "a yellow circle", "-k", "3", "--html", str(page))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[1].split()[:3] == ["1", lines[1].split()[1], "000020001"] and lines[1].endswith("a yellow circle")
    assert lines[-1].startswith("wit search: top 3 of 22 images (exact,") and "3 thumbnail(s)" in lines[-1]
    html = page.read_text()
    assert html.count("data:image/jpeg;base64,") == 3 and "000020001" in html


def test_wrong_queries_and_indexes_are_one_line_errors(clip_run: Path, planted_index, tmp_path: Path) -> None:
    _, index = planted_index
    assert_one_line_error(wit("search", str(clip_run), "--index", str(index)), "exactly one")
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not an image")
    assert_one_line_error(wit("search", str(clip_run), "--index", str(index), "--image", str(bad)), "cannot decode")
    with pytest.raises(WitError, match="not a finished wit embed output"):
        search_index(clip_run, tmp_path, text="a red square", device="cpu")
    with pytest.raises(WitError, match="cannot read the query image"):
        search_index(clip_run, index, image=tmp_path / "missing.png", device="cpu")
    with pytest.raises(WitError, match="faiss package"):
        search_index(clip_run, index, text="a red square", use_faiss=True, device="cpu")
    other = tmp_path / "other.safetensors"
    other.write_bytes((clip_run / "model.safetensors").read_bytes() + b" ")
    with pytest.raises(WitError, match="was embedded with"):
        search_index(other, index, text="a red square", device="cpu")


class FakeFlatIP:
    """The part of faiss.IndexFlatIP the backend uses, in NumPy."""

    def __init__(self, d: int) -> None:
        self.d, self.rows = d, np.zeros((0, d), np.float32)

    @property
    def ntotal(self) -> int:
        return self.rows.shape[0]

    def add(self, rows: np.ndarray) -> None:
        self.rows = np.concatenate([self.rows, rows])

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        scores = queries @ self.rows.T
        order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        pad = k - order.shape[1]
        found = np.take_along_axis(scores, order, 1)
        return np.pad(found, ((0, 0), (0, pad))), np.pad(order, ((0, 0), (0, pad)), constant_values=-1)


def test_faiss_backend_agrees_with_exact_search(clip_run: Path, planted_index, monkeypatch) -> None:
    _, index = planted_index
    saved: dict[str, FakeFlatIP] = {}
    fake = types.SimpleNamespace(
        IndexFlatIP=FakeFlatIP, write_index=lambda i, p: saved.update({p: i}) or Path(p).write_bytes(b"x")
    )
    fake.read_index = lambda p: saved[p.replace("images.faiss", "images.faiss")]
    monkeypatch.setitem(sys.modules, "faiss", fake)
    exact = search_index(clip_run, index, text="a yellow circle", k=30, device="cpu")
    with_faiss = search_index(clip_run, index, text="a yellow circle", k=30, device="cpu", use_faiss=True)
    assert with_faiss.backend == "faiss" and (index / "images.faiss").exists()
    assert [h["key"] for h in with_faiss.hits] == [h["key"] for h in exact.hits] and len(exact.hits) == 22
    np.testing.assert_allclose([h["score"] for h in with_faiss.hits], [h["score"] for h in exact.hits], atol=1e-5)
