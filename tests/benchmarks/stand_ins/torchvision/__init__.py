"""A stand-in for torchvision, so open_clip imports where torchvision has no build for the installed torch.

open_clip imports its image transforms and ``FrozenBatchNorm2d`` at import time; the benchmark uses only
its models and loss, so every name here is a placeholder that fails if it is ever used.
"""
