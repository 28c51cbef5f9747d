"""Benchmark: WARC HTML extraction (pages/s) and WAT link reading (records/s) per core, side by side.

Side by side on the same generated input, one process, serial (the per-task code a dask
worker runs): wit's ``WarcFileTask`` (FastWARC reading + selectolax extraction or orjson WAT
decoding, into raw rows with counters; the whole task adds row validation into Arrow tables)
against a plain baseline written here: warcio + stdlib ``html.parser`` collecting ``<img>``
src/alt/title with ``urljoin`` for WARC, and warcio + ``json.loads`` of every record walking
``Links`` for WAT. Inputs imitate Common Crawl: ~40 KB pages with 25 images; WAT captures of
request, response and metadata records with compact JSON. Medians of interleaved rounds;
results update ``## Crawl (issue 3)``.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import orjson
from fastwarc.stream_io import GzipReader
from fastwarc.warc import ArchiveIterator as FastArchiveIterator
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from benchmarks.report import update_section
from crawlers.warc_crawl import WarcFileTask, WarcOptions

WORDS = "the of a river town church photo map old new great small house bridge market tower garden view".split()


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choices(WORDS, k=n))


def make_page(rng: random.Random, i: int) -> bytes:
    """A ~40 KB article page: navigation, scripts, text, 25 images in various markup."""
    out = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Article {i} &amp; more</title><style>{'.c{margin:0 auto;padding:1px}' * 40}</style>",
        f"<script>var cfg = {{'page': {i}, 'items': [{','.join(str(k) for k in range(2000))}]}};</script></head><body>",
        "<nav><ul>" + "".join(f"<li><a href='/section/{k}'>Section {k}</a></li>" for k in range(60)) + "</ul></nav>",
    ]
    for k in range(25):
        out.append(
            f"<div class='para p{k}'><p>{_sentence(rng, 150)} <a href='/wiki/{rng.randint(0, 99999)}'>link</a></p>"
        )
        kind = k % 5
        src = rng.choice([f"/img/{i}_{k}.jpg", f"//cdn.example.net/{i}/{k}.png", f"https://img.example.org/{k}.webp"])
        alt = _sentence(rng, rng.randint(2, 9)).replace("old", "old &amp; new")
        if kind == 0:
            out.append(f"<img src='{src}' alt='{alt}' width='320' height='240'>")
        elif kind == 1:
            img = f"<img src='{src}' width='640' height='480'>"
            out.append(f"<figure class='thumb'>{img}<figcaption>{alt}</figcaption></figure>")
        elif kind == 2:
            out.append(f"<img src='{src}' srcset='{src} 1x, {src}?w=2 2x' alt='{alt}' title='{_sentence(rng, 3)}'>")
        elif kind == 3:
            out.append(f"<span><img src='{src}' alt=''></span>")
        else:
            out.append(f"<img src='/pixel.gif?p={k}' width='1' height='1' alt=''><img src='{src}'>")
        out.append("</div>")
    out.append("<footer>" + "".join(f"<a href='/f/{k}'>{_sentence(rng, 2)}</a>" for k in range(40)) + "</footer>")
    out.append("</body></html>")
    return "".join(out).encode()


def _wat_envelope(rng: random.Random, uri: str, kind: str, payload_meta: dict) -> bytes:
    doc = {
        "Container": {"Filename": "CC-MAIN-bench.warc.gz", "Compressed": True, "Offset": str(rng.randint(0, 10**9))},
        "Envelope": {
            "Format": "WARC",
            "WARC-Header-Length": "357",
            "WARC-Header-Metadata": {"WARC-Type": kind, "WARC-Date": "2024-05-18T01:58:10Z", "WARC-Target-URI": uri},
            "Payload-Metadata": payload_meta,
        },
    }
    return json.dumps(doc, separators=(",", ":")).encode()


def make_wat_records(rng: random.Random, i: int) -> list[tuple[str, bytes]]:
    """One capture as Common Crawl's WAT has it: request, response (with Links), metadata."""
    uri = f"https://site{i % 40}.example.com/articles/{i}/{_sentence(rng, 3).replace(' ', '-')}"
    request = {"HTTP-Request-Metadata": {"Request-Message": {"Method": "GET", "Path": "/"}, "Headers": {"Host": "x"}}}
    links = []
    for k in range(120):
        links.append({"path": "A@/href", "url": f"/articles/{rng.randint(0, 10**6)}", "text": _sentence(rng, 3)})
        if k % 6 == 0:
            url = rng.choice(
                [f"/media/{i}_{k}.jpg", f"https://cdn.example.net/{k}.png", f"//cdn2.example.org/{k}.webp"]
            )
            links.append({"path": "IMG@/src", "url": url, "alt": _sentence(rng, rng.randint(0, 8))})
    head = {"Title": f"Article {i}", "Metas": [{"name": "description", "content": _sentence(rng, 30)}]}
    response = {
        "HTTP-Response-Metadata": {
            "Response-Message": {"Status": "200", "Version": "HTTP/1.1"},
            "Headers": {"Content-Type": "text/html; charset=UTF-8", "Server": "nginx"},
            "HTML-Metadata": {"Head": head, "Links": links},
        }
    }
    metadata = {"WARC-Metadata-Metadata": {"Metadata-Records": [{"Name": "fetchTimeMs", "Value": "120"}]}}
    return [
        (uri, _wat_envelope(rng, uri, t, m))
        for t, m in (("request", request), ("response", response), ("metadata", metadata))
    ]


def write_inputs(directory: Path, pages: int, captures: int, seed: int = 0) -> tuple[Path, Path, int]:
    """The benchmark's WARC (HTML responses) and WAT files, gzip per record, and the HTML bytes."""
    rng = random.Random(seed)
    html_bytes = 0
    warc, wat = directory / "pages.warc.gz", directory / "links.wat.gz"
    with warc.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for i in range(pages):
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            uri = f"https://news{i % 20}.example.com/story/{i}"
            page = make_page(rng, i)
            html_bytes += len(page)
            writer.write_record(
                writer.create_warc_record(uri, "response", payload=io.BytesIO(page), http_headers=headers)
            )
    with wat.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for i in range(captures):
            for uri, payload in make_wat_records(rng, i):
                record = writer.create_warc_record(
                    uri, "metadata", payload=io.BytesIO(payload), warc_content_type="application/json"
                )
                writer.write_record(record)
    return warc, wat, html_bytes


class _PlainImages(HTMLParser):
    """The baseline's extractor: <base href> and every <img> src/alt/title, nothing more."""

    def __init__(self, page_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base = page_url
        self.images: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Collect what the baseline extracts: the base URL and each image's URL and caption."""
        if tag == "base":
            href = dict(attrs).get("href")
            if href:
                self.base = urljoin(self.base, href)
        elif tag == "img":
            a = dict(attrs)
            src = (a.get("src") or "").strip()
            if src and not src.startswith("data:"):
                self.images.append((urljoin(self.base, src), a.get("alt") or a.get("title")))


def baseline_warc(path: Path) -> tuple[int, list]:
    """warcio + html.parser: (pages, [(url, caption)])."""
    pages, pairs = 0, []
    with path.open("rb") as fh:
        for record in ArchiveIterator(fh):
            if record.rec_type != "response" or not record.http_headers:
                continue
            if "html" not in (record.http_headers.get_header("Content-Type") or ""):
                continue
            parser = _PlainImages(record.rec_headers.get_header("WARC-Target-URI"))
            parser.feed(record.content_stream().read().decode("utf-8", "replace"))
            parser.close()
            pages += 1
            pairs += parser.images
    return pages, pairs


def baseline_wat(path: Path) -> tuple[int, list]:
    """warcio + json.loads of every record, walking Links for IMG@/src: (records, [(url, alt)])."""
    records, pairs = 0, []
    with path.open("rb") as fh:
        for record in ArchiveIterator(fh):
            if record.rec_type != "metadata":
                continue
            records += 1
            doc = json.loads(record.content_stream().read())
            envelope = doc.get("Envelope", {})
            target = envelope.get("WARC-Header-Metadata", {}).get("WARC-Target-URI", "")
            html = envelope.get("Payload-Metadata", {}).get("HTTP-Response-Metadata", {}).get("HTML-Metadata", {})
            base = urljoin(target, html.get("Head", {}).get("Base") or "")
            for link in html.get("Links", []):
                if link.get("path") == "IMG@/src":
                    pairs.append((urljoin(base, link.get("url", "")), link.get("alt")))
    return records, pairs


def _fastwarc_payloads(path: Path) -> Iterator[bytes]:
    """Every record's payload, read with FastWARC: the iteration the floors below share."""
    with path.open("rb") as fh:
        for record in FastArchiveIterator(GzipReader(fh), stream_detect=False):
            yield record.reader.read()


def fastwarc_only(path: Path) -> int:
    """Only iterate the records and read their payloads with FastWARC: wit's reading floor."""
    return sum(1 for _ in _fastwarc_payloads(path))


def fastwarc_orjson(path: Path) -> int:
    """FastWARC iteration plus ``orjson.loads`` of every record: the floor of a reader that decodes them all."""
    records = 0
    for payload in _fastwarc_payloads(path):
        orjson.loads(payload)
        records += 1
    return records


def fastwarc_orjson_links(path: Path) -> int:
    """The above plus picking each response's ``IMG@/src`` links out of its ``Links``, and nothing else."""
    images = 0
    for payload in _fastwarc_payloads(path):
        doc = orjson.loads(payload)
        html = doc["Envelope"]["Payload-Metadata"].get("HTTP-Response-Metadata", {}).get("HTML-Metadata", {})
        images += len([link for link in html.get("Links", []) if link.get("path") == "IMG@/src"])
    return images


def _totals(counters: list) -> dict:
    extra: dict = {}
    for c in counters:
        for key, value in c.items():
            extra[key] = extra.get(key, 0) + value
    return extra


def wit_extract(path: Path) -> dict:
    """wit's reading + extraction for one file (the task minus validation): its counters."""
    return _totals([batch.extra for batch in WarcFileTask("00000", str(path), WarcOptions()).batches()])


def wit_task(path: Path) -> dict:
    """wit's whole per-file task: extraction, validation, uids, Arrow chunks."""
    return _totals([chunk.counters[0].extra for chunk in WarcFileTask("00000", str(path), WarcOptions()).run()])


def wit_wat_pairs(path: Path) -> list[tuple[str, str | None]]:
    """The (url, caption) pairs of wit's WAT rows, in file order, to hold against the baseline's (not timed)."""
    pairs: list[tuple[str, str | None]] = []
    for batch in WarcFileTask("00000", str(path), WarcOptions()).batches():
        for table in batch.tables.get("wat", []):
            pairs += zip(table["url"].to_pylist(), table["caption"].to_pylist())
    return pairs


def _interleaved_medians(
    jobs: list[tuple[str, object, Path]], runs: int
) -> tuple[dict[str, tuple[float, object]], dict[str, list[float]]]:
    """Median CPU seconds of each job (per-core cost, less sensitive to other load on the machine), the jobs run
    in turn each round so whatever load there is hits all alike; and every round's seconds per job."""
    times: dict[str, list[float]] = {name: [] for name, _, _ in jobs}
    results: dict[str, object] = {}
    for _ in range(runs):
        for name, fn, path in jobs:
            started = time.process_time()
            results[name] = fn(path)
            times[name].append(time.process_time() - started)
    return {name: (statistics.median(times[name]), results[name]) for name in times}, times


def main(argv: list[str] | None = None) -> dict:
    """Generate inputs, time both implementations, print and record the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=200, help="HTML pages in the WARC (default 200)")
    parser.add_argument("--captures", type=int, default=1500, help="WAT captures, 3 records each (default 1500)")
    parser.add_argument("--runs", type=int, default=5, help="runs per implementation; medians are reported")
    parser.add_argument("--no-write", action="store_true", help="do not update BENCHMARKS.md")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        warc, wat, html_bytes = write_inputs(Path(tmp), args.pages, args.captures)
        sizes = {p.name: p.stat().st_size for p in (warc, wat)}
        jobs = [
            ("html_baseline", baseline_warc, warc),
            ("html_wit", wit_extract, warc),
            ("html_wit_task", wit_task, warc),
            ("wat_baseline", baseline_wat, wat),
            ("wat_wit", wit_extract, wat),
            ("wat_wit_task", wit_task, wat),
            ("wat_fastwarc_only", fastwarc_only, wat),
            ("wat_fastwarc_orjson", fastwarc_orjson, wat),
            ("wat_fastwarc_orjson_links", fastwarc_orjson_links, wat),
        ]
        timings, rounds = _interleaved_medians(jobs, args.runs)
        wit_pairs = wit_wat_pairs(wat)  # not timed: compared with the baseline's pairs below
    pages, html_pairs = timings["html_baseline"][1]
    records, wat_pairs = timings["wat_baseline"][1]
    html_counts, wat_counts = timings["html_wit"][1], timings["wat_wit"][1]
    assert html_counts["html_pages"] == pages and html_counts["images"] == len(html_pairs)
    assert wat_counts["wat_records"] == records and wat_counts["images"] == len(wat_pairs)
    assert wit_pairs == wat_pairs, "wit and the baseline must resolve the WAT links to the same (url, caption) pairs"
    rate = {name: (pages if name.startswith("html") else records) / t for name, (t, _) in timings.items()}
    results = {
        "warc_html_pages_per_s": {k.removeprefix("html_"): v for k, v in rate.items() if k.startswith("html")},
        "wat_records_per_s": {k.removeprefix("wat_"): v for k, v in rate.items() if k.startswith("wat")},
    }
    for floor in ("fastwarc_only", "fastwarc_orjson", "fastwarc_orjson_links"):
        results["wat_records_per_s"][f"bound_{floor}"] = rate[f"wat_{floor}"] / rate["wat_baseline"]
    for key, prefix in (("warc_html_pages_per_s", "html"), ("wat_records_per_s", "wat")):
        results[key]["ratio"] = rate[f"{prefix}_wit"] / rate[f"{prefix}_baseline"]
        results[key]["ratio_whole_task"] = rate[f"{prefix}_wit_task"] / rate[f"{prefix}_baseline"]
        per_round = [b / w for b, w in zip(rounds[f"{prefix}_baseline"], rounds[f"{prefix}_wit"])]
        results[key]["ratio_per_round"] = [min(per_round), max(per_round)]
    print(json.dumps(results, indent=2))
    if not args.no_write:
        sizes["page_kb"] = html_bytes / pages / 1024
        spread = {k: v["ratio_per_round"] for k, v in results.items()}
        update_section("Crawl (issue 3)", _report(args, sizes, pages, records, rate, html_counts, wat_counts, spread))
    return results


def _report(args, sizes: dict, pages: int, records: int, rate: dict, html: dict, wat: dict, spread: dict) -> str:
    rows = []
    for label, prefix, unit in (("WARC HTML extraction", "html", "pages/s"), ("WAT records", "wat", "records/s")):
        wit, task, base = rate[f"{prefix}_wit"], rate[f"{prefix}_wit_task"], rate[f"{prefix}_baseline"]
        rows.append(
            f"| {label} | {wit:,.0f} {unit} | {base:,.0f} {unit} | **{wit / base:.1f}x** "
            f"| {task:,.0f} {unit} ({task / base:.1f}x) |"
        )
    table = "\n".join(rows)
    ratio = rate["wat_wit"] / rate["wat_baseline"]
    verdict = "meets the 3x target" if ratio >= 3 else f"misses the 3x target ({ratio:.1f}x)"

    def floor(name: str) -> str:
        return f"{rate[f'wat_{name}']:,.0f} records/s ({rate[f'wat_{name}'] / rate['wat_baseline']:.1f}x the baseline)"

    return f"""`python benchmarks/bench_crawl_warc.py` — one process, 1 core, CPU time, median of {args.runs} \
rounds, each round running every implementation in turn on the same input. Input generated like Common Crawl: \
{pages} HTML pages (~{sizes["page_kb"]:.0f} KB, 25 `<img>` each, gzip WARC \
{sizes["pages.warc.gz"] / 1e6:.1f} MB) and {records} WAT records ({args.captures} captures: request, response with \
~140 links, metadata; {sizes["links.wat.gz"] / 1e6:.1f} MB gz).

Baseline (written in the script): warcio + stdlib `html.parser` collecting `<img>` src/alt/title with `urljoin` \
for WARC; warcio + `json.loads` of every record walking `Links` for `IMG@/src` for WAT; both return (url, caption) \
pairs. wit: `WarcFileTask.batches()` — FastWARC reading, then selectolax extraction (srcset, figcaption, base, \
charset, skips and opt-outs) or the WAT link reader (orjson; opt-outs, `Head.Base`, skip reasons; each batch's \
links resolved in bulk with Arrow string kernels, per-row `resolve` only for unusual shapes, captions \
whitespace-collapsed column-wise), into raw rows with counters. Whole task: `WarcFileTask.run()`, which also \
validates every row, computes uids and builds the Arrow chunks (work the baseline does not do).

| per core | wit | baseline | ratio | wit whole task (ratio) |
| --- | --- | --- | --- | --- |
{table}

Ratios of single rounds (wit and the baseline timed in the same round) ranged \
{spread["warc_html_pages_per_s"][0]:.1f}x–{spread["warc_html_pages_per_s"][1]:.1f}x for HTML and \
{spread["wat_records_per_s"][0]:.1f}x–{spread["wat_records_per_s"][1]:.1f}x for WAT in this run.

Both sides find the same {html["images"]:,} `<img>` and {wat["images"]:,} `IMG@/src` links; for WAT the script \
also checks that wit's (url, caption) pairs are the baseline's, in the same order.

**WAT {verdict}.** wit decodes every WAT record with orjson, so invalid JSON anywhere is counted. Floors \
measured in the same rounds: FastWARC's record iteration alone runs at {floor("fastwarc_only")}, FastWARC plus \
`orjson.loads` of every record at {floor("fastwarc_orjson")}, and that plus picking each response's `IMG@/src` \
entries out of its ~140 `Links` in Python at {floor("fastwarc_orjson_links")}, before a single URL is resolved. \
The rest of wit's time goes to the reader's per-record checks and counters, opt-out and base lookups, taking the \
{wat["images"]:,} links' values out of their objects, and the batch's Arrow work (URL resolution, captions)."""


if __name__ == "__main__":
    main()
