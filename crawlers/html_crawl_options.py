"""Settings of an HTML crawl, and the checks made on them before anything is fetched."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from urllib.parse import urlsplit

from crawlers.html_extract import DEFAULT_AGENT
from crawlers.http_fetch import FetchLimits
from crawlers.net_safety import AddressPolicy
from crawlers.url_resolve import UnusableUrl, http_target
from wit_pipeline import __version__
from wit_pipeline.config import SourcesConfig, check_bounds
from wit_pipeline.errors import WitError
from wit_pipeline.manifest import ManifestLimits

_SECTION_KEYS = {f.name for f in fields(SourcesConfig)}


@dataclass(frozen=True)
class CrawlOptions:
    """What to crawl and how politely. ``allowed_domains`` empty means the seeds' hosts.

    The settings are ``[sources]`` ones (``wit_pipeline.build_job.options.crawl_options`` derives them
    from the section): their defaults and bounds are the section's.

    A robots.txt ``Crawl-delay`` longer than ``delay`` is honoured up to ``max_crawl_delay``
    seconds (60 by default; Heritrix's ``respectCrawlDelayUpToSeconds`` works the same way):
    a host asking for a day between requests is crawled at the cap, not allowed to stall the crawl.
    """

    seeds: tuple[str, ...]
    contact: str | None = None
    user_agent: str | None = None
    agent: str = DEFAULT_AGENT
    allowed_domains: tuple[str, ...] = ()
    max_pages: int = SourcesConfig.max_pages
    max_depth: int = SourcesConfig.max_depth
    max_redirects: int = SourcesConfig.max_redirects
    concurrency: int = SourcesConfig.concurrency
    per_host_concurrency: int = SourcesConfig.per_host_concurrency
    delay: float = SourcesConfig.delay
    max_crawl_delay: float = SourcesConfig.max_crawl_delay
    fetch: FetchLimits = field(default_factory=FetchLimits)
    allow_private_network: bool = False
    allow_networks: tuple[str, ...] = ()
    rows_per_part: int = SourcesConfig.rows_per_part
    limits: ManifestLimits = field(default_factory=ManifestLimits)

    @property
    def policy(self) -> AddressPolicy:
        """The address policy these options ask for."""
        return AddressPolicy(self.allow_private_network, self.allow_networks)

    def identity(self) -> dict:
        """The settings that decide what a crawl fetches: a resumed crawl must match them."""
        data = asdict(self)
        for name in ("concurrency", "per_host_concurrency", "delay", "max_crawl_delay", "rows_per_part", "limits"):
            data.pop(name)
        data["fetch"] = {"max_bytes": self.fetch.max_bytes}
        return data


def resolve_options(options: CrawlOptions) -> CrawlOptions:
    """Check ``options`` (a ``WitError`` naming the bad field) and fill in derived defaults."""
    if not options.seeds:
        raise WitError("no seed URLs: give SEED_URL arguments or [sources] seeds in --config")
    for seed in options.seeds:
        try:
            http_target(seed.strip())
        except UnusableUrl:
            raise WitError(f"seed '{seed}': not an absolute http(s) URL with a port in 1-65535") from None
    values = {f.name: getattr(options, f.name) for f in fields(options) if f.name in _SECTION_KEYS}
    values.update(asdict(options.fetch))
    check_bounds(SourcesConfig, values, "sources.", "crawl options")
    if not options.user_agent and not options.contact:
        raise WitError("crawl html needs --contact (an email or URL site owners can reach you at) or --user-agent")
    user_agent = options.user_agent or f"{options.agent}/{__version__} (+{options.contact})"
    domains = options.allowed_domains or tuple(dict.fromkeys(urlsplit(s).hostname or "" for s in options.seeds))
    options.policy  # noqa: B018 - validates allow_networks
    seeds = tuple(dict.fromkeys(_normalize_seed(s) for s in options.seeds))
    return replace(
        options, user_agent=user_agent, allowed_domains=tuple(d.lower().strip(".") for d in domains), seeds=seeds
    )


def _normalize_seed(seed: str) -> str:
    parts = urlsplit(seed.strip())
    return parts._replace(path=parts.path or "/", fragment="").geturl()


def host_allowed(url: str, domains: tuple[str, ...]) -> bool:
    """Whether ``url``'s host is one of ``domains`` or a subdomain of one."""
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return False
    return any(host == d or host.endswith("." + d) for d in domains)
