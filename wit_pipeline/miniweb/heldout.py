"""Held-out evaluation images: the same classes, drawn from seeds the mini-web never serves.

(Except one, planted on purpose as a training image: decontamination must remove it.)
"""

from __future__ import annotations

from pathlib import Path

from wit_pipeline.miniweb.shapes import CLASSES, draw_shape

HELDOUT_SEED_BASE = 10_000_000


def heldout_seed(class_index: int, i: int) -> int:
    """The drawing seed of held-out image ``i`` of class ``class_index``."""
    return HELDOUT_SEED_BASE + class_index * 100_000 + i


def write_heldout(directory: str | Path, per_class: int = 20, size: int = 96) -> Path:
    """An image folder ``DIR/<colour_shape>/NNN.png`` (the layout ``wit eval`` reads)."""
    root = Path(directory)
    for index, cls in enumerate(CLASSES):
        folder = root / cls.slug
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            path = folder / f"{i:03d}.png"
            if not path.exists():
                draw_shape(cls, heldout_seed(index, i), size).save(path)
    return root
