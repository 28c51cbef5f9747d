"""MinHash signatures of many captions at once, in numpy, and their LSH band keys.

A caption is lower-cased and its whitespace collapsed; its shingles are its character 5-grams
(a shorter caption is one shingle). All captions of a batch are laid end to end as UTF-32 code
points, every 5-gram hashed at once, and for each of ``NUM_PERM`` seeded permutations the
minimum over a caption's shingles taken with ``np.minimum.reduceat`` (each permutation is
``x -> (a x + b) >> 32`` of the mixed shingle hash, ``a`` odd): no Python loop per
caption or per shingle. Signatures are 32-bit; the share of equal
positions of two signatures estimates the Jaccard similarity of their shingle sets (datasketch's
estimator; the hash family differs, so values differ from datasketch's MinHash by sampling noise).

LSH: the first ``bands * rows`` positions are cut into ``bands`` bands of ``rows``; two captions
that agree on a whole band are candidates. ``band_layout`` picks the widest bands that still
make a pair at the threshold a candidate with probability >= 0.95.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

NUM_PERM = 64
SHINGLE = 5
MIN_RECALL = 0.95
_MULT = np.uint64(0x100000001B3)


def mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: a fast, well-spread 64-bit hash of each element (wraps on overflow)."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


# One (odd multiplier, offset) per permutation: x -> high 32 bits of (a x + b) mod 2^64 over mixed shingle hashes.
_A = mix(np.arange(1, NUM_PERM + 1, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)) | np.uint64(1)
_B = mix(np.arange(NUM_PERM + 1, 2 * NUM_PERM + 1, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15))


def normalize(text: str | None) -> str:
    """Lower case, single spaces, at least ``SHINGLE`` characters (padded with NULs)."""
    text = " ".join(str(text or "").lower().split())
    return text.ljust(SHINGLE, "\0")


def shingle_hashes(texts: Sequence[str | None]) -> tuple[np.ndarray, np.ndarray]:
    """64-bit hashes of every character 5-gram of every text, and the index of each text's first one."""
    normal = [normalize(t) for t in texts]
    lengths = np.fromiter((len(t) for t in normal), dtype=np.int64, count=len(normal))
    points = np.frombuffer("".join(normal).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    ends = np.cumsum(lengths)
    starts = ends - lengths
    windows = lengths - SHINGLE + 1
    valid = np.ones(len(points), dtype=bool)
    for back in range(1, SHINGLE):  # the last SHINGLE - 1 positions of a text start no window
        valid[ends - back] = False
    positions = np.flatnonzero(valid)
    with np.errstate(over="ignore"):
        h = points[positions]
        for k in range(1, SHINGLE):
            h = h * _MULT + points[positions + k]
    first = np.concatenate(([0], np.cumsum(windows)[:-1])) if len(windows) else np.zeros(0, dtype=np.int64)
    assert len(h) == int(windows.sum()) and (starts >= 0).all()
    return mix(h), first


def signatures(texts: Sequence[str | None]) -> np.ndarray:
    """``(len(texts), NUM_PERM)`` uint32 MinHash signatures."""
    out = np.empty((len(texts), NUM_PERM), dtype=np.uint32)
    if not len(texts):
        return out
    h, first = shingle_hashes(texts)
    shift = np.uint64(32)
    with np.errstate(over="ignore"):
        for k in range(NUM_PERM):
            out[:, k] = np.minimum.reduceat((h * _A[k] + _B[k]) >> shift, first).astype(np.uint32)
    return out


def similarity(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Estimated Jaccard similarity of paired rows of two signature matrices."""
    return (a == b).mean(axis=1)


def band_layout(threshold: float, num_perm: int = NUM_PERM) -> tuple[int, int]:
    """``(bands, rows)``: the most rows per band whose candidate probability at ``threshold`` is >= 0.95."""
    for rows in range(num_perm, 0, -1):
        bands = num_perm // rows
        if 1 - (1 - threshold**rows) ** bands >= MIN_RECALL:
            return bands, rows
    return num_perm, 1


def band_keys(sigs: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """``(len(sigs), bands)`` uint64 keys: a hash of the band's number and its ``rows`` values."""
    keys = np.empty((len(sigs), bands), dtype=np.uint64)
    for band in range(bands):
        h = np.full(len(sigs), np.uint64(band + 1) * _MULT, dtype=np.uint64)
        for col in range(band * rows, (band + 1) * rows):
            h = mix(h ^ sigs[:, col].astype(np.uint64))
        keys[:, band] = h
    return keys
