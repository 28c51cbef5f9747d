"""Near-duplicate captions across the whole manifest: MinHash LSH on dask, one keep rule for all rows.

Templated alt text ("Buy Red Shoe size 9 - free shipping") spreads across pages and domains, so
the page/domain scopes of ``near_dup`` miss it. This global step runs after exact dedup, over its
survivors, in five dask passes that never gather rows on the client:

1. per input part: MinHash signatures of the captions (``filters.minhash``, numpy), saved beside
   the step's output so later passes can look them up by (part, row), and one row per LSH band:
   band key, the row's order key, (part, row);
2. a shuffle on the band key brings every caption sharing a band into one task, which links each
   to the group's smallest row (candidate pairs);
3. candidate pairs regrouped by part (``set_index`` on explicit divisions), each side's signature
   attached from its part's file, and pairs with estimated Jaccard similarity below the threshold
   dropped;
4. one task takes the verified pairs (few: one per near duplicate per band) and finds connected
   components (scipy); the smallest row of each component is kept, every other row is a
   ``near_duplicate_caption`` of it;
5. the losers regrouped by the kept row's part to read its uid, then by their own part, into
   ``near/near-NNNNN.parquet`` files that ``DedupStage`` reads with the exact losers.

"Smallest" is the dedup total order: a hash of the uid, then a hash of url/caption/page_url/
source, then (part, row). Signatures, bands, groups and components depend only on row content, so
the rows kept and the uid each loser points to are the same however the manifest is partitioned.
A component can chain (A~B, B~C, A not ~ C): C then points to A, the row kept for all three.
Within a band group only the pairs (group head, member) are verified, not every pair: two members
similar to each other but not to the head are linked only if another band groups them (with 10
bands of 6 at threshold 0.8 a similar pair shares some band with probability >= 0.95).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import dask
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from distributed import Client

from filters.global_step import compute, count_rows, shuffle_method
from filters.minhash import NUM_PERM, band_keys, band_layout, signatures, similarity
from wit_pipeline import storage

REASON = "near_duplicate_caption"
CONTENT_COLUMNS = ["url", "caption", "page_url", "source"]
ORDER_KEY = "wit-near-dup-order"
SIGNATURES = "_signatures"
NEAR_DIR = "near"
STRING = "string[pyarrow]"
BAND_META = pd.DataFrame(
    {
        "band": pd.Series(dtype="uint64"),
        "order": pd.Series(dtype="uint64"),
        "content": pd.Series(dtype="uint64"),
        "part": pd.Series(dtype="int32"),
        "row": pd.Series(dtype="int32"),
    }
)
_SIDE = {"order": "uint64", "content": "uint64", "part": "int32", "row": "int32"}
EDGE_META = pd.DataFrame({f"{s}_{c}": pd.Series(dtype=t) for s in ("a", "b") for c, t in _SIDE.items()})
COMPONENT_META = pd.DataFrame(
    {c: pd.Series(dtype="int32") for c in ("part", "row", "kept_part", "kept_row")},
)
LOSER_META = pd.DataFrame(
    {
        "part": pd.Series(dtype="int32"),
        "row": pd.Series(dtype="int32"),
        "reason": pd.Series(dtype=STRING),
        "duplicate_of": pd.Series(dtype=STRING),
    }
)


def losers_file(partition: int) -> str:
    """The exact pass's losers of input part ``partition`` (in the dedup step's directory)."""
    return f"losers-{partition:05d}.parquet"


def near_file(partition: int) -> str:
    """The near-duplicate losers of input part ``partition`` (under ``NEAR_DIR``)."""
    return f"near-{partition:05d}.parquet"


def signatures_file(partition: int) -> str:
    """The saved MinHash signatures of input part ``partition`` (under ``SIGNATURES``)."""
    return f"sig-{partition:05d}.npy"


def content_hash(table: pa.Table) -> np.ndarray:
    """A 64-bit hash of each row's url, caption, page_url and source (the columns present)."""
    content = table.select([c for c in CONTENT_COLUMNS if c in table.column_names]).to_pandas()
    return pd.util.hash_pandas_object(content, index=False).to_numpy()


def order_hash(uids: Sequence[str | None]) -> np.ndarray:
    """A 64-bit hash of each uid: the first key of the keep order."""
    return pd.util.hash_array(np.asarray(uids, dtype=object), hash_key=ORDER_KEY[:16], categorize=False)


def excluded_rows(losers_dir: Path, partition: int) -> np.ndarray:
    """Rows of ``partition`` the exact pass already dropped."""
    path = losers_dir / losers_file(partition)
    if not path.exists():
        return np.zeros(0, dtype=np.int64)
    return pq.read_table(path, columns=["row"])["row"].to_numpy().astype(np.int64)


def part_bands(path: str, partition: int, losers_dir: str, threshold: float, min_chars: int = 0) -> pd.DataFrame:
    """Signatures of one part's exact-dedup survivors of at least ``min_chars`` characters (saved), their bands."""
    names = storage.parquet_metadata(path).schema.to_arrow_schema().names
    table = storage.read_parquet(path, columns=[c for c in ["uid", *CONTENT_COLUMNS] if c in names])
    keep = np.ones(table.num_rows, dtype=bool)
    keep[excluded_rows(Path(losers_dir), partition)] = False
    captions = table["caption"].to_pylist()
    if min_chars:
        keep &= np.fromiter((len(c or "") >= min_chars for c in captions), dtype=bool, count=len(captions))
    rows = np.flatnonzero(keep).astype(np.int32)
    sigs = np.zeros((table.num_rows, NUM_PERM), dtype=np.uint32)
    sigs[rows] = signatures([captions[i] for i in rows])
    sig_path = Path(losers_dir) / SIGNATURES / signatures_file(partition)
    tmp = sig_path.with_name(f".{sig_path.name}.tmp")
    with open(tmp, "wb") as fh:
        np.save(fh, sigs)
    tmp.replace(sig_path)
    bands, width = band_layout(threshold)
    keys = band_keys(sigs[rows], bands, width)
    order = order_hash(table["uid"].to_pylist())[rows]
    content = content_hash(table)[rows]
    return pd.DataFrame(
        {
            "band": keys.ravel(),
            "order": np.repeat(order, bands),
            "content": np.repeat(content, bands),
            "part": np.full(len(rows) * bands, partition, dtype="int32"),
            "row": np.repeat(rows, bands),
        }
    )


def group_edges(frame: pd.DataFrame) -> pd.DataFrame:
    """Within each band group of a shuffled partition: an edge from the group's smallest row to each other."""
    frame = frame.sort_values(["band", "order", "content", "part", "row"], kind="stable")
    band = frame["band"].to_numpy()
    first = np.ones(len(band), dtype=bool)
    first[1:] = band[1:] != band[:-1]
    head = np.flatnonzero(first)[np.cumsum(first) - 1]  # index of each row's group head
    member = np.flatnonzero(~first)
    a, b = head[member], member
    out = {}
    for side, idx in (("a", a), ("b", b)):
        for column, dtype in _SIDE.items():
            out[f"{side}_{column}"] = frame[column].to_numpy()[idx].astype(dtype)
    return pd.DataFrame(out)


def _load_signatures(directory: str, part: int) -> np.ndarray:
    return np.load(Path(directory) / SIGNATURES / signatures_file(part))


def attach_a(frame: pd.DataFrame, directory: str) -> pd.DataFrame:
    """Edges of one ``a_part`` (the index): duplicates across bands dropped, the a side's signature attached."""
    frame = frame.reset_index().drop_duplicates(["a_part", "a_row", "b_part", "b_row"])
    sig_columns = pd.DataFrame(np.zeros((len(frame), NUM_PERM), dtype=np.uint32), index=frame.index)
    for part, rows in frame.groupby("a_part", sort=True).groups.items():
        sigs = _load_signatures(directory, int(part))
        sig_columns.loc[rows] = sigs[frame.loc[rows, "a_row"].to_numpy()]
    sig_columns.columns = [f"s{k}" for k in range(NUM_PERM)]
    return pd.concat([frame[list(EDGE_META.columns)], sig_columns], axis=1)


def verify_b(frame: pd.DataFrame, directory: str, threshold: float) -> pd.DataFrame:
    """Edges of one ``b_part`` (the index) whose estimated Jaccard similarity reaches ``threshold``."""
    frame = frame.reset_index()
    a_sigs = frame[[f"s{k}" for k in range(NUM_PERM)]].to_numpy(dtype=np.uint32)
    similar = np.zeros(len(frame), dtype=bool)
    for part, positions in frame.groupby("b_part", sort=True).indices.items():
        sigs = _load_signatures(directory, int(part))
        b_sigs = sigs[frame["b_row"].to_numpy()[positions]]
        similar[positions] = similarity(a_sigs[positions], b_sigs) >= threshold
    return frame.loc[similar, list(EDGE_META.columns)]


def components(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Every row of a connected component of verified edges but the smallest, with the smallest's (part, row)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    edges = pd.concat(frames, ignore_index=True) if frames else EDGE_META
    if not len(edges):
        return COMPONENT_META
    ids = {
        s: (edges[f"{s}_part"].to_numpy().astype(np.int64) << 32) | edges[f"{s}_row"].to_numpy().astype(np.int64)
        for s in "ab"
    }
    nodes, first, inverse = np.unique(np.concatenate([ids["a"], ids["b"]]), return_index=True, return_inverse=True)
    n, e = len(nodes), len(edges)
    graph = coo_matrix((np.ones(e, dtype=np.int8), (inverse[:e], inverse[e:])), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    attrs = {c: np.concatenate([edges[f"a_{c}"].to_numpy(), edges[f"b_{c}"].to_numpy()])[first] for c in _SIDE}
    ranked = np.lexsort((attrs["row"], attrs["part"], attrs["content"], attrs["order"], labels))
    is_head = np.ones(n, dtype=bool)
    is_head[1:] = labels[ranked][1:] != labels[ranked][:-1]
    head = ranked[np.flatnonzero(is_head)[np.cumsum(is_head) - 1]]
    losers = ranked[~is_head]
    return pd.DataFrame(
        {
            "part": attrs["part"][losers].astype("int32"),
            "row": attrs["row"][losers].astype("int32"),
            "kept_part": attrs["part"][head[~is_head]].astype("int32"),
            "kept_row": attrs["row"][head[~is_head]].astype("int32"),
        }
    )


def resolve_uids(frame: pd.DataFrame, paths: Sequence[str]) -> pd.DataFrame:
    """Losers of one ``kept_part`` (the index) with the kept row's uid read from that part."""
    frame = frame.reset_index()
    kept_uid = pd.Series(pd.NA, index=frame.index, dtype=STRING)
    for part, rows in frame.groupby("kept_part", sort=True).groups.items():
        uids = storage.read_parquet(paths[int(part)], columns=["uid"])["uid"].to_numpy(zero_copy_only=False)
        kept_uid.loc[rows] = uids[frame.loc[rows, "kept_row"].to_numpy()]
    return pd.DataFrame(
        {
            "part": frame["part"].astype("int32"),
            "row": frame["row"].astype("int32"),
            "reason": pd.Series([REASON] * len(frame), index=frame.index, dtype=STRING),
            "duplicate_of": kept_uid,
        }
    )


def write_near_losers(
    paths: Sequence[str], directory: Path, threshold: float, client: Client | None, min_chars: int = 0
) -> None:
    """Write ``directory/near/near-NNNNN.parquet`` (part, row, reason, duplicate_of) for every input part.

    ``directory`` holds the exact pass's ``losers-NNNNN.parquet`` (rows left out here); the signature
    files live under ``directory/_signatures`` while the step runs and are removed after.
    """
    import shutil

    import dask.dataframe as dd

    (directory / SIGNATURES).mkdir(exist_ok=True)
    paths = list(paths)
    n = len(paths)
    divisions = list(range(n + 1))
    method = shuffle_method(client, count_rows(paths))
    where = str(directory)
    bands = dd.from_map(
        part_bands, paths, list(range(n)), losers_dir=where, threshold=threshold, min_chars=min_chars, meta=BAND_META
    )
    edges = bands.shuffle(on="band", shuffle_method=method).map_partitions(group_edges, meta=EDGE_META)
    sig_meta = EDGE_META.assign(**{f"s{k}": pd.Series(dtype="uint32") for k in range(NUM_PERM)})
    with_a = edges.set_index("a_part", divisions=divisions, shuffle_method=method).map_partitions(
        attach_a, where, meta=sig_meta
    )
    verified = with_a.set_index("b_part", divisions=divisions, shuffle_method=method).map_partitions(
        verify_b, where, threshold, meta=EDGE_META
    )
    grouped = dask.delayed(components)(verified.to_delayed())
    losers = dd.from_delayed([grouped], meta=COMPONENT_META, verify_meta=False)
    named = losers.set_index("kept_part", divisions=divisions, shuffle_method=method).map_partitions(
        resolve_uids, paths, meta=LOSER_META
    )
    by_part = named.set_index("part", divisions=divisions, shuffle_method=method)
    job = by_part.to_parquet(
        str(directory / NEAR_DIR),
        name_function=near_file,
        write_index=True,
        compute=False,
        write_metadata_file=False,
    )
    compute(job, client)
    shutil.rmtree(directory / SIGNATURES, ignore_errors=True)
