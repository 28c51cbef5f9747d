"""Human-written text in known languages from the machine's gettext catalogs, read at run time.

Every ``LL[_CC]/LC_MESSAGES/*.mo`` under ``/usr/share/locale`` and under the installed Python packages
is a translator's rendering of a program's messages into language ``LL``: thousands of real strings per
language, many of them the mixed-script text the web holds (product names in Latin inside Chinese,
Japanese or Russian sentences). A string becomes a sample when it is a translation (not a copy of its
English msgid), after dropping printf/brace placeholders, keyboard accelerators and markup, and when it
has at least ``min_words`` words (a CJK/Thai character counts as a word) and at most 200 characters.
Nothing is bundled: where there are no catalogs there is no corpus (callers skip).
"""

from __future__ import annotations

import gettext
import random
import re
import sysconfig
from collections import defaultdict
from pathlib import Path

from filters.caption_patterns import word_count

LOCALE_ROOTS = (Path("/usr/share/locale"), Path("/usr/share/locale-langpack"))
# Locale directory names to langdetect-style codes; a modifier (sr@latin) or an unlisted region is skipped.
_REGIONS = {"zh_CN": "zh-cn", "zh_SG": "zh-cn", "zh_Hans": "zh-cn", "zh_TW": "zh-tw", "zh_HK": "zh-tw"}
_REGIONS |= {"zh_Hant": "zh-tw", "pt_BR": "pt", "pt_PT": "pt", "nb_NO": "no", "nb": "no", "nn": "no"}
_PLACEHOLDER = re.compile(
    r"%(?:\d+\$)?[-+ #0]*\d*(?:\.\d+)?[hlLqjzt]*[diouxXeEfFgGcsSp%]|%\([^)]*\)[a-zA-Z]|\{[^{}]*\}|\$\{[^}]*\}|<[^<>]*>"
)
_ACCELERATOR = re.compile(r"(?<![\w&_])[&_](?=\w)|\(_?&?\w\)|\(&\w\)")
_SPACES = re.compile(r"\s+")


def catalog_files(
    roots: tuple[Path, ...] = LOCALE_ROOTS, languages: frozenset[str] | None = None
) -> list[tuple[str, Path]]:
    """``(language code, .mo path)`` for every catalog found (of ``languages`` only, when given)."""
    search = list(roots) + sorted({Path(sysconfig.get_paths()[k]) for k in ("purelib", "platlib")})
    found = []
    for root in search:
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*.mo")):
            if path.parent.name != "LC_MESSAGES":
                continue
            code = language_code(path.parent.parent.name)
            if code and (languages is None or code in languages):
                found.append((code, path))
    return found


def language_code(locale: str) -> str | None:
    """``zh_CN`` -> ``zh-cn``, ``de_CH`` -> ``de``, ``nb`` -> ``no``; None for ``sr@latin`` or ``en_GB``."""
    locale = locale.split(".", 1)[0]
    if "@" in locale:
        return None
    if locale in _REGIONS:
        return _REGIONS[locale]
    base = locale.split("_", 1)[0]
    if base == "zh" or base == "en" or not base.isalpha() or len(base) > 3:
        return None
    return base


def clean(text: str) -> str:
    """A msgstr without placeholders, accelerators, markup or line breaks."""
    text = _PLACEHOLDER.sub(" ", text)
    text = _ACCELERATOR.sub("", text)
    return _SPACES.sub(" ", text).strip(" :.…-")


def read_catalog(path: Path) -> list[tuple[str, str]]:
    """``(msgid, msgstr)`` pairs of one .mo file (plural forms included); a file that will not parse gives none."""
    try:
        with path.open("rb") as handle:
            catalog = gettext.GNUTranslations(handle)._catalog  # noqa: SLF001 - the parsed table itself
    except Exception:  # a damaged or foreign .mo file is no corpus
        return []
    pairs = []
    for key, value in catalog.items():
        msgid = key[0] if isinstance(key, tuple) else key
        if msgid and isinstance(value, str):
            pairs.append((msgid, value))
    return pairs


def load_corpus(
    per_language: int = 300, min_words: int = 3, seed: int = 0, languages: frozenset[str] | None = None
) -> dict[str, list[str]]:
    """Up to ``per_language`` distinct cleaned translations per language (a seeded sample)."""
    strings: dict[str, set[str]] = defaultdict(set)
    for code, path in catalog_files(languages=languages):
        for msgid, msgstr in read_catalog(path):
            text = clean(msgstr)
            if not text or text == clean(msgid) or len(text) > 200 or word_count(text) < min_words:
                continue
            if sum(c.isalpha() for c in text) < 0.5 * len(text.replace(" ", "")):
                continue
            strings[code].add(text)
    rng = random.Random(seed)
    corpus = {}
    for code, texts in sorted(strings.items()):
        ordered = sorted(texts)
        rng.shuffle(ordered)
        corpus[code] = ordered[:per_language]
    return corpus
