"""Build configuration: one TOML file loaded strictly into typed dataclasses.

Unknown keys and wrong types are errors naming the file and the key. CLI flags override
file values through dotted keys (``sources.url_col``). The resolved config is written next
to every output so a run can be reproduced.

Numbers are checked against their bounds here, once, when a config is loaded (file, flags or
both): every float must be finite (TOML allows ``nan`` and ``inf``), and a field declared with
``bounded(...)`` must lie in its range. The option objects built from a section (e.g.
``DownloadOptions``) check their values against the same declarations with ``check_bounds``.
"""

from __future__ import annotations

import dataclasses
import math
import sys
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from wit_pipeline.errors import WitError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

RESOLVED_CONFIG = "_config.toml"
ENCODE_QUALITY = {"jpg": (0, 100, 95), "webp": (1, 100, 95), "png": (0, 9, 6)}  # min, max, default
ENCODE_FORMATS = tuple(ENCODE_QUALITY)
RESIZE_MODES = ("no", "keep_ratio", "center_crop", "border", "keep_ratio_largest")


@dataclass(frozen=True)
class Bounds:
    """An allowed range: ``low``/``high`` inclusive, ``above`` exclusive; ``zero_or`` allows 0 as 'no limit'."""

    low: float | None = None
    high: float | None = None
    above: float | None = None
    zero_or: bool = False

    def problem(self, value: float) -> str | None:
        """Why ``value`` is out of range, or None."""
        if self.zero_or and value == 0:
            return None
        if self.low is not None and value < self.low or self.high is not None and value > self.high:
            if self.high is None:
                return f"at least {self.low:g}" + (" (or 0 for no limit)" if self.zero_or else "")
            return f"between {self.low:g} and {self.high:g}"
        if self.above is not None and value <= self.above:
            return f"greater than {self.above:g}"
        return None


def bounded(default: Any, low: float | None = None, high: float | None = None, **kw: Any) -> Any:
    """A dataclass field whose value ``check_bounds`` keeps in ``Bounds(low, high, **kw)``."""
    return field(default=default, metadata={"bounds": Bounds(low, high, **kw)})


def one_of(default: str, choices: tuple[str, ...]) -> Any:
    """A dataclass field whose value ``check_bounds`` keeps among ``choices``."""
    return field(default=default, metadata={"choices": choices})


def check_bounds(cls: type, values: dict[str, Any], prefix: str, origin: str = "config") -> None:
    """Raise ``WitError`` for the first of ``values`` outside the bounds ``cls`` declares for it (or not finite)."""
    declared = {f.name: f.metadata.get("bounds") for f in dataclasses.fields(cls)}
    choices = {f.name: f.metadata["choices"] for f in dataclasses.fields(cls) if "choices" in f.metadata}
    for name, value in values.items():
        if name in choices and value not in choices[name]:
            raise WitError(f"{origin}: '{prefix}{name}' must be one of {', '.join(choices[name])}, got {value!r}")
        if isinstance(value, float) and not math.isfinite(value):
            raise WitError(f"{origin}: '{prefix}{name}' must be a finite number, got {value}")
        bounds = declared.get(name)
        if bounds is not None and value is not None and (why := bounds.problem(value)) is not None:
            raise WitError(f"{origin}: '{prefix}{name}' must be {why}, got {value}")
    if cls is DownloadConfig and values.get("encode_quality") is not None:
        fmt = values.get("encode_format", "jpg")
        low, high, _ = ENCODE_QUALITY.get(fmt, (0, 100, 0))
        if not low <= values["encode_quality"] <= high:
            meaning = "PNG compression level" if fmt == "png" else f"{fmt} quality"
            raise WitError(
                f"{origin}: '{prefix}encode_quality' must be between {low} and {high} for {fmt} (the {meaning}), "
                f"got {values['encode_quality']}; leave it unset for the format's default"
            )


def encode_quality(fmt: str, quality: int | None) -> int:
    """The quality (jpg, webp) or compression level (png) to encode with: ``quality``, or the format's default."""
    return ENCODE_QUALITY[fmt][2] if quality is None else quality


@dataclass
class RuntimeConfig:
    """Where and how the dask stages run.

    ``dashboard`` is where a local cluster's dashboard listens: loopback only by default, since
    it shows (and lets anyone who reaches it inspect) the running job.
    """

    scheduler: str | None = None
    workers: int | None = None
    seed: int = 0
    dashboard: str = "127.0.0.1:0"


@dataclass
class SourcesConfig:
    """Inputs of a build: URL lists to import, WARC/WAT files, crawl seeds; how rows become parts."""

    lists: list[str] = field(default_factory=list)
    format: str | None = None
    tsv_quoted: bool = False  # TSV fields use CSV-style quotes (TSV has no quoting by default)
    url_col: str | None = None
    caption_col: str | None = None
    rows_per_part: int = 100_000
    max_url_length: int = 2048
    max_caption_length: int = 10_000
    # wit crawl warc
    warc: list[str] = field(default_factory=list)
    # wit crawl html (max_bytes also caps WARC HTML records)
    seeds: list[str] = field(default_factory=list)
    allowed_domains: list[str] = field(default_factory=list)
    max_pages: int = 1000
    max_depth: int = 2
    max_redirects: int = 5
    concurrency: int = 8
    per_host_concurrency: int = 1
    delay: float = 1.0
    max_crawl_delay: float = 60.0
    contact: str | None = None
    user_agent: str | None = None
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    total_timeout: float = 60.0
    max_bytes: int = 10 * 1024 * 1024
    allow_private_network: bool = False
    allow_networks: list[str] = field(default_factory=list)


@dataclass
class FiltersConfig:
    """Dedup, language, caption rules and query balancing settings (``wit filter``)."""

    dedup_key: str = "url"  # url | uid (normalised url + caption) | none
    near_dup: bool = False  # MinHash LSH near-duplicate captions within a page, a domain or the whole manifest
    near_dup_scope: str = "page"  # page | domain | global
    near_dup_threshold: float = 0.8
    near_dup_min_chars: int = 0  # captions shorter than this are never near duplicates
    lang_backend: str = "auto"  # auto (CLD2 + langdetect's model, best on short text) | nb | langdetect | cld2 | none
    languages: list[str] = field(default_factory=lambda: ["en"])  # empty: keep every language
    min_lang_score: float = 0.5
    undetected_lang: str = "reject"  # reject | keep (labelled "und")
    caption_rules: bool = True
    min_words: int = 3
    min_chars: int = 6
    max_chars: int = 1000
    min_letter_ratio: float = 0.4
    max_repeat_ratio: float = 0.5
    query_matching: bool = True
    queries: str = ""  # query list file (lines, .gz or JSON array); empty: the shipped English list
    extra_queries: str = ""  # more entries (bigrams, titles) appended to the list
    query_min_zipf: float = 1.5
    query_case_sensitive: bool = False
    query_cap: int = 20_000  # 0: no balancing
    keep_intermediate: bool = False
    # CLIP-score filter on shards (wit filter --clip-model, or a wit build step after download)
    clip_model: str = ""  # a training run or pretrained CLIP weights (.pt/.bin/.safetensors, open_clip dir); empty: off
    clip_threshold: float | None = None  # keep cosine(image, caption) >= this (LAION: 0.28 with ViT-B/32)
    clip_top_fraction: float | None = None  # keep this best fraction (DataComp: 0.3, the default)
    clip_device: str = "auto"
    clip_batch_size: int = 256


@dataclass
class DownloadConfig:
    """Image download: img2dataset's options plus wit's caps (0 means no limit where noted)."""

    image_size: int = bounded(256, 1)
    resize_mode: str = one_of("center_crop", RESIZE_MODES)
    resize_only_if_bigger: bool = False
    encode_format: str = one_of("jpg", ENCODE_FORMATS)
    encode_quality: int | None = None  # jpg 0-100 (95), webp 1-100 (95), png compression 0-9 (6)
    min_image_size: int = bounded(200, 0)  # DataComp's basic filter (download.resize.MIN_IMAGE_SIZE); 0: none
    max_aspect_ratio: float = bounded(3.0, 1, zero_or=True)  # download.resize.MAX_ASPECT_RATIO; 0: none
    timeout: float = bounded(10.0, above=0)
    retries: int = bounded(0, 0, 100)
    user_agent_token: str = "wit"
    contact: str | None = None
    disallowed_header_directives: list[str] = field(
        default_factory=lambda: ["noai", "noimageai", "noindex", "noimageindex"]
    )
    thread_count: int = bounded(32, 1, 1024)
    per_host_concurrency: int = bounded(8, 1, 1024)
    respect_robots_txt: bool = True
    max_retry_after: float = bounded(60.0, 0)
    shard_deadline: float = bounded(600.0, above=0)
    max_bytes: int = bounded(20_000_000, 1)
    max_pixels: int = bounded(89_478_485, 1)
    allow_private_network: bool = False
    allow_networks: list[str] = field(default_factory=list)


@dataclass
class ShardsConfig:
    """Shard layout and the image-level dedup and filters applied after download."""

    samples_per_shard: int = bounded(10_000, 1)
    exact_dedup: bool = True
    phash_dedup: bool = True
    phash_distance: int = bounded(4, 0, 64)  # Hamming distance between 64-bit perceptual hashes
    min_side: int = bounded(0, 0)
    max_aspect_ratio: float = bounded(0.0, 1, zero_or=True)
    reshard: bool = False
    # evaluation sets (image folders, shard directories) whose images are removed from the training shards
    decontaminate: list[str] = field(default_factory=list)


@dataclass
class TrainConfig:
    """Contrastive training settings (``wit train``); batch_size is per process and micro-batch."""

    data: str | None = None
    model: str = "tiny"
    epochs: int = 1
    samples: int | None = None
    batch_size: int = 256
    accum_freq: int = 1
    lr: float = 5e-4
    warmup: int = 100
    weight_decay: float = 0.2
    beta1: float = 0.9
    beta2: float = 0.98
    eps: float = 1e-6
    grad_clip: float = 1.0
    local_loss: bool = False
    device: str = "auto"
    precision: str = "auto"
    compile: bool | None = None  # None: on CUDA for runs of enough steps (wit_pipeline.train.speed)
    grad_checkpointing: bool = False
    deterministic: bool = False
    loader_workers: int = 2
    # "" (auto): the shards' tokenizer.json, else a BPE trained on their captions; "train": always train one;
    # "clip": CLIP's own tokenizer (shipped with wit; what pretrained CLIP models read); or a tokenizer.json file
    tokenizer: str = ""
    vocab_size: int = 49408  # of a trained tokenizer
    context_length: int = 77
    checkpoint_every: int = 500
    keep_checkpoints: int = 2
    log_every: int = 10
    tensorboard: bool = False


@dataclass
class EvalConfig:
    """Evaluation settings (``wit eval``; ``data`` and ``every`` also drive evaluation during ``wit train``)."""

    data: str | None = None  # image folder DIR/<class>/* (zero-shot, linear probe) or shard directory (retrieval)
    templates: str | None = None  # clip | ensemble (default) | imagenet80 | a file, one template per line
    task: str = "all"  # zeroshot | retrieval | linear-probe | all (every task the data supports)
    batch_size: int = 64
    device: str = "auto"
    workers: int = 2  # image decoding threads
    every: int = 0  # wit train: evaluate every N steps (0: only at the end), when data is set


@dataclass
class BuildConfig:
    """A whole build: one section per part of the flow."""

    runtime: RuntimeConfig = field(default_factory=RuntimeConfig)
    sources: SourcesConfig = field(default_factory=SourcesConfig)
    filters: FiltersConfig = field(default_factory=FiltersConfig)
    download: DownloadConfig = field(default_factory=DownloadConfig)
    shards: ShardsConfig = field(default_factory=ShardsConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)


def load_config(path: str | Path | None) -> BuildConfig:
    """Load ``path`` (or the defaults when None) into a ``BuildConfig``."""
    if path is None:
        return BuildConfig()
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise WitError(f"{p}: config file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise WitError(f"{p}: cannot read config file ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise WitError(f"{p}: invalid TOML ({exc})") from None
    return build_dataclass(BuildConfig, data, str(p), prefix="")


def apply_overrides(config: BuildConfig, overrides: dict[str, Any], origin: str = "flag") -> BuildConfig:
    """Return ``config`` with dotted-key overrides applied; None values are ignored."""
    data = to_dict(config)
    for dotted, value in overrides.items():
        if value is None:
            continue
        section, _, key = dotted.partition(".")
        if section not in data or key not in data[section]:
            raise WitError(f"{origin}: unknown config key '{dotted}'")
        data[section][key] = value
    return build_dataclass(BuildConfig, data, origin, prefix="")


def to_dict(config: Any) -> dict:
    """A plain nested dict of a config dataclass."""
    return dataclasses.asdict(config)


def to_toml(config: BuildConfig) -> str:
    """TOML text of the resolved config (None values are left out: they mean 'default')."""

    def strip(d: dict) -> dict:
        return {k: strip(v) if isinstance(v, dict) else v for k, v in d.items() if v is not None}

    return tomli_w.dumps(strip(to_dict(config)))


def write_resolved(config: BuildConfig, out_dir: str | Path) -> Path:
    """Write the resolved config into ``out_dir`` and return its path."""
    from wit_pipeline.runtime.atomic import write_text

    path = Path(out_dir) / RESOLVED_CONFIG
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text(path, to_toml(config))
    return path


def build_dataclass(cls: type, data: Any, origin: str, prefix: str = "") -> Any:
    """Build dataclass ``cls`` from nested dicts strictly: unknown keys and wrong types name the key."""
    where = prefix.rstrip(".") or "top level"
    if not isinstance(data, dict):
        raise WitError(f"{origin}: '{where}' must be a table, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise WitError(f"{origin}: unknown config key '{prefix}{unknown[0]}' (known: {', '.join(sorted(names))})")
    values = {}
    for name, value in data.items():
        key = f"{prefix}{name}"
        hint = hints[name]
        if dataclasses.is_dataclass(hint):
            values[name] = build_dataclass(hint, value, origin, prefix=f"{key}.")
        else:
            values[name] = _check(value, hint, origin, key)
    check_bounds(cls, values, prefix, origin)
    return cls(**values)


def _check(value: Any, hint: Any, origin: str, key: str) -> Any:
    """Validate ``value`` against a type hint (int, float, str, bool, list[T], T | None)."""
    origin_type = typing.get_origin(hint)
    if origin_type in (typing.Union, types.UnionType):
        args = typing.get_args(hint)
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _check(value, inner[0], origin, key)
    if origin_type is list:
        (item,) = typing.get_args(hint)
        if not isinstance(value, list):
            raise WitError(f"{origin}: '{key}' must be a list, got {type(value).__name__} {value!r}")
        return [_check(v, item, origin, f"{key}[{i}]") for i, v in enumerate(value)]
    ok = {
        bool: isinstance(value, bool),
        int: isinstance(value, int) and not isinstance(value, bool),
        float: isinstance(value, (int, float)) and not isinstance(value, bool),
        str: isinstance(value, str),
    }.get(hint)
    if ok is None:
        raise TypeError(f"unsupported config type {hint!r} for {key}")
    if not ok:
        raise WitError(f"{origin}: '{key}' must be {hint.__name__}, got {type(value).__name__} {value!r}")
    return float(value) if hint is float else value
