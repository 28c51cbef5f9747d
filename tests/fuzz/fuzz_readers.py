"""Coverage-guided fuzzing (atheris) of the readers that take bytes from strangers.

Not collected by pytest (no ``test_`` prefix). Run: ``python tests/fuzz/fuzz_readers.py -atheris_runs=N``
(``make stress`` runs it); each input goes through the HTML extractor, the WAT metadata reader,
the caption rules and manifest validation. Any exception other than the documented one-line
``WitError`` is a finding: atheris stops and prints the input.
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
    fdp = atheris.FuzzedDataProvider(data)
    choice = fdp.ConsumeIntInRange(0, 3)
    rest = fdp.ConsumeBytes(fdp.remaining_bytes())
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
