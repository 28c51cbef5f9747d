"""The demo's image classes: coloured shapes drawn with varied backgrounds, positions, sizes and noise.

Each class pairs one colour with one shape, and no colour or shape is shared between
classes, so a caption naming either word identifies the class.
"""

from __future__ import annotations

import io
import math
import random
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter


@dataclass(frozen=True)
class ShapeClass:
    """One class: ``colour`` + ``shape``, with translations for captions in other languages."""

    colour: str
    shape: str
    rgb: tuple[int, int, int]
    fr: str
    de: str
    es: str

    @property
    def name(self) -> str:
        return f"{self.colour} {self.shape}"

    @property
    def slug(self) -> str:
        return f"{self.colour}_{self.shape}"


CLASSES = [
    ShapeClass("red", "circle", (220, 30, 30), "un cercle rouge", "ein roter Kreis", "un círculo rojo"),
    ShapeClass("blue", "square", (30, 60, 220), "un carré bleu", "ein blaues Quadrat", "un cuadrado azul"),
    ShapeClass("green", "triangle", (30, 170, 50), "un triangle vert", "ein grünes Dreieck", "un triángulo verde"),
    ShapeClass("yellow", "star", (235, 200, 0), "une étoile jaune", "ein gelber Stern", "una estrella amarilla"),
    ShapeClass("purple", "hexagon", (130, 40, 170), "un hexagone violet", "ein lila Sechseck", "un hexágono morado"),
    ShapeClass("orange", "diamond", (245, 130, 20), "un losange orange", "eine orange Raute", "un rombo naranja"),
    ShapeClass("black", "cross", (20, 20, 20), "une croix noire", "ein schwarzes Kreuz", "una cruz negra"),
    ShapeClass("pink", "ring", (240, 110, 180), "un anneau rose", "ein rosa Ring", "un anillo rosa"),
    ShapeClass("brown", "arrow", (120, 70, 30), "une flèche marron", "ein brauner Pfeil", "una flecha marrón"),
    ShapeClass("cyan", "crescent", (0, 190, 200), "un croissant cyan", "ein cyan Halbmond", "una media luna cian"),
]


def _polygon(cx: float, cy: float, r: float, points: list[tuple[float, float]], angle: float) -> list[tuple]:
    cos, sin = math.cos(angle), math.sin(angle)
    return [(cx + r * (x * cos - y * sin), cy + r * (x * sin + y * cos)) for x, y in points]


def _regular(n: int) -> list[tuple[float, float]]:
    return [
        (math.cos(2 * math.pi * i / n - math.pi / 2), math.sin(2 * math.pi * i / n - math.pi / 2)) for i in range(n)
    ]


def _star() -> list[tuple[float, float]]:
    pts = []
    for i in range(10):
        radius = 1.0 if i % 2 == 0 else 0.45
        a = math.pi * i / 5 - math.pi / 2
        pts.append((radius * math.cos(a), radius * math.sin(a)))
    return pts


SHAPE_POINTS = {
    "square": [(-0.8, -0.8), (0.8, -0.8), (0.8, 0.8), (-0.8, 0.8)],
    "triangle": _regular(3),
    "star": _star(),
    "hexagon": _regular(6),
    "diamond": [(0, -1), (0.6, 0), (0, 1), (-0.6, 0)],
    "cross": [
        (-0.3, -1),
        (0.3, -1),
        (0.3, -0.3),
        (1, -0.3),
        (1, 0.3),
        (0.3, 0.3),
        (0.3, 1),
        (-0.3, 1),
        (-0.3, 0.3),
        (-1, 0.3),
        (-1, -0.3),
        (-0.3, -0.3),
    ],
    "arrow": [(-1, -0.25), (0.2, -0.25), (0.2, -0.6), (1, 0), (0.2, 0.6), (0.2, 0.25), (-1, 0.25)],
}


def draw_shape(cls: ShapeClass, seed: int, size: int = 96) -> Image.Image:
    """One image of ``cls``: random background, position, size, rotation, blur and noise.

    The background (a two-colour gradient with a few faint blobs) varies at low spatial
    frequencies, as photos do, so two different images of one class are far apart in pHash and
    only real near duplicates (the same picture re-encoded) fall within the dedup distance.
    """
    rng = random.Random(seed)
    img = _background(rng, size)
    r = size * rng.uniform(0.22, 0.38)
    cx, cy = rng.uniform(r, size - r), rng.uniform(r, size - r)
    colour = tuple(max(0, min(255, c + rng.randrange(-20, 21))) for c in cls.rgb)
    angle = rng.uniform(0, 2 * math.pi)
    mask = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(mask)
    if cls.shape == "circle":
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=255)
    elif cls.shape == "ring":
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=255, width=max(3, int(r * 0.35)))
    elif cls.shape == "crescent":
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=255)
        dx, dy = 0.45 * r * math.cos(angle), 0.45 * r * math.sin(angle)
        draw.ellipse((cx - r + dx, cy - r + dy, cx + r + dx, cy + r + dy), fill=0)
    else:
        draw.polygon(_polygon(cx, cy, r, SHAPE_POINTS[cls.shape], angle), fill=255)
    img.paste(colour, mask=mask)
    if rng.random() < 0.5:
        img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.0)))
    noise = np.random.default_rng(seed).normal(0, rng.uniform(3, 12), (size, size, 3))
    pixels = np.clip(np.asarray(img, dtype=np.float32) + noise, 0, 255).astype(np.uint8)
    return Image.fromarray(pixels)


def _background(rng: random.Random, size: int) -> Image.Image:
    """A light gradient between two random colours in a random direction, with 1-3 faint blobs."""
    start = np.array([rng.randrange(150, 256) for _ in range(3)], dtype=np.float32)
    end = np.array([rng.randrange(150, 256) for _ in range(3)], dtype=np.float32)
    direction = rng.uniform(0, 2 * math.pi)
    y, x = np.mgrid[0:size, 0:size] / (size - 1) - 0.5
    t = (math.cos(direction) * x + math.sin(direction) * y + 0.5)[..., None]
    img = Image.fromarray((start * (1 - t) + end * t).astype(np.uint8))
    draw = ImageDraw.Draw(img)
    for _ in range(rng.randrange(1, 4)):
        fill = tuple(int(v) for v in np.clip(start + rng.uniform(-45, 45), 0, 255))
        w, h = rng.uniform(0.2, 0.6) * size, rng.uniform(0.2, 0.6) * size
        x0, y0 = rng.uniform(-0.1, 0.9) * size, rng.uniform(-0.1, 0.9) * size
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)((x0, y0, x0 + w, y0 + h), fill=fill)
    return img


def encode_jpeg(img: Image.Image, quality: int = 90) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    return buf.getvalue()
