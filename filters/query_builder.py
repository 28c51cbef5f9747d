"""Build a WIT query list the way CLIP and MetaCLIP did, from sources reachable offline.

Sources, in MetaCLIP's order (an entry counts for the first source that brings it):

* ``wordnet``: every WordNet 3.0 lemma (English only; the list wit ships, ``filters.wordnet_lemmas``);
* ``unigrams``: wordfreq's words of the language at or above ``min_zipf`` (CLIP: words seen at least
  100 times in English Wikipedia, ~3e9 words, which is Zipf 1.5);
* ``bigrams``: adjacent word pairs of a caption corpus with high pointwise mutual information
  (``filters.query_pmi``; CLIP and MetaCLIP computed them on Wikipedia, here on a manifest).

CLIP's unigram rule and MetaCLIP's builder (every Wikipedia unigram seen 100 times, only lone
punctuation dropped) keep function words; balancing makes them harmless for sampling, but they
swamp the per-query counts and say nothing about what an image shows. Here an entry whose words
are all stopwords (``a``, ``the``, ``of the``) is dropped, as is one with no letter (MetaCLIP drops
lone punctuation, keeps "0".."99"). Case and spacing follow the matcher: entries are lower-cased
and compared in ``query_match.match_form``; the file keeps each entry's first spelling.
"""

from __future__ import annotations

import functools
import gzip
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from filters.query_match import match_form
from wit_pipeline.errors import WitError

DEFAULT_MIN_ZIPF = 1.5
DATA = Path(__file__).parent / "data"
SHIPPED_QUERIES = DATA / "queries_en.txt.gz"
# Languages without a stopword file: their most frequent words (wordfreq) stand in for function words.
FREQUENT_AS_STOPWORDS = 100


@dataclass
class SourceCount:
    """What one source brought: candidates, dropped (stopword-only or letterless), new to the list."""

    candidates: int = 0
    dropped: int = 0
    added: int = 0


@dataclass
class QueryList:
    """The built entries (first spelling of each) and what each source contributed."""

    entries: list[str] = field(default_factory=list)
    sources: dict[str, SourceCount] = field(default_factory=dict)
    _seen: set[str] = field(default_factory=set, repr=False)

    def add(self, source: str, candidates: Iterable[str], stops: frozenset[str]) -> None:
        """Append ``candidates`` not yet in the list, dropping stopword-only and letterless ones."""
        count = self.sources.setdefault(source, SourceCount())
        for entry in candidates:
            count.candidates += 1
            text = " ".join(entry.lower().split())
            if not content_entry(text, stops):
                count.dropped += 1
                continue
            form = match_form(text)
            if form in self._seen:
                continue
            self._seen.add(form)
            self.entries.append(text)
            count.added += 1


def check_language(lang: str) -> None:
    """A one-line error unless wordfreq has word frequencies for ``lang``."""
    import wordfreq

    if lang not in wordfreq.available_languages("best"):
        raise WitError(f"--lang {lang}: wordfreq has no word frequencies for this language")


@functools.lru_cache(maxsize=8)
def stopwords(lang: str) -> frozenset[str]:
    """Function words of ``lang``: wit's file for English, else wordfreq's most frequent words."""
    check_language(lang)
    path = DATA / f"stopwords_{lang}.txt"
    if path.exists():
        lines = path.read_text(encoding="utf-8").splitlines()
        return frozenset(w.strip() for w in lines if w.strip() and not w.startswith("#"))
    import wordfreq

    return frozenset(wordfreq.top_n_list(lang, FREQUENT_AS_STOPWORDS))


def content_entry(text: str, stops: frozenset[str]) -> bool:
    """Whether an entry has a letter and a word that is not a stopword (punctuation tokens ignored)."""
    words = [w for w in match_form(text).split() if any(c.isalnum() for c in w)]
    return any(any(c.isalpha() for c in w) for w in words) and any(w not in stops for w in words)


def wordfreq_unigrams(lang: str, min_zipf: float) -> list[str]:
    """Words of ``lang`` at or above Zipf ``min_zipf``, most frequent first; digit-bearing tokens dropped.

    wordfreq folds every digit to 0, so its number tokens ("00", "0,000") name no real query.
    """
    import wordfreq

    check_language(lang)
    threshold = 10 ** (min_zipf - 9)
    frequencies = wordfreq.get_frequency_dict(lang, wordlist="best")
    return [w for w, f in frequencies.items() if f >= threshold and not any(c.isdigit() for c in w)]


def wordnet_entries(lang: str) -> list[str]:
    """WordNet lemmas of ``lang`` (English only: no other wordnet is shipped or installable offline)."""
    from filters.wordnet_lemmas import shipped_lemmas

    return shipped_lemmas() if lang == "en" else []


def build_query_list(
    lang: str = "en",
    min_zipf: float = DEFAULT_MIN_ZIPF,
    wordnet: bool = True,
    bigrams: Iterable[str] = (),
) -> QueryList:
    """The query list of ``lang``: WordNet lemmas, wordfreq unigrams, then the given PMI bigrams."""
    stops = stopwords(lang)
    result = QueryList()
    if wordnet:
        result.add("wordnet", wordnet_entries(lang), stops)
    result.add("unigrams", wordfreq_unigrams(lang, min_zipf), stops)
    result.add("bigrams", bigrams, stops)
    if not result.entries:
        raise WitError(f"--lang {lang}: the built query list is empty")
    return result


def write_list(entries: Iterable[str], out: Path) -> None:
    """One entry per line; ``.gz`` names get reproducible gzip bytes (no name or time in the header)."""
    data = "".join(f"{e}\n" for e in entries).encode("utf-8")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    if out.suffix == ".gz":
        with open(tmp, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as fh:
            fh.write(data)
    else:
        tmp.write_bytes(data)
    tmp.replace(out)


def default_entries(min_zipf: float = DEFAULT_MIN_ZIPF) -> list[str]:
    """wit's default English list: the shipped file when ``min_zipf`` is its threshold, else built afresh."""
    if min_zipf == DEFAULT_MIN_ZIPF and SHIPPED_QUERIES.exists():
        with gzip.open(SHIPPED_QUERIES, "rt", encoding="utf-8") as fh:
            return [line.rstrip("\n") for line in fh if line.strip()]
    return build_query_list("en", min_zipf).entries
