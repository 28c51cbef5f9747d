"""CLIP's tokenizer built into wit, checked against open_clip's tokenizer and its shipped BPE file."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
import torch

from loaders import Tokenizer, load_tokenizer, make_loader
from loaders.tokenizer import CLIP_BPE_FILE
from tests.loaders.helpers import caption, write_shards
from tests.open_clip_ref import import_open_clip
from wit_pipeline.config import CLIP_VOCAB_SIZE

TEXTS = [
    "a photo of a cat",
    "A Photo Of A DOG sitting on the Sofa!!",
    "Straße in München bei Nacht, 1987",
    "naïve café crème brûlée à la carte",
    "東京タワーの夜景",
    "北京的天安门广场",
    "서울의 밤 풍경",
    "Москва — столица России",
    "Ελληνικά γράμματα και αριθμοί 123",
    "مرحبا بالعالم",
    "שלום עולם",
    "नमस्ते दुनिया",
    "ภาษาไทย สวัสดี",
    "Tiếng Việt có dấu",
    "emoji 😀🎉👍🏽 and flags 🇫🇷 🏳️‍🌈",
    "family 👨‍👩‍👧‍👦 zero-width joiner",
    "AT&amp;T &lt;b&gt;bold&lt;/b&gt; &quot;quoted&quot; &#39;apos&#39; &eacute;t&eacute; &nbsp;space",
    "double escaped &amp;amp; ampersand",
    "mojibake: cafÃ© dÃ©jÃ  vu",
    "it's we're they've I'm you'll he'd don't",
    "C++ x86_64 e-mail 3.5kg $100 50% #hashtag @user",
    "tabs\tand\nnew lines   and    spaces",
    "!?!?... ---- **** //// \\\\",
    "",
    "   ",
    " ".join(["overlong caption with many words"] * 40),
    "ｆｕｌｌｗｉｄｔｈ ｔｅｘｔ and ligatures ﬁ ﬂ",
    "combining: e\u0301 o\u0308 n\u0303",
]


@pytest.fixture(scope="module")
def clip_tok() -> Tokenizer:
    return Tokenizer.clip()


def expected_rows(reference: torch.Tensor, wit: torch.Tensor) -> torch.Tensor:
    """open_clip's rows in wit's ids: every id one higher up to and including eot, then wit's pad 0.

    open_clip pads with 0, which is also the id of the ``!`` byte token, so the row's length is wit's.
    """
    length = (wit != 0).sum(-1, keepdim=True)
    positions = torch.arange(reference.shape[1]).expand_as(reference)
    return torch.where(positions < length, reference + 1, torch.zeros_like(reference))


def test_the_real_clip_bpe_file_loads_and_wit_ships_it_unchanged() -> None:
    open_clip = import_open_clip()
    reference_file = Path(open_clip.tokenizer.default_bpe())
    assert gzip.decompress(reference_file.read_bytes()).startswith(b'"bpe_simple_vocab_16e6.txt#version: 0.2\n')
    tok = Tokenizer.from_clip_merges(reference_file)
    assert tok.vocab_size == CLIP_VOCAB_SIZE + 1
    assert CLIP_BPE_FILE.read_bytes() == reference_file.read_bytes()
    assert (CLIP_BPE_FILE.parent / "LICENSE-CLIP-BPE.txt").read_text().count("MIT License") == 1


def test_clip_ids_equal_open_clips_plus_one(clip_tok: Tokenizer) -> None:
    open_clip = import_open_clip()
    reference = open_clip.get_tokenizer("ViT-B-32")
    expected = reference(TEXTS)
    got = clip_tok(TEXTS)
    assert got.shape == expected.shape == (len(TEXTS), 77)
    for text, row, ref in zip(TEXTS, got, expected_rows(expected, got)):
        assert row.tolist() == ref.tolist(), text
    assert clip_tok.sot_token_id == reference.sot_token_id + 1 and clip_tok.eot_token_id == reference.eot_token_id + 1
    overlong = got[TEXTS.index(TEXTS[25])]
    assert overlong[-1] == clip_tok.eot_token_id and (overlong != 0).all()
    assert reference.decode(expected[0].tolist()).strip().startswith("<start_of_text>a photo of a cat")


def test_clip_ids_match_at_other_context_lengths() -> None:
    open_clip = import_open_clip()
    reference = open_clip.get_tokenizer("ViT-B-32", context_length=16)
    tok = load_tokenizer("clip", context_length=16)
    got = tok(TEXTS)
    assert got.tolist() == expected_rows(reference(TEXTS), got).tolist()


def test_plain_shards_load_with_clips_tokenizer_said_once(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    write_shards(tmp_path / "plain", [3, 2])
    for _ in range(2):
        loader = make_loader(tmp_path / "plain", batch_size=5, image_size=8, train=False)
    (_, tokens), *rest = list(loader)
    clip_tok = Tokenizer.clip()
    assert (
        not rest
        and tokens.tolist() == clip_tok([caption(0, i) for i in range(3)] + [caption(1, 0), caption(1, 1)]).tolist()
    )
    assert capfd.readouterr().err.count("no tokenizer.json beside the shards; tokenizing with CLIP's tokenizer") == 1
