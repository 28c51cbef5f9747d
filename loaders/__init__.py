"""Streaming webdataset loaders, image transforms and tokenizers.

``make_loader`` is the public entry point: exact epochs across ranks and workers, resumable mid-epoch.
"""

from loaders import transforms
from loaders.loader import StreamingLoader, make_loader
from loaders.shard_source import ShardList, resolve_source
from loaders.shard_tokenizer import shard_captions, train_tokenizer_for_shards
from loaders.skips import SKIP_REASONS, SampleError
from loaders.tokenizer import Tokenizer, clean_caption, load_tokenizer
from loaders.transforms import CLIP_MEAN, CLIP_STD, normalize_on_device

__all__ = [
    "CLIP_MEAN",
    "CLIP_STD",
    "SKIP_REASONS",
    "SampleError",
    "ShardList",
    "StreamingLoader",
    "Tokenizer",
    "clean_caption",
    "load_tokenizer",
    "make_loader",
    "normalize_on_device",
    "resolve_source",
    "shard_captions",
    "train_tokenizer_for_shards",
    "transforms",
]
