"""Coverage-guided fuzzing (atheris) of the readers that take bytes from strangers.

Not collected by pytest (no ``test_`` prefix). Run (``make stress`` does)::

    python tests/fuzz/fuzz_readers.py -atheris_runs=N -max_len=4096 "$(mktemp -d)" tests/fuzz/seeds

The first byte of an input picks the reader: the HTML extractor, the WAT metadata reader, the
caption rules or manifest validation; the rest is what it reads. ``tests/fuzz/seeds`` holds one
realistic input per reader to start from (libFuzzer adds what it finds to the first directory, so
give it a scratch one). Any exception is a finding: atheris stops and writes the input to
``crash-*`` in the current directory. Startup (instrumenting every imported module) takes a
minute or more before the first input.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    import pyarrow as pa

    from crawlers.html_extract import extract_page
    from crawlers.wat_reader import wat_image_rows
    from filters.caption_rules import CaptionRules
    from wit_pipeline.manifest import ManifestLimits
    from wit_pipeline.manifest_validation import validate_rows

RULES = CaptionRules()
LIMITS = ManifestLimits()


def one_input(data: bytes) -> None:
    if not data:
        return
    choice, rest = data[0] % 4, data[1:]  # the first byte picks the reader (the seeds start with it)
    if choice == 0:
        extract_page(rest, "http://h.example/a/", "text/html; charset=utf-8", want_links=True)
    elif choice == 1:
        wat_image_rows(rest, "http://h.example/")
    elif choice == 2:
        RULES.problem(rest.decode("utf-8", "replace"))
    else:
        half = len(rest) // 2
        table = pa.table({"url": pa.array([rest[:half]], pa.binary()), "caption": pa.array([rest[half:]], pa.binary())})
        result = validate_rows(table, stage="import", source="import", limits=LIMITS)
        assert result.kept.num_rows + result.rejected.num_rows == 1


if __name__ == "__main__":
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
