"""The CUDA paths of training, on a GPU only: bf16, fused AdamW, the uint8 normalise, compile, no syncs.

Skipped without CUDA (CI has none); ``benchmarks/bench_gpu_device.sh`` runs this file on the GPU machine
before the benchmark, so a broken CUDA path shows there.
"""

from __future__ import annotations

import pytest
import torch

from loaders import normalize_on_device
from tests.wit_pipeline.train.helpers import (
    SyntheticLoader,
    micro_config,
    synthetic_batch,
    train_config,
    write_tokenizer_stub,
)
from wit_pipeline.model import CLIP
from wit_pipeline.model.run_dir import RunDir, read_metrics
from wit_pipeline.train import Trainer
from wit_pipeline.train.loss import ClipLoss
from wit_pipeline.train.optim import make_optimizer
from wit_pipeline.train.precision import Precision
from wit_pipeline.train.step import TrainStep

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
CUDA = torch.device("cuda")


def make_step(precision: str, fused: bool, compiled: bool = False, seed: int = 0):
    torch.manual_seed(seed)
    model = CLIP(micro_config()).to(CUDA)
    optimizer = make_optimizer(model, 1e-3, fused=fused)
    forward = torch.compile(model) if compiled else model
    step = TrainStep(
        model, ClipLoss(), optimizer, Precision(precision, CUDA), 1.0, forward, model if compiled else None
    )
    return step, model


def batches(n: int = 4):
    return [tuple(t.to(CUDA) for t in synthetic_batch(8, seed=i)) for i in range(n)]


def test_bf16_step_with_fused_adamw_learns_and_never_syncs() -> None:
    step, _ = make_step("auto", fused=True)
    assert step.precision.mode == "bf16"
    data = batches()
    step([data[0]])  # the first step allocates optimiser state
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        losses = [step([batch]) for batch in data * 5]
    finally:
        torch.cuda.set_sync_debug_mode("default")
    values = torch.stack(losses).tolist()
    assert all(v == v for v in values) and values[-1] < values[0]


def test_fused_adamw_matches_the_foreach_update() -> None:
    fused, fused_model = make_step("fp32", fused=True)
    plain, plain_model = make_step("fp32", fused=False)
    for batch in batches():
        fused([batch])
        plain([batch])
    for a, b in zip(fused_model.parameters(), plain_model.parameters()):
        assert torch.allclose(a, b, atol=1e-5, rtol=1e-4)


def test_uint8_normalise_on_the_gpu_equals_the_cpu_one() -> None:
    images = torch.randint(0, 256, (4, 3, 16, 16), dtype=torch.uint8)
    on_gpu = normalize_on_device(images.pin_memory().to(CUDA, non_blocking=True))
    assert on_gpu.dtype == torch.float32 and torch.equal(on_gpu.cpu(), normalize_on_device(images))


def test_inductor_compiled_step_matches_eager() -> None:
    compiled, _ = make_step("fp32", fused=True, compiled=True)
    eager, _ = make_step("fp32", fused=True)
    for batch in batches(3):
        a, b = compiled([batch]), eager([batch])
        assert compiled.compiled and torch.allclose(a, b, rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("kind", ["vit", "resnet"])
def test_trainer_on_cuda_with_uint8_batches(tmp_path, kind: str) -> None:
    class Uint8Loader(SyntheticLoader):
        def __iter__(self):
            for images, tokens in super().__iter__():
                yield (images * 40 + 128).clamp(0, 255).to(torch.uint8).pin_memory(), tokens.pin_memory()

    run = RunDir(tmp_path / "run")
    run.path.mkdir()
    write_tokenizer_stub(run.tokenizer)
    config = train_config(device="cuda", epochs=2, log_every=2)
    trainer = Trainer(config, micro_config(kind), Uint8Loader(8, 3), run, normalize=normalize_on_device, speed=None)
    assert trainer.precision.mode == "bf16" and trainer.speed.fused_optimizer
    assert trainer.speed.channels_last == (kind == "resnet") and not trainer.speed.compile  # 6 steps: too short
    trainer.fit()
    records = read_metrics(run.metrics)
    assert [r["step"] for r in records] == [2, 4, 6] and all(r["loss"] == r["loss"] for r in records)
