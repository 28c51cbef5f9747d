"""``wit download`` through the real entry point against a local image server."""

from __future__ import annotations

import json
from pathlib import Path

from tests.wit_pipeline.cli.test_cli import assert_one_line_error, wit
from tests.wit_pipeline.download.image_server import image_server
from wit_pipeline.layout.manifest_dir import STATS_FILE


def test_import_then_download(tmp_path: Path) -> None:
    with image_server() as base:
        lines = [f"{base}/img/{i}.jpg,picture {i}" for i in range(6)] + [f"{base}/img/2.jpg?dup,picture two again"]
        (tmp_path / "urls.csv").write_text("url,caption\n" + "\n".join(lines) + f"\n{base}/status/404,gone\n")
        assert wit("import", str(tmp_path / "urls.csv"), "--out", str(tmp_path / "m"), "--workers", "1").returncode == 0
        result = wit(
            "download",
            str(tmp_path / "m"),
            "--out",
            str(tmp_path / "shards"),
            "--allow-network",
            "127.0.0.1/32",
            "--image-size",
            "32",
            "--samples-per-shard",
            "4",
            "--workers",
            "1",
            "--quiet",
        )
    assert result.returncode == 0, result.stderr
    assert "6 samples in 2 shard(s)" in result.stdout and "exact_duplicate=1" in result.stdout
    assert "http_404=1" in result.stdout
    sizes = json.loads((tmp_path / "shards" / "sizes.json").read_text())
    assert sizes == {"00000.tar": 4, "00001.tar": 2}
    stats = json.loads((tmp_path / "shards" / STATS_FILE).read_text())
    assert [s["stage"] for s in stats["funnel"]] == ["import", "download", "image_filter"]
    assert 'allow_networks = [\n    "127.0.0.1/32",\n]' in (tmp_path / "shards" / "_config.toml").read_text()


def test_download_without_permission_refuses_loopback(tmp_path: Path) -> None:
    (tmp_path / "urls.csv").write_text("url,caption\nhttp://127.0.0.1:9/x.jpg,a picture\n")
    wit("import", str(tmp_path / "urls.csv"), "--out", str(tmp_path / "m"), "--workers", "1")
    result = wit("download", str(tmp_path / "m"), "--out", str(tmp_path / "s"), "--workers", "1", "--quiet")
    assert result.returncode == 0 and "address_loopback=1" in result.stdout


def test_download_bad_manifest_is_one_line_error(tmp_path: Path) -> None:
    result = wit("download", str(tmp_path / "nope"), "--out", str(tmp_path / "s"), "--workers", "1")
    assert_one_line_error(result, "no such manifest directory")


def test_inspect_shard_directory(tmp_path: Path) -> None:
    with image_server() as base:
        (tmp_path / "urls.csv").write_text(f"url,caption\n{base}/img/1.jpg,one picture\n{base}/status/500,broken\n")
        wit("import", str(tmp_path / "urls.csv"), "--out", str(tmp_path / "m"), "--workers", "1")
        args = ["--allow-network", "127.0.0.1/32", "--image-size", "32", "--workers", "1", "--quiet"]
        assert wit("download", str(tmp_path / "m"), "--out", str(tmp_path / "s"), *args).returncode == 0
    result = wit("inspect", str(tmp_path / "s"))
    assert result.returncode == 0, result.stderr
    assert "samples: 1 in 1 shard(s)" in result.stdout and "http_5xx=1" in result.stdout
    assert "one picture" in result.stdout
