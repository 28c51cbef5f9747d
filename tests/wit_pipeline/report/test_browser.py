"""The report in a real browser: headless Chromium renders it, runs only its own script, loads every image.

Needs Debian's ``chromium`` package at /usr/bin/chromium; ``make test`` installs it when run as
root (``make system-packages``), otherwise this test is skipped with that reason.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageStat

from wit_pipeline.report import SECTIONS

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="/usr/bin/chromium is missing: `make test` installs it (apt-get install chromium, as root)",
)


def chromium(url: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    """Headless Chromium on ``url`` with no network features, a fresh profile and 5 s of virtual time."""
    command = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--virtual-time-budget=5000",
        *args,
        url,
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def test_report_renders_in_headless_chromium(demo_report: Path, tmp_path: Path) -> None:
    url = demo_report.resolve().as_uri()
    dom = chromium(url, tmp_path / "profile-dom", "--dump-dom").stdout
    ids = set(re.findall(r'<section id="([^"]+)"', dom))
    assert ids == {section_id for section_id, _ in SECTIONS}
    assert 'data-state="absent"' not in dom
    loaded = re.search(r'<body[^>]*data-images-loaded="(\d+)/(\d+)"', dom)
    assert loaded, "the page's script did not run after load"
    ok, total = int(loaded.group(1)), int(loaded.group(2))
    assert total == len(re.findall(r"<img\b", dom)) == 7 and ok == total
    assert "pwned" not in re.search(r"<title>(.*?)</title>", dom).group(1)  # the planted caption script never ran
    assert "&lt;script&gt;document.title" in dom

    shot = tmp_path / "report.png"
    chromium(url, tmp_path / "profile-shot", f"--screenshot={shot}", "--window-size=1280,4000", "--hide-scrollbars")
    with Image.open(shot) as image:
        assert image.size == (1280, 4000)
        rgb = image.convert("RGB")
        assert max(ImageStat.Stat(rgb).stddev) > 10, "the screenshot is blank"
        assert len(rgb.getcolors(maxcolors=1 << 20) or []) > 50
