"""``wit filter IN_DIR --out DIR``: caption rules, language, dedup, WIT queries + balancing.

On a shard directory: ``--decontaminate EVAL_DIR...`` (copies of evaluation images), or ``--clip-model``
(the CLIP-score filter, ``wit clip-filter`` now: still run here, with a note).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from filters.pipeline import filter_manifest
from filters.pipeline import prepare as check_filter
from wit_pipeline.cli import clip_filter_cmd
from wit_pipeline.cli.clip_filter_args import add_clip_flags
from wit_pipeline.cli.common import add_common, default_of, out_path
from wit_pipeline.cli.stage_command import StageRun, stage_command
from wit_pipeline.config import (
    DEDUP_KEYS,
    LANG_MODELS,
    NEAR_DUP_SCOPES,
    NO_LANG_BACKEND,
    UNDETECTED_RULES,
    BuildConfig,
)
from wit_pipeline.errors import WitError
from wit_pipeline.layout.shard_dir import is_shard_dir


def language_list(value: str) -> list[str]:
    """``en,de`` -> ["en", "de"]; ``all`` (or nothing) keeps every language."""
    codes = [c.strip() for c in value.split(",") if c.strip()]
    return [] if codes == ["all"] else codes


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``wit filter`` and its flags (each overrides a ``[filters]`` config key)."""
    p = sub.add_parser(
        "filter",
        help="filter a manifest: caption rules, language, dedup, WIT query matching and balancing",
        description="Normalise captions and reject non-captions, detect languages and keep the wanted ones, "
        "drop duplicate URLs across all partitions, match captions against the WIT/MetaCLIP query list and "
        "cap each query at T rows. Every dropped row lands in OUT/rejects with its stage and reason.",
    )
    p.add_argument("input", metavar="IN_DIR", help="manifest directory to filter")
    p.add_argument("--out", required=True, type=out_path, help="output manifest directory")
    f = p.add_argument_group("filters")
    f.add_argument(
        "--dedup-key",
        dest="filters.dedup_key",
        choices=DEDUP_KEYS,
        help=f"dedup key (default {default_of('filters.dedup_key')})",
    )
    f.add_argument(
        "--near-dup",
        dest="filters.near_dup",
        action="store_const",
        const=True,
        help="also drop near-duplicate captions (MinHash LSH) within a page, a domain or the whole manifest",
    )
    f.add_argument(
        "--near-dup-scope",
        dest="filters.near_dup_scope",
        choices=NEAR_DUP_SCOPES,
        help="page (default), domain, or global: across the whole manifest",
    )
    f.add_argument(
        "--near-dup-min-chars",
        dest="filters.near_dup_min_chars",
        type=int,
        metavar="N",
        help="leave captions shorter than N characters out of near-dup "
        f"(default {default_of('filters.near_dup_min_chars')})",
    )
    f.add_argument(
        "--lang", dest="filters.languages", type=language_list, metavar="CODES", help="languages to keep: en,de or all"
    )
    f.add_argument(
        "--lang-backend",
        dest="filters.lang_backend",
        choices=(*LANG_MODELS, NO_LANG_BACKEND),
        help=f"default {default_of('filters.lang_backend')}",
    )
    f.add_argument("--min-lang-score", dest="filters.min_lang_score", type=float, metavar="P")
    f.add_argument("--undetected-lang", dest="filters.undetected_lang", choices=UNDETECTED_RULES)
    f.add_argument(
        "--no-caption-rules", dest="filters.caption_rules", action="store_const", const=False, help="skip caption rules"
    )
    f.add_argument(
        "--min-words",
        dest="filters.min_words",
        type=int,
        metavar="N",
        help=f"default {default_of('filters.min_words')} (DataComp: >2)",
    )
    f.add_argument(
        "--min-chars",
        dest="filters.min_chars",
        type=int,
        metavar="N",
        help=f"default {default_of('filters.min_chars')} (DataComp: >5)",
    )
    f.add_argument(
        "--max-chars",
        dest="filters.max_chars",
        type=int,
        metavar="N",
        help=f"default {default_of('filters.max_chars')}",
    )
    f.add_argument(
        "--queries",
        dest="filters.queries",
        metavar="FILE",
        help="query list (lines, .gz or JSON); default: the shipped English list (wit queries build)",
    )
    f.add_argument("--extra-queries", dest="filters.extra_queries", metavar="FILE", help="more entries to match")
    f.add_argument("--query-cap", dest="filters.query_cap", type=int, metavar="T", help="rows per query (0: no cap)")
    f.add_argument(
        "--no-query-matching",
        dest="filters.query_matching",
        action="store_const",
        const=False,
        help="skip query matching and balancing",
    )
    f.add_argument(
        "--keep-intermediate",
        dest="filters.keep_intermediate",
        action="store_const",
        const=True,
        help="keep each step's output under OUT/_stages",
    )
    d = p.add_argument_group(
        "evaluation decontamination (IN_DIR is then a shard directory)",
        "remove training samples whose images are exact (SHA-256) or perceptual (pHash) copies of evaluation images",
    )
    d.add_argument(
        "--decontaminate",
        dest="shards.decontaminate",
        nargs="+",
        metavar="EVAL_DIR",
        help="evaluation sets: image folders or shard directories (any webdataset tars under them)",
    )
    d.add_argument(
        "--phash-distance",
        dest="shards.phash_distance",
        type=int,
        metavar="BITS",
        help=f"default {default_of('shards.phash_distance')}",
    )
    add_clip_flags(
        p, "CLIP-score filter: now `wit clip-filter` (this spelling still works; IN_DIR is then a shard directory)"
    )
    add_common(p)
    p.set_defaults(run=run)


def prepare_decontaminate(args: argparse.Namespace, config: BuildConfig) -> StageRun:
    """Remove copies of evaluation images from the shard directory ``args.input`` into ``args.out``."""
    from wit_pipeline.shards.dedup_plan import ImageRules
    from wit_pipeline.shards.eval_sources import layout_of
    from wit_pipeline.shards.image_filter import filter_shards

    source = Path(args.input).expanduser()
    if not is_shard_dir(source):
        raise WitError(
            f"{source}: --decontaminate filters a shard directory (NNNNN.tar files, what wit download writes); "
            "in wit build set [shards] decontaminate"
        )
    evals = tuple(str(Path(d).expanduser().resolve()) for d in config.shards.decontaminate)
    for directory in evals:
        layout_of(directory)
    rules = ImageRules(
        exact_dedup=False, phash_dedup=False, phash_distance=config.shards.phash_distance, decontaminate=evals
    )
    return StageRun(
        work=lambda client: filter_shards(source, args.out, rules, client=client, progress=not args.quiet),
        summary=lambda stats: (
            f"wit filter: {stats['samples']} samples kept in {stats['shards']} shard(s) -> {args.out}"
        ),
    )


def prepare(args: argparse.Namespace, config: BuildConfig) -> StageRun:
    """Filter the manifest (or, with ``--decontaminate`` or ``--clip-model``, the shard directory)."""
    if config.shards.decontaminate:
        if config.filters.clip_model:
            raise WitError("--decontaminate and --clip-model: run them one after the other, not together")
        return prepare_decontaminate(args, config)
    if config.filters.clip_model:
        return clip_filter_cmd.prepare(args, config)
    check_filter(args.input, args.out, config.filters, config.runtime.seed)
    return StageRun(
        work=lambda client: filter_manifest(
            args.input, args.out, config.filters, seed=config.runtime.seed, client=client, progress=not args.quiet
        ),
        summary=lambda stats: f"wit filter: {stats['rows_out']} rows kept in {stats['parts']} part(s) -> {args.out}",
    )


run = stage_command(prepare)
