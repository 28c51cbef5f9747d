"""HTML of the dataset sections: funnel, languages, caption lengths, queries, sample grid, rejects.

Each function returns the body of one section; captions, URLs, queries and reasons are untrusted
text and go through ``esc`` (or the escaping helpers) before they reach the page.
"""

from __future__ import annotations

from wit_pipeline.report.blocks import fmt_count, note, table
from wit_pipeline.report.charts import funnel_chart, hbar_chart, histogram, query_chart
from wit_pipeline.report.dataset_data import CaptionLengths, Languages, QueryCounts
from wit_pipeline.report.samples import RejectExample, RejectGroup, Sample
from wit_pipeline.report.svg import esc, truncate

MAX_LANGUAGES = 20
CAPTION_CHARS = 160


def funnel_body(funnel: list[dict]) -> str:
    """The funnel chart and its table: rows in, kept and rejected per reason, per stage."""
    rows = [
        (
            s["stage"],
            fmt_count(s["rows_in"]),
            fmt_count(s["kept"]),
            fmt_count(s["rejected_total"]),
            ", ".join(f"{k} {v:,}" for k, v in sorted(s["rejected"].items(), key=lambda kv: -kv[1])) or "—",
        )
        for s in funnel
    ]
    first, last = funnel[0], funnel[-1]
    share = f" ({last['kept'] / first['rows_in']:.1%})" if first["rows_in"] else ""
    summary = (
        f"{first['rows_in']:,} rows entered the first stage ({first['stage']}); {last['kept']:,} left the last "
        f"({last['stage']}){share}. For every stage, rows in = kept + rejected."
    )
    return (
        note(summary)
        + f'<div class="chart-wrap">{funnel_chart(funnel)}</div>'
        + table(["stage", "rows in", "kept", "rejected", "rejected by reason"], rows, numeric=(1, 2, 3))
    )


def languages_body(languages: Languages) -> str:
    """Captions per detected language (the languages the filter kept in green)."""
    counts = languages.counts[:MAX_LANGUAGES]
    rest = sum(n for _, n in languages.counts[MAX_LANGUAGES:])
    rows = [(lang, float(n)) for lang, n in counts] + ([("other languages", float(rest))] if rest else [])
    kept = ", ".join(sorted(languages.wanted))
    legend = f" Green: languages the filter keeps ({kept})." if kept else ""
    return note(f"Source: {languages.source}.{legend}") + (
        f'<div class="chart-wrap">{hbar_chart(rows, "captions per detected language", "captions", languages.wanted)}'
        "</div>"
    )


def captions_body(captions: CaptionLengths) -> str:
    """Two histograms of caption length: characters and words."""
    summary = f"{captions.source}: median {captions.median_chars:,} characters, {captions.median_words:,} words."
    if any(label.startswith("≥") for label in captions.chars.labels + captions.words.labels):
        summary += " A last bin marked ≥ gathers the longest 1%."
    chars = histogram(
        captions.chars.labels, captions.chars.counts, "caption length in characters", "characters per caption"
    )
    words = histogram(captions.words.labels, captions.words.counts, "caption length in words", "words per caption")
    return note(summary) + f'<div class="chart-row"><div>{chars}</div><div>{words}</div></div>'


def queries_body(queries: QueryCounts) -> str:
    """The most matched queries: pairs matched before balancing and kept pairs matching them after."""
    cap = f"cap t = {queries.cap:,}" if queries.cap is not None else "no cap"
    summary = (
        f"{queries.queries:,} queries; {queries.matched_queries:,} matched at least one caption; "
        f"{queries.capped_queries:,} matched more than the cap and were sampled with probability t / count "
        f"({cap}). A pair survives balancing if any of its queries keeps it, so kept counts can exceed the cap."
    )
    if not queries.top:
        return note(summary) + note("No query matched any caption.")
    rows = [
        (d["entries"], fmt_count(d["count"]), fmt_count(d["pairs_before"]), fmt_count(d["pairs_after"]))
        for d in queries.distribution
    ]
    spread = table(["entries", "count", "pairs before", "pairs after"], rows, numeric=(1, 2, 3))
    return (
        note(summary)
        + f'<div class="chart-wrap">{query_chart(queries.top, queries.cap)}</div>'
        + note("Head entries matched more than t captions, tail entries 1 to t (MetaCLIP's view of balancing).")
        + spread
    )


def _image(uri: str | None, alt: str) -> str:
    if uri is None:
        return '<div class="no-image">image does not decode</div>'
    return f'<img src="{esc(uri)}" alt="{esc(truncate(alt, 120))}" loading="eager">'


def samples_body(samples: list[Sample]) -> str:
    """A grid of thumbnails from the shards, each with its caption (full text on hover) and key."""
    cells = []
    for s in samples:
        caption = truncate(s.caption, CAPTION_CHARS)
        cells.append(
            f'<figure class="sample">{_image(s.image, s.caption)}'
            f'<figcaption title="{esc(s.caption)}">{esc(caption)}</figcaption>'
            f'<div class="key">{esc(s.key)}</div></figure>'
        )
    lead = note(f"{len(samples)} samples spread over the shard tars, as the loader reads them (image and txt).")
    return lead + f'<div class="grid">{"".join(cells)}</div>'


def rejects_body(groups: list[RejectGroup]) -> str:
    """For every (stage, reason): its count and a few rejected rows with caption, URL and detail."""
    parts = [note("A few rows per reason, read from the rejects files and the shard parquets (failed downloads).")]
    for group in groups:
        count = f"{group.count:,} rows" if group.count is not None else "count not in the funnel"
        parts.append(
            f'<div class="reject-group"><h3><span class="stage">{esc(group.stage)}</span> / '
            f'<span class="reason">{esc(group.reason)}</span> <span class="count">{esc(count)}</span></h3>'
        )
        if group.examples:
            parts.append(_reject_table(group.examples))
        else:
            parts.append(note("No example rows found (the rejects files of this stage are not in this directory)."))
        parts.append("</div>")
    return "".join(parts)


def _reject_table(examples: list[RejectExample]) -> str:
    """Rejected rows as a table; an image column only when some row has a thumbnail (image-stage rejects)."""
    with_images = any(ex.image is not None for ex in examples)
    rows = []
    for ex in examples:
        image = f'<td class="thumb">{_image(ex.image, ex.caption or "")}</td>' if with_images else ""
        caption = esc(truncate(ex.caption, CAPTION_CHARS)) if ex.caption is not None else "<em>none</em>"
        url = esc(truncate(ex.url or "", 100))
        detail = esc(truncate(ex.detail or "", 140))
        rows.append(
            f'<tr>{image}<td class="caption">{caption}</td><td><code>{url}</code></td>'
            f'<td class="detail">{detail}</td></tr>'
        )
    head = ('<th class="thumb">image</th>' if with_images else "") + "<th>caption</th><th>url</th><th>detail</th>"
    return f'<table class="rejects"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
