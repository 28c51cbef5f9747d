"""The on-disk layout of a shard directory: what ``wit download``, the image stage, reshard and the
CLIP-score filter write, and what the loader, ``wit train``, ``wit embed``, ``wit eval`` and
``wit inspect`` read::

    OUT/NNNNN.tar           webdataset shard: KEY.jpg (or .png/.webp), KEY.txt, KEY.json per sample
    OUT/NNNNN.parquet       one row per attempted sample (status, error_message = "reason[: detail]", ...)
    OUT/NNNNN_stats.json    img2dataset's per-shard stats
    OUT/sizes.json          {"NNNNN.tar": successful samples}: the loader's exact epoch length
    OUT/_info.json          totals (shards, samples, attempted, per status) and the config that wrote it
    OUT/_metadata           parquet summary of the shard parquets (dask then reads exactly them)
    OUT/_stats.json         wit's funnel (``layout.manifest_dir.STATS_FILE``)
    OUT/tokenizer.json      the BPE tokenizer trained on the shards' captions (``wit build``), if any
    OUT/_raw/, OUT/_filtered/   ``wit download``'s intermediate shard directories (same layout)

Shards are named by their number, zero-padded to at least five digits (img2dataset's naming).

**Is this a shard directory?** One rule for every command: a directory holding ``sizes.json`` or
at least one ``NNNNN.tar``. ``sizes.json`` alone identifies a wit (or webdataset-tooled) output even
before its tars are listed; tars alone identify an img2dataset output, which has no ``sizes.json``.
A manifest directory (``part-*.parquet``) and a training run (``model_config.json``) hold neither.

The module imports nothing heavy at load time, so the loaders can use it.
"""

from __future__ import annotations

import json
import os
import posixpath
from pathlib import Path

from wit_pipeline.errors import WitError

TAR_GLOB = "[0-9]*.tar"
PARQUET_GLOB = "[0-9]*.parquet"
TAR_SUFFIX = ".tar"
SIZES_FILE = "sizes.json"
INFO_FILE = "_info.json"
TOKENIZER_FILE = "tokenizer.json"  # the shards' own tokenizer (a run's tokenizer is the run directory's)
RAW_DIR = "_raw"  # wit download: the shards as downloaded, before the image stage
FILTERED_DIR = "_filtered"  # wit download: after the image stage, before resharding
MIN_DIGITS = 5
# a shard parquet row's ``status`` other than success -> the stage that dropped the sample
STATUS_STAGE = {"failed_to_download": "download", "failed_to_resize": "download", "filtered": "image_filter"}


def shard_name(index: int, digits: int = MIN_DIGITS) -> str:
    """The name (no suffix) of shard ``index``: zero-padded to ``digits`` digits."""
    return f"{index:0{digits}d}"


def shard_digits(shards: int) -> int:
    """Digits of the shard names when there are ``shards`` of them (at least five)."""
    return max(MIN_DIGITS, len(str(shards - 1)))


def tar_file(shard: str) -> str:
    """The webdataset tar of shard ``shard`` (``NNNNN.tar``)."""
    return f"{shard}{TAR_SUFFIX}"


def parquet_file(shard: str) -> str:
    """The per-sample table of shard ``shard`` (``NNNNN.parquet``)."""
    return f"{shard}.parquet"


def stats_file(shard: str) -> str:
    """img2dataset's per-shard stats of shard ``shard`` (``NNNNN_stats.json``)."""
    return f"{shard}_stats.json"


def shard_tars(directory: str | os.PathLike) -> list[Path]:
    """The ``NNNNN.tar`` files of a local shard directory, in name order."""
    return sorted(Path(directory).glob(TAR_GLOB))


def shard_parquets(directory: str | os.PathLike) -> list[Path]:
    """The ``NNNNN.parquet`` files of a local shard directory, in name order."""
    return sorted(Path(directory).glob(PARQUET_GLOB))


def shard_names(directory: str | os.PathLike) -> list[str]:
    """The shard names (``NNNNN``) of a local shard directory, from its tars, in order."""
    return [p.stem for p in shard_tars(directory)]


def is_shard_dir(path: str | os.PathLike) -> bool:
    """A local directory holding ``sizes.json`` or at least one ``NNNNN.tar`` (see the module doc)."""
    root = Path(path)
    return root.is_dir() and ((root / SIZES_FILE).is_file() or any(p.is_file() for p in root.glob(TAR_GLOB)))


def shard_file(directory: str | os.PathLike, name: str) -> str:
    """The file ``name`` of a shard directory (a local path or an fsspec URL)."""
    directory = os.fspath(directory)
    return posixpath.join(directory, name) if "://" in directory else os.path.join(directory, name)


def sizes_location(directory: str | os.PathLike) -> str:
    """The ``sizes.json`` of a shard directory (a local path or an fsspec URL)."""
    return shard_file(directory, SIZES_FILE)


def has_sizes(directory: str | os.PathLike) -> bool:
    """Whether a shard directory (local or fsspec URL) holds ``sizes.json``: a wit shard directory with exact
    epoch sizes, where bare ``.tar`` files may be another layout (CLIP_benchmark's ``<split>/N.tar``)."""
    from wit_pipeline import storage

    return storage.exists(sizes_location(directory))


def read_sizes(directory: str | os.PathLike) -> dict[str, int] | None:
    """``sizes.json`` of a shard directory (local or fsspec URL) as ``{name: count}``, None when it has none.

    A file that is not ``{"NNNNN.tar": count >= 0, ...}`` is an error naming it.
    """
    path = sizes_location(directory)
    try:
        if "://" in path:
            import fsspec

            with fsspec.open(path, "rt", encoding="utf-8") as fh:
                sizes = json.load(fh)
        else:
            with open(path, encoding="utf-8") as fh:
                sizes = json.load(fh)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise WitError(f"{path}: cannot read sizes ({exc})") from None
    if not isinstance(sizes, dict) or not all(
        isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and v >= 0 for k, v in sizes.items()
    ):
        raise WitError(f'{path}: expected {{"NNNNN.tar": sample_count, ...}} with counts >= 0')
    return sizes


def error_message(reason: str | None, detail: str = "") -> str | None:
    """A shard parquet row's ``error_message``: ``reason`` or ``reason: detail`` (None: the sample succeeded)."""
    if reason is None:
        return None
    return f"{reason}: {detail}" if detail else reason


def reason_of(message: str | None) -> str | None:
    """The reason code at the front of an ``error_message`` (``http_404: URL`` -> ``http_404``)."""
    return None if message is None else message.split(":", 1)[0]


def write_shard_index(out: Path, config: dict) -> dict:
    """Write ``sizes.json`` (successful samples per tar), ``_info.json`` (totals, config) and ``_metadata``.

    Every stage that writes a shard directory finishes with this. ``_metadata`` summarises the shard
    parquets, so dask reads exactly them (not ``_raw/`` below).
    """
    import pyarrow.parquet as pq

    from wit_pipeline import __version__
    from wit_pipeline.atomic_files import write_json, write_parquet_summary
    from wit_pipeline.layout.manifest_dir import SUMMARY_FILE

    sizes, attempted, statuses = {}, 0, {}
    parquets = shard_parquets(out)
    for parquet in parquets:
        column = pq.read_table(parquet, columns=["status"])["status"].to_pylist()
        attempted += len(column)
        for status in column:
            statuses[status] = statuses.get(status, 0) + 1
        sizes[parquet.with_suffix(TAR_SUFFIX).name] = column.count("success")
    write_json(out / SIZES_FILE, sizes)
    write_parquet_summary(out / SUMMARY_FILE, parquets)
    info = {
        "version": __version__,
        "shards": len(sizes),
        "samples": sum(sizes.values()),
        "attempted": attempted,
        "status": statuses,
        "config": config,
    }
    write_json(out / INFO_FILE, json.loads(json.dumps(info, default=str)))
    return {"shards": len(sizes), "samples": info["samples"]}
