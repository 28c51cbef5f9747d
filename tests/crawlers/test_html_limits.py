"""Issue 19 item 4: pages whose parse would cost too much are refused before lexbor sees them."""

from __future__ import annotations

from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser

from crawlers.html_crawl import crawl_html
from crawlers.html_limits import MAX_HTML_DEPTH, SCAN_FROM_TAGS, PageTooComplex, check_html, html_depth
from crawlers.warc_crawl import crawl_warc
from tests.crawlers.conftest import literal_resolver, page_log, read_parts
from tests.crawlers.route_site import Route, RouteSite, page
from tests.crawlers.test_hostile_crawl import extra, options
from tests.crawlers.warc_factory import html_response, write_warc

DEEP = "<div>" * 30_000  # 150 KB; 100,000 of them took 26 s to parse
WIDE = "<div " + " ".join(f"a{i}" for i in range(30_000)) + ">"  # 100,000 distinct attributes took 34 s
FINE = '<figure><img src="/ok.png" alt="a fine picture"><figcaption>fine</figcaption></figure>'


# Elements that never deepen the stack a parser scans: void ones, those a sibling closes, the
# implied tbody, and SVG shapes (the estimate leaves them out; tables are scope boundaries).
_FLAT = set(
    "area base br col embed hr img input link meta param source track wbr p li dt dd option optgroup "
    "tr td th thead tbody tfoot colgroup caption rb rt rtc rp path circle rect".split()
)


def _lexbor_depth(html: str) -> int:
    """The depth of the tree lexbor builds, in nesting elements (the oracle for the estimate)."""
    tree = LexborHTMLParser(html)
    best = 0
    for node in tree.root.traverse():
        depth, here = 0, node
        while here is not None and here.tag not in ("body", "html"):
            depth += here.tag not in _FLAT
            here = here.parent
        best = max(best, depth)
    return best


@pytest.mark.parametrize(
    "html",
    [
        "<div>" * 40 + "</div>" * 40,
        "<section>" + "<div><p>text<img src=x><br></div>" * 50 + "</section>",
        "<ul>" + "<li>item" * 30 + "</ul>" * 1,
        "<table>" + "<tr><td>x<td>y" * 20 + "</table>",
        "<div><svg><path d='x'/><circle r='1'/></svg></div>" * 10,
        "<svg></svg>" + "<path/>" * 30 + "<svg><div>" + "<path/>" * 20,
        "<div/>" * 30,
        "</div>" * 50 + "<div>" * 25,
        "<DIV>" * 12 + "<span>" * 7,
    ],
)
def test_the_depth_estimate_never_undercounts_lexbor(html: str) -> None:
    assert html_depth(html) >= _lexbor_depth(html)


def test_deep_and_wide_pages_are_refused_and_small_ones_are_not_scanned() -> None:
    with pytest.raises(PageTooComplex, match="html_too_deep"):
        check_html(DEEP)
    with pytest.raises(PageTooComplex, match="html_too_deep"):
        check_html("</div>" * 100_000 + "<div/>" * 10_000)  # closing nothing first does not buy depth
    with pytest.raises(PageTooComplex, match="html_too_many_attributes"):
        check_html(WIDE)
    check_html("<div>" * (MAX_HTML_DEPTH * 2))  # few tags: parsed as is, whatever the shape
    check_html(("<p>word <img src=x alt='a caption with = and > signs'><br>" * SCAN_FROM_TAGS) + FINE)
    check_html("<svg>" + "<path d='M0 0'/>" * SCAN_FROM_TAGS + "</svg>")
    check_html("<div>" + "<svg><g><path d='M0 0'/><circle r='1'/></g></svg>" * SCAN_FROM_TAGS + "</div>")
    with pytest.raises(PageTooComplex, match="html_too_deep"):  # outside SVG, <path/> nests like <div>
        check_html("<svg></svg>" + "<path/>" * 10_000 + "</div>" * 10_000)
    with pytest.raises(PageTooComplex, match="html_too_deep"):  # an HTML tag ends the SVG content
        check_html("<svg><div>" + "<path/>" * 10_000 + "</div>" * 10_000)
    check_html("<img alt='" + "many words " * 5000 + "'>")


def test_the_crawler_turns_a_parse_bomb_into_an_outcome(tmp_path: Path) -> None:
    routes = {
        "/robots.txt": Route(b"", status=404),
        "/": page(FINE + '<a href="/deep">d</a><a href="/wide">w</a>'),
        "/deep": page(DEEP),
        "/wide": page(WIDE),
    }
    with RouteSite(routes) as site:
        stats = crawl_html(options(site), tmp_path, progress=False, resolver=literal_resolver())
    outcomes = {url.removeprefix(site.url.rstrip("/")): p["outcome"] for url, p in page_log(tmp_path).items()}
    assert outcomes == {"/": "ok", "/deep": "html_too_deep", "/wide": "html_too_many_attributes"}
    assert extra(stats)["outcome_html_too_deep"] == 1
    assert read_parts(tmp_path)["caption"].to_pylist() == ["a fine picture"]


def test_a_warc_parse_bomb_is_skipped_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "bombs.warc.gz"
    bodies = {"deep": DEEP.encode(), "wide": WIDE.encode(), "good": FINE.encode()}
    write_warc(path, [lambda w, h=h, b=b: html_response(w, f"http://{h}.example/", b) for h, b in bodies.items()])
    stats = crawl_warc([str(path)], tmp_path / "out", progress=False)
    counts = stats["funnel"][0]["extra"]
    assert counts["skipped_record_html_too_deep"] == 1
    assert counts["skipped_record_html_too_many_attributes"] == 1
    assert read_parts(tmp_path / "out")["page_url"].to_pylist() == ["http://good.example/"]
