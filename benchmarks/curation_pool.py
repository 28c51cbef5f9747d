"""The curation benchmark's pool: mini-web shape images with planted caption problems, served on 127.0.0.1.

Every image is one of the mini-web's 10 shape classes (``wit_pipeline.miniweb.shapes``); its caption is
planted as one of:

- ``clean``: English alt text naming the image's class (the mini-web's templates);
- ``swapped``: English alt text of another image, naming another class (what rule filters cannot see);
- ``junk``: file names, "click here", sizes (the mini-web's junk alt text);
- ``foreign``: the class named in French, German or Spanish;
- ``duplicate``: a few clean images published again at other URLs with their own English alt text.

The pool is a manifest whose URLs point at a ``Site`` served by ``wit_pipeline.miniweb.server``, so the
benchmark runs the real download, filter and image stages on it.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from wit_pipeline.manifest import compute_uid, conform
from wit_pipeline.miniweb.shapes import CLASSES
from wit_pipeline.miniweb.site import ENGLISH, FOREIGN, FOREIGN_TEMPLATES, JUNK, ImageRoute, Site

KINDS = ("clean", "swapped", "junk", "foreign", "duplicate")
SEED_BASE = 5_000_000  # image seeds far from the mini-web's and the held-out set's


@dataclass(frozen=True)
class PoolShares:
    """Planted shares of the pool's images (the rest are clean) and its duplicates."""

    swapped: float = 0.3
    junk: float = 0.1
    foreign: float = 0.1
    duplicate_rows: float = 0.1  # extra rows, as a share of the images
    duplicate_sources: int = 10  # how many clean images those rows repeat


@dataclass
class Pool:
    """The site to serve, the manifest rows (path, caption) and each row's planted kind by uid."""

    site: Site = field(default_factory=Site)
    rows: list[tuple[str, str]] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)

    def write_manifest(self, directory: Path, base_url: str) -> dict[str, str]:
        """Write ``directory/part-00000.parquet`` with absolute URLs; returns ``{uid: kind}``."""
        urls = [f"{base_url}{path}" for path, _ in self.rows]
        captions = [caption for _, caption in self.rows]
        uids = [compute_uid(u, c) for u, c in zip(urls, captions)]
        table = pa.table(
            {
                "uid": uids,
                "url": urls,
                "caption": captions,
                "page_url": pa.nulls(len(urls), pa.string()),
                "source": ["import"] * len(urls),
            }
        )
        directory.mkdir(parents=True, exist_ok=True)
        pq.write_table(conform(table), directory / "part-00000.parquet")
        return dict(zip(uids, self.kinds))


def english(rng: random.Random, cls: int) -> str:
    """English alt text naming class ``cls``, in one of the mini-web's templates."""
    name = CLASSES[cls].name
    return rng.choice(ENGLISH).format(c=name, C=name[0].upper() + name[1:])


def make_pool(images: int, shares: PoolShares | None = None, seed: int = 0) -> Pool:
    """A pool of ``images`` images plus duplicate rows, with planted captions (deterministic in ``seed``)."""
    shares = shares or PoolShares()
    rng = random.Random(seed)
    pool = Pool()
    clean: list[int] = []
    for i in range(images):
        cls = rng.randrange(len(CLASSES))
        path = f"/img/{i}.jpg"
        pool.site.images[path] = ImageRoute(cls, SEED_BASE + seed * 100_000 + i)
        roll = rng.random()
        if roll < shares.swapped:
            other = (cls + rng.randrange(1, len(CLASSES))) % len(CLASSES)
            caption, kind = english(rng, other), "swapped"
        elif roll < shares.swapped + shares.junk:
            caption, kind = rng.choice(JUNK).format(n=rng.randrange(1000, 9999)), "junk"
        elif roll < shares.swapped + shares.junk + shares.foreign:
            lang = rng.choice(FOREIGN)
            caption, kind = FOREIGN_TEMPLATES[lang].format(t=getattr(CLASSES[cls], lang)), "foreign"
        else:
            caption, kind = english(rng, cls), "clean"
            clean.append(i)
        pool.rows.append((path, caption))
        pool.kinds.append(kind)
    sources = rng.sample(clean, min(shares.duplicate_sources, len(clean)))
    for j in range(round(shares.duplicate_rows * images) if sources else 0):
        route = pool.site.images[f"/img/{sources[j % len(sources)]}.jpg"]
        path = f"/copy/{j}.jpg"
        pool.site.images[path] = route
        pool.rows.append((path, english(rng, route.cls)))
        pool.kinds.append("duplicate")
    return pool


def composition(shard_dir: Path, kinds: dict[str, str]) -> Counter:
    """How many samples of each planted kind a shard directory holds (status ``success`` rows)."""
    counts: Counter = Counter()
    for path in sorted(shard_dir.glob("[0-9]*.parquet")):
        table = pq.read_table(path, columns=["uid", "status"])
        for uid, status in zip(table["uid"].to_pylist(), table["status"].to_pylist()):
            if status == "success":
                counts[kinds.get(uid, "unknown")] += 1
    return counts
