"""The language stage: detect each caption's language, add ``lang``/``lang_score``, keep wanted ones.

Two explicit rules decide what is dropped:

- ``lang_undetected``: the backend found no language in the text (no letters, a file name) or its
  best guess scores below ``min_score``. Text in a language the backend does not know (Aragonese
  for langdetect) is either that, or is labelled as its nearest known language with that
  language's score; ``undetected="keep"`` keeps such rows instead, labelled ``und``.
- ``lang_not_wanted``: detected, but not one of ``languages`` (empty = keep every language).
  A wanted code matches its regional variants: ``zh`` keeps ``zh-cn`` and ``zh-tw``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import pyarrow as pa

from filters.lang_backends import get_backend
from wit_pipeline.config import FiltersConfig
from wit_pipeline.manifest import decode_utf8_column
from wit_pipeline.runtime import StageResult, split_rows

STAGE = "language"
UNDETERMINED = "und"


@dataclass(frozen=True)
class LanguageStage:
    """Per-partition language detection and filtering."""

    backend: str = FiltersConfig.lang_backend
    languages: tuple[str, ...] = tuple(FiltersConfig().languages)
    min_score: float = FiltersConfig.min_lang_score
    undetected: str = FiltersConfig.undetected_lang
    name: str = STAGE

    def wanted(self, lang: str) -> bool:
        """Whether detected ``lang`` is one of the wanted languages (or a regional variant of one)."""
        return not self.languages or any(lang == w or lang.startswith(w + "-") for w in self.languages)

    def __call__(self, table: pa.Table, partition: int) -> StageResult:
        """Annotate every row with its language and score; reject by the two rules."""
        captions, invalid = decode_utf8_column(table["caption"])
        texts = ["" if t is None or bad else t for t, bad in zip(captions.to_pylist(), invalid)]
        found, scores = get_backend(self.backend).detect(texts)
        langs = [
            lang if lang is not None and score >= self.min_score and not bad else UNDETERMINED
            for lang, score, bad in zip(found, scores, invalid)
        ]
        verdict = {lang: None if self.wanted(lang) else "lang_not_wanted" for lang in set(langs)}
        verdict[UNDETERMINED] = None if self.undetected == "keep" else "lang_undetected"
        reasons = ["invalid_utf8" if bad else verdict[lang] for lang, bad in zip(langs, invalid)]
        seen = Counter({f"lang_{lang}": n for lang, n in Counter(langs).items()})
        table = _set(table, "lang", pa.array(langs, pa.string()))
        table = _set(table, "lang_score", pa.array(scores, pa.float32()))
        return split_rows(table, reasons, self.name, extra=seen)


def _set(table: pa.Table, name: str, values: pa.Array) -> pa.Table:
    if name in table.column_names:
        return table.set_column(table.column_names.index(name), name, values)
    return table.append_column(name, values)
