"""Strict TOML config loading, overrides and the resolved config."""

from __future__ import annotations

import dataclasses
import typing
from pathlib import Path

import pytest

from wit_pipeline.config import (
    MIN_VOCAB_SIZE,
    Bounds,
    BuildConfig,
    apply_overrides,
    check_config,
    check_section,
    load_config,
    to_toml,
    write_resolved,
)
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


def declared_settings() -> list[tuple[str, str, dataclasses.Field, type]]:
    """(section, key, field, value type) of every setting that declares bounds or choices."""
    found = []
    for section in dataclasses.fields(BuildConfig):
        cls = typing.get_type_hints(BuildConfig)[section.name]
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            if "bounds" in f.metadata or "choices" in f.metadata:
                kind = next(t for t in (bool, int, float, str) if t in (hints[f.name], *typing.get_args(hints[f.name])))
                found.append((section.name, f.name, f, kind))
    return found


def out_of_range(f: dataclasses.Field, kind: type) -> list:
    """Values just outside a field's declared bounds or choices."""
    if "choices" in f.metadata:
        return ["not-one-of-them"]
    b: Bounds = f.metadata["bounds"]
    step = 1 if kind is int else 0.5
    bad = []
    if b.low is not None:
        low = b.low - step
        bad.append(-1 if b.zero_or and low == 0 else low)
    if b.above is not None:
        bad.append(b.above)
    if b.high is not None:
        bad.append(b.high + step)
    if kind is float:
        bad.append(float("nan"))
    return [kind(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v for v in bad]


def in_range(f: dataclasses.Field, kind: type) -> list:
    """The edges of a field's declared range (and 0 where it means no limit)."""
    if "choices" in f.metadata:
        return list(f.metadata["choices"])
    b: Bounds = f.metadata["bounds"]
    edges = [v for v in (b.low, b.high) if v is not None] + ([0] if b.zero_or else [])
    return [kind(v) for v in edges]


SETTINGS = declared_settings()


def test_every_section_declares_bounds() -> None:
    sections = {section for section, *_ in SETTINGS}
    assert sections == {f.name for f in dataclasses.fields(BuildConfig)}, sections


@pytest.mark.parametrize(("section", "key", "f", "kind"), SETTINGS, ids=[f"{s}.{k}" for s, k, *_ in SETTINGS])
def test_each_declared_setting_is_checked_at_load_naming_its_key(
    tmp_path: Path, section: str, key: str, f: dataclasses.Field, kind: type
) -> None:
    for value in out_of_range(f, kind):
        with pytest.raises(WitError, match=f"^flag: '{section}.{key}' must be ") as info:
            apply_overrides(BuildConfig(), {f"{section}.{key}": value})
        assert "\n" not in str(info.value) and "got" in str(info.value)
        text = f"[{section}]\n{key} = {'nan' if value != value else repr(value).replace(chr(39), chr(34))}\n"
        path = write(tmp_path, text)
        with pytest.raises(WitError, match=f"^{path}: '{section}.{key}' must be "):
            load_config(path)
    together = {"filters.lang_backend": {"filters.languages": []}}  # lang_backend none keeps no language
    for value in in_range(f, kind):
        changes = {f"{section}.{key}": value, **together.get(f"{section}.{key}", {})}
        assert getattr(getattr(apply_overrides(BuildConfig(), changes), section), key) == value


def test_every_default_is_accepted_and_round_trips(tmp_path: Path) -> None:
    defaults = BuildConfig()
    check_config(defaults)
    assert load_config(write_resolved(defaults, tmp_path)) == defaults


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"filters.near_dup": True, "filters.dedup_key": "none"}, "'filters.near_dup' needs dedup"),
        ({"filters.lang_backend": "none"}, "'filters.languages' keeping languages needs a filters.lang_backend"),
        ({"download.encode_format": "png", "download.encode_quality": 10}, "between 0 and 9 for png"),
        ({"download.encode_format": "webp", "download.encode_quality": 0}, "between 1 and 100 for webp"),
    ],
)
def test_cross_key_rules_are_checked_at_load(changes: dict, message: str) -> None:
    with pytest.raises(WitError, match=message):
        apply_overrides(BuildConfig(), changes)


DEVICE_KEYS = [
    f"{s.name}.{f.name}"
    for s in dataclasses.fields(BuildConfig)
    for f in dataclasses.fields(typing.get_type_hints(BuildConfig)[s.name])
    if f.metadata.get("device")
]


def test_every_device_setting_is_checked_at_load(tmp_path: Path) -> None:
    assert sorted(DEVICE_KEYS) == ["eval.device", "filters.clip_device", "train.device"]
    for key in DEVICE_KEYS:
        for good in ("auto", "cpu", "cuda", "cuda:3", "mps"):
            section, name = key.split(".")
            assert getattr(getattr(apply_overrides(BuildConfig(), {key: good}), section), name) == good
        for bad in ("tpu", "gpu", "cuda:", "cuda:x", "CPU", ""):
            with pytest.raises(WitError, match=rf"^flag: '{key}' must be a device \(auto, cpu, cuda, cuda:N or mps\)"):
                apply_overrides(BuildConfig(), {key: bad})
        section, name = key.split(".")
        path = write(tmp_path, f'[{section}]\n{name} = "cuda:one"\n')
        with pytest.raises(WitError, match=rf"^{path}: '{key}' must be a device .*got 'cuda:one'$"):
            load_config(path)


def test_a_section_changed_in_python_is_checked_with_the_same_message() -> None:
    config = BuildConfig()
    config.train.lr = 0.0
    with pytest.raises(WitError, match="^config: 'train.lr' must be greater than 0, got 0.0$"):
        check_config(config)
    with pytest.raises(WitError, match="^train settings: 'train.lr' must be greater than 0"):
        check_section(config.train, "train settings")
    assert apply_overrides(BuildConfig(), {"filters.lang_backend": "none", "filters.languages": []})
    config = BuildConfig()
    config.download.timeout = "3"
    with pytest.raises(WitError, match="^config: 'download.timeout' must be a number, got str '3'$"):
        check_config(config)


def test_stage_options_take_their_defaults_from_the_sections() -> None:
    from crawlers.html_crawl_options import CrawlOptions
    from crawlers.http_fetch import FetchLimits
    from crawlers.url_list_import import ImportOptions
    from crawlers.warc_crawl import WarcOptions
    from filters.caption_rules import CaptionRules
    from filters.language import LanguageStage
    from filters.near_dup import NearDup
    from filters.settings import clean_stages, near_dup
    from wit_pipeline.build_job.options import crawl_options, import_options, warc_options
    from wit_pipeline.download.flow import download_options, image_rules
    from wit_pipeline.download.options import DownloadOptions
    from wit_pipeline.manifest import ManifestLimits
    from wit_pipeline.shards.dedup_plan import ImageRules

    config = BuildConfig()
    assert download_options(config) == DownloadOptions()
    assert isinstance(DownloadOptions(), type(config.download))  # one field list: the section's
    assert image_rules(config) == ImageRules()
    assert import_options(config) == ImportOptions() and warc_options(config) == WarcOptions()
    assert crawl_options(config, ["http://a/"]) == CrawlOptions(seeds=("http://a/",))
    assert FetchLimits() == crawl_options(config, []).fetch and ManifestLimits() == import_options(config).limits
    caption, language = clean_stages(config.filters)
    assert caption.rules == CaptionRules() and language == LanguageStage()
    assert near_dup(dataclasses.replace(config.filters, near_dup=True)) == NearDup()


def test_the_tokenizer_bounds_are_the_tokenizers() -> None:
    from loaders.tokenizer import BASE_TOKENS, Tokenizer

    assert MIN_VOCAB_SIZE == BASE_TOKENS + 2
    with pytest.raises(WitError, match=f"'train.vocab_size' must be at least {MIN_VOCAB_SIZE}"):
        apply_overrides(BuildConfig(), {"train.vocab_size": MIN_VOCAB_SIZE - 1})
    with pytest.raises(WitError, match=f"vocab_size: must be at least {MIN_VOCAB_SIZE}"):
        Tokenizer.train(["a caption"], vocab_size=MIN_VOCAB_SIZE - 1)
