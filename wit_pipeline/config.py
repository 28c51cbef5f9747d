"""Build configuration: one TOML file loaded strictly into typed dataclasses.

Unknown keys and wrong types are errors naming the file and the key. CLI flags override
file values through dotted keys (``sources.url_col``). The resolved config is written next
to every output so a run can be reproduced.

Each section dataclass is the one definition of its settings: default, type, and the bounds
(``bounded``) or choices (``one_of``) each value must respect, declared once on the field. Every
value is checked when a config is loaded (file, flags or both), before any stage runs: floats must
be finite (TOML allows ``nan`` and ``inf``), bounded values in range, choices among their choices,
and a section's cross-field rules hold (``check_section``). Stage options derive from the sections
(``DownloadOptions`` is ``[download]`` plus the shard size); a stage API called directly from
Python checks its arguments against the same declarations (``check_section``, ``check_bounds``).
"""

from __future__ import annotations

import dataclasses
import math
import re
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
LIST_FORMATS = ("csv", "tsv", "jsonl", "parquet")  # URL-list formats (None: from the file name)
DEDUP_KEYS = ("url", "uid", "none")
NEAR_DUP_SCOPES = ("page", "domain", "global")
LANG_MODELS = ("auto", "nb", "langdetect", "cld2")  # language identifiers (filters.lang_backends)
NO_LANG_BACKEND = "none"
UNDETECTED_RULES = ("reject", "keep")
PRECISIONS = ("auto", "fp32", "bf16", "fp16")
EVAL_TASKS = ("zeroshot", "retrieval", "linear-probe")
EVAL_TASK_CHOICES = (*EVAL_TASKS, "all")  # all: every task the data supports
EMBED_BATCH_SIZE = 256  # wit embed --batch-size and [filters] clip_batch_size
EMBED_DTYPES = ("float16", "float32")  # stored embedding dtypes, the first the default
MIN_VOCAB_SIZE = 1 + 512 + 2  # a trained BPE: pad, the byte alphabet with and without end-of-word, sot, eot
MIN_CONTEXT_LENGTH = 2  # room for sot and eot
CLIP_VOCAB_SIZE = 49408  # CLIP's BPE: 48,894 merges, the byte alphabet with and without end-of-word, sot, eot
CLIP_CONTEXT_LENGTH = 77  # CLIP's text context, in tokens
DEVICES = "auto, cpu, cuda, cuda:N or mps"  # what a device setting may name (resolved by model/device.py)
DEVICE_PATTERN = re.compile(r"auto|cpu|mps|cuda(:\d+)?")


@dataclass(frozen=True)
class Bounds:
    """An allowed range: ``low``/``high`` inclusive, ``above`` exclusive; ``zero_or`` allows 0 as 'no limit'."""

    low: float | None = None
    high: float | None = None
    above: float | None = None
    zero_or: bool = False

    def problem(self, value: float) -> str | None:
        """Why ``value`` is out of range (what is expected), or None."""
        if self.zero_or and value == 0:
            return None
        too_low = self.low is not None and value < self.low or self.above is not None and value <= self.above
        if not too_low and (self.high is None or value <= self.high):
            return None
        return self.expected()

    def expected(self) -> str:
        """The range in words: 'at least 1', 'between 0 and 1', 'greater than 0 and at most 1'."""
        lower = f"at least {self.low:g}" if self.low is not None else None
        if self.above is not None:
            lower = f"greater than {self.above:g}"
        if self.high is None:
            text = lower or "a number"
        elif self.low is not None and self.above is None:
            text = f"between {self.low:g} and {self.high:g}"
        else:
            text = f"{lower} and at most {self.high:g}" if lower else f"at most {self.high:g}"
        return text + (" (or 0 for no limit)" if self.zero_or else "")


def bounded(default: Any, low: float | None = None, high: float | None = None, **kw: Any) -> Any:
    """A dataclass field whose value ``check_bounds`` keeps in ``Bounds(low, high, **kw)``."""
    return field(default=default, metadata={"bounds": Bounds(low, high, **kw)})


def one_of(default: str | None, choices: tuple[str, ...]) -> Any:
    """A dataclass field whose value ``check_bounds`` keeps among ``choices`` (None, when allowed, means unset)."""
    return field(default=default, metadata={"choices": choices})


def device_field() -> Any:
    """A dataclass field naming a torch device (default ``auto``); ``check_bounds`` keeps it to ``DEVICES``."""
    return field(default="auto", metadata={"device": True})


def check_bounds(cls: type, values: dict[str, Any], prefix: str, origin: str = "config") -> None:
    """Raise ``WitError`` for the first of ``values`` outside the bounds or choices ``cls`` declares for it.

    Floats must also be finite. ``values`` may hold only some of the fields (a file's partial section).
    """
    declared = {f.name: f.metadata for f in dataclasses.fields(cls)}
    for name, value in values.items():
        meta = declared.get(name, {})
        choices = meta.get("choices")
        if choices is not None and value is not None and value not in choices:
            raise WitError(f"{origin}: '{prefix}{name}' must be one of {', '.join(choices)}, got {value!r}")
        if meta.get("device") and not (isinstance(value, str) and DEVICE_PATTERN.fullmatch(value)):
            raise WitError(f"{origin}: '{prefix}{name}' must be a device ({DEVICES}), got {value!r}")
        if isinstance(value, float) and not math.isfinite(value):
            raise WitError(f"{origin}: '{prefix}{name}' must be a finite number, got {value}")
        bounds = meta.get("bounds")
        if bounds is None or value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):  # a Python caller's wrong type
            raise WitError(f"{origin}: '{prefix}{name}' must be a number, got {type(value).__name__} {value!r}")
        if (why := bounds.problem(value)) is not None:
            raise WitError(f"{origin}: '{prefix}{name}' must be {why}, got {value}")


def check_section(section: Any, origin: str = "config", prefix: str | None = None) -> None:
    """Check every value of a config section (or options derived from one): bounds, choices, cross-field rules.

    ``prefix`` defaults to the section's name in ``BuildConfig`` (``"download."``), so a message names
    ``download.timeout`` whether the value came from a file, a flag or a Python caller.
    """
    cls = type(section)
    if prefix is None:
        prefix = section_name(cls) + "."
    values = {f.name: getattr(section, f.name) for f in dataclasses.fields(cls)}
    check_bounds(cls, {k: v for k, v in values.items() if not dataclasses.is_dataclass(v)}, prefix, origin)
    for base, rule in _SECTION_RULES.items():
        if isinstance(section, base):
            rule(section, prefix, origin)


def check_config(config: BuildConfig, origin: str = "config") -> None:
    """Check every section of ``config`` (one that was changed in Python after it was loaded, say)."""
    for f in dataclasses.fields(config):
        check_section(getattr(config, f.name), origin, f"{f.name}.")


def section_name(cls: type) -> str:
    """The ``BuildConfig`` key of section class ``cls`` (or of the section it derives from)."""
    hints = typing.get_type_hints(BuildConfig)
    for name, hint in hints.items():
        if isinstance(hint, type) and issubclass(cls, hint):
            return name
    raise TypeError(f"{cls.__name__} is not a config section")


def _download_rules(section: DownloadConfig, prefix: str, origin: str) -> None:
    """``encode_quality`` depends on ``encode_format``: a quality for jpg/webp, a compression level for png."""
    quality, fmt = section.encode_quality, section.encode_format
    if quality is None:
        return
    low, high, _ = ENCODE_QUALITY[fmt]
    if not low <= quality <= high:
        meaning = "PNG compression level" if fmt == "png" else f"{fmt} quality"
        raise WitError(
            f"{origin}: '{prefix}encode_quality' must be between {low} and {high} for {fmt} (the {meaning}), "
            f"got {quality}; leave it unset for the format's default"
        )


def _filters_rules(section: FiltersConfig, prefix: str, origin: str) -> None:
    """Near-duplicates need dedup on; keeping languages needs a language backend."""
    if section.near_dup and section.dedup_key == "none":
        raise WitError(f"{origin}: '{prefix}near_dup' needs dedup ({prefix}dedup_key url or uid)")
    if section.lang_backend == NO_LANG_BACKEND and section.languages:
        raise WitError(
            f"{origin}: '{prefix}languages' keeping languages needs a {prefix}lang_backend other than "
            f"{NO_LANG_BACKEND} (or languages = [])"
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
    workers: int | None = bounded(None, 1)
    seed: int = 0
    dashboard: str = "127.0.0.1:0"


@dataclass
class SourcesConfig:
    """Inputs of a build: URL lists to import, WARC/WAT files, crawl seeds; how rows become parts."""

    lists: list[str] = field(default_factory=list)
    format: str | None = one_of(None, LIST_FORMATS)
    tsv_quoted: bool = False  # TSV fields use CSV-style quotes (TSV has no quoting by default)
    url_col: str | None = None
    caption_col: str | None = None
    rows_per_part: int = bounded(100_000, 1)
    max_url_length: int = bounded(2048, 1)
    max_caption_length: int = bounded(10_000, 1)
    # wit crawl warc
    warc: list[str] = field(default_factory=list)
    # wit crawl html (max_bytes also caps WARC HTML records)
    seeds: list[str] = field(default_factory=list)
    allowed_domains: list[str] = field(default_factory=list)
    max_pages: int = bounded(1000, 1)
    max_depth: int = bounded(2, 0)
    max_redirects: int = bounded(5, 0)
    concurrency: int = bounded(8, 1)
    per_host_concurrency: int = bounded(1, 1)
    delay: float = bounded(1.0, 0)
    max_crawl_delay: float = bounded(60.0, 0)
    contact: str | None = None
    user_agent: str | None = None
    connect_timeout: float = bounded(10.0, above=0)
    read_timeout: float = bounded(20.0, above=0)
    total_timeout: float = bounded(60.0, above=0)
    max_bytes: int = bounded(10 * 1024 * 1024, 1)
    allow_private_network: bool = False
    allow_networks: list[str] = field(default_factory=list)


@dataclass
class FiltersConfig:
    """Dedup, language, caption rules and query balancing settings (``wit filter``)."""

    dedup_key: str = one_of("url", DEDUP_KEYS)  # url | uid (normalised url + caption) | none
    near_dup: bool = False  # MinHash LSH near-duplicate captions within a page, a domain or the whole manifest
    near_dup_scope: str = one_of("page", NEAR_DUP_SCOPES)
    near_dup_threshold: float = bounded(0.8, 0, 1)
    near_dup_min_chars: int = bounded(0, 0)  # captions shorter than this are never near duplicates
    # auto (CLD2 + langdetect's model, best on short text) | nb | langdetect | cld2 | none
    lang_backend: str = one_of("auto", (*LANG_MODELS, NO_LANG_BACKEND))
    languages: list[str] = field(default_factory=lambda: ["en"])  # empty: keep every language
    min_lang_score: float = bounded(0.5, 0, 1)
    undetected_lang: str = one_of("reject", UNDETECTED_RULES)  # keep: labelled "und"
    caption_rules: bool = True
    min_words: int = bounded(3, 0)
    min_chars: int = bounded(6, 0)
    max_chars: int = bounded(1000, 1)
    min_letter_ratio: float = bounded(0.4, 0, 1)
    max_repeat_ratio: float = bounded(0.5, 0, 1)
    query_matching: bool = True
    queries: str = ""  # query list file (lines, .gz or JSON array); empty: the shipped English list
    extra_queries: str = ""  # more entries (bigrams, titles) appended to the list
    query_min_zipf: float = 1.5
    query_case_sensitive: bool = False
    query_cap: int = bounded(20_000, 0)  # 0: no balancing
    keep_intermediate: bool = False
    # CLIP-score filter on shards (wit clip-filter, or a wit build step after download)
    clip_model: str = ""  # a training run or pretrained CLIP weights (.pt/.bin/.safetensors, open_clip dir); empty: off
    # keep cosine(image, caption) >= clip_threshold (LAION: 0.28 with ViT-B/32), and/or this best fraction
    # (DataComp: 0.3, the default)
    clip_threshold: float | None = bounded(None, -1, 1)
    clip_top_fraction: float | None = bounded(None, above=0, high=1)
    clip_device: str = device_field()
    clip_batch_size: int = bounded(EMBED_BATCH_SIZE, 1)


@dataclass
class DownloadConfig:
    """Image download: img2dataset's options plus wit's caps (0 means no limit where noted)."""

    image_size: int = bounded(256, 1)
    resize_mode: str = one_of("center_crop", RESIZE_MODES)
    resize_only_if_bigger: bool = False
    encode_format: str = one_of("jpg", ENCODE_FORMATS)
    encode_quality: int | None = None  # jpg 0-100 (95), webp 1-100 (95), png compression 0-9 (6)
    # DataComp's basic filter: shortest side >= 200 px, long/short side <= 3 (0: no limit)
    min_image_size: int = bounded(200, 0)
    max_aspect_ratio: float = bounded(3.0, 1, zero_or=True)
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
    epochs: int = bounded(1, 1)
    samples: int | None = bounded(None, 1)
    batch_size: int = bounded(256, 1)
    accum_freq: int = bounded(1, 1)
    lr: float = bounded(5e-4, above=0)
    warmup: int = bounded(100, 0)
    weight_decay: float = bounded(0.2, 0)
    beta1: float = 0.9
    beta2: float = 0.98
    eps: float = 1e-6
    grad_clip: float = bounded(1.0, 0)
    local_loss: bool = False
    device: str = device_field()
    precision: str = one_of("auto", PRECISIONS)
    compile: bool | None = None  # None: on CUDA for runs of enough steps (wit_pipeline.train.speed)
    grad_checkpointing: bool = False
    deterministic: bool = False
    loader_workers: int = bounded(2, 0)
    # "" (auto): the shards' tokenizer.json, else a BPE trained on their captions; "train": always train one;
    # "clip": CLIP's own tokenizer (shipped with wit; what pretrained CLIP models read); or a tokenizer.json file
    tokenizer: str = ""
    vocab_size: int = bounded(CLIP_VOCAB_SIZE, MIN_VOCAB_SIZE)  # of a trained tokenizer
    context_length: int = bounded(CLIP_CONTEXT_LENGTH, MIN_CONTEXT_LENGTH)
    checkpoint_every: int = bounded(500, 1)
    keep_checkpoints: int = bounded(2, 1)
    log_every: int = bounded(10, 1)
    tensorboard: bool = False


@dataclass
class EvalConfig:
    """Evaluation settings (``wit eval``; ``data`` and ``every`` also drive evaluation during ``wit train``)."""

    data: str | None = None  # image folder DIR/<class>/* (zero-shot, linear probe) or shard directory (retrieval)
    templates: str | None = None  # clip | ensemble (default) | imagenet80 | a file, one template per line
    task: str = one_of("all", EVAL_TASK_CHOICES)
    batch_size: int = bounded(64, 1)
    device: str = device_field()
    workers: int = bounded(2, 0)  # image decoding threads
    every: int = bounded(0, 0)  # wit train: evaluate every N steps (0: only at the end), when data is set


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


_SECTION_RULES = {DownloadConfig: _download_rules, FiltersConfig: _filters_rules}


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
    from wit_pipeline.atomic_files import write_text

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
    built = cls(**values)
    if prefix:  # a section (BuildConfig's own fields are the sections, each checked as it was built)
        check_section(built, origin, prefix)
    return built


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
