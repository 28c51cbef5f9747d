"""A minimal stand-in for torchvision, for tests only: enough for ``import open_clip`` and its eval transform.

torchvision's wheels do not import with the CPU torch build the tests run on, and open_clip needs torchvision
only for its image transforms. The eval ops (``Resize`` of the shortest side, ``CenterCrop``, ``ToTensor``,
``Normalize``) follow torchvision's documented semantics on PIL images; everything else raises when called.
"""
