"""wit: build WIT-style image-text datasets and carry them to a trained CLIP model."""

__version__ = "0.1.0"
