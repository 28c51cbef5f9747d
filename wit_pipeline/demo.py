"""The embedded demo: generates its own inputs and runs the parts of the flow that exist.

Today the flow is: an embedded URL list (with planted bad rows) → ``import`` → manifest.
Each capability adds its stage here until the demo runs raw URLs → trained model.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

from distributed import Client

from crawlers.url_list_import import ImportOptions, import_lists

SUBJECTS = ["red circle", "blue square", "green triangle", "yellow star", "purple hexagon"]
PHRASES = ["a photo of a {}", "{} on a white background", "my favourite {}", "close-up of a {}"]


def write_demo_list(path: Path, rows: int = 2000, seed: int = 0) -> dict[str, int]:
    """Write a URL list with planted problems; returns how many of each were planted."""
    rng = random.Random(seed)
    planted = {"missing_url": 0, "url_not_http": 0, "empty_caption": 0, "malformed_url": 0}
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["URL", "TEXT", "page_url", "WIDTH", "HEIGHT"])
        for i in range(rows):
            subject = rng.choice(SUBJECTS)
            url = f"http://127.0.0.1:8000/img/{subject.replace(' ', '_')}/{i}.png"
            caption = rng.choice(PHRASES).format(subject)
            kind = i % 50
            if kind == 1:
                url, planted["missing_url"] = "", planted["missing_url"] + 1
            elif kind == 2:
                url, planted["url_not_http"] = f"ftp://files.example/{i}.png", planted["url_not_http"] + 1
            elif kind == 3:
                caption, planted["empty_caption"] = "   ", planted["empty_caption"] + 1
            elif kind == 4:
                url, planted["malformed_url"] = "http://[bad-host/x.png", planted["malformed_url"] + 1
            writer.writerow([url, caption, f"http://127.0.0.1:8000/page/{i // 10}.html", 256, 256])
    return planted


def run_demo(out_dir: Path, client: Client | None, progress: bool = True) -> dict:
    """Generate the demo inputs under ``out_dir`` and run the flow; returns the final stats."""
    inputs = out_dir / "inputs" / "urls.csv"
    if not inputs.exists():
        write_demo_list(inputs)
    return import_lists([str(inputs)], out_dir / "manifest", ImportOptions(rows_per_part=500), client, progress)
