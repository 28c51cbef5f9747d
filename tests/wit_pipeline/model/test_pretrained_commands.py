"""Every command that takes a run takes pretrained weights too: ``wit eval``, embedding, ``wit search`` and
``wit filter --clip-model`` give a bare OpenAI-layout checkpoint the same results as the run it holds."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from safetensors.torch import save_file

from loaders import Tokenizer
from tests.wit_pipeline.embed.helpers import CLASSES, captioned, write_download_shards
from tests.wit_pipeline.eval.helpers import write_image_folder
from wit_pipeline.atomic_files import write_json
from wit_pipeline.cli.main import main
from wit_pipeline.embed.index import EmbeddingIndex
from wit_pipeline.embed.task import EmbedSettings, embed_shards
from wit_pipeline.layout import embedding_index as layout
from wit_pipeline.model import CLIP, ModelConfig, TextConfig, VisionConfig
from wit_pipeline.model.openai_layout import wit_to_openai
from wit_pipeline.model.weights import save_weights


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """``(run, bare .pt, bare .safetensors)`` of one small random model with OpenAI's conventions (heads of 64)."""
    root = tmp_path_factory.mktemp("models")
    tokenizer = Tokenizer.clip()
    config = ModelConfig(
        embed_dim=64,
        vision=VisionConfig(image_size=64, patch_size=16, width=128, layers=2, heads=2),
        text=TextConfig(vocab_size=tokenizer.vocab_size, width=128, layers=2, heads=2),
        quick_gelu=True,
    )
    torch.manual_seed(0)
    model = CLIP(config).eval()
    run = root / "run"
    run.mkdir()
    write_json(run / "model_config.json", config.to_dict())
    tokenizer.save(run / "tokenizer.json")
    save_weights(model, run / "model.safetensors")
    openai = wit_to_openai(model.state_dict(), config)
    torch.save(openai, root / "ViT-small.pt")
    save_file(openai, root / "ViT-small.safetensors")
    return run, root / "ViT-small.pt", root / "ViT-small.safetensors"


def test_eval_of_a_pretrained_checkpoint_equals_the_runs(models: tuple[Path, Path, Path], tmp_path: Path) -> None:
    run, _, bare = models
    folder = write_image_folder(tmp_path / "folder", per_class=3)
    records = []
    for model in (run, bare):
        out = tmp_path / f"{model.stem}.json"
        args = ["eval", str(model), "--data", str(folder), "--task", "zeroshot", "--out", str(out), "--quiet"]
        assert main([*args, "--workers", "0", "--device", "cpu"]) == 0
        records.append(json.loads(out.read_text()))
    assert records[1]["weights"] == str(bare)
    assert records[0]["results"] == records[1]["results"]


def test_embed_search_and_clip_filter_take_a_pretrained_checkpoint(
    models: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run, bare, _ = models
    samples = [captioned(colour, shape, i) for i, (colour, shape) in enumerate(CLASSES * 2)]
    shards = write_download_shards(tmp_path / "shards", samples)
    for model, out in ((run, tmp_path / "emb_run"), (bare, tmp_path / "emb_bare")):
        embed_shards(model, shards, out, EmbedSettings(device="cpu", dtype="float32"), progress=False)
    for name in (layout.image_file("00000"), layout.text_file("00000")):
        np.testing.assert_allclose(
            np.load(tmp_path / "emb_bare" / name), np.load(tmp_path / "emb_run" / name), atol=1e-5
        )
    capsys.readouterr()
    assert main(["search", str(bare), "a red square", "--index", str(tmp_path / "emb_bare"), "-k", "2"]) == 0
    assert len([line for line in capsys.readouterr().out.splitlines() if "a red square" in line or line]) >= 2
    assert main(["search", str(run), "a red square", "--index", str(tmp_path / "emb_bare")]) == 2
    out = tmp_path / "filtered"
    args = ["filter", str(shards), "--out", str(out), "--clip-model", str(bare), "--clip-threshold", "-1"]
    assert main([*args, "--clip-device", "cpu", "--workers", "1", "--quiet"]) == 0
    rows = pd.concat(pd.read_parquet(p) for p in sorted(out.glob("[0-9]*.parquet")))
    scores = rows.loc[rows["status"] == "success"].set_index("key")["clip_score"]
    index = EmbeddingIndex.open(tmp_path / "emb_run").rows.to_pandas().set_index("key")["clip_score"]
    assert len(scores) == len(samples)
    np.testing.assert_allclose(scores.loc[index.index].to_numpy(), index.to_numpy(), atol=1e-5)
