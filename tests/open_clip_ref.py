"""open_clip as the reference implementation in tests, imported with a torchvision stand-in when needed.

open_clip imports torchvision for its image transforms only; torchvision's wheels do not import with the
CPU torch build here, so ``tests/stubs/torchvision`` (the eval ops with torchvision's semantics) takes its
place. A working torchvision, where installed, is used as is. Tests skip when open_clip is not installed,
except under `make test`, which installs it (without its dependencies, see the Makefile) and sets
``WIT_REQUIRE_OPEN_CLIP=1``: there a missing or broken open_clip fails, so no reference check passes by skipping.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest
import torch

STUBS = Path(__file__).parent / "stubs"
REQUIRE_ENV = "WIT_REQUIRE_OPEN_CLIP"
BPE_FILE = "bpe_simple_vocab_16e6.txt.gz"


def open_clip_missing(reason: str) -> None:
    """Skip for want of open_clip, or fail where `make test` installed it (``WIT_REQUIRE_OPEN_CLIP=1``)."""
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{reason} (make test installs open_clip; {REQUIRE_ENV}=1)", pytrace=False)
    pytest.skip(reason)


def open_clip_bpe_file() -> Path:
    """open_clip's shipped CLIP BPE file, found without importing open_clip (which needs torchvision)."""
    spec = importlib.util.find_spec("open_clip")
    if spec is None or spec.origin is None:
        open_clip_missing("open_clip is not installed: its shipped CLIP BPE file is the reference vocabulary")
    path = Path(spec.origin).parent / BPE_FILE
    if not path.exists():
        open_clip_missing(f"{path}: open_clip's CLIP BPE file is absent")
    return path


def child_pythonpath() -> list[str]:
    """What a child process needs on its path, before the project, to import open_clip: the stand-in or nothing."""
    ensure_torchvision()
    module = sys.modules["torchvision"]
    return [str(STUBS)] if Path(module.__file__).resolve().is_relative_to(STUBS.resolve()) else []


def ensure_torchvision() -> None:
    """Import torchvision, the stand-in where the real one is absent or built for another torch."""
    try:
        import torchvision  # noqa: F401
    except Exception:  # absent, or built for another torch
        for name in [m for m in sys.modules if m == "torchvision" or m.startswith("torchvision.")]:
            del sys.modules[name]
        sys.path.insert(0, str(STUBS))
        try:
            import torchvision  # noqa: F401, F811
        finally:
            sys.path.remove(str(STUBS))


def import_open_clip() -> ModuleType:
    """The ``open_clip`` module; a skip (a failure under `make test`) when it is not installed."""
    if "open_clip" in sys.modules:
        return sys.modules["open_clip"]
    ensure_torchvision()
    if importlib.util.find_spec("open_clip") is None:
        open_clip_missing("open_clip_torch is not installed (pip install -e '.[test]')")
    import open_clip  # an installed open_clip that fails to import is an error, never a skip

    return open_clip


def randomise_batch_norms(model: torch.nn.Module) -> None:
    """Give every BatchNorm2d non-trivial statistics and affine terms, so a ResNet's normalisation is exercised."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.weight.normal_(1.0, 0.2)
                module.bias.normal_(0.0, 0.1)
                module.running_mean.normal_(0.0, 0.1)
                module.running_var.uniform_(0.5, 1.5)
