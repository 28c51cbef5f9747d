"""Fetch one image safely and politely: address-checked, capped, deadline-bound, robots-aware.

Built on the crawler's ``Fetcher`` (one GET, no redirect following) and its politeness code;
this adds what an image download needs: following a bounded number of redirects (each hop's
address and robots.txt checked again before connecting), retries, and:

- the image host's robots.txt, fetched once per origin per shard (``crawlers.robots``) and
  matched against the user agent token; a disallowed image is ``robots_disallowed``, one whose
  robots.txt cannot be had (5xx, unreachable) ``robots_unreachable``, as RFC 9309 says;
- img2dataset's ``X-Robots-Tag`` opt-out (``noai``, ``noimageai``, ... as configured, unscoped
  or scoped to our token), judged on the response headers before the body is read;
- at most ``per_host_concurrency`` requests per host at a time from one shard
  (``crawlers.politeness.HostGate``), and a host answering 429 or 503 is left alone for its
  ``Retry-After`` (at most ``max_retry_after`` seconds, never past the shard deadline);
- a user agent naming a contact when ``contact`` is given.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from crawlers.http_fetch import Fetcher, FetchLimits, FetchResult
from crawlers.net_safety import AddressPolicy
from crawlers.politeness import BACKOFF_STATUSES, HostGate, retry_after
from crawlers.robots import RobotsCache
from crawlers.robots_tags import directives
from crawlers.url_resolve import UnusableUrl, http_target, origin
from wit_pipeline import __version__
from wit_pipeline.download.options import DownloadOptions

MAX_REDIRECTS = 5
USER_AGENT = "Mozilla/5.0 (compatible; {token}; +wit image-text dataset builder)"
CONTACT_USER_AGENT = "Mozilla/5.0 (compatible; {token}/{version}; +{contact})"
# Failures worth another attempt; a 404 or a refused address will not change on retry.
_TRANSIENT = {
    "connect_timeout",
    "read_timeout",
    "total_timeout",
    "connection_reset",
    "connection_error",
    "http_5xx",
    "http_429",
}


@dataclass
class ImageResponse:
    """Bytes of an image, or the reason code (and a detail) why there are none."""

    data: bytes | None
    reason: str | None = None
    detail: str = ""


def user_agent(options: DownloadOptions) -> str:
    """The User-Agent of downloads: the token, and the contact when one is given."""
    if options.contact:
        return CONTACT_USER_AGENT.format(token=options.user_agent_token, version=__version__, contact=options.contact)
    return USER_AGENT.format(token=options.user_agent_token)


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
        self.fetcher = Fetcher(policy, limits, user_agent(options))
        self.robots = RobotsCache(self.fetcher, self.agent) if options.respect_robots_txt else None
        self.gate = HostGate(options.per_host_concurrency)

    def get(self, url: str, deadline: float) -> ImageResponse:
        """Fetch ``url`` with retries, giving up at ``deadline`` (a ``time.monotonic`` value)."""
        response = ImageResponse(None, "shard_deadline")
        for _ in range(self.options.retries + 1):
            if time.monotonic() >= deadline:
                return ImageResponse(None, "shard_deadline")
            response = self._get_once(url, deadline)
            if response.data is not None or response.reason not in _TRANSIENT:
                return response
        return response

    def _get_once(self, url: str, deadline: float) -> ImageResponse:
        for _ in range(MAX_REDIRECTS + 1):
            try:
                scheme, host, port = http_target(url)
            except UnusableUrl as exc:
                return ImageResponse(None, exc.reason, url)
            refusal = self._robots_refusal(origin(scheme, host, port), url)
            if refusal is not None:
                return refusal
            with self.gate.slot(host, deadline) as ready:
                if not ready:
                    return ImageResponse(None, "shard_deadline", f"{host} busy or backing off")
                result = self.fetcher.fetch(url, screen=self._opt_out)
            if result.status in BACKOFF_STATUSES:
                wait = retry_after(result.header("Retry-After"), self.options.max_retry_after)
                self.gate.back_off(host, wait)
            if result.error:
                if result.error == "x_robots_tag":
                    return ImageResponse(None, "x_robots_tag", ",".join(sorted(self._opted_out(result))))
                return ImageResponse(None, result.error, url)
            if result.location:
                url = result.location
                continue
            return self._judge(result)
        return ImageResponse(None, "too_many_redirects", url)

    def _robots_refusal(self, site: str, url: str) -> ImageResponse | None:
        if self.robots is None:
            return None
        rules, _ = self.robots.rules_for(site)
        if rules.allowed(url):
            return None
        if rules.unreachable and rules.unreachable.startswith(("address_", "dns_error")):
            return ImageResponse(None, rules.unreachable, url)  # the host itself is refused, not its robots.txt
        if rules.unreachable:
            return ImageResponse(None, "robots_unreachable", rules.unreachable)
        return ImageResponse(None, "robots_disallowed", url)

    def _opted_out(self, result: FetchResult) -> set[str]:
        found: set[str] = set()
        for value in result.header_values("X-Robots-Tag"):
            found |= directives(value, self.agent) & self.disallowed
        return found

    def _opt_out(self, result: FetchResult) -> str | None:
        """Header screen: refuse the body of an opted-out image before reading it."""
        return "x_robots_tag" if self._opted_out(result) else None

    def _judge(self, result: FetchResult) -> ImageResponse:
        status = result.status or 0
        if status == 429:
            return ImageResponse(None, "http_429", result.url)
        if status >= 500:
            return ImageResponse(None, "http_5xx", str(status))
        if status >= 400 or status < 200:
            return ImageResponse(None, f"http_{status}", result.url)
        if not result.body:
            return ImageResponse(None, "empty_body", result.url)
        return ImageResponse(result.body)
