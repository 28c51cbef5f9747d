"""The dataset half of the report's data: funnel, build steps, languages, caption lengths, query counts.

Reads are bounded: only the columns a section needs, in record batches, stopping after
``max_rows`` rows; counts that the funnel already holds (languages) are taken from it.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq

from filters.balance import entry_distribution
from wit_pipeline.errors import WitError
from wit_pipeline.layout.build_dir import BUILD_FILE
from wit_pipeline.layout.manifest_dir import FILTER_RECORD, PART_GLOB, query_counts_location
from wit_pipeline.layout.shard_dir import INFO_FILE, shard_parquets
from wit_pipeline.report.locate import ReportInputs
from wit_pipeline.report.svg import nice_step
from wit_pipeline.runtime.funnel import read_funnel


@dataclass
class Languages:
    """Captions per detected language, most frequent first; ``wanted`` are the languages the filter kept."""

    counts: list[tuple[str, int]]
    wanted: frozenset[str]
    source: str


@dataclass
class Histogram:
    labels: list[str]
    counts: list[int]


@dataclass
class CaptionLengths:
    """Caption length histograms in characters and in words, over ``captions`` captions read."""

    chars: Histogram
    words: Histogram
    captions: int
    median_chars: int
    median_words: int
    source: str
    truncated: bool = False


@dataclass
class QueryCounts:
    """The most matched queries with their counts before and after balancing, and table-wide totals."""

    top: list[tuple[str, int, int]]
    queries: int
    matched_queries: int
    capped_queries: int
    cap: int | None
    distribution: list[dict]


def read_funnel_for(inputs: ReportInputs) -> list[dict] | None:
    """The fullest funnel there is: build.json's, else the shards' _stats.json, else the manifest's."""
    if inputs.build is not None and (inputs.build / BUILD_FILE).exists():
        data = _load_json(inputs.build / BUILD_FILE)
        if isinstance(data, dict) and isinstance(data.get("funnel"), list):
            from wit_pipeline.runtime.results import StageCounters

            return [StageCounters.from_dict(s).to_dict() for s in data["funnel"]]
    for directory in (inputs.shards, inputs.manifest):
        if directory is not None:
            stages = read_funnel(directory)
            if stages:
                return [s.to_dict() for s in stages]
    return None


def read_build_steps(inputs: ReportInputs) -> list[dict] | None:
    """The per-step wall times and rows of ``build.json`` (None without a build)."""
    if inputs.build is None or not (inputs.build / BUILD_FILE).exists():
        return None
    steps = (_load_json(inputs.build / BUILD_FILE) or {}).get("steps")
    return steps if isinstance(steps, list) else None


def read_shard_info(inputs: ReportInputs) -> dict | None:
    """The shard directory's ``_info.json`` totals (samples, attempted, statuses), if any."""
    if inputs.shards is None or not (inputs.shards / INFO_FILE).exists():
        return None
    return _load_json(inputs.shards / INFO_FILE)


def filter_settings(inputs: ReportInputs) -> dict:
    """The filter settings ``wit filter`` recorded beside its output (languages, query cap), or {}."""
    if inputs.manifest is None or not (inputs.manifest / FILTER_RECORD).exists():
        return {}
    record = _load_json(inputs.manifest / FILTER_RECORD) or {}
    settings = record.get("fingerprint", {}).get("filters", {})
    return settings if isinstance(settings, dict) else {}


def language_counts(inputs: ReportInputs, funnel: list[dict] | None, max_rows: int) -> Languages | None:
    """Detected languages: the language stage's counts in the funnel, else a bounded read of ``lang``."""
    wanted = frozenset(filter_settings(inputs).get("languages") or ())
    for stage in funnel or ():
        counts = {k[len("lang_") :]: int(v) for k, v in stage.get("extra", {}).items() if k.startswith("lang_")}
        if counts:
            total = sum(counts.values())
            source = f"language detected for all {total:,} captions that reached the {stage['stage']} stage"
            return Languages(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])), wanted, source)
    files, _ = _kept_rows(inputs)
    if not files or not all("lang" in pq.read_schema(f).names for f in files):
        return None
    counter: Counter = Counter()
    rows = 0
    for batch in _batches(files, ["lang"], max_rows):
        counter.update(lang or "unknown" for lang in batch["lang"])
        rows += len(batch["lang"])
    more = " (first rows only)" if rows >= max_rows else ""
    return Languages(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])), wanted, f"{rows:,} kept rows{more}")


def caption_lengths(inputs: ReportInputs, max_rows: int) -> CaptionLengths | None:
    """Histograms of caption length (characters, words) of the kept samples, from at most ``max_rows``."""
    files, where = _kept_rows(inputs)
    if not files:
        return None
    chars, words = [], []
    for batch in _batches(files, ["caption"], max_rows):
        for caption in batch["caption"]:
            text = caption or ""
            chars.append(len(text))
            words.append(len(text.split()))
    if not chars:
        return None
    chars.sort()
    words.sort()
    truncated = len(chars) >= max_rows
    source = f"{len(chars):,} captions of {where}" + (" (first rows only)" if truncated else "")
    return CaptionLengths(
        _bins(chars), _bins(words), len(chars), chars[len(chars) // 2], words[len(words) // 2], source, truncated
    )


def query_counts(inputs: ReportInputs, top: int) -> QueryCounts | None:
    """The ``top`` most matched queries of the filter's query table and how many were matched and capped."""
    path = query_counts_location(inputs.manifest) if inputs.manifest is not None else None
    if path is None:
        return None
    try:
        table = pq.read_table(path, columns=["query", "matched", "keep_probability", "kept"])
        distribution = entry_distribution(
            table["matched"].to_numpy(zero_copy_only=False), table["kept"].to_numpy(zero_copy_only=False), 0
        )
    except (OSError, ValueError) as exc:
        raise WitError(f"{path}: unreadable query table ({str(exc).splitlines()[0]})") from None
    best = table
    if table.num_rows:
        order = pc.select_k_unstable(table, k=min(top, table.num_rows), sort_keys=[("matched", "descending")])
        best = table.take(order)
        best = best.filter(pc.greater(best["matched"], 0))
    rows = sorted(
        zip(best["query"].to_pylist(), best["matched"].to_pylist(), best["kept"].to_pylist()),
        key=lambda r: (-r[1], r[0]),
    )
    capped = table.filter(pc.less(table["keep_probability"], 1.0))
    cap = filter_settings(inputs).get("query_cap")
    if not (isinstance(cap, int) and cap > 0):  # not recorded: t = probability x count of any capped query
        cap = round(capped["keep_probability"][0].as_py() * capped["matched"][0].as_py()) if capped.num_rows else None
    matched = int(pc.sum(pc.greater(table["matched"], 0)).as_py() or 0) if table.num_rows else 0
    if cap:
        distribution = entry_distribution(
            table["matched"].to_numpy(zero_copy_only=False), table["kept"].to_numpy(zero_copy_only=False), cap
        )
    return QueryCounts(rows, table.num_rows, matched, capped.num_rows, cap, distribution)


def _kept_rows(inputs: ReportInputs) -> tuple[list[Path], str]:
    """The files holding the final kept rows: shard parquets (status success) or manifest parts."""
    if inputs.shards is not None:
        files = shard_parquets(inputs.shards)
        if files:
            return files, "the samples in the shards"
    if inputs.manifest is not None:
        files = sorted(inputs.manifest.glob(PART_GLOB))
        if files:
            return files, "the rows kept in the manifest"
    return [], ""


def _batches(files: Sequence[Path], columns: list[str], max_rows: int) -> Iterator[dict[str, list]]:
    """Record batches of ``columns`` (shard rows only when ``status == success``), ``max_rows`` in all."""
    left = max_rows
    for path in files:
        try:
            parquet = pq.ParquetFile(path)
            names = parquet.schema_arrow.names
            wanted = columns + (["status"] if "status" in names else [])
            for batch in parquet.iter_batches(batch_size=8192, columns=wanted):
                data = batch.to_pydict()
                if "status" in data:
                    keep = [s == "success" for s in data.pop("status")]
                    data = {k: [v for v, ok in zip(vs, keep) if ok] for k, vs in data.items()}
                n = len(data[columns[0]])
                if n > left:
                    data = {k: vs[:left] for k, vs in data.items()}
                    n = left
                left -= n
                yield data
                if left <= 0:
                    return
        except (OSError, ValueError) as exc:
            raise WitError(f"{path}: unreadable parquet file ({str(exc).splitlines()[0]})") from None


def _bins(sorted_values: list[int], target: int = 20) -> Histogram:
    """Integer bins of a round width up to the 99th percentile, the rest in one last ``≥`` bin."""
    upper = max(sorted_values[min(len(sorted_values) - 1, int(0.99 * len(sorted_values)))], 1)
    step = max(1, int(nice_step(upper + 1, target)))
    n_bins = upper // step + 1
    limit = n_bins * step
    counts = [0] * (n_bins + 1)
    for value in sorted_values:
        counts[min(value // step, n_bins)] += 1
    labels = [str(i * step) if step == 1 else f"{i * step}–{(i + 1) * step - 1}" for i in range(n_bins)]
    if counts[-1]:
        labels.append(f"≥{limit}")
    else:
        counts.pop()
    return Histogram(labels, counts)


def _load_json(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise WitError(f"{path}: unreadable JSON ({exc})") from None
    return data if isinstance(data, dict) else None
