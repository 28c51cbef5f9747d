"""Zero-shot classification: a classifier built from class-name prompts, scored by cosine similarity.

For each class every template is filled with the class name and encoded; the prompt features are
normalised, averaged and the mean renormalised (CLIP's prompt ensembling). Images are classified by the
cosine similarity of their normalised features with these class embeddings.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
import torch.nn.functional as F

from wit_pipeline.eval.features import encode_texts
from wit_pipeline.eval.metrics import class_mask, classification_summary, confusion_matrix, match_ranks, predictions
from wit_pipeline.eval.templates import fill

IMAGE_BLOCK = 4096


def ensemble(prompt_features: torch.Tensor) -> torch.Tensor:
    """Class embeddings ``[C, D]`` from prompt features ``[C, T, D]``: normalise, average over T, renormalise."""
    return F.normalize(F.normalize(prompt_features, dim=-1).mean(dim=1), dim=-1)


def class_embeddings(
    model: Any,
    tokenizer: Callable[[Sequence[str]], torch.Tensor],
    classnames: Sequence[str],
    templates: Sequence[str],
    batch_size: int = 256,
) -> torch.Tensor:
    """The zero-shot classifier ``[C, D]``: one ensembled prompt embedding per class, on the CPU."""
    prompts = [fill(template, name) for name in classnames for template in templates]
    features = encode_texts(model, tokenizer, prompts, batch_size)
    return ensemble(features.view(len(classnames), len(templates), -1))


def zeroshot_report(
    image_features: torch.Tensor,
    labels: torch.Tensor,
    classifier: torch.Tensor,
    classnames: Sequence[str],
    block: int = IMAGE_BLOCK,
) -> dict:
    """acc@1, acc@5 (more than 5 classes), mean per-class recall and the confusion matrix.

    Scores are computed ``block`` images at a time, so memory stays at ``block x C`` scores.
    """
    num_classes = len(classnames)
    ranks = torch.empty(labels.shape[0], dtype=torch.long)
    confusion = torch.zeros((num_classes, num_classes), dtype=torch.long)
    for start in range(0, labels.shape[0], block):
        scores = image_features[start : start + block] @ classifier.T
        targets = labels[start : start + block]
        ranks[start : start + targets.shape[0]] = match_ranks(scores, class_mask(targets, num_classes))
        confusion += confusion_matrix(targets, predictions(scores, targets), num_classes)
    return classification_summary(ranks, confusion, list(classnames))
