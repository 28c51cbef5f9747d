"""The mini-web: deterministic, every planted problem present, served correctly on 127.0.0.1."""

from __future__ import annotations

import urllib.request
from urllib.error import HTTPError

import pytest

from wit_pipeline.miniweb.server import image_bytes, serve_site
from wit_pipeline.miniweb.shapes import CLASSES
from wit_pipeline.miniweb.site import build_site


def test_site_is_deterministic_and_plants_every_problem() -> None:
    a, b = build_site(pages=120, seed=3), build_site(pages=120, seed=3)
    assert a.pages == b.pages and a.images == b.images
    for problem in (
        "same_url_on_several_pages",
        "broken_image_link",
        "non_image_behind_image_link",
        "x_robots_tag_noai_image",
        "junk_alt_text",
        "missing_alt_text",
        "same_image_at_several_urls",
        "near_duplicate_image",
        "robots_disallowed_page",
    ):
        assert a.planted[problem] > 0, problem
    assert sum(a.planted[f"caption_in_{lang}"] for lang in ("fr", "de", "es")) > 0
    assert {r.cls for r in a.images.values()} == set(range(len(CLASSES)))


def test_server_serves_pages_images_and_planted_responses() -> None:
    site = build_site(pages=150, seed=1)
    noai = next(p for p, r in site.images.items() if r.variant == "noai")
    mirror = next(p for p in site.images if p.startswith("/mirror/"))
    original = next(p for p, r in site.images.items() if r == site.images[mirror] and p != mirror)
    with serve_site(site) as base:
        assert "Disallow: /private/" in urllib.request.urlopen(f"{base}/robots.txt").read().decode()
        assert b"<img" in urllib.request.urlopen(f"{base}/page/0.html").read()
        with urllib.request.urlopen(f"{base}{noai}") as r:
            assert r.headers["X-Robots-Tag"] == "noai, noimageai" and r.read()[:2] == b"\xff\xd8"
        assert urllib.request.urlopen(f"{base}{mirror}").read() == urllib.request.urlopen(f"{base}{original}").read()
        fake = next(iter(site.fake_images))
        with urllib.request.urlopen(f"{base}{fake}") as r:
            assert r.headers["Content-Type"] == "text/html"
        with pytest.raises(HTTPError):
            urllib.request.urlopen(f"{base}/img/missing/1.jpg")
    assert image_bytes(site.images[original]) != b""
