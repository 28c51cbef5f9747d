"""The caption stage: normalise each caption, then reject non-captions, one reason per rule.

Rules run in a fixed order and the first that fires names the reason, so the most specific
explanation wins (``IMG_1234.jpg`` is a ``filename`` before it is ``too_few_words``). Bad input
(invalid UTF-8, control characters, 100k-character captions) is a reason like any other, never an
exception. Kept rows carry the normalised caption; rejected rows keep the caption they came with.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import pyarrow as pa

from filters import caption_patterns as patterns
from filters.text_normalize import CONTROL_CHARS, REPLACEMENT_CHAR, decode_text_columns, normalize_text
from wit_pipeline.config import FiltersConfig
from wit_pipeline.runtime import StageResult, split_rows

STAGE = "caption"
# Captions this much longer than the limit are rejected before normalisation, which would only
# spend time on them.
_PRECHECK_FACTOR = 4


@dataclass(frozen=True)
class CaptionRules:
    """Thresholds of the caption rules (DataComp's basic filter: >2 words, >5 characters).

    Characters are counted by display width (a CJK character counts two, see
    ``caption_patterns.display_width``) and words by ``caption_patterns.word_count`` (a CJK
    character is a word), so the thresholds mean the same in scripts written without spaces.
    """

    min_words: int = FiltersConfig.min_words
    min_chars: int = FiltersConfig.min_chars
    max_chars: int = FiltersConfig.max_chars
    min_letter_ratio: float = FiltersConfig.min_letter_ratio
    max_repeat_ratio: float = FiltersConfig.max_repeat_ratio

    def problem(self, raw: str | None) -> tuple[str | None, str]:
        """``(reason or None, normalised caption)`` for one raw caption."""
        if raw is None or not raw.strip():
            return "empty_caption", ""
        if CONTROL_CHARS.search(raw):
            return "control_characters", raw
        if REPLACEMENT_CHAR in raw:
            return "replacement_character", raw
        if len(raw) > self.max_chars * _PRECHECK_FACTOR:
            return "caption_too_long", raw
        text = normalize_text(raw)
        return self.text_problem(text), text

    def text_problem(self, text: str) -> str | None:
        """The first rule a normalised caption breaks, or None."""
        if not text:
            return "empty_caption"
        if len(text) > self.max_chars:
            return "caption_too_long"
        if patterns.has_markup(text):
            return "markup"
        if patterns.is_filename(text):
            return "filename"
        if patterns.is_bare_url(text):
            return "bare_url"
        if patterns.is_generic(text):
            return "generic_alt_text"
        if patterns.has_mixed_script_word(text):
            return "mixed_script_word"
        if patterns.letter_ratio(text) < self.min_letter_ratio:
            return "too_few_letters"
        if patterns.repeated_token_ratio(text) > self.max_repeat_ratio and text.count(" ") >= 2:
            return "repeated_token"
        if patterns.display_width(text) < self.min_chars:
            return "too_few_chars"
        if patterns.word_count(text) < self.min_words:
            return "too_few_words"
        return None


@dataclass(frozen=True)
class CaptionStage:
    """Per-partition stage: normalise captions and apply ``CaptionRules``."""

    rules: CaptionRules = CaptionRules()
    name: str = STAGE

    def __call__(self, table: pa.Table, partition: int) -> StageResult:
        """Keep rows whose caption passes every rule, with the caption normalised."""
        table, invalid = decode_text_columns(table, text=("caption",))
        raw = table["caption"].to_pylist()
        reasons: list[str | None] = []
        captions: list[str | None] = []
        changed = 0
        for bad, caption in zip(invalid, raw):
            if bad:
                reasons.append("invalid_utf8")
                captions.append(caption)
                continue
            reason, text = self.rules.problem(caption)
            reasons.append(reason)
            captions.append(caption if reason else text)
            changed += reason is None and text != caption
        index = table.column_names.index("caption")
        table = table.set_column(index, "caption", pa.array(captions, pa.string()))
        return split_rows(table, reasons, self.name, extra=Counter({"normalized": changed}))
