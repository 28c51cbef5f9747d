"""Page-level opt-outs: ``X-Robots-Tag`` headers and ``<meta name=robots>`` directives.

``noai`` and ``noimageai`` mean the site does not want its images used for AI training, so
such pages yield no image pairs (they are counted, not silently dropped); ``nofollow`` means
the crawler must not follow the page's links. A directive may be scoped to one crawler
(``otherbot: noai``); only unscoped ones and those naming our agent token apply.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

AI_OPT_OUT = frozenset({"noai", "noimageai"})
# Directives that carry a value after a colon, so "name: value" is not an agent scope.
_VALUED = frozenset({"unavailable_after", "max-snippet", "max-image-preview", "max-video-preview"})


@dataclass(frozen=True)
class OptOuts:
    """What a page's robots directives forbid us to do with it."""

    no_images: bool = False
    no_follow: bool = False

    def merge(self, other: OptOuts) -> OptOuts:
        """Both sets of restrictions together."""
        return OptOuts(self.no_images or other.no_images, self.no_follow or other.no_follow)


def directives(value: str, agent: str) -> set[str]:
    """Lower-cased directives of one header or meta value that apply to ``agent``."""
    text = value.strip()
    head, sep, rest = text.partition(":")
    scope = head.strip().lower()
    if sep and scope and " " not in scope and "," not in scope and scope not in _VALUED:
        if scope != agent.lower():
            return set()
        text = rest
    return {d.strip().lower() for d in text.split(",") if d.strip()}


def opt_outs(values: Iterable[str], agent: str) -> OptOuts:
    """The restrictions expressed by header values (or meta contents) for ``agent``."""
    found: set[str] = set()
    for value in values:
        found |= directives(value, agent)
    return OptOuts(no_images=bool(found & AI_OPT_OUT), no_follow=bool(found & {"nofollow", "none"}))


def meta_applies(name: str | None, agent: str) -> bool:
    """Whether a ``<meta name=...>`` speaks to ``agent`` (``robots`` or the agent's own token)."""
    return bool(name) and name.strip().lower() in ("robots", agent.lower())
