"""Streaming webdataset loaders, image transforms and tokenizers."""
