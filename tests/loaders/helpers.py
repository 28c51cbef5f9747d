"""Shards for loader tests: small JPEGs whose captions name their sample, written like the download stage."""

from __future__ import annotations

import io
import json
import socket
import tarfile
from pathlib import Path

import numpy as np
import webdataset as wds
from PIL import Image

from loaders import Tokenizer

LETTERS = "abcdefghijklmnopqrstuvwxyz"


def sample_word(shard: int, index: int) -> str:
    """A letters-only word naming (shard, index), so captions survive tokenisation and decoding intact."""
    number, word = shard * 10_000 + index, ""
    for _ in range(4):
        number, digit = divmod(number, 26)
        word = LETTERS[digit] + word
    return "id" + word


def caption(shard: int, index: int) -> str:
    """The caption stored for sample ``index`` of ``shard``."""
    return f"a photo of {sample_word(shard, index)}"


def sample_from_tokens(tokenizer: Tokenizer, row) -> str:
    """The sample word of a token row."""
    return tokenizer.decode(row).split()[-1]


def jpeg(width: int, height: int, seed: int, quality: int = 90) -> bytes:
    """A smooth random colour image as JPEG bytes."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width] / max(width, height)
    phase = rng.random(3) * 6
    array = np.stack([np.sin(4 * x + phase[0]), np.cos(3 * y + phase[1]), np.sin(2 * (x + y) + phase[2])], -1)
    buf = io.BytesIO()
    Image.fromarray(((array * 0.5 + 0.5) * 255).astype(np.uint8)).save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def write_shards(root: Path, sizes: list[int], image_size: int = 24, seed: int = 0) -> list[str]:
    """Write ``NNNNN.tar`` shards of ``sizes`` samples plus ``sizes.json`` and ``_info.json``; return the words."""
    root.mkdir(parents=True, exist_ok=True)
    words = []
    for shard, count in enumerate(sizes):
        with wds.TarWriter(str(root / f"{shard:05d}.tar")) as sink:
            for index in range(count):
                key = f"{shard:05d}{index:04d}"
                sink.write(
                    {
                        "__key__": key,
                        "jpg": jpeg(image_size + index % 5, image_size, seed * 100_000 + shard * 1000 + index),
                        "txt": caption(shard, index),
                        "json": {"uid": key, "url": f"http://example.org/{key}.jpg"},
                    }
                )
                words.append(sample_word(shard, index))
        (root / f"{shard:05d}_stats.json").write_text(json.dumps({"successes": count}))
    (root / "sizes.json").write_text(json.dumps({f"{s:05d}.tar": n for s, n in enumerate(sizes)}))
    (root / "_info.json").write_text(json.dumps({"samples": sum(sizes), "shards": len(sizes)}))
    return words


def add_member(
    tar: tarfile.TarFile, name: str, data: bytes = b"", kind: bytes = tarfile.REGTYPE, link: str = ""
) -> None:
    """Append one member of any type (regular file, symlink, device, directory…) to an open tar."""
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, link
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    tar.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)


def train_tokenizer(sizes: list[int]) -> Tokenizer:
    """A small tokenizer trained on the captions ``write_shards(sizes)`` writes."""
    captions = [caption(s, i) for s, n in enumerate(sizes) for i in range(n)]
    return Tokenizer.train(captions * 3, vocab_size=700)


def free_port() -> int:
    """A free TCP port on 127.0.0.1 for a gloo rendezvous."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
