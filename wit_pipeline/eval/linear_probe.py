"""Linear probe: multinomial logistic regression on frozen, normalised image features.

As in the CLIP paper: the images are split per class (seeded) into train, validation and test; the L2
weight decay is swept over a log-spaced grid, each value fitted on train and scored on validation; the
best is refitted on train + validation and scored on test. Fits are full-batch L-BFGS from zero weights,
so the (convex) result depends only on the data and the split seed. The loss is the mean cross-entropy
plus ``weight_decay / 2 * ||W||^2`` (the bias is not decayed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from wit_pipeline.errors import WitError
from wit_pipeline.eval.metrics import class_mask, classification_report, hit_rate, match_ranks

WEIGHT_DECAYS = (1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0)
VAL_FRACTION = 0.2
TEST_FRACTION = 0.2
MAX_ITER = 500


@dataclass(frozen=True)
class Split:
    """Row indices of the train, validation and test parts."""

    train: torch.Tensor
    val: torch.Tensor
    test: torch.Tensor


def split_per_class(
    labels: torch.Tensor,
    classnames: Sequence[str],
    seed: int,
    val_fraction: float = VAL_FRACTION,
    test_fraction: float = TEST_FRACTION,
) -> Split:
    """A seeded split of each class: ``round(n * fraction)`` (at least 1) to test and to val, the rest to train.

    Every class needs at least 3 images, one per part.
    """
    generator = torch.Generator().manual_seed(seed)
    parts: dict[str, list[torch.Tensor]] = {"train": [], "val": [], "test": []}
    for label, name in enumerate(classnames):
        rows = torch.nonzero(labels == label).flatten()
        if rows.numel() < 3:
            raise WitError(f"linear probe: class {name!r} has {rows.numel()} image(s); it needs at least 3")
        rows = rows[torch.randperm(rows.numel(), generator=generator)]
        n_test = max(1, round(rows.numel() * test_fraction))
        n_val = max(1, round(rows.numel() * val_fraction))
        n_val = min(n_val, rows.numel() - n_test - 1)
        parts["test"].append(rows[:n_test])
        parts["val"].append(rows[n_test : n_test + n_val])
        parts["train"].append(rows[n_test + n_val :])
    return Split(**{name: torch.sort(torch.cat(chunks)).values for name, chunks in parts.items()})


def fit_logistic(
    features: torch.Tensor, labels: torch.Tensor, num_classes: int, weight_decay: float, max_iter: int = MAX_ITER
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(weight [D, C], bias [C])`` minimising mean cross-entropy + ``weight_decay / 2 * ||weight||^2``."""
    weight = torch.zeros(features.shape[1], num_classes, dtype=features.dtype, device=features.device)
    bias = torch.zeros(num_classes, dtype=features.dtype, device=features.device)
    weight.requires_grad_(True)
    bias.requires_grad_(True)
    optimizer = torch.optim.LBFGS(
        [weight, bias],
        lr=1.0,
        max_iter=max_iter,
        history_size=20,
        tolerance_grad=1e-7,
        tolerance_change=1e-10,
        line_search_fn="strong_wolfe",
    )
    targets = labels.to(features.device)

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = F.cross_entropy(features @ weight + bias, targets) + weight_decay / 2 * weight.pow(2).sum()
        loss.backward()
        return loss

    with torch.enable_grad():
        optimizer.step(closure)
    return weight.detach(), bias.detach()


def scores_of(features: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """Class scores (logits) of ``features`` under a fitted probe, on the CPU."""
    return (features @ weight + bias).cpu()


def linear_probe(
    features: torch.Tensor,
    labels: torch.Tensor,
    classnames: Sequence[str],
    seed: int = 0,
    weight_decays: Sequence[float] = WEIGHT_DECAYS,
    device: str | torch.device = "cpu",
) -> dict:
    """Sweep the weight decay on validation, refit on train + val, report test acc@1 (and acc@5, recall).

    Among equally good validation accuracies the strongest weight decay wins (the simplest model).
    """
    labels = labels.long()
    split = split_per_class(labels, classnames, seed)
    x = features.to(device=device, dtype=torch.float32)
    num_classes = len(classnames)
    sweep: dict[str, float] = {}
    best_decay, best_acc = min(weight_decays), -1.0
    for decay in sorted(weight_decays):
        weight, bias = fit_logistic(x[split.train], labels[split.train], num_classes, decay)
        val_scores = scores_of(x[split.val], weight, bias)
        acc = hit_rate(match_ranks(val_scores, class_mask(labels[split.val], num_classes)), 1)
        sweep[f"{decay:g}"] = acc
        if acc >= best_acc:
            best_decay, best_acc = decay, acc
    train_val = torch.sort(torch.cat([split.train, split.val])).values
    weight, bias = fit_logistic(x[train_val], labels[train_val], num_classes, best_decay)
    test = classification_report(scores_of(x[split.test], weight, bias), labels[split.test], list(classnames))
    report = {
        "train_size": int(split.train.numel()),
        "val_size": int(split.val.numel()),
        "test_size": int(split.test.numel()),
        "weight_decay": best_decay,
        "val_acc1_by_weight_decay": sweep,
    }
    report.update({f"test_{key}": value for key, value in test.items() if key not in ("samples", "classes")})
    return report
