"""A tiny demo-shaped output directory written by hand: build (sources, filtered, shards), run and eval.json.

Small enough to build in milliseconds, shaped like ``wit demo``'s output (same file names, columns
and JSON keys), with hostile captions planted to check that the report escapes them.
"""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from PIL import Image

from wit_pipeline.layout.manifest_dir import QUERY_COUNTS_DIR, QUERY_COUNTS_PART, REJECTS_DIR, STATS_FILE

HOSTILE = '<script>document.title="pwned"</script> & <img src=x onerror=alert(1)> "quoted"'
COLORS = ["red", "green", "blue", "orange", "purple", "teal"]
CAPTIONS = [
    "a red circle on a plain background",
    HOSTILE,
    "small blue square in the corner",
    "orange diamond illustration for the blog",
    "the purple hexagon we saw today",
    "a teal triangle",
]


def stage(name: str, rows_in: int, rejected: dict[str, int], extra: dict | None = None) -> dict:
    total = sum(rejected.values())
    return {
        "stage": name,
        "rows_in": rows_in,
        "kept": rows_in - total,
        "rejected": rejected,
        "rejected_total": total,
        "extra": extra or {},
    }


FUNNEL = [
    stage("crawl_html", 13, {"missing_caption": 1}),
    stage("caption", 12, {"generic_alt_text": 1}),
    stage("language", 11, {"lang_not_wanted": 2}, {"lang_en": 9, "lang_fr": 1, "lang_de": 1}),
    stage("dedup", 9, {"duplicate_url": 1}),
    stage("balance", 8, {}),
    stage("download", 8, {"http_404": 1}),
    stage("image_filter", 7, {"exact_duplicate": 1}),
]


def jpeg(color: str, size: int = 40) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (size, size), color).save(out, "JPEG")
    return out.getvalue()


def write_tar(path: Path, samples: list[tuple[str, bytes, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w") as tf:
        for key, image, caption in samples:
            for ext, data in (("jpg", image), ("txt", caption.encode()), ("json", json.dumps({"key": key}).encode())):
                info = tarfile.TarInfo(f"{key}.{ext}")
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))


def write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")


def write_table(path: Path, columns: dict[str, list]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(columns), path)


def write_build(build: Path) -> None:
    """build.json, sources/html rejects, filtered (parts, rejects, query table) and two shards."""
    write_json(
        build / "build.json",
        {"steps": [{"step": "crawl html", "seconds": 0.5, "rows_out": 12}], "funnel": FUNNEL, "samples": 6},
    )
    write_table(
        build / "sources" / "html" / REJECTS_DIR / "part-00000.parquet",
        {"url": ["http://x.test/a.jpg"], "caption": [None], "stage": ["crawl_html"], "reason": ["missing_caption"]},
    )
    filtered = build / "filtered"
    write_table(
        filtered / "part-00000.parquet",
        {
            "uid": [str(i) for i in range(8)],
            "url": [f"http://x.test/{i}.jpg" for i in range(8)],
            "caption": CAPTIONS + ["extra one", "extra two"],
            "lang": ["en"] * 8,
        },
    )
    write_table(
        filtered / REJECTS_DIR / "part-00000.parquet",
        {
            "url": [f"http://x.test/r{i}.jpg" for i in range(4)],
            "caption": ["click here", "un cercle rouge", "ein roter Kreis", "<b>dup</b>"],
            "stage": ["caption", "language", "language", "dedup"],
            "reason": ["generic_alt_text", "lang_not_wanted", "lang_not_wanted", "duplicate_url"],
            "duplicate_of": [None, None, None, "abc123"],
        },
    )
    write_json(filtered / STATS_FILE, {"funnel": FUNNEL[:5]})
    write_json(filtered / "_filter.json", {"fingerprint": {"filters": {"languages": ["en"], "query_cap": 3}}})
    write_table(
        filtered / QUERY_COUNTS_DIR / QUERY_COUNTS_PART,
        {
            "query_id": pa.array([0, 1, 2, 3], pa.int32()),
            "query": ["circle", "<script>q</script>", "square", "unused"],
            "matched": [6, 2, 1, 0],
            "keep_probability": [0.5, 1.0, 1.0, 1.0],
            "kept": [4, 2, 1, 0],
        },
    )
    write_shards(build / "shards")


def write_shards(shards: Path) -> None:
    """00000.tar (4 samples), 00001.tar (2), their parquets with a 404 and a duplicate, _raw with the duplicate."""
    samples = [(f"{i:08d}", jpeg(COLORS[i]), CAPTIONS[i]) for i in range(6)]
    write_tar(shards / "00000.tar", samples[:4])
    write_tar(shards / "00001.tar", samples[4:])
    write_tar(shards / "_raw" / "00000.tar", samples[:4] + [("00000009", jpeg("yellow"), "a yellow duplicate")])
    write_table(
        shards / "00000.parquet",
        {
            "key": [s[0] for s in samples[:4]] + ["00000008", "00000009"],
            "caption": [s[2] for s in samples[:4]] + ["a missing image", "a yellow duplicate"],
            "url": [f"http://x.test/{i}.jpg" for i in range(6)],
            "status": ["success"] * 4 + ["failed_to_download", "filtered"],
            "error_message": [None] * 4 + ["http_404: http://x.test/4.jpg", "exact_duplicate"],
        },
    )
    write_table(
        shards / "00001.parquet",
        {
            "key": [s[0] for s in samples[4:]],
            "caption": [s[2] for s in samples[4:]],
            "url": ["http://x.test/6.jpg", "http://x.test/7.jpg"],
            "status": ["success", "success"],
            "error_message": [None, None],
        },
    )
    write_json(shards / "sizes.json", {"00000.tar": 4, "00001.tar": 2})
    write_json(shards / "_info.json", {"shards": 2, "samples": 6, "attempted": 8})
    write_json(shards / STATS_FILE, {"funnel": FUNNEL})


def write_run(run: Path, steps: int = 30) -> None:
    """metrics.jsonl (a record every step, one in-run eval), summary.json, model_config.json, weights."""
    run.mkdir(parents=True, exist_ok=True)
    lines = [
        json.dumps({"step": s, "loss": 4.0 / s, "lr": 1e-3 * min(1.0, s / 5), "logit_scale": 14 + s / 100})
        for s in range(1, steps + 1)
    ]
    lines.append(json.dumps({"step": steps, "eval/zeroshot/acc1": 0.75, "eval/zeroshot/acc5": 1.0}))
    (run / "metrics.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    write_json(run / "summary.json", {"steps": steps, "samples": steps * 8, "seconds": 3.0, "final_loss": 4.0 / steps})
    write_json(
        run / "model_config.json",
        {
            "embed_dim": 32,
            "vision": {"kind": "vit", "image_size": 32, "width": 32, "layers": 2},
            "text": {"context_length": 16, "vocab_size": 64, "width": 32, "layers": 2},
        },
    )
    (run / "model.safetensors").write_bytes(b"")


EVAL = {
    "model": "run",
    "data": "heldout",
    "layout": "image_folder",
    "templates": "ensemble",
    "device": "cpu",
    "seconds": 0.1,
    "results": {
        "zeroshot": {
            "templates": 8,
            "samples": 4,
            "classes": 2,
            "acc1": 0.75,
            "mean_per_class_recall": 0.75,
            "per_class_recall": {"red <circle>": 1.0, "blue square": 0.5},
            "confusion_matrix": {
                "labels": ["red <circle>", "blue square"],
                "rows_true_columns_predicted": [[2, 0], [1, 1]],
            },
        }
    },
}


def write_demo_tree(root: Path) -> Path:
    """A demo output directory: build/, run/ and eval.json."""
    write_build(root / "build")
    write_run(root / "run")
    write_json(root / "eval.json", EVAL)
    return root
