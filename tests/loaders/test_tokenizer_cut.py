"""A caption is cut before cleaning and BPE, to what ``context_length`` tokens can need: same ids, bounded cost."""

from __future__ import annotations

import gzip
import random
from pathlib import Path

import pytest

import loaders.tokenizer as tokenizer_module
from loaders import Tokenizer
from loaders.tokenizer import clean_caption, cut_caption
from tests.open_clip_ref import open_clip_bpe_file

PIECES = [
    "a",
    "photo",
    "of",
    "the",
    "cat's",
    "Straße",
    "東京",
    "2024",
    "3.5kg",
    "&amp;",
    "&#65;",
    "<b>",
    "😀",
    "!!!",
    "don't",
    "naïve",
    "C++",
    "x86_64",
    "ﬁsh",
    "Ã©",
    "<|endoftext|>",
    "\u0301",
    "supercalifragilistic" * 10,
]
SPACES = [" ", "  ", "\n", "\t\t", " " * 3000, "\u3000"]


def hostile(rng: random.Random, words: int) -> str:
    return "".join(rng.choice(PIECES) + rng.choice(SPACES) for _ in range(words))


def clip_tokenizer(tmp_path: Path) -> Tokenizer:
    lines = gzip.decompress(open_clip_bpe_file().read_bytes()).decode().split("\n")
    merges = tmp_path / "merges.txt"  # CLIP skips the first line, whatever it says (the shipped one names the file)
    merges.write_text("\n".join(lines[1:]))
    return Tokenizer.from_clip_merges(merges)


def uncut(tok: Tokenizer, text: str) -> list[int]:
    """What encoding the whole caption gives: clean everything, BPE everything, then truncate."""
    return tok._hf.encode(clean_caption(text)).ids


def test_cut_keeps_non_whitespace_characters_and_skips_whitespace_runs() -> None:
    assert cut_caption("abc", 10) == "abc"
    assert cut_caption("ab cd ef", 3) == "ab c"
    assert cut_caption(" " * 100 + "abcdef", 4) == " " * 100 + "abcd"
    assert cut_caption("a" * 50, 7) == "a" * 7
    assert cut_caption(" " * 50, 7) == " " * 50


@pytest.mark.parametrize("vocab", ["clip", "trained"])
def test_long_captions_give_the_ids_of_the_whole_caption(vocab: str, tmp_path: Path) -> None:
    if vocab == "clip":
        tok = clip_tokenizer(tmp_path)
        assert tok.cut_length() == 77 * 32 * 4  # CLIP's longest token is 32 bytes
    else:
        tok = Tokenizer.train([hostile(random.Random(i), 30) for i in range(200)], vocab_size=900)
    rng = random.Random(7)
    for _ in range(6):
        text = hostile(rng, rng.randint(100, 800))
        assert len(text) > tok.cut_length() or "".join(text.split()).__len__() <= tok.cut_length()
        assert tok(text)[0].tolist() == uncut(tok, text), text[:200]
    one_word = "ab" * 40_000
    assert tok(one_word)[0].tolist() == uncut(tok, one_word)


def test_a_huge_caption_is_cut_before_cleaning(monkeypatch: pytest.MonkeyPatch) -> None:
    tok = Tokenizer.train(["a photo of a cat", "a photo of a dog"] * 20, vocab_size=600)
    cleaned: list[int] = []
    real = tokenizer_module.clean_caption
    monkeypatch.setattr(
        tokenizer_module, "clean_caption", lambda text: cleaned.append(len("".join(text.split()))) or real(text)
    )

    huge = "a photo of a cat " * 300_000  # 5.1 MB
    row = tok(huge)[0]
    assert cleaned == [tok.cut_length()]  # non-whitespace characters cleaned, of 3.9 million
    assert row.tolist() == uncut(tok, huge[: 10 * tok.cut_length()])
