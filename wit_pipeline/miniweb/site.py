"""Generate the mini-web: linked HTML pages whose images carry alt text the way the web writes it.

Planted on purpose, so every stage of the flow has something to catch (``Site.planted``):
captions in other languages, junk alt text (file names, "click here", sizes), images without
alt text, the same image at several URLs, the same URL on several pages, re-encoded near
duplicates, broken image links, a robots.txt-disallowed directory, an ``X-Robots-Tag: noai``
image, an HTML page behind an image link, a templated shop caption repeated (with the item
filled in) across pages for near-duplicate caption removal, and one held-out evaluation image
served as a training image, for decontamination.
"""

from __future__ import annotations

import html
import random
from collections import Counter
from dataclasses import dataclass, field

from wit_pipeline.miniweb.heldout import heldout_seed
from wit_pipeline.miniweb.shapes import CLASSES

ENGLISH = [
    "a {c}",
    "{C} on a plain background",
    "photo of a {c}",
    "my favourite {c}",
    "a simple {c} drawn by hand",
    "{c} illustration for the blog",
    "close-up of a {c}",
    "the {c} we saw today",
    "{C}, digital art",
    "a picture showing a {c}",
    "small {c} in the corner",
    "another {c} from the collection",
]
FOREIGN = ["fr", "de", "es"]
FOREIGN_TEMPLATES = {"fr": "{t} sur un fond clair", "de": "{t} auf hellem Hintergrund", "es": "{t} sobre fondo claro"}
JUNK = ["IMG_{n}.jpg", "DSC{n:04d}", "image", "click here", "thumbnail", "300x250", "logo", "photo"]
# Boilerplate a shop template writes on every product page: near duplicates of each other.
TEMPLATE_CAPTION = (
    "Shop poster no. {n} today at Shapes Store: free shipping on every order over fifty dollars, "
    "easy returns within thirty days"
)
TEMPLATE_EVERY = 7  # a template caption on every 7th page
# The held-out image planted as a training image, and its caption (words no other caption has).
EVAL_CLASS, EVAL_INDEX = 0, 0
EVAL_PATH = "/gallery/archive-0.jpg"
EVAL_CAPTION = "a {c} photographed for the museum archive"


@dataclass(frozen=True)
class ImageRoute:
    """What a path serves: a class image (class index, seed), with a variant."""

    cls: int
    seed: int
    variant: str = "plain"  # plain | lowq | noai


@dataclass
class Site:
    """The whole mini-web in memory; ``planted`` counts each planted problem."""

    pages: dict[str, str] = field(default_factory=dict)
    images: dict[str, ImageRoute] = field(default_factory=dict)
    fake_images: set[str] = field(default_factory=set)
    robots: str = "User-agent: *\nDisallow: /private/\n"
    planted: Counter = field(default_factory=Counter)


def build_site(pages: int = 300, images_per_page: tuple[int, int] = (4, 6), seed: int = 0) -> Site:
    """A deterministic mini-web of ``pages`` linked pages under ``/page/N.html``."""
    rng = random.Random(seed)
    site = Site()
    used_urls: list[tuple[str, int]] = []
    sections = 10
    for p in range(pages):
        imgs = [_image_tag(site, rng, p, i, used_urls) for i in range(rng.randint(*images_per_page))]
        if p % TEMPLATE_EVERY == 3:
            imgs.append(_template_tag(site, p))
        if p == pages // 2:
            imgs.append(_eval_tag(site))
        links = {(p + 1) % pages, (p + 7) % pages, rng.randrange(pages)}
        site.pages[f"/page/{p}.html"] = _page(f"Shapes page {p}", imgs, [f"/page/{q}.html" for q in sorted(links)])
    per_section = -(-pages // sections)
    for s in range(sections):
        members = [f"/page/{p}.html" for p in range(s * per_section, min(pages, (s + 1) * per_section))]
        site.pages[f"/section/{s}.html"] = _page(f"Section {s}", [], members)
    private = [_plain_tag(site, rng, 10_000 + i, "/private/img") for i in range(4)]
    site.pages["/private/secret.html"] = _page("Private", private, [])
    site.planted["robots_disallowed_page"] += 1
    site.pages["/"] = _page(
        "Shapes of the web", [], [f"/section/{s}.html" for s in range(sections)] + ["/private/secret.html"]
    )
    return site


def _image_tag(site: Site, rng: random.Random, page: int, slot: int, used: list[tuple[str, int]]) -> str:
    roll = rng.random()
    if roll < 0.04 and used:
        url, cls = rng.choice(used)
        site.planted["same_url_on_several_pages"] += 1
        return _img(url, _english(rng, cls))
    if roll < 0.07:
        site.planted["broken_image_link"] += 1
        return _img(f"/img/missing/{page}-{slot}.jpg", _english(rng, rng.randrange(len(CLASSES))))
    if roll < 0.08:
        site.planted["non_image_behind_image_link"] += 1
        path = f"/img/fake/{page}-{slot}.jpg"
        site.fake_images.add(path)
        return _img(path, _english(rng, rng.randrange(len(CLASSES))))
    cls = rng.randrange(len(CLASSES))
    seed = page * 100 + slot
    variant = "noai" if roll < 0.09 else "plain"
    folder = "/noai" if variant == "noai" else f"/img/{CLASSES[cls].slug}"
    path = f"{folder}/{seed}.jpg"
    site.images[path] = ImageRoute(cls, seed, variant)
    if variant == "noai":
        site.planted["x_robots_tag_noai_image"] += 1
        return _img(path, _english(rng, cls))
    used.append((path, cls))
    if roll < 0.15:
        lang = rng.choice(FOREIGN)
        site.planted[f"caption_in_{lang}"] += 1
        return _img(path, FOREIGN_TEMPLATES[lang].format(t=getattr(CLASSES[cls], lang)))
    if roll < 0.21:
        site.planted["junk_alt_text"] += 1
        return _img(path, rng.choice(JUNK).format(n=rng.randrange(1000, 9999)))
    if roll < 0.24:
        site.planted["missing_alt_text"] += 1
        return f'<img src="{path}">'
    if roll < 0.28:
        copy = f"/mirror/{seed}.jpg"
        site.images[copy] = ImageRoute(cls, seed)
        site.planted["same_image_at_several_urls"] += 1
        return _img(path, _english(rng, cls)) + _img(copy, _english(rng, cls))
    if roll < 0.30:
        near = f"/lowq/{seed}.jpg"
        site.images[near] = ImageRoute(cls, seed, "lowq")
        site.planted["near_duplicate_image"] += 1
        return _img(path, _english(rng, cls)) + _img(near, _english(rng, cls))
    if roll < 0.40:
        return f"<figure>{_img(path, '')}<figcaption>{html.escape(_english(rng, cls))}</figcaption></figure>"
    return _img(path, _english(rng, cls))


def _template_tag(site: Site, page: int) -> str:
    cls = page % len(CLASSES)
    path = f"/shop/{page}.jpg"
    site.images[path] = ImageRoute(cls, 5_000_000 + page)
    site.planted["template_caption"] += 1
    return _img(path, TEMPLATE_CAPTION.format(n=page))


def _eval_tag(site: Site) -> str:
    site.images[EVAL_PATH] = ImageRoute(EVAL_CLASS, heldout_seed(EVAL_CLASS, EVAL_INDEX))
    site.planted["heldout_eval_image"] += 1
    return _img(EVAL_PATH, EVAL_CAPTION.format(c=CLASSES[EVAL_CLASS].name))


def _plain_tag(site: Site, rng: random.Random, seed: int, folder: str) -> str:
    cls = rng.randrange(len(CLASSES))
    path = f"{folder}/{seed}.jpg"
    site.images[path] = ImageRoute(cls, seed)
    return _img(path, _english(rng, cls))


def _english(rng: random.Random, cls: int) -> str:
    name = CLASSES[cls].name
    template = rng.choice(ENGLISH)
    return template.format(c=name, C=name[0].upper() + name[1:])


def _img(src: str, alt: str) -> str:
    return f'<img src="{src}" alt="{html.escape(alt, quote=True)}" width="96" height="96">'


def _page(title: str, images: list[str], links: list[str]) -> str:
    body = "\n".join(f"<p>{tag}</p>" for tag in images)
    nav = " ".join(f'<a href="{href}">{html.escape(href)}</a>' for href in links)
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title></head>'
        f"<body><h1>{html.escape(title)}</h1>{body}<nav>{nav}</nav></body></html>"
    )
