"""``resolve_device``: the ``--device`` setting (``auto``, ``cpu``, ``cuda``, ``cuda:N``) as a torch device."""

from __future__ import annotations

import torch

from wit_pipeline.errors import WitError


def resolve_device(name: str, local_rank: int = 0) -> torch.device:
    """``auto`` is CUDA when available else CPU; a bare ``cuda`` becomes ``cuda:LOCAL_RANK``."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        device = torch.device(name)
    except RuntimeError:
        raise WitError(f"--device {name!r} is not a device (use auto, cpu, cuda or cuda:N)") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise WitError(f"--device {name}: CUDA is not available on this machine")
        if device.index is None:
            device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    return device
