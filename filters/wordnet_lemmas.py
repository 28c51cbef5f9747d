"""WordNet's lemmas read from a WordNet 3.0 database directory (Debian's ``wordnet-base``).

CLIP's query list took "all WordNet synsets"; MetaCLIP's ``build_metadata`` takes each synset's
head lemma. Here every lemma of every synset is taken (the lemma column of ``index.noun``,
``index.verb``, ``index.adj`` and ``index.adv``), ``_`` read as a space, as WordNet writes
multi-word lemmas. wit ships the list this reads (``filters/data/wordnet_en.txt.gz``), not the
database, so building queries needs no WordNet install; regenerate it with
``python -m filters.wordnet_lemmas /usr/share/wordnet filters/data/wordnet_en.txt.gz``.
WordNet 3.0 is licensed for redistribution with its copyright notice (kept in the file's header).
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

from wit_pipeline.errors import WitError

INDEX_FILES = ("index.noun", "index.verb", "index.adj", "index.adv")
SHIPPED = Path(__file__).parent / "data" / "wordnet_en.txt.gz"
NOTICE = (
    "# WordNet 3.0 lemmas (every lemma of every synset, '_' read as a space), extracted by filters.wordnet_lemmas.\n"
    "# WordNet 3.0 Copyright 2006 by Princeton University. All rights reserved. Permission to use, copy, modify\n"
    "# and distribute this software and database and its documentation for any purpose and without fee or\n"
    "# royalty is hereby granted, provided that this notice appears on all copies.\n"
)


def read_database(directory: str | Path) -> list[str]:
    """Unique lemmas of a WordNet database directory, sorted; license header lines (leading spaces) skipped."""
    root = Path(directory)
    lemmas: set[str] = set()
    for name in INDEX_FILES:
        path = root / name
        if not path.exists():
            raise WitError(f"{path}: not found (expected a WordNet 3.0 database directory, e.g. /usr/share/wordnet)")
        with open(path, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.startswith(" ") or not line.strip():
                    continue
                lemmas.add(line.split(" ", 1)[0].replace("_", " "))
    return sorted(lemmas)


def shipped_lemmas() -> list[str]:
    """The lemma list wit ships (comment lines skipped)."""
    with gzip.open(SHIPPED, "rt", encoding="utf-8") as fh:
        return [line.rstrip("\n") for line in fh if line.strip() and not line.startswith("#")]


def write_list(lemmas: list[str], out: Path) -> None:
    """Write ``lemmas`` as the gzip text file wit ships (reproducible bytes: no name or time in the header)."""
    data = (NOTICE + "".join(f"{lemma}\n" for lemma in lemmas)).encode("utf-8")
    with open(out, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as fh:
        fh.write(data)


if __name__ == "__main__":
    write_list(read_database(sys.argv[1]), Path(sys.argv[2]))
