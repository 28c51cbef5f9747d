"""Placeholder for torchvision.ops."""
