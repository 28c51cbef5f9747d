"""The rendered page: every section, escaped untrusted text, one hashed script, absent sections explained."""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path

from tests.wit_pipeline.report.helpers import HOSTILE
from wit_pipeline.report import SECTIONS, gather, render_report
from wit_pipeline.report.page import POLICY, SCRIPT


class Elements(HTMLParser):
    """Counts tags and collects section ids, image sources, script bodies and visible text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: dict[str, int] = {}
        self.sections: dict[str, str] = {}
        self.images: list[str] = []
        self.scripts: list[str] = []
        self.text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] = self.tags.get(tag, 0) + 1
        values = dict(attrs)
        if tag == "section":
            self.sections[values["id"]] = values["data-state"]
        if tag == "img":
            self.images.append(values["src"])
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        (self.scripts if self._in_script else self.text).append(data)


def parse(page: str) -> Elements:
    parser = Elements()
    parser.feed(page)
    return parser


def test_every_section_present_with_data(demo_report: Path) -> None:
    page = demo_report.read_text(encoding="utf-8")
    elements = parse(page)
    assert elements.sections == {section_id: "present" for section_id, _ in SECTIONS}
    assert all(src.startswith("data:image/jpeg;base64,") for src in elements.images)
    assert len(elements.images) == 6 + 1  # the sample grid and the duplicate's thumbnail among the rejects
    assert elements.tags["svg"] >= 8 and "Not available" not in page


def test_untrusted_text_stays_text(demo_report: Path) -> None:
    page = demo_report.read_text(encoding="utf-8")
    elements = parse(page)
    assert elements.tags["script"] == 1 and elements.scripts == [SCRIPT]
    assert "img" in elements.tags and elements.tags["img"] == len(elements.images)  # no <img onerror> injected
    assert "<script>document" not in page and "onerror=alert(1)>" not in page
    assert "&lt;script&gt;document.title=&quot;pwned&quot;&lt;/script&gt;" in page
    visible = "".join(elements.text)
    assert HOSTILE in visible  # shown to the reader as the literal caption
    assert "<script>q</script>" in visible and "red <circle>" in visible


def test_the_one_script_is_allowed_by_hash_and_nothing_else(demo_report: Path) -> None:
    digest = base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in POLICY and "default-src 'none'" in POLICY
    assert "img-src data:" in POLICY
    page = demo_report.read_text(encoding="utf-8")
    assert re.search(r'<meta http-equiv="Content-Security-Policy" content="[^"]+">', page)
    assert "http://" not in page.split("<main>")[0]  # the head fetches nothing
    assert 'src="http' not in page and "<link" not in page


def test_run_directory_page_names_the_missing_sections(demo_tree: Path) -> None:
    page = render_report(gather(demo_tree / "run"))
    elements = parse(page)
    assert set(elements.sections) == {section_id for section_id, _ in SECTIONS}
    assert elements.sections["training"] == "present" and elements.sections["funnel"] == "absent"
    assert page.count("Not available:") == 7  # six dataset sections and the evaluation
    assert "holds no dataset" in page and "no eval.json" in page
    assert "Sections without data: Funnel" in page
