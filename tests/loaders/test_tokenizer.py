"""Tokenizer: CLIP cleaning, row layout, truncation, round trips, save/load, CLIP merges files."""

from __future__ import annotations

import gzip
import random
from pathlib import Path

import pytest
import regex
import torch

from loaders import Tokenizer, clean_caption, make_loader, train_tokenizer_for_shards
from loaders.tokenizer import bytes_to_unicode
from tests.loaders.helpers import caption, write_shards
from wit_pipeline.errors import WitError

WORDS = (
    "a photo of the cat dog's red bicycle it's we're café naïve Straße 東京 2024 3.5kg "
    "<b>bold</b> &amp; AT&T rock'n'roll hello!!! ... 😀 e-mail C++ x86_64 don't you'll"
).split()


def random_captions(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [
        "  ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 12))) + rng.choice(["", " ", "\n\t", "."])
        for _ in range(n)
    ]


@pytest.fixture(scope="module")
def tok() -> Tokenizer:
    return Tokenizer.train(random_captions(400, 0), vocab_size=800)


class ClipReference:
    """OpenAI CLIP's simple_tokenizer BPE, written out independently of HF tokenizers."""

    def __init__(self, merges: list[tuple[str, str]]) -> None:
        alphabet = list(bytes_to_unicode().values())
        vocab = alphabet + [c + "</w>" for c in alphabet] + ["".join(m) for m in merges]
        vocab += ["<|startoftext|>", "<|endoftext|>"]
        self.encoder = {t: i for i, t in enumerate(vocab)}
        self.ranks = {m: i for i, m in enumerate(merges)}
        self.pattern = regex.compile(
            r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""",
            regex.IGNORECASE,
        )

    def bpe(self, token: str) -> list[str]:
        word = [*token[:-1], token[-1] + "</w>"]
        while len(word) > 1:
            pairs = list(zip(word, word[1:]))
            best = min(pairs, key=lambda p: self.ranks.get(p, float("inf")))
            if best not in self.ranks:
                break
            merged, i = [], 0
            while i < len(word):
                if i < len(word) - 1 and (word[i], word[i + 1]) == best:
                    merged.append(word[i] + word[i + 1])
                    i += 2
                else:
                    merged.append(word[i])
                    i += 1
            word = merged
        return word

    def encode(self, text: str) -> list[int]:
        byte_encoder = bytes_to_unicode()
        ids = []
        for token in self.pattern.findall(clean_caption(text)):
            ids += [self.encoder[t] for t in self.bpe("".join(byte_encoder[b] for b in token.encode()))]
        return [self.encoder["<|startoftext|>"], *ids, self.encoder["<|endoftext|>"]]


def test_clean_caption_follows_clip() -> None:
    assert clean_caption("  A  Photo\n\tof   the CAT  ") == "a photo of the cat"
    assert clean_caption("cafÃ© &amp;amp; bar") == "café & bar"  # ftfy mojibake fix, HTML unescaped twice
    assert clean_caption("x <|endoftext|> y<|startoftext|>z <|pad|>") == "x y z"


def test_rows_are_sot_tokens_eot_then_pad(tok: Tokenizer) -> None:
    rows = tok(["a photo of the cat", "", "dog's"])
    assert rows.dtype == torch.long and rows.shape == (3, 77)
    assert tok.pad_token_id == 0 and tok.context_length == 77
    for row in rows:
        length = int((row != 0).sum())
        assert row[0] == tok.sot_token_id and row[length - 1] == tok.eot_token_id
        assert (row[length:] == 0).all() and (row[:length] != 0).all()
    assert rows[1, :3].tolist() == [tok.sot_token_id, tok.eot_token_id, 0]
    assert tok("a photo").shape == (1, 77)


def test_truncation_keeps_eot_last(tok: Tokenizer) -> None:
    long = " ".join(["bicycle", "東京", "2024"] * 60)
    row = tok(long)[0]
    assert (row != 0).all() and row[-1] == tok.eot_token_id and row[0] == tok.sot_token_id
    short = Tokenizer.from_merges(tok.merges(), context_length=8)
    row = short(long)[0]
    assert row.shape == (8,) and row[-1] == short.eot_token_id and (row != 0).all()
    assert tok.decode(tok(long)[0]).startswith(short.decode(row)) and len(short.decode(row)) > 5


def test_decode_round_trips_cleaned_text(tok: Tokenizer) -> None:
    for text in random_captions(50, 1):
        assert tok.decode(tok(text)[0]) == " ".join(regex.findall(ClipReference([]).pattern, clean_caption(text)))
    assert tok.decode(tok("a photo of the cat")[0].tolist()) == "a photo of the cat"


def test_merges_apply_exactly_as_clip_does(tok: Tokenizer, tmp_path: Path) -> None:
    reference = ClipReference(tok.merges())
    for text in random_captions(200, 2):
        ours = tok(text)[0]
        expected = [i + 1 for i in reference.encode(text)][:77]
        assert ours[: len(expected)].tolist() == expected, text
    clip_file = tok.save_clip_merges(tmp_path / "bpe_simple_vocab.txt.gz")
    assert gzip.decompress(clip_file.read_bytes()).startswith(b"#version: 0.2\n")
    loaded = Tokenizer.from_clip_merges(clip_file)
    assert loaded.vocab_size == tok.vocab_size and torch.equal(loaded(WORDS), tok(WORDS))
    plain = tok.save_clip_merges(tmp_path / "merges.txt")
    fewer = Tokenizer.from_clip_merges(plain, context_length=20, max_merges=10)
    assert fewer.vocab_size == 1 + 512 + 10 + 2 and fewer.context_length == 20
    assert fewer.decode(fewer("a photo of the cat")[0]) == "a photo of the cat"


def test_bad_merges_and_tokenizer_files_are_user_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("#version: 0.2\na b\nthree parts here\n")
    with pytest.raises(WitError, match="merge 2"):
        Tokenizer.from_clip_merges(bad)
    with pytest.raises(WitError, match="cannot read BPE merges"):
        Tokenizer.from_clip_merges(tmp_path / "missing.txt.gz")
    with pytest.raises(WitError, match="not found"):
        Tokenizer.load(tmp_path / "missing.json")
    (tmp_path / "junk.json").write_text("{not json")
    with pytest.raises(WitError, match="not a tokenizer.json"):
        Tokenizer.load(tmp_path / "junk.json")
    with pytest.raises(WitError, match="vocab_size"):
        Tokenizer.train(["a b"], vocab_size=100)


def test_save_load_round_trip(tok: Tokenizer, tmp_path: Path) -> None:
    path = tok.save(tmp_path / "run" / "tokenizer.json")
    loaded = Tokenizer.load(path)
    assert torch.equal(loaded(WORDS), tok(WORDS))
    assert (loaded.vocab_size, loaded.sot_token_id, loaded.eot_token_id) == (
        tok.vocab_size,
        tok.sot_token_id,
        tok.eot_token_id,
    )
    assert tok.vocab_size <= 800 and tok.sot_token_id == tok.vocab_size - 2


def test_train_tokenizer_for_shards_saves_beside_them(tmp_path: Path) -> None:
    write_shards(tmp_path / "shards", [4, 3])
    path = train_tokenizer_for_shards(tmp_path / "shards", vocab_size=600)
    assert path == tmp_path / "shards" / "tokenizer.json"
    tok = Tokenizer.load(path)
    assert tok.decode(tok(caption(1, 2))[0]) == caption(1, 2)
    loader = make_loader(tmp_path / "shards", batch_size=7, image_size=8)
    (_, tokens), *rest = list(loader)
    assert not rest and sorted(tok.decode(r) for r in tokens) == sorted(
        caption(s, i) for s, n in ((0, 4), (1, 3)) for i in range(n)
    )
    with pytest.raises(WitError, match="not a shard directory"):
        train_tokenizer_for_shards(tmp_path / "nope")


def test_training_twice_on_the_same_captions_learns_the_same_merges() -> None:
    # Many equally frequent pairs: the trainer used to break their ties in hash-map order (found by
    # the build kill-point tests: a resumed build retrained a different tokenizer).
    subjects = ["a red bicycle on a wall", "two dogs in the snow", "an old lighthouse", "fresh bread", "a small boat"]
    captions = [f"{subjects[i % 5]} number {i}" for i in range(40)]
    first = Tokenizer.train(captions, vocab_size=600).merges()
    for _ in range(4):
        assert Tokenizer.train(captions, vocab_size=600).merges() == first
