"""The manifest: the one Arrow schema every stage reads and writes, plus row validation.

A manifest is a directory of ``part-NNNNN.parquet`` files (the directory layout: ``wit_pipeline.layout.manifest_dir``).
Required columns are fixed here; known optional columns have fixed types when present; any other column
is carried along.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pyarrow as pa
import pyarrow.compute as pc

from wit_pipeline import storage
from wit_pipeline.config import SourcesConfig
from wit_pipeline.errors import WitError
from wit_pipeline.layout.manifest_dir import PART_GLOB

REQUIRED_FIELDS = [
    pa.field("uid", pa.string(), nullable=False),
    pa.field("url", pa.string(), nullable=False),
    pa.field("caption", pa.string(), nullable=False),
    pa.field("page_url", pa.string()),
    pa.field("source", pa.string(), nullable=False),
]
OPTIONAL_FIELDS = [
    pa.field("alt", pa.string()),
    pa.field("title", pa.string()),
    pa.field("figcaption", pa.string()),
    pa.field("width", pa.int32()),
    pa.field("height", pa.int32()),
    pa.field("lang", pa.string()),
    pa.field("lang_score", pa.float32()),
    pa.field("queries", pa.list_(pa.int32())),
]
MANIFEST_SCHEMA = pa.schema(REQUIRED_FIELDS)
REQUIRED_COLUMNS = [f.name for f in REQUIRED_FIELDS]
KNOWN_TYPES = {f.name: f.type for f in REQUIRED_FIELDS + OPTIONAL_FIELDS}


@dataclass(frozen=True)
class ManifestLimits:
    """Sanity caps on field sizes; rows past them are rejected, not truncated."""

    max_url_length: int = SourcesConfig.max_url_length
    max_caption_length: int = SourcesConfig.max_caption_length


def normalize_url(url: str) -> str:
    """Canonical form of an http(s) URL used for uids and dedup.

    Lower-cases scheme and host, drops default ports, the fragment and a trailing ``?``; an
    IPv6 literal host stays in brackets (``http://[::1]:8080/``).
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    port = parts.port
    if port is not None and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    if parts.username or parts.password:
        auth = parts.username or ""
        if parts.password:
            auth += f":{parts.password}"
        host = f"{auth}@{host}"
    return urlunsplit((scheme, host, parts.path or "/", parts.query, ""))


# Plain absolute http(s) URLs (no userinfo, port, IPv6 host or whitespace): the shape of
# nearly every web image URL, normalised with Arrow kernels instead of urlsplit per row.
_PLAIN_URL = r"^(?i)(?P<scheme>https?)://(?P<host>[a-z0-9._-]+)(?P<path>/[^?#\s]*)?(?P<query>\?[^#\s]*)?(?:#\S*)?$"


def compute_uid(url: str, caption: str) -> str:
    """Stable 128-bit hex id of a (normalised url, caption) pair."""
    return uid_of_normalized(normalize_url(url), caption)


def uid_of_normalized(normalized_url: str, caption: str) -> str:
    data = normalized_url.encode("utf-8") + b"\x00" + caption.encode("utf-8")
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def normalize_urls(urls: pa.Array | pa.ChunkedArray) -> pa.Array:
    """``normalize_url`` over a string column; vectorised for plain URLs, per row for the rest.

    Nulls and values that are not absolute http(s) URLs come back as null.
    """
    urls = pc.utf8_trim_whitespace(urls)
    if isinstance(urls, pa.ChunkedArray):
        urls = urls.combine_chunks()
    parts = pc.extract_regex(urls, _PLAIN_URL)
    path = parts.field("path")
    query = parts.field("query")
    normalized = pc.binary_join_element_wise(
        pc.utf8_lower(parts.field("scheme")),
        "://",
        pc.utf8_lower(parts.field("host")),
        pc.if_else(pc.equal(path, ""), "/", path),
        pc.if_else(pc.equal(query, "?"), "", query),
        "",
    ).to_pylist()
    plain = pc.fill_null(pc.is_valid(parts), False).to_pylist()
    for i, (ok, raw) in enumerate(zip(plain, urls.to_pylist())):
        if ok:
            continue
        normalized[i] = None
        if raw is not None:
            try:
                normalized[i] = normalize_url(raw) if urlsplit(raw).scheme.lower() in ("http", "https") else None
            except ValueError:
                normalized[i] = None
    return pa.array(normalized, pa.string())


def url_problem(url: str | None, limits: ManifestLimits) -> str | None:
    """Reason code why ``url`` is not a usable absolute http(s) URL, or None if it is."""
    if url is None or not url.strip():
        return "missing_url"
    if len(url) > limits.max_url_length:
        return "url_too_long"
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return "malformed_url"
    if parts.scheme.lower() not in ("http", "https"):
        return "url_not_http"
    if not parts.hostname:
        return "malformed_url"
    return None


def caption_problem(caption: str | None, limits: ManifestLimits) -> str | None:
    """Reason code why ``caption`` cannot be used at all, or None if it can."""
    if caption is None:
        return "missing_caption"
    if not caption.strip():
        return "empty_caption"
    if len(caption) > limits.max_caption_length:
        return "caption_over_manifest_limit"
    return None


def decode_utf8_column(column: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, list[bool]]:
    """Decode a binary/string column to strings, flagging rows that are not valid UTF-8.

    Invalid rows are decoded with replacement characters so they can still be written
    to rejects; the returned flags say which rows were invalid.
    """
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if pa.types.is_null(column.type):
        return pa.nulls(len(column), pa.string()), [False] * len(column)
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        try:
            column.validate(full=True)
            return column.cast(pa.string()), [False] * len(column)
        except pa.ArrowInvalid:
            binary = pa.binary() if pa.types.is_string(column.type) else pa.large_binary()
            column = column.cast(binary, safe=False)
    elif not (pa.types.is_binary(column.type) or pa.types.is_large_binary(column.type)):
        return column.cast(pa.string()), [False] * len(column)
    try:
        return column.cast(pa.string()), [False] * len(column)
    except pa.ArrowInvalid:
        values, bad = [], []
        for raw in column.to_pylist():
            if raw is None:
                values.append(None)
                bad.append(False)
                continue
            try:
                values.append(raw.decode("utf-8"))
                bad.append(False)
            except UnicodeDecodeError:
                values.append(raw.decode("utf-8", errors="replace"))
                bad.append(True)
        return pa.array(values, pa.string()), bad


def conform(table: pa.Table) -> pa.Table:
    """Order required columns first and cast known optional columns to their types.

    A value of a known column that does not convert (``width = "wide"``) becomes null.
    """
    missing = [c for c in REQUIRED_COLUMNS if c not in table.column_names]
    if missing:
        raise ValueError(f"manifest table lacks required columns {missing}")
    for name in table.column_names:
        expected = KNOWN_TYPES.get(name)
        if expected is not None and table.schema.field(name).type != expected:
            idx = table.column_names.index(name)
            table = table.set_column(idx, pa.field(name, expected), _cast_or_null(table[name], expected))
    extras = [c for c in table.column_names if c not in REQUIRED_COLUMNS]
    return table.select(REQUIRED_COLUMNS + extras)


def _cast_or_null(column: pa.ChunkedArray, target: pa.DataType) -> pa.Array:
    try:
        return pc.cast(column, target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        out = []
        for value in column.to_pylist():
            try:
                out.append(pa.scalar(value).cast(target).as_py() if value is not None else None)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                out.append(None)
        return pa.array(out, target)


def list_parts(directory: str | Path) -> list[Path | str]:
    """The manifest part files of ``directory`` in order; a clear error if there are none.

    A local directory (path or ``file://``) gives absolute ``Path``s; an fsspec URL gives URLs.
    """
    path = storage.location(directory)
    if not storage.exists(path):
        raise WitError(f"{path}: no such manifest directory")
    if not storage.is_dir(path):
        return [path]
    parts = storage.list_files(path, PART_GLOB)
    if not parts:
        raise WitError(f"{path}: not a manifest directory (expected part-NNNNN.parquet files)")
    return parts


def read_part(path: str | Path) -> pa.Table:
    """Read one manifest part (local or fsspec URL), checking it is readable and has the required columns."""
    try:
        table = storage.read_parquet(path)
    except (OSError, pa.ArrowException) as exc:
        raise WitError(f"{path}: unreadable parquet file ({_first_line(exc)})") from None
    missing = [c for c in REQUIRED_COLUMNS if c not in table.column_names]
    if missing:
        raise WitError(f"{path}: missing required manifest column(s) {', '.join(missing)}")
    return table


def is_text_type(t: pa.DataType) -> bool:
    return pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_string(t) or pa.types.is_large_string(t)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
