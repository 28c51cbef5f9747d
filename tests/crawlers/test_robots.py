"""robots.txt parsing and matching (RFC 9309), and the per-origin cache's fetch outcomes."""

from __future__ import annotations

from crawlers.http_fetch import FetchResult
from crawlers.robots import RobotsCache, parse_robots

TEXT = """
# comments are ignored
User-agent: *
Disallow: /private/
Allow: /private/open
Crawl-delay: 3

User-agent: WitBot/2.0
User-agent: otherbot
Disallow: /not-for-wit
Disallow: /*.pdf$
Allow: /not-for-wit/but-this
Crawl-delay: 0.5
"""


def test_group_for_our_token_longest_match_and_wildcards() -> None:
    rules = parse_robots(TEXT, "witbot")
    assert rules.crawl_delay == 0.5
    assert not rules.allowed("http://h/not-for-wit/x")
    assert rules.allowed("http://h/not-for-wit/but-this/x")
    assert not rules.allowed("http://h/files/a.pdf") and rules.allowed("http://h/files/a.pdf?x=1")
    assert rules.allowed("http://h/private/x")  # the * group does not apply: ours exists
    assert rules.allowed("http://h/robots.txt")


def test_star_group_when_ours_is_absent() -> None:
    rules = parse_robots(TEXT, "anotherbot")
    assert rules.crawl_delay == 3.0
    assert not rules.allowed("http://h/private/x") and rules.allowed("http://h/private/open/y")
    assert parse_robots("", "witbot").allowed("http://h/anything")
    assert not parse_robots("User-agent: *\nDisallow: /caf%C3%A9", "witbot").allowed("http://h/café")
    assert parse_robots("User-agent: *\nDisallow: /a\nAllow: /a", "witbot").allowed("http://h/a")


class FakeFetcher:
    """Answers robots.txt requests from a table, recording each request."""

    def __init__(self, answers: dict[str, FetchResult]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    def fetch(self, url: str, accept=None) -> FetchResult:
        self.asked.append(url)
        return self.answers[url]


def test_cache_outcomes_follow_the_rfc() -> None:
    ok = FetchResult("http://a/robots.txt", status=200, body=b"User-agent: *\nDisallow: /x")
    answers = {
        "http://a:80/robots.txt": FetchResult("", status=301, location="http://a/robots.txt"),
        "http://a/robots.txt": ok,
        "http://gone:80/robots.txt": FetchResult("", status=404),
        "http://down:80/robots.txt": FetchResult("", status=503),
        "http://slow:80/robots.txt": FetchResult("", error="read_timeout"),
    }
    fake = FakeFetcher(answers)
    cache = RobotsCache(fake, "witbot")  # type: ignore[arg-type]
    rules, fetched = cache.rules_for("http://a:80")
    assert fetched and not rules.allowed("http://a/x/1") and rules.allowed("http://a/y")
    assert cache.rules_for("http://a:80") == (rules, False)
    assert fake.asked.count("http://a:80/robots.txt") == 1
    assert cache.rules_for("http://gone:80")[0].allowed("http://gone/anything")
    down = cache.rules_for("http://down:80")[0]
    assert not down.allowed("http://down/") and down.unreachable == "http_503"
    assert cache.rules_for("http://slow:80")[0].unreachable == "read_timeout"
