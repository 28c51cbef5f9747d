"""wit build checks every step's settings before its first step: a bad value writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.wit_pipeline.cli.test_cli import assert_one_line_error, wit
from wit_pipeline.build_job.runner import build
from wit_pipeline.config import load_config
from wit_pipeline.errors import WitError


def write_config(tmp_path: Path, extra: str) -> Path:
    """A build config over a real two-row URL list, plus ``extra`` TOML."""
    urls = tmp_path / "urls.csv"
    urls.write_text("url,caption\nhttp://127.0.0.1:9/a.jpg,a red bicycle on a wall\n", encoding="utf-8")
    config = tmp_path / "build.toml"
    config.write_text(f'[sources]\nlists = ["{urls}"]\n{extra}', encoding="utf-8")
    return config


def assert_nothing_written(tmp_path: Path, out: Path) -> None:
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build.toml", "urls.csv"]


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        ("[download]\ntimeout = 0.0\n", "'download.timeout' must be greater than 0, got 0.0"),
        ('[download]\nresize_mode = "stretch"\n', "'download.resize_mode' must be one of no, keep_ratio"),
        ("[shards]\nphash_distance = 65\n", "'shards.phash_distance' must be between 0 and 64, got 65"),
        ("[shards]\nsamples_per_shard = 0\n", "'shards.samples_per_shard' must be at least 1, got 0"),
        ('[train]\ndevice = "tpu"\n', "'train.device' must be a device (auto, cpu, cuda, cuda:N or mps), got 'tpu'"),
        ('[eval]\ndevice = "gpu"\n', "'eval.device' must be a device"),
    ],
)
def test_a_bad_value_in_any_section_fails_before_any_output(tmp_path: Path, extra: str, fragment: str) -> None:
    config = write_config(tmp_path, extra)
    out = tmp_path / "out"
    result = wit("build", str(config), "--out", str(out), "--workers", "1", "--quiet")
    assert_one_line_error(result, fragment)
    assert str(config) in result.stderr  # the file the value came from
    assert_nothing_written(tmp_path, out)


def test_a_config_changed_after_loading_is_checked_before_the_first_step(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, ""))
    config.download.retries = -1
    out = tmp_path / "out"
    with pytest.raises(WitError, match="'download.retries' must be between 0 and 100, got -1"):
        build(config, out, progress=False)
    assert_nothing_written(tmp_path, out)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c, tmp: setattr(c.shards, "decontaminate", [str(tmp / "no-eval-set")]), "evaluation set not found"),
        (lambda c, tmp: setattr(c.sources, "seeds", ["http://127.0.0.1:9/"]), "needs --contact"),
        (lambda c, tmp: setattr(c.filters, "queries", str(tmp / "absent.txt")), "not found"),
        (lambda c, tmp: setattr(c.filters, "languages", ["en", "zz-not-a-language"]), "filters.languages"),
        (lambda c, tmp: setattr(c.sources, "lists", []), "config has no sources"),
        (lambda c, tmp: setattr(c.filters, "clip_model", str(tmp / "no-run")), "no such run directory"),
        (lambda c, tmp: setattr(c.filters, "clip_top_fraction", 0.0), "'filters.clip_top_fraction' must be greater"),
        (lambda c, tmp: setattr(c.train, "model", "ViT-Z-99"), "'train.model': unknown model 'ViT-Z-99'"),
        (lambda c, tmp: setattr(c.filters, "clip_device", "cuda:x"), "'filters.clip_device' must be a device"),
    ],
)
def test_what_only_a_step_can_check_is_checked_before_the_first_step(tmp_path: Path, change, message: str) -> None:
    config = load_config(write_config(tmp_path, ""))
    change(config, tmp_path)
    out = tmp_path / "out"
    with pytest.raises(WitError, match=message):
        build(config, out, progress=False)
    assert_nothing_written(tmp_path, out)
