"""Skipped samples: the reasons, the error carrying one, and the handler that counts them in a worker.

Every sample or tar member the loader cannot use goes through one handler, webdataset style: it is
counted under its reason and the epoch goes on; the counts travel to the main process with the batches.
A user ``handler`` (e.g. ``webdataset.reraise_exception`` or ``webdataset.warn_and_continue``) is called
after counting; a falsy return re-raises, so strict runs fail loudly instead of stopping an epoch short.
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


class CountingHandler:
    """The webdataset-style handler a worker uses: count ``SampleError``s, then defer to the user's handler.

    Counts stay in the worker until ``take`` hands them over with the batch they were met in, so the loader's
    totals cover exactly the batches it delivered (not those its workers prefetched beyond).
    """

    def __init__(self, user_handler: Handler | None = None) -> None:
        self.user_handler = user_handler
        self.counts = torch.zeros(len(SKIP_REASONS), dtype=torch.int64)

    def __call__(self, exn: Exception) -> bool:
        """Count ``exn`` and return True to go on; re-raise when the user's handler returns falsy."""
        self.counts[SKIP_REASONS.index(exn.reason if isinstance(exn, SampleError) else "decode_error")] += 1
        if self.user_handler is not None and not self.user_handler(exn):
            raise exn
        return True

    def skip(self, reason: str) -> None:
        """Report a skip that has no exception of its own (a refused tar member)."""
        self(SampleError(reason))

    def take(self) -> torch.Tensor:
        """The counts since the last ``take`` (one per reason of ``SKIP_REASONS``), and start again from zero."""
        counts, self.counts = self.counts, torch.zeros_like(self.counts)
        return counts


def skip_totals(counts: torch.Tensor) -> dict[str, int]:
    """Counts per reason (a tensor in ``SKIP_REASONS`` order) as a dict, zeros included."""
    return dict(zip(SKIP_REASONS, counts.tolist()))
