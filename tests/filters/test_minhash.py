"""Vectorised MinHash: estimates against exact Jaccard of the shingle sets, LSH band recall."""

from __future__ import annotations

import random

import numpy as np
from datasketch import MinHash

from filters.minhash import NUM_PERM, SHINGLE, band_keys, band_layout, normalize, signatures, similarity


def shingles(text: str) -> set[str]:
    t = normalize(text)
    return {t[i : i + SHINGLE] for i in range(len(t) - SHINGLE + 1)}


def jaccard(a: str, b: str) -> float:
    x, y = shingles(a), shingles(b)
    return len(x & y) / len(x | y)


def pairs(n: int, seed: int = 0) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    vocab = ["red", "shoe", "leather", "blue", "size", "view", "photo", "of", "a", "garden", "sale", "free", "dog"]
    out = []
    for _ in range(n):
        words = [rng.choice(vocab) for _ in range(rng.randint(3, 12))]
        other = list(words)
        for _ in range(rng.randint(0, 4)):
            other[rng.randrange(len(other))] = rng.choice(vocab)
        out.append((" ".join(words), " ".join(other)))
    return out


def test_estimates_are_unbiased_with_the_expected_spread() -> None:
    cases = pairs(400)
    a = signatures([x for x, _ in cases])
    b = signatures([y for _, y in cases])
    errors = similarity(a, b) - np.array([jaccard(x, y) for x, y in cases])
    assert abs(errors.mean()) < 0.01
    assert errors.std() < 1.3 * np.sqrt(0.25 / NUM_PERM)  # a binomial over NUM_PERM positions at worst


def test_agrees_with_datasketch_on_the_same_shingles() -> None:
    ours, theirs, exact = [], [], []
    for x, y in pairs(150, seed=1):
        sketches = []
        for text in (x, y):
            m = MinHash(num_perm=128, seed=1)
            m.update_batch([s.encode() for s in sorted(shingles(text))])
            sketches.append(m)
        theirs.append(sketches[0].jaccard(sketches[1]))
        ours.append(similarity(*[s[None] for s in signatures([x, y])])[0])
        exact.append(jaccard(x, y))
    assert np.corrcoef(ours, theirs)[0, 1] > 0.95
    assert abs(np.mean(ours) - np.mean(theirs)) < 0.02 and abs(np.mean(ours) - np.mean(exact)) < 0.02


def test_case_space_and_short_texts() -> None:
    sig = signatures(["Red  Shoe", "red shoe", "ab", "AB", "", None])
    assert (sig[0] == sig[1]).all() and (sig[2] == sig[3]).all() and (sig[4] == sig[5]).all()
    assert similarity(sig[:1], sig[2:3])[0] < 0.2
    assert signatures([]).shape == (0, NUM_PERM)


def test_band_layout_reaches_the_recall_and_keys_match_equal_bands() -> None:
    for threshold in (0.6, 0.8, 0.9):
        bands, rows = band_layout(threshold)
        assert bands * rows <= NUM_PERM and 1 - (1 - threshold**rows) ** bands >= 0.95
        assert 1 - (1 - threshold ** (rows + 1)) ** (NUM_PERM // (rows + 1)) < 0.95  # the widest such bands
    sig = signatures(["red leather shoe size 9 side view", "red leather shoe size 10 side view", "garden"])
    keys = band_keys(sig, *band_layout(0.8))
    bands, rows = band_layout(0.8)
    for band in range(bands):
        same = (sig[0, band * rows : (band + 1) * rows] == sig[1, band * rows : (band + 1) * rows]).all()
        assert (keys[0, band] == keys[1, band]) == same
    assert not (keys[2] == keys[0]).any()
