"""CLIP-style BPE tokenizer built on HF ``tokenizers``: trained on a dataset's captions, or from CLIP's merges.

Text is cleaned as CLIP does (ftfy, HTML unescape, whitespace collapsed, lower case), split with CLIP's
regex, byte-level encoded and merged with ``</w>`` marking word ends. Every row is
``[sot, ..., eot, 0, 0, ...]`` of ``context_length`` ids: truncation keeps ``eot`` as the last non-pad
token, and id 0 is a dedicated pad token that never occurs inside a sequence (trainers pool text features
at ``(tokens != 0).sum(-1) - 1``). The vocabulary is laid out like CLIP's, shifted by one for the pad:
``[pad, 256 bytes, 256 bytes + '</w>', merged tokens in merge order, sot, eot]``. A CLIP merges file
therefore reproduces CLIP's segmentation exactly, with every id one higher than CLIP's.
The saved file is a standard HF ``tokenizer.json`` (padding and truncation included).

CLIP's own vocabulary (``bpe_simple_vocab_16e6.txt.gz``, MIT, from OpenAI's CLIP) ships with wit as the
named tokenizer ``clip`` (``load_tokenizer("clip")``): its ids are OpenAI's/open_clip's plus one. Literal
``<|startoftext|>``/``<|endoftext|>`` strings in a caption are dropped as text rather than read as the
special tokens (open_clip's tokenizer would read them as specials).
"""

from __future__ import annotations

import gzip
import html
import json
import os
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

import fsspec
import ftfy
import torch
from tokenizers import Regex, decoders, models, normalizers, pre_tokenizers, processors, trainers
from tokenizers import Tokenizer as HFTokenizer

from wit_pipeline.config import CLIP_CONTEXT_LENGTH, CLIP_VOCAB_SIZE, MIN_CONTEXT_LENGTH, MIN_VOCAB_SIZE
from wit_pipeline.errors import WitError

PAD, SOT, EOT = "<|pad|>", "<|startoftext|>", "<|endoftext|>"
END_OF_WORD = "</w>"
CLIP_SPLIT = r"""'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"""
CLIP_MERGES = 49152 - 256 - 2
BASE_TOKENS = 1 + 512  # pad + the byte alphabet with and without the end-of-word mark
_WHITESPACE = re.compile(r"\s+")
CLIP_BPE_FILE = Path(__file__).parent / "data" / "bpe_simple_vocab_16e6.txt.gz"
CLIP_TOKENIZER = "clip"
_NON_SPACE = re.compile(r"\S+")
CUT_MARGIN = 4  # slack for text that cleaning shrinks (HTML entities, ftfy's fixes) and for BPE near the cut


@lru_cache(maxsize=1)
def bytes_to_unicode() -> dict[int, str]:
    """CLIP's (GPT-2's) reversible map from the 256 byte values to printable characters, in CLIP's order."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    extra = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + extra)
            extra += 1
    return dict(zip(bs, map(chr, cs)))


def cut_caption(text: str, keep: int) -> str:
    """The shortest prefix of ``text`` holding ``keep`` non-whitespace characters (all of it if it has fewer).

    Whitespace is not counted, since cleaning collapses it: a caption of megabytes of spaces before its words
    keeps its words. One linear scan; nothing is copied but the prefix.
    """
    if len(text) <= keep:
        return text
    seen = 0
    for match in _NON_SPACE.finditer(text):
        seen += match.end() - match.start()
        if seen >= keep:
            return text[: match.end() - (seen - keep)]
    return text


def clean_caption(text: str) -> str:
    """CLIP's caption cleaning: fix mojibake, unescape HTML, collapse whitespace, lower case.

    Literal special-token strings are removed so that a caption can never inject sot, eot or pad.
    """
    if not (text.isascii() and text.isprintable() and "&" not in text):  # ftfy leaves such text unchanged
        text = html.unescape(html.unescape(ftfy.fix_text(text)))
    for special in (PAD, SOT, EOT):
        text = text.replace(special, " ")
    return _WHITESPACE.sub(" ", text).strip().lower()


class Tokenizer:
    """Callable CLIP-style tokenizer: ``tok(texts) -> LongTensor [N, context_length]``."""

    def __init__(self, hf: HFTokenizer, context_length: int = CLIP_CONTEXT_LENGTH) -> None:
        if context_length < MIN_CONTEXT_LENGTH:
            raise WitError(
                f"context_length: must be at least {MIN_CONTEXT_LENGTH} (room for sot and eot), got {context_length}"
            )
        ids = [hf.token_to_id(t) for t in (PAD, SOT, EOT)]
        if None in ids or ids[0] != 0:
            raise WitError(f"tokenizer: expected special tokens {PAD} (id 0), {SOT} and {EOT} in the vocabulary")
        self.pad_token_id, self.sot_token_id, self.eot_token_id = ids
        self.context_length = context_length
        hf.post_processor = processors.TemplateProcessing(
            single=f"{SOT} $A {EOT}", special_tokens=[(SOT, self.sot_token_id), (EOT, self.eot_token_id)]
        )
        hf.enable_truncation(max_length=context_length)
        hf.enable_padding(length=context_length, pad_id=0, pad_token=PAD)
        self._hf = hf
        self._cut: int | None = None
        self._byte_decoder = {c: b for b, c in bytes_to_unicode().items()}

    @property
    def vocab_size(self) -> int:
        """Number of token ids (pad, bytes, merges, sot and eot)."""
        return self._hf.get_vocab_size()

    def __call__(self, texts: str | Sequence[str]) -> torch.Tensor:
        """Clean and encode ``texts`` to an int64 tensor [N, context_length] of ``[sot, ..., eot, 0, ...]``."""
        if isinstance(texts, str):
            texts = [texts]
        keep = self.cut_length()
        # one encode per text: encode_batch would start rayon threads, which clash with forked DataLoader workers
        rows = [self._hf.encode(clean_caption(cut_caption(t, keep))).ids for t in texts]
        return torch.tensor(rows, dtype=torch.long).reshape(len(rows), self.context_length)

    def cut_length(self) -> int:
        """Non-whitespace characters of a caption kept before cleaning: what ``context_length`` tokens can need.

        A token covers at most as many characters as its longest vocabulary entry has bytes (32 in CLIP's
        vocabulary), so ``context_length`` tokens never need more than ``context_length`` times that;
        ``CUT_MARGIN`` covers what cleaning removes. A 50 MB caption costs what ~10 kB costs.
        """
        if self._cut is None:
            longest = max(len(t.removesuffix(END_OF_WORD)) for t in self._hf.get_vocab())
            self._cut = self.context_length * max(1, longest) * CUT_MARGIN
        return self._cut

    def decode(self, ids: Sequence[int] | torch.Tensor) -> str:
        """The cleaned text of one row of ids (pad, sot and eot dropped)."""
        specials = {self.pad_token_id, self.sot_token_id, self.eot_token_id}
        tokens = [self._hf.id_to_token(int(i)) for i in ids if int(i) not in specials]
        data = bytearray(self._byte_decoder[c] for c in "".join(tokens))
        return data.decode("utf-8", errors="replace").replace(END_OF_WORD, " ").strip()

    def merges(self) -> list[tuple[str, str]]:
        """The BPE merges, highest priority first."""
        return [_merge_pair(m) for m in json.loads(self._hf.to_str())["model"]["merges"]]

    def save(self, path: str | os.PathLike) -> Path:
        """Write a standard HF ``tokenizer.json`` (atomically) and return its path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
        tmp.write_text(self._hf.to_str(pretty=False), encoding="utf-8")
        os.replace(tmp, path)
        return path

    def save_clip_merges(self, path: str | os.PathLike) -> Path:
        """Write the merges in CLIP's ``bpe_simple_vocab`` format (gzipped when ``path`` ends in .gz).

        No newline after the last merge: open_clip's ``SimpleTokenizer`` would read the empty last line of a
        file shorter than CLIP's as one more token, shifting sot and eot.
        """
        path = Path(path)
        text = "#version: 0.2\n" + "\n".join(f"{a} {b}" for a, b in self.merges())
        path.write_bytes(gzip.compress(text.encode()) if path.suffix == ".gz" else text.encode())
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> Tokenizer:
        """Load a tokenizer saved by ``save`` (a local path or an fsspec URL)."""
        try:
            with fsspec.open(os.fspath(path), "rt", encoding="utf-8") as fh:
                hf = HFTokenizer.from_str(fh.read())
        except FileNotFoundError:
            raise WitError(f"{path}: tokenizer file not found") from None
        except Exception as exc:  # HF raises plain Exception subclasses for malformed JSON
            raise WitError(f"{path}: not a tokenizer.json ({exc})") from None
        truncation = hf.truncation or {}
        return cls(hf, truncation.get("max_length", CLIP_CONTEXT_LENGTH))

    @classmethod
    def from_merges(cls, merges: Iterable[tuple[str, str]], context_length: int = CLIP_CONTEXT_LENGTH) -> Tokenizer:
        """Build the tokenizer for a list of BPE merges over CLIP's byte alphabet (the CLIP vocab layout)."""
        merges = list(merges)
        alphabet = list(bytes_to_unicode().values())
        vocab: dict[str, int] = {}
        for token in [PAD, *alphabet, *(c + END_OF_WORD for c in alphabet), *("".join(m) for m in merges), SOT, EOT]:
            vocab.setdefault(token, len(vocab))
        hf = HFTokenizer(
            models.BPE(vocab=vocab, merges=merges, continuing_subword_prefix="", end_of_word_suffix=END_OF_WORD)
        )
        _set_pipeline(hf)
        hf.add_special_tokens([PAD, SOT, EOT])
        return cls(hf, context_length)

    @classmethod
    def from_clip_merges(
        cls, path: str | os.PathLike, context_length: int = CLIP_CONTEXT_LENGTH, max_merges: int = CLIP_MERGES
    ) -> Tokenizer:
        """Load CLIP's ``bpe_simple_vocab_16e6.txt.gz`` (or any file of ``a b`` merge lines, gzipped or not).

        Like CLIP, the header line is skipped (CLIP's own file starts ``"bpe_simple_vocab_16e6.txt#version: 0.2``,
        wit's ``#version: 0.2``) and the first ``max_merges`` merges are used.
        """
        try:
            data = Path(path).read_bytes()
            text = (gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data).decode("utf-8")
        except (OSError, UnicodeDecodeError, EOFError) as exc:
            raise WitError(f"{path}: cannot read BPE merges ({exc})") from None
        lines = text.split("\n")
        if lines and "#version" in lines[0]:
            lines = lines[1:]
        lines = [line for line in lines if line]
        merges = []
        for number, line in enumerate(lines[:max_merges], 1):
            parts = line.split()
            if len(parts) != 2:
                raise WitError(f"{path}: merge {number} is {line!r}, expected two space-separated symbols")
            merges.append((parts[0], parts[1]))
        return cls.from_merges(merges, context_length)

    @classmethod
    def clip(cls, context_length: int = CLIP_CONTEXT_LENGTH) -> Tokenizer:
        """CLIP's tokenizer from the vocabulary shipped with wit: open_clip's ids plus one (0 is the pad)."""
        return cls.from_clip_merges(CLIP_BPE_FILE, context_length)

    @classmethod
    def train(
        cls,
        captions: Iterable[str],
        vocab_size: int = CLIP_VOCAB_SIZE,
        context_length: int = CLIP_CONTEXT_LENGTH,
        min_frequency: int = 2,
    ) -> Tokenizer:
        """Learn BPE merges from ``captions`` (cleaned as at encode time) up to ``vocab_size`` ids in all.

        A small corpus may stop earlier: ``vocab_size`` of the result is then smaller than asked.
        """
        if vocab_size < MIN_VOCAB_SIZE:
            raise WitError(f"vocab_size: must be at least {MIN_VOCAB_SIZE} (pad, bytes, sot, eot), got {vocab_size}")
        hf = HFTokenizer(models.BPE(continuing_subword_prefix="", end_of_word_suffix=END_OF_WORD))
        _set_pipeline(hf)
        alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
        trainer = trainers.BpeTrainer(
            vocab_size=vocab_size - 3,  # the trainer's own vocab holds at most 512 base symbols, ours 515 tokens
            min_frequency=min_frequency,
            initial_alphabet=alphabet,
            end_of_word_suffix=END_OF_WORD,
            # Word-final symbols get their ids up front, in a fixed order: the trainer otherwise numbers them
            # in hash-map order, and it breaks ties between equally frequent pairs by id, so two runs on the
            # same captions learned different merges. Only the merges are kept, so these never become
            # special tokens of the result.
            special_tokens=[c + END_OF_WORD for c in alphabet],
            show_progress=False,
        )
        hf.train_from_iterator((clean_caption(c) for c in captions), trainer=trainer)
        merges = [_merge_pair(m) for m in json.loads(hf.to_str())["model"]["merges"]]
        return cls.from_merges(merges[: vocab_size - BASE_TOKENS - 2], context_length)


def load_tokenizer(spec: str | os.PathLike, context_length: int = CLIP_CONTEXT_LENGTH) -> Tokenizer:
    """A named tokenizer (``clip``) or a ``tokenizer.json`` (path or fsspec URL) saved by ``Tokenizer.save``.

    ``context_length`` applies to named tokenizers; a saved file keeps its own.
    """
    if str(spec) == CLIP_TOKENIZER:
        return Tokenizer.clip(context_length)
    return Tokenizer.load(spec)


def _set_pipeline(hf: HFTokenizer) -> None:
    """CLIP's normalisation and pre-tokenisation (ftfy and HTML unescaping happen in ``clean_caption``)."""
    hf.normalizer = normalizers.Sequence(
        [normalizers.NFC(), normalizers.Replace(Regex(r"\s+"), " "), normalizers.Strip(), normalizers.Lowercase()]
    )
    hf.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(CLIP_SPLIT), behavior="removed", invert=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    hf.decoder = decoders.ByteLevel()


def _merge_pair(merge: str | list[str]) -> tuple[str, str]:
    """A merge as HF serialises it (``"a b"`` in old files, ``["a", "b"]`` in new ones) as a pair."""
    a, b = merge.split(" ") if isinstance(merge, str) else merge
    return a, b
