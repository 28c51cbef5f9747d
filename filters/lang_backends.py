"""Language identification backends behind one interface: a batch of texts in, detections out.

``auto`` (default): CLD2 where it is reliable, langdetect's model where CLD2 is
unsure, wordfreq arbitrating disagreements — the best on short alt text, see ``lang_auto``.
``nb``: langdetect's profiles scored exactly, see ``lang_nb`` — langdetect's answers at
~100x its speed. ``langdetect``: the reference, called per caption with ``DetectorFactory.seed = 0``
so it is deterministic. ``cld2``: Google's CLD2 via pycld2, fastest, but it agrees with langdetect
less often than the target (see benchmarks/BENCHMARKS.md). Codes follow langdetect's (``he``,
``zh-cn``, ``zh-tw``); a backend is built once per worker process.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import langdetect
import pycld2
from langdetect import DetectorFactory
from langdetect.detector_factory import PROFILES_DIRECTORY
from langdetect.lang_detect_exception import LangDetectException

from filters.lang_auto import AutoBackend
from filters.lang_nb import NaiveBayesDetector
from wit_pipeline.config import LANG_MODELS
from wit_pipeline.errors import WitError

DetectorFactory.seed = 0
_CLD2_CODES = {"iw": "he", "zh": "zh-cn", "zh-Hant": "zh-tw", "jw": "jv", "un": None}
_CLD2_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class LangBackend(Protocol):
    """A language detector: the codes it can answer, and a batch call giving codes (None: no language) and scores."""

    name: str
    languages: frozenset[str]

    def detect(self, texts: Sequence[str]) -> tuple[list[str | None], list[float]]: ...


class NaiveBayesBackend:
    """langdetect's model without its sampling (``lang_nb.NaiveBayesDetector``)."""

    name = "nb"

    def __init__(self) -> None:
        self._detector = NaiveBayesDetector()
        self.languages = supported_languages(self.name)

    def detect(self, texts: Sequence[str]) -> tuple[list[str | None], list[float]]:
        """Batch detection; the posterior of the best language is the score."""
        return self._detector.detect(texts)


class LangdetectBackend:
    """``langdetect.detect_langs`` per text, seeded; the score is langdetect's probability."""

    name = "langdetect"

    def __init__(self) -> None:
        self.languages = supported_languages(self.name)

    def detect(self, texts: Sequence[str]) -> tuple[list[str | None], list[float]]:
        """One ``detect_langs`` call per text; text without features is undetected."""
        langs: list[str | None] = []
        scores: list[float] = []
        for text in texts:
            try:
                best = langdetect.detect_langs(text)[0]
                langs.append(best.lang)
                scores.append(float(best.prob))
            except LangDetectException:
                langs.append(None)
                scores.append(0.0)
        return langs, scores


class Cld2Backend:
    """pycld2 with ``bestEffort``; the score is the share of text in the top language if reliable, else 0."""

    name = "cld2"

    def __init__(self) -> None:
        self.languages = supported_languages(self.name)

    def detect(self, texts: Sequence[str]) -> tuple[list[str | None], list[float]]:
        """One pycld2 call per text; characters CLD2 refuses (C0/C1 controls) are dropped first."""
        langs, scores, _ = self.detect_all(texts)
        return langs, scores

    def detect_all(self, texts: Sequence[str]) -> tuple[list[str | None], list[float], list[float]]:
        """``detect`` plus each answer's share whether CLD2 calls it reliable or not.

        The share is the top language's percentage over the percentages of all languages CLD2
        identified (text it could not place, such as Latin file names inside Russian, does not
        count against it). ``auto`` weighs an unreliable answer against langdetect's with it.
        """
        langs: list[str | None] = []
        scores: list[float] = []
        shares: list[float] = []
        for text in texts:
            result = _cld2_detect(text)
            lang, score, share = None, 0.0, 0.0
            if result is not None:
                reliable, _, details = result
                lang = _cld2_code(details[0][1])
                placed = sum(d[2] for d in details if d[1] != "un")
                share = details[0][2] / placed if lang and placed else 0.0
                score = details[0][2] / 100.0 if reliable and lang else 0.0
            langs.append(lang)
            scores.append(score)
            shares.append(share)
        return langs, scores, shares


def _cld2_detect(text: str) -> tuple | None:
    for candidate in (text, _CLD2_UNSAFE.sub(" ", text)):
        try:
            return pycld2.detect(candidate, bestEffort=True)
        except pycld2.error:
            continue
    return None


def _cld2_code(code: str) -> str | None:
    return _CLD2_CODES.get(code, code)


def supported_languages(backend: str) -> frozenset[str]:
    """Codes ``backend`` can answer, known without loading its model (langdetect's profile names)."""
    if backend == "auto":
        return supported_languages("nb") | supported_languages("cld2")
    if backend == "cld2":
        return frozenset(c for c in (_cld2_code(code) for _, code in pycld2.LANGUAGES) if c)
    if backend in ("nb", "langdetect"):
        profiles = Path(PROFILES_DIRECTORY).iterdir()
        return frozenset(p.name for p in profiles if p.is_file() and not p.name.startswith("."))
    raise WitError(f"filters.lang_backend: unknown backend '{backend}' (expected one of {', '.join(LANG_MODELS)})")


@functools.cache
def get_backend(name: str) -> LangBackend:
    """The process-wide instance of backend ``name`` (profiles load once per worker)."""
    if name == "auto":
        return AutoBackend(Cld2Backend(), NaiveBayesBackend(), supported_languages("auto"))
    if name == "nb":
        return NaiveBayesBackend()
    if name == "langdetect":
        return LangdetectBackend()
    if name == "cld2":
        return Cld2Backend()
    raise WitError(f"filters.lang_backend: unknown backend '{name}' (expected one of {', '.join(LANG_MODELS)})")


def check_languages(backend: str, wanted: Sequence[str]) -> None:
    """Refuse a wanted language the backend can never answer (``--lang an`` with langdetect)."""
    known = supported_languages(backend)
    for code in wanted:
        if not any(lang == code or lang.startswith(code + "-") for lang in known):
            raise WitError(
                f"filters.languages: '{code}' is not a language the {backend} backend detects "
                f"(it knows: {', '.join(sorted(known))})"
            )
