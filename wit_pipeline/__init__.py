"""wit: build WIT-style image-text datasets and carry them to a trained CLIP model."""

import os

# albumentations (pulled in by img2dataset) phones home for updates at import; wit never
# reaches the network except for the pages and images it was asked to fetch.
os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

__version__ = "0.1.0"
