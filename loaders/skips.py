"""Skipped samples: the reasons, the error carrying one, and a counter shared with DataLoader workers.

Every sample or tar member the loader cannot use goes through one handler, webdataset style: it is
counted under its reason and the epoch goes on. A user ``handler`` (e.g. ``webdataset.reraise_exception``
or ``webdataset.warn_and_continue``) is called after counting; a falsy return re-raises, so strict runs
fail loudly instead of stopping an epoch short.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from loaders.tar_members import REASONS

SKIP_REASONS = (
    "decode_error",  # image bytes that do not decode
    "missing_image",  # no jpg/jpeg/png/webp member for the key
    "missing_caption",  # no txt member, or an empty caption
    "bad_caption",  # caption bytes that are not UTF-8
    "read_error",  # sample lost to an I/O or tar format error
    "missing_sample",  # the shard holds fewer samples than sizes.json says
    "unlisted_sample",  # the shard holds more samples than sizes.json says (counted from headers, not read)
    *REASONS,  # refused tar members, never read: unsafe path, not a regular file, over the size cap
)

Handler = Callable[[Exception], bool]


class SampleError(Exception):
    """A sample (or tar member) that cannot be used, with its ``reason`` from ``SKIP_REASONS``."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


class SkipCounter:
    """Per-worker skip counts in shared memory, so counts made in DataLoader workers reach the main process."""

    def __init__(self, num_workers: int) -> None:
        self.counts = torch.zeros(max(1, num_workers), len(SKIP_REASONS), dtype=torch.int64).share_memory_()

    def add(self, worker: int, reason: str) -> None:
        """Count one skip by ``worker`` (row ``worker`` is written by that worker only)."""
        self.counts[worker, SKIP_REASONS.index(reason)] += 1

    def totals(self) -> dict[str, int]:
        """Skips per reason summed over workers, for every reason (zeros included)."""
        return dict(zip(SKIP_REASONS, self.counts.sum(0).tolist()))


class CountingHandler:
    """The webdataset-style handler a worker uses: count ``SampleError``s, then defer to the user's handler."""

    def __init__(self, counter: SkipCounter, worker: int, user_handler: Handler | None = None) -> None:
        self.counter, self.worker, self.user_handler = counter, worker, user_handler

    def __call__(self, exn: Exception) -> bool:
        """Count ``exn`` and return True to go on; re-raise when the user's handler returns falsy."""
        self.counter.add(self.worker, exn.reason if isinstance(exn, SampleError) else "decode_error")
        if self.user_handler is not None and not self.user_handler(exn):
            raise exn
        return True

    def skip(self, reason: str) -> None:
        """Report a skip that has no exception of its own (a refused tar member)."""
        self(SampleError(reason))
