"""wit crawl warc's library side: the real Common Crawl sample, damaged files, chunks, per-file counters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawlers.warc_crawl import FILES_STATS, WarcOptions, crawl_warc, record_kind
from tests.conftest import SHARED_FIXTURES
from tests.crawlers.conftest import read_parts
from tests.crawlers.warc_factory import html_response, wat_document, wat_metadata, write_warc
from wit_pipeline.errors import WitError
from wit_pipeline.layout.manifest_dir import REJECTS_DIR

COMMONCRAWL = SHARED_FIXTURES / "commoncrawl"
needs_commoncrawl = pytest.mark.skipif(
    not COMMONCRAWL.exists(), reason=f"Common Crawl sample not present at {COMMONCRAWL} (the repo's ../shared/fixtures)"
)
THUMB = "https://upload.wikimedia.org/wikipedia/commons/thumb"


@needs_commoncrawl
def test_real_commoncrawl_warc_gives_the_captioned_images(tmp_path: Path) -> None:
    stats = crawl_warc([str(COMMONCRAWL / "whirlwind.warc.gz")], tmp_path, progress=False)
    kept = read_parts(tmp_path)
    pairs = dict(zip(kept["url"].to_pylist(), kept["caption"].to_pylist()))
    assert pairs == {
        "https://an.wikipedia.org/static/images/mobile/copyright/wikipedia-wordmark-an.svg": "Biquipedia",
        "https://an.wikipedia.org/static/images/mobile/copyright/wikipedia-tagline-an.svg": "A enciclopedia libre",
        f"{THUMB}/0/0a/Escudo_de_Escopete_%28Guadalajara%29.svg/140px-Escudo_de_Escopete_%28Guadalajara%29.svg.png": (
            "Escudo d'armas"
        ),
        f"{THUMB}/9/9c/Castilla-La_Mancha-loc.svg/500px-Castilla-La_Mancha-loc.svg.png": (
            "Escopete ubicada en Castiella-La Mancha"
        ),
        f"{THUMB}/d/d2/Map_pointer.svg/24px-Map_pointer.svg.png": "Escopete",
        "https://an.wikipedia.org/static/images/footer/wikimedia-button-2x.png": "Wikimedia Foundation",
        "https://an.wikipedia.org/static/images/footer/poweredby_mediawiki_176x62.png": "Powered by MediaWiki",
    }
    assert set(kept["page_url"].to_pylist()) == {"https://an.wikipedia.org/wiki/Escopete"}
    assert set(kept["source"].to_pylist()) == {"warc"}
    (funnel,) = stats["funnel"]
    assert (funnel["rows_in"], funnel["kept"]) == (13, 7)
    assert funnel["rejected"] == {"empty_caption": 1, "missing_caption": 4, "tracking_pixel": 1}
    assert funnel["extra"]["html_pages"] == 1 and funnel["extra"]["images_with_caption"] == 7
    rejects = read_parts(tmp_path / REJECTS_DIR)
    assert set(rejects["input_file"].to_pylist()) == {str((COMMONCRAWL / "whirlwind.warc.gz").resolve())}
    assert rejects.num_rows == 6 and None not in rejects["record_offset"].to_pylist()


@needs_commoncrawl
def test_real_commoncrawl_wat_gives_zero_pairs_without_error(tmp_path: Path) -> None:
    stats = crawl_warc([str(COMMONCRAWL / "whirlwind.warc.wat.gz")], tmp_path, progress=False)
    (funnel,) = stats["funnel"]
    assert (funnel["rows_in"], stats["rows_out"]) == (0, 0)
    assert funnel["extra"]["wat_records"] == 1 and funnel["extra"]["records"] == 2
    assert not any(k.startswith("skipped_record") for k in funnel["extra"])


def test_damaged_inputs_are_counted_and_the_job_goes_on(tmp_path: Path) -> None:
    good = tmp_path / "good.warc.gz"
    write_warc(good, [lambda w: html_response(w, "http://a.example/", b"<img src=/x.png alt='fine picture'>")])
    truncated = tmp_path / "truncated.warc.gz"
    write_warc(
        truncated,
        [lambda w, i=i: html_response(w, f"http://b.example/{i}", b"<img src=a.png alt=b>") for i in range(2)],
    )
    truncated.write_bytes(truncated.read_bytes()[:-30])
    wat = tmp_path / "links.wat.gz"
    doc = wat_document("http://c.example/p", [{"path": "IMG@/src", "url": "/c.png", "alt": "from wat"}])
    write_warc(
        wat,
        [
            lambda w: wat_metadata(w, "http://c.example/p", doc),
            lambda w: wat_metadata(w, "http://c.example/q", b'{"Envelope": {"Links": [{"path": "IMG@/src"'),
        ],
    )
    latin = tmp_path / "latin.warc"
    page = '<img src="/l.png" alt="déjà vu">'.encode("cp1252")
    write_warc(
        latin, [lambda w: html_response(w, "http://d.example/", page, [("Content-Type", "text/html")])], gzip=False
    )
    stats = crawl_warc([str(p) for p in (good, truncated, wat, latin)], tmp_path / "out", progress=False)
    kept = read_parts(tmp_path / "out")
    assert sorted(zip(kept["caption"].to_pylist(), kept["source"].to_pylist())) == [
        ("b", "warc"),
        ("déjà vu", "warc"),
        ("fine picture", "warc"),
        ("from wat", "wat"),
    ]
    (funnel,) = stats["funnel"]
    assert funnel["extra"]["skipped_record_truncated_record"] == 1
    assert funnel["extra"]["skipped_record_invalid_json"] == 1
    files = json.loads((tmp_path / "out" / FILES_STATS).read_text())
    per_file = {Path(f["file"]).name: f["counters"][0]["extra"] for f in files}
    assert per_file["truncated.warc.gz"]["records_unreadable"] == 1
    assert per_file["links.wat.gz"]["wat_records_with_images"] == 1
    assert per_file["good.warc.gz"]["images_with_caption"] == 1


def test_a_50mb_page_is_skipped_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.warc"
    huge = b"<html><body>" + b"<p>filler</p>" * (50 * 1024 * 1024 // 13) + b"<img src=/h.png alt=huge></body></html>"
    write_warc(
        path,
        [
            lambda w: html_response(w, "http://big.example/", huge),
            lambda w: html_response(w, "http://ok.example/", b"<img src=o.png alt=ok>"),
        ],
        gzip=False,
    )
    stats = crawl_warc([str(path)], tmp_path / "out", WarcOptions(max_bytes=1024 * 1024), progress=False)
    assert stats["funnel"][0]["extra"]["skipped_record_html_too_large"] == 1
    assert read_parts(tmp_path / "out")["caption"].to_pylist() == ["ok"]


def test_rows_are_emitted_in_parts_of_bounded_size(tmp_path: Path) -> None:
    body = b"".join(b"<img src=/%d.png alt='picture %d'>" % (i, i) for i in range(10))
    path = tmp_path / "many.warc.gz"
    write_warc(path, [lambda w, i=i: html_response(w, f"http://m.example/{i}", body) for i in range(5)])
    stats = crawl_warc([str(path)], tmp_path / "out", WarcOptions(rows_per_part=20), progress=False)
    parts = sorted((tmp_path / "out").glob("part-*.parquet"))
    assert stats["parts"] == len(parts) == 3 and read_parts(tmp_path / "out").num_rows == 50


def test_runs_on_a_dask_cluster_and_resumes_as_done(tmp_path: Path, dask_client) -> None:
    paths = []
    for n in range(3):
        path = tmp_path / f"f{n}.warc.gz"
        write_warc(
            path, [lambda w, n=n: html_response(w, f"http://h{n}.example/", b"<img src=/a.png alt='caption here'>")]
        )
        paths.append(str(path))
    first = crawl_warc(paths, tmp_path / "out", client=dask_client, progress=False)
    assert first["rows_out"] == 3 and first["tasks"] == 3
    again = crawl_warc(paths, tmp_path / "out", client=dask_client, progress=False)
    assert again == first


def test_record_kinds_and_bad_inputs(tmp_path: Path) -> None:
    assert record_kind("response", "application/http; msgtype=response", "text/html; charset=utf-8") == "html"
    assert record_kind("response", "application/http", "image/jpeg") is None
    assert record_kind("resource", "text/html", None) == "html"
    assert record_kind("metadata", "application/json", None) == "wat"
    assert record_kind("request", "application/http", None) is None
    with pytest.raises(WitError, match="no such file"):
        crawl_warc([str(tmp_path / "missing.warc.gz")], tmp_path / "out", progress=False)
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "old.arc.gz").write_bytes(b"")  # the pre-WARC ARC format is not read
    with pytest.raises(WitError, match="holds no .warc"):
        crawl_warc([str(tmp_path / "empty")], tmp_path / "out", progress=False)


def test_noai_pages_yield_no_pairs_and_are_counted(tmp_path: Path) -> None:
    path = tmp_path / "optout.warc.gz"
    img = b"<img src=/a.png alt='a fine caption'>"
    headers = [("Content-Type", "text/html"), ("X-Robots-Tag", "noimageai")]
    write_warc(
        path,
        [
            lambda w: html_response(w, "http://a.example/", img, headers),
            lambda w: html_response(w, "http://b.example/", b"<meta name=robots content=noai>" + img),
            lambda w: html_response(w, "http://c.example/", img),
        ],
    )
    stats = crawl_warc([str(path)], tmp_path / "out", progress=False)
    assert stats["funnel"][0]["extra"]["pages_opted_out_noai"] == 2
    assert read_parts(tmp_path / "out")["page_url"].to_pylist() == ["http://c.example/"]


def test_a_record_the_extractor_fails_on_is_counted_and_skipped(tmp_path: Path, monkeypatch) -> None:
    import crawlers.warc_crawl as warc_crawl

    real = warc_crawl.extract_page

    def flaky(body, page_url, *args, **kwargs):
        if page_url == "http://bad.example/":
            raise RuntimeError("parser bug")
        return real(body, page_url, *args, **kwargs)

    monkeypatch.setattr(warc_crawl, "extract_page", flaky)
    path = tmp_path / "two.warc.gz"
    img = b"<img src=/a.png alt='caption'>"
    write_warc(path, [lambda w, h=h: html_response(w, f"http://{h}.example/", img) for h in ("bad", "good")])
    stats = crawl_warc([str(path)], tmp_path / "out", progress=False)
    assert stats["funnel"][0]["extra"]["skipped_record_extract_error"] == 1
    assert read_parts(tmp_path / "out")["page_url"].to_pylist() == ["http://good.example/"]
