"""What non-captions look like: file names, URLs, markup, generic alt text, mixed-script words.

Pure data and small predicates, kept apart from the rule engine so each pattern can be read
(and tested) on its own. Every predicate takes normalised text (see ``text_normalize``).
"""

from __future__ import annotations

import re

IMAGE_EXTENSIONS = "jpe?g|jfif|png|gif|webp|bmp|tiff?|svg|heic|heif|avif|ico|raw|cr2|nef|dng|psd"
# A file name, or a path to one ("../_images/x.png", "/static/img/a photo of my dog.jpg"): directories
# without spaces, then a name of up to 200 characters. URLs ("https://...") are left to the URL rule.
_FILENAME = re.compile(rf"(?:[^\s/\\]*[/\\])*[^/\\]{{0,200}}\.(?:{IMAGE_EXTENSIONS})", re.IGNORECASE)
# Names cameras, phones and screen grabbers give files: IMG_1234, DSC0001, DSCN0042, P1010123, PXL_2021...
_CAMERA_NAME = re.compile(
    r"(?:img|image|dsc[nf]?|dcim|pict?|photo|gopr|gopro|mvi|vid|pxl|sam|wp|p|scan|screenshot|screen shot)"
    r"[\s_\-]*\d{3,}[\w\-]*(?: ?\(\d+\))?",
    re.IGNORECASE,
)
_HASH_NAME = re.compile(r"[0-9a-f]{16,}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
_BARE_URL = re.compile(
    r"(?:(?:https?|ftp)://\S+|www\.\S+|[\w\-]+(?:\.[\w\-]+)*\.[a-z]{2,24}(?::\d+)?(?:/\S*)?)",
    re.IGNORECASE,
)
_MARKUP = re.compile(
    r"<\s*/?\s*[a-z][a-z0-9]*(?:\s[^<>]*)?/?\s*>"  # HTML/XML tags
    r"|&(?:#\d{1,7}|#x[0-9a-f]{1,6}|[a-z][a-z0-9]{1,30});"  # character entities left unescaped
    r"|\[/?(?:b|i|u|url|img|quote|color|size|center)(?:=[^\]]*)?\]"  # BBCode
    r"|\{\{|\}\}|\[\[|\]\]|\{%|%\}|\$\{"  # wiki and template syntax
    r"|!\[[^\]]*\]\([^)]*\)",  # Markdown images
    re.IGNORECASE,
)
_MARKUP_HINT = re.compile(r"[<&\[\]{}%$!]")
_ASCII_LETTERS = bytes(range(65, 91)) + bytes(range(97, 123))
# Generic alt text is short ("click here to view larger image"); longer captions skip the check.
GENERIC_MAX_CHARS = 80
_SIZE = re.compile(r"\d+(?:px)?[x×]\d+(?:px)?", re.IGNORECASE)
_FILLER = re.compile(r"\d+(?:px|kb|mb)?|x|×|px", re.IGNORECASE)
GENERIC_WORDS = frozenset(
    """
    image images img imgs photo photos photograph pic pics picture pictures logo logos icon icons
    thumbnail thumbnails thumb thumbs banner banners placeholder untitled spacer blank avatar loading
    click here tap view larger enlarge zoom full size fullsize preview gallery slideshow slide button
    screenshot graphic graphics figure fig file jpg jpeg png gif webp svg alt text default no
    available this that the a an of to for and in on at see more read link download
    """.split()
)
_WORD = re.compile(r"\w+")
_LATIN = "a-zA-Z\u00c0-\u024f"
_GREEK = "\u0370-\u03ff"
_CYRILLIC = "\u0400-\u04ff"
# A word holding letters of two of Latin / Greek / Cyrillic: look-alike spoofing ("Pаypal").
_MIXED_WORD = re.compile(
    rf"[{_LATIN}]\w*[{_GREEK}{_CYRILLIC}]|[{_GREEK}]\w*[{_LATIN}{_CYRILLIC}]|[{_CYRILLIC}]\w*[{_LATIN}{_GREEK}]"
)
# Scripts written without spaces between words: each character counts as a word.
_NO_SPACE_SCRIPT = re.compile(
    "[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
)
# East Asian wide characters (Han, kana, Hangul, full-width forms): each counts two towards the
# character minimum, as it takes two columns, so 备份数据库 (5 characters, "back up the database")
# counts like a 10-letter English caption. Unicode's East_Asian_Width W and F ranges, abridged.
_WIDE = re.compile(
    "[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf"
    "\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\U00020000-\U0003fffd]"
)
_LETTER = re.compile(r"[^\W\d_]")


def is_filename(text: str) -> bool:
    """An image file name or path, or a camera's default name (``IMG_1234.jpg``, ``../x.png``, ``DSC0001``)."""
    spaces = text.count(" ")
    return bool(
        ("." in text and "://" not in text and _FILENAME.fullmatch(text))
        or (spaces <= 2 and _CAMERA_NAME.fullmatch(text))
        or (not spaces and _HASH_NAME.fullmatch(text))
    )


def is_bare_url(text: str) -> bool:
    """The whole caption is a URL or a domain name."""
    return " " not in text and bool(_BARE_URL.fullmatch(text))


def has_markup(text: str) -> bool:
    """HTML tags or entities, BBCode, wiki/template syntax or Markdown image syntax left in the text."""
    return bool(_MARKUP_HINT.search(text) and _MARKUP.search(text))


def is_generic(text: str) -> bool:
    """Only generic alt-text vocabulary ("image", "click here", "logo") or sizes ("300x250"), with numbers."""
    if len(text) > GENERIC_MAX_CHARS:
        return False
    generic = False
    for word in _WORD.findall(text.lower()):
        if word in GENERIC_WORDS or _SIZE.fullmatch(word):
            generic = True
        elif not _FILLER.fullmatch(word):
            return False
    return generic


def has_mixed_script_word(text: str) -> bool:
    """Some word mixes Latin, Greek and Cyrillic letters."""
    return not text.isascii() and bool(_MIXED_WORD.search(text))


def tokens(text: str) -> list[str]:
    """Whitespace-separated words; in scripts without spaces (CJK, Thai...) each character is a word."""
    if text.isascii() or not _NO_SPACE_SCRIPT.search(text):
        return text.split()
    return _NO_SPACE_SCRIPT.findall(text) + _NO_SPACE_SCRIPT.sub(" ", text).split()


def word_count(text: str) -> int:
    """The number of ``tokens``."""
    if text.isascii():
        return len(text.split())
    return len(tokens(text))


def display_width(text: str) -> int:
    """Characters, with East Asian wide characters counted twice (the columns they take)."""
    if text.isascii():
        return len(text)
    return len(text) + len(_WIDE.findall(text))


def letter_ratio(text: str) -> float:
    """Letters over non-space characters (0.0 for text with none)."""
    visible = len(text) - text.count(" ")
    if not visible:
        return 0.0
    if text.isascii():
        raw = text.encode("ascii")
        return (len(raw) - len(raw.translate(None, _ASCII_LETTERS))) / visible
    return len(_LETTER.findall(text)) / visible


def repeated_token_ratio(text: str) -> float:
    """Share of the ``tokens`` taken by the most frequent one (case-insensitive).

    CJK characters are tokens of their own, so "SSH 客户端 SSH" is an acronym in a sentence (2 of 5),
    not a word repeated (2 of 3).
    """
    words = tokens(text.lower())
    distinct = set(words)
    if len(distinct) == len(words):
        return 1.0 / len(words) if words else 0.0
    return max(words.count(t) for t in distinct) / len(words)
