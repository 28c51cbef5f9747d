"""Classification and retrieval metrics with one tie rule, shared by zero-shot, linear probe and retrieval.

**Tie rule (pessimistic).** A query's rank is ``1 +`` the number of *non-matching* candidates scoring at
least as high as its best *matching* candidate. A candidate tied with the truth is counted ahead of it, so a
hit at ``k`` needs the truth strictly above all but ``k - 1`` wrong candidates. Unlike ``torch.topk``, whose
order among equal scores is unspecified, this gives the same answer whatever the candidates' order, and a
model that scores everything alike gets no credit. With continuous scores ties have probability zero, so
results equal CLIP_benchmark's ``topk`` figures. A query with no matching candidate never counts as a hit.

The confusion matrix follows the same rule: the predicted class is the true class when it scores strictly
highest, else the lowest-index other class among the highest scores, so its diagonal is exactly the acc@1 hits.
"""

from __future__ import annotations

import torch


def match_ranks(scores: torch.Tensor, relevant: torch.Tensor) -> torch.Tensor:
    """Rank of each row's best matching column under the pessimistic tie rule (1 = first).

    ``scores`` is ``[N, M]``; ``relevant`` a bool ``[N, M]`` marking the matching columns of each row.
    """
    best = scores.masked_fill(~relevant, float("-inf")).amax(dim=1, keepdim=True)
    return 1 + ((scores >= best) & ~relevant).sum(dim=1)


def class_mask(targets: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Bool ``[N, num_classes]`` with True at each row's target class."""
    return torch.nn.functional.one_hot(targets.long(), num_classes).bool()


def hit_rate(ranks: torch.Tensor, k: int) -> float:
    """Fraction of ranks ``<= k``: acc@k for classification, recall@k for retrieval."""
    if ranks.numel() == 0:
        return float("nan")
    return (ranks <= k).double().mean().item()


def predictions(scores: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Predicted class per row under the pessimistic tie rule (see the module docstring)."""
    truth = class_mask(targets, scores.shape[1])
    others = scores.masked_fill(truth, float("-inf"))
    best_other, other_class = others.max(dim=1)  # max returns the first index among equal maxima
    true_score = scores.gather(1, targets.long().view(-1, 1)).squeeze(1)
    return torch.where(true_score > best_other, targets.long(), other_class)


def confusion_matrix(targets: torch.Tensor, predicted: torch.Tensor, num_classes: int) -> torch.Tensor:
    """``[C, C]`` counts: row = true class, column = predicted class."""
    flat = targets.long() * num_classes + predicted.long()
    return torch.bincount(flat, minlength=num_classes * num_classes).view(num_classes, num_classes)


def per_class_recall(confusion: torch.Tensor) -> list[float | None]:
    """Recall of each class (hits / its samples); None for a class with no samples.

    A class that is never predicted still has recall 0 on its samples.
    """
    totals = confusion.sum(dim=1).tolist()
    hits = confusion.diagonal().tolist()
    return [h / t if t else None for h, t in zip(hits, totals)]


def mean_per_class_recall(confusion: torch.Tensor) -> float:
    """Mean recall over the classes that have samples (balanced accuracy, as CLIP_benchmark reports)."""
    recalls = [r for r in per_class_recall(confusion) if r is not None]
    return sum(recalls) / len(recalls) if recalls else float("nan")


def classification_report(scores: torch.Tensor, targets: torch.Tensor, classnames: list[str]) -> dict:
    """acc@1, acc@5 (more than 5 classes only), mean per-class recall, per-class recall, confusion matrix."""
    num_classes = len(classnames)
    ranks = match_ranks(scores, class_mask(targets, num_classes))
    confusion = confusion_matrix(targets, predictions(scores, targets), num_classes)
    return classification_summary(ranks, confusion, classnames)


def classification_summary(ranks: torch.Tensor, confusion: torch.Tensor, classnames: list[str]) -> dict:
    """The report of ``classification_report`` from ranks and a confusion matrix gathered in blocks."""
    report: dict = {"samples": int(ranks.numel()), "classes": len(classnames), "acc1": hit_rate(ranks, 1)}
    if len(classnames) > 5:
        report["acc5"] = hit_rate(ranks, 5)
    report["mean_per_class_recall"] = mean_per_class_recall(confusion)
    report["per_class_recall"] = dict(zip(classnames, per_class_recall(confusion)))
    report["confusion_matrix"] = {"labels": list(classnames), "rows_true_columns_predicted": confusion.tolist()}
    return report
