"""robots.txt parsing and matching (RFC 9309), and the per-origin cache's fetch outcomes."""

from __future__ import annotations

import re
import subprocess
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from crawlers.http_fetch import FetchResult
from crawlers.robots import MAX_ROBOTS_BYTES, MAX_ROBOTS_RULES, Pattern, RobotsCache, parse_robots

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

    def fetch(self, url: str, accept=None, max_bytes=None, truncate=False) -> FetchResult:
        assert (max_bytes, truncate) == (MAX_ROBOTS_BYTES, True)  # robots.txt is read up to the cap, then cut
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


def _regex_oracle(pattern: str, path: str) -> bool:
    """What RFC 9309 matching means, as a backtracking regex (fine on small inputs)."""
    anchored = pattern.endswith("$")
    body = pattern[:-1] if anchored else pattern
    regex = ".*".join(re.escape(piece) for piece in body.split("*")) + ("$" if anchored else "")
    return re.match(regex, path, re.DOTALL) is not None


@settings(max_examples=400, deadline=None)
@given(
    st.text(alphabet="/ab*$", max_size=10).map(lambda p: "/" + p.replace("$", "") + ("$" if "$" in p else "")),
    st.text(alphabet="/ab", max_size=12).map(lambda p: "/" + p),
)
def test_linear_matcher_agrees_with_the_regex_meaning(pattern: str, path: str) -> None:
    assert Pattern.parse(pattern).matches(path) == _regex_oracle(pattern, path)


def test_many_wildcards_match_in_linear_time() -> None:
    """Issue 19 item 2: a dozen ``*`` against a 40-character path took minutes as a regex.

    Run in a child so the old behaviour fails the test instead of hanging the suite.
    """
    code = (
        "from crawlers.robots import parse_robots\n"
        "rules = parse_robots('User-agent: *\\nDisallow: /' + '*a' * 30 + '*b$\\n', 'witbot')\n"
        "for n in (40, 400, 40000):\n"
        "    assert rules.allowed('http://h/' + 'a' * n)\n"
        "    assert not rules.allowed('http://h/' + 'a' * n + 'b')\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=30)


def test_rule_count_and_crawl_delay_are_bounded() -> None:
    many = "User-agent: *\n" + "".join(f"Disallow: /d{i}\n" for i in range(MAX_ROBOTS_RULES)) + "Disallow: /late\n"
    rules = parse_robots(many, "witbot")
    assert len(rules.rules) == MAX_ROBOTS_RULES
    assert not rules.allowed("http://h/d0") and rules.allowed("http://h/late")
    for value, expected in [("inf", 86400.0), ("1e400", 86400.0), ("100000", 86400.0), ("-5", 0.0), ("2.5", 2.5)]:
        assert parse_robots(f"User-agent: *\nCrawl-delay: {value}", "witbot").crawl_delay == expected
    for value in ("nan", "-inf", "soon"):
        delay = parse_robots(f"User-agent: *\nCrawl-delay: {value}", "witbot").crawl_delay
        assert delay in (None, 0.0), value
