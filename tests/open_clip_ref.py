"""open_clip as the reference implementation in tests, imported with a torchvision stand-in when needed.

open_clip imports torchvision for its image transforms only; torchvision's wheels do not import with the
CPU torch build here, so ``tests/stubs/torchvision`` (the eval ops with torchvision's semantics) takes its
place. A working torchvision, where installed, is used as is. Tests skip when open_clip is not installed
(`make test` installs it without its dependencies, see the Makefile).
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType

import pytest
import torch

STUBS = Path(__file__).parent / "stubs"


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
    """The ``open_clip`` module, or a skip naming why it cannot be imported."""
    if "open_clip" in sys.modules:
        return sys.modules["open_clip"]
    ensure_torchvision()
    return pytest.importorskip("open_clip", reason="open_clip_torch is not installed (pip install -e '.[test]')")


def randomise_batch_norms(model: torch.nn.Module) -> None:
    """Give every BatchNorm2d non-trivial statistics and affine terms, so a ResNet's normalisation is exercised."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.weight.normal_(1.0, 0.2)
                module.bias.normal_(0.0, 0.1)
                module.running_mean.normal_(0.0, 0.1)
                module.running_var.uniform_(0.5, 1.5)
