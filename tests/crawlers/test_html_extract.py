"""The shared extractor: URLs, caption candidates, srcset, base, skips, opt-outs, links."""

from __future__ import annotations

from crawlers.html_extract import dimension, extract_page, is_html

PAGE = "https://site.example/dir/page.html"


def rows_of(html: str | bytes, **kw) -> list[dict]:
    return extract_page(html, PAGE, **kw).rows


def test_caption_candidates_and_figcaption() -> None:
    (row,) = rows_of(
        '<figure><div><img src="a.png" alt="  An\\n  apple &amp; pear " title="t"></div>'
        "<figcaption>The <i>apple</i>\n tree</figcaption></figure>"
    )
    assert row["url"] == "https://site.example/dir/a.png"
    assert (row["alt"], row["title"], row["figcaption"]) == ("An\\n apple & pear", "t", "The apple tree")
    assert row["caption"] == "An\\n apple & pear"
    (row,) = rows_of('<figure><img src="/b.png" title="only title"><figcaption>cap</figcaption></figure>')
    assert (row["caption"], row["url"]) == ("cap", "https://site.example/b.png")
    (row,) = rows_of('<img src="c.png" data-image-title="MetaCLIP title">')
    assert row["caption"] == "MetaCLIP title"


def test_inner_figure_caption_wins_and_missing_versus_empty_alt() -> None:
    rows = rows_of(
        "<figure><figure><img src=i.png><figcaption>inner</figcaption></figure>"
        "<img src=o.png alt=''><figcaption>outer</figcaption></figure><img src=n.png>"
    )
    assert [r["figcaption"] for r in rows] == ["inner", "outer", None]
    assert [r["caption"] for r in rows] == ["inner", "outer", None]
    assert rows[1]["alt"] == ""


def test_srcset_largest_base_href_and_protocol_relative() -> None:
    html = (
        '<base href="https://cdn.example/assets/">'
        '<img src="s.png" srcset="s1.png 1x, s3.png 3x, s2.png 2x" alt="x">'
        '<img src="w.png" srcset="//img.example/w_100,h_100/a.jpg 100w, //img.example/w_900,h_900/a.jpg 900w" alt="y">'
        '<picture><source srcset="p-big.webp 1600w, p-small.webp 400w" type="image/webp">'
        '<img src="p.jpg" srcset="p-800.jpg 800w" alt="z"></picture>'
    )
    urls = [r["url"] for r in rows_of(html)]
    assert urls == [
        "https://cdn.example/assets/s3.png",
        "https://img.example/w_900,h_900/a.jpg",
        "https://cdn.example/assets/p-big.webp",
    ]


def test_skips_are_counted_with_reasons() -> None:
    html = (
        '<img src="data:image/png;base64,' + "A" * 5000 + '" alt="inline">'
        '<img src="javascript:void(0)" alt="js"><img src="ftp://h/x.png" alt="ftp">'
        '<img src="/pixel.gif" width="1" height="1" alt=""><img alt="no src"><img src="  " alt="blank">'
        '<img src="data:image/gif;base64,R0lG" data-src="/lazy.jpg" alt="lazy">'
    )
    rows = rows_of(html)
    assert [r["skip"] for r in rows] == ["data_uri", "non_http", "non_http", "tracking_pixel", "no_src", "no_src", None]
    assert len(rows[0]["url"]) < 300 and rows[0]["url"].startswith("data:image/png")
    assert rows[-1]["url"] == "https://site.example/lazy.jpg"


def test_charset_from_header_meta_and_fallback() -> None:
    latin = '<img src="a.png" alt="café">'.encode("latin-1")
    assert rows_of(latin, content_type="text/html; charset=ISO-8859-1")[0]["caption"] == "café"
    meta = b'<meta charset="windows-1251"><img src="a.png" alt="' + "привет".encode("cp1251") + b'">'
    assert rows_of(meta)[0]["caption"] == "привет"
    assert rows_of(latin)[0]["caption"] == "café"  # not UTF-8, nothing declared: windows-1252
    assert extract_page(b"\xff\xfe\x00\x00garbage", PAGE).rows == []


def test_meta_robots_opt_outs() -> None:
    page = extract_page('<meta name="robots" content="noai, noimageai"><img src=a.png alt=x><a href=/n>n</a>', PAGE)
    assert page.rows == [] and page.opt_outs.no_images
    page = extract_page('<meta name="otherbot" content="noai"><img src=a.png alt=x>', PAGE)
    assert len(page.rows) == 1
    page = extract_page('<meta name="witbot" content="nofollow"><a href="/x">x</a>', PAGE, want_links=True)
    assert page.links == [] and page.opt_outs.no_follow


def test_links_resolved_without_fragments_and_nofollow() -> None:
    html = '<a href="../up#frag">u</a><a href="mailto:x@y">m</a><a rel="nofollow" href="/nf">n</a><area href="/map">'
    assert extract_page(html, PAGE, want_links=True).links == ["https://site.example/up", "https://site.example/map"]
    assert extract_page(html, PAGE).links == []


def test_dimension_and_content_type_helpers() -> None:
    assert [dimension(v) for v in ("300", "300px", " 12 ", "1.5", "abc", None, "99999999")] == [
        300,
        300,
        12,
        None,
        None,
        None,
        None,
    ]
    assert is_html("text/html; charset=utf-8") and is_html("application/xhtml+xml") and not is_html("image/png")
