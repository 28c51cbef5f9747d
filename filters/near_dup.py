"""Optional near-duplicate captions within one page or one domain (MinHash LSH, datasketch).

(The ``global`` scope, across the whole manifest, is ``near_dup_global``: a different algorithm,
because a whole manifest is not one group that fits a task.)

Pages repeat near-identical alt text ("Red shoe, size 9" / "Red shoe, size 10"). After exact
dedup, surviving rows are shuffled by page (or domain) so a group meets in one task; inside it
rows are visited in the dedup total order (uid, content hash, position) and a row whose caption
has estimated Jaccard similarity >= ``threshold`` (character 5-gram shingles) with an
already-kept row of the group is dropped as ``near_duplicate_caption`` of the smallest such row.
Rows without a page URL are never grouped under the ``page`` scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import numpy as np
import pandas as pd
import pyarrow as pa

from wit_pipeline.config import FiltersConfig

if TYPE_CHECKING:
    from datasketch import MinHash

GLOBAL = "global"
REASON = "near_duplicate_caption"
NUM_PERM = 64
SHINGLE = 5
LOSER_META = pd.DataFrame(
    {
        "part": pd.Series([], dtype="int32"),
        "row": pd.Series([], dtype="int32"),
        "reason": pd.Series([], dtype="string[pyarrow]"),
        "duplicate_of": pd.Series([], dtype="string[pyarrow]"),
    }
)


@dataclass(frozen=True)
class NearDup:
    """Where near duplicates are looked for (``page``, ``domain``, ``global``), how similar counts as one,
    and the shortest caption looked at (short captions such as "a red circle" are legitimately shared by
    many images; templated boilerplate is long)."""

    scope: str = FiltersConfig.near_dup_scope
    threshold: float = FiltersConfig.near_dup_threshold
    min_chars: int = FiltersConfig.near_dup_min_chars

    def columns(self, table: pa.Table) -> dict[str, np.ndarray | pd.Series]:
        """Extra shuffle columns of a manifest table: group hash, whether grouped, caption text."""
        pages = table["page_url"].to_pylist() if "page_url" in table.column_names else [None] * table.num_rows
        if self.scope == "page":
            groups = [p.strip() if p else None for p in pages]
        else:
            groups = [_host(p) or _host(u) for p, u in zip(pages, table["url"].to_pylist())]
        captions = table["caption"].to_pylist()
        grouped = np.array(
            [g is not None and len(c or "") >= self.min_chars for g, c in zip(groups, captions)], dtype=bool
        )
        hashes = pd.util.hash_array(np.asarray([g or "" for g in groups], dtype=object), categorize=False)
        return {
            "group": hashes,
            "grouped": grouped,
            "text": pd.Series(captions, dtype="string[pyarrow]"),
        }

    def losers(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Near-duplicate losers of one shuffled partition of exact-dedup survivors."""
        frame = frame[frame["grouped"]].sort_values(["group", "uid", "content", "part", "row"], kind="stable")
        found: list[tuple[int, int, str]] = []
        for _, group in frame.groupby("group", sort=False):
            if len(group) > 1:
                found += self._group_losers(group)
        out = pd.DataFrame(found, columns=["part", "row", "duplicate_of"])
        return pd.DataFrame(
            {
                "part": out["part"].astype("int32"),
                "row": out["row"].astype("int32"),
                "reason": pd.Series([REASON] * len(out), dtype="string[pyarrow]"),
                "duplicate_of": out["duplicate_of"].astype("string[pyarrow]"),
            }
        )

    def _group_losers(self, group: pd.DataFrame) -> list[tuple[int, int, str]]:
        from datasketch import MinHashLSH

        lsh = MinHashLSH(threshold=self.threshold, num_perm=NUM_PERM)
        kept: dict[int, MinHash] = {}
        losers = []
        for i, (text, part, row) in enumerate(zip(group["text"], group["part"], group["row"])):
            sketch = minhash(text)
            similar = sorted(k for k in lsh.query(sketch) if kept[k].jaccard(sketch) >= self.threshold)
            if similar:
                losers.append((int(part), int(row), group["uid"].iloc[similar[0]]))
                continue
            kept[i] = sketch
            lsh.insert(i, sketch)
        return losers


def minhash(text: str) -> MinHash:
    """MinHash (datasketch, imported only when near-dup is on) of the caption's character 5-gram shingles."""
    from datasketch import MinHash

    text = " ".join(str(text).lower().split())
    shingles = {text[i : i + SHINGLE] for i in range(max(1, len(text) - SHINGLE + 1))}
    sketch = MinHash(num_perm=NUM_PERM, seed=1)
    sketch.update_batch([s.encode("utf-8") for s in sorted(shingles)])
    return sketch


def _host(url: str | None) -> str | None:
    if not url:
        return None
    try:
        return urlsplit(url.strip()).hostname
    except ValueError:
        return None
