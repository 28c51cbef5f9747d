"""Strict TOML config loading, overrides and the resolved config."""

from __future__ import annotations

from pathlib import Path

import pytest

from wit_pipeline.config import BuildConfig, apply_overrides, load_config, to_toml, write_resolved
from wit_pipeline.errors import WitError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "build.toml"
    path.write_text(text)
    return path


def test_loads_sections_into_typed_dataclasses(tmp_path: Path) -> None:
    cfg = load_config(
        write(
            tmp_path,
            '[sources]\nlists = ["a.csv"]\nrows_per_part = 10\n[filters]\nlanguages = ["en", "de"]\n'
            "[train]\nlr = 1\n[runtime]\nworkers = 3\n",
        )
    )
    assert cfg.sources.lists == ["a.csv"] and cfg.sources.rows_per_part == 10
    assert cfg.filters.languages == ["en", "de"]
    assert cfg.train.lr == 1.0 and isinstance(cfg.train.lr, float)
    assert cfg.runtime.workers == 3
    assert cfg.download == BuildConfig().download


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[sources]\nrows_per_partt = 3\n", "unknown config key 'sources.rows_per_partt'"),
        ("[nope]\nx = 1\n", "unknown config key 'nope'"),
        ('[sources]\nrows_per_part = "many"\n', "'sources.rows_per_part' must be int, got str"),
        ("[sources]\nlists = 3\n", "'sources.lists' must be a list"),
        ("[sources]\nlists = [1]\n", r"'sources.lists\[0\]' must be str"),
        ("[train]\nepochs = true\n", "'train.epochs' must be int, got bool"),
        ("sources = 3\n", "'sources' must be a table"),
        ("[sources\n", "invalid TOML"),
    ],
)
def test_bad_config_names_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(WitError, match=message) as info:
        load_config(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(WitError, match="config file not found"):
        load_config(tmp_path / "absent.toml")


def test_flags_override_file_values_and_are_type_checked(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, '[sources]\nurl_col = "link"\nrows_per_part = 7\n'))
    cfg = apply_overrides(cfg, {"sources.url_col": "URL", "sources.rows_per_part": None})
    assert cfg.sources.url_col == "URL" and cfg.sources.rows_per_part == 7
    with pytest.raises(WitError, match="'sources.rows_per_part' must be int"):
        apply_overrides(cfg, {"sources.rows_per_part": "x"})
    with pytest.raises(WitError, match="unknown config key 'sources.nope'"):
        apply_overrides(cfg, {"sources.nope": 1})


def test_resolved_config_round_trips(tmp_path: Path) -> None:
    cfg = apply_overrides(BuildConfig(), {"sources.caption_col": "TEXT", "runtime.seed": 5})
    path = write_resolved(cfg, tmp_path / "out")
    assert load_config(path) == cfg
    assert 'caption_col = "TEXT"' in to_toml(cfg)


def test_decontaminate_and_near_dup_keys_reach_the_stages(tmp_path: Path) -> None:
    from filters.settings import near_dup
    from wit_pipeline.download.flow import image_rules

    path = tmp_path / "build.toml"
    path.write_text(
        '[filters]\nnear_dup = true\nnear_dup_scope = "global"\nnear_dup_min_chars = 40\n'
        '[shards]\ndecontaminate = ["eval/a", "eval/b"]\nphash_distance = 6\n',
        encoding="utf-8",
    )
    config = load_config(path)
    rules = image_rules(config)
    assert rules.decontaminate == ("eval/a", "eval/b") and rules.phash_distance == 6
    hash(rules)  # the image stage's rules stay hashable
    assert near_dup(config.filters).scope == "global" and near_dup(config.filters).min_chars == 40
