"""The ``error_message`` of a shard parquet row: ``reason`` or ``reason: detail``, one rule both ways.

Kept apart from ``shard_task`` (which loads img2dataset) so readers of shards (inspect, report)
parse messages without importing the downloader.
"""

from __future__ import annotations


def compose(reason: str | None, detail: str = "") -> str | None:
    """The message of a sample that failed with ``reason`` (None: the sample succeeded)."""
    if reason is None:
        return None
    return f"{reason}: {detail}" if detail else reason


def reason_of(error_message: str | None) -> str | None:
    """The reason code at the front of a shard parquet ``error_message`` (``http_404: URL`` -> ``http_404``)."""
    return None if error_message is None else error_message.split(":", 1)[0]
