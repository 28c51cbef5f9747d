"""Image-text retrieval recall@k in bounded memory: query blocks against gallery blocks, never N x N.

Each query's rank follows the pessimistic tie rule of ``wit_pipeline.eval.metrics``: 1 + the number of
non-matching gallery items scoring at least as high as its best matching item. For a block of queries the
best matching score is taken first from the few gallery blocks that hold a match, then every gallery block
is scored once more and the items ahead are counted. Peak memory is one ``query_block x gallery_block``
score matrix (plus the features), whatever the number of pairs; no top-k list is kept at all.

Several captions per image: ``text_image[t]`` is the image of caption ``t``. Image->text counts a hit when
any of the image's captions ranks within k (CLIP_benchmark's definition); text->image when the caption's
own image does.
"""

from __future__ import annotations

import torch

from wit_pipeline.eval.metrics import hit_rate

RECALL_KS = (1, 5, 10)
QUERY_BLOCK = 1024
GALLERY_BLOCK = 8192


def blocked_match_ranks(
    queries: torch.Tensor,
    gallery: torch.Tensor,
    query_groups: torch.Tensor,
    gallery_groups: torch.Tensor,
    query_block: int = QUERY_BLOCK,
    gallery_block: int = GALLERY_BLOCK,
) -> torch.Tensor:
    """Rank of each query's best match among ``gallery``, scored by dot product, in blocks.

    A gallery item matches a query when their groups are equal. Equal to ``metrics.match_ranks`` on the
    full score matrix, computed without ever holding more than ``query_block x gallery_block`` scores.
    """
    num_queries, num_gallery = queries.shape[0], gallery.shape[0]
    ranks = torch.empty(num_queries, dtype=torch.long)
    query_groups, gallery_groups = query_groups.to(queries.device), gallery_groups.to(queries.device)
    gallery_starts = range(0, num_gallery, gallery_block)
    for start in range(0, num_queries, query_block):
        block = queries[start : start + query_block]
        groups = query_groups[start : start + query_block]
        wanted = torch.unique(groups)
        best = torch.full((block.shape[0],), float("-inf"), device=block.device, dtype=block.dtype)
        for g in gallery_starts:
            g_groups = gallery_groups[g : g + gallery_block]
            if torch.isin(g_groups, wanted).any():
                scores = block @ gallery[g : g + gallery_block].T
                matching = groups[:, None] == g_groups[None, :]
                best = torch.maximum(best, scores.masked_fill(~matching, float("-inf")).amax(dim=1))
        ahead = torch.zeros(block.shape[0], dtype=torch.long, device=block.device)
        for g in gallery_starts:
            g_groups = gallery_groups[g : g + gallery_block]
            scores = block @ gallery[g : g + gallery_block].T
            ahead += ((scores >= best[:, None]) & (groups[:, None] != g_groups[None, :])).sum(dim=1)
        ranks[start : start + block.shape[0]] = (1 + ahead).cpu()
    return ranks


def retrieval_recall(
    image_features: torch.Tensor,
    text_features: torch.Tensor,
    text_image: torch.Tensor,
    ks: tuple[int, ...] = RECALL_KS,
    query_block: int = QUERY_BLOCK,
    gallery_block: int = GALLERY_BLOCK,
) -> dict:
    """Image->text and text->image recall@k of normalised features; ``text_image[t]`` is caption t's image.

    Also ``mean_recall@k``, the mean of both directions (DataComp's retrieval summary).
    """
    num_images = image_features.shape[0]
    image_ids = torch.arange(num_images)
    text_image = text_image.long()
    blocks = {"query_block": query_block, "gallery_block": gallery_block}
    text_ranks = blocked_match_ranks(text_features, image_features, text_image, image_ids, **blocks)
    image_ranks = blocked_match_ranks(image_features, text_features, image_ids, text_image, **blocks)
    report: dict = {"images": num_images, "texts": int(text_features.shape[0])}
    for k in ks:
        report[f"image_to_text_recall@{k}"] = hit_rate(image_ranks, k)
    for k in ks:
        report[f"text_to_image_recall@{k}"] = hit_rate(text_ranks, k)
    for k in ks:
        report[f"mean_recall@{k}"] = (report[f"image_to_text_recall@{k}"] + report[f"text_to_image_recall@{k}"]) / 2
    return report
