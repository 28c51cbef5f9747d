"""Placeholder for torchvision.transforms.functional (never called by the benchmark)."""
