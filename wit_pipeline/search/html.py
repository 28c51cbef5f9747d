"""A self-contained HTML page of search hits: thumbnails (inline data URIs), keys, captions and scores.

Thumbnails are read from the shards the index was embedded from, with the safe tar reader; the page
needs no server and no other file. Everything from the data (captions, keys) is HTML-escaped.
"""

from __future__ import annotations

import base64
import html
from collections import defaultdict
from pathlib import Path

from loaders.tar_reader import iter_samples
from wit_pipeline.atomic_files import write_text
from wit_pipeline.layout.shard_dir import tar_file

MIME = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
STYLE = (
    "body{font-family:sans-serif;margin:2em}ol{display:flex;flex-wrap:wrap;gap:1em;list-style:none;padding:0}"
    "li{width:200px}img{width:200px;height:200px;object-fit:contain;background:#eee}"
    ".score{font-weight:bold}.key{color:#666;font-family:monospace}"
)


def read_thumbnails(shard_dir: str | Path, hits: list[dict]) -> dict[str, tuple[str, bytes]]:
    """``{key: (mime type, image bytes)}`` for the hits found in ``shard_dir``'s tars (missing ones left out)."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for hit in hits:
        wanted[hit["shard"]].add(hit["key"])
    found: dict[str, tuple[str, bytes]] = {}
    for shard, keys in wanted.items():
        tar = Path(shard_dir) / tar_file(shard)
        if not tar.exists():
            continue
        for sample in iter_samples(tar):
            key = str(sample["__key__"])
            ext = next((e for e in MIME if e in sample), None)
            if key in keys and ext is not None:
                found[key] = (MIME[ext], bytes(sample[ext]))
                if len(found.keys() & keys) == len(keys):
                    break
    return found


def render(query: str, hits: list[dict], thumbnails: dict[str, tuple[str, bytes]]) -> str:
    """The page's HTML text."""
    items = []
    for hit in hits:
        thumb = thumbnails.get(hit["key"])
        if thumb is None:
            picture = '<div class="missing">image not found</div>'
        else:
            data = base64.b64encode(thumb[1]).decode("ascii")
            picture = f'<img src="data:{thumb[0]};base64,{data}" alt="{html.escape(hit["caption"] or "")}">'
        items.append(
            f'<li>{picture}<div class="score">#{hit["rank"]} {hit["score"]:.4f}</div>'
            f'<div class="key">{html.escape(hit["key"])}</div><div>{html.escape(hit["caption"] or "")}</div></li>'
        )
    title = html.escape(f"wit search: {query}")
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{title}</title><style>{STYLE}</style></head>'
        f"<body><h1>{title}</h1><ol>{''.join(items)}</ol></body></html>\n"
    )


def write_html(path: str | Path, query: str, hits: list[dict], shard_dir: str | Path) -> int:
    """Write the page to ``path``; returns how many thumbnails were found."""
    thumbnails = read_thumbnails(shard_dir, hits)
    out = Path(path).expanduser()
    out.parent.mkdir(parents=True, exist_ok=True)
    write_text(out, render(query, hits, thumbnails))
    return len(thumbnails)
