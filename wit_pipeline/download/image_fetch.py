"""Fetch one image safely: address-checked, capped, deadline-bound, redirects re-checked.

Built on the crawler's ``Fetcher`` (one GET, no redirect following); this adds what an
image download needs: following a bounded number of redirects (each hop's address is
checked again before connecting), retries, and img2dataset's ``X-Robots-Tag`` opt-out
(``noai``, ``noimageai``, ... as configured, unscoped or scoped to our agent token).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from crawlers.http_fetch import Fetcher, FetchLimits, FetchResult
from crawlers.net_safety import AddressPolicy
from crawlers.robots_tags import directives
from wit_pipeline.download.options import DownloadOptions

MAX_REDIRECTS = 5
USER_AGENT = "Mozilla/5.0 (compatible; {token}; +wit image-text dataset builder)"
# Failures worth another attempt; a 404 or a refused address will not change on retry.
_TRANSIENT = {"connect_timeout", "read_timeout", "total_timeout", "connection_reset", "connection_error", "http_5xx"}


@dataclass
class ImageResponse:
    """Bytes of an image, or the reason code (and a detail) why there are none."""

    data: bytes | None
    reason: str | None = None
    detail: str = ""


class ImageFetcher:
    """Fetches image URLs under one set of download options (one per shard task)."""

    def __init__(self, options: DownloadOptions) -> None:
        self.options = options
        self.agent = options.user_agent_token.strip().lower()
        self.disallowed = {d.strip().lower() for d in options.disallowed_header_directives}
        limits = FetchLimits(
            connect_timeout=options.timeout,
            read_timeout=options.timeout,
            total_timeout=options.timeout,
            max_bytes=options.max_bytes,
        )
        policy = AddressPolicy(allow_private=options.allow_private_network, allow_networks=options.allow_networks)
        self.fetcher = Fetcher(policy, limits, USER_AGENT.format(token=options.user_agent_token))

    def get(self, url: str, deadline: float) -> ImageResponse:
        """Fetch ``url`` with retries, giving up at ``deadline`` (a ``time.monotonic`` value)."""
        response = ImageResponse(None, "shard_deadline")
        for _ in range(self.options.retries + 1):
            if time.monotonic() >= deadline:
                return ImageResponse(None, "shard_deadline")
            response = self._get_once(url)
            if response.data is not None or response.reason not in _TRANSIENT:
                return response
        return response

    def _get_once(self, url: str) -> ImageResponse:
        for _ in range(MAX_REDIRECTS + 1):
            result = self.fetcher.fetch(url)
            if result.error:
                return ImageResponse(None, result.error, url)
            if result.location:
                url = result.location
                continue
            return self._judge(result)
        return ImageResponse(None, "too_many_redirects", url)

    def _judge(self, result: FetchResult) -> ImageResponse:
        status = result.status or 0
        if status >= 500:
            return ImageResponse(None, "http_5xx", str(status))
        if status >= 400 or status < 200:
            return ImageResponse(None, f"http_{status}", result.url)
        for value in result.header_values("X-Robots-Tag"):
            found = directives(value, self.agent) & self.disallowed
            if found:
                return ImageResponse(None, "x_robots_tag", ",".join(sorted(found)))
        if not result.body:
            return ImageResponse(None, "empty_body", result.url)
        return ImageResponse(result.body)
