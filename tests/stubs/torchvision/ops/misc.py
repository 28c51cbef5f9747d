"""Stand-in for ``torchvision.ops.misc``: open_clip imports ``FrozenBatchNorm2d`` but only uses it when freezing."""

from torch import nn


class FrozenBatchNorm2d(nn.Module):
    def __init__(self, *args, **kwargs) -> None:
        raise NotImplementedError("torchvision stand-in: FrozenBatchNorm2d is not available in tests")
