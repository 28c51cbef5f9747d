"""The whole report page: head (styles, a content security policy), overview, every section, one small script.

The page is self-contained: styles inline, charts inline SVG, images ``data:`` URIs. Its policy
allows images only from ``data:`` and no script but the one below (by hash), so even a caption
that slipped past escaping could neither run code nor fetch anything. The script only counts
the images that loaded and writes ``data-images-loaded="N/M"`` on <body>, for the browser test.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timezone

from wit_pipeline import __version__
from wit_pipeline.report.blocks import absent, fmt_count, note, section, table
from wit_pipeline.report.data import SECTIONS, ReportData
from wit_pipeline.report.dataset_sections import (
    captions_body,
    funnel_body,
    languages_body,
    queries_body,
    rejects_body,
    samples_body,
)
from wit_pipeline.report.model_sections import evaluation_body, training_body
from wit_pipeline.report.svg import esc

SCRIPT = (
    "window.addEventListener('load',function(){var imgs=document.images,ok=0;"
    "for(var i=0;i<imgs.length;i++){if(imgs[i].complete&&imgs[i].naturalWidth>0){ok++;}}"
    "document.body.setAttribute('data-images-loaded',ok+'/'+imgs.length);});"
)
SCRIPT_HASH = base64.b64encode(hashlib.sha256(SCRIPT.encode("utf-8")).digest()).decode("ascii")
POLICY = (
    f"default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'sha256-{SCRIPT_HASH}'; "
    "base-uri 'none'; form-action 'none'"
)

CSS = """
:root { --ink: #1f2933; --muted: #616e7c; --line: #d9e2ec; --bg: #f5f7fa; --card: #fff; --accent: #3b6fb6; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
  color: var(--ink); background: var(--bg); }
header { background: #1f2933; color: #fff; padding: 20px 32px 14px; }
header h1 { margin: 0 0 4px; font-size: 24px; }
header p { margin: 0; color: #cbd2d9; }
nav { margin-top: 10px; display: flex; flex-wrap: wrap; gap: 6px 14px; }
nav a { color: #9fc3f0; text-decoration: none; font-size: 13px; }
nav a.missing { color: #8a96a3; text-decoration: line-through; }
main { max-width: 1180px; margin: 0 auto; padding: 18px 24px 40px; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 14px 22px 18px;
  margin: 16px 0; }
section h2 { margin: 0 0 8px; font-size: 19px; border-bottom: 2px solid var(--accent); padding-bottom: 4px; }
section[data-state=absent] h2 { border-color: var(--line); color: var(--muted); }
h3 { font-size: 15px; margin: 16px 0 6px; }
.note { color: var(--muted); margin: 4px 0 10px; }
p.absent { background: #fff8e6; border-left: 4px solid #e0a23c; padding: 8px 12px; margin: 4px 0; }
table { border-collapse: collapse; margin: 8px 0 4px; font-size: 13px; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 10px; text-align: left; vertical-align: top; }
thead th { background: #eef2f7; font-weight: 600; }
tbody tr:nth-child(even) { background: #fafbfc; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 6px 0 12px; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 8px 14px; min-width: 170px; background: #fbfcfe; }
.card .big { font-size: 22px; font-weight: 600; color: var(--accent); }
.card .small { color: var(--muted); font-size: 12px; }
.chart-wrap { overflow-x: auto; }
.chart-row { display: flex; flex-wrap: wrap; gap: 18px; align-items: flex-start; }
svg.chart { max-width: 100%; height: auto; font-family: inherit; }
svg .tick { fill: var(--muted); font-size: 11px; }
svg .value { fill: var(--ink); font-size: 11px; }
svg .axis-label { fill: var(--ink); font-size: 12px; font-weight: 600; }
svg .chart-title { fill: var(--ink); font-size: 13px; font-weight: 600; }
svg .cap-label { fill: #c0392b; font-size: 11px; }
svg line.axis { stroke: #52606d; stroke-width: 1; }
svg line.grid { stroke: #e4e7eb; stroke-width: 1; }
svg line.cap { stroke: #c0392b; stroke-width: 1.5; stroke-dasharray: 5 3; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(118px, 1fr)); gap: 12px; }
figure.sample { margin: 0; padding: 6px; border: 1px solid var(--line); border-radius: 6px; background: #fbfcfe; }
figure.sample img, .no-image { display: block; width: 80px; height: 80px; object-fit: contain; margin: 0 auto 4px;
  background: #eef2f7; }
.no-image { font-size: 11px; color: var(--muted); text-align: center; padding-top: 24px; }
figcaption { font-size: 12px; line-height: 1.3; overflow-wrap: anywhere; display: -webkit-box; -webkit-line-clamp: 3;
  -webkit-box-orient: vertical; overflow: hidden; }
.key { font: 10px ui-monospace, monospace; color: var(--muted); }
.reject-group h3 .stage { color: var(--muted); font-weight: 500; }
.reject-group h3 .count { color: var(--muted); font-weight: 400; font-size: 13px; margin-left: 8px; }
table.rejects { width: 100%; table-layout: fixed; }
table.rejects th.thumb, table.rejects td.thumb { width: 64px; }
table.rejects td.thumb img { width: 48px; height: 48px; object-fit: contain; }
table.rejects td { overflow-wrap: anywhere; }
table.rejects td.caption { width: 32%; }
table.rejects td.detail { color: var(--muted); }
code { font: 12px ui-monospace, monospace; }
table.confusion td { min-width: 30px; padding: 3px 6px; }
table.confusion th.rot { height: 110px; white-space: nowrap; vertical-align: bottom; padding: 2px; }
table.confusion th.rot span { writing-mode: vertical-rl; transform: rotate(180deg); font-weight: 500; }
footer { color: var(--muted); text-align: center; font-size: 12px; padding-bottom: 24px; }
"""


def overview_body(data: ReportData) -> str:
    """Headline numbers as cards, then which parts of the directory were found and the build's steps."""
    cards = []
    if data.funnel:
        first, last = data.funnel[0], data.funnel[-1]
        share = last["kept"] / first["rows_in"] if first["rows_in"] else 0.0
        cards.append((f"{share:.1%}", f"of {first['rows_in']:,} rows kept through {len(data.funnel)} stages"))
    if data.shard_info:
        info = data.shard_info
        cards.append((f"{info.get('samples', 0):,}", f"samples in {info.get('shards', 0):,} shards"))
    if data.training and data.training.summary:
        s = data.training.summary
        cards.append((f"{s.get('steps', 0):,}", f"training steps, final loss {s.get('final_loss', float('nan')):.3f}"))
    if data.evaluation:
        for task, report in data.evaluation["results"].items():
            for key, label in (("acc1", "top-1"), ("test_acc1", "linear probe top-1"), ("mean_recall@1", "mean R@1")):
                if isinstance(report.get(key), (int, float)):
                    cards.append((f"{report[key]:.1%}", f"{task} {label}"))
    html = "".join(
        f'<div class="card"><div class="big">{esc(big)}</div><div class="small">{esc(small)}</div></div>'
        for big, small in cards
    )
    inputs = data.inputs
    found = [
        ("build", inputs.build),
        ("filtered manifest", inputs.manifest),
        ("shards", inputs.shards),
        ("training run", inputs.run),
        ("evaluation", inputs.eval_file),
    ]
    parts = [f'<div class="cards">{html}</div>' if cards else ""]
    parts.append(table(["part", "path"], [(name, str(path) if path else "not found") for name, path in found]))
    if data.steps:
        rows = [
            (step.get("step", ""), f"{step.get('seconds', 0):.1f}", _rows_out(step.get("rows_out")))
            for step in data.steps
        ]
        parts.append("<h3>Build steps (this run's wall time; a skipped, already finished step takes ~0 s)</h3>")
        parts.append(table(["step", "seconds", "rows out"], rows, numeric=(1, 2)))
    return "".join(parts)


def _rows_out(value: object) -> str:
    return fmt_count(value) if isinstance(value, int) and not isinstance(value, bool) else ""


def _body(data: ReportData, section_id: str) -> str | None:
    if section_id == "overview":
        return overview_body(data)
    renderers = {
        "funnel": (data.funnel, funnel_body),
        "languages": (data.languages, languages_body),
        "caption-lengths": (data.captions, captions_body),
        "queries": (data.queries, queries_body),
        "samples": (data.samples, samples_body),
        "rejects": (data.rejects, rejects_body),
        "training": (data.training if data.training and data.training.curves else None, training_body),
        "evaluation": (data.evaluation, evaluation_body),
    }
    value, render = renderers[section_id]
    return render(value) if value is not None else None


def render_report(data: ReportData, generated: datetime | None = None) -> str:
    """The report page for ``data`` as one HTML string."""
    when = (generated or datetime.now(timezone.utc)).strftime("%Y-%m-%d %H:%M UTC")
    sections, links = [], []
    for section_id, title in SECTIONS:
        body = _body(data, section_id)
        present = body is not None
        if body is None:
            body = absent(data.absent.get(section_id, "no data"))
        sections.append(section(section_id, title, body, present))
        cls = "" if present else ' class="missing"'
        links.append(f'<a href="#{esc(section_id)}"{cls}>{esc(title)}</a>')
    missing = [title for section_id, title in SECTIONS if section_id in data.absent]
    subtitle = f"{data.inputs.kind} directory {data.inputs.root} · generated {when} · wit {__version__}"
    lead = note("Sections without data: " + ", ".join(missing) + " (each says why).") if missing else ""
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{esc(POLICY)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>wit report: {esc(data.inputs.root.name or data.inputs.root)}</title>"
        f"<style>{CSS}</style></head>\n"
        '<body data-images-loaded="pending">'
        f"<header><h1>wit report</h1><p>{esc(subtitle)}</p><nav>{''.join(links)}</nav></header>\n"
        f"<main>{lead}{''.join(sections)}</main>\n"
        f"<footer>Self-contained: no network, images inlined. Made by wit report.</footer>"
        f"<script>{SCRIPT}</script></body></html>\n"
    )
