"""Linear probe: the per-class split, the regularised optimum, the weight-decay sweep and its tie rule."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from wit_pipeline.errors import WitError
from wit_pipeline.eval.linear_probe import fit_logistic, linear_probe, split_per_class


def clusters(per_class: int, num_classes: int, spread: float, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Unit features scattered around one orthogonal direction per class."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(num_classes).repeat_interleave(per_class)
    centres = torch.eye(num_classes, 8)
    features = centres[labels] + spread * torch.randn(labels.numel(), 8, generator=g)
    return F.normalize(features, dim=1), labels


def test_split_takes_a_fifth_of_each_class_for_val_and_test() -> None:
    labels = torch.tensor([0] * 10 + [1] * 3 + [2] * 7)
    split = split_per_class(labels, ["a", "b", "c"], seed=0)
    rows = torch.cat([split.train, split.val, split.test])
    assert sorted(rows.tolist()) == list(range(20))
    assert [int((labels[split.test] == c).sum()) for c in range(3)] == [2, 1, 1]
    assert [int((labels[split.val] == c).sum()) for c in range(3)] == [2, 1, 1]
    assert [int((labels[split.train] == c).sum()) for c in range(3)] == [6, 1, 5]
    again = split_per_class(labels, ["a", "b", "c"], seed=0)
    other = split_per_class(labels, ["a", "b", "c"], seed=1)
    assert torch.equal(again.test, split.test) and not torch.equal(other.test, split.test)


def test_a_class_with_fewer_than_three_images_is_an_error() -> None:
    with pytest.raises(WitError, match="class 'b' has 2 image"):
        split_per_class(torch.tensor([0, 0, 0, 1, 1]), ["a", "b"], seed=0)


def test_fit_reaches_the_regularised_optimum() -> None:
    features, labels = clusters(20, 3, spread=0.8)
    decay = 1e-2
    weight, bias = fit_logistic(features, labels, 3, decay)
    weight.requires_grad_(True)
    bias.requires_grad_(True)
    loss = F.cross_entropy(features @ weight + bias, labels) + decay / 2 * weight.pow(2).sum()
    grad_w, grad_b = torch.autograd.grad(loss, [weight, bias])
    assert grad_w.abs().max() < 1e-4 and grad_b.abs().max() < 1e-4


def test_probe_separates_clusters_and_reports_the_sweep() -> None:
    features, labels = clusters(15, 4, spread=0.05)
    report = linear_probe(features, labels, ["a", "b", "c", "d"], seed=3, weight_decays=(1e-4, 1e-2, 1.0))
    assert report["test_acc1"] == 1.0 and report["test_mean_per_class_recall"] == 1.0
    assert (report["train_size"], report["val_size"], report["test_size"]) == (36, 12, 12)
    assert report["val_acc1_by_weight_decay"] == {"0.0001": 1.0, "0.01": 1.0, "1": 1.0}
    assert report["weight_decay"] == 1.0  # equal validation accuracy: the strongest decay wins
    assert "test_acc5" not in report and report["test_confusion_matrix"]["labels"] == ["a", "b", "c", "d"]


def test_probe_on_features_unrelated_to_labels_stays_near_chance() -> None:
    features, _ = clusters(30, 4, spread=0.5, seed=1)
    labels = torch.randint(0, 4, (120,), generator=torch.Generator().manual_seed(7))
    report = linear_probe(features, labels, ["a", "b", "c", "d"], seed=0, weight_decays=(1e-3, 1e-1))
    assert report["test_acc1"] < 0.6
