"""The WIT query list: read from a file or built from word frequencies, in one canonical form.

CLIP's 500,000 queries started from every word occurring at least 100 times in English Wikipedia
(~3 billion words, so a frequency of 3.3e-8: Zipf 1.5 on wordfreq's scale), plus bigrams, article
titles and WordNet; MetaCLIP publishes its list as a JSON array. Here a list comes from a file (one
entry per line, gzip-compressed when named ``.gz``, or a JSON array of strings) or, by default,
from wit's shipped English list (``filters.query_builder``: WordNet lemmas and wordfreq words at or
above ``min_zipf``, stopword-only entries dropped); extra entries (bigrams, titles) are appended
from another file.

Entries are put in the form the matcher compares (``query_match.match_form``) and de-duplicated
keeping the first; a query's id is its position in that canonical list, which is written next
to the output so ids can be read back.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

from filters.query_builder import DEFAULT_MIN_ZIPF, default_entries
from filters.query_match import match_form
from wit_pipeline.atomic_files import write_text
from wit_pipeline.errors import WitError


def read_entries(path: str | Path) -> list[str]:
    """Entries of a query file: a JSON array of strings, or one entry per non-blank line."""
    p = Path(path)
    try:
        text = gzip.decompress(p.read_bytes()).decode("utf-8") if p.suffix == ".gz" else p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise WitError(f"{p}: query list not found") from None
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise WitError(f"{p}: cannot read query list ({exc})") from None
    if text.lstrip().startswith("["):
        try:
            entries = json.loads(text)
        except ValueError as exc:
            raise WitError(f"{p}: invalid JSON query list ({exc})") from None
        if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
            raise WitError(f"{p}: a JSON query list must be an array of strings")
        return entries
    return [line for line in text.splitlines() if line.strip()]


def canonical(entries: Sequence[str], case_sensitive: bool = False) -> list[str]:
    """Entries in match form, empty ones dropped, duplicates removed keeping the first."""
    seen: dict[str, None] = {}
    for entry in entries:
        form = match_form(entry, case_sensitive)
        if form:
            seen.setdefault(form, None)
    return list(seen)


def build_queries(
    source: str, extra: str, min_zipf: float = DEFAULT_MIN_ZIPF, case_sensitive: bool = False
) -> list[str]:
    """The canonical query list: ``source`` file (or wit's default English list when empty) plus ``extra`` entries."""
    entries = read_entries(source) if source else default_entries(min_zipf)
    if extra:
        entries = [*entries, *read_entries(extra)]
    queries = canonical(entries, case_sensitive)
    if not queries:
        raise WitError(f"{source or 'default list'}: the query list is empty")
    return queries


def write_queries(queries: Sequence[str], path: Path) -> str:
    """Write the canonical list as a JSON array (atomically); returns its digest, which names its matcher."""
    text = json.dumps(list(queries), ensure_ascii=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text(path, text)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def load_queries(path: str | Path) -> list[str]:
    """Read back a list written by ``write_queries``."""
    return json.loads(Path(path).read_text(encoding="utf-8"))
