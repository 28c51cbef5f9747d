"""A run's final weights carry checksums like its checkpoints: corruption and truncation are one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from loaders import Tokenizer
from tests.wit_pipeline.train.helpers import SyntheticLoader, micro_config
from tests.wit_pipeline.train.test_trainer import make_run, restore_determinism, trainer  # noqa: F401 - fixture
from wit_pipeline.atomic_files import write_json
from wit_pipeline.errors import WitError
from wit_pipeline.model.run_dir import CHECKSUMS
from wit_pipeline.model.weights import file_sha256, load_run


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    torch.set_num_threads(1)
    run = make_run(tmp_path_factory.mktemp("final") / "run")
    write_json(run.model_config, micro_config().to_dict())  # what wit train writes before training
    Tokenizer.train(["a photo of a cat", "a photo of a dog"] * 5, vocab_size=600).save(run.tokenizer)
    trainer(run, SyntheticLoader(4, 2), epochs=1).fit()
    return run.path


def copy_run(src: Path, dst: Path) -> Path:
    dst.mkdir()
    for name in ("model.safetensors", "model_config.json", "tokenizer.json", CHECKSUMS):
        (dst / name).write_bytes((src / name).read_bytes())
    return dst


def test_final_weights_have_checksums_and_load(finished: Path) -> None:
    digests = json.loads((finished / CHECKSUMS).read_text())["sha256"]
    assert set(digests) == {"model.safetensors", "model_config.json", "tokenizer.json"}
    assert all(file_sha256(finished / name) == digest for name, digest in digests.items())
    model, _, _ = load_run(finished)
    assert not model.training


def test_a_flipped_byte_in_the_final_weights_is_a_one_line_error(finished: Path, tmp_path: Path) -> None:
    run = copy_run(finished, tmp_path / "run")
    data = bytearray((run / "model.safetensors").read_bytes())
    data[len(data) // 2] ^= 0x10  # inside a tensor: safetensors itself would load it without complaint
    (run / "model.safetensors").write_bytes(bytes(data))
    for source in (run, run / "model.safetensors"):
        with pytest.raises(WitError, match="model.safetensors: checksum mismatch, the run's final weights") as info:
            load_run(source)
        assert "\n" not in str(info.value)


def test_truncated_final_weights_are_a_one_line_error(finished: Path, tmp_path: Path) -> None:
    run = copy_run(finished, tmp_path / "run")
    (run / "model.safetensors").write_bytes((finished / "model.safetensors").read_bytes()[:1000])
    with pytest.raises(WitError, match="checksum mismatch, the run's final weights is corrupted or truncated"):
        load_run(run)
    (run / CHECKSUMS).unlink()  # a run from before checksums: the file itself is still read safely
    with pytest.raises(WitError, match="model.safetensors: not readable safetensors weights") as info:
        load_run(run)
    assert "\n" not in str(info.value)
