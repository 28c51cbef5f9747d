"""Held-out evaluation images: the same classes, drawn from seeds the mini-web never serves."""

from __future__ import annotations

from pathlib import Path

from wit_pipeline.miniweb.shapes import CLASSES, draw_shape

HELDOUT_SEED_BASE = 10_000_000


def write_heldout(directory: str | Path, per_class: int = 20, size: int = 96) -> Path:
    """An image folder ``DIR/<colour_shape>/NNN.png`` (the layout ``wit eval`` reads)."""
    root = Path(directory)
    for index, cls in enumerate(CLASSES):
        folder = root / cls.slug
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            path = folder / f"{i:03d}.png"
            if not path.exists():
                draw_shape(cls, HELDOUT_SEED_BASE + index * 100_000 + i, size).save(path)
    return root
