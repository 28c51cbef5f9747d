"""WIT query matching: which query-list entries occur in a caption, on word boundaries.

MetaCLIP's rule: pad the caption with spaces, put spaces around ``, . ; : ? ! ``` and turn tabs
and newlines into spaces, then an entry matches when `` entry `` is a substring. Here the same
spacing is also applied to the entries (so ``St. Louis`` can match at all), runs of spaces are
collapsed on both sides, and matching is case-insensitive unless asked otherwise (MetaCLIP's own
list is cased: pass ``case_sensitive`` with it). One Aho-Corasick automaton per worker process
finds every entry in one pass over the caption.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path

import ahocorasick
import pyarrow as pa

from wit_pipeline.manifest import decode_utf8_column
from wit_pipeline.runtime import StageResult, split_rows

STAGE = "query_match"
_NEEDS_SPACING = re.compile("[,.;:?!`]")
_SPACING = str.maketrans({**{p: f" {p} " for p in ",.;:?!`"}, "\t": " ", "\n": " ", "\r": " "})


def match_form(text: str, case_sensitive: bool = False) -> str:
    """``text`` spaced as MetaCLIP spaces captions, whitespace collapsed, lower-cased unless case-sensitive."""
    if not case_sensitive:
        text = text.lower()
    if _NEEDS_SPACING.search(text):
        text = text.translate(_SPACING)
    return " ".join(text.split())


@functools.lru_cache(maxsize=2)
def matcher(path: str, digest: str, case_sensitive: bool) -> ahocorasick.Automaton:
    """The automaton of the query list at ``path`` (``digest`` names its content), built once per process."""
    automaton = ahocorasick.Automaton()
    for query_id, entry in enumerate(json.loads(Path(path).read_text(encoding="utf-8"))):
        automaton.add_word(f" {match_form(entry, case_sensitive)} ", query_id)
    automaton.make_automaton()
    return automaton


def match_ids(automaton: ahocorasick.Automaton, text: str, case_sensitive: bool = False) -> list[int]:
    """Sorted ids of every entry that occurs in ``text``."""
    return sorted({query_id for _, query_id in automaton.iter(f" {match_form(text, case_sensitive)} ")})


@dataclass(frozen=True)
class QueryMatchStage:
    """Per-partition stage: add ``queries`` (matched ids); reject rows matching none as ``no_query_match``."""

    queries_path: str
    digest: str
    case_sensitive: bool = False
    name: str = STAGE

    def __call__(self, table: pa.Table, partition: int) -> StageResult:
        """Match every caption against the query list."""
        automaton = matcher(self.queries_path, self.digest, self.case_sensitive)
        captions, invalid = decode_utf8_column(table["caption"])
        matches = []
        reasons: list[str | None] = []
        for bad, text in zip(invalid, captions.to_pylist()):
            ids = [] if bad or text is None else match_ids(automaton, text, self.case_sensitive)
            matches.append(ids)
            reasons.append("invalid_utf8" if bad else None if ids else "no_query_match")
        column = pa.array(matches, pa.list_(pa.int32()))
        if "queries" in table.column_names:
            table = table.set_column(table.column_names.index("queries"), "queries", column)
        else:
            table = table.append_column("queries", column)
        return split_rows(table, reasons, self.name)
