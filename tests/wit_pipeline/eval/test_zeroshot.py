"""Zero-shot: templates by name or file, prompt ensembling as specified, the blocked report."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from tests.wit_pipeline.eval.helpers import TableModel
from wit_pipeline.errors import WitError
from wit_pipeline.eval.metrics import classification_report
from wit_pipeline.eval.templates import fill, resolve_templates
from wit_pipeline.eval.zeroshot import class_embeddings, ensemble, zeroshot_report


def test_named_template_sets() -> None:
    assert resolve_templates("clip") == ["a photo of a {}."]
    default = resolve_templates(None)
    assert default == resolve_templates("ensemble") and len(default) == 8 and default[0] == "a photo of a {}."
    imagenet = resolve_templates("imagenet80")
    assert len(imagenet) == len(set(imagenet)) == 80
    assert all(t.count("{}") == 1 for t in imagenet + default)


def test_template_file_one_per_line(tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_text("# prompts\n\na sketch of a {}.\n  {} in {curly} braces  \n", encoding="utf-8")
    templates = resolve_templates(str(path))
    assert templates == ["a sketch of a {}.", "{} in {curly} braces"]
    assert fill(templates[1], "cat") == "cat in {curly} braces"


@pytest.mark.parametrize(
    "text,fragment",
    [
        ("a photo\n", "t.txt:1: a template needs {} exactly once"),
        ("ok {}\n{} and {}\n", "t.txt:2: a template needs {} exactly once"),
        ("# only a comment\n\n", "no templates"),
    ],
)
def test_bad_template_files(tmp_path: Path, text: str, fragment: str) -> None:
    path = tmp_path / "t.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(WitError, match=fragment.replace("{}", r"\{\}")):
        resolve_templates(str(path))


def test_unknown_template_set() -> None:
    with pytest.raises(WitError, match="neither a template set"):
        resolve_templates("imagenet81")


def test_prompts_are_normalised_then_averaged_then_renormalised() -> None:
    # class "cat": prompts (2, 0) and (0, 1) -> unit (1, 0), (0, 1) -> mean (.5, .5) -> (1/sqrt2, 1/sqrt2).
    # Averaging before normalising would give (1, .5) -> (.894, .447): the norms must not weigh the prompts.
    model = TableModel({"a cat": [2.0, 0.0], "the cat": [0.0, 1.0], "a dog": [0.0, 3.0], "the dog": [0.0, 0.5]})
    classifier = class_embeddings(model, model.tokenize, ["cat", "dog"], ["a {}", "the {}"], batch_size=3)
    s = 1 / math.sqrt(2)
    assert torch.allclose(classifier, torch.tensor([[s, s], [0.0, 1.0]]))
    assert torch.allclose(ensemble(torch.tensor([[[3.0, 4.0]]])), torch.tensor([[0.6, 0.8]]))


def test_blocked_report_equals_the_report_on_all_scores() -> None:
    g = torch.Generator().manual_seed(1)
    classifier = torch.nn.functional.normalize(torch.randn(7, 5, generator=g), dim=1)
    features = torch.nn.functional.normalize(torch.randn(40, 5, generator=g), dim=1)
    labels = torch.randint(0, 7, (40,), generator=g)
    names = [f"c{i}" for i in range(7)]
    blocked = zeroshot_report(features, labels, classifier, names, block=6)
    assert blocked == classification_report(features @ classifier.T, labels, names)
    assert set(blocked) >= {"acc1", "acc5", "mean_per_class_recall", "confusion_matrix"}
    assert sum(map(sum, blocked["confusion_matrix"]["rows_true_columns_predicted"])) == 40
