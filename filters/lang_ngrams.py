"""langdetect's character n-grams, extracted exactly as ``langdetect.utils.ngram.NGram`` does, fast.

langdetect normalises each character (``NGram.normalize``: Latin punctuation to spaces, every
Hiragana to one code point...), then walks the text with a 3-character buffer that restarts at
every space and skips n-grams while inside a run of capitals. Word by word that is: every 1-3
character window of ``" " + word (+ " ")`` except the lone space, unless the word holds two
upper-case letters in a row. Here those windows are computed for a whole batch of words at once
on their code points (each n-gram packed into one int64), and looked up in the profile with one
``searchsorted``; words with a capital run replay the state machine itself.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

import numpy as np
from langdetect.utils.ngram import NGram

ASCII_TABLE = bytes(c if chr(c).isalpha() else 32 for c in range(256))
_ASCII_UPPER_PAIR = re.compile("[A-Z]{2}")
_BITS = 21  # every code point fits in 21 bits, so a 3-gram packs into 63


def gram_key(gram: str) -> int:
    """The int64 key of an n-gram of 1-3 characters (distinct for distinct n-grams)."""
    key = 0
    for ch in gram:
        key = (key << _BITS) | ord(ch)
    return key


def window_keys(segments: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Keys of the 1-, 2- and 3-character windows of each segment, and the segment each came from.

    A segment is ``" " + word`` or ``" " + word + " "``; windows never cross segments and the
    lone-space 1-gram is left out, as langdetect does.
    """
    text = "".join(segments)
    cp = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.int64)
    seg = np.repeat(np.arange(len(segments)), [len(s) for s in segments])
    one = cp != 32
    two = seg[:-1] == seg[1:]
    three = seg[:-2] == seg[2:]
    keys = np.concatenate(
        [
            cp[one],
            ((cp[:-1] << _BITS) | cp[1:])[two],
            ((cp[:-2] << (2 * _BITS)) | (cp[1:-1] << _BITS) | cp[2:])[three],
        ]
    )
    return keys, np.concatenate([seg[one], seg[:-1][two], seg[:-2][three]])


def word_ngrams(word: str, followed_by_space: bool) -> list[str]:
    """langdetect's n-grams of one normalised word: its ``NGram`` state machine replayed."""
    grams = " "
    capital = False
    out = []
    for ch in word + (" " if followed_by_space else ""):
        last = grams[-1]
        if last == " ":
            grams, capital = " ", False
        elif len(grams) >= NGram.N_GRAM:
            grams = grams[1:]
        grams += ch
        capital = ch.isupper() and (capital or last.isupper())
        if capital:
            continue
        for n in range(1, min(len(grams), NGram.N_GRAM) + 1):
            gram = grams[-n:]
            if gram != " ":
                out.append(gram)
    return out


def has_upper_pair(word: str) -> bool:
    """Two characters in a row for which ``str.isupper`` holds (what makes langdetect skip n-grams)."""
    if word.islower():
        return False
    if word.isascii():
        return _ASCII_UPPER_PAIR.search(word) is not None
    return "UU" in word.translate(_upper_marks())


@functools.cache
def _upper_marks() -> dict[int, str]:
    """``str.translate`` table turning every upper-case character of any script into "U"."""
    return {c: "U" for c in range(0x110000) if chr(c).isupper()}


@functools.cache
def normalization_table() -> dict[int, str]:
    """``str.translate`` table equal to ``NGram.normalize`` on every BMP code point it changes."""
    table = {}
    for cp in range(0x10000):
        ch = chr(cp)
        normalized = NGram.normalize(ch)
        if normalized != ch:
            table[cp] = normalized
    return table
