"""Classification metrics against hand-computed values: the pessimistic tie rule, recall of unpredicted classes."""

from __future__ import annotations

import math

import pytest
import torch

from wit_pipeline.eval.metrics import (
    class_mask,
    classification_report,
    confusion_matrix,
    hit_rate,
    match_ranks,
    mean_per_class_recall,
    per_class_recall,
    predictions,
)

# Row 0: the true class 0 ties class 2 at the top. Row 1: true class 1 ties class 3. Row 2: a clean hit.
# Row 3: every class scores the same.
SCORES = torch.tensor(
    [
        [0.9, 0.5, 0.9, 0.1],
        [0.2, 0.8, 0.3, 0.8],
        [0.1, 0.2, 0.7, 0.3],
        [0.5, 0.5, 0.5, 0.5],
    ]
)
TARGETS = torch.tensor([0, 1, 2, 3])


def test_a_tie_with_a_wrong_class_counts_against_the_truth() -> None:
    ranks = match_ranks(SCORES, class_mask(TARGETS, 4))
    assert ranks.tolist() == [2, 2, 1, 4]
    assert [hit_rate(ranks, k) for k in (1, 2, 3, 4)] == [0.25, 0.75, 0.75, 1.0]


def test_rank_does_not_depend_on_the_order_of_the_classes() -> None:
    order = torch.tensor([3, 1, 0, 2])
    inverse = torch.argsort(order)
    permuted = match_ranks(SCORES[:, order], class_mask(inverse[TARGETS], 4))
    assert permuted.tolist() == match_ranks(SCORES, class_mask(TARGETS, 4)).tolist()


def test_acc5_misses_a_truth_tied_with_the_fifth_wrong_class() -> None:
    scores = torch.tensor([[0.5, 0.9, 0.8, 0.7, 0.6, 0.5, 0.1]])  # truth 0: four above, one tied
    ranks = match_ranks(scores, class_mask(torch.tensor([0]), 7))
    assert ranks.tolist() == [6]
    assert hit_rate(ranks, 5) == 0.0 and hit_rate(ranks, 6) == 1.0


def test_predictions_and_confusion_follow_the_same_rule() -> None:
    predicted = predictions(SCORES, TARGETS)
    assert predicted.tolist() == [2, 3, 2, 0]  # ties go to the lowest-index wrong class
    confusion = confusion_matrix(TARGETS, predicted, 4)
    assert confusion.tolist() == [[0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 1, 0], [1, 0, 0, 0]]
    ranks = match_ranks(SCORES, class_mask(TARGETS, 4))
    assert confusion.diagonal().sum().item() == (ranks == 1).sum().item()


def test_a_class_never_predicted_counts_with_recall_zero_and_a_class_without_samples_is_left_out() -> None:
    targets = torch.tensor([0, 0, 1, 1, 2, 2, 2])
    predicted = torch.tensor([0, 3, 2, 2, 2, 2, 0])  # class 1 never predicted; class 3 has no samples
    confusion = confusion_matrix(targets, predicted, 4)
    assert per_class_recall(confusion) == [0.5, 0.0, pytest.approx(2 / 3), None]
    assert mean_per_class_recall(confusion) == pytest.approx((0.5 + 0.0 + 2 / 3) / 3)


def test_report_has_acc5_only_with_more_than_five_classes() -> None:
    five = classification_report(torch.eye(5), torch.arange(5), list("abcde"))
    assert "acc5" not in five and five["acc1"] == 1.0 and five["mean_per_class_recall"] == 1.0
    six = classification_report(torch.eye(6), torch.arange(6), list("abcdef"))
    assert six["acc5"] == 1.0
    report = classification_report(SCORES, TARGETS, ["w", "x", "y", "z"])
    assert report["acc1"] == 0.25 and report["mean_per_class_recall"] == 0.25
    assert report["per_class_recall"] == {"w": 0.0, "x": 0.0, "y": 1.0, "z": 0.0}
    assert report["confusion_matrix"]["labels"] == ["w", "x", "y", "z"]
    assert report["confusion_matrix"]["rows_true_columns_predicted"][3] == [1, 0, 0, 0]


def test_hit_rate_of_nothing_is_nan() -> None:
    assert math.isnan(hit_rate(torch.empty(0, dtype=torch.long), 1))
